"""pdejepa: self-supervised learning for PDE dynamics.

The learning core (encoders, VICReg/JEPA objectives, training, probes) lives here;
data comes from :mod:`solvers` and augmentations from :mod:`symmetries`.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pdejepa")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
