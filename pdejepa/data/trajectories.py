"""Lazy access to 1D trajectory files written by :mod:`solvers` (never a whole-file load)."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset


class TrajectoryDataset(Dataset):
    """Trajectories of one or more HDF5 files (e.g. shards), one sample read per item.

    Each item is a dict: ``u`` float32 ``(time, field, *space)`` (the fields named in ``fields``, in that order:
    ``(time, 1, x)`` for a 1D file's ``u``, ``(time, 3, y, x)`` for a 2D flow's smoke, vx and vy), ``t0``,
    ``dt``, ``L`` (floats), ``id`` (the global sample index) and ``labels``, a float32 tensor of the
    per-sample variables named in ``labels`` (e.g. ``("nu",)``). ``L`` is the per-sample
    domain length where the file has one (1D), else NaN. File handles are opened lazily in each
    worker process.

    Only complete files (attribute ``complete`` = 1) with finite labels are opened, and an item whose
    fields hold NaN or Inf is refused when read: the error names the file, the variable and the sample.
    """

    def __init__(
        self, paths: str | os.PathLike | list, labels: tuple[str, ...] = (), fields: tuple[str, ...] = ("u",)
    ) -> None:
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
        if not self.paths:
            raise ValueError("no dataset files given")
        if not fields:
            raise ValueError("need at least one field to read")
        self.fields, self.labels = tuple(fields), tuple(labels)
        self._files: dict[tuple[int, int], h5py.File] = {}
        rows, self.time, self.meta, scalars = [], None, [], []
        for k, path in enumerate(self.paths):
            if not path.exists():
                raise FileNotFoundError(
                    f"{path} does not exist (a run still in progress leaves only {path.name}.partial)"
                )
            with open_h5(path) as f:
                if int(f.attrs.get("complete", 0)) != 1:
                    raise ValueError(
                        f"{path} is not a complete dataset (attribute complete != 1): an interrupted or foreign "
                        "file; finish it with 'pdejepa generate ... --resume' or regenerate it"
                    )
                absent = [name for name in (*self.fields, "time", "sample") if name not in f]
                if absent:
                    raise ValueError(f"{path} has no field(s) {absent}; it has {sorted(f.keys())}")
                field = f[self.fields[0]]
                missing = [v for v in labels if v not in f]
                if missing:
                    raise ValueError(f"{path} lacks per-sample variable(s) {missing}; it has {sorted(f.keys())}")
                time = f["time"][:]
                if len(time) > 1 and not np.allclose(np.diff(time), time[1] - time[0], rtol=1e-9, atol=0):
                    raise ValueError(f"{path}: stored times are not uniform")
                self.meta.append((float(time[0]), float(time[1] - time[0]) if len(time) > 1 else 0.0))
                n = field.shape[0]
                rows.append(np.stack([np.full(n, k), np.arange(n), f["sample"][:]], 1))
                length = f["L"][:] if "L" in f else np.full(n, np.nan)
                values = np.stack([length, *(f[name][:] for name in labels)], 1)  # 1-D: small, read once
                for j, name in enumerate(labels, 1):
                    bad = np.flatnonzero(~np.isfinite(values[:, j]))
                    if len(bad):
                        raise ValueError(
                            f"{path}: variable {name!r} is not finite ({values[bad[0], j]}) at sample "
                            f"{int(f['sample'][bad[0]])} (position {bad[0]}) and {len(bad) - 1} more"
                        )
                scalars.append(values)
        self.index = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
        self.scalars = np.concatenate(scalars).astype(np.float64) if scalars else np.zeros((0, 1 + len(labels)))

    def __len__(self) -> int:
        return len(self.index)

    @property
    def ids(self) -> list[int]:
        """Each item's ``"id"`` (its file's ``sample`` value), by position."""
        return [int(v) for v in self.index[:, 2]]

    def _file(self, k: int) -> h5py.File:
        key = (os.getpid(), k)
        if key not in self._files:
            self._files[key] = open_h5(self.paths[k])
        return self._files[key]

    def __getitem__(self, i: int) -> dict:
        k, row, sample_id = (int(v) for v in self.index[i])
        t0, dt = self.meta[k]
        return {
            "u": self._fields(k, row, sample_id),
            "t0": t0,
            "dt": dt,
            "L": float(self.scalars[i, 0]),
            "id": sample_id,
            "labels": torch.from_numpy(self.scalars[i, 1:].astype(np.float32)),
        }

    def _fields(self, k: int, row: int, sample_id: int) -> torch.Tensor:
        f = self._file(k)
        arrays = [np.asarray(f[name][row], dtype=np.float32) for name in self.fields]
        for name, a in zip(self.fields, arrays):
            if not np.isfinite(a).all():  # a NaN must stop training here, not poison the weights silently
                raise ValueError(
                    f"{self.paths[k]}: variable {name!r} holds NaN or Inf at sample {sample_id} (position {row})"
                )
        return torch.from_numpy(np.stack(arrays, axis=1))

    def label_values(self, name: str) -> np.ndarray:
        """The per-sample variable ``name`` of every item, in dataset order, without reading any field."""
        out = np.empty(len(self))
        for k, path in enumerate(self.paths):
            rows = self.index[:, 0] == k
            out[rows] = self._file(k)[name][:][self.index[rows, 1]]
        return out

    def __getstate__(self) -> dict:  # open handles do not cross process boundaries
        state = dict(self.__dict__)
        state["_files"] = {}
        return state


def open_h5(path: Path) -> h5py.File:
    """``path`` opened read-only; a truncated or foreign file is a ValueError naming it."""
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable HDF5 dataset: {' '.join(str(err).split())}") from None


def collate(items: list[dict]) -> dict:
    """Stack items into a batch: ``u`` ``(batch, time, field, *space)``, scalars ``(batch,)``, labels
    ``(batch, n)``."""
    return {
        "u": torch.stack([it["u"] for it in items]),
        "t0": torch.tensor([it["t0"] for it in items], dtype=torch.float64),
        "dt": torch.tensor([it["dt"] for it in items], dtype=torch.float64),
        "L": torch.tensor([it["L"] for it in items], dtype=torch.float64),
        "id": torch.tensor([it["id"] for it in items], dtype=torch.int64),
        "labels": torch.stack([it["labels"] for it in items]),
    }
