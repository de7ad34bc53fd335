"""What a frozen smoke-flow representation holds: buoyancy against the nuisances that compete with it.

For a pretraining checkpoint and a random-init encoder of the same architecture, on the config's data:
  - ridge NMSE (all training labels, test set) of the buoyancy and of nuisance variables of the viewed window:
    the total smoke, the smoke's centre-of-mass height, and the RMS speed;
  - trajectory identity: how often the nearest neighbour (cosine) of a test trajectory's late window
    (frames 16-23) among all early windows (frames 0-7) is its own; high means the features are a
    fingerprint of the trajectory rather than of its physics;
  - RankMe of the features.

    python benchmarks/ns_diagnosis.py --config configs/ns_dynamics.yaml --ckpt results/ns_dynamics/last.ckpt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch
from torch.utils.data import DataLoader

from benchmarks.machine_info import machine_lines
from pdejepa.config import load_config
from pdejepa.data import collate
from pdejepa.encoders import load_encoder
from pdejepa.eval.regressors import ridge_probe
from pdejepa.experiment import Experiment
from pdejepa.train import rankme


@torch.no_grad()
def features(encoder: torch.nn.Module, exp: Experiment, path: Path, shift: int = 0) -> tuple[torch.Tensor, dict]:
    """Backbone features ``(N, dim)`` of each trajectory's un-augmented window starting ``shift`` frames in, and
    the window's variables: buoyancy, total smoke, smoke centre-of-mass height and RMS speed ``(N,)`` each."""
    views, hs, targets = exp.view_maker(augment=False), [], {"buoyancy": [], "smoke": [], "height": [], "speed": []}
    encoder.eval()
    y = torch.tensor(exp.grid["y"], dtype=torch.float64)
    for batch in DataLoader(exp.dataset(path), batch_size=128, collate_fn=collate):
        batch = {**batch, "u": batch["u"][:, shift:], "t0": batch["t0"] + shift * batch["dt"]}
        hs.append(encoder(views(batch, seed=0, augment=False)).double())
        first = batch["u"][:, 0].double()  # (batch, fields, y, x): smoke, vx, vy
        smoke = first[:, 0].sum((1, 2))
        targets["buoyancy"].append(batch["labels"][:, 0].double())
        targets["smoke"].append(smoke)
        targets["height"].append((first[:, 0].sum(2) * y).sum(1) / smoke.clamp_min(1e-12))
        targets["speed"].append(first[:, 1:].pow(2).sum(1).mean((1, 2)).sqrt())
    return torch.cat(hs), {k: torch.cat(v) for k, v in targets.items()}


def identity(early: torch.Tensor, late: torch.Tensor) -> float:
    """Fraction of rows of ``late`` whose cosine-nearest row of ``early`` is the same trajectory."""
    a = torch.nn.functional.normalize(early - early.mean(0), dim=1)
    b = torch.nn.functional.normalize(late - early.mean(0), dim=1)
    return float(((b @ a.T).argmax(1) == torch.arange(len(b))).double().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--ckpt", type=Path, required=True)
    parser.add_argument("--set", dest="overrides", nargs="+", default=[], metavar="KEY=VALUE")
    parser.add_argument("--late", type=int, default=16, help="first frame of the late window")
    args = parser.parse_args()
    print("\n".join(machine_lines("lightning")), flush=True)
    exp = Experiment(load_config(args.config, args.overrides), progress=False)
    train, test = exp.files
    print(
        f"\n{args.ckpt} on {exp.config.data.num_train} / {exp.config.data.num_test} trajectories; "
        "ridge NMSE with all labels (lower: the features hold it linearly)"
    )
    print("| encoder | buoyancy | total smoke | smoke height | RMS speed | identity (early -> late) | RankMe |")
    print("|---|---|---|---|---|---|---|")
    for name, ckpt in (("pretrained", args.ckpt), ("random init", None)):
        encoder = load_encoder(exp, ckpt, exp.config.pretrain.seed)
        (h_train, y_train), (h_test, y_test) = features(encoder, exp, train), features(encoder, exp, test)
        late, _ = features(encoder, exp, test, shift=args.late)
        cells = [f"{ridge_probe(h_train, y_train[k], h_test, y_test[k])['nmse']:.3f}" for k in y_train]
        print(f"| {name} | " + " | ".join(cells) + f" | {identity(h_test, late):.3f} | {rankme(h_test.float()):.1f} |")


if __name__ == "__main__":
    main()
