"""``pdejepa pretrain | regress | probe | timestep | quickstart``: the self-supervised jobs (argument parsing only)."""

from __future__ import annotations

import argparse
from pathlib import Path

JOBS = {
    "pretrain": "pretrain an encoder without labels by pretrain.method (the methods are listed below)",
    "regress": "regress a physical parameter: frozen SSL probe vs supervised vs random init",
    "probe": "classes of a procedural image/video set: frozen attentive and linear probes, JEPA vs random init",
    "timestep": "FNO time-steppers conditioned on the frozen representation: none vs SSL vs oracle",
}


def methods_help() -> str:
    """One line per registered pretraining method (for ``pretrain --help``)."""
    from pdejepa.methods import METHODS

    lines = [f"  {name:10s} {method.summary}" for name, method in METHODS.items()]
    return "pretraining methods (pretrain.method):\n" + "\n".join(lines)


def config_keys() -> str:
    """Every config field with its default, one ``section.field = value`` per line (for ``--help``)."""
    from pdejepa.config import OPEN, defaults

    def walk(node: dict, prefix: str) -> list[str]:
        lines = []
        for key, value in node.items():
            if isinstance(value, dict) and key not in OPEN:  # a section; open fields print as one mapping
                lines += walk(value, f"{prefix}{key}.")
            else:
                lines.append(f"  {prefix}{key} = {value}")
        return lines

    return "config fields (defaults; change with --set FIELD=VALUE or a --config YAML):\n" + "\n".join(
        walk(defaults(), "")
    )


class HelpWithConfig(argparse.Action):
    """``-h/--help`` that lists the config fields (and for ``pretrain`` the methods) only when asked: reading them
    loads the methods, which the rest of the command line never needs to."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show this help and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace, values, option_string=None) -> None:
        methods = f"{methods_help()}\n\n" if parser.prog.endswith(" pretrain") else ""
        parser.epilog = methods + config_keys()
        parser.print_help()
        parser.exit()


def job_parser(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose help ends with the config fields (:class:`HelpWithConfig`)."""
    p = sub.add_parser(
        name, help=text, description=text, add_help=False, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("-h", "--help", action=HelpWithConfig)
    return p


def add_learning(sub: argparse._SubParsersAction) -> None:
    for name, text in JOBS.items():
        p = job_parser(sub, name, text)
        p.add_argument("--config", type=Path, help="YAML (e.g. configs/burgers_vicreg.yaml); defaults otherwise")
        p.add_argument(
            "--out", type=Path, default=Path(f"results/{name}"), help="run folder (config, logs, checkpoints, tables)"
        )
        add_common(p)
        if name != "pretrain":
            p.add_argument("--ckpt", type=Path, help="pretraining checkpoint (required unless --print-config)")
        p.set_defaults(run=run_job)
    file_jobs = {
        "embed": "write the frozen representation of every sample of a trajectory file (netCDF, sample x feature)",
        "surprise": "write how badly a world model (or the dynamics objective) predicts every frame of a trajectory "
        "file: a physical-plausibility score (netCDF, sample x time)",
    }
    for name, text in file_jobs.items():
        e = job_parser(sub, name, text)
        e.add_argument("file", type=Path, help="a trajectory file of ours (pdejepa generate or import)")
        e.add_argument("--ckpt", type=Path, required=True, help="pretraining checkpoint (RUN/last.ckpt)")
        e.add_argument("--out", type=Path, required=True, help="netCDF file to write (.nc)")
        e.add_argument(
            "--config", type=Path, help="the pretraining's YAML (default: config.yaml beside the checkpoint)"
        )
        if name == "surprise":
            e.add_argument("--random-init", action="store_true", help="score with the untrained model (a baseline)")
        add_common(e)
        e.set_defaults(run=run_file_job)
    q = job_parser(sub, "quickstart", "generate Burgers data, pretrain, regress viscosity, print the comparison")
    q.add_argument("--out", type=Path, default=Path("results/quickstart"))
    add_common(q)
    q.set_defaults(run=run_quickstart, config=None)


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="override fields, e.g. pretrain.epochs=5 (values are YAML)",
    )
    p.add_argument("--print-config", action="store_true", help="print the resolved config as YAML and stop")
    p.add_argument("--no-progress", action="store_true", help="no progress bars or per-step lines (logs stay quiet)")


def print_config(config: Path | dict | None, overrides: list[str]) -> int:
    import yaml

    from pdejepa.api import configure
    from pdejepa.config import as_plain

    print(yaml.safe_dump(as_plain(configure(config, overrides)), sort_keys=False), end="")
    return 0


def run_job(args: argparse.Namespace) -> int:
    import pdejepa.api as api
    from pdejepa.distributed import first_process

    if args.print_config:
        return print_config(args.config, args.overrides)
    if args.command == "pretrain":
        ckpt = api.pretrain(args.config, args.out, overrides=args.overrides, progress=not args.no_progress)
        if first_process():  # the other processes of a DDP run rerun this command: one line, from the first
            print(f"checkpoint: {ckpt}")
        return 0
    if args.ckpt is None:
        raise ValueError(f"{args.command} needs --ckpt, the pretraining checkpoint whose encoder it evaluates")
    api.run_job(args.command, args.config, args.ckpt, args.out, args.overrides, progress=not args.no_progress)
    print(api.summary(args.command, args.out), end="")
    return 0


def run_file_job(args: argparse.Namespace) -> int:
    """``embed`` or ``surprise``: a checkpoint's model over every sample of a file."""
    import pdejepa.api as api

    if args.print_config:
        run_config = args.ckpt.parent / "config.yaml"
        return print_config(args.config or (run_config if run_config.is_file() else None), args.overrides)
    options = {"config": args.config, "overrides": args.overrides, "progress": not args.no_progress}
    if args.command == "surprise":
        options["random_init"] = args.random_init
    out = getattr(api, args.command)(args.ckpt, args.file, args.out, **options)
    print(f"wrote {out}")
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    from pdejepa.api import QUICKSTART, quickstart

    if args.print_config:
        return print_config(QUICKSTART, [f"data.dir={args.out / 'data'}", *args.overrides])
    print(quickstart(args.out, overrides=args.overrides, progress=not args.no_progress))
    return 0
