"""HDF5 trajectory files that ``xarray.open_dataset(path, engine="h5netcdf")`` opens as they are.

Layout (netCDF-4, laid out by h5netcdf; batches written through h5py), following the CF-1.10 conventions:

- fields, e.g. ``u``: float32, dims ``(sample, time, x)``, chunked one sample per chunk and compressed
  (:data:`COMPRESSIONS`), ``_FillValue`` NaN (rows not yet written), and their statistics
  (:mod:`solvers.statistics`: ``stats_mean``, ``stats_std``, ``stats_dt_mean``, ``stats_dt_std``);
- coordinates ``sample`` (global trajectory index, so shards concatenate), ``time``, ``x`` (``y``),
  with ``axis`` ``T``, ``X``, ``Y``;
- per-trajectory parameters (``nu``, ``L``, ...) and diagnostics as 1-D float64 variables along ``sample``;
- ``long_name`` and UDUNITS ``units`` on every variable (``"1"``: dimensionless), provenance and
  ``Conventions`` as global attributes.

A file is written under ``<name>.partial`` and renamed only once every sample is in, so
a final name never holds half a dataset. After an interruption the partial file keeps
every finished batch and ``resume=True`` carries on from there. A writer holds
:class:`~solvers.locks.OutputLock` on its output; :mod:`solvers.reader` reads finished files back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import h5netcdf
import h5py
import numpy as np

from .locks import OutputLock
from .statistics import StreamingStatistics, compute_statistics, statistics_attrs

PARTIAL_SUFFIX = ".partial"
CONVENTIONS = "CF-1.10"
COMPRESSIONS = ("none", "lzf", "gzip")
"""Chunk compression of the fields: ``gzip`` (``gzip:1`` .. ``gzip:9``; default level 4) is what every
netCDF reader decodes; ``lzf`` is faster but read only through h5py (h5netcdf, xarray)."""
GZIP_LEVEL = 4


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def compression_options(spec: str) -> dict[str, Any]:
    """h5py filter arguments of a compression ``none``, ``lzf``, ``gzip`` or ``gzip:LEVEL`` (1-9)."""
    method, _, level = str(spec).partition(":")
    allowed = "none, lzf, gzip or gzip:LEVEL with LEVEL 1-9"
    if method not in COMPRESSIONS or (level and (method != "gzip" or level not in {str(i) for i in range(1, 10)})):
        raise ValueError(f"compression {spec!r} is not one of {allowed}")
    if method == "none":
        return {}
    options: dict[str, Any] = {"compression": method, "shuffle": True}  # shuffle: bytes of floats group better
    if method == "gzip":
        options["compression_opts"] = int(level or GZIP_LEVEL)
    return options


def one_line(err: BaseException) -> str:
    """An exception's message on one line (HDF5 errors may span several)."""
    return " ".join(str(err).split())


class TrajectoryWriter:
    """Incremental writer of one dataset file (or one shard of it).

    The writer holds :class:`OutputLock` on ``path`` from construction to :meth:`close`, so a
    second writer of the same file fails at once without touching it. If the run fails
    before any sample is written, the partial file is removed on exit: it would only block
    reruns. The statistics of the fields (:mod:`solvers.statistics`) are accumulated batch by
    batch as they are written (a resumed file's rows are read once) and stored by :meth:`finish`.

    Args:
        path: final file name.
        fields: field name -> dims after ``sample``, e.g. ``{"u": ("time", "x")}``.
        coords: coordinate name -> 1-D values (every dim but ``sample``).
        samples: ``(n,)`` global indices of the trajectories this file holds.
        per_sample: names of 1-D float64 variables along ``sample`` (parameters, diagnostics).
        attrs: global attributes; ``fingerprint`` must identify the recipe, so a
            resume with another recipe is refused.
        coord_attrs, variable_attrs: attributes (``long_name``, ``units``, ``axis``, ``description``) of the
            coordinates (``sample`` included) and of the fields and per-sample variables.
        compression: of the fields' chunks, one of :data:`COMPRESSIONS` (``gzip:LEVEL`` for a gzip level);
            a resumed file keeps the compression it was created with.
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
        variable_attrs: dict[str, dict[str, str]] | None = None,
        compression: str = "gzip",
    ) -> None:
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.num = len(samples)
        self.file: h5py.File | None = None
        self.fields = tuple(fields)
        self._written = 0
        filters = compression_options(compression)  # a bad value is refused before anything is touched
        # every variable's shape, for creating a file and for checking one to resume
        self._shapes = {name: (self.num, *(len(coords[d]) for d in dims)) for name, dims in fields.items()}
        self._shapes.update({name: (self.num,) for name in per_sample})
        self._lock = OutputLock(self.path).acquire()  # before any file is opened, truncated or removed
        created = False
        try:
            if self.path.exists() and not overwrite:
                if resume:
                    raise FileExistsError(
                        f"{self.path} is already complete; nothing to resume (pass --overwrite to regenerate it)"
                    )
                raise FileExistsError(f"{self.path} exists; pass --overwrite to replace it")
            if self.partial.exists() and resume and not overwrite:
                self._reopen(fingerprint)
            elif self.partial.exists() and not overwrite:
                raise FileExistsError(
                    f"an interrupted run left {self.partial}; pass --resume to continue it or --overwrite to start over"
                )
            else:
                self.file = h5py.File(self.partial, "w", track_order=True)  # netCDF-4 tracks creation order
                created = True
                layout = Layout(fields, coords, per_sample, coord_attrs or {}, variable_attrs or {}, filters)
                self._create(layout, samples, attrs, fingerprint)
            self._stats = self._statistics(coords)
        except BaseException:
            if created:
                self._discard()  # our own file, half made
            self.close()
            raise

    def _statistics(self, coords: dict[str, np.ndarray]) -> StreamingStatistics | None:
        """The fields' accumulator, fed with the rows a resumed file already holds; None without a time axis."""
        if "time" not in coords or not self.fields:
            return None
        if self._written:
            return compute_statistics(self.file, self.fields, rows=self._written)
        return StreamingStatistics(self.fields, coords["time"])

    def _reopen(self, fingerprint: str) -> None:
        """Open the partial file to resume it, refusing (one line, naming it) a file that is not ours to continue."""
        try:
            self.file = h5py.File(self.partial, "r+")
        except OSError as err:
            raise ValueError(
                f"cannot resume {self.partial}: not a readable HDF5 file ({one_line(err)}); "
                "pass --overwrite to start over"
            ) from None
        f = self.file
        if "fingerprint" not in f.attrs or "samples_written" not in f.attrs:
            raise ValueError(
                f"cannot resume {self.partial}: it was not written by pdejepa generate (no fingerprint or "
                "samples_written attribute); pass --overwrite to start over"
            )
        stored = f.attrs["fingerprint"]
        if stored != fingerprint:
            raise ValueError(
                f"cannot resume {self.partial}: it was started with another recipe.\n"
                f"  stored:    {stored}\n  requested: {fingerprint}\n"
                "Run with the same settings, or pass --overwrite to start over."
            )
        for name, shape in self._shapes.items():
            ds = f.get(name)
            if not (isinstance(ds, h5py.Dataset) and ds.shape == shape):
                found = f"has shape {ds.shape}" if isinstance(ds, h5py.Dataset) else "is missing"
                raise ValueError(
                    f"cannot resume {self.partial}: its layout does not match its recipe ({name} {found}, "
                    f"expected shape {shape}); pass --overwrite to start over"
                )
        written = f.attrs["samples_written"]
        if not 0 <= written <= self.num:
            raise ValueError(
                f"cannot resume {self.partial}: samples_written={written!r} is outside [0, {self.num}]; "
                "pass --overwrite to start over"
            )
        self._written = int(written)

    def _create(self, layout: "Layout", samples: np.ndarray, attrs: dict[str, Any], fingerprint: str) -> None:
        """Lay the empty file out with h5netcdf (dimensions, coordinates, variables and their attributes), then
        set the global attributes through h5py, as scalars (h5netcdf would store numbers as 1-element arrays)."""
        with h5netcdf.File(self.file, "w") as nc:  # wraps our h5py file and leaves it open
            layout.build(nc, samples, self._shapes)
        f = self.file
        f.attrs.update({"Conventions": CONVENTIONS, **{k: v for k, v in attrs.items() if v is not None}})
        f.attrs["fingerprint"] = fingerprint
        f.attrs["samples_written"] = 0
        f.flush()

    @property
    def written(self) -> int:
        """How many samples (from the start) are safely on disk."""
        return self._written

    def write(self, start: int, arrays: dict[str, np.ndarray]) -> None:
        """Store rows ``start : start + n`` of every named variable (every field among them), then mark them
        written and pool the fields into the statistics."""
        if start != self.written:
            raise ValueError(f"batches must be written in order: expected start {self.written}, got {start}")
        missing = [name for name in self.fields if name not in arrays]
        if missing:
            raise ValueError(f"a batch must hold every field; {missing} missing from {sorted(arrays)}")
        n = None
        for name, values in arrays.items():
            n = len(values)
            self.file[name][start : start + n] = values
        self.file.flush()  # data first, then the counter that vouches for it
        self.file.attrs["samples_written"] = start + (n or 0)
        self.file.flush()
        self._written = start + (n or 0)
        if self._stats is not None:  # the values as stored (float32), in float64 sums
            self._stats.update({name: np.asarray(arrays[name], dtype=self.file[name].dtype) for name in self.fields})

    def finish(self, attrs: dict[str, Any] | None = None) -> Path:
        """Close the file, give it its final name and release the lock; refuses if samples are missing."""
        if self.written != self.num:
            raise RuntimeError(f"{self.partial}: only {self.written}/{self.num} samples written")
        if self._stats is not None:
            for name, values in statistics_attrs(self._stats.result()).items():
                self.file[name].attrs.update(values)
        if attrs:
            self.file.attrs.update(attrs)
        self.file.close()
        os.replace(self.partial, self.path)
        self.close()
        return self.path

    def _discard(self) -> None:
        """Close and remove the partial file (it holds no sample)."""
        if self.file.id.valid:
            self.file.close()
        self.partial.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the file (if open) and release the lock; a partial file stays for ``resume``."""
        try:
            if self.file is not None and self.file.id.valid:
                self.file.close()
        finally:
            self._lock.release()

    def __enter__(self) -> "TrajectoryWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None and self.written == 0 and self.file is not None and self.file.id.valid:
                self._discard()  # nothing to resume: a partial file would only block reruns
        finally:
            self.close()


class Layout:
    """What a new file holds besides its rows: dims, coordinates, variables, their attributes and filters."""

    def __init__(self, fields, coords, per_sample, coord_attrs, variable_attrs, filters) -> None:
        self.fields, self.coords, self.per_sample = fields, coords, per_sample
        self.coord_attrs, self.variable_attrs, self.filters = coord_attrs, variable_attrs, filters

    def build(self, nc: h5netcdf.File, samples: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> None:
        """Create every dimension and variable of ``nc``; fields and per-sample variables start as NaN."""
        num = len(samples)
        nc.dimensions = {"sample": num, **{name: len(values) for name, values in self.coords.items()}}
        nc.create_variable("sample", ("sample",), data=np.asarray(samples, dtype=np.int64))
        for name, values in self.coords.items():
            nc.create_variable(name, (name,), data=np.asarray(values))
        for name in ("sample", *self.coords):
            nc.variables[name].attrs.update(self.coord_attrs.get(name, {}))
        for name in self.per_sample:
            var = nc.create_variable(name, ("sample",), dtype="f8", fillvalue=np.nan)
            var.attrs.update(self.variable_attrs.get(name, {}))
        for name, dims in self.fields.items():
            shape = shapes[name]
            chunked = {"chunks": (1, *shape[1:]), **self.filters} if num else {}  # an empty shard has no rows
            var = nc.create_variable(name, ("sample", *dims), dtype="f4", fillvalue=np.float32(np.nan), **chunked)
            var.attrs.update(self.variable_attrs.get(name, {}))


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def finished_run(path: Path, fingerprint: str) -> bool:
    """Whether ``path`` is the finished file of the run ``fingerprint``: a resume then has nothing left to do.

    ``False`` when there is no file at ``path``; a file that is not of this run is refused in one line.
    """
    if not path.exists():
        return False
    try:
        with h5py.File(path, "r") as f:
            stored = f.attrs.get("fingerprint")
    except OSError as err:
        raise ValueError(
            f"cannot resume: {path} is not a readable HDF5 file ({one_line(err)}); pass --overwrite to regenerate it"
        ) from None
    if stored != fingerprint:
        raise ValueError(
            f"cannot resume: {path} is finished but holds another run (stored fingerprint {stored}, requested "
            f"{fingerprint}); run with the same settings, or pass --overwrite to regenerate it"
        )
    return True
