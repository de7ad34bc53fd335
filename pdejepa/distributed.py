"""Data-parallel training (DDP): this process's rank, gathers and sums over the process group that keep
gradients, and whether this process is the first of its launch.

Under DDP each of ``N`` processes holds ``b`` samples of a global batch of ``N * b``, computes its own loss, and
DDP averages the processes' gradients. A term that needs the whole batch (VICReg's variance and covariance, a
batch norm's statistics, JEPA's variance hinge) reads it through :func:`gather` or :func:`all_sum`. Every
process then holds the same global term ``T``, and their backward passes sum the gradient over the processes:
process ``r`` gets ``N dT/dz_r``, which DDP's mean turns into exactly ``dT/dz_r``, the gradient one process
would get on the global batch. Outside a process group of two or more they return their input.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

LAUNCH_RANKS = ("RANK", "SLURM_PROCID", "NODE_RANK", "LOCAL_RANK")  # torchrun, srun, Lightning's DDP launcher


def rank_and_world() -> tuple[int, int]:
    """``(rank, world size)`` of the default process group; ``(0, 1)`` outside one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class _AllSum(torch.autograd.Function):
    """Sum over the processes. Every process's result depends on every process's input, so the gradient
    of an input is the sum over the processes of the gradients of their results: the same all-reduce."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        out = x.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad)
        return grad


def all_sum(x: torch.Tensor) -> torch.Tensor:
    """The sum of ``x`` over the processes (same shape everywhere), with gradients."""
    if rank_and_world()[1] == 1:
        return x
    return _AllSum.apply(x)


def gather(z: torch.Tensor) -> torch.Tensor:
    """``z`` ``(b, ...)`` of every process concatenated in rank order, ``(N * b, ...)``, with gradients.

    The processes' ``z`` must have the same shape (the batches of :class:`~pdejepa.data.sampling.RankBatches`).
    A sum of one ``z`` and zeros is exact, so the gathered values are bitwise those of each process.
    """
    rank, world = rank_and_world()
    if world == 1:
        return z
    slots = [z if r == rank else torch.zeros_like(z) for r in range(world)]
    return all_sum(torch.stack(slots)).flatten(0, 1)


def all_max(value: int, device: torch.device) -> int:
    """The largest ``value`` over the processes (no gradient: sizes, counts), exchanged on ``device``
    (the one the process group's backend serves: CUDA for NCCL)."""
    if rank_and_world()[1] == 1:
        return value
    t = torch.tensor([value], dtype=torch.int64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return int(t.item())


def first_process() -> bool:
    """Whether this process is the first (global rank 0) of its launch, as the launcher's environment says
    (:data:`LAUNCH_RANKS`): True for a plain run, False for the other processes of a DDP run, which must
    neither lock nor write the run folder. Read before the process group exists (before ``fit``)."""
    return all(os.environ.get(name, "0") in ("", "0") for name in LAUNCH_RANKS)
