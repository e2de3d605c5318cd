"""A metric against the signal-to-noise ratio, one line per pipeline."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._base import _figure_and_axes

_SNR = re.compile(r"(?P<snr>[-+]?\d+(?:\.\d+)?)\s*dB\b", re.IGNORECASE)


def parse_snr(condition):
    """Return the SNR in dB written in a condition name.

    The convention of :func:`skser.model_selection.cross_corpus_evaluate` tables: a condition
    named like ``"babble 0 dB"`` or ``"white -5dB"`` has the SNR written as a number followed
    by ``dB``; the text around it names the noise. ``"clean"`` is infinitely clean.

    Parameters
    ----------
    condition : str
        Condition name.

    Returns
    -------
    float
        The SNR in dB, ``inf`` for ``"clean"``, NaN when the name holds no SNR.

    Examples
    --------
    >>> from skser.plotting import parse_snr
    >>> parse_snr("babble -5 dB"), parse_snr("clean"), parse_snr("reverb")
    (-5.0, inf, nan)
    """
    text = str(condition).strip()
    if text.lower() == "clean":
        return float("inf")
    match = _SNR.search(text)
    return float(match.group("snr")) if match else float("nan")


def _noise_name(condition):
    """The condition name without its SNR: the noise type ("babble 0 dB" -> "babble")."""
    return _SNR.sub("", str(condition)).strip(" -_,") or "noise"


def plot_uar_vs_snr(
    table,
    *,
    metric="uar",
    pipeline="pipeline",
    pairs="all",
    by_noise=False,
    ax=None,
    title=None,
):
    """Plot a metric against the SNR, one line per pipeline, from an evaluation table.

    The SNR of each row is read from an ``snr_db`` column when the table has one (``inf``
    there, or the condition ``"clean"``, means clean speech; NaN falls back to the name),
    otherwise parsed from the condition name with :func:`parse_snr` (``"babble 10 dB"`` ->
    10). Rows whose SNR is unknown are left out. Clean speech is drawn as the rightmost point,
    labelled ``clean``. Values are averaged over the (train, test) pairs selected by ``pairs``
    and, unless ``by_noise``, over noise types at the same SNR.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table of :func:`skser.model_selection.cross_corpus_evaluate` (columns ``train``,
        ``test``, ``condition``, ``metric``, ``value``), optionally with a column naming the
        pipeline (see ``pipeline``) when several tables are stacked, e.g.
        ``pd.concat(tables, names=["pipeline", None]).reset_index(level=0)``.
    metric : str, default="uar"
        Metric to plot.
    pipeline : str, default="pipeline"
        Column that names the pipeline of each row. Without that column the table is one
        pipeline.
    pairs : {"all", "cross", "within"}, default="all"
        Which (train, test) pairs to average: all, cross-corpus only (train != test) or
        within-corpus only.
    by_noise : bool, default=False
        Draw one line per pipeline and noise type (the condition name without its SNR).
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; the plot is ``fig.axes[0]`` (or ``ax``), one line per pipeline.

    Examples
    --------
    >>> import pandas as pd
    >>> from skser.plotting import plot_uar_vs_snr
    >>> table = pd.DataFrame({
    ...     "train": "a", "test": "b", "metric": "uar", "n": 50,
    ...     "condition": ["clean", "white 0 dB", "white 10 dB"], "value": [0.7, 0.4, 0.6]})
    >>> fig = plot_uar_vs_snr(table)
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
    ['0', '10', 'clean']
    """
    needed = {"condition", "metric", "value"}
    if pairs != "all":
        needed |= {"train", "test"}
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}; got {list(table.columns)}.")
    if pairs not in ("all", "cross", "within"):
        raise ValueError(f"pairs must be 'all', 'cross' or 'within', got {pairs!r}.")
    df = table[table["metric"] == metric].copy()
    if df.empty:
        raise ValueError(
            f"No rows with metric {metric!r}; metrics present: {list(pd.unique(table['metric']))}."
        )
    if pairs == "cross":
        df = df[df["train"] != df["test"]]
    elif pairs == "within":
        df = df[df["train"] == df["test"]]

    clean = df["condition"].astype(str).str.strip().str.lower() == "clean"
    if "snr_db" in df.columns:
        snr = pd.to_numeric(df["snr_db"], errors="coerce").astype(float)
        snr = snr.where(~clean, np.inf)
        snr = snr.fillna(df["condition"].map(parse_snr))
    else:
        snr = df["condition"].map(parse_snr).astype(float)
    df["_snr"] = snr
    df = df[df["_snr"].notna()]
    finite = np.sort(pd.unique(df.loc[np.isfinite(df["_snr"]), "_snr"]))
    if finite.size == 0:
        raise ValueError(
            "No noisy condition with an SNR: name conditions like 'babble 10 dB' or give the "
            f"table an snr_db column. Conditions seen: {list(pd.unique(table['condition']))}."
        )
    gap = max(5.0, 0.2 * (finite[-1] - finite[0]))
    x_clean = finite[-1] + gap
    df["_x"] = np.where(np.isfinite(df["_snr"]), df["_snr"], x_clean)
    df["_noise"] = np.where(np.isfinite(df["_snr"]), df["condition"].map(_noise_name), "")
    has_pipeline = pipeline in df.columns
    df["_pipeline"] = df[pipeline].astype(str) if has_pipeline else metric.upper()

    fig, ax = _figure_and_axes(ax, (6.0, 4.0))
    for name in pd.unique(df["_pipeline"]):
        part = df[df["_pipeline"] == name]
        noises = [n for n in pd.unique(part["_noise"]) if n] if by_noise else [None]
        for noise in noises:
            if noise is None:
                sub = part
                label = name
            else:
                sub = part[(part["_noise"] == noise) | (part["_noise"] == "")]
                label = f"{name} ({noise})"
            curve = sub.groupby("_x")["value"].mean().sort_index()
            ax.plot(curve.index.to_numpy(), curve.to_numpy(), marker="o", label=label)
    ticks = [*finite.tolist(), x_clean]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{v:g}" for v in finite] + ["clean"])
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel(metric.upper() if metric in ("uar", "wa") else metric)
    if title is not None:
        ax.set_title(title)
    if has_pipeline or by_noise:
        ax.legend()
    ax.grid(True, alpha=0.3)
    return fig
