"""Batch normalisation over the global batch of a data-parallel run, on any device.

Under DDP a plain batch norm normalises each process's ``b`` samples by their own statistics, so ``N``
processes do not train as one process on ``N * b`` samples (and VICReg's gathered variance sees
differently normalised embeddings). :class:`GlobalBatchNorm` gathers every process's per-channel count,
mean and sum of squared deviations (with gradients, :func:`pdejepa.distributed.gather`), combines them
(Chan et al.'s parallel variance) and normalises by the global statistics. torch's ``SyncBatchNorm`` does
the same on GPUs only; this one also runs on CPU processes (gloo), where the equivalence is tested.
"""

from __future__ import annotations

import torch
from lightning.pytorch.plugins import LayerSync
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..distributed import gather, rank_and_world


class GlobalBatchNorm(_BatchNorm):
    """A batch norm (any of 1D, 2D, 3D) whose training statistics are those of the global batch.

    Outside a process group of two or more, or in evaluation, it is the plain batch norm. ``plain`` is the
    class it replaces (:func:`convert` puts that class back).
    """

    plain: type[_BatchNorm] = nn.BatchNorm2d

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"batch norm needs (batch, channels, ...) input, got shape {tuple(x.shape)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or rank_and_world()[1] == 1:
            return super().forward(x)
        self._check_input_dim(x)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        dims = [0, *range(2, x.dim())]
        work = x.to(torch.promote_types(x.dtype, torch.float32))  # statistics never in half precision
        count = work.new_full((1,), work.numel() // work.shape[1])
        mean = work.mean(dims)
        m2 = (work - mean.view(shape)).pow(2).sum(dims)
        stats = gather(torch.cat([count, mean, m2])[None])  # (processes, 1 + 2 channels)
        counts, means, m2s = stats[:, :1], stats[:, 1 : 1 + len(mean)], stats[:, 1 + len(mean) :]
        total = counts.sum()
        mean = (counts * means).sum(0) / total
        m2 = m2s.sum(0) + (counts * (means - mean) ** 2).sum(0)
        if self.track_running_stats:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            with torch.no_grad():  # as F.batch_norm: the running variance is the unbiased one
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
                self.running_var.lerp_((m2 / (total - 1)).to(self.running_var.dtype), factor)
        y = (work - mean.view(shape)) * torch.rsqrt(m2.view(shape) / total + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def convert(module: nn.Module, to_global: bool = True) -> nn.Module:
    """``module`` with every batch norm replaced by a :class:`GlobalBatchNorm` (or, ``to_global=False``, back
    by its original class), sharing its parameters and statistics; a batch norm ``module`` itself is returned
    replaced, any other in place."""
    if isinstance(module, _BatchNorm) and isinstance(module, GlobalBatchNorm) != to_global:
        cls = GlobalBatchNorm if to_global else module.plain
        new = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
        if to_global:
            new.plain = type(module)
        if module.affine:
            new.weight, new.bias = module.weight, module.bias
        if module.track_running_stats:
            new.running_mean, new.running_var = module.running_mean, module.running_var
            new.num_batches_tracked = module.num_batches_tracked
        return new.train(module.training)
    for name, child in module.named_children():
        module.add_module(name, convert(child, to_global))
    return module


class GlobalBatchNormSync(LayerSync):
    """Lightning's plugin for :class:`GlobalBatchNorm`: DDP strategies apply it before wrapping the model and
    revert it after fitting (``Trainer(plugins=[GlobalBatchNormSync()])``; no effect on one device)."""

    def apply(self, model: nn.Module) -> nn.Module:
        return convert(model, to_global=True)

    def revert(self, model: nn.Module) -> nn.Module:
        return convert(model, to_global=False)
