"""Export to and import from The Well and PDEArena: layouts their readers accept, round trips, bad input.

Tiny files (3 trajectories of Burgers on 64 points, of smoke on 16 x 8 cells) keep each test to about a second.
The Well's own reader (``the_well.data.WellDataset``, package ``the_well`` in the test extra) must load the
export; PDEArena's layout is checked against a fixture written as its generator writes it, read as its
conditioned NavierStokes2D loader reads it.
"""

from __future__ import annotations

import json
import re

import h5py
import numpy as np
import pytest
import yaml

from pdejepa.cli import main
from pdejepa.data import TrajectoryDataset
from solvers.exchange import export_dataset, import_dataset

from .conftest import load, run, small_2d, small_cfg

NUM = 3


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Our 1D (Burgers) and 2D (smoke, 16 x 8 cells so that x and y cannot be confused) files."""
    root = tmp_path_factory.mktemp("ours")
    burgers = run(small_cfg(), NUM, root / "burgers.h5")
    smoke = run(small_2d(nx=16, ny=8, Ly=8.0, nt=3), NUM, root / "smoke.h5", seed=3)
    return {"1D": burgers, "2D": smoke}


def fields_of(kind: str) -> tuple[str, ...]:
    return ("u",) if kind == "1D" else ("smoke", "vx", "vy")


def well_order(a: np.ndarray, kind: str = "2D") -> np.ndarray:
    """Our ``(..., y, x)`` as The Well's and PDEArena's ``(..., x, y)`` (1D unchanged)."""
    return a if kind == "1D" else np.swapaxes(a, -1, -2)


def check_same_file(imported, original) -> None:
    """Fields, per-sample variables and coordinates of two of our files agree to float32 precision."""
    a, b = load(imported), load(original)
    assert set(a.data_vars) == set(b.data_vars)
    for name in b.data_vars:
        assert a[name].dims == b[name].dims, name
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=2.0**-23, atol=0, err_msg=name)
    for name in ("sample", "time", "x", *(["y"] if "y" in b.coords else [])):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=2.0**-23, atol=1e-7, err_msg=name)
    for name in b.variables:  # CF attributes come back; statistics are recomputed (times to float32 precision)
        assert set(a[name].attrs) == set(b[name].attrs), name
        for key, value in b[name].attrs.items():
            assert a[name].attrs[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-6)), key
    for key in ("equation", "config", "seed", "version"):
        assert a.attrs[key] == b.attrs[key], key
    assert a.attrs["complete"] == 1 and a.attrs["converter"].startswith("pdejepa ")


# --- The Well ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["1D", "2D"])
def test_the_well_export_has_their_layout_and_our_values(files, kind, tmp_path):
    written = export_dataset(files[kind], "the-well", tmp_path)
    assert written == [tmp_path / "data" / "train" / f"{files[kind].stem}.hdf5", tmp_path / "stats.yaml"]
    ours = load(files[kind])
    with h5py.File(written[0], "r") as f:
        dims = ["x"] if kind == "1D" else ["x", "y"]
        assert list(f["dimensions"].attrs["spatial_dims"]) == dims
        assert f.attrs["n_spatial_dims"] == len(dims) and f.attrs["n_trajectories"] == NUM
        assert f.attrs["grid_type"] == "cartesian" and f.attrs["dataset_name"] == ours.attrs["equation"]
        assert {"t0_fields", "t1_fields", "t2_fields", "scalars", "boundary_conditions"} <= set(f)
        np.testing.assert_allclose(f["dimensions"]["time"][()], ours["time"].values, rtol=1e-6)
        if kind == "1D":
            assert list(f["t0_fields"].attrs["field_names"]) == ["u"]
            np.testing.assert_array_equal(f["t0_fields"]["u"][()], ours["u"].values)
            assert list(f["boundary_conditions"]) == ["x_periodic"]
        else:
            assert list(f["t0_fields"].attrs["field_names"]) == ["smoke"]
            assert list(f["t1_fields"].attrs["field_names"]) == ["velocity"]
            velocity = f["t1_fields"]["velocity"][()]
            assert velocity.shape == (NUM, 3, 16, 8, 2)  # (B, T, X, Y, D): vectors stacked last
            np.testing.assert_array_equal(velocity[..., 0], well_order(ours["vx"].values))
            np.testing.assert_array_equal(velocity[..., 1], well_order(ours["vy"].values))
            assert sorted(f["boundary_conditions"]) == ["x_wall", "y_wall"]
            assert list(f.attrs["simulation_parameters"]) == ["nu"] and f.attrs["nu"] == pytest.approx(0.01)
        for name in ours.data_vars:
            if ours[name].dims == ("sample",):
                assert f["scalars"][name].attrs["sample_varying"]
                np.testing.assert_allclose(f["scalars"][name][()], ours[name].values, rtol=2.0**-23)
        for group in ("t0_fields", "t1_fields"):
            for name in f[group].attrs["field_names"]:
                a = f[group][name].attrs
                assert a["sample_varying"] and a["time_varying"] and list(a["dim_varying"]) == [True] * len(dims)


def expected_stats(original, kind: str) -> dict[str, dict]:
    """stats.yaml computed directly with numpy (population statistics, deltas of consecutive frames)."""
    ds = load(original)
    stats = {k: {} for k in ("mean", "std", "rms", "mean_delta", "std_delta", "rms_delta")}
    groups = {"u": ["u"]} if kind == "1D" else {"smoke": ["smoke"], "velocity": ["vx", "vy"]}
    for name, comps in groups.items():
        for suffix, values in (
            ("", [ds[c].values for c in comps]),
            ("_delta", [np.diff(ds[c].values, axis=1) for c in comps]),
        ):
            v = [np.asarray(x, dtype=np.float64) for x in values]
            mean = [x.mean() for x in v]
            std = [x.std() for x in v]
            rms = [np.sqrt((x**2).mean()) for x in v]
            for key, got in (("mean", mean), ("std", std), ("rms", rms)):
                stats[key + suffix][name] = got if len(comps) > 1 else got[0]
    return stats


@pytest.mark.parametrize("kind", ["1D", "2D"])
def test_the_well_stats_file_holds_our_field_statistics(files, kind, tmp_path):
    export_dataset(files[kind], "the-well", tmp_path)
    stats = yaml.safe_load((tmp_path / "stats.yaml").read_text())
    expected = expected_stats(files[kind], kind)
    assert set(stats) == set(expected)
    for key, per_field in expected.items():
        assert set(stats[key]) == set(per_field)
        for name, value in per_field.items():
            np.testing.assert_allclose(stats[key][name], value, rtol=1e-9, atol=1e-10, err_msg=f"{key} {name}")


@pytest.mark.parametrize("kind", ["1D", "2D"])
def test_welldataset_loads_the_export(files, kind, tmp_path):
    data = pytest.importorskip(
        "the_well.data", reason="the_well (The Well's reader, in the test extra) cannot be installed here"
    )
    normalization = pytest.importorskip("the_well.data.normalization")
    export_dataset(files[kind], "the-well", tmp_path)
    ours = load(files[kind])
    nt = ours.sizes["time"]
    for normalize in (False, True):
        well = data.WellDataset(
            path=str(tmp_path),
            well_split_name="train",
            n_steps_input=1,
            n_steps_output=1,
            use_normalization=normalize,
            normalization_type=normalization.ZScoreNormalization if normalize else None,
        )
        assert len(well) == NUM * (nt - 1)
        names = fields_of(kind)
        stacked = np.stack([well_order(ours[n].values, kind) for n in names], axis=-1)  # (B, T, X[, Y], C)
        if normalize:
            stats = yaml.safe_load((tmp_path / "stats.yaml").read_text())
            well_fields = ["u"] if kind == "1D" else ["smoke", "velocity"]
            mean = np.concatenate([np.ravel(stats["mean"][k]) for k in well_fields])
            std = np.concatenate([np.ravel(stats["std"][k]) for k in well_fields])
            stacked = (stacked - mean) / std
        for index in range(len(well)):
            item = well[index]
            sample, start = divmod(index, nt - 1)
            np.testing.assert_allclose(item["input_fields"].numpy()[0], stacked[sample, start], rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(
                item["output_fields"].numpy()[0], stacked[sample, start + 1], rtol=1e-5, atol=1e-5
            )
            per_sample = [ours[n].values[sample] for n in ours.data_vars if ours[n].dims == ("sample",)]
            np.testing.assert_allclose(item["constant_scalars"].numpy(), per_sample, rtol=2.0**-23)
        grid = item["space_grid"].numpy()
        np.testing.assert_allclose(grid[..., 0].reshape(grid.shape[0], -1)[:, 0], ours["x"].values, rtol=1e-6)
        wall, periodic = 0, 2  # The Well's BoundaryCondition codes
        expected_bc = [[periodic, periodic]] if kind == "1D" else [[wall, wall], [wall, wall]]
        np.testing.assert_array_equal(item["boundary_conditions"].numpy(), expected_bc)


@pytest.mark.parametrize("kind", ["1D", "2D"])
def test_the_well_export_imports_back_to_the_same_file(files, kind, tmp_path):
    export_dataset(files[kind], "the-well", tmp_path / "well")
    back = import_dataset(tmp_path / "well" / "data" / "train", "the-well", tmp_path / "back.h5")
    check_same_file(back, files[kind])
    with h5py.File(back, "r") as f:
        assert f.attrs["imported_from"] == "the-well"
        assert json.loads(f.attrs["imported_source"]) == [f"{files[kind].stem}.hdf5"]
    labels = ("nu",) if kind == "1D" else ("buoyancy",)
    item = TrajectoryDataset(back, labels=labels, fields=fields_of(kind))[0]  # our readers take it as it is
    assert item["labels"].shape == (1,)


def test_the_well_dataset_folder_with_split_and_two_files(files, tmp_path):
    """Two train files (shards) pool into one stats.yaml; --split reads a dataset folder; valid leaves stats alone."""
    other = run(small_cfg(), NUM, tmp_path / "more.h5", seed=5)
    export_dataset(files["1D"], "the-well", tmp_path / "well")
    export_dataset(other, "the-well", tmp_path / "well")
    stats = yaml.safe_load((tmp_path / "well" / "stats.yaml").read_text())
    both = np.concatenate([load(files["1D"])["u"].values, load(other)["u"].values]).astype(np.float64)
    assert stats["mean"]["u"] == pytest.approx(both.mean(), rel=1e-9)
    assert stats["std_delta"]["u"] == pytest.approx(np.diff(both, axis=1).std(), rel=1e-9)
    before = (tmp_path / "well" / "stats.yaml").read_bytes()
    assert export_dataset(other, "the-well", tmp_path / "well", split="valid") == [
        tmp_path / "well" / "data" / "valid" / "more.hdf5"
    ]
    assert (tmp_path / "well" / "stats.yaml").read_bytes() == before
    back = import_dataset(tmp_path / "well", "the-well", tmp_path / "train.h5", split="train")
    ds = load(back)
    assert ds.sizes["sample"] == 2 * NUM
    np.testing.assert_array_equal(ds["u"].values, both.astype(np.float32))


# --- PDEArena ---------------------------------------------------------------------------------------------


def write_pdearena_fixture(path, split: str, n: int = 2, nt: int = 3, nx: int = 6, ny: int = 4) -> dict:
    """A file as PDEArena's NavierStokes2D generator lays it out (its docs and generator): one group per split,
    float64 ``u``, ``vx``, ``vy`` ``(N, T, X, Y)``, coordinates and spacings per sample, ``buo_y``."""
    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {k: rng.random((n, nt, nx, ny)) for k in ("u", "vx", "vy")}
    t, x, y = np.linspace(18.0, 102.0, nt), np.linspace(0, 32.0, nx), np.linspace(0, 32.0, ny)
    values.update(
        t=np.tile(t, (n, 1)),
        dt=np.full(n, 1.5),
        x=np.tile(x, (n, 1)),
        dx=np.full(n, x[1] - x[0]),
        y=np.tile(y, (n, 1)),
        dy=np.full(n, y[1] - y[0]),
        buo_y=np.full(n, 0.3),
    )
    with h5py.File(path, "w") as f:
        group = f.create_group(split)
        for key, value in values.items():
            group.create_dataset(key, data=value, dtype=float)
    return values


def read_like_pdearena(path, split: str) -> list[tuple]:
    """What PDEArena's conditioned NavierStokes2D opener yields per trajectory: ``u (T, 1, X, Y)``,
    ``v (T, 2, X, Y)``, the condition ``buo_y`` ``(1,)`` and the grid sizes."""
    out = []
    with h5py.File(path, "r") as f:
        data = f[split]
        for i in range(data["u"].shape[0]):
            u = np.asarray(data["u"][i], dtype=np.float32)[:, None]
            v = np.stack([data["vx"][i], data["vy"][i]], axis=1).astype(np.float32)
            cond = np.asarray(data["buo_y"][i], dtype=np.float32)[None]
            out.append((u, v, cond, data["x"][i].shape[0], data["y"][i].shape[0]))
    return out


def pdearena_picks(name: str, split: str) -> bool:
    """PDEArena's file filter: the split and ``h5`` in the file name."""
    return split in name and "h5" in name


def test_pdearena_layout_matches_its_generator(files, tmp_path):
    (path,) = export_dataset(files["2D"], "pdearena", tmp_path, split="valid")
    assert re.fullmatch(r"NavierStokes2D_valid_3_0\.\d{5}-0\.\d{5}\.h5", path.name), path.name
    assert pdearena_picks(path.name, "valid") and not pdearena_picks(path.name, "train")
    write_pdearena_fixture(tmp_path / "fixture.h5", "valid")
    with h5py.File(path, "r") as ours, h5py.File(tmp_path / "fixture.h5", "r") as theirs:
        assert set(ours["valid"]) == set(theirs["valid"])
        for key in theirs["valid"]:
            a, b = ours["valid"][key], theirs["valid"][key]
            assert (a.dtype, a.ndim) == (b.dtype, b.ndim), key
    smoke = load(files["2D"])
    for i, (u, v, cond, nx, ny) in enumerate(read_like_pdearena(path, "valid")):
        assert u.shape == (3, 1, 16, 8) and v.shape == (3, 2, 16, 8) and (nx, ny) == (16, 8)
        np.testing.assert_array_equal(u[:, 0], well_order(smoke["smoke"].values[i]))
        np.testing.assert_array_equal(v[:, 0], well_order(smoke["vx"].values[i]))
        np.testing.assert_array_equal(v[:, 1], well_order(smoke["vy"].values[i]))
        assert cond[0] == np.float32(smoke["buoyancy"].values[i])
    (train,) = export_dataset(files["2D"], "pdearena", tmp_path)
    assert train.name.startswith("NavierStokes2D_train_3_") and train.name.endswith(f"_{NUM}.h5")


def test_pdearena_export_imports_back_to_the_same_file(files, tmp_path):
    (path,) = export_dataset(files["2D"], "pdearena", tmp_path / "arena")
    back = import_dataset(tmp_path / "arena", "pdearena", tmp_path / "back.h5")
    check_same_file(back, files["2D"])
    assert load(back).attrs["imported_from"] == "pdearena"


def test_pdearena_import_of_their_files(tmp_path):
    for split in ("train", "test"):
        write_pdearena_fixture(tmp_path / "arena" / f"NavierStokes2D_{split}_1_0.30000.h5", split)
    values = write_pdearena_fixture(tmp_path / "arena" / "NavierStokes2D_train_2_0.30000.h5", "train")
    with pytest.raises(ValueError, match="choose one with --split"):
        import_dataset(tmp_path / "arena", "pdearena", tmp_path / "ours.h5")
    out = import_dataset(tmp_path / "arena", "pdearena", tmp_path / "ours.h5", split="train")
    ds = load(out)
    assert ds.attrs["equation"] == "ns-buoyancy" and ds.attrs["split"] == "train"
    assert ds["smoke"].dims == ("sample", "time", "y", "x") and ds.sizes["sample"] == 4
    np.testing.assert_allclose(ds["smoke"].values[2:], np.swapaxes(values["u"], -1, -2), rtol=2.0**-23)
    np.testing.assert_allclose(ds["buoyancy"].values, 0.3)
    np.testing.assert_allclose(ds["time"].values, values["t"][0])
    item = TrajectoryDataset(out, labels=("buoyancy",), fields=("smoke", "vx", "vy"))[0]
    assert tuple(item["u"].shape) == (3, 3, 4, 6)


# --- bad input, the command line ------------------------------------------------------------------------------


def test_export_and_import_commands_report_bad_input_in_one_line(files, tmp_path, capsys):
    cases = [
        (["export", str(files["1D"]), "--to", "pdearena", str(tmp_path)], "2D smoke-buoyancy data only"),
        (["export", str(tmp_path / "none.h5"), "--to", "the-well", str(tmp_path)], "does not exist"),
        (["import", str(files["1D"]), "--from", "pdearena", str(tmp_path / "x.h5")], "not PDEArena's NavierStokes2D"),
        (["import", str(tmp_path), "--from", "the-well", str(tmp_path / "x.h5")], "no .h5 or .hdf5 file"),
        (["import", str(tmp_path), "--from", "the-well", str(tmp_path / "x.h5"), "--split", "test"], "no data/test"),
    ]
    junk = tmp_path / "junk" / "junk.hdf5"
    junk.parent.mkdir()
    junk.write_text("not hdf5")
    cases.append((["import", str(junk), "--from", "the-well", str(tmp_path / "x.h5")], "not a readable HDF5"))
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "x.h5").exists()


def test_export_and_import_refuse_overwrites_unknown_splits_and_formats_and_3d_data(files, tmp_path):
    export_dataset(files["1D"], "the-well", tmp_path / "well")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export_dataset(files["1D"], "the-well", tmp_path / "well")
    export_dataset(files["1D"], "the-well", tmp_path / "well", overwrite=True)
    with pytest.raises(ValueError, match="split 'dev'"):
        export_dataset(files["1D"], "the-well", tmp_path / "well", split="dev")
    with pytest.raises(ValueError, match="format 'pdebench'"):
        export_dataset(files["1D"], "pdebench", tmp_path)
    well_file = tmp_path / "well" / "data" / "train" / "burgers.hdf5"
    three_d = tmp_path / "three_d.hdf5"
    three_d.write_bytes(well_file.read_bytes())
    with h5py.File(three_d, "r+") as f:
        f.attrs["n_spatial_dims"] = 3
    with pytest.raises(ValueError, match="n_spatial_dims=3: our files hold 1D or 2D data only"):
        import_dataset(three_d, "the-well", tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists() and not list(tmp_path.glob("*.partial"))


def test_export_and_import_commands_give_back_the_same_file(files, tmp_path, capsys):
    assert main(["export", str(files["2D"]), "--to", "the-well", str(tmp_path / "well")]) == 0
    assert "stats.yaml" in capsys.readouterr().out
    argv = ["import", str(tmp_path / "well"), "--from", "the-well", "--split", "train", str(tmp_path / "back.h5")]
    assert main(argv) == 0
    check_same_file(tmp_path / "back.h5", files["2D"])
