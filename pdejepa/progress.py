"""Progress bars for long loops, on stderr so that stdout holds only results."""

from __future__ import annotations

import sys
from collections.abc import Iterable

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable, desc: str = "", enabled: bool = True, total: int | None = None) -> Iterable:
    """``iterable`` wrapped in a tqdm bar on stderr (left as is when not ``enabled``)."""
    return tqdm(iterable, total=total, desc=desc, disable=not enabled, file=sys.stderr, leave=False)
