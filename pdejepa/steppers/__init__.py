"""Representation-conditioned neural time-stepping on neuraloperator's FNO."""

from .film import FiLM
from .stepper import CONDITIONINGS, ConditionedFNO

VARIANTS = (
    "none",
    "ssl",
    "oracle",
)  # the steppers the time-stepping job compares: no, SSL and true-parameter conditioning

__all__ = ["CONDITIONINGS", "ConditionedFNO", "FiLM", "VARIANTS"]
