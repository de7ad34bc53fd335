"""2D buoyancy-driven smoke (``solvers.ns2d``): mirror symmetry, and invariance to the batch, the shards
and the device.

Figures quoted in the docstrings were measured on the CPU in float64 when the tests were written.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import xarray as xr

from solvers.generate import Shard, generate
from solvers.ns2d.recipe import BuoyancyRecipe

from .ns_helpers import run_recipe, small_cfg

pytestmark = pytest.mark.usefixtures("two_torch_threads")


def test_mirrored_initial_smoke_gives_the_mirrored_trajectory():
    """Mirroring the initial smoke in x mirrors the whole trajectory (vx changes sign).
    Round-off differences grow with the flow's instabilities: measured 1.3e-14 after 12 steps."""
    cfg = small_cfg(nt=8, skip_nt=4)
    s0, r = run_recipe(cfg, range(2))
    _, m = run_recipe(cfg, range(2), s0=s0.flip(-1))
    assert float(r.vy.abs().max()) > 0.5
    for a, b, sign in ((r.smoke, m.smoke, 1), (r.vx, m.vx, -1), (r.vy, m.vy, 1)):
        np.testing.assert_allclose(a, sign * b.flip(-1), rtol=0, atol=1e-9)


def test_a_trajectory_does_not_depend_on_its_batch_companions():
    """A trajectory does not depend on its batch companions, up to a few ulps (measured 5e-15 on the
    CPU: the batched FFT and grid_sample kernels vectorise differently for different batch sizes)."""
    cfg = small_cfg()
    _, together = run_recipe(cfg, [3, 4, 5])
    for row, index in enumerate([3, 4, 5]):
        _, alone = run_recipe(cfg, [index])
        for a, b in ((together.smoke, alone.smoke), (together.vx, alone.vx), (together.vy, alone.vy)):
            np.testing.assert_allclose(a[row : row + 1], b, rtol=0, atol=1e-13)


def test_generated_file_is_batch_size_and_shard_invariant(tmp_path):
    cfg = small_cfg()
    one = generate(cfg, 5, tmp_path / "one.h5", batch_size=5, progress=False)
    split = [
        generate(cfg, 5, tmp_path / "s.h5", batch_size=2, shard=shard, progress=False)
        for shard in (Shard(0, 2), Shard(1, 2))
    ]
    with xr.open_dataset(one, engine="h5netcdf") as a, xr.open_mfdataset(split, engine="h5netcdf") as b:
        for name in ("smoke", "vx", "vy", "buoyancy", "nu"):
            np.testing.assert_allclose(a[name].values, b[name].values, rtol=2.0**-23, atol=1e-12)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cpu_and_cuda_give_the_same_smoke_trajectories():
    """The same trajectories on CPU and CUDA (float64 on both; stored float32): round-off apart."""
    cfg = small_cfg()
    results = {
        device: BuoyancyRecipe(cfg).simulate(0, np.arange(3), torch.device(device)) for device in ("cpu", "cuda")
    }
    for name in ("smoke", "vx", "vy", "buoyancy", "nu"):
        np.testing.assert_allclose(results["cpu"][name], results["cuda"][name], rtol=1e-5, atol=1e-5)
