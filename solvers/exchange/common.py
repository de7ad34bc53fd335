"""Pieces every exchange format shares: our trajectory files as a source, whole-file outputs, provenance.

A source is one finished trajectory file of :mod:`solvers` (:func:`open_source`): its fields (``u``
over ``(sample, time, x)``, or ``smoke``, ``vx``, ``vy`` over ``(sample, time, y, x)``), per-sample
variables, coordinates and global attributes, read a block of samples at a time (:func:`blocks`).
Outputs are written under a temporary name and renamed when whole (:func:`whole_file`); imports go
through our own :class:`~solvers.dataset.TrajectoryWriter`, which does the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

from ..dataset import TrajectoryWriter, one_line
from ..generate import package_version
from ..reader import LAYOUTS, open_trajectories
from ..splits import SPLITS
from ..statistics import BLOCK_VALUES

OUR_ATTRS = "pdejepa_attrs"
"""Attribute (JSON) under which an export keeps the source's global attributes, so an import restores them."""
OUR_VARIABLES = "pdejepa_variable_attrs"
"""Attribute (JSON): variable or coordinate name -> its textual (CF) attributes, restored by an import."""
FLOAT32_EPS = float(np.finfo(np.float32).eps)


@dataclass(frozen=True)
class Source:
    """An open trajectory file: ``kind`` is ``"1D"`` or ``"2D"`` (:data:`solvers.reader.LAYOUTS`)."""

    path: Path
    ds: xr.Dataset
    kind: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(LAYOUTS[self.kind])

    @property
    def spatial(self) -> tuple[str, ...]:
        """Spatial dims in storage order: ``("x",)`` or ``("y", "x")``."""
        return LAYOUTS[self.kind][self.fields[0]][2:]

    @property
    def num(self) -> int:
        return self.ds.sizes["sample"]

    @property
    def per_sample(self) -> tuple[str, ...]:
        """Per-trajectory variables along ``sample`` (parameters and diagnostics)."""
        return tuple(str(n) for n, v in self.ds.data_vars.items() if v.dims == ("sample",))

    @property
    def parameters(self) -> tuple[str, ...]:
        """The per-sample variables that are the equation's parameters (``parameter_ranges``), not diagnostics."""
        ranges = json.loads(self.ds.attrs.get("parameter_ranges", "{}"))
        return tuple(name for name in self.per_sample if name in ranges)

    @property
    def equation(self) -> str:
        return str(self.ds.attrs.get("equation", "unknown"))

    def coord(self, name: str) -> np.ndarray:
        return np.asarray(self.ds[name].values)

    def attrs_json(self) -> str:
        """The global attributes as JSON (numpy values as plain ones)."""
        return json.dumps({str(k): plain(v) for k, v in self.ds.attrs.items()}, sort_keys=True)

    def variable_attrs_json(self) -> str:
        """Every variable's and coordinate's textual attributes as JSON (:data:`OUR_VARIABLES`)."""
        return json.dumps({str(n): text_attrs(v.attrs) for n, v in self.ds.variables.items()}, sort_keys=True)

    def split(self, split: str | None) -> str:
        """The split to export as: ``split``, else the file's own ``split`` attribute, else ``train``."""
        return check_split(split or str(self.ds.attrs.get("split") or "train"))


def text_attrs(attrs: Any) -> dict[str, str]:
    """The textual (CF) attributes of a variable: ``long_name``, ``units``, ``axis``, ``description``."""
    return {str(k): v for k, v in attrs.items() if isinstance(v, str)}


def plain(value: Any) -> Any:
    """A numpy scalar or array (or bytes) as the JSON-able Python value."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value


@contextlib.contextmanager
def open_source(path: str | os.PathLike) -> Iterator[Source]:
    """A finished trajectory file of ours, refused in one line naming it otherwise."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (pass a trajectory file written by pdejepa generate)")
    with open_trajectories(path) as (ds, kind):
        yield Source(path, ds, kind)


def rows_per_block(shape: tuple[int, ...]) -> int:
    """Samples per block so that a block of a field of ``shape`` (sample first) holds about ``BLOCK_VALUES`` values."""
    return max(1, BLOCK_VALUES // max(1, math.prod(shape[1:])))


def blocks(num: int, rows: int) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` sample ranges of at most ``rows`` covering ``0..num``."""
    for lo in range(0, num, rows):
        yield lo, min(num, lo + rows)


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {list(SPLITS)}")
    return split


@contextlib.contextmanager
def whole_file(path: Path, overwrite: bool) -> Iterator[Path]:
    """A temporary name next to ``path`` to write; renamed to ``path`` on success, removed on failure.

    A name that exists is refused unless ``overwrite``: nothing is touched then.
    """
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass --overwrite to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # hidden: readers globbing *.hdf5 skip it
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def provenance(action: str, fmt: str, sources: list[Path]) -> dict[str, str]:
    """Attributes saying what made a file: ``<action>_from`` (format), the sources' names, the date, the converter."""
    return {
        f"{action}_from": fmt,
        f"{action}_source": json.dumps([p.name for p in sources]),
        f"{action}_date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "converter": f"pdejepa {package_version()}",
    }


def open_foreign(path: Path, fmt: str) -> h5py.File:
    """``path`` opened read-only as an HDF5 file of ``fmt``; one line naming it otherwise."""
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 file of {fmt} ({one_line(err)})") from None


def input_files(path: str | os.PathLike, fmt: str) -> list[Path]:
    """A file, or the ``*.h5`` / ``*.hdf5`` files of a folder (sorted), to import."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".h5", ".hdf5") and not p.name.startswith("."))
        if not files:
            raise ValueError(f"{path} holds no .h5 or .hdf5 file of {fmt} to import")
        return files
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist (pass a {fmt} HDF5 file or a folder of them)")
    return [path]


def same_rows(values: np.ndarray, name: str, where: Path) -> np.ndarray:
    """The one row of ``values`` ``(n, k)`` that every sample shares (a coordinate stored per sample)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return values
    if not np.allclose(values, values[:1], rtol=1e-12, atol=0):
        raise ValueError(f"{where}: {name} differs between samples; one file of ours holds one {name} grid")
    return values[0]


def same_grid(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two coordinate grids are the same (to float32 precision, which The Well stores them in)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=8 * FLOAT32_EPS, atol=0))


def snapped(values: np.ndarray) -> np.ndarray:
    """``values`` in float64; a grid uniform to float32 precision becomes the exact ``linspace`` of its ends,
    so that float32 storage elsewhere does not make our readers find it non-uniform."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < 3:
        return v
    even = np.linspace(v[0], v[-1], len(v))
    return even if np.abs(v - even).max() <= 8 * FLOAT32_EPS * np.abs(v).max() else v


def merged_attrs(sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Restored global attributes: those the sources agree on, minus what the writer sets itself."""
    first = sources[0]
    keep = {k: v for k, v in first.items() if all(s.get(k) == v for s in sources[1:])}
    for key in ("complete", "samples_written", "fingerprint"):
        keep.pop(key, None)
    return keep


@dataclass(frozen=True)
class Plan:
    """What an import writes: fields (dims after ``sample``), coordinates, the attributes of both, per-sample
    variables, the global trajectory indices, global attributes and the fingerprint."""

    fields: dict[str, tuple[str, ...]]
    coords: dict[str, np.ndarray]
    coord_attrs: dict[str, dict[str, str]]
    variable_attrs: dict[str, dict[str, str]]
    per_sample: tuple[str, ...]
    samples: np.ndarray
    attrs: dict[str, Any]
    fingerprint: str


def write_imported(
    out: str | os.PathLike, plan: Plan, batches: Iterable[dict[str, np.ndarray]], overwrite: bool
) -> Path:
    """Write ``batches`` (consecutive samples of every field and per-sample variable) as one of our files,
    through :class:`~solvers.dataset.TrajectoryWriter`; a failed import leaves no file behind."""
    writer = TrajectoryWriter(
        out,
        fields=plan.fields,
        coords=plan.coords,
        samples=plan.samples,
        per_sample=plan.per_sample,
        attrs=plan.attrs,
        fingerprint=plan.fingerprint,
        coord_attrs=plan.coord_attrs,
        variable_attrs=plan.variable_attrs,
        overwrite=overwrite,
    )
    try:
        with writer:
            for arrays in batches:
                writer.write(writer.written, arrays)
            return writer.finish({"complete": 1})
    except BaseException:
        writer.partial.unlink(missing_ok=True)  # an import does not resume: its partial file is only in the way
        raise


def attributes(
    restored: list[str], coords: list[str], variables: list[str], source: str
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """``(coord_attrs, variable_attrs)``: those an export kept (:data:`OUR_VARIABLES`, JSON, one per source
    file) where every file kept the same, else a ``long_name`` and where the values come from."""
    kept = json.loads(restored[0]) if restored and all(r == restored[0] for r in restored) else {}

    def attrs_of(name: str) -> dict[str, str]:
        return kept.get(name) or {"long_name": name, "description": f"as stored by {source} (units not recorded)"}

    coord_attrs = {name: attrs_of(name) for name in coords}
    coord_attrs["sample"] = kept.get("sample") or {"long_name": "global trajectory index"}
    return coord_attrs, {name: attrs_of(name) for name in variables}
