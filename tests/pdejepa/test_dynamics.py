"""Self-supervision by the dynamics: the coarsening, the FiLM stepper, the drawn steps, and the job end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import pdejepa
from pdejepa.models import FiLMConvNet
from pdejepa.methods import DynamicsPretraining
from pdejepa.data.restrict import coarsen

from .resume import assert_resume_matches
from .tiny import QUICK_REGRESS, SMOKE_DATA

ROOT = Path(__file__).resolve().parents[2]
SMOKE = [
    *SMOKE_DATA,
    "pretrain.method=dynamics",
    "pretrain.window=[2]",
    "pretrain.width=4",
    "pretrain.dynamics={code: 4, hidden: 8, blocks: 1, pool: 2, pairs: 2}",
    "pretrain.epochs=2",
    "pretrain.batch_size=4",
    "pretrain.accelerator=cpu",
    *QUICK_REGRESS,
]


def test_coarsen_averages_blocks():
    u = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).view(2, 3, 4, 6)
    c = coarsen(u, 2)
    assert c.shape == (2, 3, 2, 3)
    torch.testing.assert_close(c[1, 2, 1, 0], u[1, 2, 2:4, 0:2].mean())
    torch.testing.assert_close(coarsen(u[:, :, 0], 3)[0, 1], u[0, 1, 0].view(2, 3).mean(1))
    assert coarsen(u, 1) is u


@pytest.mark.parametrize("space", [(16,), (8, 12)])
def test_the_stepper_is_modulated_per_sample(space):
    torch.manual_seed(0)
    net = FiLMConvNet(fields=3, code=4, hidden=8, blocks=2, dims=len(space))
    torch.nn.init.normal_(net.film.weight)
    u = torch.randn(1, 3, *space).expand(2, -1, *space)
    z = torch.randn(2, 4)
    out = net(u, z)
    assert out.shape == (2, 3, *space)
    assert not torch.allclose(out[0], out[1])  # same state, other code: another prediction
    torch.testing.assert_close(net(u, z[:1].expand(2, -1))[1], out[0])  # same code: the same prediction
    with pytest.raises(ValueError, match="need u"):
        net(u[..., 0] if len(space) == 2 else u[:, :, None], z)


def test_drawn_steps_are_changes_over_one_stored_step_and_depend_only_on_the_sample():
    u = torch.randn(3, 5, 3, 8, 8, dtype=torch.float32)
    grid = {"x": [float(i) for i in range(8)], "y": [float(i) for i in range(8)]}
    module = DynamicsPretraining(
        views={"equation": "ns-buoyancy", "strengths": {}, "window": (2,), "grid": grid},
        scales=((1.0, 2.0, 4.0), (0.5, 1.0, 2.0)),
        width=4,
        code=2,
        hidden=4,
        blocks=1,
        pool=2,
        pairs=3,
    )
    batch = {"u": u, "id": torch.tensor([10, 11, 12])}
    now, change = module.steps(batch, seed=7)
    assert now.shape == change.shape == (9, 3, 4, 4)
    scale_now, scale_change = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([0.5, 1.0, 2.0])
    raw_now, raw_change = now * scale_now.view(1, 3, 1, 1), change * scale_change.view(1, 3, 1, 1)
    for row in range(9):  # each drawn state is a coarsened stored frame, each change the next frame minus it
        sample = u[row // 3]
        frames = coarsen(sample, 2)  # (time, fields, 4, 4)
        t = next(k for k in range(4) if torch.allclose(frames[k], raw_now[row]))
        torch.testing.assert_close(frames[t + 1] - frames[t], raw_change[row])
    alone, _ = module.steps({"u": u[1:2], "id": torch.tensor([11])}, seed=7)
    torch.testing.assert_close(alone, now[3:6])  # the same draws in a batch of one


def test_dynamics_pretraining_then_regression_on_2d_smoke(tmp_path):
    cfg = pdejepa.configure(ROOT / "configs" / "ns_vicreg.yaml", [f"data.dir={tmp_path / 'data'}", *SMOKE])
    ckpt = pdejepa.pretrain(cfg, tmp_path / "pre", progress=False)
    rows = pdejepa.regress(cfg, ckpt, tmp_path / "reg", progress=False)
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}
    assert all(r["nmse"] >= 0 for r in rows)


def test_an_interrupted_dynamics_run_resumes_into_the_same_weights(tmp_path, monkeypatch):
    cfg = pdejepa.configure(ROOT / "configs" / "ns_vicreg.yaml", [f"data.dir={tmp_path / 'data'}", *SMOKE])
    assert_resume_matches(cfg, DynamicsPretraining, tmp_path, monkeypatch)


def test_the_committed_smoke_recipe_is_the_dynamics_objective():
    cfg = pdejepa.configure(ROOT / "configs" / "ns_dynamics.yaml")
    assert cfg.pretrain.method == "dynamics" and cfg.data.equation == "ns-buoyancy" and cfg.data.label == "buoyancy"
    assert cfg.pretrain.dynamics.code == 16 and cfg.pretrain.strengths == {}
