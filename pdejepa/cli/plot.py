"""``pdejepa plot``: pictures of stored trajectories."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_plot(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plot",
        help="save a PNG of stored trajectories "
        "(filmstrips of smoke and vorticity for 2D files, space-time images for 1D)",
    )
    p.add_argument("file", type=Path)
    p.add_argument("--sample", type=int, nargs="+", default=[0], help="sample positions in the file")
    p.add_argument("--out", type=Path, help="PNG path (default: FILE with .png)")
    p.add_argument("--frames", type=int, default=8, help="2D files: frames per filmstrip (default 8)")
    p.add_argument(
        "--shared-scale",
        action="store_true",
        help="one colour scale for every sample (default: each sample scaled to its own range)",
    )
    p.set_defaults(run=run_plot)


def run_plot(args: argparse.Namespace) -> int:
    from pdejepa.api import plot

    out = plot(args.file, args.sample, args.out, frames=args.frames, shared_scale=args.shared_scale)
    print(f"saved {out}")
    return 0
