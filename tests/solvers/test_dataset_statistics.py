"""Per-field statistics stored with every file (solvers.statistics): checked against numpy on the whole file.

Tiny recipes (1D Burgers on 64 points, 2D smoke on 16 x 16 cells): seconds on a laptop CPU.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import xarray as xr

from solvers.dataset import partial_path
from solvers.generate import Shard
from solvers.statistics import (
    STAT_KEYS,
    Moments,
    StreamingStatistics,
    combine_statistics,
    compute_statistics,
    read_statistics,
)

from .conftest import count_simulations, interrupted_partial, run, small_2d, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def numpy_statistics(path, fields) -> dict:
    """Mean and std (ddof=0) of each field and of its forward difference over the stored time step, in float64."""
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        t = ds["time"].values
        out = {}
        for name in fields:
            u = ds[name].values.astype(np.float64)
            rate = np.diff(u, axis=1) / np.diff(t).reshape(1, -1, *([1] * (u.ndim - 2)))
            out[name] = {"mean": u.mean(), "std": u.std(), "dt_mean": rate.mean(), "dt_std": rate.std()}
    return out


def assert_statistics_close(got: dict, want: dict, rtol: float = 1e-12) -> None:
    """Equal to round-off: relative for the stds, relative to the spread for the means (which may be ~0)."""
    assert set(got) == set(want)
    for name in want:
        for key in STAT_KEYS:
            scale = want[name]["dt_std" if key.startswith("dt_") else "std"]
            np.testing.assert_allclose(
                got[name][key], want[name][key], rtol=rtol, atol=rtol * scale, err_msg=f"{name} {key}"
            )


@pytest.mark.parametrize(
    "cfg, fields",
    [(small_cfg(), ("u",)), (small_cfg(times=(0.05, 0.1, 0.25)), ("u",)), (small_2d(nt=3), ("smoke", "vx", "vy"))],
    ids=["1d", "1d-uneven-times", "2d"],
)
def test_stored_statistics_match_numpy_on_the_whole_file(tmp_path, cfg, fields):
    path = run(cfg, 5, tmp_path / "d.h5", batch_size=2)
    want = numpy_statistics(path, fields)
    assert_statistics_close(read_statistics(path), want)
    with xr.open_dataset(path, engine="h5netcdf") as ds:  # the same through xarray: attributes of the variables
        assert_statistics_close(read_statistics(ds), want)
        assert ds[fields[0]].attrs["stats_std"] > 0
    with h5py.File(path, "r") as f:  # and recomputed from the file in one streaming pass
        assert_statistics_close(compute_statistics(f, fields).result(), want)


def test_statistics_do_not_depend_on_the_batch_size(tmp_path):
    stats = [read_statistics(run(small_cfg(), 6, tmp_path / f"b{bs}.h5", seed=3, batch_size=bs)) for bs in (1, 4, 6)]
    for other in stats[1:]:
        assert_statistics_close(other, stats[0], rtol=1e-13)


def test_statistics_survive_an_interrupted_and_resumed_run(tmp_path, monkeypatch):
    cfg, out = small_cfg(), tmp_path / "r.h5"
    reference = read_statistics(run(cfg, 6, tmp_path / "ref.h5", seed=2, batch_size=2, compression="lzf"))
    interrupted_partial(monkeypatch, out, num=6, seed=2, compression="lzf")
    with h5py.File(partial_path(out), "r") as f:
        assert f.attrs["samples_written"] == 2 and "stats_mean" not in f["u"].attrs
    calls = count_simulations(monkeypatch)
    path = run(cfg, 6, out, seed=2, batch_size=2, compression="lzf", resume=True)
    assert calls[0] == 2  # only the two missing batches
    assert_statistics_close(read_statistics(path), reference, rtol=1e-13)
    with h5py.File(path, "r") as f:
        assert f["u"].compression == "lzf"  # the resumed file keeps its filters


def test_shard_statistics_combine_into_the_whole_file(tmp_path):
    cfg, num = small_cfg(), 7
    whole = read_statistics(run(cfg, num, tmp_path / "whole.h5", seed=4))
    parts = []
    for i in range(3):
        path = run(cfg, num, tmp_path / "s.h5", seed=4, shard=Shard(i, 3))
        with h5py.File(path, "r") as f:
            parts.append((read_statistics(f), f["u"].shape[0]))
    assert_statistics_close(combine_statistics(parts), whole, rtol=1e-12)


def test_a_file_without_statistics_reads_as_empty(tmp_path):
    path = run(small_cfg(), 2, tmp_path / "d.h5")
    with h5py.File(path, "r+") as f:
        for key in STAT_KEYS:
            del f["u"].attrs[f"stats_{key}"]
    assert read_statistics(path) == {}


def test_chan_merge_is_stable_where_the_textbook_formula_cancels():
    rng = np.random.default_rng(0)
    x = 1e9 + rng.standard_normal(100_000)  # variance 1 on an offset of 1e9
    moments = Moments()
    for block in np.array_split(x, 37):
        moments.add(block)
    np.testing.assert_allclose(moments.mean, x.mean(), rtol=1e-15)
    np.testing.assert_allclose(moments.std, x.std(), rtol=1e-9)
    naive = np.sqrt(np.mean(x**2) - np.mean(x) ** 2)  # E[x^2] - E[x]^2 loses every digit here
    assert abs(naive - x.std()) > 1e-3


def test_streaming_statistics_merge_in_any_order():
    rng = np.random.default_rng(1)
    u = rng.standard_normal((9, 4, 5)).astype(np.float32)
    t = np.array([0.0, 0.1, 0.3, 0.6])
    whole = StreamingStatistics(["u"], t)
    whole.update({"u": u})
    left, right = StreamingStatistics(["u"], t), StreamingStatistics(["u"], t)
    right.update({"u": u[5:]})
    left.update({"u": u[:5]})
    right.merge(left)
    assert_statistics_close(right.result(), whole.result(), rtol=1e-14)
    with pytest.raises(ValueError, match="has 3 frames, expected 4"):
        whole.update({"u": u[:, :3]})


def test_a_single_frame_has_no_time_derivative(tmp_path):
    stats = read_statistics(run(small_cfg(times=(0.1,)), 2, tmp_path / "one.h5"))
    assert np.isfinite(stats["u"]["mean"]) and np.isnan(stats["u"]["dt_mean"]) and np.isnan(stats["u"]["dt_std"])
