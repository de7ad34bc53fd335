"""Input standardisation from the files' statistics, and the validation split's early diagnostics."""

from __future__ import annotations

import csv
import shutil

import h5py
import numpy as np
import pytest
import torch

import pdejepa
from pdejepa.config import load_config
from pdejepa.encoders import load_encoder
from pdejepa.data import FlowViewMaker, TrajectoryDataset, ViewMaker, collate, make_views
from pdejepa.experiment import Experiment
from solvers import SimulationConfig
from solvers.generate import generate
from solvers.ns2d import BuoyancyConfig
from solvers.statistics import STAT_KEYS, read_statistics
from symmetries.registry import EQUATIONS

from .tiny import TINY

STRENGTHS = {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2, "cole_hopf": 0.5}


@pytest.fixture(scope="module")
def burgers(tmp_path_factory):
    cfg = SimulationConfig.default("burgers", nx=64, nt=9, t_end=0.4, amplitude=0.2, params={"nu": (0.1, 0.5)})
    return generate(cfg, 4, tmp_path_factory.mktemp("b") / "b.h5", progress=False)


def test_1d_views_standardise_the_field_after_the_symmetries(burgers):
    batch = collate([TrajectoryDataset(burgers, labels=("nu",))[i] for i in range(4)])
    raw = ViewMaker(EQUATIONS["burgers"], STRENGTHS, (8, 32), ("nu",))(batch, seed=3)
    scaled = ViewMaker(EQUATIONS["burgers"], STRENGTHS, (8, 32), ("nu",), standardise=(0.1, 0.5))(batch, seed=3)
    torch.testing.assert_close(scaled[:, 0], (raw[:, 0] - 0.1) / 0.5)  # the boost acted on physical values
    torch.testing.assert_close(scaled[:, 1:], raw[:, 1:])  # coordinates untouched


def test_flow_views_standardise_each_field(tmp_path):
    cfg = BuoyancyConfig.default().updated(nx=16, ny=16, nt=3, skip_nt=0)
    path = generate(cfg, 2, tmp_path / "s.h5", progress=False)
    batch = collate([TrajectoryDataset(path, labels=("buoyancy",), fields=("smoke", "vx", "vy"))[i] for i in range(2)])
    with h5py.File(path) as f:
        grid = {"x": f["x"][:].tolist(), "y": f["y"][:].tolist()}
    scales = {"smoke": (0.5, 2.0), "vx": (0.0, 0.1), "vy": (0.2, 0.4)}
    raw = make_views("ns-buoyancy", {}, (2,), grid=grid)(batch, seed=1)  # no groups: no derivation (seconds)
    scaled = make_views("ns-buoyancy", {}, (2,), grid=grid, standardise=scales)(batch, seed=1)
    assert isinstance(make_views("ns-buoyancy", {}, (2,), grid=grid, standardise=scales), FlowViewMaker)
    for frame in range(2):
        for k, (mean, std) in enumerate(scales.values()):
            channel = 5 * frame + k
            torch.testing.assert_close(scaled[:, channel], (raw[:, channel] - mean) / std)
        torch.testing.assert_close(scaled[:, 5 * frame + 3 : 5 * frame + 5], raw[:, 5 * frame + 3 : 5 * frame + 5])


# Burgers on 64 points, 17 frames: 8 / 2 / 6 trajectories (train, test, valid), one pretraining step per epoch
SMALL = [
    *TINY,
    "data.num_train=8",
    "data.num_test=2",
    "data.num_valid=6",
    "data.simulation={nx: 64, nt: 17, t_end: 0.8, amplitude: 0.2, params: {nu: [0.2, 0.5]}}",
]


def small_experiment(folder, *overrides) -> Experiment:
    return Experiment(load_config(None, [f"data.dir={folder}", *SMALL, *overrides]), progress=False)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    exp = small_experiment(folder)
    assert exp.files and exp.valid_file  # generated once for the module
    return folder


def test_the_experiment_standardises_with_the_training_files_statistics(data_dir):
    exp = small_experiment(data_dir)
    stored = read_statistics(exp.files[0])["u"]
    assert exp.standardisation == {"u": (stored["mean"], stored["std"])}
    assert exp.view_maker(augment=False).standardise == (stored["mean"], stored["std"])
    with h5py.File(exp.files[0], "r") as f:
        u = f["u"][:].astype(np.float64)
    np.testing.assert_allclose(exp.standardisation["u"], (u.mean(), u.std()), rtol=1e-12)
    off = small_experiment(data_dir, "data.standardise=false")
    assert off.standardisation is None and off.view_maker(augment=False).standardise is None


def test_a_training_file_without_statistics_is_refused_by_name(data_dir, tmp_path):
    old = shutil.copytree(data_dir, tmp_path / "old")
    with h5py.File(small_experiment(old).files[0], "r+") as f:
        for key in STAT_KEYS:
            del f["u"].attrs[f"stats_{key}"]
    with pytest.raises(ValueError, match=r"burgers_train.h5 stores no statistics of \['u'\]: regenerate"):
        small_experiment(old).standardisation


def test_pretraining_logs_diagnostics_on_the_validation_split(data_dir, tmp_path):
    exp = small_experiment(data_dir)
    assert exp.valid_file.name == "burgers_valid.h5"
    with h5py.File(exp.valid_file, "r") as f:
        assert f.attrs["split"] == "valid" and f.attrs["seed"] == exp.config.data.seed + 2
        assert f["u"].shape[0] == 6
    ckpt = pdejepa.pretrain(exp.config, tmp_path / "pre", progress=False)
    (metrics,) = (tmp_path / "pre" / "logs").rglob("metrics.csv")
    rows = [r for r in csv.DictReader(metrics.open()) if r.get("val_probe_nmse")]
    assert rows, "no validation diagnostics logged"
    for key in ("val_probe_nmse", "val_rankme", "val_embedding_std"):
        assert np.isfinite(float(rows[-1][key])) and float(rows[-1][key]) >= 0, key
    # the checkpoint's encoder saw standardised fields: a config without standardisation cannot use it
    with pytest.raises(ValueError, match="data.standardise=True"):
        load_encoder(small_experiment(data_dir, "data.standardise=false"), ckpt, seed=0)
    load_encoder(exp, ckpt, seed=0)
