"""Exchange with PDEArena's conditioned smoke-buoyancy data (Gupta & Brandstetter 2022, ``NavierStokes2D``).

PDEArena's generator writes, per file, one group named after the split (``train``, ``valid``, ``test``) with

- ``u`` (the smoke), ``vx``, ``vy``: ``(N, T, X, Y)`` float64, axes in PhiFlow's ``(x, y)`` order;
- ``t`` ``(N, T)``, ``x`` ``(N, X)``, ``y`` ``(N, Y)`` and the spacings ``dt``, ``dx``, ``dy`` ``(N,)``;
- ``buo_y`` ``(N,)``: the buoyancy, which its conditioned loader passes to the model;

and names the file ``NavierStokes2D_<split>_<seed>_<buoyancy>[_<N> for train].h5``; its loader picks files by
the split in their name. The export writes that layout from a smoke file of ours (``smoke``, ``vx``, ``vy``
``(sample, time, y, x)``, ``buoyancy``), with our coordinates (cell centres; our velocity is the cell-centred
one) and our other per-sample variables, the trajectory indices and attributes in a root group ``pdejepa``
that PDEArena's loader does not read. The import reads such files (one, or a folder) back into our format.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from ..dataset import to_json
from ..ns2d.config import FORMULA, NAME
from .common import (
    OUR_ATTRS,
    OUR_VARIABLES,
    SPLITS,
    Plan,
    Source,
    attributes,
    blocks,
    check_split,
    input_files,
    merged_attrs,
    open_foreign,
    open_source,
    provenance,
    rows_per_block,
    same_grid,
    same_rows,
    snapped,
    whole_file,
    write_imported,
)

FIELDS = {"u": "smoke", "vx": "vx", "vy": "vy"}
"""PDEArena's field name -> ours."""
GRID = ("t", "dt", "x", "dx", "y", "dy", "buo_y")
EXTRAS = "pdejepa"
"""Root group of what PDEArena's layout has no name for (our per-sample variables, indices, attributes)."""
FORMAT = "PDEArena"


def check_smoke(src: Source) -> None:
    if src.kind != "2D" or "buoyancy" not in src.per_sample:
        raise ValueError(
            f"{src.path} holds {src.equation!r} ({', '.join(src.fields)}): PDEArena's NavierStokes2D layout "
            f"holds the 2D smoke-buoyancy data only (smoke, vx, vy and buoyancy, as 'pdejepa generate {NAME}' writes)"
        )


def file_name(src: Source, split: str) -> str:
    """``NavierStokes2D_<split>_<seed>_<buoyancy>[_<N>].h5`` as PDEArena names them (a range where it varies)."""
    b = src.ds["buoyancy"].values
    buoyancy = f"{b.min():.5f}" if b.min() == b.max() else f"{b.min():.5f}-{b.max():.5f}"
    seed = str(src.ds.attrs.get("seed", 0))
    shard = str(src.ds.attrs.get("shard", "0/1"))
    if shard != "0/1":
        seed += "-shard" + shard.replace("/", "of")
    return "_".join(["NavierStokes2D", split, seed, buoyancy, *([str(src.num)] if split == "train" else [])]) + ".h5"


def export_pdearena(
    path: str | os.PathLike, out_dir: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> list[Path]:
    """Write the smoke file ``path`` as ``out_dir/NavierStokes2D_<split>_...h5`` (``split``: default the file's
    own, else train). Returns the file written."""
    with open_source(path) as src:
        check_smoke(src)
        split = src.split(split)
        target = Path(out_dir) / file_name(src, split)
        with whole_file(target, overwrite) as temporary, h5py.File(temporary, "w") as f:
            write_pdearena(f, src, split)
    return [target]


def write_pdearena(f: h5py.File, src: Source, split: str) -> None:
    n = src.num
    time, x, y = src.coord("time"), src.coord("x"), src.coord("y")
    group = f.create_group(split)
    shape = (n, len(time), len(x), len(y))
    for theirs, ours in FIELDS.items():
        ds = group.create_dataset(theirs, shape=shape, dtype="f8", chunks=(1, 1, *shape[2:]) if n else None)
        for lo, hi in blocks(n, rows_per_block(shape)):
            ds[lo:hi] = np.transpose(src.ds[ours].isel(sample=slice(lo, hi)).values, (0, 1, 3, 2))

    def step(values: np.ndarray) -> float:
        return float(values[1] - values[0]) if len(values) > 1 else 0.0

    for name, values in (("t", time), ("x", x), ("y", y)):
        group.create_dataset(name, data=np.tile(values.astype(np.float64), (n, 1)))
        group.create_dataset(f"d{name}", data=np.full(n, step(values)))
    group.create_dataset("buo_y", data=src.ds["buoyancy"].values.astype(np.float64))
    extras = f.create_group(EXTRAS)
    extras.create_dataset("sample", data=src.coord("sample").astype(np.int64))
    for name in src.per_sample:
        if name != "buoyancy":
            extras.create_dataset(name, data=src.ds[name].values.astype(np.float64))
    extras.attrs[OUR_ATTRS] = src.attrs_json()
    extras.attrs[OUR_VARIABLES] = src.variable_attrs_json()
    f.attrs.update(provenance("exported", "pdejepa", [src.path]))


def split_of(handles: list[h5py.File], files: list[Path], split: str | None) -> tuple[list[h5py.File], list[Path], str]:
    """The files holding ``split`` (default: the one split they hold) and that split."""
    if split is not None:
        check_split(split)
        kept = [(f, p) for f, p in zip(handles, files) if split in f]
        if not kept:
            raise ValueError(f"no file holds the {split} split (groups found: {groups(handles)})")
        return [f for f, _ in kept], [p for _, p in kept], split
    found = groups(handles)
    if not found:
        names = ", ".join(p.name for p in files)
        raise ValueError(f"{names}: no group {' / '.join(SPLITS)}, so not PDEArena's NavierStokes2D layout")
    if len(found) > 1:
        raise ValueError(f"the files hold the splits {found}; choose one with --split")
    return handles, files, found[0]


def groups(handles: list[h5py.File]) -> list[str]:
    return sorted({s for f in handles for s in SPLITS if s in f})


def plan_import(handles: list[h5py.File], files: list[Path], split: str) -> Plan:
    coords = {}
    for f, path in zip(handles, files):
        group = f[split]
        missing = [k for k in (*FIELDS, *GRID) if k not in group]
        if missing:
            raise ValueError(f"{path}: group {split} lacks {missing}: not PDEArena's NavierStokes2D layout")
        if group["u"].ndim != 4 or any(group[k].shape != group["u"].shape for k in FIELDS):
            raise ValueError(f"{path}: u, vx, vy must share one shape (N, T, X, Y), got {group['u'].shape}")
        for axis, (ours, theirs) in enumerate((("time", "t"), ("x", "x"), ("y", "y")), start=1):
            values = snapped(same_rows(group[theirs][()], theirs, path))
            if len(values) != group["u"].shape[axis]:
                raise ValueError(f"{path}: {theirs} has {len(values)} values but u has {group['u'].shape[axis]} there")
            if ours in coords and not same_grid(values, coords[ours]):
                raise ValueError(f"{path}: its {theirs} grid differs from that of {files[0]}; import them separately")
            coords.setdefault(ours, values)
    extras = [f.get(EXTRAS) for f in handles]
    restored = all(e is not None for e in extras)
    per_sample = ("buoyancy",)
    if restored:
        per_sample += tuple(k for k in extras[0] if k != "sample" and all(k in e for e in extras))
        samples = np.concatenate([e["sample"][()] for e in extras]).astype(np.int64)
        ours = [json.loads(e.attrs[OUR_ATTRS]) for e in extras]
        attrs = merged_attrs(ours)
        kept = [str(e.attrs[OUR_VARIABLES]) for e in extras]
        sources = {o.get("fingerprint") for o in ours}
    else:
        samples = np.arange(sum(f[split]["u"].shape[0] for f in handles), dtype=np.int64)
        attrs = {"equation": NAME, "equation_string": FORMULA}
        kept, sources = [], {None}
    fields = {ours: ("time", "y", "x") for ours in FIELDS.values()}
    coord_attrs, variable_attrs = attributes(kept, list(coords), [*fields, *per_sample], FORMAT)
    attrs.update(provenance("imported", "pdearena", files))
    attrs["split"] = split
    source = sources.pop() if len(sources) == 1 else None
    fingerprint = to_json({"imported_from": "pdearena", "sources": [p.name for p in files], "source": source})
    return Plan(fields, coords, coord_attrs, variable_attrs, per_sample, samples, attrs, fingerprint)


def batches(handles: list[h5py.File], split: str, per_sample: tuple[str, ...]) -> Iterator[dict[str, np.ndarray]]:
    for f in handles:
        group = f[split]
        n = group["u"].shape[0]
        for lo, hi in blocks(n, rows_per_block(group["u"].shape)):
            arrays = {ours: np.transpose(group[theirs][lo:hi], (0, 1, 3, 2)) for theirs, ours in FIELDS.items()}
            arrays["buoyancy"] = group["buo_y"][lo:hi]
            arrays.update({name: f[EXTRAS][name][lo:hi] for name in per_sample if name != "buoyancy"})
            yield arrays


def import_pdearena(
    path: str | os.PathLike, out: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> Path:
    """Convert PDEArena NavierStokes2D file(s) (a file or a folder; ``split``: the group to read) into ``out``."""
    files = input_files(path, FORMAT)
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open_foreign(p, FORMAT)) for p in files]
        handles, files, split = split_of(handles, files, split)
        plan = plan_import(handles, files, split)
        return write_imported(out, plan, batches(handles, split, plan.per_sample), overwrite)
