"""Typed construction of frozen dataclasses from plain mappings (YAML): every field checked once.

The annotations are the schema (``int``, ``float``, ``bool``, ``str``, ``dict``, ``tuple[...]``, unions with
``None``, nested dataclasses). What types cannot say (choices, list members, bounds, list-wide checks) each
section says itself, in a classmethod ``rules() -> Rules`` keyed by its own field names: the choices come from
their owners' registries, read when a config is built. Errors are one ValueError naming the field's dotted
path, its value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from ..checks import check_count

FLOAT_TEXT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+")  # PyYAML reads 2e-3 as text: accept that form


@dataclass(frozen=True)
class Rules:
    """Per field of one section: ``choices`` of a string, ``members`` allowed in a list of strings, ``lower``
    and ``upper`` bound of an int (default 1 and none: a count), ``checks`` of a whole list or mapping (called
    with the value and the dotted path, returning the checked value)."""

    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lower: dict[str, int] = field(default_factory=dict)
    upper: dict[str, int] = field(default_factory=dict)
    checks: dict[str, Callable[[Any, str], Any]] = field(default_factory=dict)


def as_plain(value: Any) -> Any:
    """Dataclasses and tuples as the dicts and lists YAML writes."""
    if dataclasses.is_dataclass(value):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [as_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    return value


def rules_of(cls: type) -> Rules:
    """The rules a section declares (its ``rules()`` classmethod), or none."""
    return cls.rules() if hasattr(cls, "rules") else Rules()


def build(cls: type, values: dict, path: str = "", sections: dict[str, type] | None = None) -> Any:
    """``cls(**values)`` with every field checked (``path``: the dotted prefix of its fields). ``sections``:
    dotted path -> the dataclass to build there instead of the annotated one (a subclass assembled at run time,
    such as the pretraining section with its methods' sections)."""
    sections = sections or {}
    hints, rules = typing.get_type_hints(cls), rules_of(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        name = f"{path}{f.name}"
        hint = sections.get(name, hints[f.name])
        if dataclasses.is_dataclass(hint):
            if not isinstance(values[f.name], dict):
                raise ValueError(f"{name} must be a mapping of fields, got {values[f.name]!r}")
            kwargs[f.name] = build(hint, values[f.name], f"{name}.", sections)
        else:
            kwargs[f.name] = check_field(name, values[f.name], hint, rules, f.name)
    return cls(**kwargs)


def check_field(name: str, value: Any, hint: Any, rules: Rules, key: str) -> Any:
    """``value`` converted to ``hint`` (int, float, bool, str, dict, tuples, unions), else ValueError; ``key``: the
    field's name in its section (what ``rules`` are keyed by), ``name`` its dotted path (what errors show)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return check_field(name, value, option, rules, key)
            except ValueError as err:
                errors.append(str(err))
        raise ValueError(errors[0] if len(errors) == 1 else f"{name} must be one of {describe(hint)}, got {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list ({describe(hint)}), got {value!r}")
        fixed = len(args) != 2 or args[1] is not Ellipsis
        if fixed and len(value) != len(args):
            raise ValueError(f"{name} must be a list of {len(args)} values ({describe(hint)}), got {value!r}")
        if not value:
            raise ValueError(f"{name} must not be empty, got {value!r}")
        if key in rules.members:  # list-wide rules first, so the error shows the value as written
            check_members(name, value, rules.members[key])
        if key in rules.checks:
            rules.checks[key](value, name)
        item = Rules(lower=rules.lower, upper=rules.upper)  # an entry keeps its field's bounds
        return tuple(
            check_field(f"{name}[{i}]", v, args[i] if fixed else args[0], item, key) for i, v in enumerate(value)
        )
    if hint is dict:
        if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
            raise ValueError(f"{name} must be a mapping with text keys, got {value!r}")
        return rules.checks[key](value, name) if key in rules.checks else value
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value
    if hint is int:
        return check_count(name, value, low=rules.lower.get(key, 1), high=rules.upper.get(key))
    if hint is float:
        return check_float(name, value)
    if hint is str:
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty string, got {value!r}")
        if key in rules.choices and value not in rules.choices[key]:
            raise ValueError(f"{name} must be one of {list(rules.choices[key])}, got {value!r}")
        return value
    raise TypeError(f"schema of {name}: unsupported type {hint!r}")  # a bug in the schema, not in the input


def check_float(name: str, value: Any) -> float:
    """A finite number (YAML's ``2e-3``, read as text, included); learning rates and the like must be >= 0."""
    if isinstance(value, str) and FLOAT_TEXT.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_members(name: str, items: list | tuple, allowed: tuple[str, ...]) -> None:
    unknown = [v for v in items if not isinstance(v, str) or v not in allowed]
    if unknown or len(set(items)) != len(items):
        raise ValueError(f"{name} must be a non-empty list of distinct entries of {list(allowed)}, got {list(items)!r}")


def describe(hint: Any) -> str:
    """A type as a user reads it: ``int``, ``list of int``, ``int or none``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join("none" if a is type(None) else describe(a) for a in args)
    if origin is tuple:
        return (
            f"list of {describe(args[0])}"
            if len(args) == 2 and args[1] is Ellipsis
            else "[" + ", ".join(describe(a) for a in args) + "]"
        )
    return getattr(hint, "__name__", str(hint))
