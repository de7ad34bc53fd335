"""Pictures of stored 1D trajectories: space-time images, because people look at fields."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr


def plot_spacetime(path: str | os.PathLike, samples: list[int], out: str | os.PathLike) -> Path:
    """Save a PNG with one ``u(t, x)`` image per requested sample position (not global index).

    Reads only the requested samples from the file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        n = ds.sizes["sample"]
        bad = [s for s in samples if not 0 <= s < n]
        if bad:
            raise ValueError(f"sample(s) {bad} out of range: {path} holds samples 0..{n - 1}")
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
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
