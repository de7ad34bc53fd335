"""The thread policy: the torch thread count chosen from affinity, cgroup quotas and OMP_NUM_THREADS (on faked
files), and the blocks and workers that share the threads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from solvers import threads
from solvers.threads import (
    BLOCK_ROWS,
    cgroup_cpu_limit,
    choose_threads,
    configure_threads,
    job_workers,
    solver_blocks,
    threads_per_worker,
    torch_threads,
)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


@pytest.fixture
def fake(tmp_path):
    """An empty cgroup mount and a /proc/self/cgroup naming the root cgroup (as inside a container)."""
    root, proc = tmp_path / "cgroup", tmp_path / "proc_self_cgroup"
    root.mkdir()
    write(proc, "0::/")
    return root, proc


def chosen(fake, affinity: int, environ: dict[str, str] | None = None) -> int | None:
    root, proc = fake
    return choose_threads(environ=environ or {}, affinity=affinity, cgroup_root=root, proc_cgroup=proc)


def test_no_quota_uses_the_affinity_mask(fake):
    assert cgroup_cpu_limit(*fake) is None
    assert chosen(fake, affinity=6) == 6
    write(fake[0] / "cpu.max", "max 100000")  # v2 without a limit
    write(fake[0] / "cpu" / "cpu.cfs_quota_us", "-1")  # v1 without a limit
    write(fake[0] / "cpu" / "cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(*fake) is None
    assert chosen(fake, affinity=6) == 6


@pytest.mark.parametrize(("quota", "expected"), [("200000 100000", 2), ("150000 100000", 1), ("50000 100000", 1)])
def test_v2_quota_rounds_down_and_keeps_one_thread(fake, quota, expected):
    write(fake[0] / "cpu.max", quota)
    assert chosen(fake, affinity=64) == expected


def test_v1_quota_under_either_controller_name(fake):
    write(fake[0] / "cpu,cpuacct" / "cpu.cfs_quota_us", "300000")
    write(fake[0] / "cpu,cpuacct" / "cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(*fake) == pytest.approx(3.0)
    assert chosen(fake, affinity=64) == 3


def test_affinity_below_the_quota_wins(fake):
    write(fake[0] / "cpu.max", "800000 100000")
    assert chosen(fake, affinity=2) == 2


def test_quota_of_the_process_cgroup_or_an_ancestor(tmp_path):
    """On a host the quota sits in the process's own cgroup (or a parent slice), named by /proc/self/cgroup."""
    root, proc = tmp_path / "cgroup", tmp_path / "proc_self_cgroup"
    write(proc, "0::/user.slice/job.scope")
    write(root / "user.slice" / "job.scope" / "cpu.max", "max 100000")
    write(root / "user.slice" / "cpu.max", "250000 100000")
    assert cgroup_cpu_limit(root, proc) == pytest.approx(2.5)
    write(proc, "4:cpu,cpuacct:/batch/job7\n0::/")  # cgroup v1
    write(root / "cpu,cpuacct" / "batch" / "job7" / "cpu.cfs_quota_us", "100000")
    write(root / "cpu,cpuacct" / "batch" / "job7" / "cpu.cfs_period_us", "100000")
    assert cgroup_cpu_limit(root, proc) == pytest.approx(1.0)


def test_unreadable_or_garbled_files_mean_no_quota(fake):
    write(fake[0] / "cpu.max", "lots 100000")
    write(fake[0] / "cpu" / "cpu.cfs_quota_us", "")
    write(fake[0] / "cpu" / "cpu.cfs_period_us", "0")
    assert cgroup_cpu_limit(*fake) is None
    root, _ = fake
    assert cgroup_cpu_limit(root, root / "missing") is None  # no /proc/self/cgroup either


def test_omp_num_threads_is_the_users_choice(fake):
    write(fake[0] / "cpu.max", "100000 100000")
    assert chosen(fake, affinity=8, environ={"OMP_NUM_THREADS": "4"}) is None
    assert chosen(fake, affinity=8, environ={"OMP_NUM_THREADS": " "}) == 1  # blank: unset


def test_configure_threads_sets_torch_and_respects_omp(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(threads, "choose_threads", lambda environ=None: 1)
        assert configure_threads({}) == 1 and torch.get_num_threads() == 1
        torch.set_num_threads(2)
        monkeypatch.setattr(threads, "choose_threads", lambda environ=None: None)  # OMP_NUM_THREADS set
        assert configure_threads({"OMP_NUM_THREADS": "2"}) == 2
    finally:
        torch.set_num_threads(before)


def test_this_machine_gets_between_one_thread_and_its_affinity_cores():
    n = choose_threads(environ={})
    assert n is not None and 1 <= n <= threads.affinity_cores()


def test_solver_blocks_follow_torch_threads_but_keep_block_rows_each():
    cpu = torch.device("cpu")
    with torch_threads(2):  # one block per thread, but each with BLOCK_ROWS rows (at least one block)
        assert solver_blocks(0, cpu) == solver_blocks(2 * BLOCK_ROWS - 1, cpu) == 1
        assert solver_blocks(2 * BLOCK_ROWS, cpu) == solver_blocks(10**6, cpu) == 2
    with torch_threads(1):
        assert solver_blocks(10**6, cpu) == 1
    assert solver_blocks(10**6, torch.device("cuda")) == 1


def test_job_workers_follow_torch_threads_and_the_jobs():
    with torch_threads(2):
        assert job_workers(9, accelerator=False) == 2 and threads_per_worker(2) == 1
        assert job_workers(1, accelerator=False) == 1
        assert job_workers(9, accelerator=True) == 1
    with torch_threads(1):
        assert job_workers(9, accelerator=False) == 1 and threads_per_worker(2) == 1
