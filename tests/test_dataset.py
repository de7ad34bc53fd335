"""Dataset generation end to end: schema, reproducibility, sharding, resume, refusals, bad input.

Every test runs on tiny grids (nx=64, 5 stored frames, a few trajectories), so the
whole file takes seconds on a laptop CPU.
"""
from __future__ import annotations

import json
import re

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

import solvers.generate as generate_module
from pdejepa import __version__
from solvers import simulate
from solvers.config import SimulationConfig, draw_inputs
from solvers.dataset import partial_path
from solvers.errors import BlowUpError, SimulationError, UnresolvedTrajectoryError
from solvers.generate import Shard, generate

# float32 keeps 24 significant bits: a float64 value rounded to float32 is within 2**-24 relative
FLOAT32_RTOL = 2.0**-23


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run torch single-threaded in these tests.

    Results do not depend on it (rows are independent), but on a small shared CPU
    torch's intra-op threads make batched FFTs of a few 64-point rows about 1000x
    slower (milliseconds instead of microseconds per call), which would dominate
    the run time of this file.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_cfg(**overrides) -> SimulationConfig:
    """A Burgers recipe that runs in milliseconds and is resolved on nx=64.

    With amplitude 0.2 and nu in [0.1, 0.5] the largest spectral tail over 500
    trajectories is about 6e-5, below the default tail_tol of 1e-4.
    """
    base = SimulationConfig.default("burgers", nx=64, nt=5, t_end=0.2, dt=0.01, amplitude=0.2, params={"nu": (0.1, 0.5)})
    return base.updated(**overrides)


def reference(cfg: SimulationConfig, seed: int, indices):
    """The parameters and trajectories of ``indices`` straight from :func:`solvers.simulate`."""
    indices = np.asarray(indices)
    params, draws = draw_inputs(cfg, seed, indices)
    u0 = cfg.initial_condition().build(torch.as_tensor(draws), cfg.nx)
    result = simulate(
        cfg.eq, u0, {k: torch.as_tensor(v) for k, v in params.items()}, torch.as_tensor(cfg.output_times()), cfg.dt
    )
    return params, result


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def run(cfg, num, out, **kwargs):
    kwargs.setdefault("progress", False)
    return generate(cfg, num, out, **kwargs)


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
    assert ds["x"].attrs["units"] == "length units"

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
    assert "fraction" in ds["x"].attrs["units"]
    L = ds["L"].values
    assert np.all((L >= 1.0) & (L <= 4.0)) and len(np.unique(L)) == 3


# ---------------------------------------------------------------- reproducibility


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


# ---------------------------------------------------------------- resume and refusals


def interrupt_on_call(monkeypatch, n: int) -> list[int]:
    """Make the ``n``-th call of simulate (inside generate) raise KeyboardInterrupt; count calls."""
    real = generate_module.simulate
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "simulate", wrapper)
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
    with pytest.raises(FileExistsError, match="already complete"):
        run(cfg, 4, out, seed=1, resume=True)
    assert out.read_bytes() == complete

    # overwrite replaces a complete file
    run(cfg, 4, out, seed=5, overwrite=True)
    assert load(out).attrs["seed"] == 5


# ---------------------------------------------------------------- rejected batches


def test_unresolved_trajectories_are_rejected_by_index(tmp_path):
    # Burgers with nu down to 1e-3 on a 32-point grid steepens into fronts the grid cannot hold
    cfg = SimulationConfig.default(
        "burgers", nx=32, nt=5, t_end=0.5, dt=0.01, amplitude=0.5, params={"nu": (1e-3, 0.5)}, tail_tol=2e-2
    )
    shard, num = Shard(1, 2), 12  # global indices 6..11 in one batch
    indices = shard.indices(num)
    _, ref = reference(cfg, 0, indices)
    tail = ref.tail.numpy()
    coarse = indices[tail > cfg.tail_tol]
    fine = indices[tail <= cfg.tail_tol]
    assert ref.finite.all() and 0 < len(coarse) < len(indices)  # a mix, so the listing is checked

    out = tmp_path / "u.h5"
    with pytest.raises(UnresolvedTrajectoryError) as info:
        run(cfg, num, out, shard=shard, batch_size=len(indices))
    assert isinstance(info.value, SimulationError)
    message = str(info.value)
    for i, t in zip(indices, tail):
        if i in coarse:
            assert f"{i} (tail {t:.1e})" in message, (i, message)
        else:
            assert f"{i} (tail" not in message, (i, message)
    assert "nx=32" in message and "tail_tol=2e-02" in message
    assert len(fine) > 0

    final = shard.path(out)
    assert not final.exists()
    assert not partial_path(final).exists()  # nothing written: no partial left to block a rerun


def test_blow_up_is_rejected_by_index_and_earlier_batches_kept(tmp_path):
    # KdV with amplitude 3 and steps of 1.0: some trajectories go non-finite, others survive
    cfg = SimulationConfig.default("kdv", nx=64, nt=3, t_end=10.0, dt=1.0, amplitude=3.0, tail_tol=0.99)
    shard, num, bs = Shard(1, 2), 12, 3  # global indices 6..11, batches 6-8 and 9-11
    indices = shard.indices(num)
    _, first = reference(cfg, 0, indices[:bs])
    _, second = reference(cfg, 0, indices[bs:])
    assert first.finite.all() and (first.tail <= cfg.tail_tol).all()  # the first batch is stored
    bad = indices[bs:][~second.finite.numpy()]
    assert 0 < len(bad) < bs

    out = tmp_path / "k.h5"
    with pytest.raises(BlowUpError) as info:
        run(cfg, num, out, shard=shard, batch_size=bs)
    assert isinstance(info.value, SimulationError)
    message = str(info.value)
    assert f"trajectories {bad.tolist()} went non-finite" in message
    assert "dt=1.0" in message

    final = shard.path(out)
    assert not final.exists()
    with h5py.File(partial_path(final), "r") as f:
        assert f.attrs["samples_written"] == bs
        assert np.isfinite(f["u"][:bs]).all()


def test_blow_up_with_huge_amplitude_and_step(tmp_path):
    cfg = SimulationConfig.default("burgers", nx=64, nt=3, t_end=2.0, dt=1.0, amplitude=1000.0, params={"nu": 1e-3})
    with pytest.raises(BlowUpError, match=re.escape("trajectories [0, 1, 2]")):
        run(cfg, 3, tmp_path / "b.h5")
    assert not (tmp_path / "b.h5").exists()


# ---------------------------------------------------------------- bad input


@pytest.fixture
def no_simulation(monkeypatch, tmp_path):
    """Fail the test if generate gets as far as simulating anything."""

    def forbidden(*args, **kwargs):
        raise AssertionError("simulate was called despite bad input")

    monkeypatch.setattr(generate_module, "simulate", forbidden)
    return tmp_path


BAD_CONFIGS = [
    ({"nx": 63}, "nx=63"),
    ({"nx": 6}, "nx=6"),
    ({"nx": 64.0}, "nx=64.0"),
    ({"dt": 0.0}, "dt=0.0"),
    ({"dt": -0.01}, "dt=-0.01"),
    ({"dt": float("nan")}, "dt=nan"),
    ({"params": {"nu": 0.0}}, "nu must be positive, got range (0.0, 0.0)"),
    ({"params": {"nu": (-1.0, 0.1)}}, "nu must be positive, got range (-1.0, 0.1)"),
    ({"params": {"L": -1.0}}, "L must be positive, got range (-1.0, -1.0)"),
    ({"params": {"L": 0.0}}, "L must be positive, got range (0.0, 0.0)"),
    ({"params": {"nu": (0.5, 0.2)}}, "nu range (0.5, 0.2) is empty"),
    ({"times": (0.0, 0.1, 0.1)}, "times[2]=np.float64(0.1) does not exceed times[1]"),
    ({"times": (0.0, 0.2, 0.1)}, "strictly increasing"),
    ({"times": (-1.0, 0.0)}, "-1.0"),
    ({"ic": "gaussian"}, "ic='gaussian'"),
    ({"max_wavenumber": 22}, "max_wavenumber=22"),
    ({"nt": 0}, "nt=0"),
    ({"amplitude": -0.5}, "amplitude=-0.5"),
    ({"tail_tol": 1.5}, "tail_tol=1.5"),
]


@pytest.mark.parametrize("overrides, named", BAD_CONFIGS, ids=[m for _, m in BAD_CONFIGS])
def test_bad_config_is_refused_before_any_work(no_simulation, overrides, named):
    cfg = small_cfg(**overrides)
    with pytest.raises(ValueError, match=re.escape(named)):
        cfg.validate()
    with pytest.raises(ValueError, match=re.escape(named)):
        run(cfg, 4, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


def test_unknown_equation_or_field_is_refused():
    with pytest.raises(ValueError, match="unknown equation 'navier_stokes'; choose one of"):
        SimulationConfig.default("navier_stokes")
    with pytest.raises(ValueError, match=r"unknown configuration field\(s\) \['viscosity'\]"):
        SimulationConfig.default("burgers", viscosity=0.1)
    # KS has no viscosity parameter
    with pytest.raises(ValueError, match=r"parameters \['L', 'nu'\] must be exactly \['L'\]"):
        SimulationConfig.default("ks").updated(params={"nu": 0.1}).validate()


@pytest.mark.parametrize("text", ["3/2", "x", "1/0", "0/0", "-1/2", "0/2/3", "1.5/2", ""])
def test_bad_shard_strings(text):
    with pytest.raises(ValueError, match=re.escape(f"shard {text!r}")):
        Shard.parse(text)


BAD_RUNS = [
    ({"num": 0}, "num=0"),
    ({"num": -3}, "num=-3"),
    ({"num": 2.5}, "num=2.5"),
    ({"seed": -1}, "seed=-1"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"device": "tpu"}, "device 'tpu'"),
    ({"device": "nonsense"}, "device 'nonsense'"),
    ({"device": "mps"}, "device 'mps' is not supported"),
]


@pytest.mark.parametrize("kwargs, named", BAD_RUNS, ids=[m for _, m in BAD_RUNS])
def test_bad_run_settings_are_refused_before_any_work(no_simulation, kwargs, named):
    args = {"num": 4, "seed": 0, **kwargs}
    num = args.pop("num")
    with pytest.raises(ValueError, match=re.escape(named)):
        run(small_cfg(), num, no_simulation / "bad.h5", **args)
    assert list(no_simulation.iterdir()) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_cuda_is_refused(no_simulation, device):
    with pytest.raises(ValueError, match=re.escape(f"device {device!r} requested but CUDA is not available")):
        run(small_cfg(), 4, no_simulation / "bad.h5", device=device)
    assert list(no_simulation.iterdir()) == []


def test_sigterm_is_turned_into_a_clean_interrupt():
    import os
    import signal
    import time

    from solvers.generate import sigterm_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts the sleep at once
    assert signal.getsignal(signal.SIGTERM) == before
