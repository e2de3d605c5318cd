"""A 2-D view of features or embeddings, coloured by emotion and by corpus."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array

from ..utils._validation import check_row_labels
from ._base import _pyplot


def _project(X, method, random_state):
    if method == "none":
        if X.shape[1] != 2:
            raise ValueError(f"method='none' needs a 2-column X, got {X.shape[1]} columns.")
        return X, ("dim 1", "dim 2")
    if method == "pca":
        from sklearn.decomposition import PCA

        if min(X.shape) < 2:
            raise ValueError(f"method='pca' needs at least 2 rows and 2 columns, got {X.shape}.")
        return PCA(n_components=2, random_state=random_state).fit_transform(X), ("PC 1", "PC 2")
    if method == "tsne":
        from sklearn.manifold import TSNE

        if X.shape[0] < 5:
            raise ValueError(f"method='tsne' needs at least 5 rows, got {X.shape[0]}.")
        perplexity = min(30.0, (X.shape[0] - 1) / 3.0)
        tsne = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=random_state)
        return tsne.fit_transform(X), ("t-SNE 1", "t-SNE 2")
    if hasattr(method, "fit_transform"):
        Z = np.asarray(method.fit_transform(X))
        if Z.ndim != 2 or Z.shape[1] < 2:
            raise ValueError(f"the projection returned shape {Z.shape}; it needs 2 columns.")
        name = type(method).__name__
        return Z[:, :2], (f"{name} 1", f"{name} 2")
    raise ValueError(
        f"method must be 'pca', 'tsne', 'none' or a transformer with fit_transform, got {method!r}."
    )


def plot_embedding(
    X,
    emotion,
    corpus=None,
    *,
    method="pca",
    random_state=0,
    point_size=12,
    figsize=None,
):
    """Scatter a 2-D projection of ``X`` twice: coloured by emotion and coloured by corpus.

    A representation that disentangles emotion from corpus shows clusters by emotion in the
    left panel and well-mixed corpora in the right one.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features or embeddings (e.g. MEA super scores).
    emotion : array-like of shape (n_samples,)
        Emotion of each row (left panel colours).
    corpus : array-like of shape (n_samples,), default=None
        Corpus of each row (right panel colours); ``None`` draws the emotion panel only.
    method : {"pca", "tsne", "none"} or transformer, default="pca"
        Projection to 2-D: PCA, t-SNE, none (``X`` already has 2 columns), or any object with
        ``fit_transform`` whose first two output columns are used.
    random_state : int, default=0
        Seed of the projection.
    point_size : float, default=12
        Marker size.
    figsize : tuple, default=None
        Figure size; by default 5 x 4.2 inches per panel.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure with one axes per panel; each category is one scatter collection with a
        legend entry.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.plotting import plot_embedding
    >>> X = np.random.default_rng(0).normal(size=(20, 5))
    >>> fig = plot_embedding(X, ["ang", "sad"] * 10, ["a"] * 10 + ["b"] * 10)
    >>> [ax.get_title() for ax in fig.axes]
    ['by emotion', 'by corpus']
    """
    X = check_array(X, dtype="numeric", ensure_min_samples=2)
    panels = [("emotion", check_row_labels(emotion, X.shape[0], "emotion"))]
    if corpus is not None:
        panels.append(("corpus", check_row_labels(corpus, X.shape[0], "corpus")))
    Z, axis_names = _project(X, method, random_state)

    plt = _pyplot()
    if figsize is None:
        figsize = (5.0 * len(panels), 4.2)
    fig, axes = plt.subplots(1, len(panels), figsize=figsize, squeeze=False)
    for ax, (name, labels) in zip(axes.ravel(), panels):
        for category in np.unique(labels):
            mask = labels == category
            ax.scatter(Z[mask, 0], Z[mask, 1], s=point_size, alpha=0.8, label=str(category))
        ax.set_title(f"by {name}")
        ax.set_xlabel(axis_names[0])
        ax.set_ylabel(axis_names[1])
        ax.legend(title=name, fontsize=8, markerscale=1.5)
    fig.tight_layout()
    return fig
