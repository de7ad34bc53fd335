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


def anti_collapse_of_maps(
    kind: str, maps: torch.Tensor, slices: int, seed: int, places: int
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The anti-collapse term of latent maps ``(N, latent, h, w)``: the mean over ``places`` places, drawn from
    ``seed`` (the same in every process), of :func:`anti_collapse` of the ``N`` latent vectors at each place (the
    same directions at every place). Each place's vectors must spread over the batch; the places keep the cost of a
    step near that of pooled states."""
    at = maps.flatten(2)  # (N, latent, places)
    drawn = torch.randperm(at.shape[-1], generator=torch.Generator().manual_seed(seed + 1))[:places]
    each = [anti_collapse(kind, at[..., p], slices, seed) for p in drawn.tolist()]
    terms = {k: torch.stack([t[k] for _, t in each]).mean() for k in each[0][1]}
    return torch.stack([penalty for penalty, _ in each]).mean(), terms
