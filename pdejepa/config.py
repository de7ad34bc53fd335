"""The experiment config: its typed schema and defaults, merging YAML and ``a.b=value`` overrides, load and save.

One nested mapping drives every job (sections ``data``, ``pretrain``, ``regress``, ``probe``, ``timestep``).
Each section is a frozen dataclass whose annotations are the schema: :func:`load_config` merges defaults <
YAML < overrides (:mod:`.overrides`), then checks every field's type and range once, so a bad value is named
where it is read (``pretrain.epochs must be an int >= 1, got -1``) and never reaches a trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .checks import MAX_SEED, check_budgets, check_seeds, check_strengths
from .files import write_atomic
from .overrides import merge, override_mapping
from .schema import Rules, as_plain, build
from .yaml_io import read_yaml

CHOICES: dict[str, tuple[str, ...]] = {
    "pretrain.method": ("vicreg", "jepa", "dynamics"),
    "pretrain.strategy": ("auto", "ddp"),  # Lightning's: auto is DDP on two or more devices
    "pretrain.jepa.loss": ("smooth_l1", "l1"),
    "regress.head": ("linear", "mlp"),
    "timestep.conditioning": ("film", "channels"),
    "timestep.code_window": ("context", "other"),
}
MEMBERS: dict[str, tuple[str, ...]] = {  # list fields: a non-empty list of distinct entries from these
    "regress.methods": ("ssl_frozen", "supervised", "random_frozen"),
    "probe.probes": ("attentive", "linear"),
    "timestep.variants": ("none", "ssl", "oracle"),
}
RULES = Rules(
    choices=CHOICES,
    members=MEMBERS,
    lower={  # int fields that may be 0 (every other int is a count >= 1)
        "data.seed": 0,
        "data.num_valid": 0,
        "pretrain.seed": 0,
        "pretrain.num_workers": 0,
        "pretrain.max_start": 0,
        "pretrain.jepa.past": 0,
        "regress.seeds": 0,
        "probe.seeds": 0,
        "timestep.seeds": 0,
        "pretrain.devices": -1,  # Lightning: -1 = every device, a list names device indices
    },
    upper={"data.seed": MAX_SEED, "pretrain.seed": MAX_SEED},
    checks={
        **{f"{job}.seeds": check_seeds for job in ("regress", "probe", "timestep")},
        **{f"{job}.budgets": check_budgets for job in ("regress", "probe")},
        "pretrain.strengths": check_strengths,
    },
)


@dataclass(frozen=True)
class DataFiles:
    """Trajectory files of ours to read instead of simulating ``<data.dir>/<equation>_<split>.h5`` (e.g. written by
    ``pdejepa import``), paths relative to the working folder: train and test together, valid optionally. Their
    sizes win (``data.num_*`` are ignored); no fingerprint is checked, but each must hold ``data.equation``'s
    fields and ``data.label``."""

    train: str | None = None
    test: str | None = None
    valid: str | None = None

    def __post_init__(self) -> None:
        if (self.train is None) != (self.test is None) or (self.valid is not None and self.train is None):
            raise ValueError(f"data.files needs both train and test (valid is optional), got {as_plain(self)}")


@dataclass(frozen=True)
class DataConfig:
    equation: str = "burgers"
    dir: str = "data"
    num_train: int = 1024
    num_test: int = 256
    num_valid: int = 0  # a validation split (seed + 2): pretraining's early diagnostics (pdejepa.train.validation)
    seed: int = 0
    simulation: dict = field(default_factory=lambda: {"nx": 256, "params": {"nu": [0.1, 0.5]}})
    label: str = "nu"
    log_label: bool = True
    standardise: bool = True  # views standardise the fields by the training file's mean and std
    files: DataFiles = field(default_factory=DataFiles)  # given files instead of simulated ones


@dataclass(frozen=True)
class JEPAConfig:
    """I-JEPA / V-JEPA: warmup-cosine ``lr`` (start, peak, final), cosine ``weight_decay`` (start, end), linear
    ``ema`` momentum; ``symmetries`` also applies ``pretrain.strengths`` to PDE views; ``past`` (videos): 0 is
    V-JEPA's masks, ``p`` makes the first ``p`` token time steps the context and puts the targets after them."""

    patch_size: int = 4
    tubelet_size: int = 2
    predictor: tuple[int, int, int] = (96, 2, 3)
    loss: str = "smooth_l1"
    var_weight: float = 0.0
    lr: tuple[float, float, float] = (2e-4, 1e-3, 1e-6)
    warmup: float = 0.1
    weight_decay: tuple[float, float] = (0.04, 0.4)
    ema: tuple[float, float] = (0.996, 1.0)
    symmetries: bool = False
    past: int = 0


@dataclass(frozen=True)
class DynamicsConfig:
    """Self-supervision by the dynamics (``method: dynamics``): a ``code``-dimensional representation conditions
    a stepper (``hidden`` channels, ``blocks`` FiLM blocks) that predicts ``pairs`` one-step changes per trajectory
    on a grid coarsened ``pool`` times."""

    code: int = 16
    hidden: int = 32
    blocks: int = 3
    pool: int = 2
    pairs: int = 2


@dataclass(frozen=True)
class PretrainConfig:
    """The batches are the same for any ``num_workers`` and, ``batch_size`` being the global batch, DDP processes."""

    method: str = "vicreg"
    encoder: str = "resnet10"
    width: int = 16
    small_input: bool = False
    window: tuple[int, ...] = (32, 256)
    max_start: int | None = None
    expander: tuple[int, ...] = (256, 256, 256)
    strengths: dict = field(
        default_factory=lambda: {"space_shift": 3.0, "galilean_boost": 0.3, "scaling": 0.2, "cole_hopf": 0.5}
    )
    epochs: int = 75
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    accelerator: str = "auto"
    strategy: str = "auto"
    devices: int | str | tuple[int, ...] = 1
    num_nodes: int = 1
    num_workers: int = 0
    jepa: JEPAConfig = field(default_factory=JEPAConfig)
    dynamics: DynamicsConfig = field(default_factory=DynamicsConfig)


@dataclass(frozen=True)
class RegressConfig:
    budgets: tuple[float, ...] = (0.05, 0.2, 1.0)
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 200
    batch_size: int = 32
    lr: float = 2e-3
    head: str = "linear"
    methods: tuple[str, ...] = ("ssl_frozen", "supervised", "random_frozen")


@dataclass(frozen=True)
class ProbeConfig:
    probes: tuple[str, ...] = ("attentive", "linear")
    budgets: tuple[float, ...] = (1.0,)
    steps: int = 1000
    batch_size: int = 128
    lr: float = 1e-3
    seeds: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class TimestepConfig:
    """FNO steppers, ``history`` frames -> next ``horizon``, on cells ``pool`` times larger per dimension.
    Regularisers of the ``ssl`` code (off by default; ``none`` and ``oracle`` never change): ``code_dims``, a
    learned linear bottleneck, or with ``code_pca`` the first principal components of the frozen training codes;
    Gaussian ``code_noise`` (std) and ``code_dropout`` (probability) on the standardised code in training;
    ``film_weight_decay`` of the conditioning layers (None: ``1e-4`` as every weight); ``code_window: other``
    conditions each training pair on the code of a window of its trajectory that shares no frame with it.
    ``residual``: every stepper predicts the change from its last input frame (:class:`~.steppers.ConditionedFNO`).
    ``workers``: steppers trained side by side, each in a process with its share of torch's threads (None: one per
    thread on the CPU, at most one per stepper; one on a GPU; :mod:`~.job_pool`)."""

    history: int = 1
    horizon: int = 5
    modes: int = 16
    hidden: int = 32
    layers: int = 4
    conditioning: str = "film"
    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3
    seeds: tuple[int, ...] = (0, 1, 2)
    variants: tuple[str, ...] = ("none", "ssl", "oracle")
    pool: int = 1
    code_dims: int | None = None
    code_pca: bool = False
    code_noise: float = 0.0
    code_dropout: float = 0.0
    film_weight_decay: float | None = None
    code_window: str = "context"
    residual: bool = False
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.code_pca and self.code_dims is None:
            raise ValueError("timestep.code_pca needs timestep.code_dims (how many principal components), got none")
        if not self.code_dropout < 1:
            raise ValueError(f"timestep.code_dropout must be a probability in [0, 1), got {self.code_dropout!r}")


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    regress: RegressConfig = field(default_factory=RegressConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    timestep: TimestepConfig = field(default_factory=TimestepConfig)


DEFAULTS: dict[str, Any] = as_plain(Config())
OPEN = ("strengths", "params", "simulation")  # fields whose keys depend on the dataset: checked by the dataset's recipe


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Defaults < YAML < ``a.b=value`` overrides (values parsed as YAML), checked against the schema."""
    return resolve(read_yaml(path) if path else {}, overrides)


def resolve(config: Config | dict | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """A checked :class:`Config` from a config or a (partial) mapping of fields, with ``a.b=value`` overrides."""
    cfg = merge(DEFAULTS, as_plain(config) if isinstance(config, Config) else (config or {}), OPEN)
    for item in overrides:
        cfg = merge(cfg, override_mapping(item), OPEN, extend_open=True)
    return build(Config, cfg, "", RULES)


def save_config(cfg: Config, out: Path, name: str = "config.yaml") -> Path:
    """Write ``cfg`` as ``out/name`` (each job its own file: a regression never rewrites a pretraining's)."""
    return write_atomic(out / name, yaml.safe_dump(as_plain(cfg), sort_keys=False))
