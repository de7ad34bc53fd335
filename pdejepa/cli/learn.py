"""``pdejepa pretrain | regress | quickstart``: the self-supervised pipeline."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_learning(sub: argparse._SubParsersAction) -> None:
    for name, text in (("pretrain", "VICReg pretraining on symmetry views of simulated trajectories"),
                       ("regress", "regress a physical parameter: frozen SSL probe vs supervised vs random init")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", type=Path, help="YAML (e.g. configs/burgers_vicreg.yaml); defaults otherwise")
        p.add_argument("--out", type=Path, default=Path(f"results/{name}"), help="run folder (config, logs, checkpoints, tables)")
        p.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="override fields, e.g. pretrain.epochs=5")
        if name == "regress":
            p.add_argument("--ckpt", type=Path, required=True, help="pretraining checkpoint")
        p.set_defaults(run=run_pretrain if name == "pretrain" else run_regress)
    q = sub.add_parser("quickstart", help="generate Burgers data, pretrain, regress viscosity, print the comparison")
    q.add_argument("--out", type=Path, default=Path("results/quickstart"))
    q.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE")
    q.set_defaults(run=run_quickstart)


def run_pretrain(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import load_config, pretrain

    ckpt = pretrain(load_config(args.config, args.overrides), args.out)
    print(f"checkpoint: {ckpt}")
    return 0


def run_regress(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import load_config, plot, regress, table

    if not args.ckpt.exists():
        raise FileNotFoundError(f"checkpoint {args.ckpt} does not exist")
    cfg = load_config(args.config, args.overrides)
    rows = regress(cfg, args.ckpt, args.out)
    md = table(rows, cfg["data"]["label"])
    (args.out / "regression.md").write_text(md + "\n")
    print(md)
    print(f"plot: {plot(rows, args.out, cfg['data']['label'])}")
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import quickstart

    print(quickstart(args.out, args.overrides))
    return 0
