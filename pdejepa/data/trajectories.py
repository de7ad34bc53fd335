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

    Each item is a dict: ``u`` ``(time, x)`` float32, ``t0``, ``dt``, ``L`` (floats), ``id`` (the
    global sample index) and ``labels``, a float32 tensor of the per-sample variables named
    in ``labels`` (e.g. ``("nu",)``). File handles are opened lazily in each worker process.
    """

    def __init__(self, paths: str | os.PathLike | list, labels: tuple[str, ...] = (), field: str = "u") -> None:
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
        if not self.paths:
            raise ValueError("no dataset files given")
        self.field, self.labels = field, tuple(labels)
        self._files: dict[tuple[int, int], h5py.File] = {}
        rows, self.time, self.meta = [], None, []
        for k, path in enumerate(self.paths):
            if not path.exists():
                raise FileNotFoundError(f"{path} does not exist (a run still in progress leaves only {path.name}.partial)")
            with h5py.File(path, "r") as f:
                if field not in f:
                    raise ValueError(f"{path} has no field {field!r}; it has {sorted(f.keys())}")
                missing = [v for v in (*labels, "L") if v not in f]
                if missing:
                    raise ValueError(f"{path} lacks per-sample variable(s) {missing}; it has {sorted(f.keys())}")
                time = f["time"][:]
                if len(time) > 1 and not np.allclose(np.diff(time), time[1] - time[0], rtol=1e-9, atol=0):
                    raise ValueError(f"{path}: stored times are not uniform")
                self.meta.append((float(time[0]), float(time[1] - time[0]) if len(time) > 1 else 0.0))
                rows.append(np.stack([np.full(f[field].shape[0], k), np.arange(f[field].shape[0]), f["sample"][:]], 1))
        self.index = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)

    def __len__(self) -> int:
        return len(self.index)

    def _file(self, k: int) -> h5py.File:
        key = (os.getpid(), k)
        if key not in self._files:
            self._files[key] = h5py.File(self.paths[k], "r")
        return self._files[key]

    def __getitem__(self, i: int) -> dict:
        k, row, sample_id = (int(v) for v in self.index[i])
        f = self._file(k)
        t0, dt = self.meta[k]
        return {
            "u": torch.from_numpy(np.asarray(f[self.field][row], dtype=np.float32)),
            "t0": t0,
            "dt": dt,
            "L": float(f["L"][row]),
            "id": sample_id,
            "labels": torch.tensor([float(f[name][row]) for name in self.labels], dtype=torch.float32),
        }

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
