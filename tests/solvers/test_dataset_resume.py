"""Dataset generation: resuming an interrupted run, and refusing to resume or overwrite the wrong file.

Every test runs on tiny grids (nx=64, 5 stored frames, a few trajectories), so the
whole file takes seconds on a laptop CPU.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import xarray as xr

import solvers.periodic1d.recipe as periodic1d_recipe
from solvers.dataset import partial_path

from .conftest import load, run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def interrupt_on_call(monkeypatch, n: int) -> list[int]:
    """Make the ``n``-th call of simulate (inside generate) raise KeyboardInterrupt; count calls."""
    real = periodic1d_recipe.simulate
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(periodic1d_recipe, "simulate", wrapper)
    return calls


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
