"""The README's "Python API" example runs as written (in a scratch folder, with the repository's configs)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_python_api_example_runs(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md: Python API", "exec"), {})  # our own README, not user input
    out = capsys.readouterr().out
    assert "(8, 5, 64)" in out and "heat generators" in out and "ssl_frozen" in out
    assert (tmp_path / "runs" / "api" / "reg" / "regression.md").exists()
