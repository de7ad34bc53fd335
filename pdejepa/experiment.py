"""What a resolved config implies, worked out once: the kind of data, its files (simulated if missing), the
flow grid, the views, the datasets and the pretraining loader."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from torch.utils.data import DataLoader, Dataset

from solvers.generate import dataset_registry, generate, run_fingerprint
from solvers.ns2d import NAME as FLOW_DATASET
from symmetries.jets import EvolutionEquation
from symmetries.registry import equation_text

from .checks import check_batch
from .config import Config
from .data import PROCEDURAL, FlowViewMaker, TrajectoryDataset, ViewMaker, make_views
from .data.flow_views import FIELDS as FLOW_FIELDS
from .data.sampling import EpochShuffle
from .data.trajectories import open_h5
from .models import VIT_SIZES


@dataclass(frozen=True)
class Experiment:
    """A checked :class:`~pdejepa.config.Config` and the facts derived from it (each computed once).

    ``progress``: progress bars while simulating missing data.
    """

    config: Config
    progress: bool = True

    def __post_init__(self) -> None:
        """Checks across fields that need the kind of data: the view window fits it."""
        d, p = self.config.data, self.config.pretrain
        if not self.is_procedural:
            expected = ("frames",) if self.is_flow else ("frames", "points")
            if len(p.window) != len(expected):
                raise ValueError(
                    f"pretrain.window for {d.equation} data must be [{', '.join(expected)}], got {list(p.window)!r}"
                )

    @cached_property
    def is_flow(self) -> bool:
        """2D smoke-buoyancy flows (fields smoke, vx, vy) rather than a 1D field ``u``."""
        return self.config.data.equation == FLOW_DATASET

    @cached_property
    def is_procedural(self) -> bool:
        """A procedural image or video set (no files) rather than PDE trajectories."""
        return self.config.data.equation in PROCEDURAL

    @cached_property
    def is_vit(self) -> bool:
        return self.config.pretrain.encoder in VIT_SIZES

    @cached_property
    def equation_params(self) -> tuple[str, ...]:
        """Constants of the data's equation (e.g. Burgers' ``nu``): the 1D symmetry views need them per sample."""
        if self.is_flow or self.is_procedural:
            return ()
        return tuple(str(p) for p in EvolutionEquation.parse(equation_text(self.config.data.equation)).params)

    @cached_property
    def view_equation(self) -> str:
        """What the views are told about the equation: its string (1D symmetries), or the flow dataset's name."""
        name = self.config.data.equation
        return name if self.is_flow else equation_text(name)

    @cached_property
    def files(self) -> tuple[Path, Path]:
        """Train and test files, generated (disjoint seeds) if they are not there yet; a file already there
        must hold what the config asks for (same recipe, count and seed), else the error says so."""
        d = self.config.data
        registry = dataset_registry()
        if d.equation not in registry:
            raise ValueError(f"unknown dataset {d.equation!r}; choose one of {sorted(registry)}")
        sim = registry[d.equation](d.equation).updated(**d.simulation)
        root = Path(d.dir)
        paths = []
        for split, num, seed in (("train", d.num_train, d.seed), ("test", d.num_test, d.seed + 1)):
            path = root / f"{d.equation}_{split}.h5"
            expected = run_fingerprint(sim, num, seed)
            if not path.exists():
                resume = (root / f"{path.name}.partial").exists()
                generate(sim, num, path, seed=seed, progress=self.progress, resume=resume)
            with open_h5(path) as f:
                stored = f.attrs.get("fingerprint", "")
            if stored != expected:
                raise ValueError(
                    f"{path} holds another dataset than this config asks for (data.simulation, num_{split} or seed "
                    f"differ): stored {stored}, requested {expected}; "
                    "set data.dir to another folder, or delete the file"
                )
            paths.append(path)
        return paths[0], paths[1]

    @cached_property
    def grid(self) -> dict[str, list[float]] | None:
        """Cell centres ``{"x": [...], "y": [...]}`` of a flow dataset (the flow views need them); None in 1D."""
        if not self.is_flow:
            return None
        with open_h5(self.files[0]) as f:
            return {"x": f["x"][:].tolist(), "y": f["y"][:].tolist()}

    def view_maker(self, augment: bool = True) -> ViewMaker | FlowViewMaker:
        """Views of trajectory batches: symmetries of ``pretrain.strengths`` when ``augment``, else the plain window."""
        p = self.config.pretrain
        video = p.method == "jepa" and self.is_flow  # V-JEPA's tubelets see flows as videos
        return make_views(
            self.view_equation,
            p.strengths if augment else {},
            tuple(p.window),
            self.equation_params,
            self.grid,
            p.max_start,
            video,
        )

    @cached_property
    def channels(self) -> int:
        """Input channels of a PDE view (field or flow plus coordinates)."""
        return self.view_maker(augment=False).channels

    def dataset(self, path: Path) -> TrajectoryDataset:
        """Lazy samples of ``path`` with the regression target first among the labels, then what the views need."""
        label = self.config.data.label
        labels = (label, *[n for n in self.equation_params if n != label])
        return TrajectoryDataset(path, labels=labels, fields=FLOW_FIELDS if self.is_flow else ("u",))

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

    def pretraining_loader(self, data: Dataset, collate_fn) -> DataLoader:
        """Shuffled batches of ``pretrain.batch_size`` whose order is a function of ``(pretrain.seed, epoch)``
        (:class:`~pdejepa.data.sampling.EpochShuffle`), in ``pretrain.num_workers`` worker processes."""
        p = self.config.pretrain
        check_batch("pretrain.batch_size", p.batch_size, len(data))
        return DataLoader(
            data,
            batch_size=p.batch_size,
            sampler=EpochShuffle(data, p.seed),
            collate_fn=collate_fn,
            drop_last=True,
            num_workers=p.num_workers,
            persistent_workers=False,
        )
