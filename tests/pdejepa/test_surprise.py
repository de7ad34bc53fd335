"""Surprise scores: a world model's (or the dynamics objective's) prediction error per sample and frame of a file,
and the AUROC that measures them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr

import pdejepa
from pdejepa.cli import main
from pdejepa.eval.metrics import auroc

from .test_world import NS, SMOKE
from .tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
SWITCH = {"nx": 16, "ny": 16, "nt": 8, "skip_nt": 0}


def literal_auroc(scores: list[float], positive: list[bool]) -> float:
    """The share of (positive, negative) pairs the positive wins, ties counting half."""
    pairs = [(p, n) for p, n in itertools.product(range(len(scores)), repeat=2) if positive[p] and not positive[n]]
    return sum(1.0 if scores[p] > scores[n] else 0.5 if scores[p] == scores[n] else 0.0 for p, n in pairs) / len(pairs)


def test_auroc_is_the_probability_that_a_positive_outscores_a_negative():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 6, (40,), generator=g).double()  # many ties
    positive = torch.rand(40, generator=g) < 0.4
    assert auroc(scores, positive) == pytest.approx(literal_auroc(scores.tolist(), positive.tolist()), abs=1e-12)
    assert auroc(torch.arange(4.0), torch.tensor([False, False, True, True])) == 1.0
    with pytest.raises(ValueError, match="both kinds"):
        auroc(torch.arange(3.0), torch.zeros(3, dtype=torch.bool))


@pytest.fixture(scope="module")
def switch_file(tmp_path_factory) -> Path:
    return pdejepa.generate("ns-buoyancy-switch", 6, tmp_path_factory.mktemp("sw") / "sw.h5", progress=False, **SWITCH)


@pytest.mark.parametrize("method", ["world", "dynamics"])
def test_a_models_surprise_is_written_per_sample_and_frame(method, switch_file, tmp_path, capsys):
    sets = [f"data.dir={tmp_path / 'data'}", *SMOKE, "data.simulation={nx: 16, ny: 16, nt: 8, skip_nt: 0}"]
    if method == "dynamics":
        sets += ["pretrain.method=dynamics", "pretrain.dynamics={code: 4, hidden: 8, blocks: 1, pool: 2, pairs: 1}"]
    assert main(["pretrain", *NS, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    out = tmp_path / "s.nc"
    assert main(["surprise", str(switch_file), "--ckpt", str(ckpt), "--out", str(out), "--no-progress"]) == 0
    random = pdejepa.surprise(ckpt, switch_file, tmp_path / "r.nc", random_init=True, progress=False)
    with xr.open_dataset(out, engine="h5netcdf") as s, xr.open_dataset(random, engine="h5netcdf") as r:
        assert s["surprise"].dims == ("sample", "time") and s["surprise"].shape == (6, 8)
        # one frame ahead (the stepper, or the world model with stride 1): the first frame is not predicted, nor, for
        # the world model's clips of 2 frames, the last (no whole clip starts there)
        values, last = s["surprise"].values, 7 if method == "world" else 8
        assert (
            np.isnan(values[:, 0]).all() and np.isfinite(values[:, 1:last]).all() and np.isnan(values[:, last:]).all()
        )
        assert np.isfinite(s["score"].values).all() and set(s.data_vars) >= {"switched", "buoyancy_after"}
        assert s.attrs["method"] == method and r.attrs["weights"].startswith("random init")
        assert not np.allclose(s["score"].values, r["score"].values)
        # the change score: the mean surprise after the first window (of 2 frames), the code of the first window over
        # that of the last
        updated = s["surprise_last_code"].values
        assert np.array_equal(np.isnan(updated), np.isnan(values)) and not np.allclose(
            updated[:, 1:last], values[:, 1:last]
        )
        literal = np.log(np.nanmean(values[:, 2:], axis=1) / np.nanmean(updated[:, 2:], axis=1))
        np.testing.assert_allclose(s["change_score"].values, literal, atol=1e-6)  # float32 frames


def test_a_method_without_a_predictor_is_refused_in_one_line(switch_file, tmp_path, capsys):
    assert (
        main(["pretrain", "--out", str(tmp_path / "pre"), "--no-progress", "--set", f"data.dir={tmp_path}", *TINY]) == 0
    )
    test_file = tmp_path / "burgers_test.h5"
    capsys.readouterr()
    ckpt = str(tmp_path / "pre" / "last.ckpt")
    assert main(["surprise", str(test_file), "--ckpt", ckpt, "--out", str(tmp_path / "s.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert "pretrain.method=vicreg has no predictor of the dynamics" in err and "\n" not in err
    assert not (tmp_path / "s.nc").exists()
