"""Independent jobs of a long run side by side, in spawned processes that each own some of torch's threads.

Small models use several torch threads poorly: two single-threaded processes side by side train two CPU-sized
smoke steppers faster than one process with both threads trains them in turn (``benchmarks/stepper_workers.py``,
figures in ``benchmarks/RESULTS.md``). So jobs such as one stepper per seed and variant run as processes of
``threads // workers`` threads each.

Workers are spawned, so a script that starts jobs must guard its entry point (``if __name__ == "__main__":``):
each worker imports the script's main module again. Shared tensors travel through shared memory.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import torch

from solvers.threads import threads_per_worker

_shared: dict[str, Any] = {}  # a worker's shared keyword arguments, set once when it starts


def _exit_with_parent(parent: int) -> None:
    """End this worker once its parent is gone (killed, say), rather than finish a job nobody reads."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _start_worker(threads: int, parent: int, shared: dict[str, Any]) -> None:
    global _shared
    torch.set_num_threads(threads)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    _shared = shared


def _run(fn: Callable[..., Any], job: tuple) -> Any:
    return fn(*job, **_shared)


@contextmanager
def _handlers(handlers: dict[int, Any]) -> Iterator[None]:
    """``signal.signal`` for each of ``handlers`` within the block, then the previous ones (on the main thread
    only, where Python runs handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {number: signal.signal(number, handler) for number, handler in handlers.items()}
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool``'s workers now, mid-job, and wait until the pool has reaped them (Python 3.14's
    ``terminate_workers``; before it, through the pool's process table)."""
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    *,
    shared: dict[str, Any] | None = None,
    workers: int = 1,
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[fn(*job, **shared) for job in jobs]``, by ``min(workers, len(jobs))`` processes.

    With one, the jobs run here, in order. With more, each is a spawned process with
    :func:`threads_per_worker` torch threads that receives ``shared`` once and takes the next job when it
    finishes one; ``fn`` must be importable (module level) and seed its own random draws, so that a job's result
    depends on its arguments and its threads, not on which worker ran it or when. ``on_result(index, result)``
    is called here as each job finishes (in the order they finish). An error in a job, a worker that dies, an
    interrupt or SIGTERM here terminates the workers and is raised here.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    jobs, shared = list(jobs), shared or {}
    workers = min(workers, len(jobs))
    results: list[Any] = [None] * len(jobs)
    if workers <= 1:
        for index, job in enumerate(jobs):
            results[index] = fn(*job, **shared)
            if on_result is not None:
                on_result(index, results[index])
        return results
    context = torch.multiprocessing.get_context("spawn")
    start = (threads_per_worker(workers), os.getpid(), shared)
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=start)
    try:
        with _handlers({signal.SIGTERM: _on_sigterm}):  # SIGTERM here ends the workers too
            with _handlers({signal.SIGINT: signal.SIG_IGN}):  # inherited by the workers: Ctrl-C is for us only
                try:
                    pending = {pool.submit(_run, fn, job): index for index, job in enumerate(jobs)}
                except Exception as error:  # e.g. too little shared memory for ``shared`` (a container's --shm-size)
                    raise RuntimeError(f"could not start {workers} worker processes ({error}); use 1 worker") from error
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    results[index] = future.result()
                    if on_result is not None:
                        on_result(index, results[index])
    except BrokenProcessPool as error:
        _terminate(pool)
        raise RuntimeError(
            "a worker process ended abruptly (killed, out of memory, or started by a script without an "
            "`if __name__ == '__main__':` guard); 1 worker runs the jobs here and shows why"
        ) from error
    except BaseException:
        _terminate(pool)
        raise
    pool.shutdown()
    return results
