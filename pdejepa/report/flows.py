"""The table of rolled-out smoke flows' diagnostics (their filmstrips: :mod:`pdejepa.figures.filmstrips`)."""

from __future__ import annotations

import numpy as np

from solvers.ns2d import FIELDS as FLOW_FIELDS


def cell(rows: list[dict], key: str, frame: int | None = None) -> str:
    """``mean +- std`` over seeds of a per-frame metric, averaged over frames (or taken at ``frame``)."""
    values = np.array([np.mean(r[key]) if frame is None else r[key][frame] for r in rows])
    return f"{values.mean():.3e} +- {values.std():.1e}"


def flow_table(rows: list[dict]) -> str:
    """Markdown: per conditioning, the rollout's relative L2 and VRMSE per field, the RMS divergence of its
    velocity, the relative drift of its total smoke and the error of its plume's centre-of-mass height,
    mean +- std over seeds (per-frame values averaged over the rolled-out frames unless said otherwise)."""
    errors = [f"relative L2 {f}" for f in FLOW_FIELDS] + [f"VRMSE {f}" for f in FLOW_FIELDS]
    lines = [
        f"| conditioning | {' | '.join(errors)} | divergence RMS | abs. smoke drift (last frame) | CoM height error |",
        "|---|" + "---|" * (len(errors) + 3),
    ]
    for v in dict.fromkeys(r["variant"] for r in rows):
        sel = [r for r in rows if r["variant"] == v]
        cells = [cell(sel, f"{metric}_{f}") for metric in ("rel_l2", "vrmse") for f in FLOW_FIELDS]
        cells += [cell(sel, "divergence_rms"), cell(sel, "smoke_drift_abs", -1), cell(sel, "com_height_error")]
        lines.append(f"| {v} | " + " | ".join(cells) + " |")
    truth = np.mean([np.mean(r["divergence_rms_truth"]) for r in rows])
    return "\n".join(lines) + f"\n\n(divergence RMS of the true flow: {truth:.1e}; 1 / time units)"
