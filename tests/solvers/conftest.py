"""Shared set-up of the solvers tests.

Fixtures: ``two_torch_threads`` (``one_torch_thread`` is in tests/conftest.py; a test file asks for
one with ``pytestmark = pytest.mark.usefixtures(...)``), ``no_simulation`` and ``tiny_1d`` (a finished file
per test module). Helpers for the dataset tests, imported from here: tiny recipes (``small_cfg`` in 1D,
``small_2d``), ``run`` and ``load`` for generate's files, ``reference`` trajectories straight from the solver,
``count_simulations`` / ``interrupt_on_call`` / ``interrupted_partial`` to count or interrupt generate's
batches, and ``foreign_files`` that are no trajectory files of ours.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

import solvers.periodic1d.recipe as periodic1d_recipe
from solvers import simulate
from solvers.dataset import partial_path
from solvers.generate import generate
from solvers.ns2d import BuoyancyConfig
from solvers.periodic1d import SimulationConfig, draw_inputs

# float32 keeps 24 significant bits: a float64 value rounded to float32 is within 2**-24 relative
FLOAT32_RTOL = 2.0**-23


@pytest.fixture
def two_torch_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(min(2, previous))
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def no_simulation(monkeypatch, tmp_path):
    """Fail the test if generate gets as far as simulating anything (1D or 2D)."""
    from solvers.ns2d.recipe import BuoyancyRecipe

    def forbidden(*args, **kwargs):
        raise AssertionError("simulated despite bad input")

    monkeypatch.setattr(periodic1d_recipe, "simulate", forbidden)
    monkeypatch.setattr(BuoyancyRecipe, "simulate", forbidden)
    return tmp_path


def small_cfg(**overrides) -> SimulationConfig:
    """A Burgers recipe that runs in milliseconds and is resolved on nx=64.

    With amplitude 0.2 and nu in [0.1, 0.5] the largest spectral tail over 500
    trajectories is about 6e-5, below the default tail_tol of 1e-4.
    """
    base = SimulationConfig.default(
        "burgers", nx=64, nt=5, t_end=0.2, dt=0.01, amplitude=0.2, params={"nu": (0.1, 0.5)}
    )
    return base.updated(**overrides)


def small_2d(**overrides) -> BuoyancyConfig:
    return BuoyancyConfig.default(**{"nx": 16, "ny": 16, "Lx": 16.0, "Ly": 16.0, "nt": 2, "skip_nt": 0, **overrides})


def batch_inputs(cfg: SimulationConfig, seed: int, indices) -> tuple[torch.Tensor, dict, torch.Tensor]:
    """Initial fields ``(len(indices), nx)``, parameters (each ``(len(indices),)``) and output times of
    trajectories ``indices`` of ``cfg``."""
    params, draws = draw_inputs(cfg, seed, np.asarray(indices))
    u0 = cfg.initial_condition().build(torch.as_tensor(draws), cfg.nx)
    return u0, {k: torch.as_tensor(v) for k, v in params.items()}, torch.as_tensor(cfg.output_times())


def reference(cfg: SimulationConfig, seed: int, indices):
    """The parameters and trajectories of ``indices`` straight from :func:`solvers.simulate`."""
    u0, p, times = batch_inputs(cfg, seed, indices)
    return {k: v.numpy() for k, v in p.items()}, simulate(cfg.eq, u0, p, times, cfg.dt)


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def run(cfg, num, out, **kwargs):
    kwargs.setdefault("progress", False)
    return generate(cfg, num, out, **kwargs)


def count_simulations(monkeypatch, hook=None) -> list[int]:
    """Count calls of the 1D simulate inside generate; ``hook(call)`` runs before each."""
    real = periodic1d_recipe.simulate
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if hook is not None:
            hook(calls[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(periodic1d_recipe, "simulate", wrapper)
    return calls


def interrupt_on_call(monkeypatch, n: int) -> list[int]:
    """Make the ``n``-th call of the 1D simulate inside generate raise KeyboardInterrupt (none for 0); count calls."""

    def interrupt(call: int) -> None:
        if call == n:
            raise KeyboardInterrupt

    return count_simulations(monkeypatch, interrupt)


def interrupted_partial(monkeypatch, out, num=4, batch_size=2, **run_kwargs) -> bytes:
    """Leave ``out``'s partial file with one batch written (an interrupted run); return its bytes.
    ``run_kwargs`` (e.g. ``seed``, ``compression``) go to :func:`run`."""
    with monkeypatch.context() as m:
        interrupt_on_call(m, 2)
        with pytest.raises(KeyboardInterrupt, match="--resume"):
            run(small_cfg(), num, out, batch_size=batch_size, **run_kwargs)
    return partial_path(out).read_bytes()


@pytest.fixture(scope="module")
def tiny_1d(tmp_path_factory):
    """A finished 1D file of 3 samples, written once for the module."""
    torch.set_num_threads(1)
    return run(small_cfg(nt=3), 3, tmp_path_factory.mktemp("tiny") / "t.h5")


def foreign_files(folder, source):
    """Files plot and resume must refuse in one line: junk, truncated HDF5, HDF5 of another layout, empty HDF5."""
    files = {}
    files["junk"] = folder / "junk.h5"
    files["junk"].write_bytes(b"not an HDF5 file at all\n" * 20)
    files["truncated"] = folder / "truncated.h5"
    files["truncated"].write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    files["foreign"] = folder / "foreign.h5"
    with h5py.File(files["foreign"], "w") as f:
        f["temperature"] = np.zeros((3, 4))
        f.attrs["complete"] = 1
    files["empty"] = folder / "empty.h5"
    h5py.File(files["empty"], "w").close()
    return files
