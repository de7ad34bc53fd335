"""The time-stepping job: FNO steppers conditioned on the frozen representation of an earlier window.

Each trajectory is split in two: its first ``pretrain.window[0]`` frames are the context the frozen
encoder sees (the same un-augmented view as the regression probe); the stepper works on the frames
after it (a 1D field, or a 2D flow's smoke, vx and vy side by side as channels), on cells
``timestep.pool`` times larger per dimension. The steppers of ``timestep.variants`` are trained per seed,
identical but for ``z``: ``none`` (unconditioned), ``ssl`` (the standardised representation of the
context window, with the ``timestep.code_*`` regularisers) and ``oracle`` (the standardised true
parameter, the upper bound), the last two through ``timestep.conditioning`` (``film`` or ``channels``).
Flows are also judged by their physics (:class:`~pdejepa.eval.flows.FlowDiagnostics`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader

from solvers.figures import parameter_text, save_figure, variable_label
from solvers.threads import job_workers, threads_per_worker

from ..checks import check_batch
from ..config import TimestepConfig, save_config
from ..data.restrict import coarsen, restrict_flow
from ..eval.flows import FlowDiagnostics
from ..experiment import Experiment
from ..figures.filmstrips import filmstrip_figures
from ..figures.labels import read_attrs, read_coordinate
from ..figures.rollouts import rollout_error_figure, rollouts_figure
from ..outputs import save_state, state_bytes, state_from_bytes, write_atomic
from ..progress import progress_bar
from ..report.tables import gap_closed, timestep_table
from ..steppers.module import TimeStepping
from ..steppers.pairs import FramePairs
from ..train.trainer import quiet_trainer
from .stepper_codes import Codes, frozen_codes
from .pool import run_jobs

SUMMARY = "timestep.md"  # the table, what SSL conditioning gains, and where the figures are


def fields_after(ds, start: int, pool: int = 1, flow: bool = False) -> torch.Tensor:
    """Every trajectory's frames from ``start`` on, in memory, on cells ``pool`` times larger per dimension
    (a flow by :func:`~pdejepa.data.restrict.restrict_flow`, other fields by block means):
    ``(N, time, fields, *space)``."""
    u = torch.stack([ds[i]["u"][start:] for i in range(len(ds))])
    if any(n % pool for n in u.shape[3:]):
        raise ValueError(f"timestep.pool={pool} must divide the grid's {' x '.join(map(str, u.shape[3:]))} cells")
    if pool == 1:
        return u
    return restrict_flow(u, pool) if flow else coarsen(u.flatten(0, 1), pool).unflatten(0, u.shape[:2])


def pooled(centres: list[float], pool: int) -> list[float]:
    """Centres of blocks of ``pool`` cells, from the cells' centres."""
    return torch.tensor(centres, dtype=torch.float64).view(-1, pool).mean(1).tolist()


def regularisers(t: TimestepConfig, variant: str) -> dict:
    """The code's training regularisers as :class:`TimeStepping` takes them: the ``ssl`` stepper's only."""
    if variant != "ssl":
        return {}
    return {"code_noise": t.code_noise, "code_dropout": t.code_dropout, "film_weight_decay": t.film_weight_decay}


def train_stepper(
    t: TimestepConfig, variant: str, seed: int, u: torch.Tensor, codes: Codes, progress: bool = False
) -> TimeStepping:
    """The ``variant`` stepper of ``t`` fitted to the pairs of ``u`` ``(N, time, fields, *space)`` from ``seed``."""
    z = codes.train[variant]
    L.seed_everything(seed, verbose=False)
    operator = {
        "n_modes": (t.modes,) * (u.ndim - 3),
        "fields": u.shape[2],
        "history": t.history,
        "horizon": t.horizon,
        "hidden": t.hidden,
        "n_layers": t.layers,
        "conditioning": "none" if variant == "none" else t.conditioning,
        "cond_dim": z.shape[-1],
        "code_dims": t.code_dims if variant == "ssl" and not t.code_pca else None,  # PCA: taken before the stepper
        "residual": t.residual,
    }
    module = TimeStepping(operator=operator, lr=t.lr, seed=seed, **regularisers(t, variant))
    windows = (codes.starts, codes.length) if z.ndim == 3 else ()
    loader = DataLoader(
        FramePairs(u, z, t.history, t.horizon, *windows),
        batch_size=t.batch_size,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(seed),
    )
    quiet_trainer(progress=progress, max_steps=t.steps, accelerator="auto", devices=1).fit(module, loader)
    return module


def fit_and_evaluate(
    variant: str,
    seed: int,
    *,
    t: TimestepConfig,
    progress: bool,
    data: tuple[torch.Tensor, torch.Tensor],
    codes: Codes,
    diagnostics: FlowDiagnostics | None,
) -> tuple[dict, dict, bytes]:
    """One job of :func:`timestep`: the ``variant`` stepper from ``seed`` trained on ``data[0]`` and evaluated on
    ``data[1]``; its metrics, hyperparameters and weights (``torch.save``'s bytes, from which :func:`stepper`
    rebuilds it)."""
    module = train_stepper(t, variant, seed, data[0], codes, progress)
    metrics = module.evaluate(data[1], codes.test[variant], diagnostics=diagnostics)
    return metrics, dict(module.hparams), state_bytes(module.state_dict())


def stepper(hparams: dict, weights: bytes) -> TimeStepping:
    """A trained stepper from the hyperparameters and weights that :func:`fit_and_evaluate` returns."""
    module = TimeStepping(**hparams)
    module.load_state_dict(state_from_bytes(weights))
    return module


def save_figures(
    exp: Experiment, u_test: torch.Tensor, codes: Codes, first: dict[str, TimeStepping], rows: list[dict], out: Path
) -> list[Path]:
    """``rollout_error.png`` (relative L2 and VRMSE against time) and the first test trajectory against each
    first-seed stepper's rollout: ``rollouts.png`` (1D) or ``filmstrip_FIELD.png`` (flows), on the file's
    coordinates, with its labels and units and the sample's parameter."""
    t, d, test_file = exp.config.timestep, exp.config.data, exp.files[1]
    test_set = exp.dataset(test_file)
    t0, dt = test_set.meta[0]
    start = exp.config.pretrain.window[0] + t.history  # the first predicted frame
    times = [t0 + dt * (start + k) for k in range(u_test.shape[1] - t.history)]
    attrs = read_attrs(test_file, ("time", "x", "y", d.label, *exp.fields))
    labels = {name: variable_label(name, a) for name, a in attrs.items()}
    data = f"{d.equation}, {len(u_test)} test trajectories"
    errors = rollout_error_figure(rows, times, labels["time"], d.label, title=f"Time-stepping {data}")
    paths = [save_figure(errors, out / "rollout_error.png")]
    rollouts = {v: m.rollout(u_test[:1], codes.test[v][:1])[0] for v, m in first.items()}
    value = float(test_set.label_values(d.label)[0])
    title = f"{d.equation}, test sample 0: {parameter_text(d.label, value, attrs[d.label])}"
    truth, shown = u_test[0, t.history :], {"parameter": d.label, "title": title, "times": times, "labels": labels}
    if exp.data_kind == "1d":  # the first field in space and time
        x = pooled(read_coordinate(test_file, "x"), t.pool)
        first_field = {v: r[:, 0] for v, r in rollouts.items()}
        fig = rollouts_figure(truth[:, 0], first_field, x=x, field=exp.fields[0], **shown)
        return [*paths, save_figure(fig, out / "rollouts.png")]
    grid = {axis: pooled(c, t.pool) for axis, c in exp.grid.items()}
    figures = filmstrip_figures(truth, rollouts, x=grid["x"], y=grid["y"], fields=exp.fields, **shown)
    return [*paths, *(save_figure(fig, out / f"filmstrip_{field}.png") for field, fig in figures.items())]


def timestep(exp: Experiment, ckpt: Path, out: Path) -> list[dict]:
    """Train and evaluate the steppers of ``timestep.variants`` per seed, side by side in ``timestep.workers``
    processes (:mod:`~pdejepa.jobs.pool`); rows of one-step and rollout errors (relative L2, VRMSE; and, for
    flows, the rollout diagnostics per frame), in the order of seeds then variants, each with the torch
    ``threads`` its stepper trained with. A line per stepper is printed as it finishes.

    Writes ``timestep_config.yaml``, ``timestep.json`` (the rows), ``timestep.md`` (the table), the figures of
    :func:`save_figures` and the first seed's steppers (``stepper_VARIANT.pt``, weights only) to ``out``.
    """
    t, progress = exp.config.timestep, exp.progress
    save_config(exp.config, out, "timestep_config.yaml")
    context = exp.config.pretrain.window[0]
    u_train, u_test = (fields_after(exp.dataset(path), context, t.pool, exp.is_flow) for path in exp.files)
    pairs = len(FramePairs(u_train, torch.zeros(len(u_train), 0), t.history, t.horizon))
    check_batch("timestep.batch_size", t.batch_size, pairs)
    codes = frozen_codes(exp, ckpt)
    grid = {axis: pooled(c, t.pool) for axis, c in exp.grid.items()} if exp.is_flow else None
    diagnostics = FlowDiagnostics(tuple(grid["x"]), tuple(grid["y"])) if grid else None
    jobs = [(variant, seed) for seed in t.seeds for variant in t.variants]
    workers = min(t.workers or job_workers(len(jobs)), len(jobs))

    def finished(index: int, result: tuple[dict, dict, bytes]) -> None:
        (variant, seed), metrics = jobs[index], result[0]
        bar.update()
        bar.write(
            f"  {variant:7s} seed {seed}: one-step relative L2 {metrics['one_step_rel_l2']:.2e}, "
            f"rollout relative L2 {metrics['rollout_rel_l2_mean']:.2e}, VRMSE {metrics['rollout_vrmse_mean']:.2e}",
            file=sys.stdout,
        )
        sys.stdout.flush()

    shared = {
        "t": t,
        "progress": progress and workers == 1,  # Lightning's bars, when the steppers train here
        "data": (u_train, u_test),
        "codes": codes,
        "diagnostics": diagnostics,
    }
    with progress_bar(None, desc="steppers", enabled=progress and workers > 1, total=len(jobs)) as bar:
        results = run_jobs(fit_and_evaluate, jobs, shared=shared, workers=workers, on_result=finished)
    threads = threads_per_worker(workers)
    rows = [{"variant": v, "seed": s, "threads": threads, **r[0]} for (v, s), r in zip(jobs, results)]
    first = {v: stepper(*r[1:]) for (v, s), r in zip(jobs, results) if s == t.seeds[0]}  # in variants' order
    for variant, module in first.items():
        save_state(module.model.state_dict(), out / f"stepper_{variant}.pt")
    write_atomic(out / "timestep.json", json.dumps(rows, indent=1))
    figures = save_figures(exp, u_test, codes, first, rows, out)
    write_atomic(out / SUMMARY, summary(rows, figures))
    return rows


def summary(rows: list[dict], figures: list[Path]) -> str:
    """The table, what SSL conditioning gains over none (when all three variants ran), and the figures."""
    lines = [timestep_table(rows), ""]
    gap = gap_closed(rows)
    if gap is not None:
        lines.append(
            f"SSL conditioning cuts the mean rollout relative L2 by {100 * gap[0]:.1f}% and closes "
            f"{100 * gap[1]:.0f}% of the gap to the oracle"
        )
    lines.append("plots: " + ", ".join(str(p) for p in sorted(figures)))
    return "\n".join(lines) + "\n"
