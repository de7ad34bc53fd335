"""Smoke flows whose buoyancy changes midway (``ns-buoyancy-switch``): the same flows as the standard recipe up to the
switch, another buoyancy after it, and the switch's draws."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from pdejepa.cli import main
from solvers.generate import dataset_defaults, generate

SMALL = {"nx": 16, "ny": 16, "nt": 8, "skip_nt": 0}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("switch")
    switch = generate(dataset_defaults("ns-buoyancy-switch").updated(**SMALL), 12, root / "s.h5", progress=False)
    base = generate(dataset_defaults("ns-buoyancy").updated(**SMALL), 12, root / "b.h5", progress=False)
    return switch, base


def test_a_switched_flow_is_the_standard_one_until_the_switch_and_another_after(pair):
    switch, base = pair
    with h5py.File(switch) as f, h5py.File(base) as g:
        switched = f["switched"][:].astype(bool)
        assert 0 < switched.sum() < 12  # about half of 12
        np.testing.assert_array_equal(f["buoyancy"][:], g["buoyancy"][:])
        for name in ("smoke", "vx", "vy"):
            np.testing.assert_array_equal(f[name][~switched], g[name][~switched])  # bit for bit
            np.testing.assert_array_equal(f[name][switched, :4], g[name][switched, :4])  # frames before frame 4
            later = np.abs(f[name][switched, 4:] - g[name][switched, 4:]).reshape(switched.sum(), -1).max(1)
            assert (later > 0).all()
        first, after = f["buoyancy"][:], f["buoyancy_after"][:]
        np.testing.assert_array_equal(after[~switched], first[~switched])
        assert (np.abs(after - first)[switched] >= 0.1 - 1e-12).all() and ((0.2 <= after) & (after <= 0.5)).all()
        assert f.attrs["equation"] == "ns-buoyancy" and f.attrs["dataset"] == "ns-buoyancy-switch"


def test_the_switch_settings_are_checked_and_reach_the_command_line(tmp_path, capsys):
    cfg = dataset_defaults("ns-buoyancy-switch")
    for bad, message in (
        ({"switch_fraction": 1.5}, "switch_fraction=1.5 must lie in [0, 1]"),
        ({"switch_frame": 56}, "switch_frame=56 must lie in [1, nt - 1 = 55]"),
        ({"min_jump": 0.2}, "min_jump=0.2 must lie in [0, (high - low) / 2 = 0.15]"),
    ):
        with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
            cfg.updated(**bad).validate()
    out = tmp_path / "all.h5"
    flags = ["--nx", "16", "--ny", "16", "--nt", "6", "--skip-nt", "0", "--switch-fraction", "1", "--switch-frame", "2"]
    assert main(["generate", "ns-buoyancy-switch", "--num", "3", "--out", str(out), "--no-progress", *flags]) == 0
    with h5py.File(out) as f:
        assert f["switched"][:].tolist() == [1, 1, 1] and "stored frame 2" in f.attrs["switch"]
