"""CF attributes (CF-1.10) of the dataset files: ``long_name``, UDUNITS ``units``, ``axis``, ``description``.

Every recipe is nondimensional: values, times and lengths are in the units the equation is written
in, so their UDUNITS unit is ``"1"`` (dimensionless) and the ``description`` says what one unit is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .equations.base import Parameter

DIMENSIONLESS = "1"
"""The UDUNITS unit of a dimensionless value."""

SAMPLE = {
    "long_name": "global trajectory index",
    "units": DIMENSIONLESS,
    "description": "trajectory i of a dataset is determined by (recipe, seed, i); shards share the numbering",
}
"""Attributes of the ``sample`` coordinate."""


def quantity(long_name: str, description: str, **extra: str) -> dict[str, str]:
    """Attributes of a nondimensional variable or coordinate (``axis="T"`` and the like go in ``extra``)."""
    return {"long_name": long_name, "units": DIMENSIONLESS, "description": description, **extra}


def time_coordinate(description: str) -> dict[str, str]:
    """Attributes of the ``time`` coordinate (axis ``T``), nondimensional as the equation is."""
    return quantity("time", f"nondimensional time of the equation; {description}", axis="T")


def parameter_attrs(parameters: Iterable[Parameter], ranges: Mapping[str, tuple[float, float]]) -> dict:
    """Attributes of the per-trajectory parameter variables: what each is and how it was drawn."""
    out = {}
    for par in parameters:
        low, high = ranges[par.symbol]
        law = "fixed" if low == high else f"drawn {'log-uniformly' if par.log else 'uniformly'} per trajectory"
        span = f"{low:g}" if low == high else f"[{low:g}, {high:g}]"
        out[par.symbol] = quantity(par.description or par.symbol, f"nondimensional {par.symbol}, {law}: {span}")
    return out
