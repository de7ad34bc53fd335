"""Hardening of the solvers side: plots refuse NaN, foreign and unfinished files, and plot and
resume name an unreadable file in one line.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest
import torch

from pdejepa.cli import main
from solvers.dataset import partial_path
from solvers.locks import lock_path
from solvers.plot import plot_dataset

from .conftest import interrupted_partial, run, small_2d, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_1d(tmp_path_factory):
    """A finished 1D file of 3 samples, written once for the module."""
    torch.set_num_threads(1)
    return run(small_cfg(nt=3), 3, tmp_path_factory.mktemp("tiny") / "t.h5")


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


def foreign_files(folder, source):
    """Files plot and resume must refuse in one line: junk, truncated HDF5, HDF5 of another layout, empty HDF5."""
    files = {}
    files["junk"] = folder / "junk.h5"
    files["junk"].write_bytes(b"not an HDF5 file at all\n" * 20)
    files["truncated"] = folder / "truncated.h5"
    files["truncated"].write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    files["foreign"] = folder / "foreign.h5"
    with h5py.File(files["foreign"], "w") as f:
        f["temperature"] = np.zeros((3, 4))
        f.attrs["complete"] = 1
    files["empty"] = folder / "empty.h5"
    h5py.File(files["empty"], "w").close()
    return files


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


@pytest.mark.parametrize(
    "kind, named",
    [
        ("junk", "not a readable HDF5 file (Unable to synchronously open file (file signature not found))"),
        ("truncated", "not a readable HDF5 file (Unable to synchronously open file (truncated file"),
        ("foreign", "it was not written by pdejepa generate"),
        ("empty", "it was not written by pdejepa generate"),
    ],
)
def test_resume_names_an_unreadable_or_foreign_partial(tiny_1d, tmp_path, kind, named):
    out = tmp_path / "r.h5"
    partial = partial_path(out)
    (tmp_path / "src").mkdir()
    partial.write_bytes(foreign_files(tmp_path / "src", tiny_1d)[kind].read_bytes())
    before = partial.read_bytes()
    with pytest.raises(ValueError, match=re.escape(f"cannot resume {partial}: {named}")) as info:
        run(small_cfg(), 2, out, resume=True)
    assert "\n" not in str(info.value) and "--overwrite" in str(info.value)
    assert partial.read_bytes() == before and not lock_path(out).exists()
    run(small_cfg(), 2, out, overwrite=True)  # the way out the message names
    assert out.exists() and not partial.exists()


def test_resume_refuses_a_partial_of_another_layout(tmp_path, monkeypatch):
    out = tmp_path / "l.h5"
    interrupted_partial(monkeypatch, out)
    with h5py.File(partial_path(out), "r+") as f:
        del f["spectral_tail"]
    named = "its layout does not match its recipe (spectral_tail is missing, expected shape (4,))"
    with pytest.raises(ValueError, match=re.escape(named)):
        run(small_cfg(), 4, out, batch_size=2, resume=True)
