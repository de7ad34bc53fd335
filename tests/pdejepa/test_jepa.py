"""I-JEPA and V-JEPA pretraining: a few CPU steps each, EMA target, exact resume, and JEPA
checkpoints in the PDE regression and time-stepping evaluations."""

from __future__ import annotations

import json
from pathlib import Path

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from pdejepa.cli import main
from pdejepa.data import MovingObjectsVideos, ShapesImages
from pdejepa.eval.labels import label_subset
from pdejepa.masks import MaskCollator, MultiBlock2D, vjepa_masks
import pdejepa
from pdejepa.config import load_config
from pdejepa.methods import JEPAPretraining

from .resume import assert_resume_matches
from .tiny import QUICK_REGRESS, SMOKE_DATA

ROOT = Path(__file__).resolve().parents[2]


def trainer(tmp_path, **kw):
    return L.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        deterministic=True,
        **kw,
    )


def image_run():
    torch.manual_seed(0)
    module = JEPAPretraining(encoder="vit_nano", input_size=(16, 16), in_channels=3, patch_size=4, predictor=(24, 1, 2))
    loader = DataLoader(
        ShapesImages(16, size=16), batch_size=8, collate_fn=MaskCollator([MultiBlock2D(module.encoder.grid)])
    )
    return module, loader


@pytest.mark.parametrize("kind", ["ijepa", "vjepa"])
def test_a_few_steps_train_the_context_encoder_and_move_the_ema_target(tmp_path, kind):
    if kind == "ijepa":
        module, loader = image_run()
    else:
        torch.manual_seed(0)
        module = JEPAPretraining(
            encoder="vit_nano",
            input_size=(4, 16, 16),
            in_channels=3,
            patch_size=4,
            tubelet_size=2,
            predictor=(24, 1, 2),
            loss="l1",
        )
        loader = DataLoader(
            MovingObjectsVideos(16, frames=4, size=16),
            batch_size=8,
            collate_fn=MaskCollator(vjepa_masks(module.encoder.grid)),
        )
    before = {k: v.clone() for k, v in module.state_dict().items()}
    t = trainer(tmp_path, max_epochs=2)
    t.fit(module, loader)
    loss = t.callback_metrics["loss"]
    assert torch.isfinite(loss) and loss > 0
    after = module.state_dict()

    def moved(prefix):
        return max(float((after[k] - before[k]).abs().max()) for k in before if k.startswith(prefix))

    assert moved("encoder.") > 1e-4 and moved("predictor.") > 1e-4
    assert 0 < moved("target_encoder.") < moved("encoder.")  # EMA: follows slowly, never by gradient
    assert not any(p.requires_grad for p in module.target_encoder.parameters())


def test_the_ema_target_follows_the_momentum_schedule(tmp_path):
    """After one step, target = m t0 + (1 - m) online with m the schedule's first momentum."""
    module, loader = image_run()
    module.hparams.ema = (0.9, 0.9)
    start = {k: v.clone() for k, v in module.target_encoder.state_dict().items()}
    trainer(tmp_path, max_steps=1).fit(module, loader)
    online = module.encoder.state_dict()
    for name, value in module.target_encoder.state_dict().items():
        torch.testing.assert_close(value, 0.9 * start[name] + 0.1 * online[name], msg=name)


class StopAfterFirstEpoch(L.Callback):
    def on_train_epoch_end(self, trainer, module) -> None:
        trainer.should_stop = True


def test_resume_repeats_the_uninterrupted_run(tmp_path):
    """Masks from (seed, epoch, ids), schedules from the step, EMA state in the checkpoint: exact resume."""
    first, loader = image_run()
    trainer(tmp_path / "a", max_epochs=2).fit(first, loader)
    half, loader = image_run()
    t1 = trainer(tmp_path / "b", max_epochs=2, callbacks=[StopAfterFirstEpoch()])  # same schedule length, interrupted
    t1.fit(half, loader)
    assert t1.current_epoch == 1 and t1.global_step == 2
    ckpt = tmp_path / "half.ckpt"
    t1.save_checkpoint(ckpt)
    torch.load(ckpt, weights_only=True)
    resumed, loader = image_run()
    trainer(tmp_path / "c", max_epochs=2).fit(resumed, loader, ckpt_path=ckpt)
    for (name, p), q in zip(first.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)


def test_optimizer_schedules_set_lr_and_weight_decay_each_step(tmp_path):
    module, loader = image_run()
    module.hparams.lr, module.hparams.weight_decay = (0.0, 1e-3, 0.0), (0.04, 0.4)
    trainer(tmp_path, max_epochs=2).fit(module, loader)  # 4 steps: warmup 0, then cosine
    decay, plain = module.optimizers().optimizer.param_groups
    assert plain["weight_decay"] == 0.0 and 0.04 < decay["weight_decay"] <= 0.4
    assert 0.0 < decay["lr"] < 1e-3


TINY_BURGERS = [
    "data.num_train=16",
    "data.num_test=8",
    "data.simulation={nx: 64, nt: 25, t_end: 1.6, params: {nu: [0.2, 0.5]}}",
    "pretrain.method=jepa",
    "pretrain.encoder=vit_nano",
    "pretrain.window=[16, 64]",
    "pretrain.jepa.patch_size=8",
    "pretrain.jepa.predictor=[24, 1, 2]",
    "pretrain.epochs=1",
    "pretrain.batch_size=8",
    "pretrain.accelerator=cpu",
    *QUICK_REGRESS,
]


def test_ijepa_on_1d_trajectories_then_regression_and_timestepping_accept_the_checkpoint(tmp_path, capsys):
    common = [f"data.dir={tmp_path / 'data'}", *TINY_BURGERS]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--set", *common]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    assert main(["regress", "--ckpt", str(ckpt), "--out", str(tmp_path / "reg"), "--set", *common]) == 0
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"} and all(
        r["nmse"] >= 0 for r in rows
    )
    ts = [
        "timestep.horizon=2",
        "timestep.steps=2",
        "timestep.seeds=[0]",
        "timestep.hidden=8",
        "timestep.modes=4",
        "timestep.layers=1",
        "timestep.batch_size=4",
    ]
    assert main(["timestep", "--ckpt", str(ckpt), "--out", str(tmp_path / "ts"), "--set", *common, *ts]) == 0
    assert "ssl" in (tmp_path / "ts" / "timestep.md").read_text()


def test_vjepa_on_2d_smoke_videos_then_buoyancy_regression(tmp_path):
    cfg = load_config(
        ROOT / "configs" / "vjepa_ns.yaml",
        [
            f"data.dir={tmp_path / 'data'}",
            *SMOKE_DATA,
            "pretrain.encoder=vit_nano",
            "pretrain.window=[4]",
            "pretrain.jepa.patch_size=4",
            "pretrain.jepa.predictor=[24, 1, 2]",
            "pretrain.epochs=2",
            "pretrain.batch_size=4",
            "pretrain.accelerator=cpu",
            *QUICK_REGRESS,
        ],
    )
    ckpt = pdejepa.pretrain(cfg, tmp_path / "pre", progress=False)
    rows = pdejepa.regress(cfg, ckpt, tmp_path / "reg", progress=False)
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}


def test_probe_command_on_a_procedural_set(tmp_path, capsys):
    common = [
        "data.num_train=32",
        "data.num_test=16",
        "pretrain.encoder=vit_nano",
        "pretrain.jepa.predictor=[24, 1, 2]",
        "pretrain.epochs=1",
        "pretrain.batch_size=16",
        "pretrain.accelerator=cpu",
        "probe.steps=5",
        "probe.batch_size=16",
        "probe.budgets=[0.5, 1.0]",
    ]
    cfg = str(ROOT / "configs" / "ijepa_shapes.yaml")
    assert main(["pretrain", "--config", cfg, "--out", str(tmp_path / "pre"), "--set", *common]) == 0
    assert (
        main(
            [
                "probe",
                "--config",
                cfg,
                "--ckpt",
                str(tmp_path / "pre" / "last.ckpt"),
                "--out",
                str(tmp_path / "p"),
                "--set",
                *common,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "jepa_frozen" in out and "random_frozen" in out and "chance: 0.200" in out
    assert (
        "| frozen encoder | attentive probe, 16 labels | linear probe, 16 labels | attentive probe, 32 labels |" in out
    )
    rows = json.loads((tmp_path / "p" / "probe.json").read_text())
    assert (tmp_path / "p" / "probe_config.yaml").exists()
    assert sorted((r["encoder"], r["probe"], r["labels"], r["seed"]) for r in rows) == sorted(
        (e, p, n, s)
        for e in ("jepa_frozen", "random_frozen")
        for p in ("attentive", "linear")
        for n in (16, 32)
        for s in (0, 1, 2)
    )
    assert all(0 <= r["accuracy"] <= 1 for r in rows)
    assert len({tuple(label_subset(32, 0.5, s)) for s in (0, 1, 2)}) == 3, "each seed labels other items"
    for bad, message in (
        (
            "probe.budgets=[0.5, 2]",
            "probe.budgets must be a non-empty list of fractions of the training items in (0, 1], got [0.5, 2]",
        ),
        ("probe.seeds=[1, 1]", "probe.seeds must be a non-empty list of distinct ints >= 0, got [1, 1]"),
    ):
        assert (
            main(
                [
                    "probe",
                    "--config",
                    cfg,
                    "--ckpt",
                    str(tmp_path / "pre" / "last.ckpt"),
                    "--out",
                    str(tmp_path / "p"),
                    "--set",
                    *common,
                    bad,
                ]
            )
            == 2
        )
        assert message in capsys.readouterr().err


def test_probe_table_gives_mean_and_std_over_seeds():
    from pdejepa.report.tables import probe_table

    rows = [
        {"encoder": e, "probe": "linear", "budget": 1.0, "labels": 8, "seed": s, "accuracy": a}
        for e, s, a in (("jepa_frozen", 0, 0.5), ("jepa_frozen", 1, 0.7), ("random_frozen", 0, 0.25))
    ]
    assert probe_table(rows, 0.125).splitlines()[2:4] == [
        "| jepa_frozen | 0.600 +- 0.100 |",
        "| random_frozen | 0.250 |",
    ]


def test_bad_method_and_encoder_pairs_are_named(tmp_path, capsys):
    assert main(["pretrain", "--out", str(tmp_path), "--set", "pretrain.method=byol"]) == 2
    assert (
        "pretrain.method must be one of ['vicreg', 'jepa', 'dynamics', 'world'], got 'byol'" in capsys.readouterr().err
    )
    assert main(["pretrain", "--out", str(tmp_path), "--set", "pretrain.method=jepa", "pretrain.encoder=resnet10"]) == 2
    assert "pretrain.method=jepa needs a vit encoder, one of ['vit_" in capsys.readouterr().err
    assert main(["pretrain", "--out", str(tmp_path), "--set", "pretrain.encoder=vit_tiny"]) == 2
    assert "pretrain.method=vicreg needs a resnet encoder, one of ['resnet10', " in capsys.readouterr().err


def test_a_run_folder_resumes_only_its_own_config(tmp_path, capsys):
    common = [
        "data.num_train=16",
        "data.num_test=16",
        "pretrain.encoder=vit_nano",
        "pretrain.jepa.predictor=[24, 1, 2]",
        "pretrain.epochs=1",
        "pretrain.batch_size=16",
        "pretrain.accelerator=cpu",
    ]
    cfg, out = str(ROOT / "configs" / "ijepa_shapes.yaml"), str(tmp_path / "pre")
    assert main(["pretrain", "--config", cfg, "--out", out, "--set", *common]) == 0
    assert (
        main(["pretrain", "--config", cfg, "--out", out, "--set", *common, "pretrain.epochs=2"]) == 0
    )  # longer: resumes
    assert main(["pretrain", "--config", cfg, "--out", out, "--set", *common, "pretrain.jepa.patch_size=8"]) == 2
    assert "holds a run of another config (pretrain differ" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [0, 2])
def test_an_interrupted_pipeline_run_resumes_into_the_same_weights(tmp_path, monkeypatch, workers):
    """Shuffle order from (seed, epoch) and masks from (seed, epoch, ids), in worker processes too:
    stopping after epoch 0 and rerunning the same command ends with the uninterrupted run's weights."""
    cfg = load_config(
        ROOT / "configs" / "ijepa_shapes.yaml",
        [
            "data.num_train=32",
            "data.num_test=16",
            "pretrain.encoder=vit_nano",
            "pretrain.jepa.predictor=[24, 1, 2]",
            "pretrain.epochs=2",
            "pretrain.batch_size=8",
            "pretrain.accelerator=cpu",
            f"pretrain.num_workers={workers}",
        ],
    )
    assert_resume_matches(cfg, JEPAPretraining, tmp_path, monkeypatch)


def test_pretraining_workers_are_checked():
    with pytest.raises(ValueError, match="pretrain.num_workers must be an int >= 0.*got 1.5"):
        load_config(None, ["pretrain.num_workers=1.5"])


def test_past_masks_are_for_videos_only():
    from pdejepa.methods.jepa import jepa_masks

    assert [m.past for m in jepa_masks(1, (2, 8, 8))] == [1, 1]
    with pytest.raises(ValueError, match=r"pretrain.jepa.past.*image \(token grid \(8, 8\)\).*got 1"):
        jepa_masks(1, (8, 8))
    with pytest.raises(ValueError, match="past must leave a later time position.*got 2"):
        jepa_masks(2, (2, 8, 8))
