"""Pretraining checkpoints: read safely (weights only), and matched against the config they are used with.

A checkpoint carries the encoder's *signature*: the config fields that fix its architecture and its input
(method, encoder, width, window, patches, input channels and size, equation). ``regress``, ``probe`` and
``timestep`` compare it with their own config and name the first difference, instead of loading weights
into a network of another shape (a size-mismatch traceback) or, worse, one that fits by chance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

SIGNATURE_KEY = "pdejepa_encoder"


def require_checkpoint(path: str | Path) -> Path:
    """``path`` if it is a file; a ValueError naming it otherwise (checked before any data is simulated)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"checkpoint {path} does not exist")
    return path


def read_checkpoint(path: Path, mmap: bool = False) -> dict[str, Any]:
    """The checkpoint dict of ``path``, loaded with ``weights_only=True`` (no pickled code runs); a missing,
    truncated or foreign file is a ValueError naming it. ``mmap``: tensors are mapped, not read."""
    path = require_checkpoint(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as err:  # arbitrary bytes make the unpickler fail in arbitrary ways
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path} is not a readable checkpoint (weights only): {reason}") from None
    if not isinstance(state, dict) or not isinstance(state.get("state_dict"), dict):
        raise ValueError(f"{path} is not a Lightning checkpoint of pdejepa pretraining (no state_dict)")
    return state


def check_signature(path: Path, state: dict[str, Any], expected: dict[str, Any]) -> None:
    """Refuse ``state`` (read from ``path``) if it carries no encoder signature or one that differs from
    ``expected``, naming the first field that differs."""
    stored = state.get(SIGNATURE_KEY)
    if not isinstance(stored, dict):
        raise ValueError(f"{path} carries no pdejepa encoder signature: it was not written by pdejepa pretrain")
    for key, value in expected.items():
        if stored.get(key) != value:
            raise ValueError(
                f"{path} was pretrained with {key}={stored.get(key)!r} but this config has {value!r}; "
                "use the pretraining's config (or its run folder's config.yaml) with this checkpoint"
            )


def load_weights(module: torch.nn.Module, weights: dict[str, torch.Tensor], path: Path) -> None:
    """``module.load_state_dict(weights)``, a mismatch reported as a one-line ValueError naming ``path``."""
    try:
        module.load_state_dict(weights)
    except RuntimeError as err:
        first = next((line.strip() for line in str(err).splitlines()[1:] if line.strip()), str(err))
        raise ValueError(f"{path} does not fit the encoder this config builds: {first}") from None


class SignatureInCheckpoint(L.Callback):
    """Writes the encoder signature into every checkpoint the trainer saves."""

    def __init__(self, signature: dict[str, Any]) -> None:
        self.signature = dict(signature)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        checkpoint[SIGNATURE_KEY] = dict(self.signature)
