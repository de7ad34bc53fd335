"""Shared test set-up: an isolated on-disk cache for derived symmetries."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def isolated_symmetry_cache(tmp_path_factory):
    """Derive once per test session into a private cache, never into the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PDEJEPA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()
