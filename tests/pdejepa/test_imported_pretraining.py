"""Pretraining on data we do not simulate: a two-field Gray-Scott set with per-trajectory rates, written here in The
Well's HDF5 layout and imported with ``pdejepa import --from the-well``, trains with every method that needs no
derived symmetries from a config of only ``data.files`` and ``data.label`` (the fields, layout, grid and equation
come from the file), then feeds ``regress`` and ``embed``; a 1D two-field set with walls does too; their window
views (:class:`~pdejepa.data.FieldViewMaker`) are reproducible per sample; and what the files cannot give is
refused in one line naming the value."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import xarray as xr

from pdejepa.cli import main
from pdejepa.config import load_config
from pdejepa.data import FieldViewMaker, TrajectoryDataset, collate, make_views
from pdejepa.experiment import Experiment

from .tiny import QUICK_REGRESS

GRAY_SCOTT = "gray_scott_reaction_diffusion"  # The Well's name of the dataset
FRAMES = 8
# tiny pretraining of each method; pretrain.strengths={} since the file's equation has no derived symmetries
TINY = ["pretrain.width=4", "pretrain.epochs=1", "pretrain.batch_size=8", "pretrain.accelerator=cpu"]
METHODS = {
    "vicreg": ["pretrain.window=[3]", "pretrain.strengths={}", "pretrain.vicreg.expander=[16, 16]"],
    "dynamics": [
        "pretrain.method=dynamics",
        "pretrain.window=[3]",
        "pretrain.strengths={}",
        "pretrain.dynamics={code: 4, hidden: 8, blocks: 1, pool: 2, pairs: 1}",
    ],
    "world": [
        "pretrain.method=world",
        "pretrain.window=[3]",
        "pretrain.strengths={}",
        "pretrain.world={latent: 8, code: 4, horizon: 2, hidden: 16, depth: 1, slices: 16}",
    ],
    "jepa": [  # V-JEPA on videos of (A, B, x, y) x 4 frames x 16 x 16 cells: pretrain.strengths is not used
        "pretrain.method=jepa",
        "pretrain.encoder=vit_nano",
        "pretrain.window=[4]",
        "pretrain.jepa={patch_size: 4, tubelet_size: 2, predictor: [24, 1, 2]}",
    ],
}


def write_the_well(path: Path, name: str, fields: dict, scalars: dict, coords: dict, boundary: str) -> Path:
    """One file of The Well's layout: ``fields`` ``(sample, time, *space)`` in its axis order ``(x[, y])``,
    per-trajectory ``scalars``, ``coords`` (``time`` then the spatial dims), the same ``boundary`` on every dim."""
    dims = [d for d in coords if d != "time"]
    strings = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        n = len(next(iter(scalars.values())))
        f.attrs.update({"dataset_name": name, "grid_type": "cartesian", "n_spatial_dims": len(dims)})
        f.attrs.update({"n_trajectories": n, "simulation_parameters": np.array([], dtype=strings)})
        group = f.create_group("dimensions")
        group.attrs["spatial_dims"] = np.array(dims, dtype=strings)
        for d, values in coords.items():
            ds = group.create_dataset(d, data=np.asarray(values, dtype=np.float32))
            ds.attrs.update({"sample_varying": False, "time_varying": d == "time"})
        for order, members in ((0, fields), (1, {}), (2, {})):
            group = f.create_group(f"t{order}_fields")
            group.attrs["field_names"] = np.array(list(members), dtype=strings)
            for key, values in members.items():
                ds = group.create_dataset(key, data=values.astype(np.float32))
                ds.attrs.update({"sample_varying": True, "time_varying": True, "dim_varying": [True] * len(dims)})
        group = f.create_group("scalars")
        group.attrs["field_names"] = np.array(list(scalars), dtype=strings)
        for key, values in scalars.items():
            group.create_dataset(key, data=values).attrs.update({"sample_varying": True, "time_varying": False})
        group = f.create_group("boundary_conditions")
        for d in dims:
            bc = group.create_group(f"{d}_{boundary}")
            bc.attrs.update({"associated_dims": np.array([d], dtype=strings), "bc_type": boundary.upper()})
    return path


def gray_scott(path: Path, n: int, seed: int) -> Path:
    """``n`` Gray-Scott trajectories (``A``, ``B``) of rates ``F``, ``k`` drawn per trajectory, by explicit Euler on
    a 16 x 16 periodic grid (unit cells and step), in The Well's layout."""
    rng = np.random.default_rng(seed)
    rates = {"F": rng.uniform(0.02, 0.08, n), "k": rng.uniform(0.04, 0.07, n)}
    f, k = (rates[name][:, None, None] for name in ("F", "k"))
    a = 1 - 0.02 * rng.random((n, 16, 16))
    b = 0.02 * rng.random((n, 16, 16))
    a[:, 6:10, 6:10], b[:, 6:10, 6:10] = 0.5, 0.25

    def laplacian(u):
        return sum(np.roll(u, s, axis) for s in (1, -1) for axis in (1, 2)) - 4 * u

    frames = []
    for _ in range(FRAMES):
        frames.append(np.stack([a, b], 1))
        for _ in range(4):
            reaction = a * b * b
            a, b = a + 0.2 * laplacian(a) - reaction + f * (1 - a), b + 0.1 * laplacian(b) + reaction - (f + k) * b
    both = np.stack(frames, 1)  # (sample, time, field, x, y)
    cells = (np.arange(16) + 0.5) / 16
    coords = {"time": np.arange(FRAMES) * 4.0, "x": cells, "y": cells}
    return write_the_well(path, GRAY_SCOTT, {"A": both[:, :, 0], "B": both[:, :, 1]}, rates, coords, "periodic")


def walled_pair(path: Path, n: int, seed: int) -> Path:
    """``n`` 1D trajectories of two diffusing species ``c``, ``d`` reacting at a rate ``r`` drawn per trajectory,
    between walls (no flux), on 32 points, in The Well's layout."""
    rng = np.random.default_rng(seed)
    r = rng.uniform(0.1, 1.0, n)
    c, d = rng.random((n, 32)), rng.random((n, 32))

    def laplacian(u):
        padded = np.pad(u, ((0, 0), (1, 1)), mode="edge")
        return padded[:, 2:] + padded[:, :-2] - 2 * u

    frames = []
    for _ in range(FRAMES):
        frames.append(np.stack([c, d], 1))
        for _ in range(3):
            c, d = c + 0.2 * laplacian(c) - 0.1 * r[:, None] * c * d, d + 0.1 * laplacian(d) + 0.1 * r[:, None] * c
    both = np.stack(frames, 1)
    coords = {"time": np.arange(FRAMES) * 0.3, "x": (np.arange(32) + 0.5) / 32}
    return write_the_well(path, "walled_pair", {"c": both[:, :, 0], "d": both[:, :, 1]}, {"r": r}, coords, "wall")


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    """``{"2d": (train, test), "1d": (train, test)}``: our files imported from The Well's (16 + 8 trajectories)."""
    root = tmp_path_factory.mktemp("well")
    out = {}
    for kind, write in (("2d", gray_scott), ("1d", walled_pair)):
        pair = []
        for split, n, seed in (("train", 16, 0), ("test", 8, 1)):  # a dataset folder of The Well
            (root / kind / "data" / split).mkdir(parents=True)
            write(root / kind / "data" / split / f"{kind}_{split}.hdf5", n, seed)
            ours = root / f"{kind}_{split}.h5"
            assert main(["import", str(root / kind), "--from", "the-well", "--split", split, str(ours)]) == 0
            pair.append(ours)
        out[kind] = tuple(pair)
    return out


def data_of(files: tuple[Path, Path], label: str = "F") -> list[str]:
    """The only data settings a config of imported files needs."""
    return [f"data.files.train={files[0]}", f"data.files.test={files[1]}", f"data.label={label}"]


def experiment(*overrides: str) -> Experiment:
    return Experiment(load_config(None, list(overrides)), progress=False)


def test_what_a_generic_file_holds_is_read_from_it(imported):
    exp = experiment(*data_of(imported["2d"]), *METHODS["jepa"])
    assert exp.generic and not exp.is_flow and exp.data_kind == "2d" and exp.config.data.equation == GRAY_SCOTT
    assert exp.fields == ("A", "B") and exp.equation_params == () and exp.labels == ("F",)
    assert exp.grid["x"] == pytest.approx(list((np.arange(16) + 0.5) / 16)) and len(exp.grid["y"]) == 16
    assert exp.given.periodic == (True, True) and exp.channels == 4  # A, B, x, y per frame of a video
    assert exp.encoder_input == ((4, 16, 16), 4)
    settings = exp.view_settings({})  # JEPA views: no symmetries unless pretrain.jepa.symmetries
    assert settings["fields"] == ("A", "B") and settings["video"] and set(settings["standardise"]) == {"A", "B"}
    again = make_views(**json.loads(json.dumps(settings)))  # plain data: stored in checkpoints as hyperparameters
    assert again == exp.view_maker(augment=False) and again.channels == 4
    assert experiment(*data_of(imported["2d"], "k"), *METHODS["vicreg"]).labels == ("k",)  # any per-sample scalar
    stacked = experiment(*data_of(imported["2d"]), *METHODS["vicreg"])
    assert stacked.channels == 3 * 4 and isinstance(stacked.view_maker(), FieldViewMaker)
    walled = experiment(*data_of(imported["1d"], "r"), "pretrain.window=[4, 8]", "pretrain.strengths={}")
    assert walled.data_kind == "1d" and walled.fields == ("c", "d") and walled.grid is None
    assert walled.given.periodic == (False,) and walled.channels == 4 and walled.view_settings()["periodic"] is False
    with h5py.File(imported["2d"][0]) as f:
        assert f.attrs["equation"] == GRAY_SCOTT and json.loads(f.attrs["boundary_conditions"]) == {
            "x": "periodic",
            "y": "periodic",
        }


def fake_batch(u: torch.Tensor, ids: list[int]) -> dict:
    n = len(u)
    return {
        "u": u,
        "id": torch.tensor(ids),
        "t0": torch.zeros(n),
        "dt": torch.ones(n),
        "L": torch.full((n,), float("nan")),
    }


def test_1d_field_views_crop_inside_walls_or_wrap_around_and_repeat_per_sample():
    u = torch.arange(3 * 6 * 2 * 10, dtype=torch.float32).view(3, 6, 2, 10)  # (batch, time, fields, x)
    batch = fake_batch(u, [5, 6, 7])
    walled = FieldViewMaker((4, 8), ("c", "d"), periodic=False)
    views = walled(batch, seed=3)
    assert views.shape == (3, walled.channels, 4, 8) == (3, 4, 4, 8)
    for s in range(3):  # consecutive frames and points of each field, inside the domain
        t0, x0 = int(views[s, 0, 0, 0] - u[s, 0, 0, 0]) // 20, int(views[s, 0, 0, 0] - u[s, 0, 0, 0]) % 20
        assert t0 <= 2 and x0 <= 2
        torch.testing.assert_close(views[s, :2], u[s, t0 : t0 + 4, :, x0 : x0 + 8].transpose(0, 1))
    torch.testing.assert_close(views[:, 2], torch.linspace(0, 1, 4)[:, None].expand(3, 4, 8))  # time, 0 to 1
    torch.testing.assert_close(views[:, 3], torch.linspace(0, 1, 8)[None].expand(3, 4, 8))  # space, 0 to 1
    torch.testing.assert_close(walled(fake_batch(u[1:], [6, 7]), seed=3), views[1:], rtol=0, atol=0)  # per sample
    assert not torch.equal(walled(batch, seed=4), views)
    plain = walled(batch, seed=3, augment=False)
    torch.testing.assert_close(plain[:, :2], u[:, :4, :, :8].transpose(1, 2))
    wrapped = FieldViewMaker((6, 10), ("c", "d"), periodic=True)(batch, seed=1)
    starts = [int(wrapped[s, 0, 0, 0] - u[s, 0, 0, 0]) for s in range(3)]
    for s, x0 in enumerate(starts):  # the whole line, starting anywhere and wrapping around
        torch.testing.assert_close(wrapped[s, :2], u[s, :, :, torch.arange(x0, x0 + 10) % 10].transpose(0, 1))
    scaled = FieldViewMaker((4, 8), ("c", "d"), periodic=False, standardise=((1.0, 2.0), (-1.0, 4.0)))(batch, seed=3)
    torch.testing.assert_close(scaled[:, 0], (views[:, 0] - 1) / 2)
    torch.testing.assert_close(scaled[:, 1], (views[:, 1] + 1) / 4)
    torch.testing.assert_close(scaled[:, 2:], views[:, 2:])
    with pytest.raises(ValueError, match=r"window \(4, 11\) must fit"):
        FieldViewMaker((4, 11), ("c", "d"))(batch, seed=0)
    with pytest.raises(ValueError, match="take no symmetries"):
        make_views("walled_pair", {"space_shift": 1.0}, (4, 8), fields=("c", "d"))


def test_2d_field_views_stack_fields_and_coordinates_per_frame(imported):
    data = TrajectoryDataset(imported["2d"][0], labels=("F",), fields=("A", "B"))
    batch = collate([data[i] for i in range(4)])
    x = tuple((np.arange(16) + 0.5) / 16)
    stacked = FieldViewMaker((3,), ("A", "B"), x=x, y=x)
    views = stacked(batch, seed=2)
    assert views.shape == (4, stacked.channels, 16, 16) == (4, 12, 16, 16)
    video = FieldViewMaker((3,), ("A", "B"), x=x, y=x, video=True)(batch, seed=2)
    assert video.shape == (4, 4, 3, 16, 16)
    for k in range(3):  # the same draw: frame k's A, B, x, y
        torch.testing.assert_close(video[:, :, k], views[:, 4 * k : 4 * k + 4])
    plain = stacked(batch, seed=2, augment=False)
    torch.testing.assert_close(plain[:, 4 : 4 + 2], batch["u"][:, 1])  # frame 1 of the first window
    torch.testing.assert_close(plain[0, 2], torch.tensor(x, dtype=torch.float32)[None].expand(16, -1))  # x / extent 1
    torch.testing.assert_close(plain[0, 3], torch.tensor(x, dtype=torch.float32)[:, None].expand(-1, 16))
    again = stacked(collate([data[i] for i in (2, 3)]), seed=2)
    torch.testing.assert_close(again, views[2:], rtol=0, atol=0)


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_pretrains_on_imported_gray_scott_and_regresses_its_rate(method, imported, tmp_path, capsys):
    sets = [*data_of(imported["2d"]), *TINY, *METHODS[method], *QUICK_REGRESS]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    ckpt = tmp_path / "pre" / "last.ckpt"
    saved = load_config(tmp_path / "pre" / "config.yaml")
    assert saved.data.equation == GRAY_SCOTT and saved.data.files.train == str(imported["2d"][0])
    args = ["regress", "--ckpt", str(ckpt), "--out", str(tmp_path / "reg"), "--no-progress", "--set", *sets]
    assert main(args) == 0
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert {r["method"] for r in rows} == {"ssl_frozen", "supervised", "random_frozen"}
    assert all(np.isfinite(r["nmse"]) for r in rows)
    if method == "world":  # time-stepping conditioned on it: a filmstrip per field
        ts = ["timestep.horizon=2", "timestep.steps=2", "timestep.seeds=[0]", "timestep.hidden=4", "timestep.modes=2"]
        ts += ["timestep.layers=1", "timestep.batch_size=4", "timestep.workers=1"]
        assert main(["timestep", "--ckpt", str(ckpt), "--out", str(tmp_path / "ts"), "--set", *sets, *ts]) == 0
        assert (tmp_path / "ts" / "filmstrip_A.png").exists() and (tmp_path / "ts" / "filmstrip_B.png").exists()
    if method == "dynamics":  # the embedding of the test file, with its rates
        out = tmp_path / "emb.nc"
        capsys.readouterr()
        assert main(["embed", str(imported["2d"][1]), "--ckpt", str(ckpt), "--out", str(out)]) == 0
        with xr.open_dataset(out, engine="h5netcdf") as emb:
            assert emb["embedding"].dims == ("sample", "feature") and emb.sizes["sample"] == 8
            assert np.isfinite(emb["embedding"].values).all() and set(emb.data_vars) >= {"F", "k"}
            assert emb.attrs["equation"] == GRAY_SCOTT
        walled = imported["1d"][1]
        assert main(["embed", str(walled), "--ckpt", str(ckpt), "--out", str(tmp_path / "x.nc")]) == 2
        err = capsys.readouterr().err.strip()
        assert "FILE=" in err and "holds equation 'walled_pair', not 'gray_scott_reaction_diffusion'" in err
        assert "\n" not in err


def test_two_field_1d_data_with_walls_pretrains_and_regresses(imported, tmp_path, capsys):
    sets = [
        *data_of(imported["1d"], "r"),
        *TINY,
        "pretrain.method=dynamics",
        "pretrain.window=[4, 16]",
        "pretrain.strengths={}",
        "pretrain.dynamics={code: 4, hidden: 8, blocks: 1, pool: 2, pairs: 1}",
        *QUICK_REGRESS,
    ]
    assert main(["pretrain", "--out", str(tmp_path / "pre"), "--no-progress", "--set", *sets]) == 0
    ckpt = str(tmp_path / "pre" / "last.ckpt")
    assert main(["regress", "--ckpt", ckpt, "--out", str(tmp_path / "reg"), "--no-progress", "--set", *sets]) == 0
    rows = json.loads((tmp_path / "reg" / "regression.json").read_text())
    assert len(rows) == 3 and all(np.isfinite(r["nmse"]) for r in rows)
    ts = ["timestep.horizon=2", "timestep.steps=2", "timestep.seeds=[0]", "timestep.hidden=4", "timestep.modes=2"]
    ts += ["timestep.layers=1", "timestep.batch_size=4", "timestep.workers=1"]
    assert main(["timestep", "--ckpt", ckpt, "--out", str(tmp_path / "ts1"), "--set", *sets, *ts]) == 0
    assert (tmp_path / "ts1" / "rollouts.png").exists()  # the first field in space and time
    capsys.readouterr()
    assert main(["timestep", "--ckpt", ckpt, "--out", str(tmp_path / "ts"), "--set", *sets, "data.label=F"]) == 2
    err = capsys.readouterr().err.strip()  # the walled pair has no rate F
    assert err.startswith("pdejepa timestep: error: data.files.train=") and "\n" not in err
    assert "lacks per-sample variable(s) ['F']; it has ['r']" in err


def refusal(*overrides: str) -> str:
    """The one-line error of an experiment of ``overrides`` (and its files)."""
    with pytest.raises((ValueError, FileNotFoundError)) as err:
        exp = experiment(*overrides)
        exp.files
        exp.view_settings()
    text = str(err.value)
    assert "\n" not in text
    return text


def test_what_an_imported_file_cannot_give_is_refused_in_one_line(imported, tmp_path):
    two_d, one_d = data_of(imported["2d"]), data_of(imported["1d"], "r")
    vicreg = METHODS["vicreg"]
    text = refusal(*two_d, "pretrain.window=[3]")  # the default strengths
    assert f"holds equation '{GRAY_SCOTT}', which has no derived symmetries" in text
    assert "set pretrain.strengths={}" in text
    text = refusal(*two_d, *vicreg, "data.equation=heat")  # data.equation at its default (burgers) is ignored
    assert text.startswith("data.files.train=") and f"holds equation '{GRAY_SCOTT}', not data.equation='heat'" in text
    assert "pretrain.window=[9] asks for 9 frames" in refusal(*two_d, *vicreg, "pretrain.window=[9]")
    assert "stores 8 frames" in refusal(*two_d, *vicreg, "pretrain.window=[9]")
    text = refusal(*two_d, *vicreg, "pretrain.window=[3, 8]")
    assert f"pretrain.window for {GRAY_SCOTT} data must be [frames], got [3, 8]" in text
    assert "pretrain.window=[4, 40] asks for 40 points" in refusal(
        *one_d, "pretrain.strengths={}", "pretrain.window=[4, 40]"
    )
    text = refusal(*two_d[:2], "data.label=nu", *vicreg)
    assert text.startswith("data.files.train=") and "lacks per-sample variable(s) ['nu']; it has ['F', 'k']" in text
    mixed = [f"data.files.train={imported['2d'][0]}", f"data.files.test={imported['1d'][1]}", "data.label=F", *vicreg]
    text = refusal(*mixed)
    assert text.startswith("data.files.test=") and f"not '{GRAY_SCOTT}' of data.files.train" in text
    nameless = tmp_path / "nameless.h5"
    nameless.write_bytes(imported["2d"][0].read_bytes())
    with h5py.File(nameless, "r+") as f:
        del f.attrs["equation"]
    assert "has no equation attribute" in refusal(f"data.files.train={nameless}", *two_d[1:], *vicreg)
