"""The pretraining job: VICReg on Lie-symmetry views, or I-JEPA / V-JEPA, side by side.

Both resume exactly from ``out/last.ckpt`` (:func:`pdejepa.fitting.fit`). A 1D trajectory window is an image
``(3, frames, points)`` (field and coordinates) and a 2D flow window a video ``(7, frames, y, x)`` (smoke,
velocity, coordinates, gravity) for the JEPA ViTs: the very views the regression and time-stepping evaluations
feed a pooled encoder, so they accept a JEPA checkpoint as they accept a VICReg one.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch
from torch.utils.data import Dataset, default_collate

from .data import collate
from .experiment import Experiment
from .fitting import fit
from .masks import MaskCollator, MultiBlock2D, MultiBlock3D, vjepa_masks
from .models import VIT_SIZES
from .models.resnet import DEPTHS as RESNETS
from .train import DynamicsPretraining, JEPAPretraining, VICRegPretraining
from .train.dynamics_module import coarsen


def pretrain(exp: Experiment, out: Path) -> Path:
    """Pretraining by ``pretrain.method`` (VICReg or JEPA); returns the final checkpoint
    (resumes from ``out/last.ckpt``)."""
    return PRETRAINING[exp.config.pretrain.method](exp, out)


def pretrain_vicreg(exp: Experiment, out: Path) -> Path:
    """VICReg on Lie-symmetry views of simulated trajectories (a ResNet encoder)."""
    p = exp.config.pretrain
    if p.encoder not in RESNETS:
        raise ValueError(
            f"VICReg pretrains a ResNet, one of {sorted(RESNETS)}; got {p.encoder!r} (ViTs: pretrain.method=jepa)"
        )
    if exp.is_procedural:
        raise ValueError(
            f"VICReg pretrains on PDE trajectories; {exp.config.data.equation!r} is a procedural set (use jepa)"
        )
    train = exp.dataset(exp.files[0])
    L.seed_everything(p.seed, workers=True, verbose=False)
    data = exp.pretraining_loader(train, collate)
    module = VICRegPretraining(
        equation=exp.view_equation,
        strengths=p.strengths,
        window=tuple(p.window),
        view_params=exp.equation_params,
        encoder=p.encoder,
        width=p.width,
        small_input=p.small_input,
        expander_sizes=tuple(p.expander),
        lr=p.lr,
        weight_decay=p.weight_decay,
        max_epochs=p.epochs,
        seed=p.seed,
        grid=exp.grid,
        max_start=p.max_start,
        standardise=standardisation(exp),
    )
    return fit(module, data, exp, out)


def standardisation(exp: Experiment) -> dict[str, list[float]] | None:
    """The views' field standardisation as a module hyperparameter (plain lists, stored in checkpoints)."""
    scales = exp.standardisation
    return None if scales is None else {name: list(pair) for name, pair in scales.items()}


def jepa_masks(exp: Experiment, grid: tuple[int, ...]) -> list[MultiBlock2D] | list[MultiBlock3D]:
    """I-JEPA's mask for an image token grid ``(h, w)``, V-JEPA's pair for a video's ``(t, h, w)``
    (future from the past with ``pretrain.jepa.past``)."""
    past = exp.config.pretrain.jepa.past
    if len(grid) == 3:
        return vjepa_masks(grid, past=past)
    if past:
        raise ValueError(
            f"pretrain.jepa.past masks a video's later token time steps; this input is an image "
            f"(token grid {grid}): set it to 0, got {past!r}"
        )
    return [MultiBlock2D(grid)]


def jepa_module(exp: Experiment) -> JEPAPretraining:
    """The JEPA module as configured: its ViT sized for the data, and the PDE views (none for procedural sets)."""
    p, j = exp.config.pretrain, exp.config.pretrain.jepa
    size, channels = exp.encoder_input
    views = None
    if not exp.is_procedural:
        views = {
            "equation": exp.view_equation,
            "strengths": p.strengths if j.symmetries else {},
            "window": tuple(p.window),
            "params": exp.equation_params,
            "grid": exp.grid,
            "max_start": p.max_start,
            "video": exp.is_flow,
            "standardise": standardisation(exp),
        }
    return JEPAPretraining(
        encoder=p.encoder,
        input_size=size,
        in_channels=channels,
        patch_size=j.patch_size,
        tubelet_size=j.tubelet_size,
        predictor=tuple(j.predictor),
        loss=j.loss,
        var_weight=j.var_weight,
        lr=tuple(j.lr),
        warmup=j.warmup,
        weight_decay=tuple(j.weight_decay),
        ema=tuple(j.ema),
        views=views,
        seed=p.seed,
    )


def pretrain_jepa(exp: Experiment, out: Path) -> Path:
    """I-JEPA (images, 1D trajectories) or V-JEPA (videos, 2D flows); resumes from ``out/last.ckpt``."""
    p = exp.config.pretrain
    if not exp.is_vit:
        raise ValueError(f"pretrain.method=jepa needs a ViT encoder, one of {sorted(VIT_SIZES)}; got {p.encoder!r}")
    if exp.is_procedural:
        train, base_collate = exp.procedural_sets[0], default_collate
    else:
        train, base_collate = exp.dataset(exp.files[0]), collate
    L.seed_everything(p.seed, workers=True, verbose=False)
    module = jepa_module(exp)
    masks = MaskCollator(jepa_masks(exp, module.encoder.grid), base_collate, seed=p.seed)
    return fit(module, exp.pretraining_loader(train, masks), exp, out)


def step_scales(data: Dataset, pool: int, count: int = 64) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per field, the RMS of the coarsened fields and of their change over one stored step, over the first
    ``count`` trajectories of ``data`` (a fixed subset: the same scales for every run on the same data)."""
    sums = None
    for i in range(min(count, len(data))):
        u = data[i]["u"]
        u = coarsen(u if u.ndim == 4 else u[:, None], pool)  # (time, fields, *space)
        dims = (0, *range(2, u.ndim))
        squares = torch.stack([u.pow(2).mean(dims), (u[1:] - u[:-1]).pow(2).mean(dims)])
        sums = squares if sums is None else sums + squares
    field_rms, step_rms = (sums / min(count, len(data))).sqrt().clamp_min(1e-12)
    return tuple(field_rms.tolist()), tuple(step_rms.tolist())


def pretrain_dynamics(exp: Experiment, out: Path) -> Path:
    """The representation of one window conditions a stepper that predicts other steps of the same trajectory
    (:class:`~pdejepa.train.DynamicsPretraining`; a ResNet encoder)."""
    p, d = exp.config.pretrain, exp.config.pretrain.dynamics
    if p.encoder not in RESNETS or exp.is_procedural:
        raise ValueError(
            f"pretrain.method=dynamics trains a ResNet, one of {sorted(RESNETS)}, on PDE trajectories; "
            f"got {p.encoder!r} on {exp.config.data.equation!r}"
        )
    train = exp.dataset(exp.files[0])
    L.seed_everything(p.seed, workers=True, verbose=False)
    module = DynamicsPretraining(
        equation=exp.view_equation,
        strengths=p.strengths,
        window=tuple(p.window),
        view_params=exp.equation_params,
        grid=exp.grid,
        max_start=p.max_start,
        scales=step_scales(train, d.pool),
        encoder=p.encoder,
        width=p.width,
        small_input=p.small_input,
        code=d.code,
        hidden=d.hidden,
        blocks=d.blocks,
        pool=d.pool,
        pairs=d.pairs,
        lr=p.lr,
        weight_decay=p.weight_decay,
        seed=p.seed,
        standardise=standardisation(exp),
    )
    return fit(module, exp.pretraining_loader(train, collate), exp, out)


PRETRAINING = {"vicreg": pretrain_vicreg, "jepa": pretrain_jepa, "dynamics": pretrain_dynamics}
