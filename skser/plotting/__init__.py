"""Plots for SER evaluation (needs matplotlib: ``pip install 'skser[plot]'``).

matplotlib is imported when a function is first called, not on ``import skser.plotting``;
without it, the call raises an :class:`ImportError` that says how to install it.

Every function returns the :class:`matplotlib.figure.Figure` it drew on (save it with
``fig.savefig(...)``). Single-panel plots take ``ax=`` to draw into an existing axes, in which
case the returned figure is ``ax.figure``.

* :func:`plot_uar_vs_snr`: a metric against the signal-to-noise ratio, one line per pipeline,
  from a :func:`skser.model_selection.cross_corpus_evaluate` table.
* :func:`plot_confusion_matrices`: a grid of confusion matrices, one per model.
* :func:`plot_block_importances`: block importances of a fitted ``MEATransformer``.
* :func:`plot_embedding`: a 2-D view of features or embeddings, coloured by emotion and by
  corpus.
"""

from ._blocks import plot_block_importances
from ._confusion import plot_confusion_matrices
from ._embedding import plot_embedding
from ._snr import parse_snr, plot_uar_vs_snr

__all__ = [
    "parse_snr",
    "plot_block_importances",
    "plot_confusion_matrices",
    "plot_embedding",
    "plot_uar_vs_snr",
]
