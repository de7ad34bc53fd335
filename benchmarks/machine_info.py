"""The machine a benchmark ran on, printed at the top of its output (shared by every benchmark)."""

from __future__ import annotations

import datetime
import os
import platform

import numpy as np
import torch


def cpu_name() -> str:
    """The CPU's model name as the OS reports it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average() -> str:
    """1/5/15-minute load averages: a busy machine distorts torch's CPU timings."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


def machine_lines(*libraries: str) -> list[str]:
    """Date, CPU and cores, GPU when there is one, and versions (torch, numpy, plus ``libraries``)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = [f"torch {torch.__version__} ({torch.get_num_threads()} threads)", f"numpy {np.__version__}"]
    for name in libraries:
        try:
            from importlib.metadata import version

            versions.append(f"{name} {version(name)}")
        except Exception:  # a missing peer is reported, not fatal
            versions.append(f"{name} not installed")
    lines = [
        f"date: {datetime.date.today().isoformat()}",
        f"machine: {cpu_name()}, {cores} cores available to this process, {platform.system()} {platform.machine()}",
        f"python {platform.python_version()}, " + ", ".join(versions),
    ]
    if torch.cuda.is_available():
        lines.append(f"gpu: {torch.cuda.get_device_name()}")
    lines.append(f"load average at start (1/5/15 min): {load_average()}")
    return lines
