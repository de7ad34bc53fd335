"""Reading finished trajectory files, the format :mod:`solvers.dataset` writes: their layout, samples and values.

:data:`LAYOUTS` names the variables each kind of file holds (1D ``u``; 2D ``smoke``, ``vx``, ``vy``);
:func:`open_trajectories` opens a finished file of a known layout, :func:`open_fields` a finished file of any
fields (an imported dataset's: :func:`field_variables`), :func:`check_samples` and :func:`read_samples` check
and read the samples asked for. Every refusal is one line naming the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np
import xarray as xr

from .dataset import one_line
from .ns2d import FIELDS as FLOW_FIELDS

# the variables each kind of trajectory file must hold, with their dims
LAYOUTS = {
    "1D": {"u": ("sample", "time", "x")},
    "2D": {name: ("sample", "time", "y", "x") for name in FLOW_FIELDS},
}
# the dims of a field after (sample, time): 1D, then 2D
SPATIAL_DIMS = (("x",), ("y", "x"))


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
    with opened(path) as ds:
        kind = layout_of(ds, path)
        if layout is not None and kind != layout:
            raise ValueError(f"{path} holds {kind} trajectories, not {layout}: {', '.join(LAYOUTS[kind])}")
        check_finished(ds, path)
        yield ds, kind


def field_variables(ds: xr.Dataset, path: str | os.PathLike) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(fields, spatial dims)`` of a trajectory file of any fields: every variable over ``(sample, time, x)``
    (dims ``("x",)``) or every one over ``(sample, time, y, x)`` (dims ``("y", "x")``), in the file's order.
    ``ValueError`` naming ``path`` when there is none, or there are both."""
    found = {
        dims: tuple(str(n) for n, v in ds.data_vars.items() if v.dims == ("sample", "time", *dims))
        for dims in SPATIAL_DIMS
    }
    kinds = [dims for dims, names in found.items() if names]
    if len(kinds) != 1:
        held = ", ".join(f"{name} {ds[name].dims}" for name in ds.data_vars) or "no variables"
        raise ValueError(
            f"{path} is not a trajectory file: expected fields over (sample, time, x) or over (sample, time, y, x), "
            f"not both; it holds {held}"
        )
    return found[kinds[0]], kinds[0]


@contextlib.contextmanager
def open_fields(path: str | os.PathLike) -> Iterator[tuple[xr.Dataset, tuple[str, ...], tuple[str, ...]]]:
    """Open a finished trajectory file of any fields as ``(dataset, fields, spatial dims)`` (:func:`field_variables`),
    with the refusals of :func:`open_trajectories` (not HDF5, no fields, unfinished)."""
    with opened(path) as ds:
        fields, dims = field_variables(ds, path)
        check_finished(ds, path)
        yield ds, fields, dims


@contextlib.contextmanager
def opened(path: str | os.PathLike) -> Iterator[xr.Dataset]:
    """``path`` opened with xarray (lazily); one line naming it when it is not a readable HDF5 file."""
    try:
        ds = xr.open_dataset(path, engine="h5netcdf", phony_dims="access")
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a readable HDF5 file ({one_line(err)})") from None
    with ds:
        yield ds


def check_finished(ds: xr.Dataset, path: str | os.PathLike) -> None:
    """Refuse a file marked unfinished (``complete`` = 0: its unwritten samples are NaN)."""
    complete = ds.attrs.get("complete")
    if complete is not None and complete != 1:
        raise ValueError(
            f"{path} is an unfinished dataset (complete={complete}): a run still writes it or was interrupted; "
            "finish it with pdejepa generate --resume"
        )


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
