"""The jobs' figures, inspected as matplotlib objects (labels, colorbars, scales, reference lines, titles), and
the metrics they show: relative L2 and VRMSE of fields, named one way in every table."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch

from pdejepa.eval.metrics import relative_l2, vrmse
from pdejepa.figures.filmstrips import filmstrip_figures
from pdejepa.figures.labels import read_attrs, read_coordinate
from pdejepa.figures.label_budgets import regression_figure, regression_title
from pdejepa.figures.rollouts import rollout_error_figure, rollouts_figure
from pdejepa.report.tables import gap_closed, timestep_table
from pdejepa.figures.symmetry_gallery import Panel, gallery_figure
from solvers.figures import pyplot, save_figure
from symmetries.transforms import GridTrajectories

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    pyplot().close("all")


def image_axes(fig) -> list:
    return [ax for ax in fig.axes if ax.images]


def colorbar_labels(fig) -> list[str]:
    bars = {id(im.colorbar): im.colorbar for ax in image_axes(fig) for im in ax.images if im.colorbar is not None}
    return [bar.ax.get_ylabel() for bar in bars.values()]


def test_relative_l2_and_vrmse_match_their_formulas():
    g = torch.Generator().manual_seed(0)
    true = torch.randn(2, 3, 4, 16, generator=g, dtype=torch.float64)
    pred = true + 0.1 * torch.randn(2, 3, 4, 16, generator=g, dtype=torch.float64)
    t, p = true.numpy(), pred.numpy()
    expected = ((p - t) ** 2).sum((2, 3)) / (t**2).sum((2, 3))
    np.testing.assert_allclose(relative_l2(pred, true, dims=(2, 3)).numpy(), expected)
    well = np.sqrt(((p - t) ** 2).mean(-1) / (t.var(-1, ddof=1) + 1e-7))  # The Well's VRMSE per field
    np.testing.assert_allclose(vrmse(pred, true, dims=(-1,)).numpy(), well)
    mean = true.mean(-1, keepdim=True).expand_as(true)  # predicting the spatial mean: VRMSE ~ 1
    torch.testing.assert_close(
        vrmse(mean, true, dims=(-1,)), torch.full((2, 3, 4), (15 / 16) ** 0.5, dtype=torch.float64), rtol=1e-5, atol=0
    )


def regression_rows() -> list[dict]:
    rows = []
    for method, level in (("ssl_frozen", 0.05), ("supervised", 0.5), ("random_frozen", 0.9)):
        for labels in (12, 50, 256):
            for seed in (0, 1):
                rows.append({"method": method, "labels": labels, "seed": seed, "nmse": level * (1 + 0.2 * seed)})
    return rows


def test_regression_figure_is_log_log_with_ticks_at_the_label_counts_and_the_mean_predictor(tmp_path):
    title = regression_title("nu", "burgers", 1024, 256)
    fig = regression_figure(regression_rows(), "nu", title)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert list(ax.get_xticks()) == [12, 50, 256] and [t.get_text() for t in ax.get_xticklabels()] == [
        "12",
        "50",
        "256",
    ]
    assert ax.get_xlabel() == "labelled training trajectories" and ax.get_ylabel() == "NMSE of nu (MSE / Var)"
    assert ax.get_title().startswith("Regressing nu from burgers trajectories\n1024 training and 256 test trajectories")
    assert "2 seeds" in ax.get_title()
    mean_line = [line for line in ax.get_lines() if list(line.get_ydata()) == [1.0, 1.0]]
    assert len(mean_line) == 1 and "NMSE = 1" in mean_line[0].get_label()
    curves = [bars.lines[0] for bars in ax.containers]  # the data line of each method's error bars
    assert len({line.get_marker() for line in curves}) == 3  # a marker per method
    firsts = {float(line.get_xdata()[0]) for line in curves}
    assert len(firsts) == 3 and max(firsts) / min(firsts) < 1.2  # dodged apart, close to the true count
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "frozen SSL encoder" in legend and any("mean predictor" in t for t in legend)
    assert save_figure(fig, tmp_path / "regression.png").read_bytes().startswith(PNG_MAGIC)


def rollout_rows(frames: int = 4) -> list[dict]:
    rows = []
    for seed in (0, 1):
        for variant, level in (("none", 1e-2), ("ssl", 3e-3), ("oracle", 1e-3)):
            curve = (level * (1 + seed) * np.arange(1, frames + 1)).tolist()
            rows.append({"variant": variant, "seed": seed, "rollout_rel_l2": curve, "rollout_vrmse": curve})
    return rows


def test_rollout_error_figure_shows_both_metrics_against_physical_time():
    times = [2.0, 2.5, 3.0, 3.5]
    fig = rollout_error_figure(rollout_rows(), times, "time [s]", "nu", title="Time-stepping burgers, 4 test")
    left, right = fig.axes
    assert left.get_yscale() == right.get_yscale() == "log"
    assert left.get_xlabel() == right.get_xlabel() == "time [s]"
    assert "relative L2" in left.get_ylabel() and "VRMSE" in right.get_ylabel()
    assert [list(line.get_xdata()) for line in left.get_lines()[:3]] == [times] * 3
    legend = [t.get_text() for t in left.get_legend().get_texts()]
    assert legend[:3] == ["none", "SSL representation", "oracle (true nu)"]
    assert "burgers" in fig.get_suptitle() and "2 seeds" in fig.get_suptitle()


def test_rollouts_figure_has_physical_axes_colorbars_and_the_parameter():
    g = torch.Generator().manual_seed(0)
    truth = torch.randn(6, 8, generator=g)
    rollouts = {v: truth + 0.1 * k * torch.randn(6, 8, generator=g) for k, v in enumerate(("none", "ssl", "oracle"))}
    x, times = [0.25 + 0.5 * k for k in range(8)], [1.0 + 0.2 * k for k in range(6)]
    labels = {"x": "position [m]", "time": "time [s]", "u": "velocity [m s-1]"}
    title = "burgers, test sample 0: nu = 0.123"
    fig = rollouts_figure(truth, rollouts, x=x, times=times, labels=labels, parameter="nu", title=title)
    axes = image_axes(fig)
    assert len(axes) == 1 + 2 * 3  # truth, rollouts and their errors
    assert all(ax.get_xlabel() == "position [m]" for ax in axes)
    assert sum(ax.get_ylabel() == "time [s]" for ax in axes) == 2  # the first of each row
    assert all(tuple(ax.images[0].get_extent()) == pytest.approx((0.0, 4.0, 0.9, 2.1)) for ax in axes)
    assert sorted(colorbar_labels(fig)) == ["error of velocity [m s-1]", "velocity [m s-1]"]
    assert fig.get_suptitle() == title
    assert {ax.get_title() for ax in axes} >= {"truth", "oracle (true nu)", "SSL representation − truth"}


def test_filmstrips_label_fields_axes_and_rows():
    truth = torch.rand(5, 3, 4, 6)
    rollouts = {"none": truth * 0.9, "ssl": truth * 1.1}
    labels = {"x": "x [m]", "y": "y [m]", "smoke": "smoke [kg m-3]", "vx": "vx [m s-1]", "vy": "vy [m s-1]"}
    x, y, times = [0.5 + k for k in range(6)], [0.5 + k for k in range(4)], [float(k) for k in range(5)]
    figures = filmstrip_figures(
        truth, rollouts, x=x, y=y, times=times, labels=labels, parameter="buoyancy", title="b = 0.3"
    )
    assert list(figures) == ["smoke", "vx", "vy"]
    for field, fig in figures.items():
        axes = image_axes(fig)
        assert colorbar_labels(fig) == [labels[field]]
        assert {ax.get_ylabel() for ax in axes if ax.get_ylabel()} == {
            "truth\ny [m]",
            "none\ny [m]",
            "SSL representation\ny [m]",
        }
        assert sum(ax.get_xlabel() == "x [m]" for ax in axes) == len(axes) // 3
        assert "b = 0.3" in fig.get_suptitle()


def test_symmetry_gallery_has_one_colorbar_and_each_panel_its_own_labelled_axes():
    def panel(group: str, t0: float, dt: float, scale: float) -> Panel:
        u = scale * torch.sin(torch.linspace(0, 6.28, 16))[None, None].expand(1, 5, 16).clone().double()
        grid = (torch.tensor([v], dtype=torch.float64) for v in (t0, dt, 6.28))
        data = GridTrajectories(u, *grid, {})
        return Panel(group, 0.0 if group == "original" else 0.3, data, 1e-9)

    panels = [panel("original", 0.0, 0.1, 1.0), panel("scaling", 0.0, 0.2, 1.5)]  # scaling: another time range
    fig = gallery_figure("heat", panels)
    axes = image_axes(fig)
    assert len(fig.axes) == len(axes) + 1  # one colorbar
    assert colorbar_labels(fig) == ["u"]
    assert all(ax.get_xlabel() == "x" and ax.get_ylabel() == "t" for ax in axes)
    assert axes[0].images[0].get_extent()[3] != axes[1].images[0].get_extent()[3]
    top = max(float(p.data.u.abs().max()) for p in panels)
    assert {ax.images[0].get_clim() for ax in axes} == {(-top, top)}
    assert axes[1].get_title().startswith("scaling  ε = 0.3")


def test_labels_come_from_the_file_attributes(tmp_path):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(4) / 4
        f["x"].attrs["long_name"] = b"position"
        f["x"].attrs["units"] = "m"
        f["u"] = np.zeros((1, 2, 4))
    attrs = read_attrs(path, ("x", "u", "nu"))
    assert attrs == {"x": {"long_name": "position", "units": "m"}, "u": {}, "nu": {}}
    assert read_coordinate(path, "x") == [0.0, 0.25, 0.5, 0.75]
    with pytest.raises(ValueError, match="has no coordinate 'y'"):
        read_coordinate(path, "y")


def test_the_timestep_table_names_each_metric_once():
    rows = [
        {**r, "one_step_rel_l2": 1e-4, "rollout_rel_l2_mean": float(np.mean(r["rollout_rel_l2"]))}
        for r in rollout_rows()
    ]
    table = timestep_table(rows)
    assert "NMSE" not in table
    assert "one-step relative L2" in table and "rollout VRMSE (mean over frames)" in table
    cut, closed = gap_closed(rows)
    assert cut == pytest.approx(0.7) and closed == pytest.approx(7 / 9)
