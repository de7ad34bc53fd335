"""``pdejepa pretrain | regress | probe | timestep | quickstart``: the self-supervised jobs (argument parsing only)."""

from __future__ import annotations

import argparse
from pathlib import Path

TABLES = {"regress": "regression.md", "probe": "probe.md", "timestep": "timestep.md"}
JOBS = {
    "pretrain": "pretraining: VICReg on symmetry views of trajectories, I-JEPA / V-JEPA (pretrain.method=jepa), "
    "or prediction of the dynamics (pretrain.method=dynamics)",
    "regress": "regress a physical parameter: frozen SSL probe vs supervised vs random init",
    "probe": "classes of a procedural image/video set: frozen attentive and linear probes, JEPA vs random init",
    "timestep": "FNO time-steppers conditioned on the frozen representation: none vs SSL vs oracle",
}


def config_keys() -> str:
    """Every config field with its default, one ``section.field = value`` per line (for ``--help``)."""
    from pdejepa.config import DEFAULTS, OPEN

    def walk(node: dict, prefix: str) -> list[str]:
        lines = []
        for key, value in node.items():
            if isinstance(value, dict) and key not in OPEN:  # a section; open fields print as one mapping
                lines += walk(value, f"{prefix}{key}.")
            else:
                lines.append(f"  {prefix}{key} = {value}")
        return lines

    return "config fields (defaults; change with --set FIELD=VALUE or a --config YAML):\n" + "\n".join(
        walk(DEFAULTS, "")
    )


def add_learning(sub: argparse._SubParsersAction) -> None:
    epilog = config_keys()
    for name, text in JOBS.items():
        p = sub.add_parser(
            name, help=text, description=text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        p.add_argument("--config", type=Path, help="YAML (e.g. configs/burgers_vicreg.yaml); defaults otherwise")
        p.add_argument(
            "--out", type=Path, default=Path(f"results/{name}"), help="run folder (config, logs, checkpoints, tables)"
        )
        add_common(p)
        if name != "pretrain":
            p.add_argument("--ckpt", type=Path, help="pretraining checkpoint (required unless --print-config)")
        p.set_defaults(run=run_job)
    q = sub.add_parser(
        "quickstart",
        help="generate Burgers data, pretrain, regress viscosity, print the comparison",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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


def print_config(args: argparse.Namespace, overrides: list[str]) -> int:
    import yaml

    from pdejepa.api import configure
    from pdejepa.config import as_plain

    print(yaml.safe_dump(as_plain(configure(args.config, overrides)), sort_keys=False), end="")
    return 0


def run_job(args: argparse.Namespace) -> int:
    import pdejepa.api as api
    from pdejepa.distributed import first_process
    from pdejepa.report import gap_closed

    if args.print_config:
        return print_config(args, args.overrides)
    if args.command == "pretrain":
        ckpt = api.pretrain(args.config, args.out, overrides=args.overrides, progress=not args.no_progress)
        if first_process():  # the other processes of a DDP run rerun this command: one line, from the first
            print(f"checkpoint: {ckpt}")
        return 0
    if args.ckpt is None:
        raise ValueError(f"{args.command} needs --ckpt, the pretraining checkpoint whose encoder it evaluates")
    job = {"regress": api.regress, "probe": api.probe, "timestep": api.timestep}[args.command]
    rows = job(args.config, args.ckpt, args.out, overrides=args.overrides, progress=not args.no_progress)
    print((args.out / TABLES[args.command]).read_text(), end="")
    if args.command == "regress":
        print(f"plot: {args.out / 'regression.png'}")
    if args.command == "timestep":
        gap = gap_closed(rows)
        if gap is not None:
            print(
                f"SSL conditioning cuts the mean rollout relative L2 by {100 * gap[0]:.1f}% and closes "
                f"{100 * gap[1]:.0f}% of the gap to the oracle"
            )
        print("plots: " + ", ".join(str(p) for p in sorted(args.out.glob("*.png"))))
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    from pdejepa.api import quickstart

    if args.print_config:
        return print_config(args, [f"data.dir={args.out / 'data'}", *args.overrides])
    print(quickstart(args.out, overrides=args.overrides, progress=not args.no_progress))
    return 0
