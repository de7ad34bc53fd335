"""The flow groups of :mod:`symmetries.flow`, found in the derived algebra of the flow's system.

Each hand-written map (translation, rotation, Galilean boost, scaling) names the generators of
the derived algebra it exponentiates: members of the generalized Galilean families
``x -> x + f(t)`` with ``f = 1`` (translations) or ``f = t`` (boosts), the rotation and the
scaling generators. :func:`flow_generators` finds them in the algebra of a system (derived from
its equations and cached, :func:`~symmetries.system_report.system_symmetries_of`); a group the
algebra lacks is refused with the reason. :func:`exponential` gives the exact finite map of an
affine generator, which :func:`check_against_derived` compares with the hand-written map's image.

The closed box, its walls and its coordinates travel with every sample (coordinate channels),
so translations, boosts and scalings respect the boundary conditions; gravity does not travel
with the equations of ``ns2d-buoyancy`` (the force ``b s`` points along ``+y``), so its
derived algebra has no rotation and rotations are refused for buoyant data.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.linalg
import sympy as sp
import torch

from .registry import SYSTEMS
from .system_report import read_system_algebra, system_symmetries_of
from .systems import PDESystem

# group -> the derived generators it combines: (family name, f(t)) or (generator name, None)
SOURCES: dict[str, list[tuple[str, sp.Expr | None]]] = {
    "translation": [("galilean_x", sp.Integer(1)), ("galilean_y", sp.Integer(1))],
    "galilean_boost": [("galilean_x", sp.Symbol("t", real=True)), ("galilean_y", sp.Symbol("t", real=True))],
    "rotation": [("rotation_xy", None)],
    "scaling": [("scaling", None)],
}
# a system and the one it extends: a group of the latter missing from the former is broken by the extension
EXTENDS = {"ns2d-buoyancy": ("ns2d", "gravity (the buoyancy force b*s along +y)")}

Components = dict[str, sp.Expr]


@lru_cache(maxsize=8)
def flow_generators(system: str) -> dict[str, list[Components] | str]:
    """Group name -> its derived generators (components by variable), or the reason it is not a symmetry."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown flow system {system!r}; known: {sorted(SYSTEMS)}")
    text, independent, dependent = SYSTEMS[system]
    generators, families = read_system_algebra(
        system_symmetries_of(text, independent, dependent), PDESystem.parse(text, independent, dependent)
    )
    named = dict(generators)
    for name, components, functions in families:
        if len(functions) == 1:
            named[name] = (components, functions[0])
    out: dict[str, list[Components] | str] = {}
    for group, sources in SOURCES.items():
        found = []
        for name, f in sources:
            if name not in named:
                break
            if f is None:
                found.append(named[name])
            else:
                components, function = named[name]
                found.append({v: sp.expand(c.subs(function, f).doit()) for v, c in components.items()})
        out[group] = found if len(found) == len(sources) else _reason(group, system)
    return out


def _reason(group: str, system: str) -> str:
    parent = EXTENDS.get(system)
    if parent is not None and isinstance(flow_generators(parent[0]).get(group), list):
        return f"{group} is a symmetry of {parent[0]} but not of {system}: {parent[1]} breaks it"
    return f"{group} is not in the derived symmetry algebra of {system}"


def exponential(components: Components, variables: list[str], epsilon: float) -> np.ndarray:
    """``(n + 1, n + 1)`` matrix of ``exp(epsilon v)`` on ``(variables, 1)`` for an affine generator ``v``."""
    symbols = {v: sp.Symbol(v, real=True) for v in variables}
    n = len(variables)
    M = np.zeros((n + 1, n + 1))
    for i, v in enumerate(variables):
        c = sp.expand(components[v])
        for j, w in enumerate(variables):
            slope = sp.diff(c, symbols[w])
            if slope.free_symbols & set(symbols.values()):
                raise ValueError(f"generator component {v}: {c} is not affine in {variables}")
            M[i, j] = float(slope)
        M[i, n] = float(c.subs({s: 0 for s in symbols.values()}))
    return scipy.linalg.expm(epsilon * M)


def check_against_derived(group: str, system: str, arguments: torch.Tensor, data, image) -> None:
    """Raise AssertionError unless ``image`` is ``data`` mapped by ``exp`` of the derived generators of ``group``.

    data, image: :class:`~symmetries.flow.FlowTrajectories` before and after the hand-written map with
    ``arguments`` (``(batch,)`` or ``(batch, k)``, one parameter per derived generator of the group);
    compared value by value with the exact exponential (pressure absent: the maps never use it).
    """
    found = flow_generators(system)[group]
    if isinstance(found, str):
        raise ValueError(found)
    _, independent, dependent = SYSTEMS[system]
    variables = [*independent, *dependent]

    def values(d, k: int) -> dict[str, torch.Tensor]:
        smoke = d.scalars["smoke"][k]
        return {
            "t": d.times[k][:, None, None].expand_as(smoke),
            "x": d.coords[k, :, 0],
            "y": d.coords[k, :, 1],
            "u": d.velocity[k, :, 0],
            "v": d.velocity[k, :, 1],
            "p": torch.zeros_like(smoke),
            "s": smoke,
        }

    for k in range(arguments.shape[0]):
        eps = arguments[k].reshape(-1).tolist()
        combined = {v: sum(e * g[v] for e, g in zip(eps, found)) for v in variables}
        before, after = values(data, k), values(image, k)
        z = torch.stack([before[v] for v in variables] + [torch.ones_like(before["s"])], -1)
        expected = z @ torch.as_tensor(exponential(combined, variables, 1.0)).T
        for i, v in enumerate(variables):
            if v != "p" and not torch.allclose(after[v], expected[..., i], rtol=1e-10, atol=1e-12):
                raise AssertionError(
                    f"the hand-written {group} and exp of the derived generators of {system} disagree on {v}: "
                    f"max difference {(after[v] - expected[..., i]).abs().max():.3g}"
                )
