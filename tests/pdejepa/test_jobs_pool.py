"""Jobs side by side in spawned processes (pdejepa.jobs.pool): the same results as one after the other."""

from __future__ import annotations

import multiprocessing
import operator
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool

import pytest
import torch

from pdejepa.jobs.stepper_codes import Codes
from pdejepa.config import TimestepConfig, load_config
from pdejepa.jobs.pool import run_jobs
from pdejepa.jobs.timestepping import fit_and_evaluate, stepper
from pdejepa.outputs import state_from_bytes
from solvers.threads import torch_threads


def test_jobs_run_here_in_order_with_one_worker():
    seen = []
    results = run_jobs(pow, [(3,), (4,), (5,)], shared={"exp": 2}, on_result=lambda i, r: seen.append((i, r)))
    assert results == [9, 16, 25] and seen == [(0, 9), (1, 16), (2, 25)]
    assert run_jobs(pow, [], workers=4) == []
    with pytest.raises(ValueError, match="workers must be >= 1, got 0"):
        run_jobs(pow, [(1, 2)], workers=0)


def test_jobs_side_by_side_give_the_results_in_job_order():
    seen = []
    results = run_jobs(pow, [(3,), (4,), (5,)], shared={"exp": 2}, workers=2, on_result=lambda i, r: seen.append(i))
    assert results == [9, 16, 25] and sorted(seen) == [0, 1, 2]
    assert multiprocessing.active_children() == []


def test_an_error_in_a_worker_is_raised_here_and_the_workers_end():
    with pytest.raises(ZeroDivisionError):
        run_jobs(operator.truediv, [(1, 1), (1, 0), (2, 1)], workers=2)
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_reported_not_waited_for():
    with pytest.raises(RuntimeError, match="a worker process ended abruptly") as error:
        run_jobs(os._exit, [(1,), (1,)], workers=2)
    assert isinstance(error.value.__cause__, BrokenProcessPool)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("stop", ["interrupt", "sigterm"])
def test_an_interrupt_or_sigterm_here_terminates_workers_mid_job(stop):
    def on_result(index: int, result: object) -> None:
        if stop == "interrupt":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises at once

    handler = signal.getsignal(signal.SIGTERM)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt if stop == "interrupt" else SystemExit):
        run_jobs(time.sleep, [(0.0,), (60.0,), (60.0,)], workers=2, on_result=on_result)
    assert time.perf_counter() - start < 30  # the 60 s jobs were stopped
    assert multiprocessing.active_children() == []
    assert signal.getsignal(signal.SIGTERM) == handler


def test_timestep_workers_must_be_a_count():
    with pytest.raises(ValueError, match="timestep.workers"):
        load_config(None, ["timestep.workers=0"])


def test_steppers_trained_side_by_side_equal_those_trained_one_after_the_other():
    """Two workers of one thread each give the bits of one thread here: a stepper depends on its seed and
    threads, not on which process trained it."""
    g = torch.Generator().manual_seed(0)
    u_train, u_test = torch.randn(6, 5, 3, 8, 8, generator=g), torch.randn(2, 5, 3, 8, 8, generator=g)
    z_train, z_test = torch.randn(6, 2, generator=g), torch.randn(2, 2, generator=g)
    codes = Codes(
        train={"none": torch.zeros(6, 0), "ssl": z_train},
        test={"none": torch.zeros(2, 0), "ssl": z_test},
        starts=(-2,),
        length=2,
    )
    t = TimestepConfig(horizon=2, modes=2, hidden=4, layers=1, steps=3, batch_size=4)
    jobs = [("none", 0), ("ssl", 0), ("ssl", 1)]
    shared = {"t": t, "progress": False, "data": (u_train, u_test), "codes": codes, "diagnostics": None}
    with torch_threads(2):
        side_by_side = run_jobs(fit_and_evaluate, jobs, shared=shared, workers=2)
    with torch_threads(1):
        in_turn = run_jobs(fit_and_evaluate, jobs, shared=shared, workers=1)
    for (metrics, hparams, weights), (metrics_here, hparams_here, weights_here) in zip(side_by_side, in_turn):
        assert metrics == metrics_here and hparams == hparams_here
        state, state_here = state_from_bytes(weights), state_from_bytes(weights_here)
        assert state.keys() == state_here.keys()
        assert all(torch.equal(state[k], state_here[k]) for k in state)
    assert side_by_side[1][0] != side_by_side[2][0]  # another seed, another stepper
    rebuilt = stepper(*side_by_side[1][1:])
    assert rebuilt.evaluate(u_test, z_test) == side_by_side[1][0]
