"""The ``pdejepa`` command line: generate (flags, YAML, refusals, resume) and plot."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

import solvers.periodic1d.recipe as periodic1d_recipe
from pdejepa.cli import main
from solvers.dataset import partial_path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# a Burgers recipe that runs in milliseconds and is resolved on nx=64 (see small_cfg in tests/solvers/conftest.py)
SMALL = ["--nx", "64", "--nt", "5", "--t-end", "0.2", "--dt", "0.01", "--amplitude", "0.2", "--no-progress"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def generate_args(out, *extra, equation="burgers", num="4"):
    return ["generate", equation, "--num", num, "--out", str(out), *SMALL, *extra]


def h5_files(folder):
    return sorted(p.name for p in folder.rglob("*") if ".h5" in p.name)


# ---------------------------------------------------------------- generate


def test_generate_writes_a_dataset_xarray_opens(tmp_path, capsys):
    out = tmp_path / "b.h5"
    assert main(generate_args(out, "--nu", "0.1", "0.2", "--seed", "3", "--batch-size", "3")) == 0
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.out
    assert captured.err == ""  # --no-progress: no bar
    assert h5_files(tmp_path) == ["b.h5"]

    ds = load(out)
    assert dict(ds.sizes) == {"sample": 4, "time": 5, "x": 64}
    assert ds["u"].dtype == np.float32
    np.testing.assert_array_equal(ds["time"].values, np.linspace(0.0, 0.2, 5))
    nu = ds["nu"].values
    assert np.all((nu >= 0.1) & (nu <= 0.2)) and len(np.unique(nu)) == 4
    assert ds.attrs["equation"] == "burgers"
    assert ds.attrs["seed"] == 3
    assert ds.attrs["nx"] == 64
    assert ds.attrs["dt"] == 0.01
    assert "nu" in ds.attrs["parameter_ranges"] and "0.2" in ds.attrs["parameter_ranges"]


def test_generate_with_explicit_times_and_fixed_L(tmp_path):
    out = tmp_path / "t.h5"
    assert main(generate_args(out, "--times", "0", "0.05", "0.15", "--L", "3.0", "3.0")) == 0
    ds = load(out)
    np.testing.assert_array_equal(ds["time"].values, [0.0, 0.05, 0.15])
    np.testing.assert_array_equal(ds["L"].values, np.full(4, 3.0))
    np.testing.assert_allclose(ds["x"].values, np.arange(64) * 3.0 / 64, rtol=1e-14)


def test_generate_single_value_fixes_a_parameter(tmp_path, capsys):
    out = tmp_path / "fixed.h5"
    assert main(generate_args(out, "--nu", "0.3")) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(load(out)["nu"].values, np.full(4, 0.3))


def test_config_yaml_is_honoured_and_flags_override_it(tmp_path):
    recipe = {
        "equation": "burgers",
        "nx": 64,
        "nt": 3,
        "t_end": 0.1,
        "dt": 0.01,
        "amplitude": 0.2,
        "params": {"nu": [0.3, 0.4]},
        "num": 3,
        "seed": 5,
        "out": str(tmp_path / "from_yaml.h5"),
    }
    config = tmp_path / "recipe.yaml"
    config.write_text(yaml.safe_dump(recipe))

    # the YAML alone: equation, grid, ranges and run settings all come from it
    assert main(["generate", "--config", str(config), "--no-progress"]) == 0
    ds = load(tmp_path / "from_yaml.h5")
    assert dict(ds.sizes) == {"sample": 3, "time": 3, "x": 64}
    np.testing.assert_array_equal(ds["time"].values, np.linspace(0.0, 0.1, 3))
    assert ds.attrs["seed"] == 5
    assert np.all((ds["nu"].values >= 0.3) & (ds["nu"].values <= 0.4))

    # flags override the YAML fields (grid, times, ranges and run settings)
    out = tmp_path / "override.h5"
    args = ["generate", "burgers", "--config", str(config), "--out", str(out), "--no-progress"]
    assert main([*args, "--nt", "4", "--seed", "7", "--num", "2", "--nu", "0.15", "0.2"]) == 0
    ds = load(out)
    assert dict(ds.sizes) == {"sample": 2, "time": 4, "x": 64}
    np.testing.assert_allclose(ds["time"].values, np.linspace(0.0, 0.1, 4))
    assert ds.attrs["seed"] == 7
    assert np.all((ds["nu"].values >= 0.15) & (ds["nu"].values <= 0.2))
    assert ds.attrs["dt"] == 0.01  # not overridden: still from the YAML


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "o.h5"
    assert main(generate_args(out, "--seed", "1")) == 0
    capsys.readouterr()
    assert main(generate_args(out, "--seed", "2")) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and str(out) in err and "--overwrite" in err
    assert load(out).attrs["seed"] == 1
    assert main(generate_args(out, "--seed", "2", "--overwrite")) == 0
    assert load(out).attrs["seed"] == 2


def test_interrupt_then_resume(tmp_path, capsys, monkeypatch):
    real = periodic1d_recipe.simulate
    calls = [0]

    def interrupt_second_batch(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(periodic1d_recipe, "simulate", interrupt_second_batch)
    out = tmp_path / "i.h5"
    assert main(generate_args(out, "--batch-size", "2")) == 130
    err = capsys.readouterr().err
    assert "2/4" in err and "--resume" in err
    assert not out.exists() and partial_path(out).exists()

    monkeypatch.undo()
    assert main(generate_args(out, "--batch-size", "2")) == 2  # neither --resume nor --overwrite
    assert "--resume" in capsys.readouterr().err
    assert main(generate_args(out, "--batch-size", "2", "--resume")) == 0
    assert not partial_path(out).exists()
    assert main(generate_args(tmp_path / "ref.h5")) == 0
    np.testing.assert_array_equal(load(out)["u"].values, load(tmp_path / "ref.h5")["u"].values)


def test_shard_flag_writes_the_shard_file(tmp_path):
    out = tmp_path / "s.h5"
    assert main(generate_args(out, "--shard", "1/2")) == 0
    assert h5_files(tmp_path) == ["s-00001-of-00002.h5"]
    ds = load(tmp_path / "s-00001-of-00002.h5")
    np.testing.assert_array_equal(ds["sample"].values, [2, 3])


BAD_FLAGS = [
    (["--nx", "63"], "nx=63"),
    (["--nx", "4"], "nx=4"),
    (["--dt", "0"], "dt=0.0"),
    (["--nu", "-1", "0.1"], "nu must be positive, got range (-1.0, 0.1)"),
    (["--nu", "0.2", "0.1"], "nu range (0.2, 0.1) is empty"),
    (["--nu", "0.1", "0.2", "0.3"], "nu takes one value (fixed) or two (low, high), got [0.1, 0.2, 0.3]"),
    (["--L", "0", "1"], "L must be positive"),
    (["--times", "0", "1", "1"], "times[2]=np.float64(1.0) does not exceed times[1]"),
    (["--ic", "gaussian"], "ic='gaussian'"),
    (["--max-wavenumber", "30"], "max_wavenumber=30"),
    (["--shard", "3/2"], "shard '3/2'"),
    (["--shard", "x"], "shard 'x'"),
    (["--num", "0"], "num=0"),
    (["--seed", "-1"], "seed=-1"),
    (["--batch-size", "0"], "batch_size=0"),
    (["--device", "tpu"], "device 'tpu'"),
    (["--device", "nonsense"], "device 'nonsense'"),
]


@pytest.mark.parametrize("flags, named", BAD_FLAGS, ids=[m for _, m in BAD_FLAGS])
def test_bad_flags_exit_2_naming_the_value(tmp_path, capsys, flags, named):
    assert main(generate_args(tmp_path / "bad.h5", *flags)) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("pdejepa generate: error:")
    assert named in captured.err, captured.err
    assert h5_files(tmp_path) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_exits_2(tmp_path, capsys):
    assert main(generate_args(tmp_path / "bad.h5", "--device", "cuda")) == 2
    assert "device 'cuda' requested but CUDA is not available" in capsys.readouterr().err
    assert h5_files(tmp_path) == []


def test_parameter_the_equation_lacks_exits_2(tmp_path, capsys):
    assert main(generate_args(tmp_path / "ks.h5", "--nu", "0.1", "0.2", equation="ks")) == 2
    err = capsys.readouterr().err
    assert "ks has no parameter 'nu'" in err and "['L']" in err
    assert h5_files(tmp_path) == []


def test_single_negative_value_is_named(tmp_path, capsys):
    assert main(generate_args(tmp_path / "bad.h5", "--nu", "-1")) == 2
    assert "-1" in capsys.readouterr().err


def test_bad_yaml_exits_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({"equation": "burgers", "viscosity": 0.1}))
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "y.h5"), "--no-progress"]) == 2
    assert "unknown configuration field(s) ['viscosity']" in capsys.readouterr().err

    config.write_text("- just\n- a list\n")
    assert main(["generate", "burgers", "--config", str(config), "--out", str(tmp_path / "y.h5")]) == 2
    assert "expected a mapping" in capsys.readouterr().err

    config.write_text(yaml.safe_dump({"nx": 64}))
    assert main(["generate", "--config", str(config), "--out", str(tmp_path / "y.h5")]) == 2
    assert "name the equation" in capsys.readouterr().err
    assert h5_files(tmp_path) == []


def test_unknown_equation_is_an_argparse_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["generate", "navier", "--out", str(tmp_path / "n.h5")])
    assert info.value.code == 2
    assert "invalid choice: 'navier'" in capsys.readouterr().err


# ---------------------------------------------------------------- plot


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "p.h5"
    assert main(generate_args(path)) == 0
    return path


def test_plot_writes_a_png(small_file, tmp_path, capsys):
    png = tmp_path / "pics" / "two.png"
    assert main(["plot", str(small_file), "--sample", "0", "1", "--out", str(png)]) == 0
    assert f"saved {png}" in capsys.readouterr().out
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000

    # the default output name is the file's, with .png
    assert main(["plot", str(small_file)]) == 0
    assert small_file.with_suffix(".png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize("sample", ["4", "-1"])
def test_plot_out_of_range_sample_exits_2(small_file, tmp_path, capsys, sample):
    png = tmp_path / "bad.png"
    assert main(["plot", str(small_file), "--sample", "0", sample, "--out", str(png)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa plot: error:")
    assert f"sample(s) [{sample}] out of range" in err and "0..3" in err
    assert not png.exists()


def test_plot_missing_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "missing.h5"
    assert main(["plot", str(missing)]) == 2
    assert f"{missing} does not exist" in capsys.readouterr().err
