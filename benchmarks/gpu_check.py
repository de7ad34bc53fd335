"""One command for the day a GPU is lent: the ``gpu`` tests, generation and pretraining throughput, in one table.

``benchmarks/gpu_check.sh`` (or ``make gpu-check``) runs on one CUDA GPU, within about 8 minutes:

- the tests marked ``gpu`` (``pytest -m gpu``);
- KS generation: 10,000 trajectories of the default recipe written as ``pdejepa generate`` writes them
  (batches of 4096), goal under 60 s;
- smoke-buoyancy generation at 128 x 128 (the default recipe): trajectories/s and the projected time of the
  26,624-trajectory standard set, goal under 15 minutes;
- VICReg and V-JEPA pretraining at the GPU-sized smoke configs (``configs/ns_vicreg.yaml``,
  ``configs/vjepa_ns.yaml`` at 128 x 128, batches of 128, 8 loader workers, bf16 autocast): samples/s and the
  data wait from :class:`pdejepa.train.Throughput`, and the GPU's utilisation while training (NVML at each
  batch's end, else ``nvidia-smi`` sampled in the background).

Every row shows what was measured, the goal and pass, FAIL or n/a (no goal). A stage that raises prints FAIL
in its row and the next stage still runs; the exit status is 1 if a row failed. ``--cpu --tiny`` runs every
stage on the CPU at tiny sizes in seconds (``tests/test_gpu_check.py``), so the script cannot rot; goals are
then n/a. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch

import pdejepa
from benchmarks.machine_info import machine_lines
from pdejepa.experiment import Experiment
from solvers.generate import dataset_registry

ROOT = Path(__file__).resolve().parents[1]
KS_GOAL = (10_000, 60.0)  # trajectories, seconds
NS_GOAL = (26_624, 15 * 60.0)  # the standard smoke-buoyancy set, seconds
BUDGET_S = 8 * 60  # the whole check on one GPU
SEED = 0
Result = tuple[str, bool | None]  # (what was measured, passed: None when there is no goal to judge)


@dataclass(frozen=True)
class Sizes:
    """How much each stage runs: the goals' recipes (GPU) or tiny ones (seconds on a CPU)."""

    ks_num: int
    ks_batch: int
    ks_settings: dict
    ns_num: int
    ns_batch: int
    ns_settings: dict
    data: tuple[str, ...]  # config overrides of the data both pretraining stages share
    vicreg: tuple[str, ...]
    jepa: tuple[str, ...]
    tests_timeout_s: float


GPU_SIZES = Sizes(
    ks_num=KS_GOAL[0],
    ks_batch=4096,
    ks_settings={},
    ns_num=256,
    ns_batch=128,
    ns_settings={},
    data=("data.num_train=256", "data.num_test=8", "data.simulation={nx: 128, ny: 128, nt: 24}"),
    vicreg=("pretrain.batch_size=128", "pretrain.num_workers=8", "pretrain.epochs=14"),
    jepa=("pretrain.batch_size=128", "pretrain.num_workers=8", "pretrain.epochs=14"),
    tests_timeout_s=300,
)
TINY_SIZES = Sizes(
    ks_num=8,
    ks_batch=4,
    ks_settings={"nt": 3, "t_end": 0.2},
    ns_num=2,
    ns_batch=1,
    ns_settings={"nx": 16, "ny": 16, "nt": 2, "skip_nt": 0},
    data=("data.num_train=8", "data.num_test=4", "data.simulation={nx: 16, ny: 16, nt: 6, skip_nt: 0}"),
    vicreg=(  # no flow symmetries: deriving their algebra (sympy, once per cache) is no throughput
        "pretrain.window=[2]",
        "pretrain.width=4",
        "pretrain.vicreg.expander=[16, 16]",
        "pretrain.strengths={}",
        "pretrain.epochs=4",
        "pretrain.batch_size=4",
    ),
    jepa=(
        "pretrain.encoder=vit_nano",
        "pretrain.window=[4]",
        "pretrain.jepa.patch_size=4",
        "pretrain.jepa.predictor=[24, 1, 2]",
        "pretrain.epochs=4",
        "pretrain.batch_size=4",
    ),
    tests_timeout_s=120,
)


@dataclass(frozen=True)
class Context:
    """Where the stages run: ``device`` (``cuda`` or ``cpu``), the sizes, a scratch folder for the data, and
    the ``pytest -m gpu`` run when it was started ahead of the stages (:func:`start_gpu_tests`)."""

    device: str
    tiny: bool
    sizes: Sizes
    work: Path
    tests: subprocess.Popen | None = None

    def judged(self, passed: bool) -> bool | None:
        """A goal's verdict; tiny sizes measure nothing a goal speaks of (n/a)."""
        return None if self.tiny else passed


@dataclass(frozen=True)
class Stage:
    name: str
    goal: str
    run: Callable[[Context], Result]


@dataclass(frozen=True)
class Row:
    check: str
    measured: str
    goal: str
    status: str  # pass, FAIL or n/a


def one_line(err: BaseException, limit: int = 200) -> str:
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------- the gpu-marked tests


def gpu_test_files() -> list[str]:
    """Test files that mark a test ``gpu`` (so pytest collects only those, not the whole suite)."""
    files = (ROOT / "tests").rglob("test_*.py")
    return sorted(str(p.relative_to(ROOT)) for p in files if "mark.gpu" in p.read_text())


def start_gpu_tests(device: str) -> subprocess.Popen | None:
    """``pytest -m gpu`` on the files that have such tests, started in a subprocess (None: no such file);
    on ``cpu`` CUDA is hidden from it, so the tests skip."""
    files = gpu_test_files()
    if not files:
        return None
    env = {**os.environ, **({"CUDA_VISIBLE_DEVICES": ""} if device == "cpu" else {})}
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider", *files]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def gpu_tests(ctx: Context) -> Result:
    """The outcome of ``pytest -m gpu``: the run ``ctx.tests`` started early, else one started now."""
    tests = ctx.tests if ctx.tests is not None else start_gpu_tests(ctx.device)
    if tests is None:
        return "no test is marked gpu", False
    try:
        stdout, stderr = tests.communicate(timeout=ctx.sizes.tests_timeout_s)
    except subprocess.TimeoutExpired:
        tests.kill()
        tests.communicate()
        raise
    lines = stdout.strip().splitlines()
    counts = re.findall(r"(\d+) (passed|failed|skipped|errors?)", lines[-1] if lines else "")
    summary = ", ".join(f"{n} {word}" for n, word in counts) or f"pytest exit status {tests.returncode}"
    if tests.returncode != 0:
        print(stdout[-4000:], stderr[-2000:], sep="\n", file=sys.stderr)
        return summary, False
    if not any(word == "passed" for _, word in counts):  # skipped: CUDA hidden (--cpu) or not seen by the tests
        return f"{summary} (no CUDA)", None if ctx.device == "cpu" else False
    return summary, True


# ---------------------------------------------------------------- generation


def timed_generation(ctx: Context, equation: str, num: int, batch: int, settings: dict) -> float:
    """Seconds to write ``num`` trajectories of ``equation`` as ``pdejepa generate`` does (simulation, checks,
    compressed HDF5), after a warm-up of two trajectories (CUDA context, FFT plans)."""
    folder = ctx.work / equation
    common = {"seed": SEED, "device": ctx.device, "progress": False, **settings}
    pdejepa.generate(equation, 2, folder / "warmup.h5", batch_size=2, **common)
    if ctx.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    pdejepa.generate(equation, num, folder / "timed.h5", batch_size=batch, **common)  # returns once the file is shut
    seconds = time.perf_counter() - start
    shutil.rmtree(folder)
    return seconds


def ks_generation(ctx: Context) -> Result:
    s = ctx.sizes
    seconds = timed_generation(ctx, "ks", s.ks_num, s.ks_batch, s.ks_settings)
    projected = seconds * KS_GOAL[0] / s.ks_num
    measured = f"{s.ks_num:,} trajectories in {seconds:.1f} s ({s.ks_num / seconds:,.0f}/s, batch {s.ks_batch})"
    if s.ks_num != KS_GOAL[0]:
        measured += f"; {KS_GOAL[0]:,} in {projected:.1f} s"
    return measured, ctx.judged(projected < KS_GOAL[1])


def ns_generation(ctx: Context) -> Result:
    s = ctx.sizes
    cfg = dataset_registry()["ns-buoyancy"]("ns-buoyancy").updated(**s.ns_settings)
    seconds = timed_generation(ctx, "ns-buoyancy", s.ns_num, s.ns_batch, s.ns_settings)
    projected = seconds * NS_GOAL[0] / s.ns_num
    measured = (
        f"{cfg.nx}x{cfg.ny}: {s.ns_num} trajectories in {seconds:.1f} s ({s.ns_num / seconds:.1f}/s, "
        f"batch {s.ns_batch}); {NS_GOAL[0]:,} in {projected / 60:.1f} min"
    )
    return measured, ctx.judged(projected < NS_GOAL[1])


# ---------------------------------------------------------------- pretraining


class UtilisationSampler:
    """The GPU's utilisation (%) every ``interval`` s in a background thread: NVML through torch, else
    ``nvidia-smi``; no samples where neither answers (or when not ``enabled``)."""

    def __init__(self, enabled: bool, interval: float = 0.5) -> None:
        self.enabled, self.interval = enabled, interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._gpu = (os.environ.get("CUDA_VISIBLE_DEVICES") or "0").split(",")[0]  # index or UUID, as nvidia-smi

    def read(self) -> float | None:
        try:
            return float(torch.cuda.utilization())
        except Exception:  # NVML bindings are optional
            pass
        query = ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits", f"--id={self._gpu}"]
        try:
            return float(subprocess.run(query, capture_output=True, text=True, timeout=5).stdout.split()[0])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            value = self.read()
            if value is not None:
                self.samples.append(value)

    def __enter__(self) -> "UtilisationSampler":
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def mean(self) -> float | None:
        return sum(self.samples) / len(self.samples) if self.samples else None


def pretraining(ctx: Context, config: str, overrides: tuple[str, ...]) -> Result:
    """Samples/s, data wait and GPU utilisation of ``pdejepa pretrain`` with ``configs/<config>`` resized."""
    cpu = ["pretrain.accelerator=cpu"] if ctx.device == "cpu" else []
    cfg = pdejepa.configure(
        ROOT / "configs" / config, [f"data.dir={ctx.work / 'data'}", *ctx.sizes.data, *overrides, *cpu]
    )
    Experiment(cfg, progress=False).files  # simulate the data (shared by both stages) before anything is timed
    out = ctx.work / config.removesuffix(".yaml")
    with UtilisationSampler(enabled=ctx.device == "cuda") as sampler:
        pdejepa.pretrain(cfg, out, progress=False)
    speed = json.loads((out / "throughput.json").read_text())
    samples, wait = speed["samples_per_s"], speed["data_wait_fraction"]
    if not (math.isfinite(samples) and samples > 0):
        raise RuntimeError(f"no timed batch (throughput.json: {speed}); train more batches than the warm-up")
    gpu = speed["gpu_utilisation_percent"]
    gpu = gpu if gpu is not None else sampler.mean()
    use = "GPU n/a" if gpu is None else f"GPU busy {gpu:.0f}%"
    precision = "bf16" if ctx.device == "cuda" else "fp32"
    return f"{samples:,.0f} samples/s ({precision}, batch {cfg.pretrain.batch_size}), {use}, data wait {wait:.0%}", None


STAGES = (
    Stage("gpu-marked tests", "all pass", gpu_tests),
    Stage("KS generation", f"{KS_GOAL[0]:,} default trajectories < {KS_GOAL[1]:.0f} s", ks_generation),
    Stage("NS smoke generation", f"{NS_GOAL[0]:,} at 128x128 < {NS_GOAL[1] / 60:.0f} min", ns_generation),
    Stage(
        "VICReg pretraining (ns_vicreg)",
        "measured (no target)",
        lambda ctx: pretraining(ctx, "ns_vicreg.yaml", ctx.sizes.vicreg),
    ),
    Stage(
        "V-JEPA pretraining (vjepa_ns)",
        "measured (no target)",
        lambda ctx: pretraining(ctx, "vjepa_ns.yaml", ctx.sizes.jepa),
    ),
)


# ---------------------------------------------------------------- running and reporting


def run_stages(stages: tuple[Stage, ...] | list[Stage], ctx: Context) -> list[Row]:
    """Every stage in turn; one that raises becomes a FAIL row (traceback on stderr) and the next one runs."""
    rows = []
    for stage in stages:
        print(f"[gpu-check] {stage.name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            measured, passed = stage.run(ctx)
            status = "n/a" if passed is None else ("pass" if passed else "FAIL")
        except Exception as err:  # a broken stage must not hide the others' rows
            traceback.print_exc()
            measured, status = f"error: {one_line(err)}", "FAIL"
        print(f"[gpu-check] {stage.name}: {status} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)
        rows.append(Row(stage.name, measured, stage.goal, status))
    return rows


def table(rows: list[Row]) -> str:
    """A Markdown table: check, measured, goal, status."""
    cells = [("check", "measured", "goal", "status"), *((r.check, r.measured, r.goal, r.status) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return "| " + " | ".join(text.ljust(width) for text, width in zip(row, widths)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def exit_status(rows: list[Row]) -> int:
    return 1 if any(row.status == "FAIL" for row in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", action="store_true", help="run every stage on the CPU (CUDA hidden from the tests)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: seconds on a CPU; goals are n/a")
    args = parser.parse_args(argv)
    if not args.cpu and not torch.cuda.is_available():
        print(
            f"gpu_check: torch {torch.__version__} sees no CUDA device; on a GPU machine check the driver and the "
            "CUDA build of torch, elsewhere run with --cpu --tiny to check the script itself",
            file=sys.stderr,
        )
        return 2
    device, sizes = ("cpu" if args.cpu else "cuda"), (TINY_SIZES if args.tiny else GPU_SIZES)
    start = time.perf_counter()
    # --cpu --tiny: the tests (which then skip) run alongside the other stages and their row is waited for
    # last; otherwise they run first and alone, so they do not disturb the timings.
    tests = start_gpu_tests(device) if device == "cpu" and args.tiny else None
    order = sorted(STAGES, key=lambda stage: tests is not None and stage.run is gpu_tests)  # stable: others first
    try:
        with tempfile.TemporaryDirectory(prefix="pdejepa-gpu-check-") as work:
            ctx = Context(device=device, tiny=args.tiny, sizes=sizes, work=Path(work), tests=tests)
            done = {row.check: row for row in run_stages(order, ctx)}
    finally:
        if tests is not None and tests.poll() is None:
            tests.kill()
    rows = [done[stage.name] for stage in STAGES]
    seconds = time.perf_counter() - start
    sizing = "tiny sizes (goals n/a)" if args.tiny else "full sizes (the goals' recipes)"
    print("\n".join(["# pdejepa GPU check", *machine_lines(), f"device {device}, {sizing}", "", table(rows), ""]))
    print(f"wall time {seconds:.0f} s (budget on one GPU: {BUDGET_S // 60} min); exit status {exit_status(rows)}")
    return exit_status(rows)


if __name__ == "__main__":
    sys.exit(main())
