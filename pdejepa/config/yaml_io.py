"""Reading YAML text: config files and the values of ``section.field=value`` overrides, errors naming the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: str | Path) -> Any:
    """A YAML file's content; a missing file or bad YAML is a ValueError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file {path} does not exist")
    try:
        return yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid YAML: {' '.join(str(err).split())}") from None


def parse_value(text: str, key: str) -> Any:
    """An override's value read as YAML (``5``, ``[1, 2]``, ``{nx: 64}``)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ValueError(f"override {key}={text!r} is not a YAML value: {' '.join(str(err).split())}") from None
