"""VICReg pretraining: a few CPU steps end to end, collapse detection, checkpoint resume."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from pdejepa.data import TrajectoryDataset, collate
from pdejepa.methods import VICRegPretraining
from pdejepa.train import CollapseMonitor, rankme
from pdejepa.train.collapse import embedding_std
from solvers import SimulationConfig
from solvers.generate import generate
from symmetries.registry import EQUATIONS

STRENGTHS = {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2}


@pytest.fixture(scope="module")
def loader(tmp_path_factory):
    cfg = SimulationConfig.default("burgers", nx=128, nt=41, t_end=2.0, params={"nu": (0.1, 0.5)})
    path = generate(cfg, 16, tmp_path_factory.mktemp("d") / "b.h5", progress=False)
    return DataLoader(TrajectoryDataset(path, labels=("nu",)), batch_size=8, collate_fn=collate, shuffle=False)


def module(**kw):
    return VICRegPretraining(
        views={"equation": EQUATIONS["burgers"], "strengths": STRENGTHS, "window": (16, 32), "params": ("nu",)},
        width=4,
        encoder="resnet10",
        expander_sizes=(32, 32),
        max_epochs=2,
        **kw,
    )


def trainer(tmp_path, **kw):
    return L.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        **kw,
    )


def test_rankme_and_std_see_collapse():
    g = torch.Generator().manual_seed(0)
    healthy = torch.randn(256, 16, generator=g)
    assert rankme(healthy) > 12 and embedding_std(healthy) > 0.2
    constant = torch.ones(256, 16)  # a constant encoder
    assert rankme(constant) < 1.01 and embedding_std(constant) < 1e-6
    low_rank = healthy[:, :1] * torch.ones(1, 16)
    assert rankme(low_rank) < 1.5


def test_collapse_monitor_warns_on_a_constant_encoder(tmp_path, loader):
    model = module()
    for p in model.encoder.parameters():
        p.requires_grad_(False)
        torch.nn.init.zeros_(p)  # every window maps to the same representation
    monitor = CollapseMonitor(model.embeddings)
    with pytest.warns(UserWarning, match="collapse"):
        trainer(tmp_path, max_epochs=1, callbacks=[monitor]).fit(model, loader)
    assert monitor.warnings


def test_pretraining_runs_and_resumes_exactly(tmp_path, loader):
    torch.manual_seed(0)
    first = module()
    t = trainer(tmp_path / "a", max_epochs=2, callbacks=[CollapseMonitor(first.embeddings)], deterministic=True)
    t.fit(first, loader)
    assert torch.isfinite(torch.tensor(t.callback_metrics["loss"].item()))
    assert "rankme" in t.callback_metrics
    # stop after one epoch, resume from its checkpoint: same weights as the uninterrupted run
    torch.manual_seed(0)
    half = module()
    t1 = trainer(tmp_path / "b", max_epochs=1, deterministic=True)
    t1.fit(half, loader)
    ckpt = tmp_path / "half.ckpt"
    t1.save_checkpoint(ckpt)
    torch.load(ckpt, weights_only=True)  # loads without unpickling arbitrary objects
    resumed = module()
    trainer(tmp_path / "c", max_epochs=2, deterministic=True).fit(resumed, loader, ckpt_path=ckpt)
    for (name, p), q in zip(first.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize("low_rank_expected", [False, True])
def test_a_rank_fall_is_reported_unless_the_objective_wants_a_low_rank(low_rank_expected):
    from types import SimpleNamespace

    g = torch.Generator().manual_seed(0)
    healthy, low = torch.randn(256, 16, generator=g), torch.randn(256, 2, generator=g) @ torch.randn(2, 16, generator=g)
    model, embeddings = SimpleNamespace(log_dict=lambda *a, **k: None), []
    monitor = CollapseMonitor(embeddings, low_rank_expected=low_rank_expected, warmup_epochs=0)
    for epoch, z in enumerate((healthy, low)):
        embeddings.append(z)
        monitor.on_train_epoch_end(SimpleNamespace(current_epoch=epoch), model)
    assert bool(monitor.warnings) is not low_rank_expected
