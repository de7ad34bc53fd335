"""Pictures of stored trajectories, because people look at fields.

1D files (``u (sample, time, x)``): one space-time image per sample. 2D files (``smoke``,
``vx``, ``vy`` ``(sample, time, y, x)``): a filmstrip per sample, smoke and vorticity over time.
Axes are the file's coordinates and labels come from its CF attributes (``long_name [units]``,
else the variable's name). ``*_figure`` build a matplotlib Figure from an open dataset;
``plot_*`` read a file (through :mod:`solvers.reader`), build and save.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .figures import (
    cell_extent,
    is_unit,
    parameter_text,
    per_unit,
    pyplot,
    save_figure,
    units_text,
    variable_label,
    wrapped,
)
from .reader import LAYOUTS, check_samples, open_trajectories, read_samples

# per-sample variables that describe the run rather than the physics: left out of panel titles
DIAGNOSTICS = ("spectral_tail", "cfl_max", "smoke_mass_change")


def label_of(ds: xr.Dataset, name: str) -> str:
    """``long_name [units]`` of variable or coordinate ``name`` (its bare name without attributes)."""
    return variable_label(name, ds[name].attrs if name in ds.variables else {})


def sample_title(ds: xr.Dataset, s: int) -> str:
    """``sample 7: nu = 0.123 m2 s-1, ...``: the global index and the physical parameters of position ``s``."""
    sel = ds.isel(sample=s)
    params = [v for v in ds.data_vars if ds[v].dims == ("sample",) and v not in DIAGNOSTICS]
    parts = [parameter_text(p, float(sel[p]), ds[p].attrs) for p in params]
    index = int(sel["sample"]) if "sample" in ds.variables else s
    return f"sample {index}" + (": " + ", ".join(parts) if parts else "")


def spacetime_figure(
    ds: xr.Dataset, samples: list[int], fields: list[np.ndarray], *, shared_scale: bool = False
) -> Any:
    """One ``u(t, x)`` image per sample position, ``fields[i]`` ``(time, x)`` the values of ``samples[i]``.

    Colours are symmetric about zero, scaled per sample, or over all of them with ``shared_scale`` (then
    one colorbar serves every panel).
    """
    plt = pyplot()
    n = len(samples)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n + 0.6, 3.6), squeeze=False, sharey=True, constrained_layout=True)
    extent = cell_extent(ds["x"].values, ds["time"].values)
    common = max(float(np.abs(u).max()) for u in fields) or 1.0
    field_label = wrapped(label_of(ds, "u"), 32)
    for k, (ax, s, u) in enumerate(zip(axes[0], samples, fields)):
        lim = common if shared_scale else float(np.abs(u).max()) or 1.0
        im = ax.imshow(u, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, extent=extent)
        ax.set_title(sample_title(ds, s), fontsize=9)
        ax.set_xlabel(wrapped(label_of(ds, "x"), 40))
        if k == 0:
            ax.set_ylabel(wrapped(label_of(ds, "time"), 36))
        if not shared_scale:
            fig.colorbar(im, ax=ax, shrink=0.85, label=field_label)
    if shared_scale:
        fig.colorbar(im, ax=axes[0].tolist(), shrink=0.85, label=field_label)
    fig.suptitle(f"{ds.attrs.get('equation', '')}: {ds.attrs.get('equation_string', '')}".strip(": "), fontsize=10)
    return fig


def plot_spacetime(
    path: str | os.PathLike, samples: list[int], out: str | os.PathLike, *, shared_scale: bool = False
) -> Path:
    """Save a PNG with one ``u(t, x)`` image per requested sample position (not global index).

    Reads only the requested samples from the file.
    """
    with open_trajectories(path, "1D") as (ds, _):
        check_samples(ds, samples, path)
        rows = read_samples(ds, ("u",), samples, path)
        fig = spacetime_figure(ds, samples, [row["u"] for row in rows], shared_scale=shared_scale)
    return save_figure(fig, out, dpi=120)


def plot_dataset(
    path: str | os.PathLike,
    samples: list[int],
    out: str | os.PathLike,
    frames: int = 8,
    *,
    shared_scale: bool = False,
) -> Path:
    """Save the picture that suits the file: a filmstrip for 2D flows, space-time images for 1D fields."""
    with open_trajectories(path) as (_, kind):
        pass
    if kind == "2D":
        return plot_filmstrip(path, samples, out, frames, shared_scale=shared_scale)
    return plot_spacetime(path, samples, out, shared_scale=shared_scale)


def vorticity(vx: np.ndarray, vy: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dvy/dx - dvx/dy`` of cell-centred velocities ``(..., y, x)`` (second-order differences)."""
    return np.gradient(vy, x, axis=-1) - np.gradient(vx, y, axis=-2)


def frame_picks(nt: int, frames: int) -> np.ndarray:
    """``frames`` frame indices evenly spread over ``nt`` (fewer if there are fewer frames)."""
    if frames < 1:
        raise ValueError(f"frames={frames} must be at least 1")
    return np.unique(np.linspace(0, nt - 1, min(frames, nt)).round().astype(int))


def filmstrip_figure(
    ds: xr.Dataset, samples: list[int], flows: list[dict], frames: int = 8, *, shared_scale: bool = False
) -> Any:
    """Per sample position a block of two rows, smoke and vorticity, at ``frames`` times spread over the run.

    ``flows[i]`` holds ``smoke``, ``vx``, ``vy`` ``(time, y, x)`` of ``samples[i]``. Axes are the file's
    ``x`` and ``y``; each row has its colorbar, scaled per sample or, with ``shared_scale``, over all of them
    (smoke from 0, vorticity symmetric about 0).
    """
    plt = pyplot()
    picks = frame_picks(ds.sizes["time"], frames)
    x, y, t = ds["x"].values, ds["y"].values, ds["time"].values
    extent = cell_extent(x, y)
    smoke = [f["smoke"][picks] for f in flows]
    omega = [vorticity(f["vx"][picks], f["vy"][picks], x, y) for f in flows]
    top = [float(s.max()) or 1.0 for s in smoke]
    spin = [float(np.abs(w).max()) or 1.0 for w in omega]
    if shared_scale:
        top, spin = [max(top)] * len(flows), [max(spin)] * len(flows)
    time_units = units_text(ds["time"].attrs) if "time" in ds.variables else ""
    spin_units = per_unit(time_units)
    spin_label = "vorticity" + (f" [{spin_units}]" if spin_units else "")
    rows = [  # name, values per sample, colorbar label, colour map, colour limits per sample
        ("smoke", smoke, wrapped(label_of(ds, "smoke"), 30), "inferno", [(0.0, v) for v in top]),
        ("vorticity", omega, spin_label, "RdBu_r", [(-w, w) for w in spin]),
    ]
    fig = plt.figure(figsize=(1.75 * len(picks) + 1.6, 3.9 * len(samples)), constrained_layout=True)
    subs = fig.subfigures(len(samples), 1, squeeze=False)[:, 0]
    for i, (sub, s) in enumerate(zip(subs, samples)):
        axes = sub.subplots(2, len(picks), sharex=True, sharey=True, squeeze=False)
        for r, (name, values, label, cmap, limits) in enumerate(rows):
            vmin, vmax = limits[i]
            for c, k in enumerate(picks):
                ax = axes[r, c]
                im = ax.imshow(values[i][c], origin="lower", extent=extent, cmap=cmap, vmin=vmin, vmax=vmax)
                ax.locator_params(nbins=4)
                if r == 0:
                    ax.set_title(f"t = {t[k]:.4g}", fontsize=8)
                if r == 1:
                    ax.set_xlabel(wrapped(label_of(ds, "x"), 24), fontsize=8)
                ax.tick_params(labelsize=7)
            axes[r, 0].set_ylabel(f"{name}\n{wrapped(label_of(ds, 'y'), 24)}", fontsize=8)
            sub.colorbar(im, ax=axes[r, :].tolist(), shrink=0.9, label=label)
        sub.suptitle(sample_title(ds, s), fontsize=9)
    when = f" (t in {time_units})" if is_unit(time_units) else ""
    fig.suptitle(f"{ds.attrs.get('equation', '')}: smoke and vorticity{when}", fontsize=10)
    return fig


def plot_filmstrip(
    path: str | os.PathLike,
    samples: list[int],
    out: str | os.PathLike,
    frames: int = 8,
    *,
    shared_scale: bool = False,
) -> Path:
    """Save a PNG with two rows per requested sample position: smoke, then vorticity, at ``frames`` times.

    Reads only the requested samples from the file.
    """
    with open_trajectories(path, "2D") as (ds, _):
        check_samples(ds, samples, path)
        frame_picks(ds.sizes["time"], frames)  # refuse a bad count before reading anything
        flows = read_samples(ds, tuple(LAYOUTS["2D"]), samples, path)
        fig = filmstrip_figure(ds, samples, flows, frames, shared_scale=shared_scale)
    return save_figure(fig, out, dpi=110)
