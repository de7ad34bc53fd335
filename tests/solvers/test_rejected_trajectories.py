"""Unresolved and blown-up trajectories are rejected by index, nothing of their batch stored.

Every test runs on tiny grids, so the whole file takes seconds on a laptop CPU.
"""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest

from solvers.dataset import partial_path
from solvers.errors import BlowUpError, SimulationError, UnresolvedTrajectoryError
from solvers.generate import Shard
from solvers.periodic1d import SimulationConfig

from .conftest import reference, run

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_unresolved_trajectories_are_rejected_by_index(tmp_path):
    # Burgers with nu down to 1e-3 on a 32-point grid steepens into fronts the grid cannot hold
    cfg = SimulationConfig.default(
        "burgers", nx=32, nt=5, t_end=0.5, dt=0.01, amplitude=0.5, params={"nu": (1e-3, 0.5)}, tail_tol=2e-2
    )
    shard, num = Shard(1, 2), 12  # global indices 6..11 in one batch
    indices = shard.indices(num)
    _, ref = reference(cfg, 0, indices)
    tail = ref.tail.numpy()
    coarse = indices[tail > cfg.tail_tol]
    fine = indices[tail <= cfg.tail_tol]
    assert ref.finite.all() and 0 < len(coarse) < len(indices)  # a mix, so the listing is checked

    out = tmp_path / "u.h5"
    with pytest.raises(UnresolvedTrajectoryError) as info:
        run(cfg, num, out, shard=shard, batch_size=len(indices))
    assert isinstance(info.value, SimulationError)
    message = str(info.value)
    for i, t in zip(indices, tail):
        if i in coarse:
            assert f"{i} (tail {t:.1e})" in message, (i, message)
        else:
            assert f"{i} (tail" not in message, (i, message)
    assert "nx=32" in message and "tail_tol=2e-02" in message
    assert len(fine) > 0

    final = shard.path(out)
    assert not final.exists()
    assert not partial_path(final).exists()  # nothing written: no partial left to block a rerun


def test_blow_up_is_rejected_by_index_and_earlier_batches_kept(tmp_path):
    # KdV with amplitude 3 and steps of 1.0: some trajectories go non-finite, others survive
    cfg = SimulationConfig.default("kdv", nx=64, nt=3, t_end=10.0, dt=1.0, amplitude=3.0, tail_tol=0.99)
    shard, num, bs = Shard(1, 2), 12, 3  # global indices 6..11, batches 6-8 and 9-11
    indices = shard.indices(num)
    _, first = reference(cfg, 0, indices[:bs])
    _, second = reference(cfg, 0, indices[bs:])
    assert first.finite.all() and (first.tail <= cfg.tail_tol).all()  # the first batch is stored
    bad = indices[bs:][~second.finite.numpy()]
    assert 0 < len(bad) < bs

    out = tmp_path / "k.h5"
    with pytest.raises(BlowUpError) as info:
        run(cfg, num, out, shard=shard, batch_size=bs)
    assert isinstance(info.value, SimulationError)
    message = str(info.value)
    assert f"trajectories {bad.tolist()} went non-finite" in message
    assert "dt=1.0" in message

    final = shard.path(out)
    assert not final.exists()
    with h5py.File(partial_path(final), "r") as f:
        assert f.attrs["samples_written"] == bs
        assert np.isfinite(f["u"][:bs]).all()


def test_a_batch_that_blows_up_entirely_writes_no_file(tmp_path):
    cfg = SimulationConfig.default("burgers", nx=64, nt=3, t_end=2.0, dt=1.0, amplitude=1000.0, params={"nu": 1e-3})
    with pytest.raises(BlowUpError, match=re.escape("trajectories [0, 1, 2]")):
        run(cfg, 3, tmp_path / "b.h5")
    assert not (tmp_path / "b.h5").exists()
