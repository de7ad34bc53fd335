"""``pdejepa generate`` under torchrun, launched as the README documents it: two ranks write shards that combine
into exactly what one process writes, and a rerun with ``--resume`` after a rank died finishes only its shard.

Each test starts ``torchrun --nproc-per-node 2 -m pdejepa -- generate ...`` (the venv's torchrun, two CPU ranks,
six tiny Burgers trajectories) once: a few seconds, mostly the ranks importing torch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import xarray as xr

from pdejepa.cli import main
from solvers.dataset import partial_path
from solvers.locks import lock_path

from .conftest import count_simulations, load

pytestmark = pytest.mark.usefixtures("one_torch_thread")

ROOT = Path(__file__).resolve().parents[2]
# conftest.small_cfg as flags; --num and --nu are also abbreviations of torchrun's --numa-binding
RECIPE = ["burgers", "--nx", "64", "--nt", "5", "--t-end", "0.2", "--dt", "0.01", "--amplitude", "0.2"]
RUN = [*RECIPE, "--nu", "0.1", "0.5", "--num", "6", "--seed", "3", "--batch-size", "2", "--no-progress"]
SHARDS = ("data-00000-of-00002.h5", "data-00001-of-00002.h5")


def torchrun() -> list[str]:
    """The venv's ``torchrun`` (next to this interpreter), else the same launcher run as a module."""
    script = Path(sys.executable).with_name("torchrun")
    return [str(script)] if script.exists() else [sys.executable, "-m", "torch.distributed.run"]


def launch(out: Path, *extra: str) -> None:
    """The README's form, two CPU ranks: ``torchrun --nproc-per-node 2 -m pdejepa -- generate ...``."""
    command = [*torchrun(), "--nproc-per-node", "2", "-m", "pdejepa", "--", "generate", *RUN, "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([*command, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"torchrun exited {done.returncode}:\n{done.stdout}\n{done.stderr}"


def single_process_file(folder: Path) -> Path:
    """The same run in one process (the CLI, no torchrun): the reference the shards must reproduce."""
    path = folder / "single.h5"
    assert main(["generate", *RUN, "--out", str(path)]) == 0
    return path


def assert_union_is_bit_identical(folder: Path, single: Path) -> None:
    """Exactly the shards are in ``folder``, and ``open_mfdataset`` reads them back as ``single``, bit for bit."""
    assert sorted(p.name for p in folder.iterdir()) == list(SHARDS)  # no partial, lock or unsharded file
    paths = [folder / name for name in SHARDS]
    for rank, path in enumerate(paths):
        part = load(path)
        assert part.attrs["shard"] == f"{rank}/2" and part.attrs["complete"] == 1
        assert part["sample"].values.tolist() == [3 * rank, 3 * rank + 1, 3 * rank + 2]
    with xr.open_mfdataset(paths, engine="h5netcdf", combine="by_coords") as combined:
        union = combined.load()
    ref = load(single)
    xr.testing.assert_identical(union.drop_attrs(), ref.drop_attrs())
    for name in [*ref.data_vars, *ref.coords]:
        a, b = union[name].values, ref[name].values
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_two_ranks_write_shards_that_combine_into_the_single_process_file(tmp_path):
    single = single_process_file(tmp_path)
    out = tmp_path / "sharded" / "data.h5"
    launch(out)
    assert_union_is_bit_identical(out.parent, single)


def test_rerun_with_resume_after_a_rank_died_finishes_its_shard(tmp_path, monkeypatch):
    single = single_process_file(tmp_path)
    out = tmp_path / "sharded" / "data.h5"
    finished, killed = (out.parent / name for name in SHARDS)

    # The run a dead rank leaves behind: rank 0 finished its shard (samples 0-2); rank 1 saved its first batch
    # (samples 3-4), had written the next (sample 5) but not yet counted it, and its lock file stayed.
    assert main(["generate", *RUN, "--out", str(out), "--shard", "0/2"]) == 0

    def die(call: int) -> None:
        if call == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        count_simulations(m, die)
        assert main(["generate", *RUN, "--out", str(out), "--shard", "1/2"]) == 130
    with h5py.File(partial_path(killed), "r+") as f:
        assert f.attrs["samples_written"] == 2
        f["u"][2:] = 7.0  # stored but never counted: the resumed rank must simulate it again
    lock_path(killed).touch()  # a killed writer's lock file stays (its flock died with it)
    before = (finished.read_bytes(), finished.stat().st_mtime_ns)

    launch(out, "--resume")

    assert (finished.read_bytes(), finished.stat().st_mtime_ns) == before  # left as it was, not rewritten
    assert_union_is_bit_identical(out.parent, single)
