"""A pretraining method is one class and one registry entry: a toy method registered here pretrains through the
CLI, its config section is checked like any other, and the regression job uses its encoder. Each choice list of
the config is its owner's registry."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from pdejepa.cli import main
from pdejepa.config import load_config
from pdejepa.config.schema import Rules
from pdejepa.methods import METHODS, ResNetPretraining

from .tiny import TINY


@dataclass(frozen=True)
class ToyConfig:
    target: str = "mean"
    weight: float = 1.0

    @classmethod
    def rules(cls) -> Rules:
        return Rules(choices={"target": ("mean", "max")})


class ToyPretraining(ResNetPretraining):
    """Predicts a statistic of each view's field channel from its representation (a ResNet)."""

    name = "toy"
    summary = "a toy objective: a statistic of the window from its representation"
    Section = ToyConfig

    def __init__(self, *, target: str, weight: float, **shared) -> None:
        super().__init__(**shared)
        self.head = nn.Linear(self.encoder.dim, 1)

    @classmethod
    def build(cls, exp) -> ToyPretraining:
        return cls(
            **cls.shared_arguments(exp), target=exp.config.pretrain.toy.target, weight=exp.config.pretrain.toy.weight
        )

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        x = self.views(batch, seed=self.step_seed())
        h = self.encoder(x)
        field = x[:, 0].flatten(1)
        target = field.mean(1) if self.hparams.target == "mean" else field.amax(1)
        loss = self.hparams.weight * nn.functional.mse_loss(self.head(h)[:, 0], target)
        self.record(h)
        self.log("loss", loss)
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(METHODS, ToyPretraining.name, ToyPretraining)
    return ToyPretraining


def test_a_registered_method_pretrains_and_its_encoder_regresses(toy, tmp_path, capsys):
    common = [f"data.dir={tmp_path / 'data'}", *TINY, "pretrain.method=toy", "pretrain.toy.target=max"]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--set", *common]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    assert main(["regress", "--ckpt", str(ckpt), "--out", str(tmp_path / "reg"), "--set", *common]) == 0
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}
    assert "ssl_frozen" in capsys.readouterr().out  # the regression table went to stdout
    assert torch.load(ckpt, weights_only=True)["hyper_parameters"]["target"] == "max"


def test_a_registered_methods_section_is_checked_and_listed(toy, capsys):
    assert load_config(None, ["pretrain.method=toy"]).pretrain.toy == ToyConfig()
    with pytest.raises(ValueError, match=r"pretrain.toy.target must be one of \['mean', 'max'\], got 'median'"):
        load_config(None, ["pretrain.toy.target=median"])
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    out = capsys.readouterr().out
    assert "toy" in out and ToyPretraining.summary in out and "pretrain.toy.weight = 1.0" in out


def test_an_unregistered_method_is_refused_with_the_registered_ones():
    registered = r"\['vicreg', 'jepa', 'dynamics', 'world'\]"
    with pytest.raises(ValueError, match=rf"pretrain.method must be one of {registered}, got 'toy'"):
        load_config(None, ["pretrain.method=toy"])


def test_the_method_checks_encoder_and_data_before_any_data_is_simulated(tmp_path):
    out = str(tmp_path / "pre")
    data = f"data.dir={tmp_path / 'data'}"
    assert main(["pretrain", "--out", out, "--set", data, "pretrain.method=jepa", "pretrain.encoder=resnet10"]) == 2
    assert main(["pretrain", "--out", out, "--set", data, "data.equation=shapes", "pretrain.encoder=resnet10"]) == 2
    assert not (tmp_path / "data").exists()


def test_every_choice_list_of_the_config_is_its_owners_registry():
    from pdejepa.config import PretrainConfig, ProbeConfig, RegressConfig, TimestepConfig
    from pdejepa.eval import HEADS, PROBES, REGRESSORS
    from pdejepa.losses import DISTANCES
    from pdejepa.methods.jepa import JEPAConfig
    from pdejepa.steppers import CODE_WINDOWS, CONDITIONINGS, VARIANTS

    assert PretrainConfig.rules().choices["method"] == tuple(METHODS)
    assert JEPAConfig.rules().choices["loss"] == tuple(DISTANCES)
    assert RegressConfig.rules().choices["head"] == tuple(HEADS)
    assert RegressConfig.rules().members["methods"] == tuple(REGRESSORS) == RegressConfig().methods
    assert ProbeConfig.rules().members["probes"] == tuple(PROBES) == ProbeConfig().probes
    rules = TimestepConfig.rules()
    assert rules.members["variants"] == tuple(VARIANTS) == TimestepConfig().variants
    assert rules.choices["conditioning"] == CONDITIONINGS and rules.choices["code_window"] == CODE_WINDOWS
