"""Random initial conditions, drawn per trajectory from ``(seed, index)``.

Each generator splits its work in two: ``draw`` takes the random numbers for one
trajectory from its own ``numpy.random.Generator`` (a fixed count, so streams never
shift), and ``build`` turns the stacked draws of a batch into fields on the device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SumOfSines:
    """``u0 = sum_j A_j sin(2 pi l_j x / L + phi_j)``, ``j = 1..n_modes``.

    ``A_j ~ U(-amplitude, amplitude)``, ``l_j`` uniform in ``{1..max_wavenumber}``,
    ``phi_j ~ U(0, 2 pi)`` (Brandstetter et al. 2022's recipe).
    """

    amplitude: float = 0.5
    n_modes: int = 5
    max_wavenumber: int = 3

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        a = rng.uniform(-self.amplitude, self.amplitude, self.n_modes)
        ell = rng.integers(1, self.max_wavenumber + 1, self.n_modes)
        phi = rng.uniform(0, 2 * math.pi, self.n_modes)
        return np.concatenate([a, ell, phi])

    def build(self, draws: torch.Tensor, nx: int) -> torch.Tensor:
        """``draws``: ``(batch, 3 * n_modes)`` -> ``(batch, nx)``."""
        a, ell, phi = draws.reshape(len(draws), 3, self.n_modes).unbind(dim=1)
        x = torch.arange(nx, device=draws.device, dtype=draws.dtype) / nx  # x / L
        return (a[..., None] * torch.sin(2 * math.pi * ell[..., None] * x + phi[..., None])).sum(dim=1)


@dataclass(frozen=True)
class TruncatedFourier:
    """Random Fourier series on modes ``1..max_wavenumber`` with Gaussian coefficients.

    Coefficients decay like ``1/n`` and each field is scaled to root-mean-square
    ``amplitude``; ``n_modes`` is unused.
    """

    amplitude: float = 0.5
    n_modes: int = 5
    max_wavenumber: int = 3

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(2 * self.max_wavenumber)

    def build(self, draws: torch.Tensor, nx: int) -> torch.Tensor:
        """``draws``: ``(batch, 2 * max_wavenumber)`` -> ``(batch, nx)``."""
        m = self.max_wavenumber
        n = torch.arange(1, m + 1, device=draws.device, dtype=draws.dtype)
        coef = torch.complex(draws[:, :m], draws[:, m:]) / n
        spectrum = torch.zeros(len(draws), nx // 2 + 1, dtype=coef.dtype, device=draws.device)
        spectrum[:, 1 : m + 1] = coef
        u = torch.fft.irfft(spectrum, n=nx)
        return self.amplitude * u / u.pow(2).mean(dim=-1, keepdim=True).sqrt()


INITIAL_CONDITIONS = {"sines": SumOfSines, "fourier": TruncatedFourier}
