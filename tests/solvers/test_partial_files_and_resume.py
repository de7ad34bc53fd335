"""Partial files and resume: a run writes ``<out>.partial`` and renames it when complete; an interrupted or
failed run keeps its saved batches for ``--resume`` (which equals an uninterrupted run) and leaves nothing
when it saved none; resume and fresh runs refuse files that are not theirs to continue or replace; SIGTERM
interrupts like Ctrl-C.

Every test runs on tiny grids (nx=64, 5 stored frames, a few trajectories), so the
whole file takes seconds on a laptop CPU.
"""

from __future__ import annotations

import os
import re
import signal
import time

import h5py
import numpy as np
import pytest
import xarray as xr

from solvers.dataset import TrajectoryWriter, partial_path
from solvers.errors import BlowUpError
from solvers.generate import sigterm_as_interrupt
from solvers.locks import lock_path
from solvers.periodic1d import SimulationConfig

from .conftest import count_simulations, foreign_files, interrupt_on_call, interrupted_partial, load, run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_resume_after_interruption_equals_an_uninterrupted_run(tmp_path, monkeypatch):
    cfg, num, seed, bs = small_cfg(), 8, 4, 3
    reference_file = run(cfg, num, tmp_path / "ref.h5", seed=seed, batch_size=bs)
    out = tmp_path / "r.h5"
    partial = partial_path(out)

    calls = interrupt_on_call(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt) as info:
        run(cfg, num, out, seed=seed, batch_size=bs)
    assert calls[0] == 2
    message = str(info.value)
    assert f"{bs}/{num}" in message and str(partial) in message and "resume" in message

    assert not out.exists()
    assert partial.exists()
    with h5py.File(partial, "r") as f:
        assert f.attrs["samples_written"] == bs
        assert not np.isnan(f["u"][:bs]).any()
        assert np.isnan(f["u"][bs:]).all()  # unwritten rows keep the NaN fill value

    # resume: only the missing batches are simulated (samples 3-5 and 6-7)
    monkeypatch.undo()
    calls = interrupt_on_call(monkeypatch, 0)  # never interrupts, only counts
    path = run(cfg, num, out, seed=seed, batch_size=bs, resume=True)
    assert calls[0] == 2
    assert path == out and out.exists() and not partial.exists()

    resumed, ref = load(out), load(reference_file)
    xr.testing.assert_identical(resumed.drop_attrs(), ref.drop_attrs())
    np.testing.assert_array_equal(resumed["u"].values, ref["u"].values)
    assert resumed.attrs["complete"] == 1 and resumed.attrs["samples_written"] == num


def test_resume_with_another_recipe_is_refused(tmp_path, monkeypatch):
    cfg, out = small_cfg(), tmp_path / "r.h5"
    interrupt_on_call(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, 6, out, seed=1, batch_size=2)
    monkeypatch.undo()
    partial = partial_path(out)
    assert partial.exists()

    for kwargs in (
        {"cfg": cfg, "num": 6, "seed": 2},  # another seed
        {"cfg": cfg.updated(nx=128), "num": 6, "seed": 1},  # another grid
        {"cfg": cfg, "num": 7, "seed": 1},  # another total
        {"cfg": cfg.updated(params={"nu": (0.2, 0.4)}), "num": 6, "seed": 1},  # another range
    ):
        with pytest.raises(ValueError, match="cannot resume .*another recipe") as info:
            run(kwargs["cfg"], kwargs["num"], out, seed=kwargs["seed"], batch_size=2, resume=True)
        assert str(partial) in str(info.value)
        assert "--overwrite" in str(info.value)
    # the refused attempts left the partial file as it was
    assert not out.exists()
    with h5py.File(partial, "r") as f:
        assert f.attrs["samples_written"] == 2

    # the batch size is no part of the recipe: resuming with another one is fine
    path = run(cfg, 6, out, seed=1, batch_size=4, resume=True)
    np.testing.assert_array_equal(load(path)["u"].values, load(run(cfg, 6, tmp_path / "ref.h5", seed=1))["u"].values)


def test_fresh_run_refuses_to_clobber_partial_or_complete_files(tmp_path, monkeypatch):
    cfg, out = small_cfg(), tmp_path / "c.h5"
    partial = partial_path(out)

    interrupt_on_call(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run(cfg, 4, out, seed=1, batch_size=2)
    monkeypatch.undo()
    before = partial.read_bytes()
    with pytest.raises(FileExistsError, match="--resume") as info:
        run(cfg, 4, out, seed=1, batch_size=2)
    assert str(partial) in str(info.value)
    assert partial.read_bytes() == before and not out.exists()

    # overwrite starts over from the partial file
    run(cfg, 4, out, seed=1, batch_size=2, overwrite=True)
    assert out.exists() and not partial.exists()
    complete = out.read_bytes()

    with pytest.raises(FileExistsError, match="exists; pass --overwrite") as info:
        run(cfg, 4, out, seed=1)
    assert str(out) in str(info.value)
    # resuming a run that finished has nothing to do (a sharded rerun: the shards that were done)
    assert run(cfg, 4, out, seed=1, resume=True) == out
    with pytest.raises(ValueError, match="cannot resume: .* is finished but holds another run") as info:
        run(cfg, 4, out, seed=2, resume=True)
    assert str(out) in str(info.value) and "--overwrite" in str(info.value)
    assert out.read_bytes() == complete

    # overwrite replaces a complete file
    run(cfg, 4, out, seed=5, overwrite=True)
    assert load(out).attrs["seed"] == 5


def test_resume_names_a_finished_file_it_cannot_read(tmp_path):
    out = tmp_path / "f.h5"
    out.write_bytes(b"not an HDF5 file")
    with pytest.raises(ValueError, match=r"cannot resume: .*f\.h5 is not a readable HDF5 file"):
        run(small_cfg(), 4, out, resume=True)
    assert out.read_bytes() == b"not an HDF5 file"


@pytest.mark.parametrize(
    "kind, named",
    [
        ("junk", "not a readable HDF5 file (Unable to synchronously open file (file signature not found))"),
        ("truncated", "not a readable HDF5 file (Unable to synchronously open file (truncated file"),
        ("foreign", "it was not written by pdejepa generate"),
        ("empty", "it was not written by pdejepa generate"),
    ],
)
def test_resume_names_an_unreadable_or_foreign_partial(tiny_1d, tmp_path, kind, named):
    out = tmp_path / "r.h5"
    partial = partial_path(out)
    (tmp_path / "src").mkdir()
    partial.write_bytes(foreign_files(tmp_path / "src", tiny_1d)[kind].read_bytes())
    before = partial.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"cannot resume {partial}: {named}")) as info:
        run(small_cfg(), 2, out, resume=True)
    assert "\n" not in str(info.value) and "--overwrite" in str(info.value)
    assert partial.read_bytes() == before and not lock_path(out).exists()
    run(small_cfg(), 2, out, overwrite=True)  # the way out the message names
    assert out.exists() and not partial.exists()


def test_resume_refuses_a_partial_of_another_layout(tmp_path, monkeypatch):
    out = tmp_path / "l.h5"
    interrupted_partial(monkeypatch, out)
    with h5py.File(partial_path(out), "r+") as f:
        del f["spectral_tail"]
    named = "its layout does not match its recipe (spectral_tail is missing, expected shape (4,))"
    with pytest.raises(ValueError, match=re.escape(named)):
        run(small_cfg(), 4, out, batch_size=2, resume=True)


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
    def broken(self, *args):
        self.file.create_dataset("half", data=[1.0])
        raise OSError("disk full")

    monkeypatch.setattr(TrajectoryWriter, "_create", broken)
    with pytest.raises(OSError, match="disk full"):
        run(small_cfg(), 2, tmp_path / "d.h5")
    assert list(tmp_path.iterdir()) == []


def test_sigterm_is_turned_into_a_clean_interrupt():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts the sleep at once
    assert signal.getsignal(signal.SIGTERM) == before
