"""How many torch threads a CPU job should use: the cores this process may actually run on.

torch starts one OpenMP thread per CPU it believes it has. A process restricted by CPU
affinity (``taskset``, a batch scheduler's allocation) or by a cgroup CPU quota (``docker
--cpus``, a systemd slice) then runs more threads than cores, and every parallel region waits
for the thread the kernel has not scheduled: the same job can run many times slower (see
``benchmarks/threads.py``). :func:`choose_threads` counts the usable cores:
``min(len(sched_getaffinity), floor(quota / period))``, at least 1, and leaves the choice to
the user when ``OMP_NUM_THREADS`` is set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
# cgroup v1 mounts the cpu controller under one of these names
V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


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
