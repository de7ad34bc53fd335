"""Run settings are refused before any work, naming the value: counts, seed, batch size, device, and the
shard, given as ``i/n``, made directly or taken from torchrun's environment.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import re

import pytest
import torch

from pdejepa.cli import main
from solvers.generate import Shard

from .conftest import run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


BAD_RUNS = [
    ({"num": 0}, "num=0"),
    ({"num": -3}, "num=-3"),
    ({"num": 2.5}, "num=2.5"),
    ({"seed": -1}, "seed=-1"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"device": "tpu"}, "device 'tpu'"),
    ({"device": "nonsense"}, "device 'nonsense'"),
    ({"device": "mps"}, "device 'mps' is not supported"),
]


@pytest.mark.parametrize("kwargs, named", BAD_RUNS, ids=[m for _, m in BAD_RUNS])
def test_bad_run_settings_are_refused_before_any_work(no_simulation, kwargs, named):
    args = {"num": 4, "seed": 0, **kwargs}
    num = args.pop("num")
    with pytest.raises(ValueError, match=re.escape(named)):
        run(small_cfg(), num, no_simulation / "bad.h5", **args)
    assert list(no_simulation.iterdir()) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cuda_without_cuda_is_refused(no_simulation, device):
    with pytest.raises(ValueError, match=re.escape(f"device {device!r} requested but CUDA is not available")):
        run(small_cfg(), 4, no_simulation / "bad.h5", device=device)
    assert list(no_simulation.iterdir()) == []


@pytest.mark.parametrize("text", ["3/2", "x", "1/0", "0/0", "-1/2", "0/2/3", "1.5/2", ""])
def test_malformed_shard_strings_are_refused_naming_them(text):
    with pytest.raises(ValueError, match=re.escape(f"shard {text!r}")):
        Shard.parse(text)


@pytest.mark.parametrize("index, count", [(3, 2), (-1, 2), (0, 0), (0.0, 1), (True, 2)])
def test_a_shard_out_of_range_is_refused_when_made(index, count):
    with pytest.raises(ValueError, match=re.escape(f"shard index={index!r} of count={count!r}")):
        Shard(index, count)


@pytest.mark.parametrize(
    "rank, size, named",
    [
        ("4", "4", "RANK='4' and WORLD_SIZE='4' from the environment: need WORLD_SIZE >= 1 and 0 <= RANK < WORLD_SIZE"),
        ("7", "2", "RANK='7' and WORLD_SIZE='2'"),
        ("-1", "2", "RANK='-1' and WORLD_SIZE='2'"),
        ("0", "0", "RANK='0' and WORLD_SIZE='0'"),
        ("abc", "2", "RANK='abc' and WORLD_SIZE='2' from the environment must be integers"),
        ("1", "2.0", "RANK='1' and WORLD_SIZE='2.0' from the environment must be integers"),
        ("", "2", "RANK='' and WORLD_SIZE='2'"),
    ],
)
def test_bad_torchrun_environment_is_named(monkeypatch, rank, size, named):
    monkeypatch.setenv("RANK", rank)
    monkeypatch.setenv("WORLD_SIZE", size)
    with pytest.raises(ValueError, match=re.escape(named)):
        Shard.parse(None)


def test_rank_beyond_world_size_exits_2_from_the_cli(no_simulation, monkeypatch, capsys):
    monkeypatch.setenv("RANK", "4")
    monkeypatch.setenv("WORLD_SIZE", "4")
    assert main(["generate", "burgers", "--num", "8", "--out", str(no_simulation / "r.h5"), "--nx", "64"]) == 2
    assert "RANK='4' and WORLD_SIZE='4'" in capsys.readouterr().err
    assert list(no_simulation.iterdir()) == []
