"""The on-disk cache of derived algebras: JSON entries read as untrusted data and written whole."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

MAX_ENTRY_BYTES = 1 << 20  # far above any derived algebra; a bigger file is not read


def cache_dir() -> Path:
    """``$PDEJEPA_CACHE_DIR/symmetries`` or ``~/.cache/pdejepa/symmetries``."""
    root = os.environ.get("PDEJEPA_CACHE_DIR") or Path.home() / ".cache" / "pdejepa"
    return Path(root) / "symmetries"


def read_entry(path: Path) -> Any | None:
    """The JSON at ``path``, or None if missing, damaged or oversized (the caller validates the layout)."""
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        return json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):  # ValueError covers bad JSON and bad UTF-8
        return None


def write_entry(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file: never half-written under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        json.dump(data, f, indent=1)
    os.replace(f.name, path)
