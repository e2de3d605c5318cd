"""Lazy matplotlib import shared by the plotting functions."""

from __future__ import annotations


def _pyplot():
    """Return ``matplotlib.pyplot``, or raise an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is installed in the test extra
        raise ImportError(
            "skser.plotting needs matplotlib, which is not installed. Install it with "
            "pip install 'skser[plot]' (or pip install matplotlib)."
        ) from exc
    return plt


def _figure_and_axes(ax, figsize):
    """Use ``ax`` when given, else a new figure with one axes.

    New figures use constrained layout, so that labels and legends placed outside the axes
    are kept inside the figure by a plain ``savefig``.
    """
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    return fig, ax
