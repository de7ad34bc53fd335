"""``pdejepa symmetries``: derive Lie point symmetries and look at them acting on data."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def add_symmetries(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("symmetries", help="derive Lie point symmetries of a PDE, or show them acting on a trajectory")
    verbs = p.add_subparsers(dest="verb", required=True)
    d = verbs.add_parser("derive", help="derive the symmetry algebra of an evolution equation or a system of PDEs")
    d.add_argument(
        "equation",
        help="e.g. 'u_t = -u*u_x + nu*u_xx', a registered name (heat, burgers, kdv, ks), a system "
        "'eq1; eq2; ...' with --independent and --dependent, or a system's name: ns2d, ns2d-buoyancy",
    )
    d.add_argument("--independent", help="a system's independent variables, single letters, time first: t,x,y")
    d.add_argument("--dependent", help="a system's dependent variables: u,v,p,s (jets are written u_x, p_yy, ...)")
    d.add_argument("--json", action="store_true", help="print JSON: generators, groups, commutators, infinite families")
    d.add_argument("--no-cache", action="store_true", help="derive again instead of reading the on-disk cache")
    d.set_defaults(run=run_derive)
    s = verbs.add_parser(
        "show", help="save a PNG gallery: a simulated trajectory and its image under each symmetry group"
    )
    s.add_argument("equation", help="a registered name with a solver: burgers, kdv, ks, heat")
    s.add_argument("--out", type=Path, help="PNG path (default: results/symmetries/EQUATION.png)")
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(run=run_show)


def run_derive(args: argparse.Namespace) -> int:
    from symmetries.system_report import algebra_of, format_algebra

    start = time.perf_counter()
    data = algebra_of(args.equation, args.independent, args.dependent, use_cache=not args.no_cache)
    if args.json:
        print(json.dumps(data, indent=1))
    else:
        print(format_algebra(data))
        print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pdejepa.figures.symmetry_gallery import save_gallery

    out = save_gallery(args.equation, args.out or Path("results/symmetries") / f"{args.equation}.png", seed=args.seed)
    print(f"saved {out}")
    return 0
