"""``pdejepa embed``: the frozen representation of every sample of a file, for every method, as netCDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import pdejepa
from pdejepa.cli import main

from .test_jepa import TINY_BURGERS
from .test_world import NS, SMOKE
from .tiny import TINY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def burgers_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("embed")
    assert (
        main(["pretrain", "--out", str(root / "pre"), "--no-progress", "--set", f"data.dir={root / 'data'}", *TINY])
        == 0
    )
    return root


def test_embed_writes_sample_by_feature_with_the_files_variables(burgers_run, capsys):
    test_file = burgers_run / "data" / "burgers_test.h5"
    out = burgers_run / "emb.nc"
    capsys.readouterr()
    assert main(["embed", str(test_file), "--ckpt", str(burgers_run / "pre" / "last.ckpt"), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    with xr.open_dataset(out, engine="h5netcdf") as emb, xr.open_dataset(test_file, engine="h5netcdf") as src:
        assert emb["embedding"].dims == ("sample", "feature") and emb.sizes["sample"] == src.sizes["sample"]
        assert emb.sizes["feature"] == 4 * 8  # resnet10 of width 4: 8 x width pooled features
        assert np.isfinite(emb["embedding"].values).all() and emb["embedding"].std("sample").mean() > 0
        np.testing.assert_array_equal(emb["nu"].values, src["nu"].values)
        np.testing.assert_array_equal(emb["sample"].values, src["sample"].values)
        assert emb.attrs["method"] == "vicreg" and '"pretrain.width": 4' in emb.attrs["signature"]
        assert emb["nu"].attrs["units"] == src["nu"].attrs["units"]
    again = pdejepa.embed(burgers_run / "pre" / "last.ckpt", test_file, burgers_run / "again.nc", progress=False)
    with xr.open_dataset(out, engine="h5netcdf") as a, xr.open_dataset(again, engine="h5netcdf") as b:
        np.testing.assert_array_equal(a["embedding"].values, b["embedding"].values)  # deterministic


def test_a_file_of_another_equation_or_a_foreign_checkpoint_is_refused_before_encoding(burgers_run, capsys):
    heat = burgers_run / "heat.h5"
    pdejepa.generate("heat", 4, heat, nx=64, nt=5, t_end=0.2, progress=False)
    ckpt = str(burgers_run / "pre" / "last.ckpt")
    capsys.readouterr()
    assert main(["embed", str(heat), "--ckpt", ckpt, "--out", str(burgers_run / "x.nc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds equation 'heat', not data.equation='burgers'" in err[0]
    config = str(ROOT / "configs" / "ns_dynamics.yaml")
    assert main(["embed", str(heat), "--ckpt", ckpt, "--config", config, "--out", str(burgers_run / "x.nc")]) == 2
    assert "heat.h5 holds 1D trajectories, not 2D" in capsys.readouterr().err  # a smoke config wants flows
    test_file = str(burgers_run / "data" / "burgers_test.h5")
    assert (
        main(["embed", test_file, "--ckpt", ckpt, "--out", str(burgers_run / "x.nc"), "--set", "pretrain.width=8"]) == 2
    )
    assert "was pretrained with pretrain.width=4 but this config has 8" in capsys.readouterr().err
    assert not (burgers_run / "x.nc").exists()


@pytest.mark.parametrize("method", ["jepa", "world"])
def test_embed_takes_every_methods_checkpoint(method, tmp_path):
    config, sets = ([], TINY_BURGERS) if method == "jepa" else (NS, SMOKE)
    sets = [f"data.dir={tmp_path / 'data'}", *sets]
    assert main(["pretrain", *config, "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    test_file = next((tmp_path / "data").glob("*_test.h5"))
    out = pdejepa.embed(tmp_path / "pre" / "last.ckpt", test_file, tmp_path / "emb.nc", progress=False)
    with xr.open_dataset(out, engine="h5netcdf") as emb:
        assert emb.attrs["method"] == method and emb["embedding"].dims == ("sample", "feature")
        assert np.isfinite(emb["embedding"].values).all()
