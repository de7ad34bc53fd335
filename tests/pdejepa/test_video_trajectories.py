"""Procedural videos as trajectories: the adapter, its views, the ResNet methods pretraining on the videos, the probe
job's pooled-vector rows and tables, and the refusals (images, symmetries, long windows)."""

from __future__ import annotations

from pathlib import Path

import json
import math

import pytest
import torch
from torch.utils.data import DataLoader

import pdejepa
from pdejepa.cli import main
from pdejepa.config import resolve
from pdejepa.data import FieldViewMaker, MovingObjectsVideos, collate
from pdejepa.data.scenes import SHAPES
from pdejepa.data.video_trajectories import FIELDS, LABELS, VideoTrajectories, label_table, video_labels
from pdejepa.experiment import Experiment
from pdejepa.report.tables import pooled_probe_table

ROOT = Path(__file__).resolve().parents[2]
VIDEOS = [  # 16 clips of 6 frames at 16 x 16, a ResNet of width 4, two steps
    "data.equation=moving-objects",
    "data.num_train=16",
    "data.num_test=8",
    "data.simulation={frames: 6, size: 16}",
    "pretrain.window=[3]",
    "pretrain.strengths={}",
    "pretrain.width=4",
    "pretrain.epochs=1",
    "pretrain.batch_size=8",
    "pretrain.accelerator=cpu",
    "pretrain.vicreg.expander=[16, 16]",
    "pretrain.world={latent: 8, code: 4, horizon: 2, stride: 1, hidden: 16, depth: 1, slices: 16}",
]
PROBE = ["probe.budgets=[0.5, 1.0]", "probe.seeds=[0, 1]", "probe.steps=5", "probe.batch_size=8"]


def test_a_video_is_a_trajectory_of_rgb_frames_with_its_numbers_as_labels():
    videos = MovingObjectsVideos(6, frames=5, size=16, seed=2)
    data = VideoTrajectories(videos)
    item, video = data[4], videos[4]
    assert item["u"].shape == (5, 3, 16, 16) and torch.equal(item["u"], video["x"].transpose(0, 1))
    assert (item["t0"], item["dt"], item["id"]) == (0.0, 1.0, 4) and math.isnan(item["L"])
    vx, vy, speed, omega, shape, direction = item["labels"].tolist()
    assert (vx, vy) == pytest.approx(video["velocity"].tolist()) and speed == pytest.approx(video["speed"])
    assert omega == pytest.approx(float(video["target"][1])) and (shape, direction) == (video["shape"], video["label"])
    assert len(LABELS) == item["labels"].shape[0] and data.ids == list(range(6))
    assert torch.equal(label_table(videos), torch.stack([video_labels(videos[i]) for i in range(6)]))  # no pixels
    batch = collate([data[i] for i in range(6)])
    assert batch["u"].shape == (6, 5, 3, 16, 16) and batch["labels"].shape == (6, len(LABELS))


def test_the_resnet_methods_see_videos_as_periodic_2d_fields_and_jepa_keeps_its_items():
    exp = Experiment(resolve(None, [*VIDEOS, "pretrain.method=world"]))
    assert exp.data_kind == "videos" and exp.fields == FIELDS
    settings = exp.view_settings()
    assert settings["fields"] == FIELDS and settings["periodic"] and settings["window"] == (3,)
    assert settings["grid"] == {"x": [float(k) for k in range(16)], "y": [float(k) for k in range(16)]}
    assert set(settings["standardise"]) == set(FIELDS)  # data.standardise: each colour's mean and std
    views = exp.view_maker(augment=False)
    assert isinstance(views, FieldViewMaker) and exp.channels == 3 * (3 + 2)
    batch = next(iter(DataLoader(exp.train_set, batch_size=4, collate_fn=exp.train_collate)))
    x = views(batch, seed=0, augment=False)
    assert x.shape == (4, 15, 16, 16)
    mean, std = settings["standardise"]["red"]
    torch.testing.assert_close(x[:, 0], (batch["u"][:, 0, 0] - mean) / std)  # the first window's red
    raw = Experiment(resolve(None, [*VIDEOS, "pretrain.method=world", "data.standardise=false"]))
    assert raw.view_settings()["standardise"] is None
    jepa = Experiment(resolve(None, [*VIDEOS, "pretrain.method=jepa", "pretrain.encoder=vit_nano"]))
    assert jepa.data_kind == "procedural" and jepa.view_settings() is None and "x" in jepa.train_set[0]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            ["data.equation=shapes", "pretrain.method=world"],
            "pretrain.method=world trains on 1d or 2d or videos data; data.equation='shapes' is procedural",
        ),
        (
            ["data.equation=shapes", "pretrain.method=dynamics"],
            "pretrain.method=dynamics trains on 1d or 2d or videos data; data.equation='shapes' is procedural",
        ),
        (
            [*VIDEOS, "pretrain.method=vicreg", "pretrain.strengths={space_shift: 2.0}"],
            "views of procedural videos are windows of frames without symmetries: set pretrain.strengths={} "
            "(got {'space_shift': 2.0})",
        ),
        (
            [*VIDEOS, "pretrain.method=vicreg", "pretrain.window=[7]"],
            "pretrain.window=[7] needs 7 frames; the videos hold 6 (data.simulation.frames)",
        ),
        ([*VIDEOS, "pretrain.window=[3, 16]"], "pretrain.window for moving-objects data must be [frames], got [3, 16]"),
    ],
)
def test_what_the_videos_cannot_give_is_refused_in_one_line(tmp_path, capsys, overrides, message):
    assert main(["pretrain", "--out", str(tmp_path / "run"), "--set", *overrides]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"pdejepa pretrain: error: {message}"


@pytest.mark.parametrize("method", ["world", "dynamics", "vicreg"])
def test_each_resnet_method_pretrains_on_videos(tmp_path, method):
    cfg = resolve(None, [*VIDEOS, f"pretrain.method={method}"])
    ckpt = pdejepa.pretrain(cfg, tmp_path / method, progress=False)
    assert ckpt.exists() and (tmp_path / method / "throughput.json").exists()


def test_the_shipped_video_world_model_with_latent_maps_pretrains_and_is_probed(tmp_path):
    tiny = [
        *VIDEOS[:3],
        "data.simulation={frames: 7, size: 16}",
        "pretrain.width=4",
        "pretrain.epochs=1",
        "pretrain.batch_size=8",
        *PROBE,
    ]
    tiny += ["pretrain.world.state_width=8", "pretrain.world.hidden=8", "pretrain.world.slices=16"]
    cfg = pdejepa.configure(ROOT / "configs" / "world_moving.yaml", tiny)
    assert cfg.pretrain.world.state == "map" and cfg.pretrain.world.state_frames == 1
    ckpt = pdejepa.pretrain(cfg, tmp_path / "pre", progress=False)
    rows = pdejepa.probe(cfg, ckpt, tmp_path / "probe", progress=False)
    assert {r["encoder"] for r in rows} == {"world_frozen", "random_frozen", "chance"}


def test_the_probe_job_gives_velocity_and_shape_from_the_pooled_vector(tmp_path, capsys):
    overrides = [*VIDEOS, "pretrain.method=world"]
    assert main(["pretrain", "--no-progress", "--out", str(tmp_path / "pre"), "--set", *overrides]) == 0
    ckpt = str(tmp_path / "pre" / "last.ckpt")
    assert main(["probe", "--ckpt", ckpt, "--out", str(tmp_path / "p"), "--set", *overrides, *PROBE]) == 0
    out = capsys.readouterr().out
    assert "| frozen encoder | velocity NMSE (vx / vy / speed), 8 labels |" in out and "attentive" not in out
    rows = json.loads((tmp_path / "p" / "probe.json").read_text())
    assert sorted((r["encoder"], r["labels"], r["seed"]) for r in rows if r["encoder"] != "chance") == sorted(
        (e, n, s) for e in ("world_frozen", "random_frozen") for n in (8, 16) for s in (0, 1)
    )
    for r in rows:
        assert r["probe"] == "pooled" and 0 <= r["shape_accuracy"] <= 1
        assert r["velocity_nmse"] == pytest.approx((r["vx_nmse"] + r["vy_nmse"] + r["speed_nmse"]) / 3)
    chance = [r for r in rows if r["encoder"] == "chance"]
    assert [(r["labels"], r["velocity_nmse"], r["shape_accuracy"]) for r in chance] == [
        (8, 1.0, 1 / len(SHAPES)),
        (16, 1.0, 1 / len(SHAPES)),
    ]
    table = (tmp_path / "p" / "probe.md").read_text()
    assert (
        table.splitlines()[-1]
        == "| chance | 1.000 (1.000 / 1.000 / 1.000) | 1.000 (1.000 / 1.000 / 1.000) | 0.200 | 0.200 |"
    )
    assert "| world_frozen |" in table and "| random_frozen |" in table


def test_a_jepa_probe_on_videos_adds_the_pooled_rows_beside_its_token_probes(tmp_path):
    cfg = resolve(
        None,
        [
            *VIDEOS[:4],
            "data.simulation={frames: 8, size: 16}",
            "pretrain.method=jepa",
            "pretrain.encoder=vit_nano",
            "pretrain.jepa={patch_size: 2, tubelet_size: 4, predictor: [24, 1, 2], loss: l1}",
            "pretrain.epochs=1",
            "pretrain.batch_size=8",
            "pretrain.accelerator=cpu",
            "probe.budgets=[1.0]",
            "probe.seeds=[0]",
            "probe.steps=3",
        ],
    )
    ckpt = pdejepa.pretrain(cfg, tmp_path / "pre", progress=False)
    rows = pdejepa.probe(cfg, ckpt, tmp_path / "p", progress=False)
    kinds = sorted({(r["encoder"], r["probe"]) for r in rows})
    assert kinds == [
        ("chance", "pooled"),
        ("jepa_frozen", "attentive"),
        ("jepa_frozen", "linear"),
        ("jepa_frozen", "pooled"),
        ("random_frozen", "attentive"),
        ("random_frozen", "linear"),
        ("random_frozen", "pooled"),
    ]
    table = (tmp_path / "p" / "probe.md").read_text()
    assert "velocity NMSE (vx / vy / speed), 16 labels" in table and "(chance: 0.125)" in table


def test_the_pooled_table_gives_mean_and_std_over_seeds_and_each_component():
    rows = [
        {"encoder": e, "budget": 1.0, "labels": 8, "seed": s, "vx_nmse": v, "vy_nmse": v, "speed_nmse": v}
        | {"velocity_nmse": v, "shape_accuracy": a}
        for e, s, v, a in (("world", 0, 0.2, 0.5), ("world", 1, 0.4, 0.7), ("chance", None, 1.0, 0.2))
    ]
    assert pooled_probe_table(rows).splitlines() == [
        "| frozen encoder | velocity NMSE (vx / vy / speed), 8 labels | shape accuracy, 8 labels |",
        "|---|---|---|",
        "| world | 0.300 +- 0.100 (0.300 / 0.300 / 0.300) | 0.600 +- 0.100 |",
        "| chance | 1.000 (1.000 / 1.000 / 1.000) | 0.200 |",
    ]
