"""A grid of confusion matrices, one per model."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.metrics import confusion_matrix

from ..metrics import uar_score
from ._base import _pyplot


def plot_confusion_matrices(
    y_true,
    preds,
    *,
    labels=None,
    normalize="true",
    ncols=3,
    cmap="Blues",
    values_format=None,
    figsize=None,
):
    """Draw one confusion matrix per model, side by side.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotions.
    preds : dict of str -> array-like of shape (n_samples,)
        Predicted emotions of each model, by model name (the panel title, with its UAR).
    labels : array-like, default=None
        Emotions in display order; by default the sorted union of true and predicted ones.
    normalize : {"true", "pred", "all"} or None, default="true"
        Normalisation of :func:`sklearn.metrics.confusion_matrix`; ``"true"`` shows each
        emotion's recall on the diagonal.
    ncols : int, default=3
        Panels per row.
    cmap : str, default="Blues"
        Colour map.
    values_format : str, default=None
        Format of the numbers in the cells; ``".2f"`` when normalised, ``"d"`` otherwise.
    figsize : tuple, default=None
        Figure size; by default 3.6 x 3.4 inches per panel.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, with one axes per model (``fig.axes``, in the order of ``preds``).

    Examples
    --------
    >>> from skser.plotting import plot_confusion_matrices
    >>> y = ["ang", "sad", "sad", "neu"]
    >>> fig = plot_confusion_matrices(y, {"svc": ["ang", "sad", "neu", "neu"], "mea": y})
    >>> [ax.get_title() for ax in fig.axes]
    ['svc\\nUAR 0.83', 'mea\\nUAR 1.00']
    """
    if not isinstance(preds, Mapping) or not preds:
        raise ValueError(
            "preds must be a non-empty dict {model name: predicted labels}, got "
            f"{type(preds).__name__}."
        )
    if not (isinstance(ncols, numbers.Integral) and not isinstance(ncols, bool) and ncols >= 1):
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}.")
    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}.")
    y_true = np.asarray(y_true)
    preds = {str(name): np.asarray(p) for name, p in preds.items()}
    for name, p in preds.items():
        if p.shape != y_true.shape:
            raise ValueError(
                f"predictions of {name!r} have shape {p.shape}, y_true has {y_true.shape}."
            )
    if labels is None:
        labels = np.unique(np.concatenate([y_true, *preds.values()]))
    labels = np.asarray(labels)
    if values_format is None:
        values_format = "d" if normalize is None else ".2f"

    plt = _pyplot()
    n = len(preds)
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    if figsize is None:
        figsize = (3.6 * ncols, 3.4 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:
        fig.delaxes(ax)
    vmax = 1.0 if normalize is not None else None
    for i, (ax, (name, y_pred)) in enumerate(zip(flat, preds.items())):
        cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
        ax.imshow(cm, cmap=cmap, vmin=0.0, vmax=vmax)
        top = cm.max() if cm.size else 0.0
        for r in range(cm.shape[0]):
            for c in range(cm.shape[1]):
                value = cm[r, c]
                text = format(int(value) if values_format == "d" else value, values_format)
                colour = "white" if top and value > 0.5 * top else "black"
                ax.text(c, r, text, ha="center", va="center", color=colour, fontsize=8)
        ax.set_xticks(range(len(labels)))
        ax.set_yticks(range(len(labels)))
        ax.set_xticklabels([str(lab) for lab in labels], rotation=45, ha="right")
        ax.set_yticklabels([str(lab) for lab in labels])
        ax.set_xlabel("Predicted")
        if i % ncols == 0:
            ax.set_ylabel("True")
        ax.set_title(f"{name}\nUAR {uar_score(y_true, y_pred):.2f}")
    fig.tight_layout()
    return fig
