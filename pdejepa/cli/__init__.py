"""The ``pdejepa`` command line: one entry point, a subcommand per job (one module each)."""

from __future__ import annotations

import argparse
import sys

from solvers.threads import configure_threads

from .. import __version__
from .example_data import add_example_data
from .exchange import add_exchange
from .generate import add_generate
from .learn import add_learning
from .plot import add_plot
from .symmetries import add_symmetries


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pdejepa", description="Self-supervised learning for PDE dynamics.")
    parser.add_argument("--version", action="version", version=f"pdejepa {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_example_data, add_generate, add_exchange, add_plot, add_symmetries, add_learning):
        add(sub)
    return parser


def expected_errors() -> tuple[type[BaseException], ...]:
    """Failures that bad input causes (files, values, checkpoints): one line and exit 2, not a traceback."""
    import pickle

    import yaml
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    from solvers.errors import SimulationError

    return (
        ValueError,
        OSError,
        SimulationError,
        yaml.YAMLError,
        pickle.UnpicklingError,
        EOFError,
        OverflowError,
        MisconfigurationException,
    )


def one_line(err: BaseException) -> str:
    """The message of ``err`` on one line; an error re-raised from a DataLoader worker keeps only its own message."""
    text = str(err) or type(err).__name__
    if "Original Traceback" in text:  # torch wraps a worker's exception with the worker's traceback
        text = [line for line in text.splitlines() if line.strip()][-1].split(": ", 1)[-1]
    return " ".join(text.split())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_threads()  # torch threads = usable cores (affinity, cgroup quota) unless OMP_NUM_THREADS is set
    try:
        return args.run(args)
    except expected_errors() as err:
        if args.debug:
            raise
        print(f"pdejepa {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        print(f"\n{err}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
