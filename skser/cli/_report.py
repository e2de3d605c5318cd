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


def format_table(wide, *, title):
    """Plain-text rendering of :func:`summary_table` for the terminal."""
    labels = [f"{s:<14}{c}" for s, c in wide.index]
    width = max([len(title)] + [len(x) for x in labels]) + 2
    cols = [str(c) for c in wide.columns]
    colw = [max(8, len(c) + 2) for c in cols]
    lines = [title.ljust(width) + "".join(c.rjust(w) for c, w in zip(cols, colw))]
    lines.append("-" * len(lines[0]))
    for label, (_, row) in zip(labels, wide.iterrows()):
        cells = ["nan" if pd.isna(v) else f"{v:.1f}" for v in row]
        lines.append(label.ljust(width) + "".join(v.rjust(w) for v, w in zip(cells, colw)))
    return "\n".join(lines)


def to_markdown(wide, *, title):
    """GitHub-flavoured markdown rendering of :func:`summary_table`."""
    cols = [str(c) for c in wide.columns]
    lines = [f"| {title} | condition | " + " | ".join(cols) + " |",
             "|---|---|" + "---:|" * len(cols)]
    for (setting, cond), row in wide.iterrows():
        cells = ["nan" if pd.isna(v) else f"{v:.1f}" for v in row]
        lines.append(f"| {setting} | {cond} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def save_results(table, outdir, *, title, metrics, note=""):
    """Write ``results.csv`` (tidy) and ``results.md`` (one wide table per metric)."""
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
