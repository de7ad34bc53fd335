"""What a figure needs from a trajectory file besides the fields: coordinates and CF attributes."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from solvers.figures import attribute_text

from ..data.trajectories import open_h5

CF_KEYS = ("long_name", "units")


def read_attrs(path: Path, names: Iterable[str]) -> dict[str, dict[str, str]]:
    """``long_name`` and ``units`` of each variable of ``names`` in ``path`` (empty where absent)."""
    with open_h5(path) as f:
        return {
            name: {k: attribute_text(f[name].attrs[k]) for k in CF_KEYS if name in f and k in f[name].attrs}
            for name in names
        }


def read_coordinate(path: Path, name: str) -> list[float]:
    """The 1-D coordinate ``name`` (``x``, ``y``, ``time``) of ``path``."""
    with open_h5(path) as f:
        if name not in f:
            raise ValueError(f"{path} has no coordinate {name!r}; it has {sorted(f.keys())}")
        return [float(v) for v in f[name][:]]
