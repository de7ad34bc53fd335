"""The experiment config: its typed sections, merging YAML and ``a.b=value`` overrides, load and save.

One nested mapping drives every job (sections ``data``, ``pretrain``, ``regress``, ``probe``, ``timestep``).
Each section is a frozen dataclass whose annotations are the schema (:mod:`.sections`); the pretraining section
also holds one section per registered method (``pretrain.jepa``, ``pretrain.dynamics``, ...), assembled from
:data:`pdejepa.methods.METHODS` when a config is built. :func:`load_config` merges defaults < YAML < overrides
(:mod:`.overrides`), then checks every field's type and range once, so a bad value is named where it is read
(``pretrain.epochs must be an int >= 1, got -1``) and never reaches a trainer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..outputs import write_atomic
from .overrides import merge, override_mapping
from .schema import as_plain, build
from .sections import DataConfig, DataFiles, PretrainConfig, ProbeConfig, RegressConfig, TimestepConfig
from .yaml_io import read_yaml

OPEN = ("strengths", "params", "simulation")  # fields whose keys depend on the dataset: checked by the dataset's recipe


@dataclass(frozen=True)
class Config:
    """The whole experiment; ``pretrain`` is an instance of :func:`pretrain_section`'s class."""

    data: DataConfig = field(default_factory=DataConfig)
    pretrain: PretrainConfig = field(default_factory=lambda: pretrain_section()())
    regress: RegressConfig = field(default_factory=RegressConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    timestep: TimestepConfig = field(default_factory=TimestepConfig)


_ASSEMBLED: dict[tuple, type] = {}
ASSEMBLED_PREFIX = "PretrainConfig_with_"


def pretrain_section() -> type:
    """:class:`~.sections.PretrainConfig` with a field per registered method that has a config section
    (``pretrain.<name>``), for the methods registered now. Its name lists them
    (``PretrainConfig_with_jepa_dynamics_world``), and the module resolves that name (:func:`__getattr__`), so a
    config pickles and unpickles in another process."""
    from ..methods import METHODS

    sections = tuple((name, method.Section) for name, method in METHODS.items() if method.Section is not None)
    if sections not in _ASSEMBLED:
        fields = [(name, section, field(default_factory=section)) for name, section in sections]
        name = ASSEMBLED_PREFIX + "_".join(name for name, _ in sections)
        _ASSEMBLED[sections] = dataclasses.make_dataclass(
            name, fields, bases=(PretrainConfig,), frozen=True, namespace={"__module__": __name__}
        )
    return _ASSEMBLED[sections]


def __getattr__(name: str) -> type:
    """The assembled pretraining section of that name (how pickle finds it)."""
    if name.startswith(ASSEMBLED_PREFIX) and pretrain_section().__name__ == name:
        return pretrain_section()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def defaults() -> dict[str, Any]:
    """Every field's default as plain data (with the sections of the methods registered now)."""
    return as_plain(Config())


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Defaults < YAML < ``a.b=value`` overrides (values parsed as YAML), checked against the schema."""
    return resolve(read_yaml(path) if path else {}, overrides)


def resolve(config: Config | dict | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """A checked :class:`Config` from a config or a (partial) mapping of fields, with ``a.b=value`` overrides."""
    cfg = merge(defaults(), as_plain(config) if isinstance(config, Config) else (config or {}), OPEN)
    for item in overrides:
        cfg = merge(cfg, override_mapping(item), OPEN, extend_open=True)
    return build(Config, cfg, sections={"pretrain": pretrain_section()})


def save_config(cfg: Config, out: Path, name: str = "config.yaml") -> Path:
    """Write ``cfg`` as ``out/name`` (each job its own file: a regression never rewrites a pretraining's)."""
    return write_atomic(out / name, yaml.safe_dump(as_plain(cfg), sort_keys=False))


__all__ = [
    "Config",
    "DataConfig",
    "DataFiles",
    "OPEN",
    "PretrainConfig",
    "ProbeConfig",
    "RegressConfig",
    "TimestepConfig",
    "as_plain",
    "defaults",
    "load_config",
    "pretrain_section",
    "resolve",
    "save_config",
]
