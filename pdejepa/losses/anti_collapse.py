"""Anti-collapse terms of a latent world model's states, by name: SIGReg (LeJEPA, LeWorldModel) or VICReg's variance
and covariance (EB-JEPA); ``ema`` needs none (its targets come from a moving average, without gradient)."""

from __future__ import annotations

import torch

from ..distributed import gather
from .sigreg import random_directions, sigreg
from .vicreg import covariance_penalty, variance_hinge

ANTI_COLLAPSE = ("sigreg", "vicreg", "ema")


def anti_collapse(
    kind: str, states: torch.Tensor, slices: int, seed: int
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The penalty of ``kind`` on ``states`` ``(N, latent)`` (this process's; the global batch is read through the
    process group) and its terms for logging: SIGReg along ``slices`` random directions drawn from ``seed`` (the same
    in every process), or VICReg's ``variance + covariance / 25`` (its 25 : 25 : 1 weighting against a prediction
    term); zero for ``ema``."""
    if kind == "sigreg":
        directions = random_directions(states.shape[1], slices, torch.Generator().manual_seed(seed), states.device)
        value = sigreg(states, directions)
        return value, {"sigreg": value}
    if kind == "vicreg":
        everyone = gather(states)
        terms = {"variance": variance_hinge(everyone), "covariance": covariance_penalty(everyone)}
        return terms["variance"] + terms["covariance"] / 25, terms
    if kind == "ema":
        return states.new_zeros(()), {}
    raise ValueError(f"anti_collapse must be one of {list(ANTI_COLLAPSE)}, got {kind!r}")
