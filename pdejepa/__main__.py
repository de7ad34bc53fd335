"""``python -m pdejepa``: the command line, as torchrun launches it (``torchrun ... -m pdejepa -- generate ...``)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
