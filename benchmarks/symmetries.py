"""Symmetry derivation time per equation and batched augmentation throughput.

Derivation: `symmetries.derive` + exponentiation + commutator table from the equation string,
no cache, one process, per equation; and for the systems (`ns2d`, `ns2d-buoyancy`), completion
with the integrability conditions, derivation and verification of generators and families.
Peer: none runs locally (the field uses hand-written tables or commercial CAS), so the figure is absolute.

Augmentation: `SymmetryAugmentation` with every group the equation offers, applied to a batch
of (time x space) windows; samples/s on this machine's device, per batch size, plus the
residual check that the augmented data still solves the equation.

    python benchmarks/symmetries.py [--device cpu|cuda] [--batch 64 256 1024] [--only derivation]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# this file shares its name with the package it measures: keep its folder off the import path
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
# the repository root: the packages and benchmarks.machine_info
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from benchmarks.machine_info import cpu_name  # noqa: E402

from symmetries.augment import SymmetryAugmentation, available_groups  # noqa: E402
from symmetries.registry import EQUATIONS, SYSTEMS  # noqa: E402
from symmetries.report import describe  # noqa: E402
from symmetries.system_report import describe_system  # noqa: E402
from symmetries.systems import PDESystem  # noqa: E402
from symmetries.residual import pde_residual  # noqa: E402
from symmetries.jets import EvolutionEquation  # noqa: E402
from symmetries.transforms import GridTrajectories  # noqa: E402

STRENGTHS = {
    "space_shift": 3.0,
    "galilean_boost": 0.5,
    "scaling": 0.2,
    "amplitude_scaling": 0.3,
    "superposition": 0.3,
    "cole_hopf": 0.5,
}


def bench_derivation() -> None:
    print("## derivation (no cache): generators, exponentiation, commutators")
    print(f"{'equation':10s} {'seconds':>8s}  {'generators':>10s}  families")
    for name, text in EQUATIONS.items():
        start = time.perf_counter()
        data = describe(text)
        print(
            f"{name:10s} {time.perf_counter() - start:8.2f}  "
            f"{len(data['generators']):10d}  {len(data['infinite_families'])}"
        )
    print("\n## systems (no cache): integrability conditions, generators, families, all verified")
    print(f"{'system':14s} {'seconds':>8s}  {'generators':>10s}  families  conditions")
    for name, (text, independent, dependent) in SYSTEMS.items():
        start = time.perf_counter()
        data = describe_system(PDESystem.parse(text, independent, dependent))
        print(
            f"{name:14s} {time.perf_counter() - start:8.2f}  {len(data['generators']):10d}  "
            f"{len(data['infinite_families']):8d}  {len(data['integrability_conditions'])}"
        )


def bench_augmentation(device: str, batches: list[int], nt: int = 32, nx: int = 256) -> None:
    from pdejepa.figures.symmetry_gallery import simulated

    print(f"\n## augmentation throughput on {device}: windows of {nt} frames x {nx} points, float64")
    print(f"{'equation':10s} {'groups':48s} {'batch':>6s} {'samples/s':>10s} {'residual ratio':>15s}")
    for name, text in EQUATIONS.items():
        source = simulated(name, nt=nt * 4)
        stride = max(1, source.u.shape[2] // nx)
        groups = {g: s for g, s in STRENGTHS.items() if g in available_groups(text)}
        aug = SymmetryAugmentation(text, groups)
        eq = EvolutionEquation.parse(text)
        for batch in batches:
            index = torch.zeros(batch, dtype=torch.long)
            d = source.select(index)
            d = GridTrajectories(
                d.u[:, :nt, ::stride].contiguous().to(device),
                d.t0.to(device),
                d.dt.to(device),
                d.L.to(device),
                {k: v.to(device) for k, v in d.params.items()},
            )
            ids = torch.arange(batch)
            aug(d, seed=0, ids=ids)  # warm-up
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            start = time.perf_counter()
            repeats = 3
            for r in range(repeats):
                out = aug(d, seed=r, ids=ids)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            rate = batch * repeats / (time.perf_counter() - start)
            ratio = (pde_residual(eq, out).max() / pde_residual(eq, d).max()).item()
            print(f"{name:10s} {','.join(groups):48s} {batch:6d} {rate:10.0f} {ratio:15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument("--only", choices=["derivation", "augmentation"], help="run one part only")
    args = parser.parse_args()
    print(
        f"machine: {cpu_name()}, {torch.get_num_threads()} torch threads; "
        f"torch {torch.__version__}; {time.strftime('%Y-%m-%d')}"
    )
    if args.only != "augmentation":
        bench_derivation()
    if args.only != "derivation":
        bench_augmentation(args.device, args.batch)


if __name__ == "__main__":
    main()
