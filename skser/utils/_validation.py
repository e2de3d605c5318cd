"""Input checks and fit-state safety shared by skser's estimators and functions."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pandas as pd


def check_row_labels(labels, n_samples, name="groups"):
    """Return ``labels`` as a 1-D array with one non-missing label per row.

    Labels are sorted and compared (``np.unique``), so a missing one, ``None`` or NaN, either
    fails with an unrelated ``TypeError`` or, worse, never equals itself and so silently
    forms a group of its own per row. ``load_corpus`` marks unknown speakers as missing, so
    this is a common input: it is refused with the rows that carry it.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        One label per row.
    n_samples : int
        Number of rows the labels must cover.
    name : str, default="groups"
        Name of the argument, for the error messages.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_samples:
        raise ValueError(
            f"{name} must hold one label per row ({n_samples} rows), got shape {labels.shape}."
        )
    missing = np.flatnonzero(pd.isna(labels))
    if missing.size:
        raise ValueError(
            f"{name} has {missing.size} missing label(s) (None or NaN), first at row(s) "
            f"{missing[:5].tolist()}; drop those rows or give them a label of their own "
            "(e.g. 'unknown')."
        )
    return labels


@contextmanager
def kept_on_failure(estimator):
    """Put the estimator's attributes back as they were if the block raises.

    A refit that fails, on bad input or when the user interrupts a long training, must not
    leave a half-updated estimator (new ``classes_`` or ``n_features_in_`` next to old
    weights): the previous fit stays usable, or the estimator stays unfitted. A shallow copy
    is enough because fitting replaces attributes and never mutates them in place.
    """
    state = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(state)
        raise
