"""Self-describing files: CF-1.10 attributes that cf_xarray reads, fill values, compressed chunks.

Tiny recipes (1D Burgers on 64 points, 2D smoke on 16 x 16 cells): seconds on a laptop CPU.
"""

from __future__ import annotations

import cf_xarray  # noqa: F401  (registers the ``.cf`` accessor)
import h5py
import numpy as np
import pytest
import xarray as xr

from solvers.dataset import COMPRESSIONS, compression_options, partial_path
from solvers.locks import lock_path
from solvers.periodic1d import SimulationConfig

from .conftest import load, run, small_2d, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cf")
    return {
        "1d": run(small_cfg(), 3, folder / "burgers.h5", batch_size=2),
        "2d": run(small_2d(), 2, folder / "smoke.h5"),
    }


@pytest.mark.parametrize(
    "kind, axes", [("1d", {"T": ["time"], "X": ["x"]}), ("2d", {"T": ["time"], "X": ["x"], "Y": ["y"]})]
)
def test_cf_xarray_finds_the_axes(files, kind, axes):
    with xr.open_dataset(files[kind], engine="h5netcdf") as ds:
        assert ds.attrs["Conventions"] == "CF-1.10"
        assert ds.cf.axes == axes
        assert ds.cf["T"].name == "time" and ds.cf["X"].name == "x"


@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_every_variable_has_a_long_name_and_udunits(files, kind):
    with xr.open_dataset(files[kind], engine="h5netcdf") as ds:
        for name in ds.variables:
            attrs = ds[name].attrs
            assert attrs.get("long_name"), name
            assert attrs.get("units") == "1", name  # every recipe is nondimensional: UDUNITS' dimensionless
        for name in ("time", "x"):
            assert "nondimensional" in ds[name].attrs["description"], name
        params = ("nu", "L") if kind == "1d" else ("buoyancy", "nu")
        for name in params:
            assert ds[name].attrs["description"], name
        assert ds.attrs["title"] and ds.attrs["solver"]


def test_x_says_when_it_is_a_fraction_of_L(tmp_path):
    cfg = SimulationConfig.default("heat", nx=32, nt=3, t_end=0.2, dt=0.05, params={"L": (1.0, 4.0)})
    ds = load(run(cfg, 2, tmp_path / "varying.h5"))
    assert "fraction" in ds["x"].attrs["description"] and ds["x"].attrs["axis"] == "X"
    assert "log-uniformly" in ds["nu"].attrs["description"] and "uniformly" in ds["L"].attrs["description"]


@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_fill_values_are_declared_where_rows_may_be_missing(files, kind):
    with h5py.File(files[kind], "r") as f:
        fields = ("u",) if kind == "1d" else ("smoke", "vx", "vy")
        for name in fields:
            assert np.isnan(f[name].attrs["_FillValue"]) and f[name].attrs["_FillValue"].dtype == np.float32
            assert np.isnan(f[name].fillvalue)
        for name in ("nu",):
            assert np.isnan(f[name].attrs["_FillValue"]) and f[name].attrs["_FillValue"].dtype == np.float64
        for name in ("sample", "time", "x"):  # CF: coordinates have no missing values
            assert "_FillValue" not in f[name].attrs
    with xr.open_dataset(files[kind], engine="h5netcdf") as ds:
        assert np.isnan(ds[fields[0]].encoding["_FillValue"])
        assert ds[fields[0]].dtype == np.float32  # NaN fill keeps float32 (no cast to float64)


def test_fields_are_chunked_by_sample_and_gzip_compressed_by_default(files):
    with h5py.File(files["1d"], "r") as f:
        u = f["u"]
        assert u.chunks == (1, *u.shape[1:])
        assert (u.compression, u.compression_opts, u.shuffle) == ("gzip", 4, True)


@pytest.mark.parametrize("compression", ["none", "lzf", "gzip", "gzip:9"])
def test_compression_round_trips_the_same_values(tmp_path, compression):
    cfg = small_cfg()
    plain = load(run(cfg, 3, tmp_path / "plain.h5", seed=5, compression="none"))
    path = run(cfg, 3, tmp_path / "packed.h5", seed=5, batch_size=2, compression=compression)
    packed = load(path)
    xr.testing.assert_identical(packed.drop_attrs(), plain.drop_attrs())
    np.testing.assert_array_equal(packed["u"].values, plain["u"].values)
    with h5py.File(path, "r") as f:
        expected = compression_options(compression)
        assert f["u"].compression == expected.get("compression")
        assert f["u"].compression_opts == expected.get("compression_opts")


@pytest.mark.parametrize("spec", ["zstd", "gzip:0", "gzip:10", "lzf:3", "none:1", ""])
def test_a_bad_compression_is_refused_before_any_file_is_touched(tmp_path, spec):
    out = tmp_path / "d.h5"
    with pytest.raises(ValueError, match="compression .* is not one of none, lzf, gzip"):
        run(small_cfg(), 2, out, compression=spec)
    assert not out.exists() and not partial_path(out).exists() and not lock_path(out).exists()
    assert set(COMPRESSIONS) == {"none", "lzf", "gzip"}
