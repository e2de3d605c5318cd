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
    chance=None,
    percent=False,
    ax=None,
    title=None,
):
    """Plot a metric against the SNR, one line per pipeline, from an evaluation table.

    The SNR of each row is read from an ``snr_db`` column when the table has one (``inf``
    there, or the condition ``"clean"``, means clean speech; NaN falls back to the name),
    otherwise parsed from the condition name with :func:`parse_snr` (``"babble 10 dB"`` ->
    10). Rows whose SNR is unknown are left out. Clean speech is drawn as the rightmost point,
    labelled ``clean``. With ``pairs="each"`` every (train, test) pair gets its own panel;
    otherwise values are averaged over the pairs selected by ``pairs``. Unless ``by_noise``,
    values are averaged over noise types at the same SNR. Whatever is averaged is said in the
    panel's title (when ``title`` is None).

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
    pairs : {"all", "cross", "within", "each"}, default="all"
        Which (train, test) pairs to average: all, cross-corpus only (train != test) or
        within-corpus only; ``"each"`` draws one panel per pair (within-corpus pairs first)
        and needs ``ax=None``.
    by_noise : bool, default=False
        Draw one line per pipeline and noise type (the condition name without its SNR).
    chance : float, default=None
        Chance level to draw as a dashed line, as a fraction (e.g. ``1 / n_emotions``: the
        UAR of a constant or random guess).
    percent : bool, default=False
        Show the metric in percent (as the tables of ``skser evaluate``) instead of 0-1.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    title : str, default=None
        Axes title (with ``pairs="each"``, the figure's title); by default a title that
        says what is averaged.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; the plot is ``fig.axes[0]`` (or ``ax``), one line per pipeline (with
        ``pairs="each"``, one axes per pair).

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
    >>> fig.axes[0].get_title()
    'a → b'
    """
    needed = {"condition", "metric", "value"}
    if pairs != "all":
        needed |= {"train", "test"}
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}; got {list(table.columns)}.")
    if pairs not in ("all", "cross", "within", "each"):
        raise ValueError(f"pairs must be 'all', 'cross', 'within' or 'each', got {pairs!r}.")
    if pairs == "each" and ax is not None:
        raise ValueError("pairs='each' draws one panel per pair in a new figure; pass ax=None.")
    if chance is not None and not 0 <= chance <= 1:
        raise ValueError(f"chance must be a fraction in [0, 1], got {chance!r}.")
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
    scale = 100.0 if percent else 1.0
    ylabel = metric.upper() if metric in ("uar", "wa") else metric
    ylabel = f"{ylabel} (%)" if percent else ylabel
    axis = dict(finite=finite, x_clean=x_clean, ylabel=ylabel, chance=chance, scale=scale,
                legend=has_pipeline or by_noise or chance is not None)

    if pairs != "each":
        fig, ax = _figure_and_axes(ax, (6.0, 4.0))
        _draw_panel(ax, df, by_noise=by_noise, **axis)
        ax.set_title(_describe(df, by_noise) if title is None else title)
        return fig

    plt = _pyplot()
    keys = list(dict.fromkeys(zip(df["train"], df["test"])))
    keys.sort(key=lambda k: k[0] != k[1])  # within-corpus panels first
    ncols = min(len(keys), 2)
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.0 * ncols, 3.6 * nrows + 0.6),
                             sharey=True, squeeze=False, layout="constrained")
    for k, (train, test) in enumerate(keys):
        panel = axes.flat[k]
        part = df[(df["train"] == train) & (df["test"] == test)]
        _draw_panel(panel, part, by_noise=by_noise, **{**axis, "legend": False})
        panel.set_title(_describe(part, by_noise))
    for panel in list(axes.flat)[len(keys):]:
        panel.set_visible(False)
    if axis["legend"] or chance is not None:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4))
    if title is not None:
        fig.suptitle(title)
    return fig


def _pyplot():
    from ._base import _pyplot as get

    return get()


def _describe(df, by_noise):
    """Title of a panel: its pairs and what its lines average over."""
    keys = list(dict.fromkeys(zip(df.get("train", pd.Series(dtype=str)),
                                  df.get("test", pd.Series(dtype=str)))))
    if len(keys) == 1:
        train, test = keys[0]
        where = f"within {train} (held-out folds)" if train == test else (
            f"{train} → {test}")
    elif keys:
        n_within = sum(a == b for a, b in keys)
        where = f"mean of {len(keys)} train → test pairs"
        if 0 < n_within < len(keys):
            where += f" ({n_within} within-corpus)"
    else:
        where = ""
    noises = [n for n in pd.unique(df["_noise"]) if n]
    if not by_noise and len(noises) > 1:
        where += f"{', ' if where else ''}mean of {len(noises)} noise types"
    return where


_LINESTYLES = ("-", "--", ":", "-.")


def _draw_panel(ax, df, *, by_noise, finite, x_clean, ylabel, chance, scale, legend):
    # One colour per pipeline, one line style per noise type.
    all_noises = [n for n in pd.unique(df["_noise"]) if n]
    for i, name in enumerate(pd.unique(df["_pipeline"])):
        part = df[df["_pipeline"] == name]
        noises = [n for n in pd.unique(part["_noise"]) if n] if by_noise else [None]
        for noise in noises:
            style = _LINESTYLES[all_noises.index(noise) % 4] if noise is not None else "-"
            if noise is None:
                sub = part
                label = name
            else:
                sub = part[(part["_noise"] == noise) | (part["_noise"] == "")]
                label = f"{name} ({noise})"
            curve = sub.groupby("_x")["value"].mean().sort_index()
            ax.plot(curve.index.to_numpy(), curve.to_numpy() * scale, marker="o", label=label,
                    color=f"C{i % 10}", linestyle=style)
    if chance is not None:
        ax.axhline(chance * scale, color="0.4", linestyle="--", linewidth=1,
                   label=f"chance ({chance * scale:.3g}{'%' if scale == 100 else ''})")
    ticks = [*finite.tolist(), x_clean]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{v:g}" for v in finite] + ["clean"])
    ax.set_xlabel("SNR (dB)")
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend()
    ax.grid(True, alpha=0.3)
