"""Smoke flows whose buoyancy changes midway: a test set for physical plausibility ("surprise") scores.

A fraction ``switch_fraction`` of the trajectories change buoyancy at stored frame ``switch_frame`` (0: the middle,
``nt // 2``): the solver goes on from the state it reached with a new buoyancy drawn from the same range, at least
``min_jump`` away from the first. Everything else is the smoke-buoyancy recipe (:mod:`.config`): for the same seed,
a trajectory that does not switch is bit for bit the one :mod:`.recipe` writes, and one that switches equals it up
to the switch. Per trajectory, ``buoyancy`` is the first buoyancy, ``buoyancy_after`` the one after the switch
frame (the same for those that do not switch) and ``switched`` is 1 or 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .. import cf
from ..parameters import override
from .config import NAME, BuoyancyConfig
from .recipe import BuoyancyRecipe

SWITCH_NAME = "ns-buoyancy-switch"
SWITCH_STREAM = 7  # the switch's draws come from (seed, index, SWITCH_STREAM), apart from the trajectory's own


@dataclass(frozen=True)
class BuoyancySwitchConfig(BuoyancyConfig):
    """:class:`~.config.BuoyancyConfig` and the switch: ``switch_fraction`` of the trajectories, at stored frame
    ``switch_frame`` (0: ``nt // 2``), to a buoyancy at least ``min_jump`` from the first."""

    equation: str = SWITCH_NAME
    switch_fraction: float = 0.5
    switch_frame: int = 0
    min_jump: float = 0.1

    @classmethod
    def default(cls, equation: str = SWITCH_NAME, **overrides: Any) -> "BuoyancySwitchConfig":
        if equation != SWITCH_NAME:
            raise ValueError(f"unknown dataset {equation!r} for {cls.__name__}; it builds {SWITCH_NAME!r}")
        return cls().updated(**overrides)

    def updated(self, **overrides: Any) -> "BuoyancySwitchConfig":
        return override(self, overrides, dataset=SWITCH_NAME)

    @property
    def switch_at(self) -> int:
        """The stored frame from which the buoyancy is the second one."""
        return self.switch_frame or self.nt // 2

    def validate(self) -> "BuoyancySwitchConfig":
        super().validate()
        low, high = self.params["buoyancy"]
        if not 0 <= self.switch_fraction <= 1:
            raise ValueError(f"{SWITCH_NAME}: switch_fraction={self.switch_fraction!r} must lie in [0, 1]")
        if not 1 <= self.switch_at < self.nt:
            raise ValueError(
                f"{SWITCH_NAME}: switch_frame={self.switch_frame!r} must lie in [1, nt - 1 = {self.nt - 1}]"
            )
        if not 0 <= self.min_jump <= (high - low) / 2:
            raise ValueError(
                f"{SWITCH_NAME}: min_jump={self.min_jump!r} must lie in [0, (high - low) / 2 = {(high - low) / 2:g}] "
                f"for the buoyancy range ({low}, {high})"
            )
        return self


def draw_switches(
    cfg: BuoyancySwitchConfig, seed: int, indices: np.ndarray, first: np.ndarray
) -> tuple[np.ndarray, ...]:
    """``(switched, after)`` ``(n,)``: whether each trajectory switches, and its buoyancy after the switch frame (a
    uniform draw among the buoyancies of the range at least ``min_jump`` from ``first``), from ``(seed, index,
    SWITCH_STREAM)``."""
    low, high = cfg.params["buoyancy"]
    draws = np.array([np.random.default_rng([seed, int(i), SWITCH_STREAM]).random(2) for i in indices]).reshape(-1, 2)
    switched = draws[:, 0] < cfg.switch_fraction
    below = np.clip(first - cfg.min_jump - low, 0, None)  # room under the first buoyancy
    above = np.clip(high - first - cfg.min_jump, 0, None)  # and over it
    pick = draws[:, 1] * (below + above)
    after = np.where(pick < below, low + pick, first + cfg.min_jump + (pick - below))
    return switched.astype(np.int8), np.where(switched, after, first)


class BuoyancySwitchRecipe(BuoyancyRecipe):
    """The smoke recipe with the switch (:class:`BuoyancySwitchConfig`); its files say ``equation = ns-buoyancy``
    (the same equations) and ``dataset = ns-buoyancy-switch``."""

    name = SWITCH_NAME
    per_sample = (*BuoyancyRecipe.per_sample, "buoyancy_after", "switched")

    def variable_attrs(self) -> dict[str, dict[str, str]]:
        return {
            **super().variable_attrs(),
            "buoyancy_after": cf.quantity(
                "buoyancy after the switch", f"buoyancy from stored frame {self.cfg.switch_at} on"
            ),
            "switched": cf.quantity("switched", "1 if the buoyancy changes at the switch frame, else 0"),
        }

    def attrs(self) -> dict[str, Any]:
        cfg = self.cfg
        return {
            **super().attrs(),
            "equation": NAME,
            "dataset": SWITCH_NAME,
            "switch": f"{cfg.switch_fraction:g} of the trajectories change buoyancy at stored frame {cfg.switch_at}, "
            f"by at least {cfg.min_jump:g}",
        }

    def buoyancy_changes(
        self, seed: int, indices: np.ndarray, params: dict[str, np.ndarray], device: torch.device
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        switched, after = draw_switches(self.cfg, seed, indices, params["buoyancy"])
        options = {"buoyancy_after": torch.as_tensor(after, device=device), "switch_frame": self.cfg.switch_at}
        return {"buoyancy_after": after, "switched": switched}, options
