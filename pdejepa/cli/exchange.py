"""``pdejepa export`` and ``pdejepa import``: trajectory files to and from The Well and PDEArena.

The formats come from :mod:`solvers.exchange` (imported when the parser is built, as ``generate`` does).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_exchange(sub: argparse._SubParsersAction) -> None:
    from solvers.exchange import EXPORTERS, IMPORTERS, SPLITS

    p = sub.add_parser(
        "export",
        help="write a trajectory file in The Well's or PDEArena's layout",
        description="Write a trajectory file of ours into OUT_DIR in the layout of another toolkit. "
        "the-well: OUT_DIR/data/SPLIT/NAME.hdf5 (and, for the train split, OUT_DIR/stats.yaml over "
        "every train file), which the_well.data.WellDataset(path=OUT_DIR, well_split_name=SPLIT) reads. "
        "pdearena (2D smoke files only): OUT_DIR/NavierStokes2D_SPLIT_SEED_BUOYANCY[_N].h5, which "
        "PDEArena's conditioned NavierStokes2D loader reads.",
    )
    p.add_argument("file", type=Path, help="trajectory file written by pdejepa generate")
    p.add_argument("--to", required=True, choices=sorted(EXPORTERS), help="layout to write")
    p.add_argument("out_dir", type=Path, help="folder to write into")
    p.add_argument(
        "--split", choices=SPLITS, help="the split the file becomes (default: the file's own split, else train)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace a file of the same name")
    p.set_defaults(run=run_export)

    p = sub.add_parser(
        "import",
        help="convert files of The Well or PDEArena into a trajectory file of ours",
        description="Convert a file of another toolkit, or a folder of them, into one trajectory file of ours "
        "(HDF5, xarray-readable) with provenance attributes (imported_from, imported_source, imported_date, "
        "converter). the-well: PATH is a file, a data/SPLIT folder, or a dataset folder with --split. "
        "pdearena: NavierStokes2D smoke files; --split picks the group (default: the one the files hold).",
    )
    p.add_argument("path", type=Path, help="file or folder to import")
    p.add_argument("--from", dest="source_format", required=True, choices=sorted(IMPORTERS), help="its layout")
    p.add_argument("out", type=Path, help="our file to write (.h5)")
    p.add_argument("--split", choices=SPLITS, help="the split to read (see above)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    from solvers.exchange import export_dataset

    for path in export_dataset(args.file, args.to, args.out_dir, split=args.split, overwrite=args.overwrite):
        print(f"wrote {path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from solvers.exchange import import_dataset

    path = import_dataset(args.path, args.source_format, args.out, split=args.split, overwrite=args.overwrite)
    print(f"wrote {path}")
    return 0
