"""Smooth random fields with PhiFlow's ``Noise(scale, smoothness)`` spectrum, from our own draws.

On an ``ny x nx`` grid over ``Ly x Lx``, a complex white noise ``z = a + i b`` (``a``, ``b``
independent standard normals per grid point) is shaped in Fourier space by

    ``w(k) = |k|^(-2 smoothness)`` with ``k = (n_x, n_y) * scale / (Lx, Ly)``, ``n`` the integer FFT frequencies,

zeroed where ``|k|^2 <= 0.1`` (the mean, and wavelengths ``L / n`` longer than
``sqrt(10) scale``, as PhiFlow does), transformed back, and the real part normalised to zero mean and unit
standard deviation over the grid. The field is periodic over the box. With the smoke
defaults (``scale = 11``, ``smoothness = 6`` on a 32 x 32 box) the spectrum falls as
``|k|^-12``: the field is essentially a random combination of the lowest few modes.

Randomness comes in as arrays of normals (drawn per trajectory from its own stream by the
caller), so a field never depends on the batch or device that shapes it.
"""

from __future__ import annotations

import numpy as np
import torch

LOWEST_K2 = 0.1  # PhiFlow's cut: modes with |k|^2 <= 0.1 (in units of scale / L) are dropped


def noise_draws(rng: np.random.Generator, ny: int, nx: int) -> np.ndarray:
    """``(2, ny, nx)`` standard normals: the real and imaginary parts of the white noise."""
    return rng.standard_normal((2, ny, nx))


def noise_weights(ny: int, nx: int, Ly: float, Lx: float, scale: float, smoothness: float) -> np.ndarray:
    """``(ny, nx)`` Fourier amplitudes ``|k|^(-2 smoothness)`` with the low-|k| cut, FFT order."""
    kx = np.fft.fftfreq(nx) * nx * scale / Lx
    ky = np.fft.fftfreq(ny) * ny * scale / Ly
    k2 = ky[:, None] ** 2 + kx[None, :] ** 2
    keep = k2 > LOWEST_K2
    w = np.zeros_like(k2)
    w[keep] = k2[keep] ** -float(smoothness)
    return w


def smooth_noise(draws: torch.Tensor, Ly: float, Lx: float, scale: float, smoothness: float) -> torch.Tensor:
    """Shape white-noise ``draws`` ``(batch, 2, ny, nx)`` into smooth fields ``(batch, ny, nx)``.

    Each field has zero mean and unit (population) standard deviation over its grid.
    Raises ``ValueError`` when the box keeps no mode (``scale`` too small for ``Lx``, ``Ly``).
    """
    _, _, ny, nx = draws.shape
    w = noise_weights(ny, nx, Ly, Lx, scale, smoothness)
    if not w.any():
        raise ValueError(
            f"noise scale={scale!r} keeps no Fourier mode on a {Lx} x {Ly} box with {nx} x {ny} cells: "
            f"need (n scale / L)^2 > {LOWEST_K2} for some frequency n <= N/2; increase the scale"
        )
    weights = torch.as_tensor(w, device=draws.device, dtype=draws.dtype)
    z = torch.complex(draws[:, 0], draws[:, 1]) * weights
    field = torch.fft.ifft2(z).real
    field = field / field.std(dim=(-2, -1), correction=0, keepdim=True)
    return field - field.mean(dim=(-2, -1), keepdim=True)
