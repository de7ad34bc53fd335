"""Pretraining on given files (``data.files``): a Burgers set exported to The Well and imported back trains as is,
and a file that is missing, foreign, unfinished, of another equation or without the label is refused in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import pytest

from pdejepa.cli import main
from pdejepa.config import load_config
from pdejepa.experiment import Experiment
from solvers.exchange import export_dataset, import_dataset

from .tiny import TINY


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """``(generated, imported, well)``: our tiny Burgers train and test files, the same through The Well and
    back, and the folder of The Well's files."""
    root = tmp_path_factory.mktemp("given")
    generated = Experiment(load_config(None, [f"data.dir={root / 'data'}", *TINY]), progress=False).files
    for path in generated:  # each file's own split attribute puts it in data/train or data/test
        export_dataset(path, "the-well", root / "well")
    back = tuple(import_dataset(root / "well", "the-well", root / f"{s}.h5", split=s) for s in ("train", "test"))
    return generated, back, root / "well"


def given(train, test, *more: str) -> list[str]:
    return [*TINY, f"data.files.train={train}", f"data.files.test={test}", *more]


def test_pretraining_on_imported_files_needs_no_generation(imported, tmp_path, capsys):
    generated, (train, test), _ = imported
    data_dir, out = tmp_path / "data", tmp_path / "pre"
    overrides = given(train, test, f"data.dir={data_dir}", "data.num_train=999", "data.num_test=999")
    assert main(["pretrain", "--out", str(out), "--no-progress", "--set", *overrides]) == 0
    ckpt = Path(capsys.readouterr().out.split("checkpoint: ")[-1].strip())
    assert ckpt.parent == out and ckpt.stat().st_size > 0
    assert not data_dir.exists()  # nothing simulated, and the files' sizes won over data.num_*
    assert load_config(out / "config.yaml").data.files.train == str(train)
    exp = Experiment(load_config(None, overrides), progress=False)
    assert exp.files == (train, test) and exp.valid_file is None
    assert [len(exp.dataset(p)) for p in exp.files] == [24, 8]
    same = Experiment(load_config(None, [*TINY, f"data.dir={generated[0].parent}"]), progress=False)
    for name, (mean, std) in same.standardisation.items():  # the imported file's statistics, to float32 precision
        assert exp.standardisation[name] == pytest.approx((mean, std), rel=1e-5)
    with_valid = Experiment(load_config(None, given(train, test, f"data.files.valid={test}")), progress=False)
    assert with_valid.valid_file == test


def test_given_files_must_come_as_train_and_test(imported):
    _, (train, test), _ = imported
    with pytest.raises(ValueError, match="data.files needs both train and test"):
        load_config(None, [f"data.files.train={train}"])
    with pytest.raises(ValueError, match="data.files needs both train and test"):
        load_config(None, [f"data.files.valid={test}"])
    with pytest.raises(ValueError, match="unknown config field 'data.files.vaild'"):
        load_config(None, given(train, test, f"data.files.vaild={test}"))
    with pytest.raises(ValueError, match="same file"):
        Experiment(load_config(None, given(train, train)), progress=False).files


def refusal(train, test, *more: str) -> str:
    with pytest.raises((ValueError, FileNotFoundError)) as err:
        Experiment(load_config(None, given(train, test, *more)), progress=False).files
    return str(err.value)


def test_a_given_file_is_checked_in_one_line(imported, tmp_path, capsys):
    _, (train, test), well = imported
    missing = refusal(tmp_path / "nope.h5", test)
    assert missing.startswith("data.files.train=") and "does not exist" in missing
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    not_hdf5 = refusal(train, text)
    assert not_hdf5.startswith("data.files.test: ") and "not a readable HDF5 file" in not_hdf5
    foreign = next((well / "data" / "train").glob("*.hdf5"))
    assert "is not a trajectory file" in refusal(foreign, test)  # The Well's own layout, not ours
    unfinished = tmp_path / "unfinished.h5"
    shutil.copy(train, unfinished)
    with h5py.File(unfinished, "r+") as f:
        f.attrs["complete"] = 0
    assert "unfinished dataset" in refusal(unfinished, test)
    assert "holds equation 'burgers', not data.equation='heat'" in refusal(train, test, "data.equation=heat")
    assert "lacks per-sample variable(s) ['buoyancy']" in refusal(train, test, "data.label=buoyancy")
    args = ["pretrain", "--out", str(tmp_path / "pre"), "--set", *given(train, tmp_path / "nope.h5")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pdejepa pretrain: error: data.files.test=") and "\n" not in err
    assert not (tmp_path / "pre").exists() or not any((tmp_path / "pre").glob("*.ckpt"))
