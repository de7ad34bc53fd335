"""The JEPA world model: its clips and code window, its predictor, and a pretraining on smoke and on 1D fields
with each anti-collapse term, resumed exactly and used by the downstream jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import pdejepa
from pdejepa.cli import main
from pdejepa.methods import WorldModelPretraining
from pdejepa.data.clips import clip_starts, cut_clips
from pdejepa.models import LatentPredictor

from .resume import assert_resume_matches
from .tiny import QUICK_REGRESS, SMOKE_DATA, TINY

ROOT = Path(__file__).resolve().parents[2]
WORLD = [
    "pretrain.method=world",
    "pretrain.width=4",
    "pretrain.epochs=2",
    "pretrain.batch_size=4",
    "pretrain.accelerator=cpu",
    "pretrain.world={latent: 8, code: 4, horizon: 2, stride: 1, hidden: 16, depth: 1, slices: 16}",
]
NS = ["--config", str(ROOT / "configs" / "ns_dynamics.yaml")]
SMOKE = [*SMOKE_DATA, "data.simulation={nx: 16, ny: 16, nt: 8, skip_nt: 0}", "pretrain.window=[2]", *WORLD]


def test_targets_follow_the_context_and_the_code_window_ends_with_it_at_the_latest():
    frames, clip, horizon, stride = 20, 3, 3, 2
    draws = torch.rand(4000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    starts, code = clip_starts(draws, frames, clip, horizon, stride)
    assert starts.shape == (4000, 4) and torch.equal(starts[:, 1:] - starts[:, :-1], torch.full((4000, 3), stride))
    assert starts.min() == 0 and starts[:, -1].max() == frames - clip  # every placement is reached
    assert bool((code <= starts[:, 0]).all()) and code.min() == 0  # from the past and the present only
    assert (code == starts[:, 0]).any() and (code < starts[:, 0]).any()
    with pytest.raises(ValueError, match=r"need 12 frames; the trajectories hold 10"):
        clip_starts(draws, 10, clip, horizon, stride=3)


def test_a_longer_code_window_ends_with_the_context_at_the_latest():
    frames, clip, horizon, stride, window = 24, 1, 3, 2, 8
    draws = torch.rand(4000, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    starts, code = clip_starts(draws, frames, clip, horizon, stride, window)
    assert bool((code + window - 1 <= starts[:, 0]).all()) and starts[:, 0].min() == window - 1
    assert code.min() == 0 and starts[:, -1].max() == frames - 1
    with pytest.raises(ValueError, match=r"after a code window of 8 frames, need 14 frames; the trajectories hold 12"):
        clip_starts(draws, 12, clip, horizon, stride, window)


def test_a_code_window_from_anywhere_covers_the_trajectory_and_the_context_starts_at_the_first_frame():
    frames, clip, horizon, stride, window = 24, 1, 3, 2, 8
    draws = torch.rand(4000, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    starts, code = clip_starts(draws, frames, clip, horizon, stride, window, code_from="anywhere")
    assert starts[:, 0].min() == 0 and starts[:, -1].max() == frames - 1
    assert code.min() == 0 and code.max() == frames - window
    assert (code > starts[:, -1]).any() and (code + window - 1 < starts[:, 0]).any()  # after the targets, and before
    with pytest.raises(ValueError, match=r"code_from must be one of \['past', 'anywhere'\], got 'future'"):
        clip_starts(draws, frames, clip, horizon, stride, window, code_from="future")
    with pytest.raises(ValueError, match=r"a code window of 8 frames needs 8 frames; the trajectories hold 7"):
        clip_starts(draws, 7, clip, horizon, stride, window, code_from="anywhere")


def test_clips_keep_their_samples_id_and_time():
    u = torch.arange(2 * 6 * 1 * 5, dtype=torch.float32).view(2, 6, 1, 5)
    batch = {
        "u": u,
        "t0": torch.tensor([0.0, 1.0], dtype=torch.float64),
        "dt": torch.tensor([0.5, 0.5], dtype=torch.float64),
        "L": torch.tensor([1.0, 2.0], dtype=torch.float64),
        "id": torch.tensor([7, 9]),
        "labels": torch.tensor([[0.1], [0.2]]),
    }
    clips = cut_clips(batch, torch.tensor([[0, 2], [1, 3]]), clip=3)
    assert clips["u"].shape == (4, 3, 1, 5) and torch.equal(clips["u"][3], u[1, 3:6])
    assert clips["id"].tolist() == [7, 7, 9, 9] and clips["t0"].tolist() == [0.0, 1.0, 1.5, 2.5]


def test_the_predictor_starts_as_the_identity_and_rolls_out():
    predictor = LatentPredictor(latent=6, code=2, hidden=8, depth=2)
    s, z = torch.randn(5, 6), torch.randn(5, 2)
    torch.testing.assert_close(predictor(s, z), s)
    assert predictor.rollout(s, 3, z).shape == (5, 3, 6)
    with pytest.raises(ValueError, match=r"need s \(batch, 6\) and z \(batch, 2\)"):
        predictor(s, None)


@pytest.mark.parametrize("anti_collapse", ["sigreg", "vicreg", "ema"])
def test_each_anti_collapse_term_trains_on_smoke_and_its_encoder_regresses(anti_collapse, tmp_path):
    common = [f"data.dir={tmp_path / 'data'}", *SMOKE, f"pretrain.world.anti_collapse={anti_collapse}", *QUICK_REGRESS]
    assert main(["pretrain", *NS, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *common]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    state = torch.load(ckpt, weights_only=True)["state_dict"]
    assert any(k.startswith("target.") for k in state) == (anti_collapse == "ema")
    assert (
        main(["regress", *NS, "--ckpt", str(ckpt), "--out", str(tmp_path / "reg"), "--no-progress", "--set", *common])
        == 0
    )
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}


def test_a_separate_state_encoder_sees_short_clips_and_the_encoder_gives_the_code(tmp_path):
    sets = [f"data.dir={tmp_path / 'data'}", *SMOKE, "pretrain.window=[4]", "pretrain.world.state_frames=1"]
    sets += ["pretrain.world.anti_collapse=ema", "data.simulation={nx: 16, ny: 16, nt: 10, skip_nt: 0}"]
    assert main(["pretrain", *NS, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    state = torch.load(tmp_path / "pre" / "last.ckpt", weights_only=True)["state_dict"]
    assert state["state_encoder.features.0.weight"].shape[1] == 5 + 2  # one frame: smoke, vx, vy, x, y and gravity
    assert state["encoder.features.0.weight"].shape[1] == 5 * 4 + 2  # the code's window of 4 frames
    assert any(k.startswith("target.0.features") for k in state)  # the EMA follows the state encoder
    with pytest.raises(ValueError, match="state_frames needs a code"):
        pdejepa.configure(None, ["pretrain.world.state_frames=1", "pretrain.world.code=0"])


def test_latent_maps_keep_space_and_their_predictor_is_conditioned_on_the_code(tmp_path):
    sets = [f"data.dir={tmp_path / 'data'}", *SMOKE, "pretrain.world.state_frames=1", "pretrain.world.state=map"]
    sets += ["pretrain.world={latent: 4, code: 4, horizon: 2, hidden: 8, depth: 1, state_width: 8, slices: 8}"]
    assert main(["pretrain", *NS, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    module = WorldModelPretraining.load_from_checkpoint(tmp_path / "pre" / "last.ckpt", weights_only=True).eval()
    batch = {"u": torch.randn(3, 8, 3, 16, 16), "t0": torch.zeros(3, dtype=torch.float64)}
    batch |= {"dt": torch.ones(3, dtype=torch.float64), "L": torch.full((3,), float("nan"), dtype=torch.float64)}
    batch |= {"id": torch.arange(3), "labels": torch.zeros(3, 1)}
    states = module.states(batch, torch.tensor([[0, 1]] * 3), seed=0, augment=False)
    assert states.shape == (3, 2, 4, 4, 4)  # (batch, clips, channels, 16 / 4, 16 / 4)
    assert module.surprise(batch).shape == (3, 8)
    with pytest.raises(ValueError, match="state=map needs a state encoder of its own"):
        pdejepa.configure(None, ["pretrain.world.state=map"])


def test_an_interrupted_world_model_resumes_into_the_same_weights(tmp_path, monkeypatch):
    cfg = pdejepa.configure(ROOT / "configs" / "ns_dynamics.yaml", [f"data.dir={tmp_path / 'data'}", *SMOKE])
    assert_resume_matches(cfg, WorldModelPretraining, tmp_path, monkeypatch)


def test_on_1d_fields_with_symmetry_views(tmp_path):
    sets = [f"data.dir={tmp_path / 'data'}", *TINY, *WORLD, "pretrain.window=[8, 32]", "pretrain.world.stride=4"]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    assert (
        main(["regress", "--ckpt", str(tmp_path / "pre" / "last.ckpt"), "--out", str(tmp_path / "reg"), "--set", *sets])
        == 0
    )


def test_a_world_model_that_cannot_fit_its_clips_is_refused_before_training(tmp_path, capsys):
    sets = [f"data.dir={tmp_path / 'data'}", *SMOKE, "pretrain.world.stride=4"]
    assert main(["pretrain", *NS, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 2
    assert "need 10 frames; the trajectories hold 8" in capsys.readouterr().err
