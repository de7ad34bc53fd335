"""Diagnostics of rolled-out smoke flows: divergence on the solver's grid, smoke drift, plume height, relative L2."""

from __future__ import annotations

import pytest
import torch

from pdejepa.data.restrict import faces_from_centres, restrict_flow
from pdejepa.eval.flows import (
    FlowDiagnostics,
    centre_of_mass_height,
    corner_divergence,
    divergence_rms,
    smoke_drift,
)
from pdejepa.eval.metrics import relative_l2
from solvers.ns2d import MACGrid, PressureProjection, Velocity
from solvers.ns2d.mac import centred


def random_velocity(grid: MACGrid, seed: int = 0) -> Velocity:
    g = torch.Generator().manual_seed(seed)
    return Velocity(
        torch.randn(2, grid.ny, grid.nx - 1, generator=g, dtype=torch.float64),
        torch.randn(2, grid.ny - 1, grid.nx, generator=g, dtype=torch.float64),
    )


def test_a_field_projected_by_the_solver_has_zero_divergence_and_a_raw_one_does_not():
    grid = MACGrid(nx=24, ny=16, Lx=32.0, Ly=20.0)  # unequal cells: hx = 4/3, hy = 5/4
    raw = random_velocity(grid)
    projected, _ = PressureProjection(grid)(raw)
    vx, vy = centred(projected)  # what the dataset stores: each component at the cell centres
    div = corner_divergence(vx, vy, grid.hx, grid.hy)
    assert div.shape == (2, grid.ny - 1, grid.nx - 1)
    assert float(div.abs().max()) < 1e-12 * float(vx.abs().max() / grid.hx)
    assert float(divergence_rms(*centred(raw), grid.hx, grid.hy).min()) > 0.1  # not solenoidal: O(1) per cell


def test_corner_divergence_of_a_linear_field_is_its_analytic_divergence():
    y, x = torch.meshgrid(torch.arange(5.0) * 0.5, torch.arange(7.0) * 2.0, indexing="ij")
    div = corner_divergence(3 * x + y, -0.5 * y + x, hx=2.0, hy=0.5)  # d(3x + y)/dx + d(x - y/2)/dy = 2.5
    torch.testing.assert_close(div, torch.full((4, 6), 2.5))


def test_smoke_drift_is_exact_on_a_hand_made_pair():
    true = torch.zeros(3, 4, 5)
    true[:, 1:3, 1:4] = 2.0  # 6 cells of 2: total 12 per frame
    pred = true.clone()
    pred[0, 0, 0] += 3.0  # frame 0: 15 / 12 - 1
    pred[2] *= 0.5  # frame 2: half the smoke
    torch.testing.assert_close(smoke_drift(pred, true), torch.tensor([0.25, 0.0, -0.5]))


def test_centre_of_mass_height_of_hand_made_blobs():
    y = torch.tensor([0.5, 1.5, 2.5, 3.5])
    smoke = torch.zeros(2, 4, 3)
    smoke[0, 2, :] = 1.0  # one row at height 2.5
    smoke[1, 0, 1], smoke[1, 3, 2] = 3.0, 1.0  # (3 * 0.5 + 1 * 3.5) / 4
    torch.testing.assert_close(centre_of_mass_height(smoke, y), torch.tensor([2.5, 1.25]))


def test_relative_l2_per_field_and_frame_and_the_diagnostics_together():
    g = torch.Generator().manual_seed(0)
    true = torch.randn(2, 3, 3, 4, 6, generator=g)
    true[:, :, 0] = true[:, :, 0].abs() + 0.1  # positive smoke
    pred = true.clone()
    pred[1, 2, 1] *= 1.5  # vx of sample 1, frame 2: error 0.5 u, relative 0.25
    rel = relative_l2(pred, true, dims=(-2, -1))
    assert rel.shape == (2, 3, 3)
    expected = torch.zeros(2, 3, 3)
    expected[1, 2, 1] = 0.25
    torch.testing.assert_close(rel, expected)
    centres = tuple(0.5 + k for k in range(6))
    out = FlowDiagnostics(x=centres, y=centres[:4])(pred, true)
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        k: (2, 3)
        for k in (
            "rel_l2_smoke",
            "rel_l2_vx",
            "rel_l2_vy",
            "vrmse_smoke",
            "vrmse_vx",
            "vrmse_vy",
            "divergence_rms",
            "divergence_rms_truth",
            "smoke_drift",
            "smoke_drift_abs",
            "com_height",
            "com_height_truth",
            "com_height_error",
        )
    }
    torch.testing.assert_close(out["rel_l2_vx"], expected[..., 1])
    torch.testing.assert_close(out["com_height_error"], torch.zeros(2, 3))
    with pytest.raises(ValueError, match="batch, time, 3, y, x"):
        FlowDiagnostics(x=(0.5, 1.5), y=(0.5, 1.5))(pred[:, :, :2], true[:, :, :2])


@pytest.mark.parametrize("pool", [2, 4])
def test_a_projected_flow_restricted_to_larger_cells_stays_divergence_free(pool):
    grid = MACGrid(nx=24, ny=16, Lx=32.0, Ly=20.0)
    projected, _ = PressureProjection(grid)(random_velocity(grid, seed=1))
    vx, vy = centred(projected)
    torch.testing.assert_close(faces_from_centres(vx)[..., 1:-1], projected.u)  # the solver's faces, recovered
    smoke = torch.rand(2, grid.ny, grid.nx, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    coarse = restrict_flow(torch.stack([smoke, vx, vy], 1)[:, None], pool)[:, 0]  # (batch, time = 1, 3, y, x)
    assert coarse.shape == (2, 3, grid.ny // pool, grid.nx // pool)
    assert float(divergence_rms(coarse[:, 1], coarse[:, 2], grid.hx * pool, grid.hy * pool).max()) < 1e-13
    torch.testing.assert_close(coarse[:, 0].sum((-2, -1)) * pool**2, smoke.sum((-2, -1)))  # smoke kept
    block = torch.nn.functional.avg_pool2d(torch.stack([vx, vy], 1), pool)  # plain block means are not solenoidal
    assert float(divergence_rms(block[:, 0], block[:, 1], grid.hx * pool, grid.hy * pool).min()) > 1e-3
