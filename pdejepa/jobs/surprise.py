"""The surprise job: how badly a pretrained model of the dynamics predicts each frame of each trajectory of a file,
given what it infers from the trajectory's first window, as a physical-plausibility score (LeWorldModel's
"surprise"): a trajectory whose physics change midway, or breaks them, surprises a model that learned them.

The frame scores come from the method (:meth:`~pdejepa.methods.PretrainingModule.surprise`): for the world model,
the squared error of its latent prediction one step ahead; for the dynamics objective, that of its stepper's
one-step change. A sample's ``score`` is the mean of its frame scores after its first window. Its
``change_score`` compares them with those given the code of its last window: a trajectory whose physics change is
better explained by what its end shows, one whose physics hold is explained as well by either (a likelihood ratio
of the two beliefs; the sample's own scale cancels, which the absolute score keeps).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch.utils.data import DataLoader

from ..checkpoint import SIGNATURE_KEY, check_signature, read_checkpoint
from ..data import TrajectoryDataset, collate
from ..data.sources import check_trajectory_file
from ..encoders import encoder_signature
from ..experiment import Experiment
from ..methods import PretrainingModule
from ..progress import progress_bar
from .embedding import with_per_sample_variables, write_netcdf

BATCH = 32


def pretrained_module(exp: Experiment, ckpt: Path, random_init: bool = False) -> PretrainingModule:
    """The whole pretraining module of ``ckpt`` (its signature checked against ``exp``), or with ``random_init`` the
    same architecture with fresh weights drawn from ``pretrain.seed``, in eval mode."""
    state = read_checkpoint(ckpt)
    check_signature(ckpt, state, encoder_signature(exp))
    hparams = dict(state.get("hyper_parameters", {}))
    torch.manual_seed(exp.config.pretrain.seed)
    try:
        module = exp.method(**hparams)
        if not random_init:
            module.load_state_dict(state["state_dict"])
    except (TypeError, RuntimeError) as err:
        raise ValueError(f"{ckpt} does not hold a {exp.method.name} pretraining module: {err}") from None
    return module.eval()


def surprise(exp: Experiment, ckpt: Path, file: Path, out: Path, random_init: bool = False) -> Path:
    """Write ``out`` (netCDF, whole or not at all): ``surprise`` ``(sample, time)`` (NaN where a frame is not
    predicted), each sample's ``score`` and the file's per-sample variables, by the model of ``ckpt`` (or, with
    ``random_init``, by the same model untrained: the baseline). The file and checkpoint are checked first."""
    if exp.is_procedural:
        raise ValueError(f"surprise reads trajectory files; {exp.config.data.equation!r} is a procedural set")
    check_trajectory_file(file, "FILE", exp.config.data.equation, "2D" if exp.is_flow else "1D", exp.equation_params)
    module = pretrained_module(exp, ckpt, random_init)
    data = TrajectoryDataset(file, labels=exp.equation_params, fields=exp.fields)
    window, first, last = exp.config.pretrain.window[0], [], []
    loader = DataLoader(data, batch_size=BATCH, collate_fn=collate)
    for batch in progress_bar(loader, desc="surprise", enabled=exp.progress):
        both = module.surprise(batch, code_starts=(0, batch["u"].shape[1] - window)).double().cpu()
        first.append(both[0])
        last.append(both[1])
    scores, updated = (torch.cat(part).numpy() for part in (first, last))
    with xr.open_dataset(file, engine="h5netcdf") as source:
        coords = {"sample": source["sample"].values, "time": source["time"].values}
    score = np.nanmean(scores[:, window:], axis=1)
    change = np.log(score / np.nanmean(updated[:, window:], axis=1))
    per_frame, per_sample = ("sample", "time"), "sample"
    ds = xr.Dataset(
        {
            "surprise": (per_frame, scores.astype(np.float32)),
            "surprise_last_code": (per_frame, updated.astype(np.float32)),
            "score": (per_sample, score.astype(np.float32)),
            "change_score": (per_sample, change.astype(np.float32)),
        },
        coords=coords,
    )
    ds = with_per_sample_variables(ds, file)
    ds["surprise"].attrs = {"long_name": "prediction error of the frame from the frames before it", "units": "1"}
    ds["surprise_last_code"].attrs = {"long_name": "the same, the code from the last window", "units": "1"}
    ds["score"].attrs = {"long_name": "mean surprise after the first window", "units": "1"}
    ds["change_score"].attrs = {
        "long_name": "log of the mean surprise after the first window, the code from the first window over the code "
        "from the last: above 0 when the trajectory's end explains it better than its beginning",
        "units": "1",
    }
    signature = read_checkpoint(ckpt, mmap=True).get(SIGNATURE_KEY, {})
    ds.attrs = {
        "title": f"surprise scores of {file.name} by a pdejepa {exp.method.name} model",
        "method": exp.method.name,
        "checkpoint": str(ckpt),
        "weights": "random init (the baseline)" if random_init else "pretrained",
        "signature": json.dumps(signature, sort_keys=True),
        "source": str(file),
        "Conventions": "CF-1.10",
    }
    return write_netcdf(ds, out)
