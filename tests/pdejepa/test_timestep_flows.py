"""Time-stepping 2D smoke flows: the multi-field stepper's shapes and conditioning, and the job from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pdejepa.cli import main
from pdejepa.steppers import ConditionedFNO

from .tiny import SMOKE_DATA

ROOT = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("history, horizon", [(1, 4), (2, 3)])
def test_the_2d_stepper_maps_history_frames_of_three_fields_to_horizon_frames(history, horizon):
    torch.manual_seed(0)
    model = ConditionedFNO((4, 4), history, horizon, hidden=4, n_layers=1, fields=3, conditioning="film", cond_dim=2)
    x, z = torch.randn(2, history * 3, 8, 12), torch.randn(2, 2)
    assert model(x, z).shape == (2, horizon * 3, 8, 12)  # fields side by side within each frame
    roll = model.rollout(x.unflatten(1, (history, 3)), 7, z)
    assert roll.shape == (2, 7, 3, 8, 12)
    torch.testing.assert_close(roll[:, :horizon].flatten(1, 2), model(x, z))  # the first call, frame by frame
    with pytest.raises(ValueError, match="history=.*fields=3"):
        model.rollout(x, 7, z)


@pytest.mark.parametrize("conditioning", ["film", "channels"])
@pytest.mark.parametrize("code_dims", [None, 1])
def test_2d_conditioning_changes_the_output_per_sample(conditioning, code_dims):
    torch.manual_seed(0)
    model = ConditionedFNO(
        (4, 4), 1, 2, hidden=4, n_layers=2, conditioning=conditioning, cond_dim=3, fields=3, code_dims=code_dims
    )
    if conditioning == "film":  # zero-initialised: the identity until trained
        torch.nn.init.normal_(model.film.map.weight)
    x = torch.randn(1, 3, 8, 8).expand(2, -1, -1, -1)  # the same state twice
    z = torch.tensor([[1.0, 0.0, -1.0], [-1.0, 2.0, 0.5]])
    out = model(x, z)
    assert out.shape == (2, 6, 8, 8)
    assert (out[0] - out[1]).abs().max() > 1e-3  # other code, other prediction
    torch.testing.assert_close(model(x, z[[1, 1]])[0], out[1])  # same code, same prediction
    with pytest.raises(ValueError, match="code_dims must be in"):
        ConditionedFNO((4, 4), 1, 2, conditioning=conditioning, cond_dim=3, code_dims=4)


def test_timestep_job_on_tiny_smoke_from_the_cli(tmp_path, capsys):
    data = [*SMOKE_DATA, f"data.dir={tmp_path / 'data'}"]
    pretraining = [
        "pretrain.window=[2]",
        "pretrain.width=4",
        "pretrain.dynamics={code: 4, hidden: 8, blocks: 1, pool: 2, pairs: 2}",
        "pretrain.epochs=1",
        "pretrain.batch_size=4",
        "pretrain.accelerator=cpu",
    ]
    pre = ["pretrain", "--config", str(ROOT / "configs" / "ns_dynamics.yaml"), "--out", str(tmp_path / "pre")]
    assert main([*pre, "--no-progress", "--set", *data, *pretraining]) == 0
    stepping = [
        "timestep.horizon=2",
        "timestep.modes=2",
        "timestep.hidden=4",
        "timestep.layers=1",
        "timestep.steps=2",
        "timestep.batch_size=4",
        "timestep.seeds=[0]",
        "timestep.workers=1",  # in turn, here (the Burgers end-to-end test trains side by side)
        "timestep.code_noise=0.1",
        "timestep.code_window=other",
        "timestep.code_dims=2",  # principal components of the tiny encoder's 4-d code (the config keeps 8)
    ]
    args = [
        "timestep",
        "--config",
        str(ROOT / "configs" / "ns_timestep.yaml"),
        "--ckpt",
        str(tmp_path / "pre" / "last.ckpt"),
    ]
    out = tmp_path / "ts"
    assert main([*args, "--out", str(out), "--no-progress", "--set", *data, *pretraining, *stepping]) == 0
    printed = capsys.readouterr().out
    assert "relative L2 smoke" in printed and "VRMSE vy" in printed and "closes" in printed
    assert "filmstrip_smoke.png" in printed and "rollout_error.png" in printed
    rows = json.loads((out / "timestep.json").read_text())
    assert [r["variant"] for r in rows] == ["none", "ssl", "oracle"]
    stepped = 6 - 2 - 1  # frames after the context window, less the history frame
    for r in rows:
        assert len(r["rollout_rel_l2"]) == len(r["vrmse_vy"]) == len(r["com_height_error"]) == stepped
        assert r["one_step_rel_l2"] > 0 and all(d > 0 for d in r["divergence_rms"])
        assert max(r["divergence_rms_truth"]) < 1e-4 * max(r["divergence_rms"])  # the stored flow is solenoidal
    assert "CoM height error" in (out / "timestep.md").read_text()
    for field in ("smoke", "vx", "vy"):
        assert (out / f"filmstrip_{field}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
