"""The jobs that use a pretraining, one module each, each taking an :class:`~pdejepa.experiment.Experiment` and
writing its own outputs into its run folder: pretraining, regression, probing, time-stepping. :data:`JOBS` names
each job's function (``(exp, ckpt, out) -> rows``; pretraining is ``(exp, out) -> checkpoint``) and the file that
summarises its result for a reader."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from . import probing, regression, timestepping
from .pretraining import pretrain


class Job(NamedTuple):
    run: Callable[..., Any]  # the job's function
    summary: str  # the file (in the run folder) that holds its table and points to its figures


JOBS: dict[str, Job] = {
    "regress": Job(regression.regress, regression.SUMMARY),
    "probe": Job(probing.probe, probing.SUMMARY),
    "timestep": Job(timestepping.timestep, timestepping.SUMMARY),
}

__all__ = ["JOBS", "Job", "pretrain"]
