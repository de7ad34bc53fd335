"""The trajectory files an experiment reads: simulated to the config's order under ``data.dir``, or given by
``data.files`` (e.g. written by ``pdejepa import``; :mod:`.description` reads what they hold) and checked to hold
what the config needs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from solvers.dataset import partial_path
from solvers.errors import OutputLockedError
from solvers.generate import dataset_defaults, generate, run_fingerprint
from solvers.reader import open_trajectories
from solvers.splits import split_path, split_seed

from ..config.sections import DataConfig
from .description import FileDescription, describe
from .trajectories import open_h5


# seconds between two looks at a file that another process is writing
WAIT_POLL = 1.0


def simulated_file(data: DataConfig, split: str, progress: bool = True) -> Path:
    """``<data.dir>/<equation>_<split>.h5``, generated with the split's own seed (:mod:`solvers.splits`) if it is
    not there yet; a file already there must hold what ``data`` asks for (same recipe, count and seed).

    While another process writes the file (the ranks of a job started by torchrun or SLURM all look for the
    data at once), this one waits for it rather than failing on its lock; should the writer die, the first
    waiter to take the lock resumes the partial file."""
    sim = dataset_defaults(data.equation).updated(**data.simulation)
    num = {"train": data.num_train, "valid": data.num_valid, "test": data.num_test}[split]
    seed = split_seed(data.seed, split)
    path = split_path(Path(data.dir) / f"{data.equation}.h5", split)
    expected = run_fingerprint(sim, num, seed)
    waiting = False
    while not path.exists():
        try:
            generate(sim, num, path, seed=seed, progress=progress, resume=partial_path(path).exists(), split=split)
        except FileExistsError as err:  # locked by another writer, or finished by it since the check above
            if path.exists():
                continue
            if not isinstance(err, OutputLockedError):
                raise
            if not waiting:
                print(f"waiting for another process to finish writing {path} ({err})", file=sys.stderr, flush=True)
                waiting = True
            time.sleep(WAIT_POLL)
    with open_h5(path) as f:
        stored = f.attrs.get("fingerprint", "")
    if stored != expected:
        raise ValueError(
            f"{path} holds another dataset than this config asks for (data.simulation, num_{split} or seed "
            f"differ): stored {stored}, requested {expected}; set data.dir to another folder, or delete the file"
        )
    return path


def given_file(data: DataConfig, split: str, train: FileDescription, variables: tuple[str, ...]) -> Path:
    """``data.files.<split>``, refused in one line unless it holds the data of the training file ``train``
    (:func:`~.description.describe_training_file`) and the per-sample ``variables`` (``data.label`` first). A built-in
    dataset's file must be a finished trajectory file of ours of its layout whose ``equation`` attribute is
    ``data.equation`` (:func:`check_trajectory_file`); a generic one must hold the same equation, fields and grid as
    ``train`` (:meth:`~.description.FileDescription.check_like`). No fingerprint is checked and nothing is
    simulated: the file is used as it is, whatever its size."""
    name = f"data.files.{split}"
    path = Path(getattr(data.files, split))
    if train.built_in:
        dataset_defaults(data.equation)  # refuses an unknown name
        check_trajectory_file(path, name, data.equation, train.kind.upper(), variables)
        return path
    given = train if split == "train" else describe(path, name)
    given.check_like(train)
    given.check_variables(variables)
    return path


def check_trajectory_file(path: Path, name: str, equation: str, layout: str, variables: tuple[str, ...]) -> None:
    """Refuse in one line (naming it ``name=path``) a file that is not a finished trajectory file of ours
    (:func:`solvers.reader.open_trajectories`) of ``layout`` (``"1D"`` or ``"2D"``), whose ``equation`` attribute
    is not ``equation`` or which lacks one of the per-sample ``variables``."""
    if not path.is_file():
        raise FileNotFoundError(f"{name}={path} does not exist: give a trajectory file of ours (pdejepa import)")
    try:
        with open_trajectories(path, layout) as (ds, _):
            held = str(ds.attrs.get("equation", "(none)"))
            per_sample = sorted(str(n) for n, v in ds.data_vars.items() if v.dims == ("sample",))
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    if held != equation:
        raise ValueError(f"{name}={path} holds equation {held!r}, not data.equation={equation!r}")
    missing = [v for v in variables if v not in per_sample]
    if missing:
        raise ValueError(f"{name}={path} lacks per-sample variable(s) {missing}; it has {per_sample}")
