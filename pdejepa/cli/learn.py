"""``pdejepa pretrain | regress | quickstart``: the self-supervised pipeline."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_learning(sub: argparse._SubParsersAction) -> None:
    for name, text in (("pretrain", "pretraining: VICReg on symmetry views of trajectories, or I-JEPA / V-JEPA (pretrain.method=jepa)"),
                       ("regress", "regress a physical parameter: frozen SSL probe vs supervised vs random init"),
                       ("probe", "classes of a procedural image/video set: frozen attentive and linear probes, JEPA vs random init")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", type=Path, help="YAML (e.g. configs/burgers_vicreg.yaml); defaults otherwise")
        p.add_argument("--out", type=Path, default=Path(f"results/{name}"), help="run folder (config, logs, checkpoints, tables)")
        p.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="override fields, e.g. pretrain.epochs=5")
        if name != "pretrain":
            p.add_argument("--ckpt", type=Path, required=True, help="pretraining checkpoint")
        p.set_defaults(run={"pretrain": run_pretrain, "regress": run_regress, "probe": run_probe}[name])
    t = sub.add_parser("timestep", help="FNO time-steppers conditioned on the frozen representation: none vs SSL vs oracle")
    t.add_argument("--config", type=Path, help="YAML (e.g. configs/burgers_timestep.yaml); defaults otherwise")
    t.add_argument("--ckpt", type=Path, required=True, help="pretraining checkpoint whose encoder gives the representation")
    t.add_argument("--out", type=Path, default=Path("results/timestep"))
    t.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE", help="override fields, e.g. timestep.steps=500")
    t.set_defaults(run=run_timestep)
    q = sub.add_parser("quickstart", help="generate Burgers data, pretrain, regress viscosity, print the comparison")
    q.add_argument("--out", type=Path, default=Path("results/quickstart"))
    q.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE")
    q.set_defaults(run=run_quickstart)


def require_checkpoint(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")


def run_pretrain(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import load_config, pretrain

    ckpt = pretrain(load_config(args.config, args.overrides), args.out)
    print(f"checkpoint: {ckpt}")
    return 0


def run_regress(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import load_config, plot, regress, table

    require_checkpoint(args.ckpt)
    cfg = load_config(args.config, args.overrides)
    rows = regress(cfg, args.ckpt, args.out)
    md = table(rows, cfg["data"]["label"])
    (args.out / "regression.md").write_text(md + "\n")
    print(md)
    print(f"plot: {plot(rows, args.out, cfg['data']['label'])}")
    return 0


def run_probe(args: argparse.Namespace) -> int:
    from pdejepa.jepa_pipeline import chance_level, probe_classes, probe_table
    from pdejepa.pipeline import load_config

    require_checkpoint(args.ckpt)
    cfg = load_config(args.config, args.overrides)
    md = probe_table(probe_classes(cfg, args.ckpt, args.out), chance_level(cfg))
    (args.out / "probe.md").write_text(md + "\n")
    print(md)
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import quickstart

    print(quickstart(args.out, args.overrides))
    return 0


def run_timestep(args: argparse.Namespace) -> int:
    from pdejepa.pipeline import load_config
    from pdejepa.timestepping import gap_closed, timestep, timestep_table

    require_checkpoint(args.ckpt)
    rows = timestep(load_config(args.config, args.overrides), args.ckpt, args.out)
    md = timestep_table(rows)
    (args.out / "timestep.md").write_text(md + "\n")
    cut, closed = gap_closed(rows)
    print(md)
    print(f"SSL conditioning cuts mean rollout NMSE by {100 * cut:.1f}% and closes {100 * closed:.0f}% of the gap to the oracle")
    print(f"plots: {args.out / 'rollout_nmse.png'}, {args.out / 'rollouts.png'}")
    return 0
