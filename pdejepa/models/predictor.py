"""JEPA predictor (Assran et al., I-JEPA, CVPR 2023; Bardes et al., V-JEPA, 2024).

A narrow transformer that, given the encoded context tokens and their grid positions, predicts the
target encoder's tokens at other positions. Each target position enters as one shared learned mask
token plus that position's fixed sin-cos embedding; with no causal mask the order of the targets
carries no information, so permuting ``target_idx`` permutes the predictions.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .pos_embed import sincos
from .vit import Block, init_weights, rescale_residuals


class Predictor(nn.Module):
    """Context tokens ``(batch, n_ctx, embed_dim)`` -> predicted target tokens ``(batch, n_tgt, embed_dim)``.

    Args:
        grid: token grid of the encoder, ``(h, w)`` or ``(t, h, w)``.
        embed_dim: encoder token width.
        dim, depth, heads: predictor width, blocks and heads (I-JEPA: 384 wide, narrower than the encoder).
        mlp_ratio: MLP hidden width over ``dim``.
    """

    def __init__(
        self,
        grid: tuple[int, ...],
        embed_dim: int,
        dim: int = 384,
        depth: int = 6,
        heads: int = 6,
        mlp_ratio: float = 4.0,
    ) -> None:
        super().__init__()
        if embed_dim < 1 or depth < 1:
            raise ValueError(f"need embed_dim and depth >= 1, got {embed_dim!r}, {depth!r}")
        self.grid = tuple(int(g) for g in grid)
        self.embed_dim = embed_dim
        self.dim = dim
        self.register_buffer("pos_embed", sincos(dim, self.grid), persistent=False)
        self.embed = nn.Linear(embed_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, embed_dim)
        self.apply(init_weights)
        rescale_residuals(self.blocks)
        nn.init.trunc_normal_(self.mask_token, std=0.02)

    def forward(self, context: Tensor, context_idx: Tensor, target_idx: Tensor) -> Tensor:
        """``context`` ``(batch, n_ctx, embed_dim)`` at ``context_idx`` ``(batch, n_ctx)``
        -> ``(batch, n_tgt, embed_dim)`` at ``target_idx`` ``(batch, n_tgt)``."""
        b, n_ctx = context.shape[:2]
        if context.dim() != 3 or context.shape[-1] != self.embed_dim:
            raise ValueError(f"context must be (batch, n_ctx, {self.embed_dim}), got shape {tuple(context.shape)}")
        if tuple(context_idx.shape) != (b, n_ctx):
            raise ValueError(
                f"context_idx must be ({b}, {n_ctx}) like the context, got shape {tuple(context_idx.shape)}"
            )
        if target_idx.dim() != 2 or target_idx.shape[0] != b:
            raise ValueError(f"target_idx must be ({b}, n_tgt), got shape {tuple(target_idx.shape)}")
        ctx = self.embed(context) + self.pos_embed[context_idx.long()]
        tgt = self.mask_token + self.pos_embed[target_idx.long()]
        tokens = torch.cat([ctx, tgt], dim=1)
        for block in self.blocks:
            tokens = block(tokens)
        return self.proj(self.norm(tokens[:, n_ctx:]))
