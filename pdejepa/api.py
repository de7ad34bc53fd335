"""The Python API: the CLI's verbs as typed functions (``pdejepa.generate``, ``pdejepa.pretrain``, ...).

A ``config`` argument is a :class:`~pdejepa.config.Config`, a YAML path, a mapping of the fields to change,
or None (the defaults); ``overrides`` are ``"section.field=value"`` strings as on the command line.
"""

from __future__ import annotations

import os
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import xarray as xr

from solvers.plot import plot_dataset
from symmetries.system_report import algebra_of

from .checkpoint import require_checkpoint
from .config import Config, load_config, resolve
from .experiment import Experiment
from .jobs import evaluation, generation
from .jobs.embedding import embed as run_embedding
from .jobs.surprise import surprise as run_surprise
from .jobs.pretraining import pretrain as run_pretraining
from .outputs import run_lock
from .report.tables import regression_table

ConfigLike = Config | dict | str | os.PathLike | None
# the quickstart's data: Burgers resolved on 256 points, viscosities down to 0.1; the rest is the default config
QUICKSTART = {"data": {"simulation": {"nx": 256, "params": {"nu": [0.1, 0.5]}}}}


def configure(config: ConfigLike = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """A checked :class:`Config` from any ``config`` form and command-line style ``overrides``."""
    if isinstance(config, (str, os.PathLike)):
        return load_config(config, overrides)
    return resolve(config, overrides)


def generate(
    equation: str | None = None,
    num: int | None = None,
    out: str | os.PathLike | None = None,
    *,
    recipe: str | os.PathLike | dict | None = None,
    seed: int | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    shard: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    open_dataset: bool = False,
    compression: str | None = None,
    splits: tuple[float, float, float] | None = None,
    **settings: Any,
) -> Path | xr.Dataset | dict[str, Path | xr.Dataset]:
    """Simulate ``num`` trajectories of ``equation`` (``burgers``, ``ks``, ``kdv``, ``heat``, ``ns-buoyancy``) into the
    HDF5 file ``out``. The dataset's defaults < ``recipe`` (a YAML file or mapping of its settings, which may also
    name the equation and these arguments) < ``settings`` (``nx=128``, ``params={"nu": [0.1, 0.2]}``); arguments
    left at None take the recipe's value or :data:`~pdejepa.jobs.generation.RUN_DEFAULTS` (16 trajectories into
    ``<equation>.h5``, seed 0, ...). ``compression``: ``none``, ``lzf``, ``gzip`` or ``gzip:LEVEL``. ``splits``:
    train, valid, test sizes as fractions of ``num`` or counts, written to ``<out>_train`` etc. with disjoint seeds
    (:mod:`solvers.splits`). Returns the path, or the opened :class:`xarray.Dataset` with ``open_dataset`` (with
    ``splits``, a dict by split)."""
    run = {"num": num, "out": out, "seed": seed, "device": device, "batch_size": batch_size}
    run |= {"splits": splits, "compression": compression}
    plan = generation.plan(equation, recipe, settings, run)
    paths = generation.write(plan, shard=shard, resume=resume, overwrite=overwrite, progress=progress)
    opened = {split: load_dataset(p) if open_dataset else p for split, p in paths.items()}
    return opened if plan.run["splits"] is not None else opened["all"]


def load_dataset(path: str | os.PathLike | list) -> xr.Dataset:
    """A dataset file (or a list of shards, which needs dask: ``pip install 'pdejepa[data]'``) as a lazy
    :class:`xarray.Dataset`."""
    if isinstance(path, (list, tuple)):
        if find_spec("dask") is None:
            raise ImportError("opening several files at once needs dask: pip install 'pdejepa[data]'")
        return xr.open_mfdataset([str(p) for p in path], engine="h5netcdf")
    return xr.open_dataset(path, engine="h5netcdf")


def plot(
    path: str | os.PathLike,
    samples: list[int] = (0,),
    out: str | os.PathLike | None = None,
    *,
    frames: int = 8,
    shared_scale: bool = False,
) -> Path:
    """Save a PNG of the trajectories ``samples`` of a dataset file (``out``: ``path`` with ``.png``): space-time
    images of a 1D file, filmstrips of smoke and vorticity of a 2D one; ``shared_scale``: one colour scale for all."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    out = path.with_suffix(".png") if out is None else out
    return plot_dataset(path, list(samples), out, frames=frames, shared_scale=shared_scale)


def derive_symmetries(
    equation: str, *, independent: str | None = None, dependent: str | None = None, use_cache: bool = True
) -> dict[str, Any]:
    """Lie point symmetries as plain data, of an evolution equation (``"u_t = nu*u_xx"`` or a registered name:
    generators, group elements, commutators, infinite families) or of a system (``"ns2d-buoyancy"``, or
    equations separated by ``;`` with ``independent="t,x,y"``, ``dependent="u,v,p"``: generators, families)."""
    return algebra_of(equation, independent, dependent, use_cache=use_cache)


def pretrain(
    config: ConfigLike = None,
    out: str | os.PathLike = "results/pretrain",
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> Path:
    """Pretrain by ``pretrain.method`` (:data:`pdejepa.methods.METHODS`) into the run folder ``out``; returns the
    checkpoint. Rerunning with the same ``out`` resumes exactly."""
    exp, out = Experiment(configure(config, overrides), progress), Path(out)
    with run_lock(out):
        return run_pretraining(exp, out)


def run_job(
    job: str, config: ConfigLike, ckpt: str | os.PathLike, out: str | os.PathLike, overrides, progress: bool
) -> list[dict]:
    """The job ``job`` of :data:`pdejepa.jobs.EVALUATIONS` on the encoder of ``ckpt``, into the run folder ``out``."""
    run, _ = evaluation(job)
    exp, out, ckpt = Experiment(configure(config, overrides), progress), Path(out), require_checkpoint(ckpt)
    with run_lock(out):
        return run(exp, ckpt, out)


def summary(job: str, out: str | os.PathLike) -> str:
    """The Markdown summary a finished job ``job`` (``regress``, ``probe``, ``timestep``) wrote into ``out``:
    its table, and where its figures are."""
    return (Path(out) / evaluation(job)[1].SUMMARY).read_text()


def regress(
    config: ConfigLike,
    ckpt: str | os.PathLike,
    out: str | os.PathLike = "results/regress",
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> list[dict]:
    """Regress ``data.label`` from the frozen encoder of ``ckpt`` against supervised and random-init baselines;
    writes ``regression.md``, ``regression.json`` and ``regression.png`` to ``out`` and returns the rows."""
    return run_job("regress", config, ckpt, out, overrides, progress)


def probe(
    config: ConfigLike,
    ckpt: str | os.PathLike,
    out: str | os.PathLike = "results/probe",
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> list[dict]:
    """Class probes on the frozen tokens of a JEPA checkpoint (procedural sets); writes ``probe.md`` and
    ``probe.json`` to ``out`` and returns the rows."""
    return run_job("probe", config, ckpt, out, overrides, progress)


def timestep(
    config: ConfigLike,
    ckpt: str | os.PathLike,
    out: str | os.PathLike = "results/timestep",
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> list[dict]:
    """FNO steppers conditioned on nothing, on the frozen representation of ``ckpt`` and on the true
    parameter (``timestep.variants``); writes ``timestep.md``, ``timestep.json`` and plots (for smoke flows,
    the rollout diagnostics and filmstrips) to ``out``. The steppers train side by side in spawned processes
    (``timestep.workers``), so a script that calls this needs an ``if __name__ == "__main__":`` guard."""
    return run_job("timestep", config, ckpt, out, overrides, progress)


def embed(
    ckpt: str | os.PathLike,
    file: str | os.PathLike,
    out: str | os.PathLike,
    *,
    config: ConfigLike = None,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> Path:
    """Write the frozen representation of every sample of the trajectory file ``file`` by the encoder of ``ckpt``
    to the netCDF file ``out`` (``embedding`` ``(sample, feature)`` and the file's per-sample variables; see
    :func:`pdejepa.jobs.embedding.embed`). ``config``: the pretraining's (None: the ``config.yaml`` of the run
    folder that holds ``ckpt``, else the defaults)."""
    ckpt = require_checkpoint(ckpt)
    return run_embedding(run_experiment(ckpt, config, overrides, progress), ckpt, Path(file), Path(out))


def surprise(
    ckpt: str | os.PathLike,
    file: str | os.PathLike,
    out: str | os.PathLike,
    *,
    config: ConfigLike = None,
    overrides: list[str] | tuple[str, ...] = (),
    random_init: bool = False,
    progress: bool = True,
) -> Path:
    """Write the surprise scores of every sample and frame of the trajectory file ``file`` by the world model or
    dynamics objective of ``ckpt`` (with ``random_init``: by the same model untrained) to the netCDF file ``out``
    (``surprise`` ``(sample, time)``, ``score`` ``(sample,)`` and the file's per-sample variables; see
    :func:`pdejepa.jobs.surprise.surprise`). ``config``: as :func:`embed`."""
    ckpt = require_checkpoint(ckpt)
    exp = run_experiment(ckpt, config, overrides, progress)
    return run_surprise(exp, ckpt, Path(file), Path(out), random_init)


def run_experiment(
    ckpt: Path, config: ConfigLike, overrides: list[str] | tuple[str, ...], progress: bool
) -> Experiment:
    """The experiment of ``config``, by default that of the run folder holding ``ckpt`` (its ``config.yaml``)."""
    if config is None and (ckpt.parent / "config.yaml").is_file():
        config = ckpt.parent / "config.yaml"
    return Experiment(configure(config, overrides), progress)


def quickstart(
    out: str | os.PathLike = "results/quickstart", *, overrides: list[str] | tuple[str, ...] = (), progress: bool = True
) -> str:
    """Generate a small Burgers set, pretrain, regress viscosity; write table, plot, config, checkpoint.
    Returns the Markdown table with the wall time."""
    out = Path(out)
    start = time.perf_counter()
    config = configure(QUICKSTART, [f"data.dir={out / 'data'}", *overrides])
    ckpt = pretrain(config, out, progress=progress)
    rows = regress(config, ckpt, out, progress=progress)
    table = regression_table(rows, config.data.label)
    return table + f"\n\n(wall time {time.perf_counter() - start:.0f} s; results in {out})"
