"""Export to The Well's HDF5 layout (Ohana et al. 2024, ``the_well`` on PyPI) and its normalisation statistics.

A dataset folder of The Well holds ``data/<split>/*.hdf5`` and ``stats.yaml``. Each file has:

- root attributes ``dataset_name``, ``grid_type`` (``cartesian``), ``n_spatial_dims``, ``n_trajectories`` and
  ``simulation_parameters`` (names of the parameters fixed over the file, each also a root attribute);
- ``dimensions/``: ``time`` ``(T,)`` and one coordinate per spatial dim, named in its ``spatial_dims`` attribute,
  in The Well's order ``(x, y)``: the reverse of our ``(y, x)`` storage;
- ``t0_fields/`` scalar fields ``(B, T, X[, Y])``, ``t1_fields/`` vector fields ``(B, T, X, Y, D)`` with their
  components stacked last (our ``vx``, ``vy`` become ``velocity``), ``t2_fields/`` tensors (none of ours);
- ``scalars/`` per-trajectory values ``(B,)``, ``sample_varying``;
- ``boundary_conditions/<dim>_<type>/`` with ``bc_type`` (``periodic`` for the 1D equations, ``wall`` for the
  smoke box), ``associated_dims`` and a boolean ``mask`` on that dim, true at both ends.

Fields are float32; datasets carry ``sample_varying``, ``time_varying`` and (fields) ``dim_varying``. Ours adds
``dimensions/sample`` (the global trajectory index) and the source's attributes as JSON (``pdejepa_attrs``),
which The Well's reader ignores and :mod:`~solvers.exchange.the_well_import` restores.

``stats.yaml`` holds, per field (a list per component for vectors), ``mean``, ``std``, ``rms`` of the values
and ``mean_delta``, ``std_delta``, ``rms_delta`` of the differences of consecutive frames, over every file of
``data/train`` (population statistics, as The Well computes them).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import yaml

from ..equations import EQUATIONS
from ..ns2d.config import NAME as BUOYANCY
from ..statistics import StreamingStatistics
from .common import (
    OUR_ATTRS,
    OUR_VARIABLES,
    Source,
    blocks,
    input_files,
    open_foreign,
    open_source,
    provenance,
    rows_per_block,
    text_attrs,
    whole_file,
)

VECTORS = {"velocity": "v"}
"""The Well's name of a vector field -> the prefix of our component fields (``vx``, ``vy``)."""
STATS_FILE = "stats.yaml"
FORMAT = "The Well"


def names(items: Sequence[str]) -> np.ndarray:
    """A list of strings as an HDF5 attribute (variable-length UTF-8; an empty list too)."""
    return np.array(list(items), dtype=h5py.string_dtype())


def boundaries(source: Source, dims: tuple[str, ...]) -> dict[str, str]:
    """Spatial dim -> The Well's ``bc_type``; empty (The Well reads that as open) where we do not know it."""
    stored = source.ds.attrs.get("boundary_conditions")
    if stored is not None:  # kept by an import
        return {d: kind for d, kind in json.loads(stored).items() if d in dims}
    if source.equation == BUOYANCY:
        return {d: "wall" for d in dims}
    if source.equation in EQUATIONS:
        return {d: "periodic" for d in dims}
    return {}


def flags(group: h5py.HLObject, sample: bool, time: bool) -> None:
    group.attrs["sample_varying"] = sample
    group.attrs["time_varying"] = time


def write_header(f: h5py.File, src: Source, dims: tuple[str, ...]) -> None:
    """Root attributes, ``dimensions``, ``scalars`` and ``boundary_conditions`` of ``src``."""
    constants = {}
    for name in src.parameters:
        values = src.ds[name].values
        if np.all(values == values[0]):
            constants[name] = float(values[0])
    f.attrs.update(
        {
            "dataset_name": src.equation,
            "grid_type": "cartesian",
            "n_spatial_dims": len(dims),
            "n_trajectories": src.num,
            "simulation_parameters": names(list(constants)),
            **constants,
            OUR_ATTRS: src.attrs_json(),
            OUR_VARIABLES: src.variable_attrs_json(),
            **provenance("exported", "pdejepa", [src.path]),
        }
    )
    group = f.create_group("dimensions")
    group.attrs["spatial_dims"] = names(dims)
    for name in ("time", *dims):
        ds = group.create_dataset(name, data=src.coord(name).astype(np.float32))
        ds.attrs.update(text_attrs(src.ds[name].attrs))
        flags(ds, sample=False, time=name == "time")
    group.create_dataset("sample", data=src.coord("sample").astype(np.int64))
    group = f.create_group("scalars")
    group.attrs["field_names"] = names(src.per_sample)
    for name in src.per_sample:
        ds = group.create_dataset(name, data=src.ds[name].values.astype(np.float32))
        ds.attrs.update(text_attrs(src.ds[name].attrs))
        flags(ds, sample=True, time=False)
    group = f.create_group("boundary_conditions")
    for dim, kind in boundaries(src, dims).items():
        bc = group.create_group(f"{dim}_{kind}")
        bc.attrs.update({"associated_dims": names([dim]), "associated_fields": names([]), "bc_type": kind})
        flags(bc, sample=False, time=False)
        mask = np.zeros(len(src.coord(dim)), dtype=bool)
        mask[[0, -1]] = True
        bc.create_dataset("mask", data=mask)


def write_fields(f: h5py.File, src: Source, dims: tuple[str, ...]) -> None:
    """``t0_fields``, ``t1_fields`` (our ``vx``, ``vy`` as ``velocity``) and an empty ``t2_fields``, copied a
    block of samples at a time with the spatial axes reversed."""
    vectors = {
        name: [prefix + d for d in dims]
        for name, prefix in VECTORS.items()
        if len(dims) > 1 and all(prefix + d in src.fields for d in dims)
    }
    components = {c for comps in vectors.values() for c in comps}
    scalars = [name for name in src.fields if name not in components]
    nt = len(src.coord("time"))
    sizes = tuple(len(src.coord(d)) for d in dims)
    shape = (src.num, nt, *sizes)
    order = (0, 1, *range(len(dims) + 1, 1, -1))  # (sample, time, y, x) -> (sample, time, x, y)
    groups = {}
    for group_name, members, extra in (("t0_fields", scalars, ()), ("t1_fields", list(vectors), (len(dims),))):
        group = groups[group_name] = f.create_group(group_name)
        group.attrs["field_names"] = names(members)
        for name in members:
            chunks = (1, 1, *sizes, *extra) if src.num else None  # The Well reads a few frames of one sample
            ds = group.create_dataset(name, shape=shape + extra, dtype="f4", chunks=chunks)
            ds.attrs["dim_varying"] = np.ones(len(dims), dtype=bool)
            flags(ds, sample=True, time=True)
            if name in src.fields:
                ds.attrs.update(text_attrs(src.ds[name].attrs))
    f.create_group("t2_fields").attrs["field_names"] = names([])

    def read(name: str, lo: int, hi: int) -> np.ndarray:
        return np.transpose(np.asarray(src.ds[name].isel(sample=slice(lo, hi)).values, dtype=np.float32), order)

    for lo, hi in blocks(src.num, rows_per_block((src.num, *shape[1:], len(dims)))):
        for name in scalars:
            groups["t0_fields"][name][lo:hi] = read(name, lo, hi)
        for name, comps in vectors.items():
            groups["t1_fields"][name][lo:hi] = np.stack([read(c, lo, hi) for c in comps], axis=-1)


def export_the_well(
    path: str | os.PathLike, out_dir: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> list[Path]:
    """Write ``path`` as ``out_dir/data/<split>/<name>.hdf5`` (``split``: default the file's own, else train)
    and, for the train split, ``out_dir/stats.yaml`` over every file of ``data/train``. Returns the files written."""
    out_dir = Path(out_dir)
    with open_source(path) as src:
        split = src.split(split)
        dims = tuple(reversed(src.spatial))
        target = out_dir / "data" / split / f"{src.path.stem}.hdf5"
        with whole_file(target, overwrite) as temporary, h5py.File(temporary, "w") as f:
            write_header(f, src, dims)
            write_fields(f, src, dims)
    if split != "train":
        return [target]
    return [target, write_statistics(out_dir)]


def channels(f: h5py.File, path: Path) -> dict[str, tuple[str, int, tuple[int, ...]]]:
    """``name[i, j]`` -> (group/field path, tensor order, component index) for every field of a file of The Well."""
    out = {}
    n_dims = int(f.attrs["n_spatial_dims"])
    for order in range(3):
        group = f.get(f"t{order}_fields")
        for name in group.attrs["field_names"] if group is not None else ():
            ds = group[name]
            if not (ds.attrs["sample_varying"] and ds.attrs["time_varying"]):
                raise ValueError(f"{path}: {STATS_FILE} needs fields that vary by sample and time; {name} does not")
            for index in np.ndindex(*(n_dims,) * order):
                out[f"{name}{list(index) if order else ''}"] = (f"t{order}_fields/{name}", order, index)
    return out


def file_statistics(f: h5py.File, path: Path) -> tuple[StreamingStatistics, dict[str, tuple[str, int, tuple]]]:
    """The statistics of every component of every field of one file of The Well, a block of samples at a time."""
    chans = channels(f, path)
    nt = f["dimensions"]["time"].shape[-1]
    acc = StreamingStatistics(chans, np.arange(nt, dtype=np.float64))  # a unit step: the derivative is the delta
    datasets = {where: f[where] for where, _, _ in chans.values()}
    num = int(f.attrs["n_trajectories"])
    rows = rows_per_block((num, sum(math.prod(ds.shape[1:]) for ds in datasets.values())))
    for lo, hi in blocks(num, rows):
        read = {where: ds[lo:hi] for where, ds in datasets.items()}
        acc.update({key: read[where][(Ellipsis, *index)] for key, (where, _, index) in chans.items()})
    return acc, chans


def well_statistics(files: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """``stats.yaml``'s content over ``files`` of The Well: per field (nested lists for vectors and tensors)
    ``mean``, ``std``, ``rms`` and the same of the differences of consecutive frames (``*_delta``)."""
    total, chans = None, {}
    for path in files:
        with open_foreign(path, FORMAT) as f:
            acc, chans_here = file_statistics(f, path)
            n_dims = int(f.attrs["n_spatial_dims"])
        if total is None:
            total, chans = acc, chans_here
        elif set(chans_here) != set(chans):
            raise ValueError(f"{path} holds other fields than {files[0]}: {sorted(chans_here)} against {sorted(chans)}")
        else:
            total.merge(acc)
    if total is None:
        raise ValueError("no file of The Well to compute statistics from")
    result = total.result()
    stats: dict[str, dict[str, Any]] = {k: {} for k in ("mean", "std", "rms", "mean_delta", "std_delta", "rms_delta")}
    for where in dict.fromkeys(where for where, _, _ in chans.values()):
        keys = [key for key, (w, _, _) in chans.items() if w == where]
        shape = (n_dims,) * chans[keys[0]][1]
        field = where.split("/", 1)[1]
        for suffix, prefix in (("", ""), ("_delta", "dt_")):
            mean = np.array([result[k][prefix + "mean"] for k in keys]).reshape(shape)
            std = np.array([result[k][prefix + "std"] for k in keys]).reshape(shape)
            stats["mean" + suffix][field] = mean.tolist()
            stats["std" + suffix][field] = std.tolist()
            stats["rms" + suffix][field] = np.sqrt(std**2 + mean**2).tolist()
    return stats


def write_statistics(out_dir: Path) -> Path:
    """``out_dir/stats.yaml`` from every file of ``out_dir/data/train`` (replaced whole)."""
    stats = well_statistics(input_files(out_dir / "data" / "train", FORMAT))
    target = out_dir / STATS_FILE
    with whole_file(target, overwrite=True) as temporary:
        temporary.write_text(yaml.safe_dump(stats, sort_keys=True))
    return target
