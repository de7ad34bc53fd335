"""Neutral plotting helpers: matplotlib on the file-only Agg backend, and atomic picture files.

matplotlib is imported on the first call, so importing this module costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any


def pyplot() -> ModuleType:
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: str | os.PathLike, dpi: int = 120) -> Path:
    """Write ``fig`` to ``out`` as PNG (or the format its suffix names), creating folders, and close it.

    The picture is written beside ``out`` and renamed into place, so ``out`` never holds half a picture.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        fig.savefig(partial, dpi=dpi, format=out.suffix[1:] or "png")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        fig.clf()
        pyplot().close(fig)
    return out
