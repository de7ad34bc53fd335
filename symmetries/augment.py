"""Random symmetry augmentations: per-sample group elements, composed over several groups.

Built from the derived algebra of an equation, not from a table: every one-parameter group
that acts exactly on the data's grid and respects its boundary conditions becomes available
under a descriptive name; infinite families of linear equations add random superpositions,
and Burgers gains the heat superposition through Cole-Hopf.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
import torch

from .cole_hopf import ColeHopfSuperposition
from .derive import Generator
from .errors import OutsideMethodError
from .randomness import per_sample
from .report import algebra_from, symmetries_of
from .jets import EvolutionEquation, jet, t, u, x
from .superposition import Superposition
from .transforms import GridTrajectories, NotASymmetryError, PointTransform


def group_name(g: Generator) -> str:
    """A descriptive name from the generator's shape: time_shift, space_shift, galilean_boost, scaling..."""
    tau, xi, phi = g.components
    if xi == 0 and phi == 0 and tau.is_number:
        return "time_shift"
    if tau == 0 and phi == 0 and xi.is_number:
        return "space_shift"
    if tau == 0 and sp.simplify(xi / t).is_number and phi.is_number:
        return "galilean_boost"
    if tau == 0 and xi == 0 and sp.simplify(phi / u).is_number:
        return "amplitude_scaling"
    if (
        sp.simplify(tau / t).is_number
        and sp.simplify(xi / x).is_number
        and (phi == 0 or sp.simplify(phi / u).is_number)
    ):
        return "scaling"
    return ""


def is_burgers(eq: EvolutionEquation) -> bool:
    """``u_t = nu u_xx - u u_x`` for a parameter ``nu``."""
    return len(eq.params) == 1 and sp.expand(eq.rhs - (eq.params[0] * jet(2) - jet(0) * jet(1))) == 0


def available_groups(text: str, boundary: str = "periodic") -> dict[str, object]:
    """Name -> transform for every group of ``text`` that acts exactly on gridded ``boundary`` data."""
    eq = EvolutionEquation.parse(text)
    generators, elements, families = algebra_from(symmetries_of(text))
    groups: dict[str, object] = {}
    for i, (g, element) in enumerate(zip(generators, elements), 1):
        name = group_name(g) or f"v{i}"
        if element is None:
            continue
        try:
            transform = PointTransform(element, eq.params, name=name)
        except OutsideMethodError:
            continue  # deforms a uniform grid (e.g. projective maps): no exact gridded version
        if boundary in transform.respects:
            groups[name if name not in groups else f"{name}_{i}"] = transform
    for family in families:
        try:
            groups["superposition"] = Superposition(family, eq.params)
        except OutsideMethodError:
            pass
    if is_burgers(eq):
        heat_text = f"u_t = {eq.params[0]}*u_xx"
        _, _, heat_families = algebra_from(symmetries_of(heat_text))
        groups["cole_hopf"] = ColeHopfSuperposition(
            Superposition(heat_families[0], EvolutionEquation.parse(heat_text).params)
        )
    return groups


@dataclass
class SymmetryAugmentation:
    """Apply ``exp(eps_g v_g)`` for each configured group ``g`` in turn (Lie-Trotter composition).

    ``strengths[g] = s`` draws ``eps_g ~ U(-s, s)`` independently per sample (space shifts in
    units of length, so ``s = L/2`` covers the domain); the batch is transformed in one call
    per group, with no loop over samples in the transforms.
    """

    equation: str
    strengths: dict[str, float]
    boundary: str = "periodic"
    groups: dict[str, object] = field(init=False)

    def __post_init__(self) -> None:
        available = available_groups(self.equation, self.boundary)
        unknown = sorted(set(self.strengths) - set(available))
        if unknown:
            raise NotASymmetryError(
                f"{unknown} not available for {self.equation!r} on {self.boundary} data; "
                f"available groups: {sorted(available)}"
            )
        for name, s in self.strengths.items():
            if not (s >= 0):
                raise ValueError(f"strength of {name} must be >= 0, got {s}")
        # superpositions first: Cole-Hopf needs the zero mean that a Galilean boost would break
        order = sorted(self.strengths, key=lambda name: isinstance(available[name], PointTransform))
        self.groups = {name: available[name] for name in order}

    def __call__(self, data: GridTrajectories, seed: int, ids: torch.Tensor) -> GridTrajectories:
        """Transform ``data``; sample ``b`` draws its strengths from ``(seed, ids[b])`` only.

        ids: ``(batch,)`` sample identifiers (e.g. dataset index times a step counter).
        """
        for stream, (name, transform) in enumerate(self.groups.items()):
            s = self.strengths[name]
            if s == 0:
                continue
            extra = getattr(transform, "n_draws", 0)
            draws = per_sample(seed, ids, stream, 1 + extra)
            epsilon = ((2 * draws[:, 0] - 1) * s).to(data.u.device)
            if extra:
                data = transform(data, epsilon, draws[:, 1:])
            else:
                data = transform(data, epsilon)
        return data
