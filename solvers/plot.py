"""Pictures of stored trajectories, because people look at fields.

1D files (``u (sample, time, x)``): one space-time image per sample. 2D files (``smoke``,
``vx``, ``vy`` ``(sample, time, y, x)``): a filmstrip per sample, smoke and vorticity over time.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import xarray as xr

from .dataset import one_line
from .figures import pyplot, save_figure

# the variables each kind of trajectory file must hold, with their dims
LAYOUTS = {
    "1D": {"u": ("sample", "time", "x")},
    "2D": {name: ("sample", "time", "y", "x") for name in ("smoke", "vx", "vy")},
}


def check_samples(ds: xr.Dataset, samples: list[int], path: str | os.PathLike) -> None:
    """Refuse sample positions outside the file, naming them."""
    n = ds.sizes["sample"]
    bad = [s for s in samples if not 0 <= s < n]
    if bad:
        raise ValueError(f"sample(s) {bad} out of range: {path} holds samples 0..{n - 1}")


def layout_of(ds: xr.Dataset, path: str | os.PathLike) -> str:
    """The key of :data:`LAYOUTS` that ``ds`` matches; ``ValueError`` naming ``path`` if none does."""
    for kind, variables in LAYOUTS.items():
        if all(name in ds.data_vars and ds[name].dims == dims for name, dims in variables.items()):
            return kind
    found = ", ".join(f"{name} {ds[name].dims}" for name in ds.data_vars) or "no variables"
    expected = " or ".join(", ".join(f"{n} {d}" for n, d in v.items()) for v in LAYOUTS.values())
    raise ValueError(f"{path} is not a trajectory file: expected {expected}; it holds {found}")


@contextlib.contextmanager
def open_trajectories(path: str | os.PathLike, layout: str | None = None) -> Iterator[tuple[xr.Dataset, str]]:
    """Open a finished trajectory file as ``(dataset, its layout)``.

    Refuses, with one line naming the file, one that is not HDF5 (or truncated), holds
    another layout than ``layout`` (if given) or none of :data:`LAYOUTS`, or is marked
    unfinished (``complete`` = 0: its unwritten samples are NaN).
    """
    try:
        ds = xr.open_dataset(path, engine="h5netcdf", phony_dims="access")
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a readable HDF5 file ({one_line(err)})") from None
    with ds:
        kind = layout_of(ds, path)
        if layout is not None and kind != layout:
            raise ValueError(f"{path} holds {kind} trajectories, not {layout}: {', '.join(LAYOUTS[kind])}")
        complete = ds.attrs.get("complete")
        if complete is not None and complete != 1:
            raise ValueError(
                f"{path} is an unfinished dataset (complete={complete}): a run still writes it or was interrupted; "
                "finish it with pdejepa generate --resume"
            )
        yield ds, kind


def read_samples(ds: xr.Dataset, names: tuple[str, ...], samples: list[int], path: str | os.PathLike) -> list[dict]:
    """``names`` of each sample position, refused unless readable and finite (a NaN would draw as a blank cell)."""
    rows = []
    for s in samples:
        row = {}
        for name in names:
            try:
                values = ds[name].isel(sample=s).values
            except OSError as err:  # how h5py reports a chunk cut off or damaged
                raise ValueError(
                    f"{path}: cannot read {name} of sample {s} ({one_line(err)}); is it truncated?"
                ) from None
            bad = np.argwhere(~np.isfinite(values))
            if len(bad):
                where = ", ".join(f"{d}={int(i)}" for d, i in zip(ds[name].dims[1:], bad[0]))
                raise ValueError(
                    f"{path}: {name} of sample {s} holds {len(bad)} non-finite value(s) (NaN or inf), "
                    f"the first at {where}"
                )
            row[name] = values
        rows.append(row)
    return rows


def plot_spacetime(path: str | os.PathLike, samples: list[int], out: str | os.PathLike) -> Path:
    """Save a PNG with one ``u(t, x)`` image per requested sample position (not global index).

    Reads only the requested samples from the file.
    """
    plt = pyplot()
    with open_trajectories(path, "1D") as (ds, _):
        check_samples(ds, samples, path)
        rows = read_samples(ds, ("u",), samples, path)
        fig, axes = plt.subplots(
            1, len(samples), figsize=(3.2 * len(samples), 3.4), squeeze=False, constrained_layout=True
        )
        params = [v for v in ds.data_vars if ds[v].dims == ("sample",) and v != "spectral_tail"]
        for ax, s, row in zip(axes[0], samples, rows):
            sel = ds.isel(sample=s)
            u = row["u"]
            lim = float(np.abs(u).max()) or 1.0
            im = ax.imshow(
                u,
                origin="lower",
                aspect="auto",
                cmap="RdBu_r",
                vmin=-lim,
                vmax=lim,
                extent=[float(ds.x[0]), float(ds.x[-1]), float(ds.time[0]), float(ds.time[-1])],
            )
            label = ", ".join(f"{p}={float(sel[p]):.3g}" for p in params)
            ax.set_title(f"#{int(sel['sample'])}  {label}", fontsize=9)
            ax.set_xlabel("x")
            ax.set_ylabel("t")
            fig.colorbar(im, ax=ax, shrink=0.8)
        fig.suptitle(f"{ds.attrs.get('equation', '')}: {ds.attrs.get('equation_string', '')}")
    return save_figure(fig, out, dpi=120)


def plot_dataset(path: str | os.PathLike, samples: list[int], out: str | os.PathLike, frames: int = 8) -> Path:
    """Save the picture that suits the file: a filmstrip for 2D flows, space-time images for 1D fields."""
    with open_trajectories(path) as (_, kind):
        pass
    if kind == "2D":
        return plot_filmstrip(path, samples, out, frames)
    return plot_spacetime(path, samples, out)


def vorticity(vx: np.ndarray, vy: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dvy/dx - dvx/dy`` of cell-centred velocities ``(..., y, x)`` (second-order differences)."""
    return np.gradient(vy, x, axis=-1) - np.gradient(vx, y, axis=-2)


def plot_filmstrip(path: str | os.PathLike, samples: list[int], out: str | os.PathLike, frames: int = 8) -> Path:
    """Save a PNG with two rows per requested sample position: smoke, then vorticity, at ``frames`` times.

    Reads only the requested samples from the file.
    """
    plt = pyplot()
    with open_trajectories(path, "2D") as (ds, _):
        check_samples(ds, samples, path)
        rows = read_samples(ds, tuple(LAYOUTS["2D"]), samples, path)
        nt = ds.sizes["time"]
        picks = np.unique(np.linspace(0, nt - 1, min(frames, nt)).round().astype(int))
        x, y, t = ds["x"].values, ds["y"].values, ds["time"].values
        hx, hy = x[1] - x[0], y[1] - y[0]
        extent = [x[0] - hx / 2, x[-1] + hx / 2, y[0] - hy / 2, y[-1] + hy / 2]
        params = [v for v in ("buoyancy", "nu") if v in ds.data_vars]
        fig, axes = plt.subplots(
            2 * len(samples),
            len(picks),
            figsize=(1.7 * len(picks) + 0.8, 3.6 * len(samples)),
            squeeze=False,
            constrained_layout=True,
        )
        for row, (s, data) in enumerate(zip(samples, rows)):
            sel = ds.isel(sample=s, time=picks)
            smoke = data["smoke"][picks]
            omega = vorticity(data["vx"][picks], data["vy"][picks], x, y)
            w = float(np.abs(omega).max()) or 1.0
            label = ", ".join(f"{p}={float(sel[p]):.3g}" for p in params)
            for col, k in enumerate(picks):
                a_s, a_w = axes[2 * row, col], axes[2 * row + 1, col]
                im_s = a_s.imshow(
                    smoke[col], origin="lower", extent=extent, cmap="inferno", vmin=0, vmax=float(smoke.max()) or 1.0
                )
                im_w = a_w.imshow(omega[col], origin="lower", extent=extent, cmap="RdBu_r", vmin=-w, vmax=w)
                a_s.set_title(f"t={t[k]:.4g}", fontsize=8)
                for ax in (a_s, a_w):
                    ax.set_xticks([])
                    ax.set_yticks([])
            axes[2 * row, 0].set_ylabel(f"#{int(sel['sample'])} smoke\n{label}", fontsize=8)
            axes[2 * row + 1, 0].set_ylabel("vorticity", fontsize=8)
            fig.colorbar(im_s, ax=axes[2 * row, -1], shrink=0.8)
            fig.colorbar(im_w, ax=axes[2 * row + 1, -1], shrink=0.8)
        fig.suptitle(f"{ds.attrs.get('equation', '')}: smoke (top) and vorticity (bottom)", fontsize=10)
    return save_figure(fig, out, dpi=110)
