"""Hardening of the solvers side: no empty partial file is left behind by a run that fails before
its first batch is saved, and a partial file with saved batches is kept for --resume.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import h5py
import pytest

from solvers.periodic1d import SimulationConfig
from solvers.dataset import partial_path
from solvers.locks import lock_path
from solvers.errors import BlowUpError

from .conftest import count_simulations, interrupted_partial, load, run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_a_failed_first_batch_leaves_nothing_that_blocks_a_rerun(tmp_path):
    out = tmp_path / "b.h5"
    blows_up = SimulationConfig.default("burgers", nx=64, nt=3, t_end=2.0, dt=1.0, amplitude=1000.0).updated(
        params={"nu": 1e-3}
    )
    with pytest.raises(BlowUpError):
        run(blows_up, 3, out)
    assert list(tmp_path.iterdir()) == []
    run(small_cfg(), 3, out)  # neither --resume nor --overwrite needed
    assert load(out).attrs["complete"] == 1


def test_an_exception_before_any_sample_removes_the_partial(tmp_path, monkeypatch):
    out = tmp_path / "e.h5"

    def fail(call):
        raise RuntimeError("device lost")

    count_simulations(monkeypatch, fail)
    with pytest.raises(RuntimeError, match="device lost"):
        run(small_cfg(), 4, out, batch_size=2)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_before_any_sample_says_nothing_to_resume(tmp_path, monkeypatch):
    out = tmp_path / "k.h5"

    def interrupt(call):
        raise KeyboardInterrupt

    count_simulations(monkeypatch, interrupt)
    with pytest.raises(KeyboardInterrupt, match="before any trajectory was saved; nothing to resume"):
        run(small_cfg(), 4, out, batch_size=2)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_after_written_batches_keeps_the_partial_for_resume(tmp_path, monkeypatch):
    out = tmp_path / "w.h5"
    interrupted_partial(monkeypatch, out)

    def fail(call):
        raise RuntimeError("device lost")

    with monkeypatch.context() as m:
        count_simulations(m, fail)
        with pytest.raises(RuntimeError, match="device lost"):
            run(small_cfg(), 4, out, batch_size=2, resume=True)
    with h5py.File(partial_path(out), "r") as f:
        assert f.attrs["samples_written"] == 2
    assert not lock_path(out).exists()


def test_a_writer_that_fails_while_creating_its_file_removes_it(tmp_path, monkeypatch):
    from solvers.dataset import TrajectoryWriter

    def broken(self, *args):
        self.file.create_dataset("half", data=[1.0])
        raise OSError("disk full")

    monkeypatch.setattr(TrajectoryWriter, "_create", broken)
    with pytest.raises(OSError, match="disk full"):
        run(small_cfg(), 2, tmp_path / "d.h5")
    assert list(tmp_path.iterdir()) == []
