"""The solver's fast paths against the reference: fused step, half-circle coefficients, float32 mode, compile.

Tolerances. The fused step (:class:`~solvers.etdrk4.FusedETDRK4`) performs the reference step's
arithmetic reassociated: the convection factor ``D`` multiplies the contour coefficients before
the nonlinear term (``(Q D) W`` against ``Q (D W)``) and the stages reuse ``E2 v``. Each complex
product or sum rounds to within a few units of 2**-53 ~ 1.1e-16 of the largest term, and a step
chains about twenty of them, so one step may differ by ~1e-14 of ``max |v|`` at most; over the
few steps below, on dissipative or norm-preserving equations, 1e-13 bounds it with room and would
still catch any wrong coefficient (an error of order ``h`` ~ 1e-2 to 1e-3).
"""

from __future__ import annotations

import math
import shutil
import threading

import numpy as np
import pytest
import torch

from solvers import SimulationConfig, draw_inputs, get_equation, simulate
from solvers.etdrk4 import ETDRK4Coefficients, FusedETDRK4, etdrk4_coefficients, etdrk4_step
from solvers.integrate import row_blocks, run_blocks
from solvers.threads import BLOCK_ROWS, torch_threads
from solvers.spectral import cutoff_index, dealias_mask, wavenumbers

from .conftest import batch_inputs

pytestmark = pytest.mark.usefixtures("one_torch_thread")

f64 = torch.float64
REASSOCIATION = 1e-13  # see the module docstring


def spectra(name: str, batch: int = 3, nx: int = 64, seed: int = 0):
    """A dealiased random spectrum and what a step needs, for equation ``name`` with per-row parameters."""
    eq = get_equation(name)
    g = torch.Generator().manual_seed(seed)
    p = {par.symbol: torch.empty(batch, 1, dtype=f64).uniform_(par.low, par.high, generator=g) for par in eq.parameters}
    p["L"] = torch.full((batch, 1), float(eq.parameter("L").low), dtype=f64)
    k, mask = wavenumbers(nx, p["L"][:, 0]), dealias_mask(nx)
    u = torch.randn(batch, nx, dtype=f64, generator=g) * 0.5
    return eq.linear(k, p), eq.nonlinear(k, mask, p), torch.fft.rfft(u) * mask, cutoff_index(nx) + 1


@pytest.mark.parametrize("numba", [True, False], ids=["numba loops", "torch operations"])
@pytest.mark.parametrize("name", ["burgers", "ks", "kdv", "heat"])
def test_fused_step_matches_reference_step(name, numba):
    lin, nonlinear, v, modes = spectra(name)
    c = etdrk4_coefficients(lin, 0.01)
    fused = FusedETDRK4(c, nonlinear, modes, torch.complex128, numba=numba)
    assert fused.numba is numba
    ref, fast = v, v.clone()
    for _ in range(5):
        ref = etdrk4_step(ref, c, nonlinear)
        fast = fused.step(fast)
        scale = float(ref.abs().max())
        assert float((fast - ref).abs().max()) <= REASSOCIATION * scale
    assert (fast[..., modes:] == 0).all()  # the dealiased tail stays exactly zero


@pytest.mark.parametrize("name", ["burgers", "ks"])
def test_numba_loops_match_torch_operations_in_both_precisions(name):
    # complex64: 2**-24 ~ 6e-8 per operation where complex128 has 1.1e-16, so the bound scales by 2**29
    lin, nonlinear, v, modes = spectra(name, batch=4)
    c = etdrk4_coefficients(lin, 0.01)
    for dtype, bound in ((torch.complex128, REASSOCIATION), (torch.complex64, REASSOCIATION * 2**29)):
        loops = FusedETDRK4(c, nonlinear, modes, dtype, numba=True)
        ops = FusedETDRK4(c, nonlinear, modes, dtype, numba=False)
        a, b = v.to(dtype), v.to(dtype)
        for _ in range(5):
            a, b = loops.step(a), ops.step(b)
        assert a.dtype == dtype and float((a - b).abs().max()) <= bound * float(b.abs().max())
    assert FusedETDRK4(c, nonlinear, modes, torch.complex128).numba  # the default on the CPU
    on_meta = ETDRK4Coefficients(*(t.to("meta") for t in (c.E, c.E2, c.Q, c.f1, c.f2, c.f3)))
    with pytest.raises(ValueError, match="numba=True needs CPU tensors; the coefficients are on meta"):
        FusedETDRK4(on_meta, None, modes, torch.complex128, numba=True)


def test_fused_step_reuses_its_buffers_across_batch_shapes():
    lin, nonlinear, v, modes = spectra("burgers", batch=1)
    fused = FusedETDRK4(etdrk4_coefficients(lin, 0.01), nonlinear, modes, torch.complex128)
    wide = torch.cat([v, v])
    torch.testing.assert_close(fused.step(wide.clone())[0], fused.step(v.clone())[0], rtol=0, atol=0)


def test_real_operator_coefficients_use_half_the_circle_exactly():
    # For real Lin the upper half circle and real part equal the full circle's mean; the result is exactly real.
    h = 0.05
    lin = torch.tensor([[0.0, -1e-3, -2.0, -300.0, 0.24, -5e4]], dtype=f64)
    half, full = etdrk4_coefficients(lin, h), etdrk4_coefficients(lin.to(torch.complex128), h)
    for name in ("E", "E2", "Q", "f1", "f2", "f3"):
        a, b = getattr(half, name), getattr(full, name)
        assert (a.imag == 0).all()
        torch.testing.assert_close(a, b, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", ["burgers", "ks", "kdv", "heat"])
def test_simulate_fused_chunked_and_reference_agree(name):
    cfg = SimulationConfig.default(name, nx=64, nt=5, t_end=1.0, max_wavenumber=3)
    u0, p, t = batch_inputs(cfg, seed=2, indices=range(5))
    ref = simulate(cfg.eq, u0, p, t, cfg.dt, fused=False).u
    for options in ({}, {"chunk": 2}, {"numba": False}):
        out = simulate(cfg.eq, u0, p, t, cfg.dt, **options).u
        assert float((out - ref).abs().max()) <= REASSOCIATION * float(ref.abs().max())


def float32_against_fine_float64(name: str, n: int = 4) -> tuple[float, float]:
    """The guarantee of test_solvers_numerics (agreement with 2x grid, dt/4 to 1e-4), for the float32 mode."""
    cfg = SimulationConfig.default(name)
    params, draws = draw_inputs(cfg, seed=0, indices=np.arange(n))
    ic = cfg.initial_condition()
    p = {k: torch.from_numpy(v) for k, v in params.items()}
    t = torch.from_numpy(cfg.output_times())
    coarse = simulate(cfg.eq, ic.build(torch.from_numpy(draws), cfg.nx).float(), p, t, cfg.dt)
    fine = simulate(cfg.eq, ic.build(torch.from_numpy(draws), 2 * cfg.nx), p, t, cfg.dt / 4).u[..., ::2]
    assert coarse.u.dtype == torch.float32 and coarse.finite.all()
    err = (coarse.u.double() - fine).abs().amax(dim=(1, 2)) / fine.abs().amax(dim=(1, 2))
    return float(err.max()), float(coarse.tail.max())


@pytest.mark.parametrize("name", ["burgers", "heat"])
def test_float32_mode_meets_the_resolution_guarantee(name):
    # Measured: Burgers 1.8e-5, heat 1.6e-6 (float64: 3.5e-9, 8e-15). Not so KS (1.3e-2 over its
    # t_end = 50: chaos amplifies round-off) nor KdV (1.0e-4 over t_end = 100): float64 stays the default.
    err, tail = float32_against_fine_float64(name)
    assert err < 1e-4
    assert tail <= SimulationConfig.default(name).tail_tol  # float32 round-off (~1e-7) does not read as a tail


def test_other_dtypes_and_chunks_are_refused():
    cfg = SimulationConfig.default("heat", nx=16, nt=2, t_end=0.1)
    u0 = torch.zeros(2, 16, dtype=torch.float16)
    p = {"nu": torch.full((2,), 0.05), "L": torch.full((2,), 2 * math.pi)}
    t = torch.from_numpy(cfg.output_times())
    with pytest.raises(ValueError, match="float16.*float64 .default. or float32"):
        simulate(cfg.eq, u0, p, t, cfg.dt)
    with pytest.raises(ValueError, match="chunk=0 must be a positive integer"):
        simulate(cfg.eq, u0.double(), p, t, cfg.dt, chunk=0)
    with pytest.raises(ValueError, match="workers=0 must be a positive integer"):
        simulate(cfg.eq, u0.double(), p, t, cfg.dt, workers=0)
    with pytest.raises(ValueError, match="workers=2 with compiled=True"):
        simulate(cfg.eq, u0.double(), p, t, cfg.dt, workers=2, compiled=True)
    with pytest.raises(ValueError, match="numba=True with fused=False"):
        simulate(cfg.eq, u0.double(), p, t, cfg.dt, numba=True, fused=False)
    with pytest.raises(ValueError, match="numba=True with compiled=True"):
        simulate(cfg.eq, u0.double(), p, t, cfg.dt, numba=True, compiled=True)
    with pytest.raises(ValueError, match="numba=True with u0 on meta: the numba loops run on the CPU"):
        simulate(cfg.eq, u0.double().to("meta"), p, t, cfg.dt, numba=True)


@pytest.mark.parametrize("name", ["ks", "burgers"])
def test_workers_give_the_same_bits_and_restore_torch_threads(name):
    # rows are independent, so blocks integrated side by side by threads change no bit of any output
    cfg = SimulationConfig.default(name, nx=64, nt=4, t_end=0.5, max_wavenumber=3)
    u0, p, t = batch_inputs(cfg, seed=3, indices=range(7))
    one = simulate(cfg.eq, u0, p, t, cfg.dt, workers=1)
    torch.set_num_threads(2)  # the fixture's count is 1: restoring 2 shows the blocks' 1 is given back
    for options in ({"workers": 2}, {"workers": 3, "chunk": 2}, {"workers": 20}, {"workers": None}):
        out = simulate(cfg.eq, u0, p, t, cfg.dt, **options)
        assert torch.equal(out.u, one.u) and torch.equal(out.tail, one.tail) and torch.equal(out.finite, one.finite)
        assert torch.get_num_threads() == 2
    empty = simulate(cfg.eq, u0[:0], {k: v[:0] for k, v in p.items()}, t, cfg.dt, workers=None)
    assert empty.u.shape == (0, len(t), cfg.nx)
    # the default is single-threaded row by row: with 2 torch threads it gives the bits of 1 thread (at nx = 64
    # torch's two-thread FFTs alone would not), one block for 7 rows and two for 2 * BLOCK_ROWS
    u0, p, t = batch_inputs(cfg, seed=3, indices=range(2 * BLOCK_ROWS))
    with torch_threads(1):
        ref = simulate(cfg.eq, u0, p, t, cfg.dt, workers=1).u
    assert torch.equal(simulate(cfg.eq, u0, p, t, cfg.dt).u, ref)
    assert torch.equal(simulate(cfg.eq, u0[:7], {k: v[:7] for k, v in p.items()}, t, cfg.dt).u, ref[:7])
    assert torch.get_num_threads() == 2


def test_simulate_runs_in_the_callers_inference_mode():
    # the blocks' threads take the caller's inference (and grad) mode: results made in inference mode are
    # written in it
    cfg = SimulationConfig.default("burgers", nx=64, nt=3, t_end=0.2, max_wavenumber=3)
    u0, p, t = batch_inputs(cfg, seed=4, indices=range(5))
    ref = simulate(cfg.eq, u0, p, t, cfg.dt).u
    with torch.inference_mode():
        for workers in (None, 1, 2):
            assert torch.equal(simulate(cfg.eq, u0, p, t, cfg.dt, workers=workers).u, ref)


def test_a_failing_block_stops_the_others():
    seen = {}

    def work(block: slice, stop: threading.Event) -> None:
        if block.start == 0:
            raise ValueError("block 0 failed")
        seen["stopped"] = stop.wait(timeout=30)  # what _integrate checks between output frames

    with pytest.raises(ValueError, match="block 0 failed"):
        run_blocks(work, row_blocks(4, 2), one_thread=True)
    assert seen["stopped"]


def test_coefficients_for_another_batch_are_refused():
    lin, nonlinear, v, modes = spectra("burgers", batch=3)
    fused = FusedETDRK4(etdrk4_coefficients(lin, 0.01), nonlinear, modes, torch.complex128)
    with pytest.raises(ValueError, match="v has 5 rows; the coefficients have 3 .allowed: 1 or as many."):
        fused.step(torch.cat([v, v[:2]]))


def test_row_blocks_cover_the_rows_once_in_order():
    for batch, workers in ((7, 3), (256, 2), (3, 8), (1, 1)):
        blocks = row_blocks(batch, workers)
        assert len(blocks) == min(batch, workers)
        assert [i for b in blocks for i in range(b.start, b.stop)] == list(range(batch))
        sizes = [b.stop - b.start for b in blocks]
        assert max(sizes) - min(sizes) <= 1
    assert row_blocks(0, 4) == [slice(0, 0)]


@pytest.mark.slow  # compiles for seconds to minutes on a small CPU
@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None, reason="needs a C++ compiler")
def test_compiled_step_matches_the_eager_fused_step():
    cfg = SimulationConfig.default("burgers", nx=64, nt=4, t_end=0.3, max_wavenumber=3)
    u0, p, t = batch_inputs(cfg, seed=1, indices=range(3))
    eager = simulate(cfg.eq, u0, p, t, cfg.dt).u
    compiled = simulate(cfg.eq, u0, p, t, cfg.dt, compiled=True).u
    assert float((compiled - eager).abs().max()) <= REASSOCIATION * float(eager.abs().max())
