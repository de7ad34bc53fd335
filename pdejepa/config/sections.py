"""The sections of the experiment config that every run shares: data, pretraining, regression, probes,
time-stepping. Each is a frozen dataclass whose annotations are its schema and whose ``rules()`` add what types
cannot say; a choice list is read from the registry of the code that owns it, never written here. A pretraining
method's own section (``pretrain.jepa``, ``pretrain.dynamics``, ...) lives with the method
(:mod:`pdejepa.methods`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checks import MAX_SEED, check_budgets, check_seeds, check_strengths
from .schema import Rules, as_plain


@dataclass(frozen=True)
class DataFiles:
    """Trajectory files of ours to read instead of simulating ``<data.dir>/<equation>_<split>.h5`` (e.g. written by
    ``pdejepa import``), paths relative to the working folder: train and test together, valid optionally. Their
    sizes win (``data.num_*`` are ignored); no fingerprint is checked. The training file says what the data are
    (:mod:`pdejepa.data.description`): its ``equation`` attribute (``data.equation`` is ignored at its default, else
    must equal it), its fields, layout, grid and boundaries; the others must hold the same, and all ``data.label``.
    A file of a dataset we simulate, with its fields, gets the equation's symmetry views; any other gets windows
    without symmetries (``pretrain.strengths`` must be ``{}``)."""

    train: str | None = None
    test: str | None = None
    valid: str | None = None

    def __post_init__(self) -> None:
        if (self.train is None) != (self.test is None) or (self.valid is not None and self.train is None):
            raise ValueError(f"data.files needs both train and test (valid is optional), got {as_plain(self)}")


@dataclass(frozen=True)
class DataConfig:
    """The data: a dataset ``equation`` simulated into ``dir`` (``simulation``: settings that replace the dataset's
    own defaults; none: its defaults) or given ``files`` (whose training file names the equation: ``equation`` is
    then ignored at its default); the regression ``label``, a per-sample variable."""

    equation: str = "burgers"
    dir: str = "data"
    num_train: int = 1024
    num_test: int = 256
    num_valid: int = 0  # a validation split (seed + 2): pretraining's early diagnostics (pdejepa.train.validation)
    seed: int = 0
    simulation: dict = field(default_factory=dict)
    label: str = "nu"
    log_label: bool = True
    standardise: bool = True  # views standardise the fields by the training file's mean and std
    files: DataFiles = field(default_factory=DataFiles)  # given files instead of simulated ones

    @classmethod
    def rules(cls) -> Rules:
        return Rules(lower={"seed": 0, "num_valid": 0}, upper={"seed": MAX_SEED})


@dataclass(frozen=True)
class PretrainConfig:
    """What every pretraining method shares; each method adds its own section (``pretrain.<method>``, assembled
    from the registry by :func:`pdejepa.config.pretrain_section`). The batches are the same for any
    ``num_workers`` and, ``batch_size`` being the global batch, DDP processes."""

    method: str = "vicreg"
    encoder: str = "resnet10"
    width: int = 16
    small_input: bool = False
    window: tuple[int, ...] = (32, 256)
    max_start: int | None = None
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

    @classmethod
    def rules(cls) -> Rules:
        from ..methods import ENCODERS, METHODS
        from ..train.trainer import STRATEGIES

        return Rules(
            choices={
                "method": tuple(METHODS),
                "encoder": tuple(name for names in ENCODERS.values() for name in names),
                "strategy": STRATEGIES,
            },
            lower={"seed": 0, "num_workers": 0, "max_start": 0, "devices": -1},  # devices: -1 is every device
            upper={"seed": MAX_SEED},
            checks={"strengths": check_strengths},
        )


@dataclass(frozen=True)
class RegressConfig:
    budgets: tuple[float, ...] = (0.05, 0.2, 1.0)
    seeds: tuple[int, ...] = (0, 1, 2)
    steps: int = 200
    batch_size: int = 32
    lr: float = 2e-3
    head: str = "linear"
    methods: tuple[str, ...] = field(default_factory=lambda: RegressConfig.rules().members["methods"])  # all

    @classmethod
    def rules(cls) -> Rules:
        from ..eval.regressors import HEADS, REGRESSORS

        return Rules(
            choices={"head": tuple(HEADS)},
            members={"methods": tuple(REGRESSORS)},
            lower={"seeds": 0},
            checks={"seeds": check_seeds, "budgets": check_budgets},
        )


@dataclass(frozen=True)
class ProbeConfig:
    probes: tuple[str, ...] = field(default_factory=lambda: ProbeConfig.rules().members["probes"])  # all
    budgets: tuple[float, ...] = (1.0,)
    steps: int = 1000
    batch_size: int = 128
    lr: float = 1e-3
    seeds: tuple[int, ...] = (0,)

    @classmethod
    def rules(cls) -> Rules:
        from ..eval.probes import PROBES

        return Rules(
            members={"probes": tuple(PROBES)},
            lower={"seeds": 0},
            checks={"seeds": check_seeds, "budgets": check_budgets},
        )


@dataclass(frozen=True)
class TimestepConfig:
    """FNO steppers, ``history`` frames -> next ``horizon``, on cells ``pool`` times larger per dimension.
    Regularisers of the ``ssl`` code (off by default; ``none`` and ``oracle`` never change): ``code_dims``, a
    learned linear bottleneck, or with ``code_pca`` the first principal components of the frozen training codes;
    Gaussian ``code_noise`` (std) and ``code_dropout`` (probability) on the standardised code in training;
    ``film_weight_decay`` of the conditioning layers (None: ``1e-4`` as every weight); ``code_window: other``
    conditions each training pair on the code of a window of its trajectory that shares no frame with it.
    ``residual``: every stepper predicts the change from its last input frame
    (:class:`~pdejepa.steppers.ConditionedFNO`).
    ``workers``: steppers trained side by side, each in a process with its share of torch's threads (None: one per
    thread on the CPU, at most one per stepper; one on a GPU; :mod:`~pdejepa.jobs.pool`)."""

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
    variants: tuple[str, ...] = field(default_factory=lambda: TimestepConfig.rules().members["variants"])  # all
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

    @classmethod
    def rules(cls) -> Rules:
        from ..steppers import CODE_WINDOWS, CONDITIONINGS, VARIANTS

        return Rules(
            choices={"conditioning": CONDITIONINGS, "code_window": CODE_WINDOWS},
            members={"variants": tuple(VARIANTS)},
            lower={"seeds": 0},
            checks={"seeds": check_seeds},
        )
