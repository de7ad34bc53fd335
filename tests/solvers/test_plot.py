"""``pdejepa plot``'s figures, inspected as matplotlib objects: labels and units from the CF attributes (or the
variable's name without them), colorbars, a shared colour scale, filmstrip axes in the file's coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pdejepa.cli import main
from solvers.figures import cell_extent, pyplot, variable_label
from solvers.plot import filmstrip_figure, frame_picks, spacetime_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CF = {  # what the dataset writer stores, with made-up units so the tests see them
    "u": {"long_name": "velocity", "units": "m s-1"},
    "x": {"long_name": "position", "units": "m"},
    "y": {"long_name": "height", "units": "m"},
    "time": {"long_name": "time", "units": "s"},
    "nu": {"long_name": "viscosity", "units": "m2 s-1"},
    "smoke": {"long_name": "smoke density", "units": "kg m-3"},
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    pyplot().close("all")


def with_attrs(ds: xr.Dataset, cf: bool) -> xr.Dataset:
    for name, attrs in CF.items():
        if cf and name in ds.variables:
            ds[name].attrs.update(attrs)
    return ds


def tiny_1d(cf: bool = True) -> xr.Dataset:
    u = np.random.default_rng(0).normal(size=(2, 5, 8))
    u[1] *= 10.0  # sample 1 ten times larger: a shared scale differs from per-sample ones
    ds = xr.Dataset(
        {"u": (("sample", "time", "x"), u), "nu": ("sample", [0.1, 0.25])},
        coords={"sample": [3, 7], "time": np.linspace(0.0, 1.0, 5), "x": np.arange(8) / 8 * 2.0},
        attrs={"equation": "burgers", "equation_string": "u_t + u u_x = nu u_xx"},
    )
    return with_attrs(ds, cf)


def tiny_2d(cf: bool = True) -> xr.Dataset:
    g = np.random.default_rng(1)
    shape = (2, 4, 6, 8)
    fields = {name: (("sample", "time", "y", "x"), g.normal(size=shape)) for name in ("vx", "vy")}
    fields["smoke"] = (("sample", "time", "y", "x"), g.uniform(size=shape) * np.array([1.0, 3.0])[:, None, None, None])
    ds = xr.Dataset(
        {**fields, "buoyancy": ("sample", [0.2, 0.4])},
        coords={
            "sample": [0, 1],
            "time": [10.0, 11.5, 13.0, 14.5],
            "y": 0.5 + np.arange(6),
            "x": 0.25 + np.arange(8) / 2,
        },
        attrs={"equation": "ns-buoyancy"},
    )
    return with_attrs(ds, cf)


def image_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.images]


def colorbar_labels(fig) -> list[str]:
    bars = {id(im.colorbar): im.colorbar for ax in image_axes(fig) for im in ax.images if im.colorbar is not None}
    return [bar.ax.get_ylabel() for bar in bars.values()]


def test_variable_label_reads_long_name_and_units_and_falls_back_to_the_name():
    assert variable_label("u", {"long_name": "velocity", "units": "m s-1"}) == "velocity [m s-1]"
    assert variable_label("u", {"long_name": b"velocity", "units": "1"}) == "velocity"  # dimensionless: no brackets
    assert variable_label("u", {}) == "u"
    assert cell_extent([0.0, 1.0, 2.0], [10.0, 20.0]) == (-0.5, 2.5, 5.0, 25.0)


@pytest.mark.parametrize("cf", [True, False])
def test_spacetime_images_label_axes_and_colorbars_from_the_attributes(cf):
    ds = tiny_1d(cf)
    fig = spacetime_figure(ds, [0, 1], [ds["u"][0].values, ds["u"][1].values])
    axes = image_axes(fig)
    assert len(axes) == 2
    assert [ax.get_xlabel() for ax in axes] == ["position [m]" if cf else "x"] * 2
    assert axes[0].get_ylabel() == ("time [s]" if cf else "time")
    assert colorbar_labels(fig) == ["velocity [m s-1]" if cf else "u"] * 2  # one per sample
    assert "sample 7" in axes[1].get_title() and "nu = 0.25" in axes[1].get_title()
    assert ("m2 s-1" in axes[1].get_title()) == cf
    assert tuple(axes[0].images[0].get_extent()) == cell_extent(ds["x"].values, ds["time"].values)
    assert fig.get_suptitle().startswith("burgers")
    limits = [ax.images[0].get_clim() for ax in axes]
    assert limits[0] != limits[1]  # each sample its own scale


def test_a_shared_scale_gives_every_sample_the_same_limits_and_one_colorbar():
    ds = tiny_1d()
    fig = spacetime_figure(ds, [0, 1], [ds["u"][0].values, ds["u"][1].values], shared_scale=True)
    limits = {ax.images[0].get_clim() for ax in image_axes(fig)}
    top = float(np.abs(ds["u"].values).max())
    assert limits == {(-top, top)}
    assert colorbar_labels(fig) == ["velocity [m s-1]"]


@pytest.mark.parametrize("shared", [False, True])
def test_filmstrips_have_physical_axes_labelled_rows_and_colorbars(shared):
    ds = tiny_2d()
    flows = [{n: ds[n][s].values for n in ("smoke", "vx", "vy")} for s in (0, 1)]
    fig = filmstrip_figure(ds, [0, 1], flows, frames=3, shared_scale=shared)
    axes = image_axes(fig)
    assert len(axes) == 2 * 2 * 3  # two samples, two rows, three frames
    extent = cell_extent(ds["x"].values, ds["y"].values)
    assert all(tuple(ax.images[0].get_extent()) == extent for ax in axes)
    assert all(ax.get_xticks().size > 0 for ax in axes)  # physical ticks, not blank panels
    assert sum(ax.get_xlabel() == "position [m]" for ax in axes) == 2 * 3  # the bottom row of each sample
    assert {ax.get_ylabel() for ax in axes if ax.get_ylabel()} == {"smoke\nheight [m]", "vorticity\nheight [m]"}
    assert sorted(set(colorbar_labels(fig))) == ["smoke density [kg m-3]", "vorticity [s-1]"]
    titles = [sub.get_suptitle() for sub in fig.subfigs]
    assert titles == ["sample 0: buoyancy = 0.2", "sample 1: buoyancy = 0.4"]
    smoke_tops = {ax.images[0].get_clim()[1] for ax in axes if ax.images[0].get_cmap().name == "inferno"}
    assert len(smoke_tops) == (1 if shared else 2)


def test_filmstrips_without_attributes_use_the_names():
    ds = tiny_2d(cf=False)
    flows = [{n: ds[n][0].values for n in ("smoke", "vx", "vy")}]
    fig = filmstrip_figure(ds, [0], flows, frames=2)
    assert sorted(colorbar_labels(fig)) == ["smoke", "vorticity"]
    assert {ax.get_xlabel() for ax in image_axes(fig)} == {"", "x"}
    with pytest.raises(ValueError, match="frames=0 must be at least 1"):
        frame_picks(4, 0)


def test_the_cli_draws_a_shared_scale(tmp_path, capsys):
    path, png = tmp_path / "t.h5", tmp_path / "t.png"
    ds = tiny_1d()
    ds.attrs["complete"] = 1
    ds.to_netcdf(path, engine="h5netcdf")
    assert main(["plot", str(path), "--sample", "0", "1", "--shared-scale", "--out", str(png)]) == 0
    assert png.read_bytes().startswith(PNG_MAGIC) and f"saved {png}" in capsys.readouterr().out
