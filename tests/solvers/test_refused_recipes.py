"""Recipes are refused before any work, in one line naming the value and what is allowed: ranges, grids,
times and choices, types and finiteness (from Python, YAML and CLI flags), unknown fields and datasets, and a
run that would not end.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import yaml

from pdejepa.cli import main
from solvers.generate import dataset_defaults
from solvers.ns2d import BuoyancyConfig
from solvers.periodic1d import SimulationConfig

from .conftest import run, small_2d, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


INF, NAN = float("inf"), float("nan")


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


BAD_1D = [
    ({"t_burn": INF}, "t_burn=inf must be a finite number"),
    ({"amplitude": INF}, "amplitude=inf must be a finite number"),
    ({"t_end": NAN}, "t_end=nan must be a finite number"),
    ({"dt": INF}, "dt=inf must be a finite number"),
    ({"tail_tol": NAN}, "tail_tol=nan must be a finite number"),
    ({"t_burn": 10**400}, "t_burn=1000"),  # an int beyond float range
    ({"params": {"nu": (0.1, INF)}}, "nu=(0.1, inf) must be a finite number"),
    ({"params": {"L": NAN}}, "L=nan must be a finite number"),
    ({"times": [0.0, INF]}, "times=[0.0, inf] must be a finite number"),
    ({"nt": "5"}, "nt='5' must be an integer, got str"),
    ({"nx": 12.5}, "nx=12.5 must be an integer, got float"),
    ({"nx": True}, "nx=True must be an integer, got bool"),
    ({"n_modes": 2.0}, "n_modes=2.0 must be an integer, got float"),
    ({"ic": 3}, "ic=3 must be a string, got int"),
    ({"dt": "0.01"}, "dt='0.01' must be a finite number, got str"),
    ({"amplitude": False}, "amplitude=False must be a finite number, got bool"),
    ({"params": {"nu": "abc"}}, "nu='abc' must be a finite number"),
    ({"params": {"nu": None}}, "nu=None must be a finite number"),
    ({"params": {"nu": [0.1, "x"]}}, "nu=[0.1, 'x'] must be a finite number"),
    ({"params": "abc"}, "params='abc' must map parameter names"),
    ({"times": "abc"}, "times='abc' must be a finite number"),
]


def direct(cfg, overrides: dict):
    """``cfg`` with ``overrides`` set as they are, past ``updated`` (as a caller building the dataclass would)."""
    if isinstance(overrides.get("params"), dict):
        overrides = {**overrides, "params": {**cfg.params, **overrides["params"]}}
    return replace(cfg, **overrides)


@pytest.mark.parametrize("overrides, named", BAD_1D, ids=[m.split(" ")[0] for _, m in BAD_1D])
def test_bad_1d_values_are_named_before_any_work(no_simulation, overrides, named):
    for make in (lambda: small_cfg(**overrides).validate(), lambda: direct(small_cfg(), overrides).validate()):
        with pytest.raises(ValueError, match=re.escape(named)) as info:
            make()
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape(named)):
        run(direct(small_cfg(), overrides), 2, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


BAD_2D = [
    ({"Lx": INF}, "Lx=inf must be a finite number"),
    ({"dt": NAN}, "dt=nan must be a finite number"),
    ({"noise_smoothness": INF}, "noise_smoothness=inf must be a finite number"),
    ({"max_cfl": NAN}, "max_cfl=nan must be a finite number"),
    ({"params": {"buoyancy": (0.2, INF)}}, "buoyancy=(0.2, inf) must be a finite number"),
    ({"params": {"nu": NAN}}, "nu=nan must be a finite number"),
    ({"nx": 12.5}, "nx=12.5 must be an integer, got float"),
    ({"nt": "5"}, "nt='5' must be an integer, got str"),
    ({"substeps": True}, "substeps=True must be an integer, got bool"),
    ({"splitting": 3}, "splitting=3 must be a string, got int"),
    ({"dt": "1.5"}, "dt='1.5' must be a finite number, got str"),
    ({"params": {"buoyancy": "abc"}}, "buoyancy='abc' must be a finite number"),
]


@pytest.mark.parametrize("overrides, named", BAD_2D, ids=[m.split(" ")[0] for _, m in BAD_2D])
def test_bad_2d_values_are_named_before_any_work(no_simulation, overrides, named):
    for make in (lambda: small_2d(**overrides).validate(), lambda: direct(small_2d(), overrides).validate()):
        with pytest.raises(ValueError, match=re.escape(named)) as info:
            make()
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape(named)):
        run(direct(small_2d(), overrides), 2, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


def test_huge_finite_noise_scale_is_no_overflow():
    small_2d(noise_scale=1e300).validate()  # keeps modes: valid, and no OverflowError on the way


def test_unknown_equation_or_field_is_refused():
    with pytest.raises(ValueError, match="unknown equation 'navier_stokes'; choose one of"):
        SimulationConfig.default("navier_stokes")
    with pytest.raises(ValueError, match=r"unknown configuration field\(s\) \['viscosity'\]"):
        SimulationConfig.default("burgers", viscosity=0.1)
    # KS has no viscosity parameter
    with pytest.raises(ValueError, match=r"ks has no parameter 'nu'; its parameters are \['L'\]"):
        SimulationConfig.default("ks").updated(params={"nu": 0.1}).validate()


def test_unknown_fields_and_parameters_are_refused():
    with pytest.raises(ValueError, match=re.escape("unknown configuration field(s) ['viscosity']")):
        small_cfg(viscosity=0.1)
    with pytest.raises(ValueError, match=re.escape("unknown configuration field(s) ['t_end']")):
        small_2d(t_end=1.0)
    with pytest.raises(ValueError, match=re.escape("ns-buoyancy has no parameter 'L'")):
        small_2d(params={"L": 1.0})


def test_dataset_defaults_are_the_defaults_of_a_known_name_and_refuse_others():
    assert dataset_defaults("burgers") == SimulationConfig.default("burgers")
    assert dataset_defaults("ns-buoyancy") == BuoyancyConfig.default()
    for name in ("navier_stokes", "Burgers", ""):
        with pytest.raises(ValueError) as info:
            dataset_defaults(name)
        known = "['burgers', 'heat', 'kdv', 'ks', 'ns-buoyancy', 'ns-buoyancy-switch']"
        assert str(info.value) == f"unknown dataset {name!r}; choose one of {known}"


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--t-burn", "inf"], "t_burn=inf must be a finite number"),
        (["--amplitude", "inf"], "amplitude=inf must be a finite number"),
        (["--nu", "0.1", "nan"], "nu=[0.1, nan] must be a finite number"),
    ],
)
def test_cli_refuses_non_finite_flags(no_simulation, capsys, argv, named):
    out = no_simulation / "x.h5"
    assert main(["generate", "burgers", "--num", "2", "--out", str(out), "--nx", "64", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and named in err, err
    assert list(no_simulation.iterdir()) == []


def test_cli_refuses_wrongly_typed_yaml(no_simulation, capsys):
    config = no_simulation / "r.yaml"
    out = no_simulation / "y.h5"
    for recipe, named in (
        ({"equation": "burgers", "nt": "5"}, "nt='5' must be an integer, got str"),
        ({"equation": "burgers", "nx": 12.5}, "nx=12.5 must be an integer, got float"),
        ({"equation": "burgers", "params": {"nu": "abc"}}, "nu='abc' must be a finite number"),
        ({"equation": "ns-buoyancy", "splitting": 3}, "splitting=3 must be a string, got int"),
    ):
        config.write_text(yaml.safe_dump(recipe))
        assert main(["generate", "--config", str(config), "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("pdejepa generate: error:") and named in err, err
        config.unlink()
        assert list(no_simulation.iterdir()) == []


def test_a_run_that_would_not_end_is_refused():
    with pytest.raises(ValueError, match=r"steps exceeds 1e\+07"):
        SimulationConfig.default("burgers").updated(t_end=1e6, dt=1e-3).validate()
