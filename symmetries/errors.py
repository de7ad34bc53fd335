"""What the symmetry machinery refuses, by kind."""

from __future__ import annotations


class OutsideMethodError(NotImplementedError):
    """The equation, flow or group lies outside what the method handles (not a bug, a stated limit):
    a non-triangular flow, a group that deforms a uniform grid, a family with a non-constant condition."""
