"""The 1D solvers against exact solutions, conservation laws and an independent integrator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from solvers import SimulationConfig, draw_inputs, get_equation, simulate
from solvers.etdrk4 import etdrk4_coefficients
from solvers.spectral import dealias_mask, tail_ratio, wavenumbers

f64 = torch.float64


def grid(nx: int, L: float) -> torch.Tensor:
    return torch.arange(nx, dtype=f64) * L / nx


def run(name: str, u0: torch.Tensor, times, dt: float, **params: float):
    batch = u0.shape[0]
    p = {k: torch.full((batch,), float(v), dtype=f64) for k, v in params.items()}
    return simulate(get_equation(name), u0, p, torch.as_tensor(times, dtype=f64), dt)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


def test_etdrk4_coefficients_match_closed_forms():
    # Away from z = 0 the closed forms are well conditioned: compare the contour average with them.
    h = 0.1
    z = torch.tensor([[-50.0, -3.0, -0.7, 2.0]], dtype=f64) / h
    c = etdrk4_coefficients(z, h)
    hz = (h * z).to(torch.complex128)
    ez = torch.exp(hz)
    exact = {
        "Q": h * (torch.exp(hz / 2) - 1) / hz,
        "f1": h * (-4 - hz + ez * (4 - 3 * hz + hz**2)) / hz**3,
        "f2": h * (2 + hz + ez * (hz - 2)) / hz**3,
        "f3": h * (-4 - 3 * hz - hz**2 + ez * (4 - hz)) / hz**3,
    }
    for name, value in exact.items():
        torch.testing.assert_close(getattr(c, name), value, rtol=1e-13, atol=0)
    # At z = 0 (the mean mode) the limits are Q = h/2 and f1 = f2 = f3 = h/6, where the closed forms are 0/0.
    c0 = etdrk4_coefficients(torch.zeros(1, 1, dtype=f64), h)
    assert abs(c0.Q.item() - h / 2) < 1e-15
    for f in (c0.f1, c0.f2, c0.f3):
        assert abs(f.item() - h / 6) < 1e-15
    # Complex (dispersive) operators: exp part exact, coefficients still match.
    zc = torch.tensor([[3.0j, -1.0 + 20.0j]], dtype=torch.complex128) / h
    cc = etdrk4_coefficients(zc, h)
    hzc = h * zc
    torch.testing.assert_close(cc.Q, h * (torch.exp(hzc / 2) - 1) / hzc, rtol=1e-13, atol=0)


def test_heat_modes_decay_exactly():
    # u = sum_m a_m sin(k_m x) exp(-nu k_m^2 t): ETDRK4 is exact for a linear equation.
    L, nu, nx = 3.0, 0.05, 64
    x = grid(nx, L)
    k = 2 * math.pi * torch.tensor([1.0, 4.0, 9.0], dtype=f64) / L
    a = torch.tensor([1.0, -0.3, 0.2], dtype=f64)
    times = torch.linspace(0, 2, 11, dtype=f64)
    exact = (
        a[:, None, None] * torch.sin(k[:, None, None] * x) * torch.exp(-nu * k[:, None, None] ** 2 * times[:, None])
    ).sum(0)
    out = run("heat", exact[0][None], times, dt=0.3, nu=nu, L=L)
    assert rel_err(out.u[0], exact) < 1e-13


def cole_hopf(x: torch.Tensor, t: torch.Tensor, nu: float) -> torch.Tensor:
    """Exact periodic Burgers solution u = -2 nu phi_x / phi with phi a positive heat solution."""
    modes = [(1.0, 1.0, 0.0), (2.0, 0.5, 1.0)]  # (k, amplitude, phase) on L = 2 pi
    t = t[:, None]
    phi = 2.0 + sum(a * torch.exp(-nu * k**2 * t) * torch.cos(k * x + p) for k, a, p in modes)
    phi_x = sum(-a * k * torch.exp(-nu * k**2 * t) * torch.sin(k * x + p) for k, a, p in modes)
    return -2 * nu * phi_x / phi


def test_burgers_matches_cole_hopf_solution_with_fourth_order_in_time():
    nu, nx = 0.1, 128
    x = grid(nx, 2 * math.pi)
    times = torch.linspace(0, 2, 5, dtype=f64)
    exact = cole_hopf(x, times, nu)
    errors = []
    for dt in (0.1, 0.05, 0.025):
        out = run("burgers", exact[0][None], times, dt=dt, nu=nu, L=2 * math.pi)
        errors.append(rel_err(out.u[0], exact))
    orders = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    # ETDRK4 is fourth order; allow the pre-asymptotic regime a little slack.
    assert all(3.5 < p < 4.6 for p in orders), (errors, orders)
    fine = run("burgers", exact[0][None], times, dt=0.005, nu=nu, L=2 * math.pi)
    # Spectral in space: with a smooth solution the error is round-off plus the O(dt^4) time error.
    assert rel_err(fine.u[0], exact) < 1e-10


def test_kdv_soliton_travels_at_its_speed():
    # u = 3 c sech^2(sqrt(c) (x - x0 - c t) / 2): 30 units from its centre it is below 1e-12,
    # so periodicity is harmless.
    c, L, nx, x0 = 1.0, 80.0, 320, 30.0
    x = grid(nx, L)
    times = torch.linspace(0, 10, 6, dtype=f64)
    exact = 3 * c / torch.cosh(math.sqrt(c) * (x - x0 - c * times[:, None]) / 2) ** 2
    # Measured: 2.7e-7, 1.4e-8, 9.4e-10 at dt = 0.02, 0.01, 0.005 (fourth order); space is converged.
    out = run("kdv", exact[0][None], times, dt=0.005, L=L)
    assert rel_err(out.u[0], exact) < 5e-9


def ks_reference(u0: np.ndarray, L: float, times: np.ndarray) -> np.ndarray:
    """KS with scipy's implicit Radau on the same dealiased Fourier modes: an independent time integrator."""
    nx = len(u0)
    k = 2 * np.pi * np.fft.rfftfreq(nx, d=L / nx)
    mask = np.arange(nx // 2 + 1) * 3 <= nx
    lin = k**2 - k**4

    def rhs(_, y):
        v = y[: len(k)] + 1j * y[len(k) :]
        dv = lin * v - 0.5j * k * np.fft.rfft(np.fft.irfft(v, n=nx) ** 2) * mask
        return np.concatenate([dv.real, dv.imag])

    v0 = np.fft.rfft(u0) * mask
    sol = solve_ivp(
        rhs, (0, times[-1]), np.concatenate([v0.real, v0.imag]), method="Radau", t_eval=times, rtol=1e-11, atol=1e-13
    )
    assert sol.success
    v = sol.y[: len(k)] + 1j * sol.y[len(k) :]
    return np.fft.irfft(v.T, n=nx)


def test_ks_agrees_with_tight_tolerance_implicit_reference():
    L, nx = 22.0, 64
    x = grid(nx, L)
    u0 = torch.cos(2 * math.pi * x / L) * (1 + torch.sin(2 * math.pi * x / L)) + 0.3 * torch.sin(6 * math.pi * x / L)
    times = np.linspace(0, 5, 11)
    reference = torch.from_numpy(ks_reference(u0.numpy(), L, times))
    out = run("ks", u0[None], times, dt=0.01, L=L)
    # Radau at rtol 1e-11 and ETDRK4 at dt = 0.01 (error ~ C dt^4) both sit near 1e-9 here.
    assert rel_err(out.u[0], reference) < 1e-7


@pytest.mark.parametrize("name", ["burgers", "ks", "kdv"])
def test_mean_is_conserved_and_kdv_energy_too(name):
    cfg = SimulationConfig.default(name)
    params, draws = draw_inputs(cfg, seed=3, indices=np.arange(4))
    u0 = cfg.initial_condition().build(torch.from_numpy(draws), cfg.nx) + 0.2  # a non-zero mean
    times = cfg.output_times()[:21]
    out = simulate(cfg.eq, u0, {k: torch.from_numpy(v) for k, v in params.items()}, torch.from_numpy(times), cfg.dt)
    mean = out.u.mean(dim=-1)
    assert (mean - mean[:, :1]).abs().max() < 1e-13  # the k = 0 mode is untouched by every term
    energy = out.u.pow(2).mean(dim=-1)
    if name == "kdv":
        # KdV conserves int u^2; the dealiased scheme does so to the time-stepping error.
        assert ((energy - energy[:, :1]).abs() / energy[:, :1]).max() < 1e-6
    if name == "burgers":
        assert (energy.diff(dim=1) <= 1e-14).all()  # viscosity only dissipates


def test_batch_rows_are_independent():
    cfg = SimulationConfig.default("burgers", nx=128, nt=11, t_end=1.0, params={"nu": (0.1, 0.5)})
    params, draws = draw_inputs(cfg, seed=0, indices=np.arange(5))
    u0 = cfg.initial_condition().build(torch.from_numpy(draws), cfg.nx)
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    t = torch.from_numpy(cfg.output_times())
    together = simulate(cfg.eq, u0, p, t, cfg.dt).u
    for i in range(5):
        alone = simulate(cfg.eq, u0[i : i + 1], {k: v[i : i + 1] for k, v in p.items()}, t, cfg.dt).u[0]
        torch.testing.assert_close(alone, together[i], rtol=0, atol=1e-13)


def test_tail_ratio_separates_resolved_from_unresolved():
    nx, L = 128, 2 * math.pi
    x = grid(nx, L)
    smooth = torch.exp(torch.sin(x))  # analytic: spectrum decays like 1/n!
    front = torch.tanh(torch.sin(x) / 0.01)  # a front far thinner than dx
    ratio = tail_ratio(torch.fft.rfft(torch.stack([smooth, front])))
    assert ratio[0] < 1e-15 and ratio[1] > 1e-2
    assert wavenumbers(nx, torch.tensor([L]))[0, 1] == pytest.approx(1.0)
    assert int(dealias_mask(nx).sum()) == nx // 3 + 1


def unresolved_defaults_error(name: str, n: int) -> tuple[float, float]:
    """Worst relative difference between the default recipe and a 2x finer, 4x smaller-step solution."""
    cfg = SimulationConfig.default(name)
    params, draws = draw_inputs(cfg, seed=0, indices=np.arange(n))
    ic = cfg.initial_condition()
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    t = torch.from_numpy(cfg.output_times())
    coarse = simulate(cfg.eq, ic.build(torch.from_numpy(draws), cfg.nx), p, t, cfg.dt)
    fine = simulate(cfg.eq, ic.build(torch.from_numpy(draws), 2 * cfg.nx), p, t, cfg.dt / 4)
    err = ((coarse.u - fine.u[..., ::2]).abs().amax(dim=(1, 2)) / fine.u.abs().amax(dim=(1, 2))).max()
    assert coarse.finite.all()
    return float(err), float(coarse.tail.max())


@pytest.mark.parametrize(
    "name", ["burgers", "heat", pytest.param("ks", marks=pytest.mark.slow), pytest.param("kdv", marks=pytest.mark.slow)]
)
def test_default_recipes_are_resolved_and_converged(name):
    err, tail = unresolved_defaults_error(name, n=4)
    cfg = SimulationConfig.default(name)
    assert tail <= cfg.tail_tol  # nothing rejected by default
    assert err < 1e-4  # the bar: agreement with a twice-finer, smaller-step solution


def test_ks_default_recipe_is_converged_over_a_short_window():
    # The fast stand-in for the slow KS case above: the default grid and step over the first 10 time units.
    cfg = SimulationConfig.default("ks", t_end=10.0, nt=21)
    params, draws = draw_inputs(cfg, seed=0, indices=np.arange(4))
    ic = cfg.initial_condition()
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    t = torch.from_numpy(cfg.output_times())
    coarse = simulate(cfg.eq, ic.build(torch.from_numpy(draws), cfg.nx), p, t, cfg.dt).u
    fine = simulate(cfg.eq, ic.build(torch.from_numpy(draws), 2 * cfg.nx), p, t, cfg.dt / 4).u[..., ::2]
    assert rel_err(coarse, fine) < 1e-6


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["burgers", "ks", "kdv", "heat"])
def test_cpu_and_cuda_give_the_same_trajectories(name):
    cfg = SimulationConfig.default(name, nt=11)
    params, draws = draw_inputs(cfg, seed=1, indices=np.arange(16))
    ic = cfg.initial_condition()
    t = torch.from_numpy(cfg.output_times())
    results = []
    for dev in ("cpu", "cuda"):
        u0 = ic.build(torch.from_numpy(draws).to(dev), cfg.nx)
        results.append(
            simulate(cfg.eq, u0, {k: torch.from_numpy(v).to(dev) for k, v in params.items()}, t, cfg.dt).u.cpu()
        )
    # float64 on both; FFT libraries differ only in round-off, which chaos (KS) may amplify over the window
    assert rel_err(results[1], results[0]) < (1e-6 if name == "ks" else 1e-10)
