"""Per-field statistics of a trajectory file: mean and standard deviation of each field and of its time derivative.

Each field variable (``u``; ``smoke``, ``vx``, ``vy``) of a file carries four float64 attributes,
``stats_mean``, ``stats_std``, ``stats_dt_mean`` and ``stats_dt_std``, over every stored value of
the variable (all samples, frames and grid points). The time derivative is the forward difference
of consecutive stored frames divided by their time step, ``(u[:, k + 1] - u[:, k]) / (t[k + 1] - t[k])``;
with a single frame it has no value (NaN). The standard deviation is the population one (``ddof=0``).

The writer accumulates them in one streaming pass, batch by batch, as it stores the data
(:class:`StreamingStatistics`): each block's mean and sum of squared deviations in float64, merged
with the pairwise update of Chan, Golub and LeVeque (1979), so neither the order nor the size of the
batches changes the result beyond round-off, and no sum of squares cancels catastrophically.

:func:`read_statistics` gives them back from an open file (xarray, h5netcdf or h5py) or a path;
:func:`compute_statistics` streams through the rows of an open file (for the writer: those a resumed file holds);
:func:`combine_statistics` pools the statistics of shards or splits.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

STAT_KEYS = ("mean", "std", "dt_mean", "dt_std")
"""The statistics of one field, in the order :func:`read_statistics` returns them."""
ATTR_PREFIX = "stats_"
"""A statistic ``key`` is stored as the variable attribute ``stats_<key>``."""
BLOCK_VALUES = 1 << 22  # float64 values converted at a time (32 MiB): bounds memory for large 2D batches

Statistics = dict[str, dict[str, float]]
"""Field name -> ``{"mean", "std", "dt_mean", "dt_std"}``."""


@dataclass
class Moments:
    """Count, mean and sum of squared deviations (``m2``) of a stream of numbers, in float64."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def merge(self, other: "Moments") -> None:
        """Pool ``other`` into this one (Chan et al.'s pairwise update)."""
        if other.count == 0:
            return
        if self.count == 0:
            self.count, self.mean, self.m2 = other.count, other.mean, other.m2
            return
        total = self.count + other.count
        delta = other.mean - self.mean
        self.mean += delta * other.count / total
        self.m2 += other.m2 + delta * delta * self.count * other.count / total
        self.count = total

    def add(self, values: np.ndarray) -> None:
        """Pool every element of ``values`` (any shape), summed in float64 (numpy's pairwise sums)."""
        x = np.asarray(values, dtype=np.float64)
        if x.size == 0:
            return
        mean = float(x.mean())
        self.merge(Moments(int(x.size), mean, float(np.square(x - mean).sum())))

    @property
    def std(self) -> float:
        """Population standard deviation; NaN for an empty stream."""
        return math.sqrt(self.m2 / self.count) if self.count else math.nan

    def value(self) -> tuple[float, float]:
        """``(mean, std)``; NaN for an empty stream."""
        return (self.mean if self.count else math.nan), self.std


class StreamingStatistics:
    """Mean and standard deviation of fields and of their time derivatives, fed batch by batch.

    Args:
        fields: names of the field variables, each of shape ``(sample, time, ...)``.
        time: ``(nt,)`` stored times (the derivative divides by their differences).
    """

    def __init__(self, fields: Iterable[str], time: np.ndarray) -> None:
        self.fields = tuple(fields)
        self.step = np.diff(np.asarray(time, dtype=np.float64))
        self.values = {name: Moments() for name in self.fields}
        self.rates = {name: Moments() for name in self.fields}

    def update(self, arrays: Mapping[str, Any]) -> None:
        """Pool one batch: ``arrays[name]`` of shape ``(n, time, ...)`` (numpy arrays or h5py datasets)."""
        for name in self.fields:
            a = arrays[name]
            if a.shape[1] != len(self.step) + 1:
                raise ValueError(f"{name} has {a.shape[1]} frames, expected {len(self.step) + 1} (one per stored time)")
            row = max(1, math.prod(a.shape[1:]))
            rows = max(1, BLOCK_VALUES // row)
            step = self.step.reshape(1, -1, *([1] * (len(a.shape) - 2)))
            for lo in range(0, a.shape[0], rows):
                block = np.asarray(a[lo : lo + rows], dtype=np.float64)
                self.values[name].add(block)
                if len(self.step):
                    self.rates[name].add(np.diff(block, axis=1) / step)

    def merge(self, other: "StreamingStatistics") -> None:
        """Pool the batches another accumulator of the same fields has seen."""
        for name in self.fields:
            self.values[name].merge(other.values[name])
            self.rates[name].merge(other.rates[name])

    def result(self) -> Statistics:
        """Field -> ``{"mean", "std", "dt_mean", "dt_std"}`` (plain floats)."""
        out = {}
        for name in self.fields:
            mean, std = self.values[name].value()
            dt_mean, dt_std = self.rates[name].value()
            out[name] = {"mean": mean, "std": std, "dt_mean": dt_mean, "dt_std": dt_std}
        return out


def statistics_attrs(stats: Statistics) -> dict[str, dict[str, float]]:
    """Field -> its attributes ``{"stats_mean": ..., ...}`` as stored on the variable."""
    return {name: {ATTR_PREFIX + key: float(values[key]) for key in STAT_KEYS} for name, values in stats.items()}


def read_statistics(ds: Any) -> Statistics:
    """The stored statistics of every field that has them, from an ``xarray.Dataset``, an open h5py or
    h5netcdf file, or a path; a variable without all four attributes is left out."""
    if isinstance(ds, (str, os.PathLike)):
        with h5py.File(ds, "r") as f:
            return read_statistics(f)
    variables = getattr(ds, "data_vars", None)
    if variables is None:
        variables = getattr(ds, "variables", ds)  # h5netcdf's variables; an h5py file is a mapping itself
    out = {}
    for name in variables:
        attrs = variables[name].attrs
        if all(ATTR_PREFIX + key in attrs for key in STAT_KEYS):
            out[str(name)] = {key: float(np.asarray(attrs[ATTR_PREFIX + key])) for key in STAT_KEYS}
    return out


def compute_statistics(f: h5py.File, fields: Sequence[str], rows: int | None = None) -> StreamingStatistics:
    """Stream through the first ``rows`` samples (default: all) of the ``fields`` of an open file."""
    acc = StreamingStatistics(fields, f["time"][:])
    if not fields:
        return acc
    n = f[fields[0]].shape[0] if rows is None else rows
    row = math.prod(f[fields[0]].shape[1:])
    per_read = max(1, BLOCK_VALUES // max(1, row))
    for lo in range(0, n, per_read):
        hi = min(n, lo + per_read)
        acc.update({name: f[name][lo:hi] for name in fields})
    return acc


def combine_statistics(parts: Sequence[tuple[Statistics, int]]) -> Statistics:
    """Pool the statistics of files on the same grid and times, each given with its number of samples."""
    if not parts:
        raise ValueError("no statistics to combine")
    fields = list(parts[0][0])
    out = {}
    for name in fields:
        values, rates = Moments(), Moments()
        for stats, samples in parts:
            if name not in stats:
                raise ValueError(f"cannot combine statistics: field {name!r} is missing from one of the files")
            s = stats[name]
            values.merge(Moments(samples, s["mean"], s["std"] ** 2 * samples))
            if samples and math.isfinite(s["dt_mean"]):
                rates.merge(Moments(samples, s["dt_mean"], s["dt_std"] ** 2 * samples))
        mean, std = values.value()
        dt_mean, dt_std = rates.value()
        out[name] = {"mean": mean, "std": std, "dt_mean": dt_mean, "dt_std": dt_std}
    return out
