"""What a resolved config implies, worked out once: the pretraining method, the kind of data, its files
(simulated if missing, or given by ``data.files``, whose training file says what they hold), the grid, the views,
the datasets and the pretraining loader."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from torch.utils.data import DataLoader, Dataset, default_collate

from solvers.ns2d import FIELDS as FLOW_FIELDS, NAME as FLOW_DATASET
from symmetries.jets import EvolutionEquation
from symmetries.registry import equation_text

from .config import Config
from .data import PROCEDURAL, FieldViewMaker, FlowViewMaker, TrajectoryDataset, ViewMaker, collate, make_views
from .data.description import FileDescription, check_no_symmetries, describe_training_file, stored_standardisation
from .data.sampling import EpochShuffle, RankBatches
from .data.sources import given_file, simulated_file
from .data.trajectories import open_h5
from .data import video_trajectories as videos
from .methods import ENCODERS, PretrainingModule, method_of


@dataclass(frozen=True)
class Experiment:
    """A checked :class:`~pdejepa.config.Config` and the facts derived from it (each computed once).

    ``progress``: progress bars while simulating missing data. With given files (``data.files``), ``config`` holds
    the training file's ``equation`` attribute as ``data.equation`` (:func:`describe_training_file`).
    """

    config: Config
    progress: bool = True

    def __post_init__(self) -> None:
        """Checks across fields that need the kind of data (before any data is simulated): the method trains on
        it with this encoder, and the view window fits it."""
        d, p = self.config.data, self.config.pretrain
        if self.is_procedural and d.files.train is not None:
            raise ValueError(f"data.files does not apply to the procedural set {d.equation!r}: it has no files")
        if self.given is not None:  # data.equation is the file's (its default is ignored)
            object.__setattr__(self, "config", replace(self.config, data=replace(d, equation=self.given.equation)))
        self.method.check(self)
        expected = ("frames",) if self.data_kind in ("2d", "videos") else ("frames", "points")
        if self.data_kind != "procedural" and len(p.window) != len(expected):
            raise ValueError(
                f"pretrain.window for {self.config.data.equation} data must be [{', '.join(expected)}], "
                f"got {list(p.window)!r}"
            )
        if self.generic:
            self.given.check_window(tuple(p.window))

    @cached_property
    def given(self) -> FileDescription | None:
        """What ``data.files.train`` holds (:func:`describe_training_file`); None for simulated or procedural data."""
        d = self.config.data
        return None if d.files.train is None or self.is_procedural else describe_training_file(d)

    @cached_property
    def generic(self) -> bool:
        """Given files of an equation we do not simulate, or of other fields than its dataset's: their fields,
        layout and grid are read from the files, and their views are windows without symmetries."""
        return self.given is not None and not self.given.built_in

    @cached_property
    def method(self) -> type[PretrainingModule]:
        """The pretraining method of ``pretrain.method`` (:data:`~pdejepa.methods.METHODS`)."""
        return method_of(self.config.pretrain.method)

    @cached_property
    def data_kind(self) -> str:
        """``"1d"`` or ``"2d"`` fields, ``"procedural"`` items or ``"videos"`` as trajectories (:func:`videos.kind`)."""
        if self.is_procedural:
            return videos.kind(PROCEDURAL[self.config.data.equation], self.method.data_kinds)
        return self.given.kind if self.generic else "2d" if self.is_flow else "1d"

    @cached_property
    def encoder_family(self) -> str:
        """``"vit"`` or ``"resnet"``: the family of ``pretrain.encoder``."""
        return next(family for family, names in ENCODERS.items() if self.config.pretrain.encoder in names)

    @cached_property
    def is_flow(self) -> bool:
        """2D smoke-buoyancy flows (fields smoke, vx, vy; built in) rather than a 1D field ``u`` or generic data."""
        return self.config.data.equation == FLOW_DATASET and not self.generic

    @cached_property
    def is_procedural(self) -> bool:
        """A procedural image or video set (no files) rather than PDE trajectories."""
        return self.config.data.equation in PROCEDURAL

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The field variables of a trajectory file, in the order of an item's field axis."""
        files = self.given.fields if self.generic else FLOW_FIELDS if self.is_flow else ("u",)
        return videos.FIELDS if self.data_kind == "videos" else files

    @cached_property
    def equation_params(self) -> tuple[str, ...]:
        """Constants of the data's equation (e.g. Burgers' ``nu``): the 1D symmetry views need them per sample."""
        if self.is_flow or self.is_procedural or self.generic:
            return ()
        return tuple(str(p) for p in EvolutionEquation.parse(equation_text(self.config.data.equation)).params)

    @cached_property
    def view_equation(self) -> str:
        """What the views are told about the equation: its string (1D symmetries), or the dataset's name."""
        name = self.config.data.equation
        return name if self.is_flow or self.generic or self.is_procedural else equation_text(name)

    @cached_property
    def files(self) -> tuple[Path, Path]:
        """Train and test files (:meth:`split_file`)."""
        train, test = self.split_file("train"), self.split_file("test")
        if train.resolve() == test.resolve():
            raise ValueError(f"data.files.train and data.files.test are the same file {train}: give two files")
        return train, test

    @cached_property
    def valid_file(self) -> Path | None:
        """The validation file (:meth:`split_file`): ``data.files.valid``, or with no given files one of
        ``data.num_valid`` trajectories; None when there is none."""
        d = self.config.data
        given = d.files.train is not None
        return self.split_file("valid") if (d.files.valid if given else d.num_valid) else None

    def split_file(self, split: str) -> Path:
        """The file of ``split``: ``data.files.<split>`` as given, checked to hold the training file's data and
        :attr:`labels` (:func:`~pdejepa.data.sources.given_file`; ``data.num_*`` are then ignored), else
        ``<data.dir>/<equation>_<split>.h5``, simulated if missing (:func:`~pdejepa.data.sources.simulated_file`)."""
        d = self.config.data
        if d.files.train is None:
            return simulated_file(d, split, self.progress)
        return given_file(d, split, self.given, self.labels)

    @cached_property
    def standardisation(self) -> dict[str, tuple[float, float]] | None:
        """Field -> ``(mean, std)`` of the training file that the views standardise the fields with: its stored
        statistics (videos: of their first frames). None when ``data.standardise`` is off or for procedural items."""
        if self.data_kind == "procedural" or not self.config.data.standardise:
            return None
        if self.data_kind == "videos":
            return videos.standardisation(self.procedural_sets[0])
        return stored_standardisation(self.files[0], self.fields)

    @cached_property
    def grid(self) -> dict[str, list[float]] | None:
        """Cell centres ``{"x": [...], "y": [...]}`` of 2D data and videos (the 2D views need them); None in 1D."""
        if self.data_kind != "2d":
            return videos.grid(self.procedural_sets[0]) if self.data_kind == "videos" else None
        with open_h5(self.files[0]) as f:
            return {"x": f["x"][:].tolist(), "y": f["y"][:].tolist()}

    def view_settings(self, strengths: dict[str, float] | None = None) -> dict[str, Any] | None:
        """The keyword arguments of :func:`~pdejepa.data.make_views` for this data and method, as plain data (a
        method stores them in its checkpoints): the symmetries of ``strengths`` (None: ``pretrain.strengths``), the
        window, the equation's parameters, the grid, the standardisation; for generic data and videos the fields and
        whether 1D crops wrap around (symmetries refused: :func:`check_no_symmetries`). None for procedural items."""
        if self.data_kind == "procedural":
            return None
        p = self.config.pretrain
        strengths, scales = dict(p.strengths if strengths is None else strengths), self.standardisation
        settings = {
            "equation": self.view_equation,
            "strengths": strengths,
            "window": tuple(p.window),
            "params": self.equation_params,
            "grid": self.grid,
            "max_start": p.max_start,
            "video": self.method.video_views and self.data_kind == "2d",
            "standardise": None if scales is None else {name: list(pair) for name, pair in scales.items()},
        }
        if self.generic:
            check_no_symmetries(strengths, self.given)
            settings.update(fields=self.fields, periodic=self.given.periodic[-1])
        return videos.view_settings(settings, self.procedural_sets[0]) if self.data_kind == "videos" else settings

    def view_maker(self, augment: bool = True) -> ViewMaker | FlowViewMaker | FieldViewMaker:
        """Views of trajectory batches: symmetries of ``pretrain.strengths`` when ``augment``, else the plain window."""
        if self.data_kind == "procedural":
            raise ValueError(
                f"{self.config.data.equation!r} is a procedural set: its items are inputs, not trajectories"
            )
        return make_views(**self.view_settings(None if augment else {}))

    @cached_property
    def channels(self) -> int:
        """Input channels of a PDE view (fields plus coordinates)."""
        return self.view_maker(augment=False).channels

    @cached_property
    def labels(self) -> tuple[str, ...]:
        """Per-sample variables the datasets read: the regression target ``data.label``, then what the views need."""
        label = self.config.data.label
        return (label, *[n for n in self.equation_params if n != label])

    def dataset(self, path: Path) -> TrajectoryDataset:
        """Lazy samples of ``path`` with :attr:`labels`."""
        return TrajectoryDataset(path, labels=self.labels, fields=self.fields)

    @cached_property
    def train_set(self) -> Dataset:
        """The pretraining items: the procedural training set (as trajectories for ``"videos"``) or the file's."""
        data = self.procedural_sets[0] if self.is_procedural else self.dataset(self.files[0])
        return videos.VideoTrajectories(data) if self.data_kind == "videos" else data

    @property
    def train_collate(self) -> Callable:
        """How :attr:`train_set`'s items are stacked into a batch."""
        return default_collate if self.data_kind == "procedural" else collate

    @cached_property
    def procedural_sets(self) -> tuple[Dataset, Dataset]:
        """Train and test sets of a procedural dataset (disjoint seeds; ``data.simulation`` holds its sizes)."""
        d = self.config.data
        make = PROCEDURAL[d.equation]
        return make(d.num_train, seed=d.seed, **d.simulation), make(d.num_test, seed=d.seed + 1, **d.simulation)

    @cached_property
    def encoder_input(self) -> tuple[tuple[int, ...], int]:
        """The ViT's ``input_size`` and channels: a procedural item's, or the PDE view's."""
        if self.is_procedural:
            x = self.procedural_sets[1][0]["x"]
            return tuple(x.shape[1:]), x.shape[0]
        window = self.config.pretrain.window
        if len(window) == 2:
            return tuple(window), self.channels
        return (window[0], len(self.grid["y"]), len(self.grid["x"])), self.channels

    def pretraining_loader(self, collate_fn: Callable) -> DataLoader:
        """:attr:`train_set` in shuffled global batches of ``pretrain.batch_size`` whose order is a function of
        ``(pretrain.seed, epoch)`` (:class:`~pdejepa.data.sampling.EpochShuffle`), each split over the processes of a
        data-parallel run (:class:`~pdejepa.data.sampling.RankBatches`), in ``pretrain.num_workers`` workers."""
        p, data = self.config.pretrain, self.train_set
        batches = RankBatches(EpochShuffle(data, p.seed), p.batch_size, name="pretrain.batch_size")
        if hasattr(collate_fn, "bind_batches"):  # a mask collator draws each global batch's masks
            collate_fn.bind_batches(batches, getattr(data, "ids", None))
        return DataLoader(
            data,
            batch_sampler=batches,
            collate_fn=collate_fn,
            num_workers=p.num_workers,
            persistent_workers=False,
        )
