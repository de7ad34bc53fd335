"""The ``pdejepa`` command line: one entry point, a subcommand per job (one module each)."""
from __future__ import annotations

import argparse
import sys

from .demo import add_demo
from .generate import add_generate
from .learn import add_learning
from .plot import add_plot
from .symmetries import add_symmetries


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pdejepa", description="Self-supervised learning for PDE dynamics.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_demo, add_generate, add_plot, add_symmetries, add_learning):
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from solvers.generate import SimulationError

    try:
        return args.run(args)
    except (ValueError, FileExistsError, FileNotFoundError, SimulationError) as err:
        print(f"pdejepa {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        print(f"\n{err}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
