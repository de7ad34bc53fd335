"""HDF5 trajectory files that ``xarray.open_dataset(path, engine="h5netcdf")`` opens as they are.

Layout (netCDF-4 conventions through HDF5 dimension scales, written with h5py):

- fields, e.g. ``u``: float32, dims ``(sample, time, x)``, chunked one sample per chunk;
- coordinates ``sample`` (global trajectory index, so shards concatenate), ``time``, ``x``;
- per-trajectory parameters (``nu``, ``L``, ...) and diagnostics as 1-D variables along ``sample``;
- provenance as global attributes.

A file is written under ``<name>.partial`` and renamed only once every sample is in, so
a final name never holds half a dataset. After an interruption the partial file keeps
every finished batch and ``resume=True`` carries on from there.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

PARTIAL_SUFFIX = ".partial"


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


class TrajectoryWriter:
    """Incremental writer of one dataset file (or one shard of it).

    Args:
        path: final file name.
        fields: field name -> dims after ``sample``, e.g. ``{"u": ("time", "x")}``.
        coords: coordinate name -> 1-D values (every dim but ``sample``), with ``units`` in ``coord_attrs``.
        samples: ``(n,)`` global indices of the trajectories this file holds.
        per_sample: names of 1-D float64 variables along ``sample`` (parameters, diagnostics).
        attrs: global attributes; ``fingerprint`` must identify the recipe, so a
            resume with another recipe is refused.
        resume: continue a partial file; otherwise refuse to touch existing files unless ``overwrite``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fields: dict[str, tuple[str, ...]],
        coords: dict[str, np.ndarray],
        samples: np.ndarray,
        per_sample: tuple[str, ...],
        attrs: dict[str, Any],
        fingerprint: str,
        coord_attrs: dict[str, dict[str, str]] | None = None,
        resume: bool = False,
        overwrite: bool = False,
    ) -> None:
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.num = len(samples)
        if self.path.exists() and not overwrite:
            if resume:
                raise FileExistsError(f"{self.path} is already complete; nothing to resume (pass --overwrite to regenerate it)")
            raise FileExistsError(f"{self.path} exists; pass --overwrite to replace it")
        if self.partial.exists() and resume and not overwrite:
            self.file = h5py.File(self.partial, "r+")
            stored = self.file.attrs.get("fingerprint", "")
            if stored != fingerprint:
                self.file.close()
                raise ValueError(
                    f"cannot resume {self.partial}: it was started with another recipe.\n"
                    f"  stored:    {stored}\n  requested: {fingerprint}\n"
                    "Run with the same settings, or pass --overwrite to start over."
                )
            return
        if self.partial.exists() and not overwrite:
            raise FileExistsError(f"an interrupted run left {self.partial}; pass --resume to continue it or --overwrite to start over")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = h5py.File(self.partial, "w")
        self._create(fields, coords, samples, per_sample, attrs, fingerprint, coord_attrs or {})

    def _create(self, fields, coords, samples, per_sample, attrs, fingerprint, coord_attrs) -> None:
        f = self.file
        scales = {"sample": f.create_dataset("sample", data=np.asarray(samples, dtype=np.int64))}
        for name, values in coords.items():
            scales[name] = f.create_dataset(name, data=np.asarray(values))
        for name, ds in scales.items():
            ds.make_scale(name)
            ds.attrs.update(coord_attrs.get(name, {}))
        for name in per_sample:
            ds = f.create_dataset(name, shape=(self.num,), dtype="f8", fillvalue=np.nan)
            ds.dims[0].attach_scale(scales["sample"])
        for name, dims in fields.items():
            shape = (self.num, *(len(coords[d]) for d in dims))
            chunks = (1, *shape[1:]) if self.num else None  # an empty shard (more shards than samples) has no chunks
            ds = f.create_dataset(name, shape=shape, dtype="f4", chunks=chunks, fillvalue=np.nan)
            for axis, dim in enumerate(("sample", *dims)):
                ds.dims[axis].attach_scale(scales[dim])
        f.attrs.update({k: v for k, v in attrs.items() if v is not None})
        f.attrs["fingerprint"] = fingerprint
        f.attrs["samples_written"] = 0
        f.flush()

    @property
    def written(self) -> int:
        """How many samples (from the start) are safely on disk."""
        return int(self.file.attrs["samples_written"])

    def write(self, start: int, arrays: dict[str, np.ndarray]) -> None:
        """Store rows ``start : start + n`` of every named variable, then mark them written."""
        if start != self.written:
            raise ValueError(f"batches must be written in order: expected start {self.written}, got {start}")
        n = None
        for name, values in arrays.items():
            n = len(values)
            self.file[name][start : start + n] = values
        self.file.flush()  # data first, then the counter that vouches for it
        self.file.attrs["samples_written"] = start + (n or 0)
        self.file.flush()

    def finish(self, attrs: dict[str, Any] | None = None) -> Path:
        """Close the file and give it its final name; refuses if samples are missing."""
        if self.written != self.num:
            raise RuntimeError(f"{self.partial}: only {self.written}/{self.num} samples written")
        if attrs:
            self.file.attrs.update(attrs)
        self.file.close()
        os.replace(self.partial, self.path)
        return self.path

    def close(self) -> None:
        if self.file.id.valid:
            self.file.close()

    def __enter__(self) -> "TrajectoryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
