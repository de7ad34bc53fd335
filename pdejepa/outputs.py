"""Writing a job's outputs safely: whole files only (temporary file, then rename), one job per run folder."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path

import torch

from solvers.locks import OutputLock

from .distributed import first_process


def write_atomic(path: Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file in the same folder, renamed into place: a crash
    never leaves half a file under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with tempfile.NamedTemporaryFile(mode, dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as f:
        try:
            f.write(content)
        except BaseException:
            os.unlink(f.name)
            raise
    os.replace(f.name, path)
    return path


def state_bytes(state: dict) -> bytes:
    """``state`` as ``torch.save`` writes it, in memory."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def state_from_bytes(data: bytes) -> dict:
    """The state that :func:`state_bytes` gave ``data`` for, loaded with ``weights_only=True``."""
    return torch.load(io.BytesIO(data), weights_only=True)


def save_state(state: dict, path: Path) -> Path:
    """``torch.save(state, path)``, written whole or not at all."""
    return write_atomic(path, state_bytes(state))


def run_lock(out: Path) -> contextlib.AbstractContextManager:
    """The exclusive right to write into the run folder ``out`` (``with run_lock(out): ...``): a second job
    into the same folder fails at once, naming it, instead of interleaving checkpoints and tables. The other
    processes of a DDP run (:func:`~pdejepa.distributed.first_process`) work under their first one's lock."""
    out.mkdir(parents=True, exist_ok=True)
    return OutputLock(out / ".run") if first_process() else contextlib.nullcontext()
