"""Shared test set-up: an isolated on-disk cache for derived symmetries, and single-threaded torch on request."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def isolated_symmetry_cache(tmp_path_factory):
    """Derive once per test session into a private cache, never into the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PDEJEPA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture
def one_torch_thread(monkeypatch):
    """Run torch single-threaded in these tests.

    Results do not depend on it (rows are independent), but on a small shared CPU
    torch's intra-op threads make batched FFTs of a few 64-point rows about 1000x
    slower (milliseconds instead of microseconds per call), which would dominate
    the run time of a test file. ``OMP_NUM_THREADS=1`` tells the CLI (which otherwise
    picks the usable cores at start-up, :mod:`solvers.threads`) to keep it so.
    """
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
