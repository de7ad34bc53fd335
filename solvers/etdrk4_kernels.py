"""Compiled CPU loops for the stage updates of :class:`~solvers.etdrk4.FusedETDRK4` (numba).

Each function performs one stage of an ETDRK4 step in a single pass over the retained modes, where
torch needs one pass (and one call from Python) per arithmetic operation: a step's eleven elementwise
passes become four calls of three loops. The arithmetic is the torch path's, up to how each complex
product rounds, so the two agree to round-off (``tests/solvers/test_solver_fast_paths.py``).

Shapes: spectra ``v, a, b, c`` and nonlinear terms ``nv, na, nb, nc`` are ``(batch, nk)``, of which the
first ``m`` columns are read or written, ``m`` the coefficients' width; coefficients ``E, E2, Q, f1, f2,
f3`` are ``(batch or 1, m)`` (one row shared by every row of the batch). All are complex128 or all
complex64. The loops release the interpreter lock (``nogil``), so blocks of rows can run them side by side
in Python threads. The first call in a fresh environment compiles them; the machine code is then cached
next to this module (or in numba's user cache, or ``NUMBA_CACHE_DIR``), and later processes load it.
"""

from __future__ import annotations

from typing import Callable

import numba
import numpy as np


def _jit(function: Callable[..., None]) -> Callable[..., None]:
    """``function`` compiled lazily, releasing the interpreter lock, its machine code cached on disk where a
    writable cache location exists (numba refuses ``cache=True`` where none does: then compiled per process)."""
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:
        return numba.njit(nogil=True)(function)


@_jit
def stage_a(v: np.ndarray, E2: np.ndarray, Q: np.ndarray, nv: np.ndarray, a: np.ndarray) -> None:
    """``a = E2 v + Q nv`` on the retained modes."""
    shared = E2.shape[0] == 1
    for i in range(a.shape[0]):
        r = 0 if shared else i
        for j in range(E2.shape[1]):
            a[i, j] = E2[r, j] * v[i, j] + Q[r, j] * nv[i, j]


@_jit
def stage_c(a: np.ndarray, E2: np.ndarray, Q: np.ndarray, nb: np.ndarray, nv: np.ndarray, c: np.ndarray) -> None:
    """``c = E2 a + Q (2 nb - nv)`` on the retained modes."""
    shared = E2.shape[0] == 1
    for i in range(c.shape[0]):
        r = 0 if shared else i
        for j in range(E2.shape[1]):
            c[i, j] = E2[r, j] * a[i, j] + Q[r, j] * (nb[i, j] + nb[i, j] - nv[i, j])  # 2 nb: exact, in nb's type


@_jit
def stage_out(
    v: np.ndarray,
    E: np.ndarray,
    f1: np.ndarray,
    f2: np.ndarray,
    f3: np.ndarray,
    nv: np.ndarray,
    na: np.ndarray,
    nb: np.ndarray,
    nc: np.ndarray,
) -> None:
    """``v = E v + f1 nv + f2 (na + nb) + f3 nc`` on the retained modes, in place (``f2`` holds twice Cox &
    Matthews' coefficient)."""
    shared = E.shape[0] == 1
    for i in range(v.shape[0]):
        r = 0 if shared else i
        for j in range(E.shape[1]):
            v[i, j] = E[r, j] * v[i, j] + f1[r, j] * nv[i, j] + f2[r, j] * (na[i, j] + nb[i, j]) + f3[r, j] * nc[i, j]
