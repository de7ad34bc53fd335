"""Batched time integration of a 1D equation with ETDRK4, with resolution and blow-up checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .equations import Equation
from .etdrk4 import ETDRK4Coefficients, etdrk4_coefficients, etdrk4_step
from .spectral import dealias_mask, tail_ratio, wavenumbers


@dataclass
class Trajectories:
    """Result of :func:`simulate` for a batch.

    u: ``(batch, nt, nx)`` solution at the output times (float64 unless asked otherwise).
    tail: ``(batch,)`` largest :func:`~solvers.spectral.tail_ratio` over the stored frames.
    finite: ``(batch,)`` False where the trajectory went non-finite or blew up.
    """

    u: torch.Tensor
    tail: torch.Tensor
    finite: torch.Tensor


def substeps(interval: float, dt: float) -> tuple[int, float]:
    """Split an output interval into the fewest equal steps no longer than ``dt``."""
    n = max(1, math.ceil(interval / dt - 1e-9))
    return n, interval / n


def simulate(
    equation: Equation,
    u0: torch.Tensor,
    params: dict[str, torch.Tensor],
    times: torch.Tensor,
    dt: float,
    blowup_factor: float = 1e3,
) -> Trajectories:
    """Integrate ``u_t = Lin u + N(u)`` from ``u0`` at ``t = 0`` and sample it at ``times``.

    Args:
        equation: one of :data:`solvers.equations.EQUATIONS`.
        u0: ``(batch, nx)`` initial fields on the periodic grid ``x_j = j L / nx``.
        params: every parameter of ``equation`` (``L`` included), each ``(batch,)``.
        times: ``(nt,)`` increasing output times ``>= 0``; a time of 0 stores ``u0``.
        dt: largest internal step; each output interval is split into equal steps.
        blowup_factor: a trajectory whose ``max |u|`` exceeds this factor times
            ``max(1, max |u0|)`` counts as blown up.
    Returns:
        :class:`Trajectories`; rows that blew up are zeroed after the fact and flagged.
    """
    batch, nx = u0.shape
    device, dtype = u0.device, u0.dtype
    p = {name: value.to(device=device, dtype=dtype).reshape(-1, 1) for name, value in params.items()}
    k = wavenumbers(nx, p["L"][:, 0])
    mask = dealias_mask(nx, device)
    lin = equation.linear(k, p)
    nonlinear = equation.nonlinear(k, mask, p)

    v = torch.fft.rfft(u0) * mask
    bound = blowup_factor * u0.abs().amax(dim=-1).clamp_min(1.0)
    out = torch.empty(batch, len(times), nx, device=device, dtype=dtype)
    tail = torch.zeros(batch, device=device, dtype=dtype)
    finite = torch.ones(batch, device=device, dtype=torch.bool)
    coefficients: dict[float, ETDRK4Coefficients] = {}
    t = 0.0
    for i, t_out in enumerate(times.tolist()):
        n, h = substeps(t_out - t, dt) if t_out > t else (0, 0.0)
        if n:
            c = coefficients.get(round(h, 12))
            if c is None:
                c = coefficients[round(h, 12)] = etdrk4_coefficients(lin, h)
            for _ in range(n):
                v = etdrk4_step(v, c, nonlinear)
        t = t_out
        u = torch.fft.irfft(v, n=nx)
        ok = torch.isfinite(u).all(dim=-1) & (u.abs().amax(dim=-1) <= bound)
        if not bool(ok.all()):
            # rows are independent in a spectral method: silence the bad ones and carry on
            finite &= ok
            v = torch.where(ok[:, None], v, torch.zeros_like(v))
            u = torch.where(ok[:, None], u, torch.zeros_like(u))
        out[:, i] = u
        tail = torch.maximum(tail, tail_ratio(v))
    return Trajectories(u=out, tail=tail, finite=finite)
