"""Write a dataset of 1D trajectories: batched, on any device, resumable, shardable."""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import SimulationConfig, draw_inputs
from .dataset import TrajectoryWriter, to_json
from .integrate import simulate

SOLVER = "Fourier pseudo-spectral, 2/3 dealiasing, ETDRK4 (Kassam & Trefethen contour coefficients), float64"


class SimulationError(RuntimeError):
    """A batch could not be stored as asked; the message names the trajectories."""


class UnresolvedTrajectoryError(SimulationError):
    """A trajectory's spectrum reaches the dealiasing cutoff: the grid is too coarse for it."""


class BlowUpError(SimulationError):
    """A trajectory went non-finite or grew without bound."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: a contiguous slice of the global sample indices."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str | None) -> "Shard":
        """``"i/n"``; ``None`` takes ``RANK``/``WORLD_SIZE`` from torchrun's environment when present."""
        if text is None:
            return cls(int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)))
        try:
            i, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"shard {text!r} must look like i/n, e.g. 0/4") from None
        if not (n >= 1 and 0 <= i < n):
            raise ValueError(f"shard {text!r}: need n >= 1 and 0 <= i < n")
        return cls(i, n)

    def indices(self, num: int) -> np.ndarray:
        bounds = np.linspace(0, num, self.count + 1).round().astype(np.int64)
        return np.arange(bounds[self.index], bounds[self.index + 1])

    def path(self, out: Path) -> Path:
        if self.count == 1:
            return out
        return out.with_name(f"{out.stem}-{self.index:05d}-of-{self.count:05d}{out.suffix}")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """A usable torch device; under torchrun ``cuda`` means this process's ``LOCAL_RANK`` GPU."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device {device!r} is not a torch device; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {device!r} requested but CUDA is not available to this torch ({torch.__version__}); use --device cpu")
        if dev.index is None and "LOCAL_RANK" in os.environ:
            dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} does not exist: {torch.cuda.device_count()} CUDA device(s) visible")
    elif dev.type != "cpu":
        raise ValueError(f"device {device!r} is not supported; use cpu, cuda or cuda:N")
    return dev


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Treat SIGTERM (a scheduler's pre-emption, ``kill``) like Ctrl-C, so the file is closed cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_batch(cfg: SimulationConfig, indices: np.ndarray, tail: np.ndarray, finite: np.ndarray) -> None:
    """Refuse a batch holding a blown-up or unresolved trajectory, naming each by index."""
    bad = indices[~finite]
    if len(bad):
        raise BlowUpError(
            f"{cfg.equation}: trajectories {bad.tolist()[:20]} went non-finite or blew up with dt={cfg.dt}, nx={cfg.nx}; "
            "reduce dt or the initial amplitude. Nothing of this batch was written."
        )
    coarse = finite & (tail > cfg.tail_tol)
    if coarse.any():
        listing = ", ".join(f"{i} (tail {t:.1e})" for i, t in zip(indices[coarse][:20], tail[coarse][:20]))
        raise UnresolvedTrajectoryError(
            f"{cfg.equation}: trajectories not resolved on nx={cfg.nx}: {listing}; allowed spectral tail "
            f"<= tail_tol={cfg.tail_tol:.0e}. Use a finer grid (--nx), a narrower parameter range or a smaller amplitude. "
            "Nothing of this batch was written."
        )


def generate(
    cfg: SimulationConfig,
    num: int,
    out: str | os.PathLike,
    seed: int = 0,
    device: str | torch.device | None = "cpu",
    batch_size: int = 256,
    shard: Shard = Shard(),
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Simulate trajectories ``shard.indices(num)`` and write them to ``out`` (or its shard file).

    Trajectory ``i`` depends only on ``(cfg, seed, i)``: batch size, shard split and
    device change nothing but round-off (float64 on every device).

    Returns:
        The path of the finished file.
    """
    cfg.validate()
    if not (isinstance(num, (int, np.integer)) and not isinstance(num, bool) and num >= 1):
        raise ValueError(f"num={num!r} must be a positive integer")
    if not (isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool) and batch_size >= 1):
        raise ValueError(f"batch_size={batch_size!r} must be a positive integer")
    if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
        raise ValueError(f"seed={seed!r} must be a non-negative integer")
    dev = resolve_device(device)
    eq, ic = cfg.eq, cfg.initial_condition()
    indices = shard.indices(num)
    times = cfg.output_times()
    L = cfg.params["L"]
    fixed_L = L[0] == L[1]
    x = np.arange(cfg.nx) / cfg.nx * (L[0] if fixed_L else 1.0)
    recipe = {"config": cfg.to_dict(), "seed": int(seed), "num": int(num), "shard": [shard.index, shard.count]}
    from pdejepa import __version__

    attrs = {
        "equation": eq.name,
        "equation_string": eq.formula,
        "solver": SOLVER,
        "dt": cfg.dt,
        "nx": cfg.nx,
        "t_burn": cfg.t_burn,
        "initial_condition": cfg.ic,
        "seed": int(seed),
        "num_total": int(num),
        "shard": f"{shard.index}/{shard.count}",
        "parameter_ranges": to_json({k: list(v) for k, v in cfg.params.items()}),
        "config": to_json(cfg.to_dict()),
        "version": __version__,
        "complete": 0,
    }
    coord_attrs = {
        "time": {"long_name": "time", "units": "time units of the equation"},
        "x": {"long_name": "x", "units": "length units" if fixed_L else "fraction of each sample's L"},
        "sample": {"long_name": "global trajectory index"},
    }
    writer = TrajectoryWriter(
        shard.path(Path(out)),
        fields={"u": ("time", "x")},
        coords={"time": times, "x": x},
        samples=indices,
        per_sample=(*cfg.params, "spectral_tail"),
        attrs=attrs,
        fingerprint=to_json(recipe),
        coord_attrs=coord_attrs,
        resume=resume,
        overwrite=overwrite,
    )
    with writer, sigterm_as_interrupt():
        start = writer.written
        bar = tqdm(total=len(indices), initial=start, unit="traj", desc=f"{eq.name} -> {writer.path.name}", disable=not progress)
        t = torch.as_tensor(times, dtype=torch.float64)
        try:
            for lo in range(start, len(indices), batch_size):
                batch = indices[lo : lo + batch_size]
                params, draws = draw_inputs(cfg, seed, batch)
                u0 = ic.build(torch.as_tensor(draws, device=dev), cfg.nx)
                result = simulate(eq, u0, {k: torch.as_tensor(v, device=dev) for k, v in params.items()}, t, cfg.dt)
                tail, finite = result.tail.cpu().numpy(), result.finite.cpu().numpy()
                check_batch(cfg, batch, tail, finite)
                writer.write(lo, {"u": result.u.to(torch.float32).cpu().numpy(), "spectral_tail": tail, **params})
                bar.update(len(batch))
        except KeyboardInterrupt:
            bar.close()
            raise KeyboardInterrupt(
                f"interrupted: {writer.written}/{len(indices)} trajectories saved in {writer.partial}; rerun with --resume to continue"
            ) from None
        bar.close()
        return writer.finish({"complete": 1})
