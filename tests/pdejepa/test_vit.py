"""ViT encoders, sin-cos position embeddings and the JEPA predictor: formulas, token layout, masking, errors."""

from __future__ import annotations

import math

import pytest
import torch

from pdejepa.models import (
    VIT_SIZES,
    Block,
    PooledEncoder,
    Predictor,
    VisionTransformer,
    sincos_2d,
    sincos_3d,
    split_3d,
    vit,
)


def literal_axis(pos: int, d: int) -> list[float]:
    """[sin(pos w_0), ..., sin(pos w_{d/2-1}), cos(pos w_0), ...] with w_k = 10000^(-k / (d/2))."""
    omegas = [10000.0 ** (-k / (d / 2)) for k in range(d // 2)]
    return [math.sin(pos * w) for w in omegas] + [math.cos(pos * w) for w in omegas]


def assert_rows_distinct(emb: torch.Tensor) -> None:
    dist = torch.cdist(emb, emb) + torch.eye(len(emb))
    assert dist.min() > 1e-3


def test_sincos_2d_matches_the_formula_row_major():
    h, w, dim = 3, 5, 8
    emb = sincos_2d(dim, (h, w))
    assert emb.shape == (h * w, dim) and emb.dtype == torch.float32
    for r, c in [(0, 0), (0, 4), (2, 1), (1, 3)]:
        expected = torch.tensor(literal_axis(r, dim // 2) + literal_axis(c, dim // 2))
        torch.testing.assert_close(emb[r * w + c], expected)
    assert_rows_distinct(emb)


def test_sincos_3d_matches_the_formula_with_the_documented_split():
    assert split_3d(48) == (12, 18, 18) and split_3d(384) == (96, 144, 144) and split_3d(6) == (2, 2, 2)
    t, h, w, dim = 2, 3, 4, 48
    emb = sincos_3d(dim, (t, h, w))
    assert emb.shape == (t * h * w, dim)
    for f, r, c in [(0, 0, 0), (1, 2, 3), (1, 0, 2), (0, 1, 1)]:
        expected = torch.tensor(literal_axis(f, 12) + literal_axis(r, 18) + literal_axis(c, 18))
        torch.testing.assert_close(emb[(f * h + r) * w + c], expected)
    assert_rows_distinct(emb)


def test_bad_embedding_sizes_are_named():
    with pytest.raises(ValueError, match="got 6"):
        sincos_2d(6, (2, 2))
    with pytest.raises(ValueError, match="got 7"):
        sincos_3d(7, (2, 2, 2))


def tiny_vit(input_size, in_channels=2, patch=4, tubelet=None, dim=8, depth=1, heads=2):
    return VisionTransformer(input_size, in_channels, patch, tubelet, dim=dim, depth=depth, heads=heads)


@pytest.mark.parametrize(
    ("input_size", "tubelet", "grid"),
    [((8, 12), None, (2, 3)), ((16, 16), None, (4, 4)), ((4, 8, 12), 2, (2, 2, 3)), ((6, 8, 8), 3, (2, 2, 2))],
)
def test_token_grid_and_count_for_images_and_videos(input_size, tubelet, grid):
    model = tiny_vit(input_size, tubelet=tubelet)
    assert model.grid == grid and model.num_tokens == math.prod(grid) and model.dim == 8
    out = model(torch.randn(3, 2, *input_size))
    assert out.shape == (3, math.prod(grid), 8)
    out.square().sum().backward()
    assert model.patch_embed.weight.grad.abs().sum() > 0
    # the position embedding is fixed: neither trained nor stored in checkpoints
    assert "pos_embed" not in model.state_dict() and all("pos_embed" not in n for n, _ in model.named_parameters())


@pytest.mark.parametrize(("input_size", "tubelet"), [((8, 12), None), ((4, 8, 12), 2)])
def test_keep_selects_the_row_major_patches_at_the_embedding_stage(input_size, tubelet):
    torch.manual_seed(0)
    model = tiny_vit(input_size, tubelet=tubelet)
    x = torch.randn(2, 2, *input_size)
    keep = torch.tensor([[0, 5, 2], [4, 1, 3]])
    kept = model.embed(x, keep)
    assert kept.shape == (2, 3, 8)
    weight, bias = model.patch_embed.weight, model.patch_embed.bias
    kernel, grid = weight.shape[2:], model.grid
    for b in range(2):
        for m, k in enumerate(keep[b].tolist()):
            # unravel the flat token index row-major and cut that patch/tubelet out of the input by hand
            coords = [int(c) for c in torch.unravel_index(torch.tensor(k), grid)]
            patch = x[(b, slice(None), *(slice(c * s, (c + 1) * s) for c, s in zip(coords, kernel)))]
            token = (patch * weight).flatten(1).sum(1) + bias + model.pos_embed[k]
            torch.testing.assert_close(kept[b, m], token, atol=1e-5, rtol=1e-5)
    full = model.embed(x)
    torch.testing.assert_close(kept, full[torch.arange(2)[:, None], keep])


def test_forward_with_keep_sees_only_the_kept_patches():
    torch.manual_seed(0)
    model = tiny_vit((8, 12), depth=2)
    x = torch.randn(2, 2, 8, 12)
    keep = torch.tensor([[0, 2, 5], [1, 3, 4]])
    out = model(x, keep)
    assert out.shape == (2, 3, 8)
    dropped = x.clone()
    dropped[0, :, 0:4, 4:8] += 10.0  # token 1 of sample 0, not kept
    dropped[1, :, 0:4, 0:4] += 10.0  # token 0 of sample 1, not kept
    torch.testing.assert_close(model(dropped, keep), out)
    kept = x.clone()
    kept[0, :, 4:8, 8:12] += 10.0  # token 5 of sample 0, kept
    assert not torch.allclose(model(kept, keep)[0], out[0])
    torch.testing.assert_close(model(kept, keep)[1], out[1])


def test_keeping_all_tokens_in_another_order_permutes_the_output():
    torch.manual_seed(0)
    model = tiny_vit((8, 12), depth=2)
    x = torch.randn(2, 2, 8, 12)
    perm = torch.stack([torch.randperm(6, generator=torch.Generator().manual_seed(s)) for s in (1, 2)])
    torch.testing.assert_close(model(x, perm), model(x)[torch.arange(2)[:, None], perm], atol=1e-5, rtol=1e-5)


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match=r"\(30, 32\).*\(4, 4\)"):
        tiny_vit((30, 32))
    with pytest.raises(ValueError, match=r"\(5, 8, 8\).*\(2, 4, 4\)"):
        tiny_vit((5, 8, 8), tubelet=2)
    with pytest.raises(ValueError, match="tubelet_size"):
        tiny_vit((4, 8, 8))
    with pytest.raises(ValueError, match="tubelet_size"):
        tiny_vit((8, 8), tubelet=2)
    with pytest.raises(ValueError, match=r"\(8, 8, 8, 8\)"):
        tiny_vit((8, 8, 8, 8))
    with pytest.raises(ValueError, match="dim=50, heads=3"):
        Block(50, 3)
    model = tiny_vit((8, 8))
    with pytest.raises(ValueError, match=r"\(1, 2, 8, 12\)"):
        model(torch.randn(1, 2, 8, 12))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        model(torch.randn(1, 2, 8, 8), keep=torch.tensor([0, 1, 2]))


def test_registry_sizes_and_small_models_build():
    assert VIT_SIZES == {
        "vit_nano": (48, 2, 2),
        "vit_micro": (96, 4, 3),
        "vit_tiny": (192, 12, 3),
        "vit_small": (384, 12, 6),
        "vit_base": (768, 12, 12),
        "vit_large": (1024, 24, 16),
        "vit_huge": (1280, 32, 16),
    }
    nano = vit("vit_nano", (16, 16), 3, patch_size=4)  # tubelet_size is ignored for images
    assert (nano.dim, len(nano.blocks), nano.blocks[0].heads, nano.grid) == (48, 2, 2, (4, 4))
    assert nano(torch.randn(2, 3, 16, 16)).shape == (2, 16, 48)
    micro = vit("vit_micro", (4, 16, 16), 1, patch_size=8, tubelet_size=2)
    assert (micro.dim, len(micro.blocks), micro.blocks[0].heads, micro.grid) == (96, 4, 3, (2, 2, 2))
    assert micro(torch.randn(1, 1, 4, 16, 16)).shape == (1, 8, 96)
    with pytest.raises(ValueError, match="vit_gigantic.*vit_tiny"):
        vit("vit_gigantic", (16, 16), 3)


def test_pooled_encoder_is_the_token_mean():
    model = tiny_vit((8, 8))
    pooled = PooledEncoder(model)
    x = torch.randn(3, 2, 8, 8)
    assert pooled.dim == 8 and pooled(x).shape == (3, 8)
    torch.testing.assert_close(pooled(x), model(x).mean(1))


def split_indices(batch: int, n: int, n_ctx: int, n_tgt: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Disjoint random context and target positions per sample."""
    order = torch.rand(batch, n, generator=torch.Generator().manual_seed(seed)).argsort(1)
    return order[:, :n_ctx], order[:, n_ctx : n_ctx + n_tgt]


@pytest.mark.parametrize("grid", [(4, 4), (2, 2, 4)])
def test_predictor_shapes_and_gradient_to_the_context(grid):
    torch.manual_seed(0)
    pred = Predictor(grid, embed_dim=16, dim=12, depth=2, heads=2)
    ctx_idx, tgt_idx = split_indices(2, 16, 5, 3, seed=0)
    context = torch.randn(2, 5, 16, requires_grad=True)
    out = pred(context, ctx_idx, tgt_idx)
    assert out.shape == (2, 3, 16)
    out[0, 0].sum().backward()  # one target of sample 0
    assert (context.grad[0].abs().sum(-1) > 0).all()  # every context token of that sample informs it
    assert (context.grad[1] == 0).all()  # and nothing leaks across the batch


def test_predictor_is_permutation_consistent_in_the_targets():
    torch.manual_seed(0)
    pred = Predictor((4, 4), embed_dim=16, dim=12, depth=2, heads=2)
    ctx_idx, tgt_idx = split_indices(2, 16, 6, 4, seed=1)
    context = torch.randn(2, 6, 16)
    perm = torch.tensor([2, 0, 3, 1])
    out = pred(context, ctx_idx, tgt_idx)
    torch.testing.assert_close(pred(context, ctx_idx, tgt_idx[:, perm]), out[:, perm], atol=1e-5, rtol=1e-5)
    # the context is a set too: its order does not change the predictions
    cperm = torch.tensor([4, 1, 5, 0, 3, 2])
    torch.testing.assert_close(pred(context[:, cperm], ctx_idx[:, cperm], tgt_idx), out, atol=1e-5, rtol=1e-5)
    # the predictions depend on where the targets are
    moved = tgt_idx.clone()
    moved[:, 0] = ctx_idx[:, 0]
    assert not torch.allclose(pred(context, ctx_idx, moved)[:, 0], out[:, 0])


def test_predictor_rejects_mismatched_inputs():
    pred = Predictor((4, 4), embed_dim=16, dim=12, depth=1, heads=2)
    with pytest.raises(ValueError, match=r"\(2, 5, 8\)"):
        pred(torch.randn(2, 5, 8), torch.zeros(2, 5, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        pred(torch.randn(2, 5, 16), torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))
