"""Diagnostics of rolled-out 2D smoke flows against the truth: relative L2 and VRMSE per field and frame
(:mod:`pdejepa.eval.metrics`), the divergence of the predicted velocity, the drift of the total smoke, the
plume's centre-of-mass height.

The fields are cell-centred on the solver's closed-box grid (:mod:`solvers.ns2d.mac`), laid out
``(..., y, x)`` with ``y`` pointing up (against gravity). The solver keeps the velocity on the faces and
stores each component at the cell centres as the mean of the two faces around it; its projection
makes the face (MAC) divergence of every cell vanish to round-off. The divergence here is taken at the
interior cell corners, from the four cells around each, and equals the mean of the MAC divergence of
those four cells: it is zero to round-off for every stored (projected) frame, so whatever a rollout
shows is the stepper's own. (Central differences of the centred field would not vanish: they smooth
the two components' MAC derivatives differently.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from solvers.ns2d import FIELDS as FLOW_FIELDS  # smoke, vx, vy: the order of a flow batch's fields
from .metrics import relative_l2, vrmse

SPACE = (-2, -1)  # the (y, x) dims of a flow batch


def corner_divergence(vx: torch.Tensor, vy: torch.Tensor, hx: float, hy: float) -> torch.Tensor:
    """``dvx/dx + dvy/dy`` at the interior cell corners of cell-centred ``vx``, ``vy`` ``(..., ny, nx)``
    (cell sizes ``hx``, ``hy``): ``(..., ny - 1, nx - 1)``, each the mean of the four cells' MAC divergence."""
    dx = vx[..., 1:] - vx[..., :-1]
    dy = vy[..., 1:, :] - vy[..., :-1, :]
    return (dx[..., 1:, :] + dx[..., :-1, :]) / (2 * hx) + (dy[..., :, 1:] + dy[..., :, :-1]) / (2 * hy)


def divergence_rms(vx: torch.Tensor, vy: torch.Tensor, hx: float, hy: float) -> torch.Tensor:
    """Root mean square of :func:`corner_divergence` over space: ``(..., ny, nx)`` -> ``(...)`` (1 / time)."""
    return corner_divergence(vx, vy, hx, hy).pow(2).mean((-2, -1)).sqrt()


def smoke_drift(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Relative drift of the total smoke, ``(sum pred - sum true) / sum true`` over space: ``(..., y, x)`` ->
    ``(...)`` (the cell area cancels)."""
    total = true.sum((-2, -1))
    return (pred.sum((-2, -1)) - total) / total


def centre_of_mass_height(smoke: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``sum s y / sum s`` of smoke ``s`` ``(..., ny, nx)`` with cell-centre heights ``y`` ``(ny,)``: ``(...)``."""
    return (smoke * y.to(smoke)[:, None]).sum((-2, -1)) / smoke.sum((-2, -1))


@dataclass(frozen=True)
class FlowDiagnostics:
    """The diagnostics of rollouts on the grid of cell centres ``x`` ``(nx,)``, ``y`` ``(ny,)`` (uniform).

    Called with a rollout and its truth ``(batch, time, 3, ny, nx)`` (fields :data:`FLOW_FIELDS`), returns
    per-sample ``(batch, time)`` tensors: ``rel_l2_FIELD``, ``vrmse_FIELD``, ``divergence_rms`` of the prediction and
    ``divergence_rms_truth``, ``smoke_drift`` (signed) and ``smoke_drift_abs``, ``com_height`` of the
    prediction, ``com_height_truth`` and ``com_height_error`` (absolute difference, length units).
    """

    x: tuple[float, ...]
    y: tuple[float, ...]

    def __call__(self, pred: torch.Tensor, true: torch.Tensor) -> dict[str, torch.Tensor]:
        if pred.shape != true.shape or pred.ndim != 5 or pred.shape[2] != len(FLOW_FIELDS):
            raise ValueError(
                f"need rollout and truth (batch, time, 3, y, x), got {tuple(pred.shape)}, {tuple(true.shape)}"
            )
        hx, hy = self.x[1] - self.x[0], self.y[1] - self.y[0]
        y = torch.tensor(self.y, dtype=torch.float64)
        pred, true = pred.double(), true.double()
        rel, scaled = relative_l2(pred, true, SPACE), vrmse(pred, true, SPACE)
        out = {f"rel_l2_{name}": rel[:, :, i] for i, name in enumerate(FLOW_FIELDS)}
        out |= {f"vrmse_{name}": scaled[:, :, i] for i, name in enumerate(FLOW_FIELDS)}
        out["divergence_rms"] = divergence_rms(pred[:, :, 1], pred[:, :, 2], hx, hy)
        out["divergence_rms_truth"] = divergence_rms(true[:, :, 1], true[:, :, 2], hx, hy)
        drift = smoke_drift(pred[:, :, 0], true[:, :, 0])
        out["smoke_drift"], out["smoke_drift_abs"] = drift, drift.abs()
        height, truth = centre_of_mass_height(pred[:, :, 0], y), centre_of_mass_height(true[:, :, 0], y)
        out["com_height"], out["com_height_truth"], out["com_height_error"] = height, truth, (height - truth).abs()
        return {name: value.float() for name, value in out.items()}
