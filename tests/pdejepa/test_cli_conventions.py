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


def test_building_the_command_line_loads_no_method(tmp_path):
    """The config fields (and with them the methods, which load Lightning) are read only when help is shown."""
    import subprocess
    import sys

    code = "import sys; from pdejepa.cli import build_parser; build_parser(); print('lightning' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_a_config_pickles_into_another_process():
    import pickle
    import subprocess
    import sys

    from pdejepa.config import load_config

    cfg = load_config(None, ["pretrain.world.latent=32", "pretrain.method=world"])
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    code = "import pickle, sys; cfg = pickle.loads(sys.stdin.buffer.read()); print(cfg.pretrain.world.latent)"
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(cfg), capture_output=True, check=True)
    assert done.stdout == b"32\n"


def test_a_moved_field_is_named_with_its_new_place():
    from pdejepa.config import load_config

    with pytest.raises(ValueError, match=r"'pretrain.expander' \(it moved to pretrain.vicreg.expander\)"):
        load_config(None, ["pretrain.expander=[16]"])
