"""Unlabelled rows: scikit-learn's semi-supervised convention, shared by the estimators.

Rows whose label is ``-1`` (integer or object labels) or NaN (floating-point labels) carry no
label (as in :class:`sklearn.semi_supervised.SelfTrainingClassifier`). Their features still
describe the data and may enter unsupervised statistics; their labels enter nothing.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

UNLABELLED = -1


def _is_unlabelled_value(value) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, Integral) and int(value) == UNLABELLED


def labelled_mask(y):
    """Mask of the rows of ``y`` that carry a label.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels or targets. Unlabelled rows hold ``-1`` (integer or object labels) or NaN
        (floating-point labels and targets). Strings and booleans have no unlabelled value;
        ``None`` or NaN among object labels is a *missing* label, not an unlabelled row
        (callers refuse it with ``check_row_labels``). For 2-D floating-point targets a
        row is unlabelled when all its outputs are NaN; integer 2-D targets have no
        unlabelled value (-1 may be a legitimate output there).

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        True for the labelled rows.

    Raises
    ------
    ValueError
        If a row of a 2-D ``y`` has some outputs NaN and others not (there is no partial
        label); the message names the first such rows.

    Examples
    --------
    >>> from skser.utils._semi import labelled_mask
    >>> labelled_mask([0, 2, -1, 1]).tolist()
    [True, True, False, True]
    >>> labelled_mask([0.5, float("nan")]).tolist()
    [True, False]
    >>> labelled_mask(np.array(["ang", -1, "sad"], dtype=object)).tolist()
    [True, False, True]
    """
    y = np.asarray(y)
    kind = y.dtype.kind
    if kind == "f":
        missing = np.isnan(y)
    elif kind in "iu" and y.ndim == 1:
        missing = y == UNLABELLED
    elif kind == "O":
        missing = np.frompyfunc(_is_unlabelled_value, 1, 1)(y).astype(bool)
    else:
        missing = np.zeros(y.shape, dtype=bool)
    if missing.ndim == 2:
        partial = np.flatnonzero(missing.any(axis=1) & ~missing.all(axis=1))
        if partial.size:
            raise ValueError(
                f"y has rows with some outputs missing (NaN) and others not, first at row(s) "
                f"{partial[:5].tolist()}; a row is either labelled (no NaN) or unlabelled "
                f"(all NaN). Fill or drop those outputs."
            )
        missing = missing.all(axis=1)
    return ~np.asarray(missing, dtype=bool).reshape(y.shape[0])


def check_classes_labelled(classes):
    """Refuse class lists that contain the unlabelled marker (``-1`` or NaN).

    In a ``y`` a ``-1`` always means "no label", so a class named ``-1`` could never be
    told apart from an unlabelled row.

    Raises
    ------
    ValueError
        Naming the offending value and what to do.
    """
    classes = np.asarray(classes)
    unlabelled = ~labelled_mask(classes.ravel())
    if unlabelled.any():
        value = classes.ravel()[np.flatnonzero(unlabelled)[0]]
        raise ValueError(
            f"classes contains {value}, which marks unlabelled rows (scikit-learn's "
            f"semi-supervised convention: -1 for integer or object labels, NaN for "
            f"floating-point ones). Rename that class (e.g. to another integer) before fitting."
        )
    return classes
