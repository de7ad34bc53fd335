"""What a given trajectory file holds, read from the file itself: its equation, fields, grid, boundaries and
per-sample variables, and whether it is one of the datasets we simulate.

A file whose ``equation`` attribute names a dataset we simulate (:func:`solvers.generate.dataset_registry`) and
whose fields are that dataset's is *built in*: its views act by the equation's symmetries. Any other file of
ours (e.g. one of The Well's datasets, ``pdejepa import --from the-well``) is *generic*: its fields are every
variable over ``(sample, time, x)`` or ``(sample, time, y, x)``, in the file's order, and its views are windows
and crops only (:class:`~pdejepa.data.field_views.FieldViewMaker`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from solvers.generate import dataset_registry, recipe_of
from solvers.reader import open_fields
from solvers.statistics import read_statistics

from ..config.sections import DataConfig
from .trajectories import open_h5


@dataclass(frozen=True)
class FileDescription:
    """A trajectory file of ours as :func:`describe` reads it.

    ``name``: how errors name it (``data.files.train``); ``fields`` in the file's order over ``dims`` (``("x",)``
    or ``("y", "x")``); ``shape``: ``(frames, *space)`` of a sample; ``periodic``: per spatial dim, from the
    file's ``boundary_conditions`` attribute (JSON, dim -> ``periodic``, ``wall``, ``open``, ...: periodic only
    where it says so); without the attribute 1D data are taken as periodic and 2D data as not periodic;
    ``per_sample``: the variables over ``(sample,)``.
    """

    path: Path
    name: str
    equation: str
    fields: tuple[str, ...]
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    periodic: tuple[bool, ...]
    per_sample: tuple[str, ...]

    @property
    def built_in(self) -> bool:
        """The file holds a dataset we simulate, with that dataset's fields and dims (its views use the symmetries)."""
        make = dataset_registry().get(self.equation)
        ours = {name: ("time", *self.dims) for name in self.fields}
        return make is not None and dict(recipe_of(make(self.equation)).fields) == ours  # in any order

    @property
    def kind(self) -> str:
        """``"1d"`` or ``"2d"``."""
        return f"{len(self.dims)}d"

    @property
    def where(self) -> str:
        """``name=path``, how a refusal names the file."""
        return f"{self.name}={self.path}"

    def check_variables(self, variables: tuple[str, ...]) -> None:
        """Refuse a file without one of the per-sample ``variables``."""
        missing = [v for v in variables if v not in self.per_sample]
        if missing:
            raise ValueError(f"{self.where} lacks per-sample variable(s) {missing}; it has {sorted(self.per_sample)}")

    def check_like(self, reference: FileDescription) -> None:
        """Refuse a file whose equation, fields or spatial grid differ from ``reference``'s."""
        if self.equation != reference.equation:
            raise ValueError(
                f"{self.where} holds equation {self.equation!r}, not {reference.equation!r} of {reference.name}"
            )
        mine, theirs = (f"{list(d.fields)} over {d.dims} on {d.shape[1:]} cells" for d in (self, reference))
        if mine != theirs:
            raise ValueError(f"{self.where} holds fields {mine}, not those of {reference.name}: {theirs}")

    def check_window(self, window: tuple[int, ...]) -> None:
        """Refuse a view window ``(frames,)`` (2D) or ``(frames, points)`` (1D) that the file cannot give."""
        for size, stored, what in zip(window, self.shape, ("frames", "points")):
            if not 1 <= size <= stored:
                raise ValueError(
                    f"pretrain.window={list(window)} asks for {size} {what}; {self.where} stores {stored} {what}"
                )


def describe(path: str | Path, name: str) -> FileDescription:
    """The file ``path`` described; refused in one line naming ``name=path`` when it does not exist, is not a
    finished trajectory file of ours (:func:`solvers.reader.open_fields`), has no ``equation`` attribute or an
    unreadable ``boundary_conditions`` one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{name}={path} does not exist: give a trajectory file of ours (pdejepa import)")
    try:
        with open_fields(path) as (ds, fields, dims):
            equation = ds.attrs.get("equation")
            boundaries = ds.attrs.get("boundary_conditions")
            shape = tuple(ds[fields[0]].shape[1:])
            per_sample = tuple(str(n) for n, v in ds.data_vars.items() if v.dims == ("sample",))
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from None
    if equation is None:
        raise ValueError(f"{name}={path} has no equation attribute: name its dataset there (pdejepa import does)")
    return FileDescription(
        path, name, str(equation), fields, dims, shape, periodic_dims(boundaries, dims, f"{name}={path}"), per_sample
    )


def periodic_dims(boundaries: object, dims: tuple[str, ...], where: str) -> tuple[bool, ...]:
    """Per spatial dim, whether ``boundaries`` (a ``boundary_conditions`` attribute: JSON, dim -> type) makes it
    periodic; None (no attribute): 1D data periodic, 2D data not."""
    if boundaries is None:
        return (len(dims) == 1,) * len(dims)
    try:
        kinds = json.loads(str(boundaries))
        return tuple(str(kinds.get(d, "")).lower() == "periodic" for d in dims)
    except (ValueError, AttributeError):
        raise ValueError(
            f"{where}: boundary_conditions={boundaries!r} is not a JSON mapping of spatial dim to boundary type"
        ) from None


def describe_training_file(data: DataConfig) -> FileDescription:
    """``data.files.train`` described, its ``equation`` attribute checked against ``data.equation``: ignored at its
    default, else they must be equal."""
    train = describe(data.files.train, "data.files.train")
    default = DataConfig.__dataclass_fields__["equation"].default
    if data.equation not in (default, train.equation):
        raise ValueError(f"{train.where} holds equation {train.equation!r}, not data.equation={data.equation!r}")
    return train


def check_no_symmetries(strengths: dict[str, float], train: FileDescription) -> None:
    """Refuse symmetry strengths for a generic file: its equation has no derived symmetries."""
    if any(value > 0 for value in strengths.values()):
        raise ValueError(
            f"{train.where} holds equation {train.equation!r}, which has no derived symmetries: its views are "
            f"windows and crops only; set pretrain.strengths={{}} (got {strengths})"
        )


def stored_standardisation(path: Path, fields: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Field -> ``(mean, std)`` of each of ``fields`` from the statistics stored in ``path`` (a constant field's std
    is 1: it is only centred); refused in one line when they are missing or not finite."""
    with open_h5(path) as f:
        stats = read_statistics(f)
    missing = [name for name in fields if name not in stats]
    if missing:
        raise ValueError(f"{path} stores no statistics of {missing}: regenerate or re-import it")
    out = {}
    for name in fields:
        mean, std = stats[name]["mean"], stats[name]["std"]
        if not (math.isfinite(mean) and math.isfinite(std)):
            raise ValueError(f"{path}: the statistics of {name!r} are not finite (mean {mean}, std {std})")
        out[name] = (mean, std if std > 0 else 1.0)  # a constant field is only centred
    return out
