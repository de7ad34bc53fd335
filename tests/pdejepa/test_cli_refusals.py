"""A table of hostile or careless inputs through the CLI, in-process: each exits 2 with one line on stderr that
names the offending value, runs no code from text, and leaves no partial or altered file behind."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import yaml

from pdejepa.cli import main

from .tiny import TINY as BURGERS

ROOT = Path(__file__).resolve().parents[2]
TINY = [*BURGERS, "timestep.steps=2", "timestep.seeds=[0]", "timestep.modes=4", "timestep.hidden=4"]
SMALL = ["--nx", "64", "--nt", "5", "--t-end", "0.2", "--dt", "0.01", "--amplitude", "0.2", "--no-progress"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """A tiny pretraining run and its data, plus damaged copies of each kind of file a user may pass."""
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("hostile")
    data = root / "data"
    assert main(["pretrain", "--out", str(root / "pre"), "--set", f"data.dir={data}", *TINY]) == 0
    ckpt = root / "pre" / "last.ckpt"
    places = {"root": root, "data": data, "ckpt": ckpt}
    for name, variable, where in (("nan_field", "u", (1, 3, 5)), ("nan_label", "nu", (2,))):
        shutil.copytree(data, root / name)
        with h5py.File(root / name / "burgers_train.h5", "r+") as f:
            f[variable][where] = np.nan
        places[name] = root / name
    (root / "garbage.ckpt").write_bytes(b"this is not a checkpoint")
    (root / "truncated.ckpt").write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    (root / "truncated.h5").write_bytes((data / "burgers_test.h5").read_bytes()[:4096])
    (root / "foreign.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    with h5py.File(root / "partial.h5", "w") as f:
        f.attrs["complete"] = 0
    (root / "bad.yaml").write_text("pretrain: [1, 2\n")
    (root / "list.yaml").write_text("- 1\n- 2\n")
    (root / "typed.yaml").write_text(yaml.safe_dump({"equation": "burgers", "nt": "5"}))
    (root / "existing.h5").write_bytes((data / "burgers_test.h5").read_bytes())
    (root / "example").mkdir()
    (root / "example" / "burgers.h5").write_bytes(b"keep me")
    return places


def learn(verb: str, *sets: str, ckpt: str = "{ckpt}", data: str = "{data}") -> list[str]:
    head = [verb, "--out", "{out}", "--no-progress"] + ([] if verb == "pretrain" else ["--ckpt", ckpt])
    return [*head, "--set", f"data.dir={data}", *TINY, *sets]


def generate(*flags: str, out: str = "{root}/gen.h5") -> list[str]:
    return ["generate", "burgers", "--num", "4", "--out", out, *SMALL, *flags]


# (argv with {root}, {data}, {ckpt} placeholders, text the one-line error must contain)
CASES = [
    # counts and types of the learning config
    (learn("pretrain", "pretrain.epochs=-1"), "pretrain.epochs must be an int >= 1, got -1"),
    (learn("pretrain", "pretrain.epochs=0"), "pretrain.epochs must be an int >= 1, got 0"),
    (learn("pretrain", "pretrain.epochs=abc"), "pretrain.epochs must be an int >= 1, got 'abc'"),
    (learn("pretrain", "pretrain.batch_size=0"), "pretrain.batch_size must be an int >= 1, got 0"),
    (learn("pretrain", "pretrain.batch_size=100"), "pretrain.batch_size=100 exceeds the 24 training items"),
    (learn("pretrain", "pretrain.seed=-1"), "pretrain.seed must be an int in [0, 4294967295], got -1"),
    (learn("pretrain", "pretrain.window=[16]"), "pretrain.window for burgers data must be [frames, points], got [16]"),
    (learn("pretrain", "pretrain.window=[16, 0]"), "pretrain.window[1] must be an int >= 1, got 0"),
    (learn("pretrain", "pretrain.max_start=-2"), "pretrain.max_start must be an int >= 0, got -2"),
    (learn("pretrain", "pretrain.lr=fast"), "pretrain.lr must be a finite number >= 0, got 'fast'"),
    (learn("pretrain", "pretrain.lr=.inf"), "pretrain.lr must be a finite number >= 0, got inf"),
    (learn("pretrain", "pretrain.width=2.5"), "pretrain.width must be an int >= 1, got 2.5"),
    (
        learn("pretrain", "pretrain.small_input=yes please"),
        "pretrain.small_input must be true or false, got 'yes please'",
    ),
    (
        learn("pretrain", "pretrain.method=byol"),
        "pretrain.method must be one of ['vicreg', 'jepa', 'dynamics', 'world'], got 'byol'",
    ),
    (learn("pretrain", "pretrain.accelerator=quantum"), "invalid accelerator name: `accelerator='quantum'`"),
    (learn("pretrain", "pretrain.jepa.lr=[1, 2]"), "pretrain.jepa.lr must be a list of 3 values"),
    (learn("pretrain", "pretrain.epoch=3"), "unknown config field 'pretrain.epoch'"),
    (learn("pretrain", "pretrain"), "override 'pretrain' must look like section.field=value"),
    (learn("pretrain", "pretrain.window=[1,"), "override pretrain.window='[1,' is not a YAML value"),
    (learn("pretrain", "data.num_train=0"), "data.num_train must be an int >= 1, got 0"),
    (learn("pretrain", "data.log_label=maybe"), "data.log_label must be true or false, got 'maybe'"),
    (learn("pretrain", "data.equation=navier"), "unknown dataset 'navier'"),
    (learn("pretrain", "data=5"), "data must be a mapping of fields, got 5"),
    (["pretrain", "--config", "{root}/missing.yaml", "--out", "{root}/o"], "missing.yaml does not exist"),
    (["pretrain", "--config", "{root}/bad.yaml", "--out", "{root}/o"], "bad.yaml is not valid YAML"),
    (["pretrain", "--config", "{root}/list.yaml", "--out", "{root}/o"], "must be a mapping, got [1, 2]"),
    (learn("regress", "regress.steps=-1"), "regress.steps must be an int >= 1, got -1"),
    (learn("regress", "regress.steps=0"), "regress.steps must be an int >= 1, got 0"),
    (learn("regress", "regress.methods=[]"), "regress.methods must not be empty"),
    (learn("regress", "regress.methods=[lasso]"), "got ['lasso']"),
    (learn("regress", "regress.budgets=[0]"), "regress.budgets must be a non-empty list of fractions"),
    (learn("regress", "regress.budgets=[1.5]"), "got [1.5]"),
    (
        learn("regress", "regress.seeds=[1, 1]"),
        "regress.seeds must be a non-empty list of distinct ints >= 0, got [1, 1]",
    ),
    (learn("regress", "regress.head=forest"), "regress.head must be one of ['linear', 'mlp'], got 'forest'"),
    (learn("timestep", "timestep.steps=-1"), "timestep.steps must be an int >= 1, got -1"),
    (learn("timestep", "timestep.modes=0"), "timestep.modes must be an int >= 1, got 0"),
    (
        learn("timestep", "timestep.conditioning=foo"),
        "timestep.conditioning must be one of ['film', 'channels'], got 'foo'",
    ),
    (learn("probe", "probe.probes=[svm]"), "got ['svm']"),
    # checkpoints: missing, not a checkpoint, truncated, made for another encoder
    (learn("regress", ckpt="{root}/missing.ckpt"), "missing.ckpt does not exist"),
    (learn("regress", ckpt="{root}/garbage.ckpt"), "garbage.ckpt is not a readable checkpoint"),
    (learn("regress", ckpt="{root}/truncated.ckpt"), "truncated.ckpt is not a readable checkpoint"),
    (learn("regress", "pretrain.width=8"), "was pretrained with pretrain.width=4 but this config has 8"),
    (
        learn("timestep", "pretrain.window=[8, 32]"),
        "was pretrained with pretrain.window=[16, 32] but this config has [8, 32]",
    ),
    # data that is not finite, incomplete, truncated or foreign
    (learn("regress", data="{root}/nan_label"), "variable 'nu' is not finite (nan) at sample 2"),
    (learn("regress", data="{root}/nan_field"), "variable 'u' holds NaN or Inf at sample 1"),
    (learn("pretrain", data="{root}/nan_field"), "variable 'u' holds NaN or Inf at sample 1"),
    (["plot", "{root}/nan_field/burgers_train.h5", "--sample", "1", "--out", "{root}/p.png"], "sample 1"),
    (["plot", "{root}/truncated.h5", "--out", "{root}/p.png"], "truncated.h5"),
    (["plot", "{root}/foreign.h5", "--out", "{root}/p.png"], "foreign.h5"),
    (["plot", "{root}/partial.h5", "--out", "{root}/p.png"], "partial.h5"),
    (["plot", "{root}/missing.h5"], "missing.h5 does not exist"),
    # generation
    (generate("--t-burn", "inf"), "t_burn"),
    (generate("--amplitude", "inf"), "amplitude"),
    (generate("--amplitude", "nan"), "amplitude"),
    (learn("pretrain", "pretrain.strengths.scaling=abc"), "pretrain.strengths.scaling must be a finite number >= 0"),
    (learn("pretrain", "pretrain.strengths.scaling=.inf"), "pretrain.strengths.scaling must be a finite number >= 0"),
    (learn("pretrain", "pretrain.seed=4294967296"), "pretrain.seed must be an int in [0, 4294967295], got 4294967296"),
    (learn("timestep", "timestep.batch_size=100000"), "timestep.batch_size=100000 exceeds the"),
    (generate("--num", "0"), "num=0 must be a positive integer"),
    (generate("--shard", "5/2"), "5/2"),
    (generate("--device", "tpu"), "'tpu'"),
    (generate(out="{root}/existing.h5"), "existing.h5 exists"),
    (
        ["generate", "--config", "{root}/typed.yaml", "--out", "{root}/typed.h5", "--no-progress"],
        "nt='5' must be an integer, got str",
    ),
    (["example-data", "--out", "{root}/example", "--num", "4"], "burgers.h5 exists"),
    # equations are parsed, never evaluated
    (["symmetries", "derive", "u_t = __import__('os').system('touch {root}/pwned')", "--no-cache"], "__import__"),
    (["symmetries", "derive", "u_t = u.__class__", "--no-cache"], "__class__"),
    (["symmetries", "derive", "u_t = 9**9**9*u_xx", "--no-cache"], "9**9"),
    (["symmetries", "derive", "u_t = u_xx/0", "--no-cache"], "u_xx/0"),
]


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def fill(argv: list[str], places: dict[str, Path]) -> list[str]:
    """``argv`` with ``{root}``, ``{data}``, ``{ckpt}``... replaced (YAML braces in the values stay)."""
    out = []
    for arg in argv:
        for key, value in places.items():
            arg = arg.replace("{" + key + "}", str(value))
        out.append(arg)
    return out


@pytest.mark.parametrize("argv, named", CASES, ids=[f"{i:02d}-{c[0][0]}-{c[1][:40]}" for i, c in enumerate(CASES)])
def test_bad_input_exits_2_with_one_line_naming_it(world, argv, named, capsys, monkeypatch):
    monkeypatch.setenv("PDEJEPA_CACHE_DIR", str(world["root"] / "cache"))
    places = {**world, "out": world["root"] / "runs" / hashlib.sha256(" ".join(argv).encode()).hexdigest()[:12]}
    argv = fill(argv, places)
    before = snapshot(world["root"])
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"pdejepa {argv[0]}: error: ") and named in lines[0], lines[0]
    after = snapshot(world["root"])
    assert not (world["root"] / "pwned").exists()
    assert not [name for name in after if name.endswith(".partial")], "a partial file was left behind"
    changed = [name for name in before if after.get(name) != before[name]]
    assert not changed, f"files were altered: {changed}"


def test_the_refusal_table_covers_at_least_40_inputs():
    assert len(CASES) >= 40


def test_debug_shows_the_traceback(world):
    with pytest.raises(ValueError, match="pretrain.epochs"):
        main(["--debug", *fill(learn("pretrain", "pretrain.epochs=-1"), {**world, "out": world["root"] / "debug"})])


def test_a_second_job_into_a_busy_run_folder_stops_at_once(world, tmp_path, capsys):
    from pdejepa.outputs import run_lock

    out = tmp_path / "busy"
    with run_lock(out):
        assert main(fill(learn("regress"), {**world, "out": out})) == 2
    assert "is being written by another process" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == []  # nothing written by the refused job, lock released
