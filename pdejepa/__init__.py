"""pdejepa: self-supervised learning for PDE dynamics.

The learning core (encoders, the pretraining methods of :mod:`pdejepa.methods`, the jobs, probes) lives here; data
comes from :mod:`solvers` and augmentations from :mod:`symmetries`. The Python API has the CLI's verbs::

    import pdejepa
    path = pdejepa.generate("burgers", 64, "data/burgers.h5")
    ckpt = pdejepa.pretrain("configs/burgers_vicreg.yaml", "runs/pre", overrides=["pretrain.epochs=5"])
    rows = pdejepa.regress("configs/burgers_vicreg.yaml", ckpt, "runs/reg")

(``generate``, ``load_dataset``, ``plot``, ``derive_symmetries``, ``pretrain``, ``regress``, ``probe``,
``timestep``, ``embed``, ``surprise``, ``quickstart``, ``configure``, ``load_config``, ``Config``; see
:mod:`pdejepa.api`).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("pdejepa")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

API = (
    "Config",
    "configure",
    "derive_symmetries",
    "embed",
    "generate",
    "load_config",
    "load_dataset",
    "plot",
    "pretrain",
    "probe",
    "quickstart",
    "regress",
    "surprise",
    "timestep",
)


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use: ``import pdejepa`` (and so the CLI's ``--help``) stays fast,
    since torch and Lightning load only when a job runs."""
    if name in API:
        return getattr(import_module("pdejepa.api"), name)
    raise AttributeError(f"module 'pdejepa' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])


__all__ = ["__version__", *API]
