"""The jobs, one module each, each writing its own outputs into its run folder: generation (a dataset from a
recipe), pretraining, and the jobs that use a pretraining's frozen encoder (regression, probing, time-stepping),
which take an :class:`~pdejepa.experiment.Experiment`, a checkpoint and a folder and return their rows.

:data:`EVALUATIONS` names the module and function of each job that uses an encoder; each such module's ``SUMMARY``
is the file that holds its table and points to its figures. Modules are imported when a job runs, so that the
command line's help does not load what the jobs need.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from types import ModuleType
from typing import Any

EVALUATIONS: dict[str, tuple[str, str]] = {  # job -> (module of this package, its function)
    "regress": ("regression", "regress"),
    "probe": ("probing", "probe"),
    "timestep": ("timestepping", "timestep"),
}


def evaluation(job: str) -> tuple[Callable[..., Any], ModuleType]:
    """The function of the job ``job`` (``(exp, ckpt, out) -> rows``) and its module."""
    module_name, function = EVALUATIONS[job]
    module = import_module(f"{__name__}.{module_name}")
    return getattr(module, function), module
