"""Batched time integration of a 1D equation with ETDRK4, with resolution and blow-up checks."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import torch

from .checks import is_int
from .equations import Equation
from .etdrk4 import ETDRK4Coefficients, FusedETDRK4, etdrk4_coefficients, etdrk4_step
from .spectral import cutoff_index, dealias_mask, tail_ratio, wavenumbers
from .threads import solver_blocks, torch_threads

Step = Callable[[torch.Tensor], torch.Tensor]
PRECISIONS = {torch.float64: torch.complex128, torch.float32: torch.complex64}


@dataclass
class Trajectories:
    """Result of :func:`simulate` for a batch.

    u: ``(batch, nt, nx)`` solution at the output times, in ``u0``'s dtype (float64 or float32).
    tail: ``(batch,)`` largest :func:`~solvers.spectral.tail_ratio` over the stored frames.
    finite: ``(batch,)`` False where the trajectory went non-finite or blew up.
    """

    u: torch.Tensor
    tail: torch.Tensor
    finite: torch.Tensor


def substeps(interval: float, dt: float) -> tuple[int, float]:
    """Split an output interval into the fewest equal steps no longer than ``dt``."""
    n = max(1, math.ceil(interval / dt - 1e-9))
    return n, interval / n


def simulate(
    equation: Equation,
    u0: torch.Tensor,
    params: dict[str, torch.Tensor],
    times: torch.Tensor,
    dt: float,
    blowup_factor: float = 1e3,
    *,
    chunk: int | None = None,
    workers: int | None = None,
    fused: bool = True,
    numba: bool | None = None,
    compiled: bool = False,
) -> Trajectories:
    """Integrate ``u_t = Lin u + N(u)`` from ``u0`` at ``t = 0`` and sample it at ``times``.

    Args:
        equation: one of :data:`solvers.equations.EQUATIONS`.
        u0: ``(batch, nx)`` initial fields on the periodic grid ``x_j = j L / nx``. Its dtype is the
            working precision: float64 (the datasets' default) or float32, about twice as fast on
            the CPU but short of the recipes' 1e-4 resolution bar on KS and KdV, where chaos and
            long horizons amplify its round-off (see the tests); coefficients are computed in float64.
        params: every parameter of ``equation`` (``L`` included), each ``(batch,)``.
        times: ``(nt,)`` increasing output times ``>= 0``; a time of 0 stores ``u0``.
        dt: largest internal step; each output interval is split into equal steps.
        blowup_factor: a trajectory whose ``max |u|`` exceeds this factor times
            ``max(1, max |u0|)`` counts as blown up.
        chunk: integrate at most this many rows together (rows are independent); default: the
            whole batch. Smaller chunks bound the stage buffers' memory.
        workers: split the rows into this many contiguous blocks, integrated side by side by as many
            Python threads with one torch thread each (1: the whole batch in one block, with torch's threads
            inside each operation). Default (None), on the CPU: :func:`~solvers.threads.solver_blocks` blocks,
            one per torch thread where each gets :data:`~solvers.threads.BLOCK_ROWS` rows, fewer for smaller
            batches, each with one torch thread. Every row is then computed single-threaded, so results are
            bitwise the same for any batch size and thread count (torch's FFTs of up to 64 points give other
            last bits with several threads). Blocks keep the cores busy where torch's own threads do not at
            these sizes, but lose to the interpreter lock on small blocks (figures in
            ``benchmarks/RESULTS.md``). torch's thread count is per thread: the caller's is restored, and only
            a thread that first uses torch while blocks run would start with one. A compiled step runs in one
            block, with torch's threads.
        fused: step with :class:`~solvers.etdrk4.FusedETDRK4` (default) rather than the reference
            :func:`~solvers.etdrk4.etdrk4_step`; the two agree to round-off.
        numba: the fused step's stage updates as numba loops (:mod:`solvers.etdrk4_kernels`; CPU only;
            they release the interpreter lock) or as torch operations; default: numba on the CPU unless
            ``compiled``. The two agree to round-off.
        compiled: wrap the fused step in ``torch.compile`` (on the CPU it needs a C++ compiler).
            Off by default: the complex arithmetic falls back to eager kernels, so the compiled step does not
            pay for its compilation (``benchmarks/solvers_1d.py --compiled`` compares the two).
    Returns:
        :class:`Trajectories`; rows that blew up are zeroed after the fact and flagged.
    """
    batch, nx = u0.shape
    if u0.dtype not in PRECISIONS:
        raise ValueError(f"u0 has dtype {u0.dtype}; the solvers run in float64 (default) or float32")
    chunk = max(batch, 1) if chunk is None else chunk
    if not (is_int(chunk) and chunk >= 1):
        raise ValueError(f"chunk={chunk!r} must be a positive integer or None (the whole batch)")
    one_thread = workers is None and u0.device.type == "cpu" and not compiled  # the default's blocks
    workers = (1 if compiled else solver_blocks(batch, u0.device)) if workers is None else workers
    if not (is_int(workers) and workers >= 1):
        raise ValueError(f"workers={workers!r} must be a positive integer or None (solver_blocks)")
    if compiled and workers > 1:
        raise ValueError(f"workers={workers} with compiled=True: a compiled step runs in one worker")
    if compiled and numba:
        raise ValueError("numba=True with compiled=True: torch.compile traces torch operations, not numba loops")
    if numba and not fused:
        raise ValueError("numba=True with fused=False: the numba loops belong to the fused step")
    if numba and u0.device.type != "cpu":
        raise ValueError(f"numba=True with u0 on {u0.device}: the numba loops run on the CPU")
    numba = False if compiled else numba  # torch.compile traces torch operations
    result = Trajectories(
        u=torch.empty(batch, len(times), nx, device=u0.device, dtype=u0.dtype),
        tail=torch.zeros(batch, device=u0.device, dtype=u0.dtype),
        finite=torch.ones(batch, device=u0.device, dtype=torch.bool),
    )

    def integrate_block(block: slice, stop: threading.Event) -> None:
        for lo in range(block.start, block.stop, chunk):
            rows = slice(lo, min(lo + chunk, block.stop))
            part = {k: v.reshape(-1)[rows] if v.numel() == batch else v for k, v in params.items()}
            out = Trajectories(u=result.u[rows], tail=result.tail[rows], finite=result.finite[rows])
            _integrate(
                equation,
                u0[rows],
                part,
                times,
                dt,
                blowup_factor,
                out,
                fused=fused,
                numba=numba,
                compiled=compiled,
                stop=stop,
            )

    run_blocks(integrate_block, row_blocks(batch, workers), one_thread=one_thread)
    return result


def run_blocks(work: Callable[[slice, threading.Event], None], blocks: list[slice], *, one_thread: bool) -> None:
    """Run ``work(block, stop)`` for every block: one block in the calling thread (with one torch thread if
    ``one_thread``), several side by side in Python threads with one torch thread each, in the caller's grad
    and inference modes. An error or interrupt in the caller or a block sets ``stop`` (which ``work`` checks
    between output frames) and is raised once the other blocks have stopped."""
    stop = threading.Event()
    if len(blocks) == 1:
        with torch_threads(1) if one_thread else nullcontext():
            work(blocks[0], stop)
        return
    grad, inference = torch.is_grad_enabled(), torch.is_inference_mode_enabled()

    def run(block: slice) -> None:
        with torch.inference_mode(inference), torch.set_grad_enabled(grad):
            work(block, stop)

    with torch_threads(1), ThreadPoolExecutor(len(blocks), thread_name_prefix="simulate") as pool:
        futures = [pool.submit(run, block) for block in blocks]
        try:
            for done in futures:
                done.result()  # re-raises a block's error
        except BaseException:
            stop.set()
            raise


def row_blocks(batch: int, workers: int) -> list[slice]:
    """``batch`` rows cut into ``min(workers, batch)`` contiguous blocks whose sizes differ by at most one
    (one empty block for no rows)."""
    n = max(1, min(workers, batch))
    bounds = [batch * i // n for i in range(n + 1)]
    return [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _integrate(
    equation: Equation,
    u0: torch.Tensor,
    params: dict[str, torch.Tensor],
    times: torch.Tensor,
    dt: float,
    blowup_factor: float,
    out: Trajectories,
    *,
    fused: bool,
    numba: bool | None,
    compiled: bool,
    stop: threading.Event,
) -> None:
    """:func:`simulate` for one chunk of rows, writing into ``out``'s (views of the result's) tensors; returns
    early, leaving ``out`` unfinished, once ``stop`` is set."""
    nx, device, dtype = u0.shape[1], u0.device, u0.dtype
    p64 = {name: value.to(device=device, dtype=torch.float64).reshape(-1, 1) for name, value in params.items()}
    # a parameter equal on every row (a fixed L, say) is kept once: operators and coefficients that
    # depend only on such parameters are then (1, nk), computed once and shared by the rows
    p64 = {name: value[:1] if bool((value == value[:1]).all()) else value for name, value in p64.items()}
    p = {name: value.to(dtype) for name, value in p64.items()}
    k = wavenumbers(nx, p64["L"][:, 0])
    mask = dealias_mask(nx, device)
    lin = equation.linear(k, p64)  # the coefficients in float64 whatever the working precision
    nonlinear = equation.nonlinear(k.to(dtype), mask, p)

    def stepper(c: ETDRK4Coefficients) -> Step:
        if fused:
            fused_step = FusedETDRK4(c, nonlinear, cutoff_index(nx) + 1, PRECISIONS[dtype], numba=numba).step
            return torch.compile(fused_step, dynamic=False) if compiled else fused_step
        c = c.to(PRECISIONS[dtype])
        return lambda v: etdrk4_step(v, c, nonlinear)

    v = torch.fft.rfft(u0) * mask
    bound = blowup_factor * u0.abs().amax(dim=-1).clamp_min(1.0)
    steps: dict[float, Step] = {}  # by step size: output intervals of equal length share one
    t = 0.0
    for i, t_out in enumerate(times.tolist()):
        if stop.is_set():
            return
        n, h = substeps(t_out - t, dt) if t_out > t else (0, 0.0)
        if n:
            step = steps.get(round(h, 12))
            if step is None:
                step = steps[round(h, 12)] = stepper(etdrk4_coefficients(lin, h))
            for _ in range(n):
                v = step(v)
        t = t_out
        u = torch.fft.irfft(v, n=nx)
        ok = torch.isfinite(u).all(dim=-1) & (u.abs().amax(dim=-1) <= bound)
        if not bool(ok.all()):
            # rows are independent in a spectral method: silence the bad ones and carry on
            out.finite &= ok
            v = torch.where(ok[:, None], v, torch.zeros_like(v))
            u = torch.where(ok[:, None], u, torch.zeros_like(u))
        out.u[:, i] = u
        torch.maximum(out.tail, tail_ratio(v), out=out.tail)
