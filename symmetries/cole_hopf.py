"""Burgers' symmetries beyond its point symmetries, through the Cole-Hopf map to the heat equation.

``u = -2 nu phi_x / phi`` maps positive solutions of ``phi_t = nu phi_xx`` to solutions of
``u_t + u u_x = nu u_xx``. Adding a heat solution ``h`` to ``phi`` (the heat equation's
superposition family) therefore maps a Burgers solution ``u`` to another one,

    u' = (phi u - 2 nu eps h_x) / (phi + eps h),

pointwise, with ``phi = exp(-psi / (2 nu))`` from the potential ``psi`` (``psi_x = u``). On a
periodic domain ``u`` must have zero mean for ``phi`` to be periodic. The potential's
spatial mean obeys ``m'(t) = -mean(u^2) / 2``; it is integrated over the stored frames with
the corrected trapezoidal rule (fourth order), using ``d/dt mean(u^2) = -2 nu mean(u_x^2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .superposition import Superposition
from .transforms import GridTrajectories, NotASymmetryError


def potential(data: GridTrajectories) -> torch.Tensor:
    """``psi`` with ``psi_x = u`` and ``psi_t = nu psi_xx - psi_x^2 / 2`` exactly, ``(batch, nt, nx)``."""
    u = data.u
    nx = u.shape[-1]
    k = data.wavenumbers()[:, None, :]
    spectrum = torch.fft.rfft(u)
    mean = spectrum[..., 0].real / nx
    if (mean.abs() > 1e-8 * u.abs().amax(dim=(1, 2))[:, None]).any():
        raise NotASymmetryError("Cole-Hopf on a periodic domain needs zero-mean u (phi would not be periodic)")
    safe_k = torch.where(k == 0, torch.ones_like(k), k)
    anti = torch.fft.irfft(torch.where(k == 0, torch.zeros_like(spectrum), spectrum / (1j * safe_k)), n=nx)
    nu = data.params["nu"].to(u)[:, None]
    energy = u.pow(2).mean(dim=-1)  # (batch, nt)
    dissipation = torch.fft.irfft(1j * k * spectrum, n=nx).pow(2).mean(dim=-1)
    rate, drate = -energy / 2, nu * dissipation  # m' and m''
    h = data.dt.to(u)[:, None]
    steps = h / 2 * (rate[:, 1:] + rate[:, :-1]) + h**2 / 12 * (drate[:, :-1] - drate[:, 1:])
    m = torch.cat([torch.zeros_like(rate[:, :1]), steps.cumsum(dim=1)], dim=1)
    return anti + m[..., None]


@dataclass
class ColeHopfSuperposition:
    """Burgers ``u -> u'`` induced by ``phi -> phi + eps * s * h`` for a random heat solution ``h``.

    ``s`` is each sample's smallest ``phi`` and ``|h| <= 1`` is ensured, so ``|eps| < 1`` keeps
    ``phi`` positive and the map defined.
    """

    heat_family: Superposition
    respects = frozenset({"periodic", "unbounded"})
    name: str = "cole_hopf_superposition"

    @property
    def n_draws(self) -> int:
        return self.heat_family.n_draws

    def __call__(self, data: GridTrajectories, epsilon: torch.Tensor, draws: torch.Tensor) -> GridTrajectories:
        if data.boundary not in self.respects:
            raise NotASymmetryError(f"{self.name} respects only {sorted(self.respects)}, not {data.boundary}")
        if (epsilon.abs() >= 1).any():
            raise NotASymmetryError(
                f"{self.name}: |epsilon| must be < 1 to keep phi positive, got max {epsilon.abs().max().item():.3g}"
            )
        nu = data.params["nu"].to(data.u)
        log_phi = -potential(data) / (2 * nu[:, None, None])
        log_phi = log_phi - log_phi.amin(
            dim=(1, 2), keepdim=True
        )  # phi / min(phi): a constant factor, still a heat solution
        phi = torch.exp(log_phi)
        heat = self.heat_family.solution(data, draws)
        heat = heat / heat.abs().amax(dim=(1, 2), keepdim=True).clamp_min(1e-300)
        k = data.wavenumbers()[:, None, :]
        heat_x = torch.fft.irfft(1j * k * torch.fft.rfft(heat), n=data.u.shape[-1])
        e = epsilon.to(data.u)[:, None, None]
        new = (phi * data.u - 2 * nu[:, None, None] * e * heat_x) / (phi + e * heat)
        return replace(data, u=new)
