"""Vision Transformer encoders for images and videos (Dosovitskiy et al. 2021; as used by I-JEPA and V-JEPA).

An image ``(batch, C, H, W)`` is cut into ``p x p`` patches, a video ``(batch, C, T, H, W)`` into
``tubelet x p x p`` tubelets; each becomes one token. Tokens are flattened row-major over the token
grid, ``(h, w)`` or ``(t, h, w)``, carry fixed sin-cos position embeddings and no class token. JEPA
encoders see only a subset of tokens: ``forward(x, keep)`` runs the blocks on the listed positions.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .pos_embed import sincos

VIT_SIZES = {
    "vit_nano": (48, 2, 2),
    "vit_micro": (96, 4, 3),
    "vit_tiny": (192, 12, 3),
    "vit_small": (384, 12, 6),
    "vit_base": (768, 12, 12),
    "vit_large": (1024, 24, 16),
    "vit_huge": (1280, 32, 16),
}
"""Name -> ``(dim, depth, heads)``; the published sizes plus two that train on a CPU (nano, micro)."""


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm(x))`` then ``x + mlp(norm(x))``, ``(batch, n, dim)`` -> same."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if dim < 1 or heads < 1 or dim % heads:
            raise ValueError(f"dim must be a positive multiple of heads, got dim={dim!r}, heads={heads!r}")
        if mlp_ratio <= 0:
            raise ValueError(f"mlp_ratio must be positive, got {mlp_ratio!r}")
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d)
        x = x + self.proj(attn)
        return x + self.mlp(self.norm2(x))


def init_weights(module: nn.Module) -> None:
    """Truncated-normal (std 0.02) linear and patch weights, zero biases, unit LayerNorms (the ViT / I-JEPA init)."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.Conv3d)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def rescale_residuals(blocks: nn.ModuleList) -> None:
    """Shrink block ``i``'s residual output projections by ``sqrt(2 i)`` so the residual stream's variance
    stays bounded with depth."""
    with torch.no_grad():
        for i, block in enumerate(blocks, start=1):
            block.proj.weight.div_(math.sqrt(2.0 * i))
            block.mlp[-1].weight.div_(math.sqrt(2.0 * i))


def gather_tokens(tokens: Tensor, idx: Tensor) -> Tensor:
    """Rows ``idx`` ``(batch, k)`` of ``tokens`` ``(batch, n, dim)`` -> ``(batch, k, dim)``."""
    if idx.dim() != 2 or idx.shape[0] != tokens.shape[0]:
        raise ValueError(f"token indices must be (batch={tokens.shape[0]}, k), got shape {tuple(idx.shape)}")
    return torch.gather(tokens, 1, idx.long().unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


class VisionTransformer(nn.Module):
    """ViT over 2D patches or 3D tubelets returning normalised tokens ``(batch, n, dim)``.

    Args:
        input_size: ``(H, W)`` for images or ``(T, H, W)`` for videos.
        in_channels: input channels ``C``.
        patch_size: spatial side ``p`` of a patch; must divide ``H`` and ``W``.
        tubelet_size: frames per tubelet for videos (must divide ``T``); ``None`` for images.
        dim, depth, heads: token width, number of blocks, attention heads.
        mlp_ratio: MLP hidden width over ``dim``.

    Attributes: ``grid`` (token grid), ``num_tokens``, ``dim``.
    """

    def __init__(
        self,
        input_size: tuple[int, ...],
        in_channels: int,
        patch_size: int,
        tubelet_size: int | None = None,
        dim: int = 192,
        depth: int = 12,
        heads: int = 3,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        input_size = tuple(int(s) for s in input_size)
        if len(input_size) == 2:
            if tubelet_size is not None:
                raise ValueError(
                    f"tubelet_size applies to (T, H, W) inputs only, got {tubelet_size!r} for input_size {input_size}"
                )
            kernel: tuple[int, ...] = (patch_size, patch_size)
            conv: type[nn.Module] = nn.Conv2d
        elif len(input_size) == 3:
            if tubelet_size is None or tubelet_size < 1:
                raise ValueError(
                    f"(T, H, W) input_size {input_size} needs a positive tubelet_size, got {tubelet_size!r}"
                )
            kernel = (tubelet_size, patch_size, patch_size)
            conv = nn.Conv3d
        else:
            raise ValueError(f"input_size must be (H, W) or (T, H, W), got {input_size!r}")
        if patch_size < 1 or in_channels < 1 or depth < 1:
            raise ValueError(
                f"need patch_size, in_channels and depth >= 1, got {patch_size!r}, {in_channels!r}, {depth!r}"
            )
        if any(s < 1 or s % k for s, k in zip(input_size, kernel)):
            raise ValueError(f"input_size {input_size} must be positive multiples of the patch/tubelet size {kernel}")
        self.input_size = input_size
        self.in_channels = in_channels
        self.grid = tuple(s // k for s, k in zip(input_size, kernel))
        self.num_tokens = math.prod(self.grid)
        self.dim = dim
        self.patch_embed = conv(in_channels, dim, kernel_size=kernel, stride=kernel)
        # fixed, so it is rebuilt from the sizes rather than stored in checkpoints
        self.register_buffer("pos_embed", sincos(dim, self.grid), persistent=False)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.apply(init_weights)
        # Patches as in MAE: Xavier on the flattened projection, so a token's content is as large as its
        # sin-cos position (std 0.02 suits 16 x 16 x 3 standardised patches; on 4 x 4 patches of [0, 1]
        # values it leaves tokens ~10x smaller than their positions, which the predictor then learns alone)
        nn.init.xavier_uniform_(self.patch_embed.weight.view(dim, -1))
        rescale_residuals(self.blocks)

    def embed(self, x: Tensor, keep: Tensor | None = None) -> Tensor:
        """Patch tokens plus position embedding ``(batch, n, dim)``, or only rows ``keep`` ``(batch, n_keep)``."""
        if tuple(x.shape[1:]) != (self.in_channels, *self.input_size):
            raise ValueError(
                f"expected input (batch, {self.in_channels}, {', '.join(map(str, self.input_size))}), "
                f"got {tuple(x.shape)}"
            )
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed
        return tokens if keep is None else gather_tokens(tokens, keep)

    def forward(self, x: Tensor, keep: Tensor | None = None) -> Tensor:
        """``(batch, C, H, W)`` or ``(batch, C, T, H, W)`` -> ``(batch, n, dim)``,
        ``n = n_keep`` when ``keep`` is given."""
        tokens = self.embed(x, keep)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)


def vit(
    name: str,
    input_size: tuple[int, ...],
    in_channels: int,
    patch_size: int = 16,
    tubelet_size: int = 2,
    mlp_ratio: float = 4.0,
) -> VisionTransformer:
    """A :class:`VisionTransformer` of the registry size :data:`VIT_SIZES` ``name``; ``tubelet_size`` is used
    only for ``(T, H, W)`` inputs."""
    try:
        dim, depth, heads = VIT_SIZES[name]
    except KeyError:
        raise ValueError(f"unknown ViT {name!r}; choose one of {sorted(VIT_SIZES)}") from None
    tubelet = tubelet_size if len(input_size) == 3 else None
    return VisionTransformer(input_size, in_channels, patch_size, tubelet, dim, depth, heads, mlp_ratio)


class PooledEncoder(nn.Module):
    """A ViT as a pooled encoder like :class:`~pdejepa.models.ResNet`: mean over tokens, ``(batch, dim)``."""

    def __init__(self, vit: VisionTransformer) -> None:
        super().__init__()
        self.vit = vit
        self.dim = vit.dim

    def forward(self, x: Tensor) -> Tensor:
        return self.vit(x).mean(dim=1)
