"""Pictures of stored trajectories, because people look at fields.

1D files (``u (sample, time, x)``): one space-time image per sample. 2D files (``smoke``,
``vx``, ``vy`` ``(sample, time, y, x)``): a filmstrip per sample, smoke and vorticity over time.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr



def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_samples(ds: xr.Dataset, samples: list[int], path: str | os.PathLike) -> None:
    """Refuse sample positions outside the file, naming them."""
    n = ds.sizes["sample"]
    bad = [s for s in samples if not 0 <= s < n]
    if bad:
        raise ValueError(f"sample(s) {bad} out of range: {path} holds samples 0..{n - 1}")


def save_figure(fig, out: str | os.PathLike, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG (creating folders) and close it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    fig.clf()
    pyplot().close(fig)
    return out

def plot_spacetime(path: str | os.PathLike, samples: list[int], out: str | os.PathLike) -> Path:
    """Save a PNG with one ``u(t, x)`` image per requested sample position (not global index).

    Reads only the requested samples from the file.
    """
    plt = pyplot()
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        check_samples(ds, samples, path)
        fig, axes = plt.subplots(1, len(samples), figsize=(3.2 * len(samples), 3.4), squeeze=False, constrained_layout=True)
        params = [v for v in ds.data_vars if ds[v].dims == ("sample",) and v != "spectral_tail"]
        for ax, s in zip(axes[0], samples):
            sel = ds.isel(sample=s)
            u = sel["u"].values
            lim = float(np.abs(u).max()) or 1.0
            im = ax.imshow(
                u, origin="lower", aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim,
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
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        two_d = "smoke" in ds.data_vars and "y" in ds["smoke"].dims
    if two_d:
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
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        check_samples(ds, samples, path)
        nt = ds.sizes["time"]
        picks = np.unique(np.linspace(0, nt - 1, min(frames, nt)).round().astype(int))
        x, y, t = ds["x"].values, ds["y"].values, ds["time"].values
        extent = [x[0] - (x[1] - x[0]) / 2, x[-1] + (x[1] - x[0]) / 2, y[0] - (y[1] - y[0]) / 2, y[-1] + (y[1] - y[0]) / 2]
        params = [v for v in ("buoyancy", "nu") if v in ds.data_vars]
        fig, axes = plt.subplots(
            2 * len(samples), len(picks), figsize=(1.7 * len(picks) + 0.8, 3.6 * len(samples)), squeeze=False, constrained_layout=True
        )
        for row, s in enumerate(samples):
            sel = ds.isel(sample=s, time=picks)
            smoke = sel["smoke"].values
            omega = vorticity(sel["vx"].values, sel["vy"].values, x, y)
            w = float(np.abs(omega).max()) or 1.0
            label = ", ".join(f"{p}={float(sel[p]):.3g}" for p in params)
            for col, k in enumerate(picks):
                a_s, a_w = axes[2 * row, col], axes[2 * row + 1, col]
                im_s = a_s.imshow(smoke[col], origin="lower", extent=extent, cmap="inferno", vmin=0, vmax=float(smoke.max()) or 1.0)
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
