"""Input checks and fit-state safety shared by skser's estimators and functions."""

from __future__ import annotations

import inspect
import warnings
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


def zero_spread(var, mean, n_samples, dtype=np.float64):
    """True where a variance is indistinguishable from 0 (a constant column).

    A constant column of value ``c`` rarely gets a variance of exactly 0: the mean is rounded,
    so the deviations are of order ``n * eps * |c|`` and the variance of order their square.
    Comparing the standard deviation with a fixed tolerance therefore fails as ``n`` grows (a
    constant 14.62 on 1,000 rows gets a standard deviation of ~3e-14 in float64), and dividing
    by it turns a constant into +-1 and a 0.01 change into a jump of ~1e11. This is the bound
    of scikit-learn's ``_is_constant_feature`` (the error bound of the two-pass variance,
    Chan, Golub & LeVeque 1983; scikit-learn #17794, #19788), with the machine epsilon of the
    dtype the statistics were computed in.

    Parameters
    ----------
    var : array-like of shape (n_features,)
        Variances (population, ``ddof=0``) of the columns.
    mean : array-like of shape (n_features,)
        Means of the columns.
    n_samples : int
        Number of rows the statistics were computed on.
    dtype : dtype, default=np.float64
        Dtype in which ``var`` and ``mean`` were computed (float32 has a larger epsilon).

    Returns
    -------
    constant : ndarray of bool of shape (n_features,)
        True for columns whose spread is zero to rounding (and for non-finite variances).

    Examples
    --------
    >>> import numpy as np
    >>> from skser.utils._validation import zero_spread
    >>> X = np.full((1000, 2), 14.62)
    >>> X[:, 1] += np.arange(1000) * 1e-6
    >>> zero_spread(X.var(axis=0), X.mean(axis=0), 1000)
    array([ True, False])
    """
    var = np.asarray(var, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    eps = np.finfo(np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.float64).eps
    n = float(n_samples)
    upper = n * eps * var + (n * mean * eps) ** 2
    return ~np.isfinite(var) | (var <= upper)


def safe_scale(X, mean, *, names=None, estimator=None):
    """Standard deviation of the columns of ``X``, with 1 for constant columns.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Data, finite (callers check that first).
    mean : ndarray of shape (n_features,)
        Column means of ``X`` (used for the rounding bound of :func:`zero_spread`).
    names : array-like of str, default=None
        Column names for the error message (column numbers otherwise).
    estimator : str, default=None
        What the advice of the error message names.

    Returns
    -------
    scale : ndarray of shape (n_features,), of ``X``'s dtype
        Standard deviations, accumulated in float64 (as scikit-learn's scalers do, so that
        float32 data is judged with float64 rounding); exactly 1 where :func:`zero_spread`
        says the column is constant, so that a centred constant column maps to 0 and small
        changes stay small.

    Raises
    ------
    ValueError
        When a column's mean or variance overflows float64 (finite values near 1e154 or
        more): its variance would read as infinite, and a constant-column test would call
        it constant and leave it unscaled.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.utils._validation import safe_scale
    >>> X = np.c_[np.full(1000, 14.62), np.arange(1000.0)]
    >>> safe_scale(X, X.mean(axis=0)).round(2)
    array([  1.  , 288.68])
    """
    with np.errstate(over="ignore", invalid="ignore"):
        var = X.var(axis=0, dtype=np.float64)
    huge = np.flatnonzero(~(np.isfinite(var) & np.isfinite(mean)))
    if huge.size:
        named = [str(names[c]) if names is not None else int(c) for c in huge[:10]]
        raise ValueError(
            f"X's column(s) {named}{' ...' if huge.size > 10 else ''} hold values so large "
            "that their mean or variance overflow float64 (|values| near 1e154 or more); "
            "rescale them (e.g. with StandardScaler on a smaller unit)"
            f"{' before ' + estimator if estimator else ''}."
        )
    scale = np.sqrt(var)
    scale[zero_spread(var, mean, X.shape[0], np.float64)] = 1.0
    return scale.astype(X.dtype, copy=False)


def check_finite_columns(X, feature_names=None, *, name="X", advice=None):
    """Raise a ValueError naming the columns and rows of NaN or infinite values of ``X``.

    scikit-learn's own check says only "Input X contains NaN"; on a features table of 88
    columns that leaves the user searching. The message keeps scikit-learn's words and adds
    the columns (by name when ``feature_names`` is given, else by index) and the first rows.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Numeric data.
    feature_names : array-like of str of shape (n_features,), default=None
        Column names (e.g. ``feature_names_in_``); column indices are shown without them.
    name : str, default="X"
        Name of the input in the message.
    advice : str, default=None
        What to do, appended to the message; default "Impute or drop them".

    Raises
    ------
    ValueError
        When ``X`` holds NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.utils._validation import check_finite_columns
    >>> check_finite_columns(np.array([[1.0, np.nan], [2.0, 3.0]]), ["f0", "jitter"])
    Traceback (most recent call last):
    ...
    ValueError: Input X contains NaN: 1 value(s) in column(s) 'jitter' (rows [0]). ...
    """
    X = np.asarray(X)
    if X.dtype.kind not in "fc":
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(X.sum()):  # one fast pass; locate the culprits only when needed
            return
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    if bad.ndim == 1:
        bad = bad[:, None]
    columns = np.flatnonzero(bad.any(axis=0))
    parts = []
    for c in columns[:5]:
        label = repr(str(feature_names[c])) if feature_names is not None else f"{int(c)}"
        rows = np.flatnonzero(bad[:, c])
        shown = rows[:5].tolist()
        parts.append(f"{label} (rows {shown}{' ...' if rows.size > 5 else ''})")
    more = f" and {columns.size - 5} more column(s)" if columns.size > 5 else ""
    has_nan, has_inf = bool(np.isnan(X).any()), bool(np.isinf(X).any())
    kinds = " and ".join(k for k, b in (("NaN", has_nan), ("infinity", has_inf)) if b)
    advice = advice or "Impute or drop them (e.g. sklearn.impute.SimpleImputer) before fitting."
    raise ValueError(
        f"Input {name} contains {kinds}: {int(bad.sum())} value(s) in column(s) "
        f"{', '.join(parts)}{more}. {advice}"
    )


class DefaultsForNewParams:
    """Mixin: an estimator saved before one of its parameters existed loads with its default.

    A model file (``save_model``, or a pickle) stores the estimator's attributes. A parameter
    added to ``__init__`` in a later skser release is missing from an older file, and
    ``get_params`` (hence ``repr``, ``clone`` and a notebook's display of the loaded model)
    would raise ``AttributeError``. skser adds a parameter only with a default that keeps the
    earlier behaviour, so filling in the default reproduces the saved model. A warning names
    the parameters filled in: in a file that was edited or damaged rather than old, the
    default may not be the value the model was fitted with. Put the mixin before
    ``BaseEstimator`` in the bases, whose ``__setstate__`` it extends.
    """

    def __setstate__(self, state):
        super().__setstate__(state)
        filled = {}
        for name, param in inspect.signature(type(self).__init__).parameters.items():
            if param.default is not param.empty and name not in self.__dict__:
                setattr(self, name, param.default)
                filled[name] = param.default
        if filled:
            shown = ", ".join(f"{name}={value!r}" for name, value in filled.items())
            warnings.warn(
                f"{type(self).__name__} was saved without the parameter(s) "
                f"{', '.join(filled)}, which a later skser release added; they take their "
                f"default(s) ({shown}), which keep the saved behaviour. If the file was edited "
                "rather than written by an older release, check these values.",
                UserWarning, stacklevel=2)
