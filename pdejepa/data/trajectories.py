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

    Each item is a dict: ``u`` float32, ``t0``, ``dt``, ``L`` (floats), ``id`` (the global sample
    index) and ``labels``, a float32 tensor of the per-sample variables named in ``labels``
    (e.g. ``("nu",)``). With one field (1D files: ``("u",)``) ``u`` is ``(time, x)``; with several
    (2D flows: ``("smoke", "vx", "vy")``) it is ``(time, field, y, x)``. ``L`` is the per-sample
    domain length where the file has one (1D), else NaN. File handles are opened lazily in each
    worker process.
    """

    def __init__(self, paths: str | os.PathLike | list, labels: tuple[str, ...] = (), fields: tuple[str, ...] = ("u",)) -> None:
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
                raise FileNotFoundError(f"{path} does not exist (a run still in progress leaves only {path.name}.partial)")
            with h5py.File(path, "r") as f:
                absent = [name for name in self.fields if name not in f]
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
                scalars.append(np.stack([length, *(f[name][:] for name in labels)], 1))  # 1-D: small, read once
        self.index = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
        self.scalars = np.concatenate(scalars).astype(np.float64) if scalars else np.zeros((0, 1 + len(labels)))

    def __len__(self) -> int:
        return len(self.index)

    def _file(self, k: int) -> h5py.File:
        key = (os.getpid(), k)
        if key not in self._files:
            self._files[key] = h5py.File(self.paths[k], "r")
        return self._files[key]

    def __getitem__(self, i: int) -> dict:
        k, row, sample_id = (int(v) for v in self.index[i])
        t0, dt = self.meta[k]
        return {
            "u": self._fields(self._file(k), row),
            "t0": t0,
            "dt": dt,
            "L": float(self.scalars[i, 0]),
            "id": sample_id,
            "labels": torch.from_numpy(self.scalars[i, 1:].astype(np.float32)),
        }

    def _fields(self, f: h5py.File, row: int) -> torch.Tensor:
        if len(self.fields) == 1:
            return torch.from_numpy(np.asarray(f[self.fields[0]][row], dtype=np.float32))
        return torch.from_numpy(np.stack([np.asarray(f[name][row], dtype=np.float32) for name in self.fields], axis=1))

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


def collate(items: list[dict]) -> dict:
    """Stack items into a batch: ``u`` ``(batch, time, x)``, scalars ``(batch,)``, labels ``(batch, n)``."""
    return {
        "u": torch.stack([it["u"] for it in items]),
        "t0": torch.tensor([it["t0"] for it in items], dtype=torch.float64),
        "dt": torch.tensor([it["dt"] for it in items], dtype=torch.float64),
        "L": torch.tensor([it["L"] for it in items], dtype=torch.float64),
        "id": torch.tensor([it["id"] for it in items], dtype=torch.int64),
        "labels": torch.stack([it["labels"] for it in items]),
    }
