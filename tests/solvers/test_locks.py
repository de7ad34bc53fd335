"""One writer per output (:class:`solvers.locks.OutputLock`, held on a lock file while writing), checked in
one process, across processes, from the CLI and per shard.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest

from pdejepa.cli import main
from solvers.dataset import partial_path
from solvers.errors import OutputLockedError
from solvers.generate import Shard
from solvers.locks import OutputLock, lock_path

from .conftest import count_simulations, interrupted_partial, load, run, small_cfg

pytestmark = pytest.mark.usefixtures("one_torch_thread")


try:
    import fcntl
except ImportError:  # Windows: the lock is an exclusive create, no flock to hold from another process
    fcntl = None


def test_second_writer_fails_at_once_and_the_first_completes(tmp_path, monkeypatch):
    out, cfg = tmp_path / "f.h5", small_cfg()
    seen = {}

    def second_writer(call):
        if call != 2:  # batch 0 is on disk: a second writer now would clobber it
            return
        before = partial_path(out).read_bytes()
        start = time.perf_counter()
        with pytest.raises(FileExistsError) as info:
            run(cfg, 4, out, batch_size=2, overwrite=True)
        seen["seconds"] = time.perf_counter() - start
        seen["message"] = str(info.value)
        seen["untouched"] = partial_path(out).read_bytes() == before

    calls = count_simulations(monkeypatch, second_writer)
    path = run(cfg, 4, out, batch_size=2)
    assert calls[0] == 2  # the second writer simulated nothing
    assert seen["untouched"] and seen["seconds"] < 1.0
    assert str(out) in seen["message"] and "another process" in seen["message"]
    assert "\n" not in seen["message"]
    monkeypatch.undo()
    reference = run(cfg, 4, tmp_path / "ref.h5", batch_size=4)
    np.testing.assert_array_equal(load(path)["u"].values, load(reference)["u"].values)
    assert load(path).attrs["complete"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.h5", "ref.h5"]  # no partial, no lock file left


@pytest.mark.skipif(fcntl is None, reason="flock needs fcntl")
def test_a_writer_in_another_process_blocks_and_its_death_frees_the_output(tmp_path, monkeypatch):
    out = tmp_path / "g.h5"
    before = interrupted_partial(monkeypatch, out)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('locked', flush=True); time.sleep(60)",
            str(lock_path(out)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        for kwargs in ({"overwrite": True}, {"resume": True}, {}):
            with pytest.raises(OutputLockedError, match=re.escape(f"{out} is being written by another process")):
                run(small_cfg(), 4, out, batch_size=2, **kwargs)
        assert isinstance(OutputLockedError("x"), FileExistsError)  # the CLI reports it in one line, exit 2
        assert partial_path(out).read_bytes() == before and not out.exists()
    finally:
        holder.kill()
        holder.wait()
    assert lock_path(out).exists()  # the dead holder's lock file stays, but no lock: it blocks nothing
    run(small_cfg(), 4, out, batch_size=2, resume=True)
    assert out.exists() and not partial_path(out).exists() and not lock_path(out).exists()


def test_the_cli_reports_a_locked_output_in_one_line(tmp_path, capsys):
    out = tmp_path / "c.h5"
    lock = OutputLock(out).acquire()
    try:
        assert (
            main(
                [
                    "generate",
                    "burgers",
                    "--num",
                    "2",
                    "--out",
                    str(out),
                    "--nx",
                    "64",
                    "--nt",
                    "3",
                    "--no-progress",
                    "--overwrite",
                ]
            )
            == 2
        )
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and f"{out} is being written by another process" in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_shards_lock_their_own_files(tmp_path):
    out = tmp_path / "s.h5"
    lock = OutputLock(Shard(0, 2).path(out)).acquire()
    try:
        path = run(small_cfg(), 4, out, shard=Shard(1, 2))
        with pytest.raises(OutputLockedError, match=re.escape(str(Shard(0, 2).path(out)))):
            run(small_cfg(), 4, out, shard=Shard(0, 2))
    finally:
        lock.release()
    assert load(path)["sample"].values.tolist() == [2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
