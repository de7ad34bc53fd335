"""Fourier pseudo-spectral core for periodic 1D fields on [0, L).

Fields are real, so everything works on the half spectrum of ``torch.fft.rfft``:
a field of shape ``(batch, nx)`` has ``nx // 2 + 1`` complex modes.
"""

from __future__ import annotations

import math

import torch


def wavenumbers(nx: int, L: torch.Tensor) -> torch.Tensor:
    """Angular wavenumbers ``k_n = 2 pi n / L`` of the rfft modes.

    Args:
        nx: number of grid points (even).
        L: domain lengths, shape ``(batch,)`` or ``(1,)``.
    Returns:
        ``(batch, nx // 2 + 1)`` real tensor on ``L``'s device and dtype.
    """
    n = torch.arange(nx // 2 + 1, device=L.device, dtype=L.dtype)
    return (2 * math.pi / L)[:, None] * n


def dealias_mask(nx: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Orszag's 2/3 rule: keep modes ``n <= nx / 3``, zero the rest (Nyquist included).

    Returns:
        ``(nx // 2 + 1,)`` boolean tensor.
    """
    n = torch.arange(nx // 2 + 1, device=device)
    return 3 * n <= nx


def cutoff_index(nx: int) -> int:
    """Highest mode index kept by :func:`dealias_mask`."""
    return nx // 3


def tail_ratio(u_hat: torch.Tensor, band: float = 0.2) -> torch.Tensor:
    """How much of the spectrum sits near the dealiasing cutoff.

    The largest mode amplitude in the top ``band`` fraction of retained modes,
    relative to the largest amplitude of all non-mean modes. A resolved smooth
    field decays spectrally, so this is tiny; a front steeper than the grid
    leaves a plateau and the ratio is large.

    Args:
        u_hat: half spectrum, shape ``(batch, nx // 2 + 1)``.
    Returns:
        ``(batch,)`` real tensor; 0 for a constant field.
    """
    nx = 2 * (u_hat.shape[-1] - 1)
    top = cutoff_index(nx)
    start = max(1, int(math.floor((1 - band) * top)))
    amp = u_hat.abs()
    peak = amp[..., 1 : top + 1].amax(dim=-1)
    tail = amp[..., start : top + 1].amax(dim=-1)
    return torch.where(peak > 0, tail / peak.clamp_min(torch.finfo(amp.dtype).tiny), torch.zeros_like(peak))


class Convection:
    """Conservative convection ``N(u) = -(u^2 / 2)_x`` in Fourier space, dealiased.

    Built once per batch so that the factor ``-i k / 2`` times the dealiasing mask is
    precomputed: each call is one inverse FFT, a square and one forward FFT. ``N = factor * raw``
    (a :class:`~solvers.etdrk4.FactoredNonlinear`), so a stepper may fold ``factor`` into its coefficients.

    Args:
        k: ``(batch or 1, nk)`` angular wavenumbers.
        mask: ``(nk,)`` dealiasing mask.
    """

    def __init__(self, k: torch.Tensor, mask: torch.Tensor) -> None:
        self.nx = 2 * (k.shape[-1] - 1)
        self.factor = (-0.5j * k) * mask.to(k.dtype)

    def raw(self, u_hat: torch.Tensor) -> torch.Tensor:
        """The spectrum of ``u^2``, not dealiased: ``(batch, nk)`` complex -> ``(batch, nk)`` complex."""
        u = torch.fft.irfft(u_hat, n=self.nx)
        return torch.fft.rfft(u.square_())

    def __call__(self, u_hat: torch.Tensor) -> torch.Tensor:
        """``(batch, nk)`` complex -> ``(batch, nk)`` complex."""
        return self.factor * self.raw(u_hat)
