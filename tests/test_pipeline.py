"""The pretrain -> regress pipeline end to end on a few CPU steps, and its configuration."""
from __future__ import annotations

import json

import pytest
import yaml

from pdejepa.cli import main
from pdejepa.pipeline import DEFAULTS, load_config

TINY = ["data.num_train=24", "data.num_test=8", "data.simulation={nx: 128, nt: 41, t_end: 1.6, params: {nu: [0.2, 0.5]}}",
        "pretrain.window=[16, 32]", "pretrain.width=4", "pretrain.expander=[32, 32]", "pretrain.epochs=1",
        "pretrain.batch_size=8", "pretrain.accelerator=cpu", "regress.budgets=[0.5]", "regress.seeds=[0]", "regress.steps=3",
        "regress.batch_size=4"]


def test_config_round_trip_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"pretrain": {"epochs": 3}}))
    cfg = load_config(path, ["regress.seeds=[4, 5]", "pretrain.strengths={space_shift: 1.0}"])
    assert cfg["pretrain"]["epochs"] == 3 and cfg["regress"]["seeds"] == [4, 5]
    assert cfg["pretrain"]["strengths"] == {"space_shift": 1.0} and cfg["data"] == DEFAULTS["data"]
    saved = tmp_path / "saved.yaml"
    saved.write_text(yaml.safe_dump(cfg))
    assert load_config(saved) == cfg
    with pytest.raises(ValueError, match="pretrain.epoch"):
        load_config(None, ["pretrain.epoch=3"])
    with pytest.raises(ValueError, match="section.field=value"):
        load_config(None, ["pretrain"])


def test_pretrain_then_regress_from_the_cli(tmp_path, capsys):
    common = [f"data.dir={tmp_path / 'data'}", *TINY]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--set", *common]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    assert ckpt.exists() and (tmp_path / "pre" / "config.yaml").exists()
    assert main(["regress", "--ckpt", str(ckpt), "--out", str(tmp_path / "reg"), "--set", *common]) == 0
    out = capsys.readouterr().out
    assert "ssl_frozen" in out and "supervised" in out and "random_frozen" in out
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}
    assert all(r["nmse"] >= 0 for r in rows)
    assert (tmp_path / "reg" / "regression.png").stat().st_size > 0
    assert main(["regress", "--ckpt", str(tmp_path / "nope.ckpt"), "--set", *common]) == 2


def test_ridge_probe_recovers_a_linear_law_and_does_not_overfit_few_labels():
    import torch

    from pdejepa.eval.regression import ridge_probe

    g = torch.Generator().manual_seed(0)
    w = torch.randn(64, generator=g, dtype=torch.float64)
    h = torch.randn(600, 64, generator=g, dtype=torch.float64)
    y = h @ w / 8 + 0.05 * torch.randn(600, generator=g, dtype=torch.float64)
    full = ridge_probe(h[:500], y[:500], h[500:], y[500:])
    assert full["nmse"] < 0.01
    few = ridge_probe(h[:20], y[:20], h[500:], y[500:])  # fewer labels than weights
    assert few["nmse"] < 0.9 and few["lambda"] > 1e-3  # regularised; ~20/64 of the signal is learnable
    noise = ridge_probe(h[:20], torch.randn(20, generator=g, dtype=torch.float64), h[500:], y[500:])
    assert noise["nmse"] < 1.5  # pure-noise labels: GCV shrinks towards the mean
