"""The on-disk cache of derived algebras: JSON entries read as untrusted data and written whole."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from collections.abc import Callable
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


def cached(
    key: str,
    derive: Callable[[], dict[str, Any]],
    is_valid: Callable[[Any], bool],
    use_cache: bool = True,
    prefix: str = "",
) -> dict[str, Any]:
    """The entry for ``key``: read if present and ``is_valid``, else derived and written (only if it reads back)."""
    path = cache_dir() / f"{prefix}{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"
    if use_cache:
        data = read_entry(path)
        if data is not None and is_valid(data):
            return data
    data = derive()
    if use_cache and is_valid(data):  # never cache what would not read back
        write_entry(path, data)
    return data
