"""2D buoyancy-driven smoke (``solvers.ns2d``): the dataset and the CLI (schema, resume, bad input,
blow-ups, the YAML recipe, plots).

Figures quoted in the docstrings were measured on the CPU in float64 when the tests were written.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

from pdejepa.cli import main
from solvers.dataset import partial_path
from solvers.ns2d import BuoyancyConfig, SmokePlume, draw_inputs
from solvers.ns2d.recipe import BuoyancyRecipe

from .ns_helpers import small_cfg

pytestmark = pytest.mark.usefixtures("two_torch_threads")


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def cli_args(out, *extra, num="4"):
    return [
        "generate",
        "ns-buoyancy",
        "--num",
        num,
        "--out",
        str(out),
        "--nx",
        "32",
        "--ny",
        "24",
        "--nt",
        "3",
        "--skip-nt",
        "1",
        "--no-progress",
        *extra,
    ]


def test_cli_writes_smoke_velocities_and_parameters_with_their_coordinates(tmp_path):
    out = tmp_path / "smoke.h5"
    assert main(cli_args(out, "--buoyancy", "0.3", "0.4", "--seed", "7", "--batch-size", "3")) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        for name in ("smoke", "vx", "vy"):
            assert ds[name].dims == ("sample", "time", "y", "x") and ds[name].dtype == np.float32
            assert np.isfinite(ds[name].values).all()
        assert ds["smoke"].shape == (4, 3, 24, 32)
        np.testing.assert_allclose(ds["time"].values, [3.0, 4.5, 6.0])
        np.testing.assert_allclose(ds["x"].values, (np.arange(32) + 0.5))
        np.testing.assert_allclose(ds["y"].values, (np.arange(24) + 0.5) * 32 / 24)
        assert ((ds["buoyancy"] >= 0.3) & (ds["buoyancy"] <= 0.4)).all() and (ds["nu"] == 0.01).all()
        assert ds.attrs["equation"] == "ns-buoyancy" and ds.attrs["seed"] == 7 and ds.attrs["complete"] == 1
        assert (ds["smoke"].values >= 0).all()
    with h5py.File(out) as f:
        assert f["smoke"].chunks == (1, 3, 24, 32)


def test_interrupt_then_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch, capsys):
    real = BuoyancyRecipe.simulate
    calls = [0]

    def interrupt_second_batch(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(BuoyancyRecipe, "simulate", interrupt_second_batch)
    out = tmp_path / "r.h5"
    assert main(cli_args(out, "--batch-size", "2")) == 130
    assert "2/4" in capsys.readouterr().err and partial_path(out).exists() and not out.exists()
    monkeypatch.undo()
    assert main(cli_args(out, "--batch-size", "2", "--nt", "4", "--resume")) == 2  # another recipe
    assert "another recipe" in capsys.readouterr().err
    assert main(cli_args(out, "--batch-size", "2", "--resume")) == 0
    assert main(cli_args(tmp_path / "ref.h5", "--batch-size", "2")) == 0
    with xr.open_dataset(out, engine="h5netcdf") as a, xr.open_dataset(tmp_path / "ref.h5", engine="h5netcdf") as b:
        for name in ("smoke", "vx", "vy", "buoyancy"):
            np.testing.assert_array_equal(a[name].values, b[name].values)


BAD = [
    (["--nu", "0"], "viscosity nu must be positive"),
    (["--nu", "-0.01"], "viscosity nu must be positive"),
    (["--nx", "0"], "nx=0 must be an integer >= 4"),
    (["--ny", "-3"], "ny=-3 must be an integer >= 4"),
    (["--Lx", "0"], "Lx=0.0 must be a positive"),
    (["--dt", "40"], "explicit viscous diffusion is unstable"),
    (["--dt", "0"], "dt=0.0 must be a positive"),
    (["--buoyancy", "0.5", "0.2"], "buoyancy range (0.5, 0.2) is empty"),
    (["--nt", "0"], "nt=0 must be an integer >= 1"),
    (["--substeps", "0"], "substeps=0"),
    (["--max-cfl", "-1"], "max_cfl=-1.0"),
    (["--noise-scale", "0.01"], "keeps no Fourier mode"),
    (["--splitting", "strang"], "splitting='strang'"),
    (["--t-end", "3"], "unknown configuration field(s) ['t_end']"),
    (["--L", "3"], "ns-buoyancy has no parameter 'L'"),
]


@pytest.mark.parametrize("flags, named", BAD, ids=[m for _, m in BAD])
def test_bad_input_is_refused_before_any_work(tmp_path, capsys, monkeypatch, flags, named):
    def forbidden(*args, **kwargs):
        raise AssertionError("simulated despite bad input")

    monkeypatch.setattr(BuoyancyRecipe, "simulate", forbidden)
    assert main(cli_args(tmp_path / "bad.h5", *flags)) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and named in err, err
    assert list(tmp_path.iterdir()) == []


def test_blow_up_is_reported_by_index_and_not_written(tmp_path, capsys):
    out = tmp_path / "b.h5"
    assert main(cli_args(out, "--max-cfl", "1.5", "--buoyancy", "0.2", "0.5", "--num", "6", "--batch-size", "6")) == 2
    err = capsys.readouterr().err
    assert "trajectories" in err and "max_cfl=1.5" in err and "Nothing of this batch was written" in err
    assert not out.exists()
    assert not partial_path(out).exists()  # nothing written: no partial left to block a rerun


def test_non_finite_trajectory_is_flagged_alone():
    cfg = small_cfg()
    params, draws = draw_inputs(cfg, 0, np.arange(3))
    s0 = BuoyancyRecipe(cfg).initial_smoke(draws, torch.device("cpu"))
    s0[1, 5, 5] = float("nan")
    r = SmokePlume(cfg.grid, cfg.dt).run(s0, torch.as_tensor(params["buoyancy"]), torch.as_tensor(params["nu"]), cfg.nt)
    assert r.finite.tolist() == [True, False, True]
    assert torch.isfinite(r.smoke[[0, 2]]).all()


def test_yaml_recipe_is_the_default(tmp_path):
    import yaml

    d = yaml.safe_load(open("configs/data/ns_buoyancy.yaml"))
    run_keys = {"equation", "num", "seed", "batch_size"}
    assert (
        BuoyancyConfig.default().updated(**{k: v for k, v in d.items() if k not in run_keys})
        == BuoyancyConfig.default()
    )
    cfg = BuoyancyConfig.default()
    assert (cfg.nx, cfg.ny, cfg.Lx, cfg.Ly, cfg.dt, cfg.nt, cfg.skip_nt, cfg.params["nu"], cfg.params["buoyancy"]) == (
        128,
        128,
        32.0,
        32.0,
        1.5,
        56,
        8,
        (0.01, 0.01),
        (0.2, 0.5),
    )
    np.testing.assert_allclose(cfg.output_times()[[0, -1]], [13.5, 96.0])
    out = tmp_path / "y.h5"
    flags = ["--out", str(out), "--num", "2", "--nx", "16", "--ny", "16", "--nt", "2", "--no-progress"]
    assert main(["generate", "--config", "configs/data/ns_buoyancy.yaml", *flags]) == 0
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes == {"sample": 2, "time": 2, "y": 16, "x": 16}


def test_plot_saves_a_filmstrip(tmp_path, capsys):
    out = tmp_path / "p.h5"
    assert main(cli_args(out, "--num", "2")) == 0
    png = tmp_path / "film.png"
    assert main(["plot", str(out), "--sample", "1", "--out", str(png)]) == 0
    assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 5000
    assert main(["plot", str(out), "--sample", "2"]) == 2
    assert "sample(s) [2] out of range" in capsys.readouterr().err
