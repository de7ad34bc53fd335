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

from solvers.figures import save_figure
from solvers.generate import Shard, dataset_registry
from solvers.generate import generate as write_dataset
from solvers.splits import generate_splits, split_counts
from symmetries.system_report import algebra_of

from .checkpoint import require_checkpoint
from .config import Config, load_config, resolve
from .experiment import Experiment
from .figures.regression import regression_figure, regression_title
from .files import run_lock, write_atomic
from .pretraining import pretrain as run_pretraining
from .probing import chance_level, probe_classes
from .regression import regress as run_regression
from .report import probe_table, regression_table, timestep_table
from .timestepping import timestep as run_timestepping

ConfigLike = Config | dict | str | os.PathLike | None


def configure(config: ConfigLike = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """A checked :class:`Config` from any ``config`` form and command-line style ``overrides``."""
    if isinstance(config, (str, os.PathLike)):
        return load_config(config, overrides)
    return resolve(config, overrides)


def generate(
    equation: str,
    num: int,
    out: str | os.PathLike,
    *,
    seed: int = 0,
    device: str = "cpu",
    batch_size: int = 256,
    shard: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    open_dataset: bool = False,
    compression: str = "gzip",
    splits: tuple[float, float, float] | None = None,
    **settings: Any,
) -> Path | xr.Dataset | dict[str, Path | xr.Dataset]:
    """Simulate ``num`` trajectories of ``equation`` (``burgers``, ``ks``, ``kdv``, ``heat``, ``ns-buoyancy``) into the
    HDF5 file ``out``; ``settings`` override the recipe's defaults (``nx=128``, ``params={"nu": [0.1, 0.2]}``).
    ``compression``: ``none``, ``lzf``, ``gzip`` or ``gzip:LEVEL``. ``splits``: train, valid, test sizes as
    fractions of ``num`` or counts, written to ``<out>_train`` etc. with disjoint seeds (:mod:`solvers.splits`).
    Returns the path, or the opened :class:`xarray.Dataset` with ``open_dataset`` (with ``splits``, a dict by split)."""
    registry = dataset_registry()
    if equation not in registry:
        raise ValueError(f"unknown equation {equation!r}; choose one of {sorted(registry)}")
    recipe = registry[equation](equation).updated(**settings).validate()
    options = {
        "seed": seed,
        "device": device,
        "batch_size": batch_size,
        "shard": Shard.parse(shard),
        "resume": resume,
        "overwrite": overwrite,
        "progress": progress,
        "compression": compression,
    }
    if splits is not None:
        paths = generate_splits(recipe, split_counts(splits, num), Path(out), **options)
        return {split: load_dataset(p) if open_dataset else p for split, p in paths.items()}
    path = write_dataset(recipe, num=num, out=Path(out), **options)
    return load_dataset(path) if open_dataset else path


def load_dataset(path: str | os.PathLike | list) -> xr.Dataset:
    """A dataset file (or a list of shards, which needs dask: ``pip install 'pdejepa[data]'``) as a lazy
    :class:`xarray.Dataset`."""
    if isinstance(path, (list, tuple)):
        if find_spec("dask") is None:
            raise ImportError("opening several files at once needs dask: pip install 'pdejepa[data]'")
        return xr.open_mfdataset([str(p) for p in path], engine="h5netcdf")
    return xr.open_dataset(path, engine="h5netcdf")


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
    """Pretrain (VICReg or JEPA, by ``pretrain.method``) into the run folder ``out``; returns the checkpoint.
    Rerunning with the same ``out`` resumes exactly."""
    exp, out = Experiment(configure(config, overrides), progress), Path(out)
    with run_lock(out):
        return run_pretraining(exp, out)


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
    exp, out, ckpt = Experiment(configure(config, overrides), progress), Path(out), require_checkpoint(ckpt)
    with run_lock(out):
        rows = run_regression(exp, ckpt, out)
        write_atomic(out / "regression.md", regression_table(rows, exp.config.data.label) + "\n")
        d = exp.config.data
        sizes = (len(exp.dataset(path)) for path in exp.files)  # the files' sizes: data.files may give any
        title = regression_title(d.label, d.equation, *sizes)
        save_figure(regression_figure(rows, d.label, title), out / "regression.png")
    return rows


def probe(
    config: ConfigLike,
    ckpt: str | os.PathLike,
    out: str | os.PathLike = "results/probe",
    *,
    overrides: list[str] | tuple[str, ...] = (),
    progress: bool = True,
) -> list[dict]:
    """Class probes on the frozen tokens of a JEPA checkpoint (procedural sets); writes ``probe.md``."""
    exp, out, ckpt = Experiment(configure(config, overrides), progress), Path(out), require_checkpoint(ckpt)
    with run_lock(out):
        rows = probe_classes(exp, ckpt, out)
        write_atomic(out / "probe.md", probe_table(rows, chance_level(exp)) + "\n")
    return rows


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
    exp, out, ckpt = Experiment(configure(config, overrides), progress), Path(out), require_checkpoint(ckpt)
    with run_lock(out):
        rows = run_timestepping(exp, ckpt, out)
        write_atomic(out / "timestep.md", timestep_table(rows) + "\n")
    return rows


def quickstart(
    out: str | os.PathLike = "results/quickstart", *, overrides: list[str] | tuple[str, ...] = (), progress: bool = True
) -> str:
    """Generate a small Burgers set, pretrain, regress viscosity; write table, plot, config, checkpoint.
    Returns the Markdown table with the wall time."""
    out = Path(out)
    start = time.perf_counter()
    config = configure(None, [f"data.dir={out / 'data'}", *overrides])
    ckpt = pretrain(config, out, progress=progress)
    rows = regress(config, ckpt, out, progress=progress)
    table = regression_table(rows, config.data.label)
    return table + f"\n\n(wall time {time.perf_counter() - start:.0f} s; results in {out})"
