"""The one-command GPU check (``benchmarks/gpu_check.sh``) on the CPU at tiny sizes, so it cannot rot before a GPU
is lent, and its robustness: a failing stage is a FAIL row, the others still run, the exit status says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from benchmarks import gpu_check
from benchmarks.gpu_check import STAGES, Context, Row, Stage

ROOT = Path(__file__).resolve().parents[1]


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of the summary table's rows (header and rule left out)."""
    lines = [line for line in stdout.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_cpu_tiny_run_prints_the_table_with_every_row(tmp_path):
    env = {**os.environ, "GPU_CHECK_PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--cpu", "--tiny"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr[-6000:]}"
    rows = table_rows(done.stdout)
    assert [row[0] for row in rows] == [stage.name for stage in STAGES]
    for check, measured, goal, status in rows:
        assert status == "n/a", (check, measured)
        assert measured and not measured.startswith("error"), check
        assert goal, check
    by_name = {row[0]: row[1] for row in rows}
    assert "skipped (no CUDA)" in by_name["gpu-marked tests"]
    assert "samples/s (fp32" in by_name["VICReg pretraining (ns_vicreg)"]
    assert "GPU n/a" in by_name["V-JEPA pretraining (vjepa_ns)"]
    assert "wall time" in done.stdout


def test_a_failing_stage_is_a_fail_row_and_the_next_stage_still_runs(tmp_path, capsys):
    def broken(ctx: Context):
        raise RuntimeError("out of memory\n  on the device")

    ran = []

    def fine(ctx: Context):
        ran.append(ctx.device)
        return "42 samples/s", True

    ctx = Context(device="cpu", tiny=False, sizes=gpu_check.TINY_SIZES, work=tmp_path)
    rows = gpu_check.run_stages([Stage("broken", "goal a", broken), Stage("fine", "goal b", fine)], ctx)
    assert rows[0] == Row("broken", "error: RuntimeError: out of memory on the device", "goal a", "FAIL")
    assert rows[1] == Row("fine", "42 samples/s", "goal b", "pass") and ran == ["cpu"]
    assert gpu_check.exit_status(rows) == 1 and gpu_check.exit_status(rows[1:]) == 0
    assert "Traceback" in capsys.readouterr().err
    table = gpu_check.table(rows)
    assert table.splitlines()[0].split() == ["|", "check", "|", "measured", "|", "goal", "|", "status", "|"]
    assert "| FAIL   |" in table


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is visible")
def test_without_cuda_and_without_cpu_flag_it_stops_in_one_line(capsys):
    assert gpu_check.main([]) == 2
    err = capsys.readouterr().err
    assert "sees no CUDA device" in err and "--cpu --tiny" in err and len(err.strip().splitlines()) == 1
