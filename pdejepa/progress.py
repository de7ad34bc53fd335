"""Progress bars for long loops, on stderr so that stdout holds only results."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable | None, desc: str = "", enabled: bool = True, total: int | None = None) -> tqdm:
    """``iterable`` wrapped in a tqdm bar on stderr (left as is when not ``enabled``); with ``None``, a bar of
    ``total`` steps advanced by its ``update()``."""
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=False)
