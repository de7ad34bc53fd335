"""Write a dataset of trajectories: batched, on any device, resumable, shardable.

The batch loop (:func:`generate`) serves every family of datasets through the small
:class:`DatasetRecipe` protocol. One registry, :data:`FAMILIES`, ties each configuration class
to its recipe and dataset names: the 1D periodic equations (:mod:`solvers.periodic1d`) and the
2D smoke-buoyancy flows (:mod:`solvers.ns2d`, also with a change of buoyancy midway:
:mod:`solvers.ns2d.switch`). :func:`dataset_defaults` gives a dataset's default
configuration by name; :func:`run_fingerprint` identifies a run's file; :class:`Shard` is a slice of a run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from .checks import is_int
from .dataset import TrajectoryWriter, finished_run, to_json
from .equations import EQUATIONS
from .ns2d import NAME as BUOYANCY, BuoyancyConfig
from .ns2d.recipe import BuoyancyRecipe
from .ns2d.switch import SWITCH_NAME, BuoyancySwitchConfig, BuoyancySwitchRecipe
from .periodic1d import Periodic1DRecipe, SimulationConfig

DatasetConfig = SimulationConfig | BuoyancyConfig
"""A configuration that :func:`generate` writes: one of a registered family (:data:`FAMILIES`)."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: a contiguous slice of the global sample indices."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not (is_int(self.index) and is_int(self.count) and 0 <= self.index < self.count):
            raise ValueError(f"shard index={self.index!r} of count={self.count!r}: need integers 0 <= index < count")

    @classmethod
    def parse(cls, text: str | None) -> "Shard":
        """``"i/n"``; ``None`` takes ``RANK``/``WORLD_SIZE`` from torchrun's environment when present."""
        if text is None:
            rank, size = os.environ.get("RANK", "0"), os.environ.get("WORLD_SIZE", "1")
            source = f"RANK={rank!r} and WORLD_SIZE={size!r} from the environment"
            form, parts = "must be integers", (rank, size)
            need = "need WORLD_SIZE >= 1 and 0 <= RANK < WORLD_SIZE"
        else:
            source, form, parts = f"shard {text!r}", "must look like i/n, e.g. 0/4", text.split("/")
            need = "need n >= 1 and 0 <= i < n"
        try:
            i, n = (int(part) for part in parts)
        except ValueError:
            raise ValueError(f"{source} {form}") from None
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f"{source}: {need}")
        return cls(i, n)

    def indices(self, num: int) -> np.ndarray:
        bounds = np.linspace(0, num, self.count + 1).round().astype(np.int64)
        return np.arange(bounds[self.index], bounds[self.index + 1])

    def path(self, out: Path) -> Path:
        if self.count == 1:
            return out
        return out.with_name(f"{out.stem}-{self.index:05d}-of-{self.count:05d}{out.suffix}")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """A usable torch device; under torchrun ``cuda`` means this process's ``LOCAL_RANK`` GPU."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device {device!r} is not a torch device; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} requested but CUDA is not available to this torch ({torch.__version__}); "
                "use --device cpu"
            )
        if dev.index is None and "LOCAL_RANK" in os.environ:
            dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} does not exist: {torch.cuda.device_count()} CUDA device(s) visible")
    elif dev.type != "cpu":
        raise ValueError(f"device {device!r} is not supported; use cpu, cuda or cuda:N")
    return dev


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Treat SIGTERM (a scheduler's pre-emption, ``kill``) like Ctrl-C, so the file is closed cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class DatasetRecipe(Protocol):
    """What the batch loop of :func:`generate` needs from a family of datasets.

    A recipe knows the fields it writes (dims after ``sample``), its coordinates, the
    per-trajectory variables, its provenance attributes and the configuration that
    fingerprints a run, and how to simulate the trajectories with given global indices.
    Trajectory ``i`` must depend only on ``(recipe, seed, i)``.
    """

    name: str
    fields: dict[str, tuple[str, ...]]
    per_sample: tuple[str, ...]

    def config(self) -> dict[str, Any]:
        """The full recipe as plain data (stored as JSON, and the resume fingerprint)."""
        ...

    def coords(self) -> dict[str, np.ndarray]: ...

    def coord_attrs(self) -> dict[str, dict[str, str]]:
        """CF attributes of every coordinate, ``sample`` included (:mod:`solvers.cf`)."""
        ...

    def variable_attrs(self) -> dict[str, dict[str, str]]:
        """CF attributes of every field and per-sample variable (:mod:`solvers.cf`)."""
        ...

    def attrs(self) -> dict[str, Any]:
        """Provenance attributes of the file besides seed, counts, config and version."""
        ...

    def simulate(self, seed: int, indices: np.ndarray, device: torch.device) -> dict[str, np.ndarray]:
        """Every field (float32, ``(n, ...)``) and per-sample variable (``(n,)``) of trajectories ``indices``.

        Raises :class:`~solvers.errors.SimulationError` naming the trajectories that cannot be stored.
        """
        ...


def _check_run_settings(num: int, batch_size: int, seed: int) -> None:
    for name, value, least in (("num", num, 1), ("batch_size", batch_size, 1), ("seed", seed, 0)):
        if not (is_int(value) and value >= least):
            kind = "a positive integer" if least == 1 else "a non-negative integer"
            raise ValueError(f"{name}={value!r} must be {kind}")


@dataclass(frozen=True)
class DatasetFamily:
    """A family of datasets: its configuration class (with ``default(name)``), its recipe, its dataset names."""

    config: type
    recipe: Callable[[Any], DatasetRecipe]
    names: tuple[str, ...]


FAMILIES: tuple[DatasetFamily, ...] = (
    DatasetFamily(SimulationConfig, Periodic1DRecipe, tuple(EQUATIONS)),
    DatasetFamily(BuoyancySwitchConfig, BuoyancySwitchRecipe, (SWITCH_NAME,)),  # before its base class's family
    DatasetFamily(BuoyancyConfig, BuoyancyRecipe, (BUOYANCY,)),
)
"""Every family :func:`generate` writes; :func:`recipe_of` and :func:`dataset_registry` read only this."""


def recipe_of(cfg: DatasetConfig) -> DatasetRecipe:
    """The :class:`DatasetRecipe` of a configuration of a family in :data:`FAMILIES`."""
    for family in FAMILIES:
        if isinstance(cfg, family.config):
            return family.recipe(cfg)
    known = ", ".join(family.config.__name__ for family in FAMILIES)
    raise TypeError(f"cannot write a dataset from a {type(cfg).__name__}: the configuration must be one of {known}")


def dataset_registry() -> dict[str, Callable[[str], DatasetConfig]]:
    """Dataset name -> ``default(name)`` of its configuration class (1D equations, 2D smoke buoyancy)."""
    return {name: family.config.default for family in FAMILIES for name in family.names}


def dataset_defaults(name: str) -> DatasetConfig:
    """The default configuration of dataset ``name``; ``ValueError`` naming the known datasets for any other name."""
    registry = dataset_registry()
    if name not in registry:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(registry)}")
    return registry[name](name)


def package_version() -> str:
    """The installed ``pdejepa`` distribution's version, stored in every file (``0.0.0+unknown`` if not installed)."""
    try:
        return metadata.version("pdejepa")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def run_fingerprint(cfg: DatasetConfig, num: int, seed: int, shard: Shard = Shard()) -> str:
    """What identifies a run's file (stored as its ``fingerprint``): recipe, seed, count and shard."""
    return _fingerprint(recipe_of(cfg).config(), num, seed, shard)


def _fingerprint(config: dict[str, Any], num: int, seed: int, shard: Shard) -> str:
    shard_key = [shard.index, shard.count]
    return to_json({"config": config, "seed": int(seed), "num": int(num), "shard": shard_key})


def generate(
    cfg: DatasetConfig,
    num: int,
    out: str | os.PathLike,
    seed: int = 0,
    device: str | torch.device | None = "cpu",
    batch_size: int = 256,
    shard: Shard = Shard(),
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    compression: str = "gzip",
    split: str | None = None,
) -> Path:
    """Simulate trajectories ``shard.indices(num)`` and write them to ``out`` (or its shard file).

    ``cfg`` is the configuration of a family in :data:`FAMILIES`: a 1D
    :class:`~solvers.periodic1d.SimulationConfig` or a :class:`~solvers.ns2d.BuoyancyConfig`.
    Trajectory ``i`` depends only on ``(cfg, seed, i)``: batch size, shard split and device
    change nothing but round-off (float64 on every device). ``compression``: of the fields' chunks
    (:data:`~solvers.dataset.COMPRESSIONS`, ``gzip:LEVEL`` for a level); ``split``: the file's
    ``split`` attribute (``train``, ``valid``, ``test``; see :mod:`solvers.splits`).
    ``resume`` continues the partial file of this run, and leaves a file this run already finished
    as it is, so rerunning every rank of a sharded run resumes each shard where it stopped.

    Returns:
        The path of the finished file.
    """
    recipe = recipe_of(cfg)
    _check_run_settings(num, batch_size, seed)
    dev = resolve_device(device)
    indices = shard.indices(num)
    config = recipe.config()
    attrs = {
        "title": f"{recipe.name} trajectories simulated by pdejepa",
        **recipe.attrs(),
        "seed": int(seed),
        "num_total": int(num),
        "shard": f"{shard.index}/{shard.count}",
        "split": split,
        "config": to_json(config),
        "version": package_version(),
        "complete": 0,
    }
    path, fingerprint = shard.path(Path(out)), _fingerprint(config, num, seed, shard)
    if resume and not overwrite and finished_run(path, fingerprint):
        # e.g. the shard of a torchrun rank that finished before another rank was killed
        if progress:
            tqdm.write(f"{path} is already complete; nothing to resume", file=sys.stderr)
        return path
    writer = TrajectoryWriter(
        path,
        fields=recipe.fields,
        coords=recipe.coords(),
        samples=indices,
        per_sample=recipe.per_sample,
        attrs=attrs,
        fingerprint=fingerprint,
        coord_attrs=recipe.coord_attrs(),
        variable_attrs=recipe.variable_attrs(),
        compression=compression,
        resume=resume,
        overwrite=overwrite,
    )
    with writer, sigterm_as_interrupt():
        start = writer.written
        desc = f"{recipe.name} -> {writer.path.name}"
        bar = tqdm(total=len(indices), initial=start, unit="traj", desc=desc, disable=not progress)
        try:
            for lo in range(start, len(indices), batch_size):
                batch = indices[lo : lo + batch_size]
                writer.write(lo, recipe.simulate(int(seed), batch, dev))
                bar.update(len(batch))
        except KeyboardInterrupt:
            bar.close()
            if not writer.written:  # the writer removes its partial file on the way out
                raise KeyboardInterrupt("interrupted before any trajectory was saved; nothing to resume") from None
            raise KeyboardInterrupt(
                f"interrupted: {writer.written}/{len(indices)} trajectories saved in {writer.partial}; "
                "rerun with --resume to continue"
            ) from None
        bar.close()
        return writer.finish({"complete": 1})
