"""Representation-conditioned FNO time-steppers: per-sample conditioning, a toy that needs it, the job end to end."""

from __future__ import annotations

import json

import pytest
import torch

from pdejepa.eval.metrics import relative_l2
from pdejepa.outputs import save_state
from pdejepa.steppers import ConditionedFNO, FiLM
from pdejepa.steppers.pairs import FramePairs
from solvers.threads import threads_per_worker


@pytest.mark.parametrize("conditioning", ["film", "channels"])
def test_conditioning_changes_the_output_per_sample(conditioning):
    torch.manual_seed(0)
    model = ConditionedFNO((8,), history=1, horizon=2, hidden=8, n_layers=2, conditioning=conditioning, cond_dim=3)
    if conditioning == "film":  # zero-initialised: the identity until trained
        torch.nn.init.normal_(model.film.map.weight)
    x = torch.randn(1, 1, 32).expand(2, -1, -1)  # the same state twice
    z = torch.tensor([[1.0, 0.0, -1.0], [-1.0, 2.0, 0.5]])
    out = model(x, z)
    assert out.shape == (2, 2, 32)
    assert (out[0] - out[1]).abs().max() > 1e-3  # different embeddings, different predictions
    torch.testing.assert_close(model(x, z[[0, 0]])[1], out[0])  # same embedding, same prediction
    with pytest.raises(ValueError, match="cond_dim"):
        model(x, None)


def test_a_residual_stepper_adds_its_operator_output_to_the_last_input_frame_of_every_field():
    kwargs = dict(history=2, horizon=3, hidden=8, n_layers=2, fields=2)
    torch.manual_seed(0)
    plain = ConditionedFNO((6, 6), **kwargs)
    torch.manual_seed(0)
    residual = ConditionedFNO((6, 6), residual=True, **kwargs)  # the same operator
    x = torch.randn(4, 2 * 2, 12, 12)  # two frames of two fields
    last = x[:, 2:4]  # the second frame's two fields
    torch.testing.assert_close(residual(x), plain(x) + last.repeat(1, 3, 1, 1))
    rolled = residual.rollout(x.unflatten(1, (2, 2)), steps=5)
    assert rolled.shape == (4, 5, 2, 12, 12)


def test_film_modulates_each_sample_with_its_own_scale_and_shift():
    film = FiLM(cond_dim=2, channels=3, n_layers=2)
    torch.testing.assert_close(
        film(torch.ones(2, 3, 5), film.modulations(torch.randn(2, 2)), 1), torch.ones(2, 3, 5)
    )  # identity at init
    with torch.no_grad():
        film.map.bias.copy_(torch.arange(12.0))
        film.map.weight.zero_()
        film.map.weight[:, 0] = 1.0
    z = torch.tensor([[0.0, 5.0], [1.0, 5.0]])
    h = film(torch.ones(2, 3, 4, 4), film.modulations(z), layer=1)  # layer 1: gamma = bias 6..8 + z0, beta = 9..11 + z0
    expected = (1 + torch.arange(6.0, 9.0) + z[:, :1]) + (torch.arange(9.0, 12.0) + z[:, :1])
    torch.testing.assert_close(h[:, :, 0, 0], expected)


@pytest.mark.parametrize("conditioning", ["film", "channels"])
def test_oracle_conditioning_learns_what_the_state_does_not_show(conditioning):
    """u_next = a * u with a in {0.5, 1.5} per sample: unseen in u, known from z = a."""
    g = torch.Generator().manual_seed(0)
    n = 256  # the first half trains, the second half tests (a stepper could memorise its training states)
    a = torch.where(torch.rand(n, generator=g) < 0.5, 0.5, 1.5)
    k = torch.arange(1, 4.0)
    phase = torch.rand(n, 3, generator=g) * 6.28
    x = (
        torch.randn(n, 3, generator=g)[..., None]
        * torch.sin(k[None, :, None] * torch.linspace(0, 6.28, 33)[:-1] + phase[..., None])
    ).sum(1)[:, None]
    y, z = a[:, None, None] * x, (a[:, None] - 1.0) * 2

    def fit(cond: str) -> float:
        torch.manual_seed(0)
        model = ConditionedFNO((4,), 1, 1, hidden=8, n_layers=1, conditioning=cond, cond_dim=1 if cond != "none" else 0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        train, test = slice(0, n // 2), slice(n // 2, n)
        for _ in range(200):
            loss = torch.nn.functional.mse_loss(model(x[train], z[train] if cond != "none" else None), y[train])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred = model(x[test], z[test] if cond != "none" else None)
            return float(relative_l2(pred, y[test], dims=(1, 2)).mean())

    blind, informed = fit("none"), fit(conditioning)
    assert blind > 0.15  # a-blind, u_next = c u at best: mean of (c - a)^2 / a^2 is at least 0.2 (c = 0.6)
    assert informed < 0.1 * blind


def test_frame_pairs_and_rollout_line_up():
    u = torch.arange(2 * 6 * 1 * 4, dtype=torch.float32).view(2, 6, 1, 4)
    pairs = FramePairs(u, torch.zeros(2, 0), history=2, horizon=1)
    assert len(pairs) == 2 * 4
    x, y, _ = pairs[5]  # sample 1, start 1
    torch.testing.assert_close(x, u[1, 1:3, 0])
    torch.testing.assert_close(y, u[1, 3:4, 0])
    model = ConditionedFNO((2,), history=2, horizon=3, hidden=4, n_layers=1)
    start = torch.randn(2, 2, 1, 4)
    roll = model.rollout(start, 5)
    assert roll.shape == (2, 5, 1, 4)
    torch.testing.assert_close(roll[:, :3, 0], model(start[:, :, 0]))
    torch.testing.assert_close(roll[:, 3:, 0], model(roll[:, 1:3, 0])[:, :2])


def test_a_saved_stepper_loads_with_weights_only(tmp_path):
    """neuralop's FNO adds its init arguments to the state of any module holding it; the stepper leaves them out,
    so its saved weights load into a new stepper."""
    model = ConditionedFNO((4, 4), 1, 2, 8, 1, "film", 3, fields=3)
    path = save_state(model.state_dict(), tmp_path / "stepper.pt")
    again = ConditionedFNO((4, 4), 1, 2, 8, 1, "film", 3, fields=3)
    again.load_state_dict(torch.load(path, weights_only=True))
    x, z = torch.randn(2, 3, 8, 8), torch.randn(2, 3)
    torch.testing.assert_close(again(x, z), model(x, z), rtol=0, atol=0)


def test_timestep_job_end_to_end_on_cpu(tmp_path, capsys):
    from pdejepa.cli import main

    common = [
        f"data.dir={tmp_path / 'data'}",
        "data.num_train=16",
        "data.num_test=4",
        "data.simulation={nx: 64, nt: 21, t_end: 0.8, params: {nu: [0.2, 0.5]}}",
        "pretrain.window=[8, 64]",
        "pretrain.width=4",
        "pretrain.vicreg.expander=[16, 16]",
        "pretrain.epochs=1",
        "pretrain.batch_size=8",
        "pretrain.accelerator=cpu",
        "pretrain.strengths={space_shift: 1.0}",
    ]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--set", *common]) == 0
    step = [
        "timestep.steps=3",
        "timestep.seeds=[0, 1]",
        "timestep.modes=4",
        "timestep.hidden=8",
        "timestep.batch_size=8",
        "timestep.workers=2",  # side by side, one torch thread each (pdejepa.jobs.pool)
    ]
    assert (
        main(
            [
                "timestep",
                "--ckpt",
                str(tmp_path / "pre" / "last.ckpt"),
                "--out",
                str(tmp_path / "ts"),
                "--set",
                *common,
                *step,
            ]
        )
        == 0
    )
    assert "closes" in capsys.readouterr().out
    rows = json.loads((tmp_path / "ts" / "timestep.json").read_text())
    assert [r["variant"] for r in rows] == ["none", "ssl", "oracle"] * 2
    assert [r["seed"] for r in rows] == [0] * 3 + [1] * 3 and {r["threads"] for r in rows} == {threads_per_worker(2)}
    frames = 21 - 8 - 1
    assert all(len(r["rollout_rel_l2"]) == len(r["rollout_vrmse"]) == frames and r["one_step_rel_l2"] > 0 for r in rows)
    assert "rollout relative L2" in (tmp_path / "ts" / "timestep.md").read_text()
    for name in ("rollout_error.png", "rollouts.png", "timestep.md", "stepper_ssl.pt", "timestep_config.yaml"):
        assert (tmp_path / "ts" / name).stat().st_size > 0
