"""ResNet encoders: the published ResNet-18 size, shapes for PDE windows, clear errors."""

from __future__ import annotations

import pytest
import torch

from pdejepa.models import resnet


def test_resnet18_has_the_published_parameter_count():
    # torchvision's resnet18 has 11,689,512 parameters of which the 1000-way fc holds 513,000
    model = resnet("resnet18", in_channels=3, width=64, small_input=False)
    assert sum(p.numel() for p in model.parameters()) == 11_689_512 - 513_000


@pytest.mark.parametrize("shape", [(4, 3, 32, 64), (2, 3, 17, 33)])
def test_small_resnet_encodes_pde_windows(shape):
    model = resnet("resnet10", in_channels=shape[1], width=8)
    out = model(torch.randn(*shape))
    assert out.shape == (shape[0], 64) and model.dim == 64
    out.sum().backward()  # trainable end to end


def test_bad_configurations_are_named():
    with pytest.raises(ValueError, match="resnet7"):
        resnet("resnet7")
    with pytest.raises(ValueError, match="width"):
        resnet("resnet18", width=0)
