"""Dataset generation end to end: schema and provenance, reproducibility, sharding.

Every test runs on tiny grids (nx=64, 5 stored frames, a few trajectories), so the
whole file takes seconds on a laptop CPU.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import xarray as xr

from pdejepa import __version__
from solvers.dataset import partial_path
from solvers.generate import Shard
from solvers.periodic1d import SimulationConfig, draw_inputs

from .conftest import FLOAT32_RTOL, load, reference, run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# ---------------------------------------------------------------- schema


def test_schema_round_trip_through_xarray(tmp_path):
    cfg, num, seed = small_cfg(), 5, 3
    out = tmp_path / "data.h5"
    path = run(cfg, num, out, seed=seed, batch_size=2)

    assert path == out and out.exists()
    assert not partial_path(out).exists()
    ds = load(path)

    # dims and dtypes
    assert dict(ds.sizes) == {"sample": num, "time": cfg.nt, "x": cfg.nx}
    assert ds["u"].dims == ("sample", "time", "x")
    assert ds["u"].dtype == np.float32
    for name in ("nu", "L", "spectral_tail"):
        assert ds[name].dims == ("sample",), name
        assert ds[name].dtype == np.float64, name
    assert set(ds.data_vars) == {"u", "nu", "L", "spectral_tail"}

    # coordinates
    np.testing.assert_array_equal(ds["sample"].values, np.arange(num))
    assert ds["sample"].dtype.kind == "i"
    np.testing.assert_array_equal(ds["time"].values, cfg.output_times())
    np.testing.assert_array_equal(ds["time"].values, np.linspace(0.0, 0.2, 5))
    L = cfg.params["L"][0]
    np.testing.assert_allclose(ds["x"].values, np.arange(cfg.nx) * L / cfg.nx, rtol=1e-14, atol=0)
    assert ds["x"].attrs["units"] == "1" and ds["x"].attrs["axis"] == "X"  # nondimensional (UDUNITS), CF axis

    # per-sample parameters: the draws of (seed, i), inside their ranges
    params, ref = reference(cfg, seed, np.arange(num))
    np.testing.assert_array_equal(ds["nu"].values, params["nu"])
    np.testing.assert_array_equal(ds["L"].values, params["L"])
    assert np.all(ds["L"].values == L)
    low, high = cfg.params["nu"]
    assert np.all((ds["nu"].values >= low) & (ds["nu"].values <= high))
    assert len(np.unique(ds["nu"].values)) == num  # drawn per trajectory, not shared

    # data: what solvers.simulate gives for the same draws, to float32 precision
    np.testing.assert_allclose(ds["u"].values, ref.u.numpy(), rtol=FLOAT32_RTOL, atol=1e-12)
    np.testing.assert_allclose(ds["spectral_tail"].values, ref.tail.numpy(), rtol=1e-9, atol=1e-15)
    assert np.all(ds["spectral_tail"].values <= cfg.tail_tol)
    assert np.all(np.isfinite(ds["u"].values))
    # the first frame is the initial condition itself (time 0)
    u0 = cfg.initial_condition().build(torch.as_tensor(draw_inputs(cfg, seed, np.arange(num))[1]), cfg.nx)
    np.testing.assert_allclose(ds["u"].values[:, 0], u0.numpy(), rtol=FLOAT32_RTOL, atol=1e-12)

    # provenance
    a = ds.attrs
    assert a["equation"] == "burgers"
    assert a["equation_string"] == cfg.eq.formula == "u_t + u*u_x = nu*u_xx"
    assert a["seed"] == seed
    assert a["version"] == __version__
    assert a["nx"] == cfg.nx
    assert a["dt"] == cfg.dt
    assert a["complete"] == 1
    assert a["num_total"] == num
    assert a["samples_written"] == num
    assert a["shard"] == "0/1"
    assert a["initial_condition"] == "sines"
    assert "ETDRK4" in a["solver"]
    assert json.loads(a["parameter_ranges"]) == {k: list(v) for k, v in cfg.params.items()}
    # the stored recipe rebuilds the very same configuration
    assert SimulationConfig.from_dict(json.loads(a["config"])) == cfg


def test_explicit_times_are_the_time_coordinate(tmp_path):
    cfg = small_cfg(times=(0.05, 0.1, 0.25))
    ds = load(run(cfg, 2, tmp_path / "t.h5"))
    np.testing.assert_array_equal(ds["time"].values, [0.05, 0.1, 0.25])
    _, ref = reference(cfg, 0, [0, 1])
    np.testing.assert_allclose(ds["u"].values, ref.u.numpy(), rtol=FLOAT32_RTOL, atol=1e-12)


def test_x_is_a_fraction_of_L_when_L_varies(tmp_path):
    cfg = SimulationConfig.default("heat", nx=32, nt=3, t_end=0.2, dt=0.05, params={"L": (1.0, 4.0)})
    ds = load(run(cfg, 3, tmp_path / "heat.h5"))
    np.testing.assert_allclose(ds["x"].values, np.arange(32) / 32, rtol=1e-15)
    assert "fraction" in ds["x"].attrs["description"]
    L = ds["L"].values
    assert np.all((L >= 1.0) & (L <= 4.0)) and len(np.unique(L)) == 3


# ---------------------------------------------------------------- reproducibility


def test_a_fixed_range_draws_exactly_its_value():
    # nu is log-uniform: exp(log(0.01)) would be two ulps above 0.01
    params, _ = draw_inputs(small_cfg(params={"nu": 0.01, "L": 3.0}), seed=0, indices=np.arange(3))
    assert params["nu"].tolist() == [0.01] * 3 and params["L"].tolist() == [3.0] * 3


def test_same_seed_same_data_for_any_batch_size(tmp_path):
    cfg, num = small_cfg(), 8
    by_batch = {bs: load(run(cfg, num, tmp_path / f"b{bs}.h5", seed=7, batch_size=bs)) for bs in (1, 3, 8)}
    # Bitwise equality holds, not just 1 ulp: every trajectory's draws come from its own
    # stream (seed, index), and every operation in simulate (rfft/irfft, products, the
    # per-row blow-up checks) acts on each row separately with the same arithmetic
    # whatever the batch size, so the float64 results and their float32 casts agree exactly.
    ref = by_batch[1]
    for bs in (3, 8):
        for name in ("u", "nu", "L", "spectral_tail"):
            np.testing.assert_array_equal(by_batch[bs][name].values, ref[name].values, err_msg=f"{name}, batch {bs}")

    # trajectory i depends on (cfg, seed, i) only: a shorter run is a prefix of a longer one
    fewer = load(run(cfg, 3, tmp_path / "fewer.h5", seed=7, batch_size=2))
    np.testing.assert_array_equal(fewer["u"].values, ref["u"].values[:3])
    np.testing.assert_array_equal(fewer["nu"].values, ref["nu"].values[:3])

    # another seed gives other data, trajectory by trajectory
    other = load(run(cfg, num, tmp_path / "other.h5", seed=8, batch_size=8))
    assert other.attrs["seed"] == 8
    for i in range(num):
        assert not np.array_equal(other["u"].values[i], ref["u"].values[i]), i
    assert not np.any(other["nu"].values == ref["nu"].values)


# ---------------------------------------------------------------- sharding


def test_shards_combine_into_the_unsharded_file(tmp_path):
    cfg, num, seed = small_cfg(), 8, 2
    full = load(run(cfg, num, tmp_path / "full.h5", seed=seed, batch_size=3))
    out = tmp_path / "data.h5"
    paths = [run(cfg, num, out, seed=seed, batch_size=2, shard=Shard.parse(f"{i}/3")) for i in range(3)]

    assert [p.name for p in paths] == [f"data-0000{i}-of-00003.h5" for i in range(3)]
    assert all(p.parent == tmp_path and p.exists() for p in paths)
    assert not out.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())

    sizes, starts = [], []
    for i, p in enumerate(paths):
        part = load(p)
        assert part.attrs["shard"] == f"{i}/3"
        assert part.attrs["num_total"] == num
        assert part.attrs["complete"] == 1
        sizes.append(part.sizes["sample"])
        starts.append(int(part["sample"][0]))
    assert sum(sizes) == num and min(sizes) >= 2  # near-equal contiguous slices: 3, 2, 3
    assert starts == [0, sizes[0], sizes[0] + sizes[1]]

    with xr.open_mfdataset(paths, engine="h5netcdf", combine="by_coords") as combined:
        combined = combined.load()
    xr.testing.assert_equal(combined, full)  # values, dims, coords and dtypes; attrs differ (shard)
    assert combined["u"].dtype == np.float32


@pytest.mark.parametrize("num, count", [(8, 3), (10, 4), (5, 5), (1000, 7)])
def test_shard_indices_partition_the_samples(num, count):
    parts = [Shard(i, count).indices(num) for i in range(count)]
    np.testing.assert_array_equal(np.concatenate(parts), np.arange(num))
    lengths = [len(p) for p in parts]
    assert max(lengths) - min(lengths) <= 1


def test_shard_defaults_to_torchrun_environment(monkeypatch):
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert Shard.parse(None) == Shard(2, 4)
    monkeypatch.delenv("RANK")
    monkeypatch.delenv("WORLD_SIZE")
    assert Shard.parse(None) == Shard(0, 1)
    assert Shard.parse("1/4") == Shard(1, 4)


def test_empty_shard_is_written_empty(tmp_path):
    cfg = small_cfg()
    assert len(Shard(1, 3).indices(2)) == 0
    path = run(cfg, 2, tmp_path / "e.h5", shard=Shard(1, 3))
    assert load(path).sizes["sample"] == 0
    assert not partial_path(path).exists()
