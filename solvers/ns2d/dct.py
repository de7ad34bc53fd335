"""Type-II discrete cosine transform and its exact inverse along the last axis, from real FFTs.

torch has no DCT, so we use Makhoul's reordering (IEEE TASSP 1980): for ``x`` of length ``N``,
``w = [x_0, x_2, x_4, ..., x_5, x_3, x_1]`` (even samples, then the odd ones reversed) has
``X_k = sum_n x_n cos(pi k (2n + 1) / (2N)) = Re(exp(-i pi k / 2N) W_k)`` with ``W = fft(w)``.
As ``w`` is real, ``rfft`` gives ``W_0..W_{N/2}`` and ``X_{N-k} = -Im(exp(-i pi k / 2N) W_k)``
supplies the rest. Unnormalised (no factor 2), so :func:`idct` is the exact inverse of
:func:`dct` rather than a scaled DCT-III. Any dtype and device torch's FFT supports.
"""

from __future__ import annotations

import math

import torch


def _twiddle(n: int, like: torch.Tensor) -> torch.Tensor:
    k = torch.arange(n // 2 + 1, device=like.device, dtype=like.dtype)
    return torch.polar(torch.ones_like(k), -math.pi * k / (2 * n))


def dct(x: torch.Tensor) -> torch.Tensor:
    """``X_k = sum_n x_n cos(pi k (2n + 1) / 2N)`` along the last axis (real in, real out)."""
    n = x.shape[-1]
    w = torch.cat((x[..., ::2], x[..., 1::2].flip(-1)), dim=-1)
    z = torch.fft.rfft(w) * _twiddle(n, x)
    # X_k = Re z_k for k <= N/2, X_{N-k} = -Im z_k for 1 <= k < N - N/2
    upper = -z.imag[..., 1 : n - n // 2].flip(-1)
    return torch.cat((z.real, upper), dim=-1)


def idct(X: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`dct` along the last axis."""
    n = X.shape[-1]
    m = n // 2 + 1
    # W_k = exp(i pi k / 2N) (X_k - i X_{N-k}) for k = 0..N/2, with X_N = 0
    mirrored = torch.cat((torch.zeros_like(X[..., :1]), X[..., 1:].flip(-1)), dim=-1)[..., :m]
    z = torch.complex(X[..., :m], -mirrored) * _twiddle(n, X).conj()
    w = torch.fft.irfft(z, n=n)
    x = torch.empty_like(X)
    x[..., ::2] = w[..., : (n + 1) // 2]
    x[..., 1::2] = w[..., (n + 1) // 2 :].flip(-1)
    return x


def dct2(x: torch.Tensor) -> torch.Tensor:
    """:func:`dct` along the last two axes ``(..., y, x)``."""
    return dct(dct(x).transpose(-1, -2)).transpose(-1, -2)


def idct2(X: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`dct2`."""
    return idct(idct(X.transpose(-1, -2)).transpose(-1, -2))
