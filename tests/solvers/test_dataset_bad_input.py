"""Dataset generation: bad recipes and run settings are refused before any work; SIGTERM interrupts cleanly."""

from __future__ import annotations

import re

import pytest
import torch

from solvers.periodic1d import SimulationConfig
from solvers.generate import Shard, dataset_defaults
from solvers.ns2d import BuoyancyConfig

from .conftest import run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


BAD_CONFIGS = [
    ({"nx": 63}, "nx=63"),
    ({"nx": 6}, "nx=6"),
    ({"nx": 64.0}, "nx=64.0"),
    ({"dt": 0.0}, "dt=0.0"),
    ({"dt": -0.01}, "dt=-0.01"),
    ({"dt": float("nan")}, "dt=nan"),
    ({"params": {"nu": 0.0}}, "nu must be positive, got range (0.0, 0.0)"),
    ({"params": {"nu": (-1.0, 0.1)}}, "nu must be positive, got range (-1.0, 0.1)"),
    ({"params": {"L": -1.0}}, "L must be positive, got range (-1.0, -1.0)"),
    ({"params": {"L": 0.0}}, "L must be positive, got range (0.0, 0.0)"),
    ({"params": {"nu": (0.5, 0.2)}}, "nu range (0.5, 0.2) is empty"),
    ({"times": (0.0, 0.1, 0.1)}, "times[2]=np.float64(0.1) does not exceed times[1]"),
    ({"times": (0.0, 0.2, 0.1)}, "strictly increasing"),
    ({"times": (-1.0, 0.0)}, "-1.0"),
    ({"ic": "gaussian"}, "ic='gaussian'"),
    ({"max_wavenumber": 22}, "max_wavenumber=22"),
    ({"nt": 0}, "nt=0"),
    ({"amplitude": -0.5}, "amplitude=-0.5"),
    ({"tail_tol": 1.5}, "tail_tol=1.5"),
]


@pytest.mark.parametrize("overrides, named", BAD_CONFIGS, ids=[m for _, m in BAD_CONFIGS])
def test_bad_config_is_refused_before_any_work(no_simulation, overrides, named):
    cfg = small_cfg(**overrides)
    with pytest.raises(ValueError, match=re.escape(named)):
        cfg.validate()
    with pytest.raises(ValueError, match=re.escape(named)):
        run(cfg, 4, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


def test_unknown_equation_or_field_is_refused():
    with pytest.raises(ValueError, match="unknown equation 'navier_stokes'; choose one of"):
        SimulationConfig.default("navier_stokes")
    with pytest.raises(ValueError, match=r"unknown configuration field\(s\) \['viscosity'\]"):
        SimulationConfig.default("burgers", viscosity=0.1)
    # KS has no viscosity parameter
    with pytest.raises(ValueError, match=r"parameters \['L', 'nu'\] must be exactly \['L'\]"):
        SimulationConfig.default("ks").updated(params={"nu": 0.1}).validate()


def test_dataset_defaults_are_the_defaults_of_a_known_name_and_refuse_others():
    assert dataset_defaults("burgers") == SimulationConfig.default("burgers")
    assert dataset_defaults("ns-buoyancy") == BuoyancyConfig.default()
    for name in ("navier_stokes", "Burgers", ""):
        with pytest.raises(ValueError) as info:
            dataset_defaults(name)
        known = "['burgers', 'heat', 'kdv', 'ks', 'ns-buoyancy']"
        assert str(info.value) == f"unknown dataset {name!r}; choose one of {known}"


@pytest.mark.parametrize("text", ["3/2", "x", "1/0", "0/0", "-1/2", "0/2/3", "1.5/2", ""])
def test_bad_shard_strings(text):
    with pytest.raises(ValueError, match=re.escape(f"shard {text!r}")):
        Shard.parse(text)


BAD_RUNS = [
    ({"num": 0}, "num=0"),
    ({"num": -3}, "num=-3"),
    ({"num": 2.5}, "num=2.5"),
    ({"seed": -1}, "seed=-1"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"device": "tpu"}, "device 'tpu'"),
    ({"device": "nonsense"}, "device 'nonsense'"),
    ({"device": "mps"}, "device 'mps' is not supported"),
]


@pytest.mark.parametrize("kwargs, named", BAD_RUNS, ids=[m for _, m in BAD_RUNS])
def test_bad_run_settings_are_refused_before_any_work(no_simulation, kwargs, named):
    args = {"num": 4, "seed": 0, **kwargs}
    num = args.pop("num")
    with pytest.raises(ValueError, match=re.escape(named)):
        run(small_cfg(), num, no_simulation / "bad.h5", **args)
    assert list(no_simulation.iterdir()) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_cuda_is_refused(no_simulation, device):
    with pytest.raises(ValueError, match=re.escape(f"device {device!r} requested but CUDA is not available")):
        run(small_cfg(), 4, no_simulation / "bad.h5", device=device)
    assert list(no_simulation.iterdir()) == []


def test_sigterm_is_turned_into_a_clean_interrupt():
    import os
    import signal
    import time

    from solvers.generate import sigterm_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with sigterm_as_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts the sleep at once
    assert signal.getsignal(signal.SIGTERM) == before
