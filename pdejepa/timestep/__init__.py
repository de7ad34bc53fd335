"""Representation-conditioned neural time-stepping on neuraloperator's FNO."""
from .film import FiLM
from .stepper import CONDITIONINGS, ConditionedFNO

__all__ = ["CONDITIONINGS", "ConditionedFNO", "FiLM"]
