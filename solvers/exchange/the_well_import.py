"""Import files of The Well (one file, a ``data/<split>`` folder, or a dataset folder with ``--split``).

Fields become variables over ``(sample, time, y, x)`` (``(sample, time, x)`` in 1D), The Well's ``(x, y)``
axis order reversed to ours: scalar fields keep their name, the components of ``velocity`` are ``vx``, ``vy``,
those of another vector ``<name>_x``, ``<name>_y``, of a tensor ``<name>_xy`` and so on. A field or scalar
shared by every trajectory is repeated for each. Scalars constant in time become per-sample variables. What our
schema has no place for, fields constant in time and time-varying scalars, is left out and named in the
``skipped_variables`` attribute. Several files are concatenated along ``sample`` and must share the
grid, the times and the variables. 3D data and non-cartesian grids do not fit our schema and are refused.

A file exported by :mod:`solvers.exchange.the_well` gets its global attributes and trajectory indices back.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from ..dataset import to_json
from .common import (
    OUR_ATTRS,
    OUR_VARIABLES,
    SPLITS,
    Plan,
    attributes,
    blocks,
    check_split,
    input_files,
    merged_attrs,
    open_foreign,
    provenance,
    rows_per_block,
    same_grid,
    same_rows,
    snapped,
    write_imported,
)
from .the_well import FORMAT, VECTORS


@dataclass(frozen=True)
class WellField:
    """One of our variables read from a field of The Well: its dataset, component and what it varies over."""

    where: str
    index: tuple[int, ...]
    sample_varying: bool
    dim_varying: tuple[bool, ...]


@dataclass(frozen=True)
class WellLayout:
    """What one file of The Well holds, in our terms (spatial dims in The Well's order)."""

    dims: tuple[str, ...]
    sizes: tuple[int, ...]
    fields: dict[str, WellField]
    scalars: dict[str, bool]  # name -> sample_varying
    skipped: tuple[str, ...]

    def key(self) -> tuple:
        """What files concatenated into one must share."""
        return self.dims, self.sizes, sorted(self.fields.items()), sorted(self.scalars), self.skipped


def component_name(name: str, order: int, index: tuple[int, ...], dims: tuple[str, ...]) -> str:
    if order == 0:
        return name
    suffix = "".join(dims[i] for i in index)
    return VECTORS[name] + suffix if order == 1 and name in VECTORS else f"{name}_{suffix}"


def layout_of(f: h5py.File, path: Path) -> WellLayout:
    """The layout of an open file of The Well, refused in one line where our schema cannot hold it."""
    try:
        for name in ("dataset_name", "n_trajectories"):
            f.attrs[name]
        return read_layout(f, path)
    except KeyError as err:  # a missing attribute, group or dataset
        raise ValueError(f"{path} is not a file of The Well: it lacks {' '.join(str(err).split())}") from None


def read_layout(f: h5py.File, path: Path) -> WellLayout:
    n_dims, grid = int(f.attrs["n_spatial_dims"]), str(f.attrs["grid_type"])
    dims = tuple(str(d) for d in f["dimensions"].attrs["spatial_dims"])
    if n_dims not in (1, 2) or len(dims) != n_dims:
        raise ValueError(f"{path} has n_spatial_dims={n_dims}: our files hold 1D or 2D data only")
    if grid != "cartesian":
        raise ValueError(f"{path} has grid_type={grid!r}: our files hold cartesian grids only")
    for d in dims:
        if f["dimensions"][d].attrs.get("sample_varying", False):
            raise ValueError(f"{path}: the {d} grid differs between samples; our files hold one grid per file")
    fields: dict[str, WellField] = {}
    skipped = []
    for order in range(3):
        group = f.get(f"t{order}_fields")
        for name in group.attrs["field_names"] if group is not None else ():
            ds = group[name]
            if not ds.attrs["time_varying"]:
                skipped.append(str(name))
                continue
            for index in np.ndindex(*(n_dims,) * order):
                ours = component_name(str(name), order, index, dims)
                if ours in fields:
                    raise ValueError(f"{path}: two fields would both be named {ours!r} in our file")
                fields[ours] = WellField(
                    where=f"t{order}_fields/{name}",
                    index=index,
                    sample_varying=bool(ds.attrs["sample_varying"]),
                    dim_varying=tuple(bool(v) for v in ds.attrs["dim_varying"]),
                )
    scalars = {}
    group = f.get("scalars")
    for name in group.attrs["field_names"] if group is not None else ():
        ds = group[name]
        if ds.attrs["time_varying"]:
            skipped.append(str(name))
        else:
            scalars[str(name)] = bool(ds.attrs["sample_varying"])
    if not fields:
        raise ValueError(f"{path} holds no field that varies in time: nothing our files can hold")
    clash = sorted(set(scalars) & set(fields))
    if clash:
        raise ValueError(f"{path}: scalars {clash} have the names of fields")
    sizes = tuple(f["dimensions"][d].shape[-1] for d in dims)
    return WellLayout(dims, sizes, fields, scalars, tuple(skipped))


def read_field(ds: h5py.Dataset, field: WellField, lo: int, hi: int, sizes: tuple[int, ...]) -> np.ndarray:
    """Samples ``lo:hi`` ``(n, time, ...)`` of a field's component, broadcast over the samples and spatial dims
    it does not vary in, spatial axes reversed to ours."""
    a = ds[lo:hi] if field.sample_varying else ds[()][None]
    if field.index:
        a = a[(Ellipsis, *field.index)]
    for axis, varying in enumerate(field.dim_varying):
        if not varying:
            a = np.expand_dims(a, 2 + axis)
    a = np.broadcast_to(a, (hi - lo, a.shape[1], *sizes))
    return np.transpose(a, (0, 1, *range(a.ndim - 1, 1, -1)))


def read_scalar(ds: h5py.Dataset, sample_varying: bool, lo: int, hi: int) -> np.ndarray:
    if sample_varying:
        return np.asarray(ds[lo:hi], dtype=np.float64)
    return np.full(hi - lo, float(np.asarray(ds[()]).reshape(-1)[0]))


def boundary_types(f: h5py.File) -> dict[str, str]:
    """Spatial dim -> ``bc_type`` (lower case) of the file's ``boundary_conditions``."""
    out = {}
    group = f.get("boundary_conditions", {})
    for name in group:
        for dim in group[name].attrs.get("associated_dims", ()):
            out[str(dim)] = str(group[name].attrs["bc_type"]).lower()
    return out


def plan_import(handles: list[h5py.File], files: list[Path], layout: WellLayout, split: str | None) -> Plan:
    """Coordinates, variables, indices and attributes of the file that ``handles`` (of ``split``) become."""
    first = handles[0]["dimensions"]
    time = snapped(same_rows(first["time"][()], "time", files[0]))
    coords = {"time": time, **{d: snapped(first[d][()]) for d in layout.dims}}
    for f, path in zip(handles[1:], files[1:]):
        grids = {"time": same_rows(f["dimensions"]["time"][()], "time", path)}
        grids.update({d: f["dimensions"][d][()] for d in layout.dims})
        for name, values in grids.items():
            if not same_grid(values, coords[name]):
                raise ValueError(f"{path}: its {name} grid differs from that of {files[0]}; import them separately")
    spatial = tuple(reversed(layout.dims))
    fields = {n: ("time", *spatial) for n in layout.fields}
    kept = [str(f.attrs[OUR_VARIABLES]) for f in handles if OUR_VARIABLES in f.attrs]
    coord_attrs, variable_attrs = attributes(
        kept if len(kept) == len(handles) else [], list(coords), [*fields, *layout.scalars], FORMAT
    )
    counts = [int(f.attrs["n_trajectories"]) for f in handles]
    if all("sample" in f["dimensions"] for f in handles):  # ours: the original trajectory indices
        samples = np.concatenate([f["dimensions"]["sample"][()] for f in handles]).astype(np.int64)
    else:
        samples = np.arange(sum(counts), dtype=np.int64)
    names = {str(f.attrs["dataset_name"]) for f in handles}
    if len(names) != 1:
        raise ValueError(f"the files hold different datasets {sorted(names)}; import them separately")
    ours = [json.loads(f.attrs[OUR_ATTRS]) for f in handles if OUR_ATTRS in f.attrs]
    restored = len(ours) == len(handles)
    attrs = merged_attrs(ours) if restored else {"equation": names.pop()}
    fingerprints = {o.get("fingerprint") for o in ours} if restored else {None}
    attrs.update(provenance("imported", "the-well", files))
    attrs["boundary_conditions"] = json.dumps(boundary_types(handles[0]))
    if split is not None:
        attrs["split"] = split
    if layout.skipped:
        attrs["skipped_variables"] = json.dumps(list(layout.skipped))
    source = fingerprints.pop() if len(fingerprints) == 1 else None
    fingerprint = to_json({"imported_from": "the-well", "sources": [p.name for p in files], "source": source})
    return Plan(fields, coords, coord_attrs, variable_attrs, tuple(layout.scalars), samples, attrs, fingerprint)


def batches(handles: list[h5py.File], layout: WellLayout) -> Iterator[dict[str, np.ndarray]]:
    """Every file's samples, a block at a time, as our variables."""
    for f in handles:
        num = int(f.attrs["n_trajectories"])
        nt = f["dimensions"]["time"].shape[-1]
        for lo, hi in blocks(num, rows_per_block((num, len(layout.fields) * nt * math.prod(layout.sizes)))):
            arrays = {n: read_field(f[w.where], w, lo, hi, layout.sizes) for n, w in layout.fields.items()}
            arrays.update({n: read_scalar(f["scalars"][n], v, lo, hi) for n, v in layout.scalars.items()})
            yield arrays


def import_the_well(
    path: str | os.PathLike, out: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> Path:
    """Convert a file of The Well, or a folder of them (``split``: that of a dataset folder), into ``out``."""
    path = Path(path)
    if split is not None:
        folder = path / "data" / check_split(split)
        if not folder.is_dir():
            raise ValueError(f"{path} has no data/{split} folder (a dataset folder of The Well has data/<split>)")
        path = folder
    elif path.is_dir() and path.parent.name == "data" and path.name in SPLITS:
        split = path.name  # a data/<split> folder
    files = input_files(path, FORMAT)
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open_foreign(p, FORMAT)) for p in files]
        layouts = [layout_of(f, p) for f, p in zip(handles, files)]
        for p, other in zip(files[1:], layouts[1:]):
            if other.key() != layouts[0].key():
                raise ValueError(f"{p} holds other variables or another grid than {files[0]}; import them separately")
        plan = plan_import(handles, files, layouts[0], split)
        return write_imported(out, plan, batches(handles, layouts[0]), overwrite)
