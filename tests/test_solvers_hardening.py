"""Hardening of the solvers side: one writer per output, no empty partial files left behind,
recipes checked for type and finiteness, torchrun's shard checked, plots refuse NaN, foreign
and unfinished files, and unreadable files are named in one line.

Every dataset here is tiny (a few trajectories on small grids), so the file runs in seconds.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import torch
import xarray as xr
import yaml

import solvers.generate as generate_module
from pdejepa.cli import main
from solvers.config import SimulationConfig
from solvers.dataset import lock_path, partial_path
from solvers.errors import BlowUpError, OutputLockedError
from solvers.generate import Shard, generate
from solvers.ns2d import BuoyancyConfig
from solvers.plot import plot_dataset

try:
    import fcntl
except ImportError:  # Windows: the lock is an exclusive create, no flock to hold from another process
    fcntl = None


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Single-threaded torch: same results, but tiny batched FFTs are far faster on a small shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_cfg(**overrides) -> SimulationConfig:
    """A Burgers recipe resolved on nx=64 that runs in milliseconds (as in tests/test_dataset.py)."""
    base = SimulationConfig.default("burgers", nx=64, nt=5, t_end=0.2, dt=0.01, amplitude=0.2)
    return base.updated(params={"nu": (0.1, 0.5)}).updated(**overrides)


def small_2d(**overrides) -> BuoyancyConfig:
    return BuoyancyConfig.default(**{"nx": 16, "ny": 16, "Lx": 16.0, "Ly": 16.0, "nt": 2, "skip_nt": 0, **overrides})


def run(cfg, num, out, **kwargs):
    kwargs.setdefault("progress", False)
    return generate(cfg, num, out, **kwargs)


def load(path) -> xr.Dataset:
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()


def count_simulations(monkeypatch, hook=None) -> list[int]:
    """Count calls of the 1D simulate inside generate; ``hook(call)`` runs before each."""
    real = generate_module.simulate
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if hook is not None:
            hook(calls[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(generate_module, "simulate", wrapper)
    return calls


def interrupted_partial(monkeypatch, out, num=4, batch_size=2) -> bytes:
    """Leave ``out``'s partial file with one batch written (an interrupted run); return its bytes."""

    def interrupt(call):
        if call == 2:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        count_simulations(m, interrupt)
        with pytest.raises(KeyboardInterrupt, match="--resume"):
            run(small_cfg(), num, out, batch_size=batch_size)
    return partial_path(out).read_bytes()


# ---------------------------------------------------------------- (a) one writer per output


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
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
         "print('locked', flush=True); time.sleep(60)", str(lock_path(out))],
        stdout=subprocess.PIPE, text=True,
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
    from solvers.dataset import OutputLock

    lock = OutputLock(out).acquire()
    try:
        assert main(["generate", "burgers", "--num", "2", "--out", str(out), "--nx", "64", "--nt", "3",
                     "--no-progress", "--overwrite"]) == 2
    finally:
        lock.release()
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and f"{out} is being written by another process" in err
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_shards_lock_their_own_files(tmp_path):
    from solvers.dataset import OutputLock

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


# ---------------------------------------------------------------- (b) no empty partial file


def test_a_failed_first_batch_leaves_nothing_that_blocks_a_rerun(tmp_path):
    out = tmp_path / "b.h5"
    blows_up = SimulationConfig.default("burgers", nx=64, nt=3, t_end=2.0, dt=1.0, amplitude=1000.0).updated(
        params={"nu": 1e-3}
    )
    with pytest.raises(BlowUpError):
        run(blows_up, 3, out)
    assert list(tmp_path.iterdir()) == []
    run(small_cfg(), 3, out)  # neither --resume nor --overwrite needed
    assert load(out).attrs["complete"] == 1


def test_an_exception_before_any_sample_removes_the_partial(tmp_path, monkeypatch):
    out = tmp_path / "e.h5"

    def fail(call):
        raise RuntimeError("device lost")

    count_simulations(monkeypatch, fail)
    with pytest.raises(RuntimeError, match="device lost"):
        run(small_cfg(), 4, out, batch_size=2)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_before_any_sample_says_nothing_to_resume(tmp_path, monkeypatch):
    out = tmp_path / "k.h5"

    def interrupt(call):
        raise KeyboardInterrupt

    count_simulations(monkeypatch, interrupt)
    with pytest.raises(KeyboardInterrupt, match="before any trajectory was saved; nothing to resume"):
        run(small_cfg(), 4, out, batch_size=2)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_after_written_batches_keeps_the_partial_for_resume(tmp_path, monkeypatch):
    out = tmp_path / "w.h5"
    interrupted_partial(monkeypatch, out)

    def fail(call):
        raise RuntimeError("device lost")

    with monkeypatch.context() as m:
        count_simulations(m, fail)
        with pytest.raises(RuntimeError, match="device lost"):
            run(small_cfg(), 4, out, batch_size=2, resume=True)
    with h5py.File(partial_path(out), "r") as f:
        assert f.attrs["samples_written"] == 2
    assert not lock_path(out).exists()


def test_a_writer_that_fails_while_creating_its_file_removes_it(tmp_path, monkeypatch):
    from solvers.dataset import TrajectoryWriter

    def broken(self, *args):
        self.file.create_dataset("half", data=[1.0])
        raise OSError("disk full")

    monkeypatch.setattr(TrajectoryWriter, "_create", broken)
    with pytest.raises(OSError, match="disk full"):
        run(small_cfg(), 2, tmp_path / "d.h5")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- (c, e) recipes: finite numbers of the right type


@pytest.fixture
def no_simulation(monkeypatch, tmp_path):
    """Fail the test if generate gets as far as simulating anything (1D or 2D)."""
    from solvers.ns2d.recipe import BuoyancyRecipe

    def forbidden(*args, **kwargs):
        raise AssertionError("simulated despite a bad recipe")

    monkeypatch.setattr(generate_module, "simulate", forbidden)
    monkeypatch.setattr(BuoyancyRecipe, "simulate", forbidden)
    return tmp_path


INF, NAN = float("inf"), float("nan")
BAD_1D = [
    ({"t_burn": INF}, "t_burn=inf must be a finite number"),
    ({"amplitude": INF}, "amplitude=inf must be a finite number"),
    ({"t_end": NAN}, "t_end=nan must be a finite number"),
    ({"dt": INF}, "dt=inf must be a finite number"),
    ({"tail_tol": NAN}, "tail_tol=nan must be a finite number"),
    ({"t_burn": 10**400}, "t_burn=1000"),  # an int beyond float range
    ({"params": {"nu": (0.1, INF)}}, "nu=(0.1, inf) must be a finite number"),
    ({"params": {"L": NAN}}, "L=nan must be a finite number"),
    ({"times": [0.0, INF]}, "times=[0.0, inf] must be a finite number"),
    ({"nt": "5"}, "nt='5' must be an integer, got str"),
    ({"nx": 12.5}, "nx=12.5 must be an integer, got float"),
    ({"nx": True}, "nx=True must be an integer, got bool"),
    ({"n_modes": 2.0}, "n_modes=2.0 must be an integer, got float"),
    ({"ic": 3}, "ic=3 must be a string, got int"),
    ({"dt": "0.01"}, "dt='0.01' must be a finite number, got str"),
    ({"amplitude": False}, "amplitude=False must be a finite number, got bool"),
    ({"params": {"nu": "abc"}}, "nu='abc' must be a finite number"),
    ({"params": {"nu": None}}, "nu=None must be a finite number"),
    ({"params": {"nu": [0.1, "x"]}}, "nu=[0.1, 'x'] must be a finite number"),
    ({"params": "abc"}, "params='abc' must map parameter names"),
    ({"times": "abc"}, "times='abc' must be a finite number"),
]


def direct(cfg, overrides: dict):
    """``cfg`` with ``overrides`` set as they are, past ``updated`` (as a caller building the dataclass would)."""
    from dataclasses import replace

    if isinstance(overrides.get("params"), dict):
        overrides = {**overrides, "params": {**cfg.params, **overrides["params"]}}
    return replace(cfg, **overrides)


@pytest.mark.parametrize("overrides, named", BAD_1D, ids=[m.split(" ")[0] for _, m in BAD_1D])
def test_bad_1d_values_are_named_before_any_work(no_simulation, overrides, named):
    for make in (lambda: small_cfg(**overrides).validate(), lambda: direct(small_cfg(), overrides).validate()):
        with pytest.raises(ValueError, match=re.escape(named)) as info:
            make()
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape(named)):
        run(direct(small_cfg(), overrides), 2, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


BAD_2D = [
    ({"Lx": INF}, "Lx=inf must be a finite number"),
    ({"dt": NAN}, "dt=nan must be a finite number"),
    ({"noise_smoothness": INF}, "noise_smoothness=inf must be a finite number"),
    ({"max_cfl": NAN}, "max_cfl=nan must be a finite number"),
    ({"params": {"buoyancy": (0.2, INF)}}, "buoyancy=(0.2, inf) must be a finite number"),
    ({"params": {"nu": NAN}}, "nu=nan must be a finite number"),
    ({"nx": 12.5}, "nx=12.5 must be an integer, got float"),
    ({"nt": "5"}, "nt='5' must be an integer, got str"),
    ({"substeps": True}, "substeps=True must be an integer, got bool"),
    ({"splitting": 3}, "splitting=3 must be a string, got int"),
    ({"dt": "1.5"}, "dt='1.5' must be a finite number, got str"),
    ({"params": {"buoyancy": "abc"}}, "buoyancy='abc' must be a finite number"),
]


@pytest.mark.parametrize("overrides, named", BAD_2D, ids=[m.split(" ")[0] for _, m in BAD_2D])
def test_bad_2d_values_are_named_before_any_work(no_simulation, overrides, named):
    for make in (lambda: small_2d(**overrides).validate(), lambda: direct(small_2d(), overrides).validate()):
        with pytest.raises(ValueError, match=re.escape(named)) as info:
            make()
        assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape(named)):
        run(direct(small_2d(), overrides), 2, no_simulation / "bad.h5")
    assert list(no_simulation.iterdir()) == []


def test_huge_finite_noise_scale_is_no_overflow():
    small_2d(noise_scale=1e300).validate()  # keeps modes: valid, and no OverflowError on the way


def test_unknown_fields_are_still_refused():
    with pytest.raises(ValueError, match=re.escape("unknown configuration field(s) ['viscosity']")):
        small_cfg(viscosity=0.1)
    with pytest.raises(ValueError, match=re.escape("unknown configuration field(s) ['t_end']")):
        small_2d(t_end=1.0)
    with pytest.raises(ValueError, match=re.escape("ns-buoyancy has no parameter 'L'")):
        small_2d(params={"L": 1.0})


@pytest.mark.parametrize(
    "argv, named",
    [
        (["--t-burn", "inf"], "t_burn=inf must be a finite number"),
        (["--amplitude", "inf"], "amplitude=inf must be a finite number"),
        (["--nu", "0.1", "nan"], "nu=[0.1, nan] must be a finite number"),
    ],
)
def test_cli_refuses_non_finite_flags(no_simulation, capsys, argv, named):
    out = no_simulation / "x.h5"
    assert main(["generate", "burgers", "--num", "2", "--out", str(out), "--nx", "64", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pdejepa generate: error:") and named in err, err
    assert list(no_simulation.iterdir()) == []


def test_cli_refuses_wrongly_typed_yaml(no_simulation, capsys):
    config = no_simulation / "r.yaml"
    out = no_simulation / "y.h5"
    for recipe, named in (
        ({"equation": "burgers", "nt": "5"}, "nt='5' must be an integer, got str"),
        ({"equation": "burgers", "nx": 12.5}, "nx=12.5 must be an integer, got float"),
        ({"equation": "burgers", "params": {"nu": "abc"}}, "nu='abc' must be a finite number"),
        ({"equation": "ns-buoyancy", "splitting": 3}, "splitting=3 must be a string, got int"),
    ):
        config.write_text(yaml.safe_dump(recipe))
        assert main(["generate", "--config", str(config), "--out", str(out), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("pdejepa generate: error:") and named in err, err
        config.unlink()
        assert list(no_simulation.iterdir()) == []


# ---------------------------------------------------------------- (d) torchrun's shard


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


@pytest.mark.parametrize("index, count", [(3, 2), (-1, 2), (0, 0), (0.0, 1), (True, 2)])
def test_a_shard_out_of_range_is_refused_when_made(index, count):
    with pytest.raises(ValueError, match=re.escape(f"shard index={index!r} of count={count!r}")):
        Shard(index, count)


# ---------------------------------------------------------------- (f, g) plots and unreadable files


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


@pytest.mark.parametrize("kind, named", [
    ("junk", "is not a readable HDF5 file (Unable to synchronously open file (file signature not found))"),
    ("truncated", "is not a readable HDF5 file (Unable to synchronously open file (truncated file"),
    ("foreign", "is not a trajectory file: expected u ('sample', 'time', 'x') or smoke"),
    ("empty", "is not a trajectory file"),
])
def test_plot_names_an_unreadable_or_foreign_file(tiny_1d, tmp_path, capsys, kind, named):
    path = foreign_files(tmp_path, tiny_1d)[kind]
    with pytest.raises(ValueError, match=re.escape(f"{path} {named}")) as info:
        plot_dataset(path, [0], tmp_path / "p.png")
    assert "\n" not in str(info.value)
    assert main(["plot", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("kind, named", [
    ("junk", "not a readable HDF5 file (Unable to synchronously open file (file signature not found))"),
    ("truncated", "not a readable HDF5 file (Unable to synchronously open file (truncated file"),
    ("foreign", "it was not written by pdejepa generate"),
    ("empty", "it was not written by pdejepa generate"),
])
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


def test_a_run_that_would_not_end_is_refused():
    from solvers.config import SimulationConfig

    with pytest.raises(ValueError, match=r"steps exceeds 1e\+07"):
        SimulationConfig.default("burgers").updated(t_end=1e6, dt=1e-3).validate()
