"""Merging config mappings: defaults < YAML < ``section.field=value`` overrides, an unknown key named with the
keys allowed where it stands."""

from __future__ import annotations

import copy

from .yaml_io import parse_value


MOVED = {"pretrain.expander": "pretrain.vicreg.expander"}  # fields that moved to a method's own section


def merge(base: dict, update: dict, open_fields: tuple[str, ...], path: str = "", extend_open: bool = False) -> dict:
    """``base`` with ``update`` merged in; unknown keys are an error naming them.

    An open field (one of ``open_fields``, whose keys depend on the dataset) is replaced as a whole by a YAML
    file (Burgers' strengths must not leak into a KS experiment) but extended key by key with ``extend_open``
    (command-line overrides), where an empty mapping clears it (``--set pretrain.strengths={}``: no symmetries).
    """
    if not isinstance(update, dict):
        raise ValueError(f"config section {path.rstrip('.') or '(top)'} must be a mapping, got {update!r}")
    out = copy.deepcopy(base)
    for key, value in update.items():
        where = f"{path}{key}"
        if key not in out and not (extend_open and path.rstrip(".").split(".")[-1] in open_fields):
            moved = f" (it moved to {MOVED[where]})" if where in MOVED else ""
            raise ValueError(f"unknown config field {where!r}{moved}; allowed here: {sorted(out)}")
        extend = key not in open_fields or (extend_open and value != {})
        if isinstance(out.get(key), dict) and isinstance(value, dict) and extend:
            out[key] = merge(out[key], value, open_fields, where + ".", extend_open)
        else:
            out[key] = value
    return out


def override_mapping(item: str) -> dict:
    """``"a.b=value"`` as the nested mapping ``{"a": {"b": value}}``, the value parsed as YAML."""
    if "=" not in item:
        raise ValueError(f"override {item!r} must look like section.field=value")
    key, value = item.split("=", 1)
    nested: dict = {}
    node = nested
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parse_value(value, key)
    return nested
