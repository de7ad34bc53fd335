"""The thread policy: how many torch threads a process uses, and how many blocks or workers share them.

- :func:`configure_threads` (:func:`choose_threads`): the cores this process may actually run on. torch
  starts one OpenMP thread per CPU it believes it has. A process restricted by CPU affinity (``taskset``,
  a batch scheduler's allocation) or by a cgroup CPU quota (``docker --cpus``, a systemd slice) then runs
  more threads than cores, and every parallel region waits for the thread the kernel has not scheduled:
  the same job can run many times slower (see ``benchmarks/threads.py``). So the count is
  ``min(len(sched_getaffinity), floor(quota / period))``, at least 1, and the user's when
  ``OMP_NUM_THREADS`` is set.
- :func:`solver_blocks`: how many blocks of rows :func:`solvers.simulate` integrates side by side.
- :func:`job_workers` and :func:`threads_per_worker`: how many processes run independent jobs side by
  side, and the torch threads each gets.
- :func:`torch_threads`: torch's thread count set for a block of code, then restored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import torch

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
# cgroup v1 mounts the cpu controller under one of these names
V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")
# the fewest rows per block for which integrating blocks side by side pays on the CPU (see solver_blocks)
BLOCK_ROWS = 128


def affinity_cores() -> int:
    """CPUs in this process's affinity mask (all CPUs where the platform has no affinity)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _own_cgroups(proc_cgroup: Path) -> dict[str, str]:
    """Controller list -> this process's cgroup path, from ``/proc/self/cgroup`` (``""`` names v2)."""
    own = {}
    for line in (_read(proc_cgroup) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            own[parts[1]] = parts[2]
    return own


def _levels(base: Path, inner: str | None) -> Iterator[Path]:
    """``base`` joined with the process's cgroup path and each of its ancestors, down to ``base``."""
    if inner:
        path = base / inner.strip("/")
        while path != base and base in path.parents:
            yield path
            path = path.parent
    yield base


def _quota(text_quota: str | None, text_period: str | None) -> float | None:
    """CPUs that ``quota / period`` allow, or None for no limit (``max``, ``-1``) or unreadable values."""
    try:
        quota, period = float(text_quota or ""), float(text_period or "")
    except ValueError:
        return None
    if quota <= 0 or period <= 0 or not math.isfinite(quota / period):
        return None
    return quota / period


def cgroup_cpu_limit(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """CPUs allowed by the tightest cgroup CPU quota over this process's cgroup and its ancestors.

    cgroup v2: ``cpu.max`` holds ``"<quota> <period>"`` or ``"max <period>"``; cgroup v1:
    ``cpu.cfs_quota_us`` (``-1`` for none) and ``cpu.cfs_period_us`` in the cpu controller's
    directory. Both the mount root (what a container sees) and the process's own cgroup path from
    ``/proc/self/cgroup`` (a host's slices) are read. None where no quota is set or readable.
    """
    own = _own_cgroups(proc_cgroup)
    v1_inner = next((path for controllers, path in own.items() if "cpu" in controllers.split(",")), None)
    limits = []
    for level in _levels(cgroup_root, own.get("")):
        fields = (_read(level / "cpu.max") or "").split()
        if len(fields) == 2:
            limits.append(_quota(*fields))
    for name in V1_CPU_DIRS:
        for level in _levels(cgroup_root / name, v1_inner):
            limits.append(_quota(_read(level / "cpu.cfs_quota_us"), _read(level / "cpu.cfs_period_us")))
    found = [limit for limit in limits if limit is not None]
    return min(found) if found else None


def choose_threads(
    environ: Mapping[str, str] | None = None,
    affinity: int | None = None,
    cgroup_root: Path = CGROUP_ROOT,
    proc_cgroup: Path = PROC_CGROUP,
) -> int | None:
    """Torch threads for this process, or None when ``OMP_NUM_THREADS`` is set (the user's choice stands).

    ``min(affinity, floor(cgroup quota))`` and at least 1: a fractional quota rounds down, since a
    thread the quota cannot feed stalls the others at every parallel region.

    Args:
        environ: the environment (default ``os.environ``).
        affinity: CPUs in the affinity mask (default :func:`affinity_cores`).
    """
    environ = os.environ if environ is None else environ
    if environ.get("OMP_NUM_THREADS", "").strip():
        return None
    cores = affinity_cores() if affinity is None else affinity
    quota = cgroup_cpu_limit(cgroup_root, proc_cgroup)
    if quota is not None:
        cores = min(cores, math.floor(quota))
    return max(1, cores)


def configure_threads(environ: Mapping[str, str] | None = None) -> int:
    """Set torch's intra-op threads to :func:`choose_threads` (unless ``OMP_NUM_THREADS`` is set); returns the count."""
    threads = choose_threads(environ)
    if threads is not None and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    return torch.get_num_threads()


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op thread count set to ``count`` for the block, then restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def solver_blocks(batch: int, device: torch.device) -> int:
    """Blocks of rows :func:`solvers.simulate` integrates side by side by default: on the CPU one per torch
    thread, but no more than leave each :data:`BLOCK_ROWS` rows (at least one block); on a GPU one (a single
    stream is already parallel)."""
    return max(1, min(torch.get_num_threads(), batch // BLOCK_ROWS)) if device.type == "cpu" else 1


def job_workers(jobs: int, accelerator: bool | None = None) -> int:
    """Processes that run ``jobs`` independent jobs side by side: one per torch thread on the CPU, at most one
    per job; one where an accelerator (CUDA, MPS) is used, which that worker holds (``None``: one is used where
    one is available, as Lightning's ``auto``)."""
    if accelerator is None:
        accelerator = torch.cuda.is_available() or torch.backends.mps.is_available()
    return 1 if accelerator else max(1, min(jobs, torch.get_num_threads()))


def threads_per_worker(workers: int) -> int:
    """The torch threads each of ``workers`` processes gets: this process's share, at least one."""
    return max(1, torch.get_num_threads() // workers)
