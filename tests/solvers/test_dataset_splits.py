"""Train, validation and test splits in one run (solvers.splits): disjoint seeds, reproducible, resumable.

Tiny 1D recipe (Burgers on 64 points, 5 frames): seconds on a laptop CPU.
"""

from __future__ import annotations

import numpy as np
import pytest

from pdejepa.cli import main
from solvers.splits import SPLITS, are_fractions, generate_splits, split_counts, split_path, split_seed

from .conftest import count_simulations, load, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize(
    "sizes, num, counts",
    [
        ((0.8, 0.1, 0.1), 10, (8, 1, 1)),
        ((0.8, 0.1, 0.1), 16, (13, 2, 1)),  # 12.8, 1.6, 1.6: largest remainders first, ties in split order
        ((0.5, 0.25, 0.25), 8, (4, 2, 2)),
        ((1, 0, 0), 5, (5, 0, 0)),
        ((800, 100, 100), None, (800, 100, 100)),
        ((6, 0, 2), 8, (6, 0, 2)),
    ],
)
def test_split_counts_from_fractions_or_counts_add_up_to_the_total(sizes, num, counts):
    assert split_counts(sizes, num) == dict(zip(SPLITS, counts))
    assert sum(counts) == (num if num is not None else sum(sizes))


@pytest.mark.parametrize(
    "sizes, num, named",
    [
        ((0.8, 0.2), 10, "three sizes"),
        ((0.8, -0.1, 0.3), 10, "three sizes"),
        ((0.8, float("nan"), 0.2), 10, "three sizes"),
        (("a", 1, 1), 10, "three sizes"),
        ("0.8 0.1 0.1", 10, "three sizes"),
        ((0.8, 0.1, 0.1), None, "give the total"),
        ((0.9, 0.05, 0.05), 10, "leave \\['test'\\] with no trajectory"),  # 9, 0.5, 0.5: valid gets the 1 left
        ((8, 1, 2), 10, "count 11 trajectories but num=10"),
        ((0.5, 0.3, 0.1), 10, "fractions summing to 1"),
        ((0, 0, 0), None, "hold no trajectory"),
    ],
)
def test_bad_splits_are_refused_naming_them(sizes, num, named):
    with pytest.raises(ValueError, match=named):
        split_counts(sizes, num)


def test_each_split_has_its_own_seed_and_file_name(tmp_path):
    assert [split_seed(7, s) for s in SPLITS] == [7, 9, 8]  # train, valid, test: test keeps seed + 1
    assert split_path(tmp_path / "burgers.h5", "valid") == tmp_path / "burgers_valid.h5"
    assert are_fractions((0.8, 0.1, 0.1)) and not are_fractions((8, 1, 1))
    with pytest.raises(ValueError, match="split 'dev' is not one of"):
        split_seed(0, "dev")


def test_splits_are_disjoint_and_reproducible_for_any_batch_size(tmp_path):
    cfg, counts = small_cfg(), {"train": 5, "valid": 2, "test": 3}
    paths = generate_splits(cfg, counts, tmp_path / "a" / "burgers.h5", seed=11, batch_size=2, progress=False)
    again = generate_splits(cfg, counts, tmp_path / "b" / "burgers.h5", seed=11, batch_size=5, progress=False)
    assert list(paths) == ["train", "valid", "test"]
    sets = {}
    for split, path in paths.items():
        assert path == tmp_path / "a" / f"burgers_{split}.h5"
        ds, other = load(path), load(again[split])
        assert ds.attrs["split"] == split and ds.attrs["seed"] == split_seed(11, split)
        assert ds.sizes["sample"] == counts[split]
        for name in ("u", "nu"):  # same seed, same data, whatever the batch size
            np.testing.assert_array_equal(ds[name].values, other[name].values)
        sets[split] = ds
    for a, b in (("train", "valid"), ("train", "test"), ("valid", "test")):
        assert not set(sets[a]["nu"].values) & set(sets[b]["nu"].values), (a, b)  # no trajectory shared
        assert not np.isin(sets[a]["u"].values[:, 0, 0], sets[b]["u"].values[:, 0, 0]).any()


def test_a_resumed_split_run_keeps_finished_splits(tmp_path, monkeypatch):
    cfg, counts, out = small_cfg(), {"train": 2, "valid": 0, "test": 2}, tmp_path / "d.h5"

    def fail_on_test(call):
        if call == 2:  # the train split is one batch; the test split's batch fails
            raise RuntimeError("device lost")

    with monkeypatch.context() as m:
        count_simulations(m, fail_on_test)
        with pytest.raises(RuntimeError, match="device lost"):
            generate_splits(cfg, counts, out, seed=1, progress=False)
    assert split_path(out, "train").exists() and not split_path(out, "test").exists()
    assert not split_path(out, "valid").exists()  # a split of size 0 is not written
    calls = count_simulations(monkeypatch)
    paths = generate_splits(cfg, counts, out, seed=1, resume=True, progress=False)
    assert calls[0] == 1 and set(paths) == {"train", "test"}


def test_cli_writes_splits_from_fractions_and_counts(tmp_path, capsys):
    common = ["generate", "burgers", "--nx", "64", "--nt", "5", "--t-end", "0.2", "--dt", "0.01", "--no-progress"]
    small = [*common, "--amplitude", "0.2", "--nu", "0.1", "0.5"]
    out = tmp_path / "f.h5"
    assert (
        main([*small, "--num", "8", "--out", str(out), "--splits", "0.5", "0.25", "0.25", "--compression", "lzf"]) == 0
    )
    assert [load(split_path(out, s)).sizes["sample"] for s in SPLITS] == [4, 2, 2]
    assert "train 4" in capsys.readouterr().out
    out = tmp_path / "c.h5"
    assert main([*small, "--out", str(out), "--splits", "3", "1", "1"]) == 0  # counts: --num not needed
    assert [load(split_path(out, s)).sizes["sample"] for s in SPLITS] == [3, 1, 1]
    assert main([*small, "--num", "4", "--out", str(tmp_path / "x.h5"), "--splits", "3", "1", "1"]) != 0
    assert "count 5 trajectories but num=4" in capsys.readouterr().err
