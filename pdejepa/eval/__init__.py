"""Downstream evaluation: parameter regression probes and baselines."""
from .regression import RegressionModule, TargetScaler

__all__ = ["RegressionModule", "TargetScaler"]
