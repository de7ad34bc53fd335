"""Pretraining methods, one module each, and the one registry that the config, the CLI's help, the dispatch and
the checks read. A new method is a module with a :class:`~.base.PretrainingModule` subclass and one line here."""

from __future__ import annotations

from .base import DATA_KINDS, ENCODERS, PretrainingModule, ResNetPretraining
from .dynamics import DynamicsPretraining
from .jepa import JEPAPretraining
from .vicreg import VICRegPretraining
from .world import WorldModelPretraining

METHODS: dict[str, type[PretrainingModule]] = {
    method.name: method for method in (VICRegPretraining, JEPAPretraining, DynamicsPretraining, WorldModelPretraining)
}


def method_of(name: str) -> type[PretrainingModule]:
    """The registered method ``name`` (``pretrain.method``)."""
    if name not in METHODS:
        raise ValueError(f"pretrain.method must be one of {sorted(METHODS)}, got {name!r}")
    return METHODS[name]


__all__ = [
    "DATA_KINDS",
    "ENCODERS",
    "METHODS",
    "DynamicsPretraining",
    "JEPAPretraining",
    "PretrainingModule",
    "ResNetPretraining",
    "VICRegPretraining",
    "WorldModelPretraining",
    "method_of",
]
