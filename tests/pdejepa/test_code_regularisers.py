"""Regularisers of the SSL conditioning code: each runs, draws from its seed only, and refuses bad values."""

from __future__ import annotations

import pytest
import torch

from pdejepa.jobs.stepper_codes import principal_components, standardise, window_starts
from pdejepa.config import load_config
from pdejepa.steppers.code import perturb, pick_window
from pdejepa.steppers.module import TimeStepping
from pdejepa.steppers.pairs import FramePairs
from pdejepa.jobs.timestepping import fields_after, pooled
from pdejepa.train.trainer import quiet_trainer
from torch.utils.data import DataLoader


pytestmark = pytest.mark.usefixtures("one_torch_thread")


REGULARISERS = {
    "noise": {"code_noise": 0.5},
    "dropout": {"code_dropout": 0.3},
    "bottleneck": {"code_dims": 2},
    "film_weight_decay": {"film_weight_decay": 5.0},
    "other_window": {},  # window codes in the batches
}


def fit(regulariser: str, seed: int) -> dict[str, torch.Tensor]:
    """Three steps of a tiny 2D three-field FiLM stepper with one regulariser; its weights."""
    data = torch.Generator().manual_seed(0)
    u = torch.randn(4, 7, 3, 8, 8, generator=data)
    z = torch.randn(4, 3, 5, generator=data) if regulariser == "other_window" else torch.randn(4, 5, generator=data)
    windows = ((-2, 0, 2), 2) if regulariser == "other_window" else ()
    torch.manual_seed(0)  # the same initial weights for every seed: what differs is the regulariser's draws
    operator = {"n_modes": (4, 4), "fields": 3, "history": 1, "horizon": 2, "hidden": 4, "n_layers": 1}
    operator |= {"conditioning": "film", "cond_dim": 5}
    extra = dict(REGULARISERS[regulariser])
    if "code_dims" in extra:
        operator["code_dims"] = extra.pop("code_dims")
    module = TimeStepping(operator=operator, seed=seed, **extra)
    torch.nn.init.normal_(module.model.film.map.weight, std=0.1)  # let z reach the output from the first step
    loader = DataLoader(FramePairs(u, z, 1, 2, *windows), batch_size=4, shuffle=False)
    quiet_trainer(max_steps=3, accelerator="cpu", devices=1).fit(module, loader)
    return {k: v.clone() for k, v in module.model.state_dict().items() if torch.is_tensor(v)}


@pytest.mark.parametrize("regulariser", list(REGULARISERS))
def test_each_regulariser_runs_and_is_seeded(regulariser):
    first, again = fit(regulariser, seed=0), fit(regulariser, seed=0)
    assert all(torch.equal(first[k], again[k]) for k in first)  # same seed, same weights
    if regulariser in ("noise", "dropout", "other_window"):  # random draws: another seed, other weights
        other = fit(regulariser, seed=1)
        assert any(not torch.equal(first[k], other[k]) for k in first)
    if regulariser == "bottleneck":
        assert first["bottleneck.weight"].shape == (2, 5)


def test_film_weight_decay_applies_to_the_conditioning_layers_only():
    operator = {"n_modes": (4,), "fields": 1, "history": 1, "horizon": 1, "hidden": 4, "n_layers": 1}
    module = TimeStepping(
        operator={**operator, "conditioning": "film", "cond_dim": 3, "code_dims": 2}, film_weight_decay=0.5
    )
    module.trainer = type("T", (), {"estimated_stepping_batches": 10})()
    groups = module.configure_optimizers()["optimizer"].param_groups
    film = {id(p) for m in (module.model.film, module.model.bottleneck) for p in m.parameters()}
    assert [g["weight_decay"] for g in groups] == [1e-4, 0.5]
    assert {id(p) for p in groups[1]["params"]} == film


def test_perturb_and_pick_window_draw_from_their_generator():
    z = torch.ones(64, 4)
    a = perturb(z, 0.3, 0.25, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, perturb(z, 0.3, 0.25, torch.Generator().manual_seed(3)))
    assert not torch.equal(a, perturb(z, 0.3, 0.25, torch.Generator().manual_seed(4)))
    dropped = perturb(z, 0.0, 0.25, torch.Generator().manual_seed(0))
    torch.testing.assert_close(dropped.unique(), torch.tensor([0.0, 4 / 3]))  # inverted dropout keeps the mean
    assert torch.equal(perturb(z, 0.0, 0.0, torch.Generator()), z)  # off: the code as it is
    codes = torch.arange(12.0).view(4, 3, 1)
    allowed = torch.tensor([[True, False, False], [False, True, True], [False, False, True], [True, True, True]])
    picks = torch.stack([pick_window(codes, allowed, torch.Generator().manual_seed(s))[:, 0] for s in range(20)])
    window = picks - torch.tensor([0.0, 3.0, 6.0, 9.0])
    assert bool(allowed[torch.arange(4), window.long()].all())  # only allowed windows are drawn
    assert window[:, 1].unique().numel() == 2  # and every allowed one can be
    with pytest.raises(ValueError, match="at least one allowed window"):
        pick_window(codes, torch.zeros(4, 3, dtype=torch.bool), torch.Generator())


def test_frame_pairs_allow_only_windows_that_share_no_frame_with_the_pair():
    u = torch.zeros(1, 10, 1, 4)
    pairs = FramePairs(u, torch.zeros(1, 3, 2), history=1, horizon=2, starts=(-3, 0, 3), length=3)
    allowed = [pairs[t][3].tolist() for t in range(len(pairs))]  # pair t covers frames t .. t + 2
    assert allowed[0] == [True, False, True]
    assert allowed[1] == [True, False, False]
    assert allowed[3] == [True, True, False]
    assert allowed[6] == [True, True, True]
    assert window_starts(24, 8, other=True) == (0, 8, 16) and window_starts(24, 8, other=False) == (0,)
    with pytest.raises(ValueError, match="one start per window"):
        FramePairs(u, torch.zeros(1, 3, 2), 1, 2, starts=(0,), length=3)


def test_principal_components_are_whitened_projections_of_the_context_codes():
    g = torch.Generator().manual_seed(0)
    mix = torch.randn(3, 6, generator=g)
    train = (torch.randn(200, 3, generator=g) * torch.tensor([5.0, 2.0, 0.5])) @ mix  # rank 3 in 6 dims
    train, test = standardise(train[:, None].expand(-1, 2, -1).contiguous(), train[:10])
    pc_train, pc_test = principal_components(train, test, dims=2)
    assert pc_train.shape == (200, 2, 2) and pc_test.shape == (10, 2)
    cov = pc_train[:, 0].T @ pc_train[:, 0] / 199
    torch.testing.assert_close(cov, torch.eye(2), atol=1e-4, rtol=0)  # uncorrelated, unit variance
    torch.testing.assert_close(pc_test, pc_train[:10, 0])
    with pytest.raises(ValueError, match="code_dims=7"):
        principal_components(train, test, dims=7)


def test_pooling_averages_blocks_of_cells_and_their_centres():
    class Items(list):
        pass

    u = torch.arange(2 * 5 * 3 * 4 * 4, dtype=torch.float32).view(2, 5, 3, 4, 4)
    ds = Items({"u": sample} for sample in u)
    out = fields_after(ds, 2, pool=2)
    assert out.shape == (2, 3, 3, 2, 2)
    torch.testing.assert_close(out[1, 0, 2, 1, 0], u[1, 2, 2, 2:4, 0:2].mean())
    assert pooled([0.5, 1.5, 2.5, 3.5], 2) == [1.0, 3.0]
    with pytest.raises(ValueError, match="timestep.pool=3 must divide the grid's 4 x 4 cells"):
        fields_after(ds, 0, pool=3)


@pytest.mark.parametrize(
    "override, message",
    [
        ("timestep.code_dropout=1.0", "timestep.code_dropout must be a probability in [0, 1), got 1.0"),
        ("timestep.code_noise=-0.1", "timestep.code_noise must be a finite number >= 0, got -0.1"),
        ("timestep.code_dims=0", "timestep.code_dims must be an int >= 1, got 0"),
        ("timestep.code_pca=true", "timestep.code_pca needs timestep.code_dims"),
        ("timestep.code_pca=yes please", "timestep.code_pca must be true or false, got 'yes please'"),
        ("timestep.film_weight_decay=-1", "timestep.film_weight_decay must be a finite number >= 0, got -1"),
        ("timestep.code_window=same", "timestep.code_window must be one of ['context', 'other'], got 'same'"),
        ("timestep.pool=0", "timestep.pool must be an int >= 1, got 0"),
        ("timestep.variants=[ssl, ssl]", "timestep.variants must be a non-empty list of distinct entries"),
    ],
)
def test_bad_regulariser_values_are_one_line_errors_naming_them(override, message):
    with pytest.raises(ValueError) as err:
        load_config(None, [override])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_regularisers_are_off_by_default():
    t = load_config(None, []).timestep
    assert (t.code_dims, t.code_pca, t.code_noise, t.code_dropout, t.film_weight_decay, t.code_window) == (
        None,
        False,
        0.0,
        0.0,
        None,
        "context",
    )
    assert (t.pool, t.variants) == (1, ("none", "ssl", "oracle"))
