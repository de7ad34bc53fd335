"""Training and evaluation read only complete files with finite values; the error names file, variable and sample."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from pdejepa.data import TrajectoryDataset
from solvers.config import SimulationConfig
from solvers.generate import generate


@pytest.fixture()
def small(tmp_path):
    cfg = SimulationConfig.default("burgers").updated(nx=64, nt=5, t_end=0.2, dt=0.01, amplitude=0.2)
    return generate(cfg, num=4, out=tmp_path / "b.h5", progress=False)


def test_a_complete_finite_file_reads(small):
    ds = TrajectoryDataset(small, labels=("nu",))
    assert len(ds) == 4 and np.isfinite(ds[3]["u"].numpy()).all()


def test_a_nan_cell_is_refused_when_its_item_is_read(small):
    with h5py.File(small, "r+") as f:
        f["u"][2, 1, 7] = np.inf
    ds = TrajectoryDataset(small, labels=("nu",))  # opening stays cheap: fields are checked per item
    ds[1]
    with pytest.raises(ValueError, match=r"b.h5: variable 'u' holds NaN or Inf at sample 2 \(position 2\)"):
        ds[2]


def test_a_non_finite_label_is_refused_at_open(small):
    with h5py.File(small, "r+") as f:
        f["nu"][1] = np.nan
    with pytest.raises(ValueError, match=r"variable 'nu' is not finite \(nan\) at sample 1"):
        TrajectoryDataset(small, labels=("nu",))


def test_an_incomplete_or_foreign_file_is_refused(small, tmp_path):
    with h5py.File(small, "r+") as f:
        f.attrs["complete"] = 0
    with pytest.raises(ValueError, match="not a complete dataset"):
        TrajectoryDataset(small)
    foreign = tmp_path / "foreign.h5"
    foreign.write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="foreign.h5 is not a readable HDF5 dataset"):
        TrajectoryDataset(foreign)
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["complete"] = 1
        f["u"] = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"has no field\(s\) \['time', 'sample'\]"):
        TrajectoryDataset(tmp_path / "other.h5")
