"""Training and evaluation read only complete files with finite values; the error names file, variable and sample."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from pdejepa.data import sources as data_sources
from pdejepa.config import load_config
from pdejepa.data import TrajectoryDataset
from pdejepa.data.sources import simulated_file
from solvers.generate import generate
from solvers.locks import OutputLock
from solvers.periodic1d import SimulationConfig

from .tiny import TINY


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


def test_processes_needing_the_same_missing_file_wait_for_its_writer(tmp_path, monkeypatch, capsys):
    """The ranks of a torchrun or SLURM job all look for the data at once: those that find the file locked wait
    for it instead of failing; one that takes the lock of a writer that died without its file writes it."""
    monkeypatch.setattr(data_sources, "WAIT_POLL", 0.05)
    data = load_config(None, [f"data.dir={tmp_path}", *TINY, "data.num_train=6"]).data
    path = tmp_path / "burgers_train.h5"
    holder = OutputLock(path).acquire()  # another process is writing the file
    found: list[Path] = []
    waiter = threading.Thread(target=lambda: found.append(simulated_file(data, "train", progress=False)))
    waiter.start()
    err = ""
    for _ in range(200):  # the message comes at the first look; allow a loaded machine 10 s
        err += capsys.readouterr().err
        if "waiting for another process to finish writing" in err:
            break
        time.sleep(0.05)
    assert "waiting for another process to finish writing" in err
    assert waiter.is_alive() and not path.exists()  # waiting, not failing
    holder.release()  # the writer died without its file: the waiter takes over
    waiter.join(timeout=120)
    assert found == [path] and path.exists()
    again = [None, None]
    path.unlink()
    threads = [
        threading.Thread(target=lambda i=i: again.__setitem__(i, simulated_file(data, "train", progress=False)))
        for i in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert again == [path, path]
    with h5py.File(path) as f:
        assert f["u"].shape[0] == 6
