"""``pdejepa pretrain ... --set pretrain.devices=2 pretrain.accelerator=cpu``: the command line, run as a user
runs it, trains on 2 CPU processes (Lightning's DDP launcher reruns the command for the second; gloo), and the
checkpoint it writes resumes under DDP to the uninterrupted run's weights.

The command runs through a launcher that calls :func:`pdejepa.cli.main`, as the installed ``pdejepa`` script
does (so the test needs no installation). In the first run the launcher also copies, at the start of epoch 1,
what an interruption there would leave (``config.yaml`` and the epoch-0 ``last.ckpt``); put back in place of
the finished run folder, the command resumes from it. One run fewer than stopping a second run for real
(``tests/pdejepa/resume.py`` does that in one process), the same checkpoint and the same resume.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from .tiny import TINY

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = "import sys\nfrom pdejepa.cli import main\n{patch}sys.exit(main())\n"
SNAPSHOT_AT_EPOCH_1 = """import shutil
from pathlib import Path

from pdejepa.methods import VICRegPretraining


def snapshot_at_epoch_1(self):
    if self.current_epoch == 1 and self.global_rank == 0:
        run = Path(self.trainer.default_root_dir)
        (run.parent / "snapshot").mkdir()
        for name in ("config.yaml", "last.ckpt"):
            shutil.copy(run / name, run.parent / "snapshot" / name)


VICRegPretraining.on_train_epoch_start = snapshot_at_epoch_1
"""
DDP = ["pretrain.devices=2", "pretrain.accelerator=cpu", "pretrain.epochs=2"]


def pretrain(tmp_path: Path, out: str, snapshot: bool = False) -> subprocess.CompletedProcess:
    script = tmp_path / ("snapshot.py" if snapshot else "pdejepa_cli.py")
    script.write_text(LAUNCHER.format(patch=SNAPSHOT_AT_EPOCH_1 if snapshot else ""))
    args = ["pretrain", "--out", str(tmp_path / out), "--no-progress", "--set", *TINY, *DDP]
    path = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, str(script), *args, f"data.dir={tmp_path / 'data'}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def weights(run: Path) -> dict[str, torch.Tensor]:
    state = torch.load(run / "last.ckpt", weights_only=True)
    assert state["global_step"] == 2 * 3 and state["epoch"] == 1  # 2 epochs of 24 // 8 global batches
    return state["state_dict"]


def test_ddp_pretraining_from_the_command_line_runs_and_resumes_exactly(tmp_path):
    whole = pretrain(tmp_path, "run", snapshot=True)
    assert whole.returncode == 0, whole.stderr[-4000:]
    assert whole.stdout.splitlines() == [f"checkpoint: {tmp_path / 'run' / 'pretrain.ckpt'}"]  # one process prints
    assert "devices: 2" in (tmp_path / "run" / "config.yaml").read_text()
    (tmp_path / "run").rename(tmp_path / "whole")
    (tmp_path / "snapshot").rename(tmp_path / "run")  # the run folder as the interruption left it
    assert torch.load(tmp_path / "run" / "last.ckpt", weights_only=True)["global_step"] == 3  # epoch 0's

    resumed = pretrain(tmp_path, "run")
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    a, b = weights(tmp_path / "whole"), weights(tmp_path / "run")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=0, msg=name)
