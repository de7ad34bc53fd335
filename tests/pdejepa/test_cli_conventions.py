"""CLI conventions: --version, --print-config, config keys in --help, results on stdout and bars on stderr."""

from __future__ import annotations

import pytest
import yaml

from pdejepa import __version__
from pdejepa.cli import main


def test_version_flag_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"pdejepa {__version__}"


def test_print_config_shows_the_resolved_config_and_stops(tmp_path, capsys):
    assert main(["pretrain", "--out", str(tmp_path / "run"), "--print-config", "--set", "pretrain.epochs=3"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["pretrain"]["epochs"] == 3 and printed["data"]["equation"] == "burgers"
    assert not (tmp_path / "run").exists()  # nothing simulated, nothing written


def test_help_lists_every_config_field(capsys):
    with pytest.raises(SystemExit):
        main(["regress", "--help"])
    out = capsys.readouterr().out
    for key in ("pretrain.epochs = 75", "pretrain.jepa.past = 0", "regress.methods", "timestep.conditioning = film"):
        assert key in out


def test_api_names_are_the_cli_verbs():
    import pdejepa

    for name in ("generate", "derive_symmetries", "load_dataset", "pretrain", "regress", "probe", "timestep"):
        assert callable(getattr(pdejepa, name)) and getattr(pdejepa, name).__doc__
