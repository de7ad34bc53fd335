"""Neutral plotting helpers: matplotlib on the file-only Agg backend, atomic picture files, and axis labels
from CF attributes.

matplotlib is imported on the first call, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

MAX_UNIT_LENGTH = 20  # a longer "units" attribute is a description, not a unit to compute with


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


def attribute_text(value: Any) -> str:
    """An attribute as text, whether HDF5 hands it over as ``str``, ``bytes`` or a NumPy scalar."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip()
    return "" if value is None else str(value).strip()


def units_text(attrs: Mapping[str, Any]) -> str:
    """The ``units`` attribute, or ``""`` where it is absent or the dimensionless ``"1"``."""
    units = attribute_text(attrs.get("units"))
    return "" if units == "1" else units


def variable_label(name: str, attrs: Mapping[str, Any]) -> str:
    """``long_name [units]`` from a variable's CF attributes, falling back to ``name`` and to no units."""
    label = attribute_text(attrs.get("long_name")) or name
    units = units_text(attrs)
    return f"{label} [{units}]" if units else label


def parameter_text(name: str, value: float, attrs: Mapping[str, Any]) -> str:
    """``nu = 0.123 m2 s-1``: a per-sample parameter's value with its units (none where absent)."""
    units = units_text(attrs)
    return f"{name} = {value:.3g}" + (f" {units}" if units else "")


def is_unit(units: str) -> bool:
    """Whether ``units`` reads as a unit (``"s"``, ``"m s-1"``, ``"time units"``) rather than a sentence about one."""
    return 0 < len(units) <= MAX_UNIT_LENGTH and "(" not in units


def per_unit(units: str) -> str:
    """The units of a rate per ``units``: ``"s"`` -> ``"s-1"``, ``"time units"`` -> ``"1/(time units)"``; ``""``
    where ``units`` is no unit (:func:`is_unit`)."""
    if not is_unit(units):
        return ""
    return f"{units}-1" if units.isalpha() else f"1/({units})"


def wrapped(label: str, width: int = 28) -> str:
    """``label`` broken into lines of at most ``width`` characters (its own line breaks kept), so a long name
    fits beside a small panel."""
    return "\n".join(textwrap.fill(line, width, break_long_words=False) for line in label.splitlines())


def cell_extent(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float, float]:
    """``imshow`` extent whose pixels are centred on the uniform coordinates ``x`` (columns), ``y`` (rows)."""

    def edges(c: Sequence[float]) -> tuple[float, float]:
        half = (float(c[1]) - float(c[0])) / 2 if len(c) > 1 else 0.5
        return float(c[0]) - half, float(c[-1]) + half

    return (*edges(x), *edges(y))
