"""ResNet encoders written here (no torchvision): He et al., CVPR 2016, basic-block family.

A 1D PDE window enters as an image ``(batch, channels, time, space)`` with the field and its
coordinate channels; a 2D flow window as stacked frames ``(batch, frames * fields, y, x)``.
The output is the globally pooled representation ``(batch, 8 * width)``.
"""

from __future__ import annotations

from torch import Tensor, nn

DEPTHS = {"resnet10": (1, 1, 1, 1), "resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (projected when the shape changes)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.body(x) + self.skip(x))


class ResNet(nn.Module):
    """Basic-block ResNet with four stages of widths ``width * (1, 2, 4, 8)``.

    Args:
        in_channels: input channels (field plus coordinate channels).
        depths: blocks per stage, e.g. ``(2, 2, 2, 2)`` for ResNet-18.
        width: channels of the first stage (64 in the paper; 16 trains on a laptop CPU).
        small_input: a 3x3 stride-1 stem without max-pooling, for windows of a few dozen points.
    """

    def __init__(
        self, in_channels: int, depths: tuple[int, ...] = (2, 2, 2, 2), width: int = 64, small_input: bool = True
    ) -> None:
        super().__init__()
        if in_channels < 1 or width < 1 or not depths or min(depths) < 1:
            raise ValueError(
                f"need in_channels >= 1, width >= 1 and positive depths, got {in_channels}, {width}, {depths}"
            )
        if small_input:
            stem = [nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        else:
            stem = [
                nn.Conv2d(in_channels, width, 7, 2, 3, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, 2, 1),
            ]
        layers: list[nn.Module] = [*stem]
        cin = width
        for stage, depth in enumerate(depths):
            cout = width * 2**stage
            for block in range(depth):
                layers.append(BasicBlock(cin, cout, stride=2 if stage > 0 and block == 0 else 1))
                cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dim = cin

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, in_channels, H, W)`` -> ``(batch, dim)``."""
        return self.pool(self.features(x)).flatten(1)


def resnet(name: str = "resnet18", in_channels: int = 3, width: int = 64, small_input: bool = True) -> ResNet:
    """A ResNet from the registry :data:`DEPTHS` by name."""
    try:
        depths = DEPTHS[name]
    except KeyError:
        raise ValueError(f"unknown ResNet {name!r}; choose one of {sorted(DEPTHS)}") from None
    return ResNet(in_channels, depths, width, small_input)
