"""Block importances of a fitted MEATransformer."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._base import _figure_and_axes


def _find_mea(obj):
    """The object itself, or the last step of a pipeline that has ``block_importances_``."""
    if hasattr(obj, "block_importances_"):
        return obj
    steps = getattr(obj, "steps", None)
    if steps:
        for _, step in reversed(steps):
            if hasattr(step, "block_importances_"):
                return step
    raise ValueError(
        f"{type(obj).__name__} has no block_importances_: pass a fitted MEATransformer (or a "
        "fitted pipeline that contains one)."
    )


def _block_names(mea, n_blocks):
    """Names of the X blocks, in the rows' order of ``block_importances_``."""
    names = getattr(mea, "block_names_", None)
    x_blocks = getattr(mea, "x_blocks_", None)
    if names is not None and x_blocks is not None:
        # MEATransformer names every block, the response included; importances are per X block.
        names = [names[i] for i in x_blocks]
    elif names is None and isinstance(getattr(mea, "blocks_", None), Mapping):
        names = list(mea.blocks_)
    if names is None or len(names) != n_blocks:
        names = [f"block {i}" for i in range(n_blocks)]
    return [str(n) for n in names]


def plot_block_importances(mea, *, block_names=None, normalize=False, ax=None, title=None):
    """Stacked bars of the importance of each X block for each MEA component.

    Parameters
    ----------
    mea : fitted MEATransformer or Pipeline
        Any object with ``block_importances_`` of shape (n_blocks, n_components), or a fitted
        pipeline holding one. Block names come from ``block_names``, else the object's
        ``block_names_`` (of its ``x_blocks_``), else the keys of a ``blocks_`` mapping, else
        ``block 0``, ...
    block_names : list of str, default=None
        Names of the blocks, in the rows' order of ``block_importances_``.
    normalize : bool, default=False
        Scale each component's bar to 1 (the blocks' shares) instead of raw importances.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.
    title : str, default=None
        Axes title.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; one bar container (legend entry) per block, one bar per component.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from skser.plotting import plot_block_importances
    >>> mea = SimpleNamespace(block_importances_=np.array([[0.7, 0.2], [0.3, 0.8]]),
    ...                       blocks_={"intra": [0, 1], "inter": [2, 3]})
    >>> fig = plot_block_importances(mea)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['intra', 'inter']
    """
    mea = _find_mea(mea)
    imp = np.asarray(mea.block_importances_, dtype=float)
    if imp.ndim != 2 or imp.size == 0:
        raise ValueError(
            "block_importances_ must be a non-empty (n_blocks, n_components) array, got shape "
            f"{imp.shape}."
        )
    n_blocks, n_components = imp.shape
    if block_names is None:
        names = _block_names(mea, n_blocks)
    else:
        names = [str(n) for n in block_names]
        if len(names) != n_blocks:
            raise ValueError(
                f"block_names has {len(names)} names, block_importances_ has {n_blocks} blocks."
            )
    if normalize:
        totals = imp.sum(axis=0, keepdims=True)
        imp = np.divide(imp, totals, out=np.zeros_like(imp), where=totals > 0)

    fig, ax = _figure_and_axes(ax, (max(4.5, 0.5 * n_components + 3.0), 3.5))
    x = np.arange(1, n_components + 1)
    bottom = np.zeros(n_components)
    for name, row in zip(names, imp):
        ax.bar(x, row, bottom=bottom, label=name)
        bottom = bottom + row
    ax.set_xticks(x)
    ax.set_xlabel("Component")
    ax.set_ylabel("Share of importance" if normalize else "Block importance")
    if title is not None:
        ax.set_title(title)
    # Outside the axes, right of the bars: a legend inside would cover the stacked bars.
    ax.legend(title="block", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return fig
