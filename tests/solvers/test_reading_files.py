"""Reading a trajectory file (:mod:`solvers.reader`, through ``plot``) refuses non-finite values, unfinished
files and files that are unreadable or of another layout, in one line naming the file.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest

from pdejepa.cli import main
from solvers.dataset import partial_path
from solvers.plot import plot_dataset

from .conftest import foreign_files, interrupted_partial, run, small_2d

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def spoiled(source, folder, name, index, value=np.nan):
    """A copy of ``source`` with one cell of ``name`` set to ``value``."""
    copy = folder / f"spoiled-{name}.h5"
    copy.write_bytes(source.read_bytes())
    with h5py.File(copy, "r+") as f:
        f[name][index] = value
    return copy


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_plot_refuses_a_non_finite_cell(tiny_1d, tmp_path, value):
    bad = spoiled(tiny_1d, tmp_path, "u", (2, 1, 5), value)
    png = tmp_path / "p.png"
    with pytest.raises(ValueError) as info:
        plot_dataset(bad, [0, 2, 1], png)
    assert str(info.value) == f"{bad}: u of sample 2 holds 1 non-finite value(s) (NaN or inf), the first at time=1, x=5"
    assert not png.exists()
    assert plot_dataset(bad, [0, 1], png) == png  # the other samples are fine


def test_plot_refuses_a_non_finite_2d_cell(tmp_path):
    source = run(small_2d(), 2, tmp_path / "s.h5")
    bad = spoiled(source, tmp_path, "vy", (1, 1, 3, 4))
    with pytest.raises(ValueError, match=re.escape(f"{bad}: vy of sample 1 holds 1 non-finite value(s)")):
        plot_dataset(bad, [1], tmp_path / "p.png")
    assert plot_dataset(source, [0, 1], tmp_path / "ok.png").exists()


def test_plot_refuses_an_unfinished_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "u.h5"
    interrupted_partial(monkeypatch, out)
    partial = partial_path(out)
    assert main(["plot", str(partial), "--out", str(tmp_path / "p.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa plot: error:") and f"{partial} is an unfinished dataset (complete=0)" in err
    assert err.count("\n") == 1 and not (tmp_path / "p.png").exists()


@pytest.mark.parametrize(
    "kind, named",
    [
        ("junk", "is not a readable HDF5 file (Unable to synchronously open file (file signature not found))"),
        ("truncated", "is not a readable HDF5 file (Unable to synchronously open file (truncated file"),
        ("foreign", "is not a trajectory file: expected u ('sample', 'time', 'x') or smoke"),
        ("empty", "is not a trajectory file"),
    ],
)
def test_plot_names_an_unreadable_or_foreign_file(tiny_1d, tmp_path, capsys, kind, named):
    path = foreign_files(tmp_path, tiny_1d)[kind]
    with pytest.raises(ValueError, match=re.escape(f"{path} {named}")) as info:
        plot_dataset(path, [0], tmp_path / "p.png")
    assert "\n" not in str(info.value)
    assert main(["plot", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
