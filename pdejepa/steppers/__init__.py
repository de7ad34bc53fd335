"""Representation-conditioned neural time-stepping on neuraloperator's FNO."""

from .code import CODE_WINDOWS
from .film import FiLM
from .stepper import CONDITIONINGS, ConditionedFNO

# the steppers the time-stepping job compares, and how a legend names them: no conditioning, the frozen
# representation, and the true parameter ``label`` (the oracle)
VARIANTS = {"none": "none", "ssl": "SSL representation", "oracle": "oracle (true {label})"}

__all__ = ["CODE_WINDOWS", "CONDITIONINGS", "ConditionedFNO", "FiLM", "VARIANTS"]
