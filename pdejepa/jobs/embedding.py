"""The embedding job: the frozen representation of every sample of a trajectory file, as a netCDF file that any
xarray user can read, cluster or plot without our probe code.

The representation is the one ``regress`` and ``timestep`` use: the pretrained encoder's pooled output (``h``,
``(sample, feature)``) of each trajectory's un-augmented first window of ``pretrain.window`` frames (for the world
model and the dynamics objective, the ResNet's features; for JEPA, the target ViT's tokens averaged).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr
from torch.utils.data import DataLoader

from ..checkpoint import SIGNATURE_KEY, read_checkpoint
from ..data import TrajectoryDataset, collate
from ..data.description import describe
from ..data.sources import check_trajectory_file
from ..encoders import load_encoder
from ..eval.regressors import encode
from ..experiment import Experiment

BATCH = 64


def embed(exp: Experiment, ckpt: Path, file: Path, out: Path) -> Path:
    """Write ``out`` (netCDF, whole or not at all): ``embedding`` ``(sample, feature)`` float32 of every sample of
    ``file`` by the frozen encoder of ``ckpt``, the file's per-sample variables along ``sample`` and, in the
    attributes, the checkpoint's method, signature and path and the source file. The file must be a finished
    trajectory file of the config's equation and layout (with given files of generic data, the training file's
    equation, fields and grid); the checkpoint must fit the config: both are checked before anything is encoded."""
    if exp.is_procedural:
        raise ValueError(f"embed reads trajectory files; {exp.config.data.equation!r} is a procedural set")
    if exp.generic:  # the fields, grid and equation of the training file
        describe(file, "FILE").check_like(exp.given)
    else:
        check_trajectory_file(file, "FILE", exp.config.data.equation, exp.data_kind.upper(), exp.equation_params)
    encoder = load_encoder(exp, ckpt, seed=0)  # the signature is checked here, before any encoding
    data = TrajectoryDataset(file, labels=exp.equation_params, fields=exp.fields)
    loader = DataLoader(data, batch_size=BATCH, collate_fn=collate)
    h, _ = encode(encoder, loader, exp.view_maker(augment=False), label_index=None, progress=exp.progress)
    signature = read_checkpoint(ckpt, mmap=True).get(SIGNATURE_KEY, {})
    ds = xr.Dataset(
        {"embedding": (("sample", "feature"), h.float().numpy())},
        coords={"sample": np.asarray(data.ids), "feature": np.arange(h.shape[1])},
        attrs={
            "title": f"frozen representations of {file.name} by a pdejepa encoder",
            "method": exp.method.name,
            "representation": f"the encoder's pooled output of each trajectory's first {exp.config.pretrain.window[0]}"
            " frames, un-augmented (the view regress uses)",
            "checkpoint": str(ckpt),
            "signature": json.dumps(signature, sort_keys=True),
            "source": str(file),
            "equation": exp.config.data.equation,
            "Conventions": "CF-1.10",
        },
    )
    ds["embedding"].attrs = {"long_name": "frozen representation", "units": "1"}
    ds["feature"].attrs = {"long_name": "feature index of the representation", "units": "1"}
    return write_netcdf(with_per_sample_variables(ds, file), out)


def with_per_sample_variables(ds: xr.Dataset, file: Path) -> xr.Dataset:
    """``ds`` with the per-sample variables of the trajectory file ``file`` (parameters, diagnostics) along
    ``sample``, and its coordinates' attributes."""
    with xr.open_dataset(file, engine="h5netcdf") as source:
        for name in ds.coords:
            if name in source.coords:
                ds[name].attrs = dict(source[name].attrs)
        for name, variable in source.data_vars.items():
            if variable.dims == ("sample",):
                ds[name] = ("sample", variable.values, dict(variable.attrs))
    return ds


def write_netcdf(ds: xr.Dataset, out: Path) -> Path:
    """``ds`` as netCDF (h5netcdf) at ``out``, through a temporary file in the same folder renamed into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
