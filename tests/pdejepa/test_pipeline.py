"""The pretrain -> regress pipeline end to end on a few CPU steps, and its configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pdejepa.cli import main
import pdejepa
from pdejepa.config import as_plain, defaults, load_config
from pdejepa.experiment import Experiment

from .tiny import QUICK_REGRESS, SMOKE_DATA, TINY

ROOT = Path(__file__).resolve().parents[2]


def test_config_round_trip_and_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"pretrain": {"epochs": 3, "strengths": {"space_shift": 2.0, "scaling": 0.1}}}))
    cfg = load_config(path, ["regress.seeds=[4, 5]", "pretrain.strengths.space_shift=1.0", "data.simulation.nx=64"])
    assert cfg.pretrain.epochs == 3 and cfg.regress.seeds == (4, 5)
    assert cfg.pretrain.strengths == {"space_shift": 1.0, "scaling": 0.1}  # YAML replaces, overrides extend
    assert cfg.data.simulation == {**defaults()["data"]["simulation"], "nx": 64}
    saved = tmp_path / "saved.yaml"
    saved.write_text(yaml.safe_dump(as_plain(cfg)))
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


def test_a_dataset_file_made_for_another_config_is_refused(tmp_path):
    common = [f"data.dir={tmp_path}", *TINY]
    assert Experiment(load_config(None, common), progress=False).files
    with pytest.raises(ValueError, match="another dataset"):
        Experiment(load_config(None, [*common, "data.simulation.nt=21"]), progress=False).files
    with pytest.raises(ValueError, match="another dataset"):
        Experiment(load_config(None, [*common, "data.num_train=20"]), progress=False).files


def test_pretrain_then_regress_on_2d_smoke(tmp_path):
    """The same pipeline on 2D flows: three fields per frame, flow-symmetry views, buoyancy labels."""
    cfg = load_config(
        ROOT / "configs" / "ns_vicreg.yaml",
        [
            f"data.dir={tmp_path / 'data'}",
            *SMOKE_DATA,
            "pretrain.window=[2]",
            "pretrain.width=4",
            "pretrain.vicreg.expander=[16, 16]",
            "pretrain.epochs=4",
            "pretrain.batch_size=4",
            "pretrain.accelerator=cpu",
            *QUICK_REGRESS,
        ],
    )
    ckpt = pdejepa.pretrain(cfg, tmp_path / "pre", progress=False)
    rows = pdejepa.regress(cfg, ckpt, tmp_path / "reg", progress=False)
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}
    assert all(r["nmse"] >= 0 for r in rows)
    speed = json.loads((tmp_path / "pre" / "throughput.json").read_text())
    assert speed["samples_per_s"] > 0 and 0 <= speed["data_wait_fraction"] < 1


def test_ridge_probe_recovers_a_linear_law_and_does_not_overfit_few_labels():
    import torch

    from pdejepa.eval.regressors import ridge_probe

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


def test_jobs_keep_their_own_config_files_and_checkpoints_carry_the_encoder_signature(tmp_path):
    from pdejepa.checkpoint import SIGNATURE_KEY, read_checkpoint

    common = [f"data.dir={tmp_path / 'data'}", *TINY]
    run = tmp_path / "run"
    assert main(["pretrain", "--out", str(run), "--set", *common]) == 0
    pretrain_config = (run / "config.yaml").read_bytes()
    assert (
        main(["regress", "--ckpt", str(run / "last.ckpt"), "--out", str(run), "--set", *common, "regress.steps=4"]) == 0
    )
    assert (run / "config.yaml").read_bytes() == pretrain_config  # the resume guard still sees the pretraining's config
    assert yaml.safe_load((run / "regress_config.yaml").read_text())["regress"]["steps"] == 4
    assert main(["pretrain", "--out", str(run), "--set", *common, "pretrain.epochs=2"]) == 0  # resumes, not refused
    signature = read_checkpoint(run / "last.ckpt")[SIGNATURE_KEY]
    assert (
        signature["pretrain.width"] == 4
        and signature["pretrain.window"] == [16, 32]
        and signature["input channels"] == 3
    )


def test_an_empty_mapping_clears_an_open_field():
    cfg = load_config(ROOT / "configs" / "ns_vicreg.yaml", ["pretrain.strengths={}"])
    assert cfg.pretrain.strengths == {}
    cfg = load_config(ROOT / "configs" / "ns_vicreg.yaml", ["pretrain.strengths.scaling=0.1"])
    assert cfg.pretrain.strengths == {"translation": 4.0, "galilean_boost": 0.1, "scaling": 0.1}


def test_a_signature_must_be_there_and_name_every_field_the_config_fixes(tmp_path):
    from pdejepa.checkpoint import SIGNATURE_KEY, check_signature

    expected = {"data.equation": "burgers", "data.standardise": True}
    check_signature(tmp_path / "a.ckpt", {SIGNATURE_KEY: dict(expected)}, expected)
    partial = {SIGNATURE_KEY: {"data.equation": "burgers"}}
    with pytest.raises(ValueError, match=r"a.ckpt was pretrained with data.standardise=None but this config has True"):
        check_signature(tmp_path / "a.ckpt", partial, expected)
    with pytest.raises(ValueError, match=r"a.ckpt carries no pdejepa encoder signature"):
        check_signature(tmp_path / "a.ckpt", {"state_dict": {}}, expected)
