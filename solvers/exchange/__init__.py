"""Exchange formats: our trajectory files to and from The Well and PDEArena, by explicit export and import.

:data:`EXPORTERS` and :data:`IMPORTERS` map a format's name (``the-well``, ``pdearena``) to its function;
:func:`export_dataset` and :func:`import_dataset` dispatch on it. Our own schema is never bent to theirs:
each format lives in its module (:mod:`.the_well` and :mod:`.the_well_import`, :mod:`.pdearena`), over the
shared pieces of :mod:`.common`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..splits import SPLITS
from .pdearena import export_pdearena, import_pdearena
from .the_well import export_the_well, write_statistics
from .the_well_import import import_the_well

EXPORTERS: dict[str, Callable[..., list[Path]]] = {"the-well": export_the_well, "pdearena": export_pdearena}
"""Format -> ``export(path, out_dir, split, overwrite)``, returning the files written."""
IMPORTERS: dict[str, Callable[..., Path]] = {"the-well": import_the_well, "pdearena": import_pdearena}
"""Format -> ``import(path, out, split, overwrite)``, returning our file."""


def _check_format(fmt: str, table: dict) -> None:
    if fmt not in table:
        raise ValueError(f"format {fmt!r} is not one of {sorted(table)}")


def export_dataset(
    path: str | os.PathLike, fmt: str, out_dir: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> list[Path]:
    """Write our trajectory file ``path`` into ``out_dir`` in the layout of ``fmt`` as ``split`` (default: the
    file's own ``split`` attribute, else train); returns the files written."""
    _check_format(fmt, EXPORTERS)
    return EXPORTERS[fmt](path, out_dir, split=split, overwrite=overwrite)


def import_dataset(
    path: str | os.PathLike, fmt: str, out: str | os.PathLike, split: str | None = None, overwrite: bool = False
) -> Path:
    """Convert a file (or folder of files) of ``fmt`` into our trajectory file ``out``, with provenance attributes."""
    _check_format(fmt, IMPORTERS)
    return IMPORTERS[fmt](path, out, split=split, overwrite=overwrite)


__all__ = ["EXPORTERS", "IMPORTERS", "SPLITS", "export_dataset", "import_dataset", "write_statistics"]
