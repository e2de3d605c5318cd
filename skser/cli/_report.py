"""Tables and plots shared by ``skser demo`` and ``skser evaluate``."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from skser.model_selection._evaluate import _mean_keep_nan


def _condition_order(conditions):
    """``clean`` first, then by noise name, then by decreasing SNR."""
    from skser.plotting import parse_snr

    def key(c):
        snr = parse_snr(c)
        if math.isinf(snr):
            return (0, "", 0.0, "")
        noise = re.sub(r"-?\d+(\.\d+)?\s*dB", "", str(c)).strip()
        return (1, noise, -snr if not math.isnan(snr) else 0.0, str(c))

    return sorted(pd.unique(pd.Series(conditions)), key=key)


def summary_table(table, *, metric="uar", pipeline="pipeline"):
    """Wide table of one metric: rows (setting, condition), columns pipelines, in percent.

    ``setting`` is ``"within corpus"`` for rows whose test corpus is the training corpus
    (speaker-independent folds) and ``"cross corpus"`` otherwise; values are averaged over the
    (train, test) pairs of each setting, and a pair that failed (NaN) makes the average NaN.
    """
    t = table[table["metric"] == metric].copy()
    if t.empty:
        raise ValueError(f"the results have no metric {metric!r}")
    t["setting"] = np.where(t["train"] == t["test"], "within corpus", "cross corpus")
    # A failed fit (NaN) makes its setting's average NaN: averaging only the pairs that ran
    # would report a different set of pairs under the same row label.
    wide = t.pivot_table(index=["setting", "condition"], columns=pipeline, values="value",
                         aggfunc=_mean_keep_nan, sort=False, dropna=False) * 100
    pipelines = list(pd.unique(t[pipeline]))
    settings = [s for s in ("within corpus", "cross corpus") if s in set(t["setting"])]
    order = [(s, c) for s in settings for c in _condition_order(t["condition"])
             if (s, c) in wide.index]
    return wide.loc[order, pipelines]


def pair_table(table, *, metric="uar", pipeline="pipeline"):
    """Wide table of one metric per (train -> test pair, condition), columns pipelines, in %.

    Within-corpus pairs are labelled ``"<corpus> (within)"``, the others ``"<train> -> <test>"``.
    With ``ci_low``/``ci_high`` columns (``skser evaluate``'s bootstrap intervals), each cell
    is the text ``"62.3 [58.1, 66.0]"``; otherwise a number.
    """
    t = table[table["metric"] == metric].copy()
    if t.empty:
        raise ValueError(f"the results have no metric {metric!r}")
    t["pair"] = np.where(t["train"] == t["test"], t["train"].astype(str) + " (within)",
                         t["train"].astype(str) + " -> " + t["test"].astype(str))
    t["within"] = t["train"] == t["test"]
    has_ci = {"ci_low", "ci_high"} <= set(t.columns) and t["ci_low"].notna().any()
    if has_ci:
        t["cell"] = [
            _cell(v) if pd.isna(lo) else f"{_cell(v)} [{100 * lo:.1f}, {100 * hi:.1f}]"
            for v, lo, hi in zip(t["value"] * 100, t["ci_low"], t["ci_high"])
        ]
    else:
        t["cell"] = t["value"] * 100
    pairs = list(pd.unique(t.sort_values("within", ascending=False, kind="stable")["pair"]))
    conditions = _condition_order(t["condition"])
    wide = t.set_index(["pair", "condition", pipeline])["cell"].unstack(pipeline)
    order = [(p, c) for p in pairs for c in conditions if (p, c) in wide.index]
    return wide.loc[order, list(pd.unique(t[pipeline]))]


def _cell(v):
    if isinstance(v, str):
        return v
    return "nan" if pd.isna(v) else f"{v:.1f}"


def format_table(wide, *, title):
    """Plain-text rendering of :func:`summary_table` or :func:`pair_table` for the terminal."""
    first = max(len(str(s)) for s, _ in wide.index) + 2
    labels = [f"{s:<{first}}{c}" for s, c in wide.index]
    width = max([len(title)] + [len(x) for x in labels]) + 2
    cols = [str(c) for c in wide.columns]
    cells = [[_cell(v) for v in row] for _, row in wide.iterrows()]
    colw = [max([8, len(c) + 2] + [len(r[j]) + 2 for r in cells]) for j, c in enumerate(cols)]
    lines = [title.ljust(width) + "".join(c.rjust(w) for c, w in zip(cols, colw))]
    lines.append("-" * len(lines[0]))
    for label, row in zip(labels, cells):
        lines.append(label.ljust(width) + "".join(v.rjust(w) for v, w in zip(row, colw)))
    return "\n".join(lines)


def to_markdown(wide, *, title):
    """GitHub-flavoured markdown rendering of :func:`summary_table` or :func:`pair_table`."""
    cols = [str(c) for c in wide.columns]
    lines = [f"| {title} | condition | " + " | ".join(cols) + " |",
             "|---|---|" + "---:|" * len(cols)]
    for (setting, cond), row in wide.iterrows():
        cells = [_cell(v) for v in row]
        lines.append(f"| {setting} | {cond} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def save_results(table, outdir, *, title, metrics, note=""):
    """Write ``results.csv`` (tidy) and ``results.md`` (per metric: summary, per pair)."""
    outdir = Path(outdir)
    table.to_csv(outdir / "results.csv", index=False)
    parts = [f"# {title}\n"]
    if note:
        parts.append(note.strip() + "\n")
    for metric in metrics:
        if (table["metric"] == metric).any():
            wide = summary_table(table, metric=metric)
            parts.append(f"## {metric.upper()} (%)\n")
            parts.append(to_markdown(wide, title="setting"))
            parts.append(f"### {metric.upper()} (%) per train -> test\n")
            parts.append(to_markdown(pair_table(table, metric=metric), title="train -> test"))
    (outdir / "results.md").write_text("\n".join(parts), encoding="utf-8")


def save_figure(fig, path):
    """Save and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def use_agg_backend():
    """Select matplotlib's file-only backend (the command never opens windows)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
