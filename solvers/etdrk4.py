"""Fourth-order exponential time differencing Runge-Kutta (ETDRK4).

Cox & Matthews (2002), with the contour-integral evaluation of the phi-functions
of Kassam & Trefethen (2005), "Fourth-order time-stepping for stiff PDEs",
SIAM J. Sci. Comput. 26(4). Solves ``dv/dt = Lin * v + N(v)`` for a diagonal
linear operator ``Lin`` (one value per Fourier mode and, optionally, per sample).

Two implementations of the same scheme: :func:`etdrk4_step`, the reference (a literal
transcription), and :class:`FusedETDRK4`, the fast path of :func:`solvers.simulate` (its stage
updates numba loops on the CPU, torch operations elsewhere); the tests hold them to round-off
agreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import numpy as np
import torch

from . import etdrk4_kernels

Nonlinear = Callable[[torch.Tensor], torch.Tensor]


@runtime_checkable
class FactoredNonlinear(Protocol):
    """A nonlinear term ``N(v) = factor * raw(v)`` with a diagonal ``factor`` (e.g. ``-i k / 2`` for convection).

    ``factor``: ``(batch or 1, nk)`` complex; ``raw``: ``(batch, nk)`` complex in and out.
    :class:`FusedETDRK4` folds ``factor`` into its coefficients.
    """

    factor: torch.Tensor

    def raw(self, v: torch.Tensor) -> torch.Tensor: ...

    def __call__(self, v: torch.Tensor) -> torch.Tensor: ...


@dataclass(frozen=True)
class ETDRK4Coefficients:
    """Per-mode coefficients for one step size ``h``; each ``(batch or 1, nk)`` complex."""

    E: torch.Tensor  # exp(h Lin)
    E2: torch.Tensor  # exp(h Lin / 2)
    Q: torch.Tensor
    f1: torch.Tensor
    f2: torch.Tensor
    f3: torch.Tensor

    def to(self, dtype: torch.dtype) -> "ETDRK4Coefficients":
        """The coefficients cast to ``dtype`` (complex64 for the float32 mode)."""
        return ETDRK4Coefficients(*(getattr(self, name).to(dtype) for name in ("E", "E2", "Q", "f1", "f2", "f3")))


def etdrk4_coefficients(lin: torch.Tensor, h: float, n_contour: int = 64, radius: float = 1.0) -> ETDRK4Coefficients:
    """ETDRK4 coefficients by averaging over a circle of ``n_contour`` points around each ``h * Lin``.

    For complex ``Lin`` (dispersive equations such as KdV) the full circle keeps the
    coefficients exact. For real ``Lin`` the points come in conjugate pairs whose values are
    conjugate, so the mean is the real part of the mean over the upper half, as in Kassam &
    Trefethen's code: half the work, and exactly real coefficients (returned as complex).

    Args:
        lin: linear operator eigenvalues, ``(batch or 1, nk)``, real or complex.
        h: step size (> 0).
    """
    half = not lin.is_complex() and n_contour % 2 == 0  # an odd circle has a point at -1: keep it whole
    hl = h * lin.to(torch.complex128)
    theta = 2 * math.pi * (torch.arange(n_contour, dtype=torch.float64) + 0.5) / n_contour
    if half:
        theta = theta[: n_contour // 2]
    sums = {name: torch.zeros_like(hl) for name in ("Q", "f1", "f2", "f3")}
    for r in (radius * torch.exp(1j * theta)).tolist():  # point by point: memory stays (batch, nk)
        z = hl + r
        ez2 = torch.exp(z / 2)
        ez = ez2 * ez2
        iz = 1 / z
        iz3 = iz * iz * iz
        sums["Q"] += (ez2 - 1) * iz
        sums["f1"] += (-4 - z + ez * (4 - 3 * z + z * z)) * iz3
        sums["f2"] += (2 + z + ez * (z - 2)) * iz3
        sums["f3"] += (-4 - 3 * z - z * z + ez * (4 - z)) * iz3
    out = {name: h * (s.real.to(s.dtype) if half else s) / len(theta) for name, s in sums.items()}
    return ETDRK4Coefficients(E=torch.exp(hl), E2=torch.exp(hl / 2), **out)


def etdrk4_step(v: torch.Tensor, c: ETDRK4Coefficients, nonlinear: Nonlinear | None) -> torch.Tensor:
    """Advance the spectrum ``v`` of shape ``(batch, nk)`` by one step (exactly, if ``nonlinear`` is None)."""
    if nonlinear is None:
        return c.E * v
    # the same arithmetic as Cox & Matthews' scheme, with in-place updates to spare allocations
    nv = nonlinear(v)
    e2v = c.E2 * v
    a = torch.addcmul(e2v, c.Q, nv)
    na = nonlinear(a)
    b = torch.addcmul(e2v, c.Q, na)
    nb = nonlinear(b)
    cc = c.E2 * a
    cc.addcmul_(c.Q, nb.mul_(2).sub_(nv))  # nb now holds 2 nb - nv
    nc = nonlinear(cc)
    nb.add_(nv).mul_(0.5).add_(na)  # back to nb, plus na
    out = c.E * v
    out.addcmul_(c.f1, nv).addcmul_(c.f2, nb, value=2).addcmul_(c.f3, nc)
    return out


class FusedETDRK4:
    """ETDRK4 with fused, allocation-free stage updates: the scheme of :func:`etdrk4_step`, rearranged.

    * A :class:`FactoredNonlinear` ``N = D * W`` has ``D`` folded into the coefficients
      (``Q D``, ``f1 D``, ``2 f2 D``, ``f3 D``, computed in complex128): one pass fewer per stage.
    * Only the first ``modes`` modes are updated: the dealiased spectrum is zero above them, and the
      stage buffers keep that zero tail, so the inverse FFTs need no padding.
    * Every stage writes into buffers allocated once per batch shape (``out=``, in place); a step
      allocates only its FFTs' outputs, since a fresh half-megabyte tensor per operation can cost page
      faults, depending on the allocator's state.
    * On the CPU the stage updates run as three numba loops (:mod:`solvers.etdrk4_kernels`),
      one pass over the modes per stage instead of one per operation. Elsewhere (a GPU) they are
      torch operations.

    Args:
        c: coefficients of :func:`etdrk4_coefficients`, each ``(batch or 1, nk)``.
        nonlinear: ``N``, or None for a linear equation (then a step is exact).
        modes: number of retained modes ``m <= nk`` (a prefix of the spectrum; the rest is zero).
        dtype: complex dtype of the spectra: complex128, or complex64 in the float32 mode.
        numba: update the stages with the numba loops (CPU tensors only) or with torch operations
            (any device; what ``torch.compile`` can trace); default: numba on the CPU. The two agree
            to round-off.
    """

    def __init__(
        self,
        c: ETDRK4Coefficients,
        nonlinear: Nonlinear | None,
        modes: int,
        dtype: torch.dtype,
        *,
        numba: bool | None = None,
    ) -> None:
        folded = isinstance(nonlinear, FactoredNonlinear)
        self.nonlinear = nonlinear.raw if folded else nonlinear
        d = nonlinear.factor.to(torch.complex128) if folded else 1.0
        self.modes = modes

        def cut(t: torch.Tensor) -> torch.Tensor:
            return t[..., :modes].to(dtype).contiguous()

        self.E, self.E2 = cut(c.E), cut(c.E2)
        self.Q, self.f1, self.f2, self.f3 = cut(c.Q * d), cut(c.f1 * d), cut(2 * c.f2 * d), cut(c.f3 * d)
        self.numba = self.E.device.type == "cpu" if numba is None else numba
        if self.numba and self.E.device.type != "cpu":
            raise ValueError(f"numba=True needs CPU tensors; the coefficients are on {self.E.device}")
        self._buffers: tuple[torch.Tensor, ...] = ()
        self._stage_arrays: tuple[np.ndarray, ...] = ()  # numpy views of the stage buffers, for the loops
        coefficients = (self.E, self.E2, self.Q, self.f1, self.f2, self.f3)
        self._coefficient_arrays = tuple(t.numpy() for t in coefficients) if self.numba else ()

    def _workspace(self, v: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Stage buffers ``a, b, c`` (``(batch, nk)``, zero tails) and ``E2 v`` (``(batch, modes)``)."""
        if not self._buffers or self._buffers[0].shape != v.shape or self._buffers[0].device != v.device:
            if self.E.shape[0] not in (1, v.shape[0]):
                rows = self.E.shape[0]
                raise ValueError(f"v has {v.shape[0]} rows; the coefficients have {rows} (allowed: 1 or as many)")
            stages = [torch.zeros_like(v) for _ in range(3)]
            self._buffers = (*stages, torch.empty_like(v[..., : self.modes]))
            self._stage_arrays = tuple(t.numpy() for t in stages) if self.numba else ()
        return self._buffers

    def step(self, v: torch.Tensor) -> torch.Tensor:
        """Advance ``v`` (``(batch, nk)``, zero above ``modes``) by one step, in place; returns ``v``."""
        if self.nonlinear is None:
            v[..., : self.modes].mul_(self.E)
            return v
        return self._step_numba(v) if self.numba else self._step_torch(v)

    def _step_numba(self, v: torch.Tensor) -> torch.Tensor:
        """:meth:`step` with the stage updates in three numba loops (:mod:`solvers.etdrk4_kernels`)."""
        N = self.nonlinear
        a, b, c, _ = self._workspace(v)
        an, bn, cn = self._stage_arrays
        E, E2, Q, f1, f2, f3 = self._coefficient_arrays
        vn = v.numpy()
        nv = N(v).numpy()
        etdrk4_kernels.stage_a(vn, E2, Q, nv, an)
        na = N(a).numpy()
        etdrk4_kernels.stage_a(vn, E2, Q, na, bn)  # b = E2 v + Q na: stage a's update on other inputs
        nb = N(b).numpy()
        etdrk4_kernels.stage_c(an, E2, Q, nb, nv, cn)
        nc = N(c).numpy()
        etdrk4_kernels.stage_out(vn, E, f1, f2, f3, nv, na, nb, nc)
        return v

    def _step_torch(self, v: torch.Tensor) -> torch.Tensor:
        """:meth:`step` in torch operations (any device; what ``torch.compile`` traces)."""
        m, N = self.modes, self.nonlinear
        vm = v[..., :m]
        a, b, c, e2v = self._workspace(v)
        am, bm, cm = a[..., :m], b[..., :m], c[..., :m]
        nv = N(v)[..., :m]
        torch.mul(self.E2, vm, out=e2v)
        torch.addcmul(e2v, self.Q, nv, out=am)
        na = N(a)[..., :m]
        torch.addcmul(e2v, self.Q, na, out=bm)
        nb = N(b)[..., :m]
        torch.mul(self.E2, am, out=cm)
        cm.addcmul_(self.Q, nb, value=2).addcmul_(self.Q, nv, value=-1)
        nc = N(c)[..., :m]
        na.add_(nb)
        vm.mul_(self.E).addcmul_(self.f1, nv).addcmul_(self.f2, na).addcmul_(self.f3, nc)
        return v
