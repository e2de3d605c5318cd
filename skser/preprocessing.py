"""Per-group (per-corpus or per-speaker) feature standardisation.

Cross-corpus SER commonly standardises each corpus (or each speaker) with its own mean and
standard deviation: microphones, rooms, languages and speakers shift the feature
distributions, and per-group standardisation removes the first two moments of that shift.

Leakage caveat
--------------
Standardising a *test* corpus or speaker with its own statistics uses the test data (its
features, never its labels) to transform it. This is standard practice in cross-corpus SER and
is what a deployed system can do when it sees enough unlabelled speech of a new domain before
classifying it, but it is not a strictly inductive protocol: results computed this way should
say so. :class:`GroupStandardScaler` with ``known_groups="fitted"`` (the default) uses the
statistics stored at fit time for every group seen during fit, and the rows' own statistics
only for groups it has never seen.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from .utils._validation import (
    DefaultsForNewParams,
    check_finite_columns,
    check_row_labels,
    safe_scale,
)

__all__ = ["GroupStandardScaler", "standardize_per_group"]


def _check_groups(groups, n_samples):
    """Return groups as a 1-D array of length ``n_samples`` (``None`` means one group)."""
    if groups is None:
        return None
    return check_row_labels(groups, n_samples, "groups (corpus or speaker of each row)")


def _moments(X, with_mean, with_std):
    """Mean and scale of the rows of X; zero (to rounding) spread gives a scale of 1."""
    # Accumulated in float64 (as scikit-learn's scalers do): a float32 mean of 500 copies of
    # 14.62 is off by 8e-5, which would leave a constant column visibly non-zero.
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: safe_scale names it
        full_mean = X.mean(axis=0, dtype=np.float64)
    mean = full_mean.astype(X.dtype) if with_mean else np.zeros(X.shape[1], dtype=X.dtype)
    if with_std:
        # A constant column (or a group of one row) keeps a scale of 1: it maps to 0. Its
        # computed spread is rarely exactly 0 (the mean is rounded), hence the bound.
        scale = safe_scale(X, full_mean)  # raises on columns whose variance overflows
    else:
        scale = np.ones(X.shape[1], dtype=X.dtype)
    return mean, scale


def _group_index(groups):
    """Unique labels and, for each, the row indices that carry it."""
    labels, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(labels)))[:-1]
    return labels, np.split(order, bounds)


def standardize_per_group(X, groups=None, *, with_mean=True, with_std=True):
    """Standardise the rows of each group with that group's own mean and standard deviation.

    The function form of :class:`GroupStandardScaler` for use outside pipelines, e.g. to
    normalise a whole multi-corpus feature table per corpus before an evaluation. Each group
    (corpus or speaker) is transformed with its *own* statistics, test groups included: see
    the leakage caveat in :mod:`skser.preprocessing`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Features. A pandas DataFrame comes back as a DataFrame with the same index and columns.
    groups : array-like of shape (n_samples,), default=None
        Group label of each row. ``None`` standardises all rows as one group.
    with_mean : bool, default=True
        Centre each group.
    with_std : bool, default=True
        Scale each group to unit variance. Constant columns keep a scale of 1, so a constant
        column becomes 0 when centred.

    Returns
    -------
    X_std : ndarray or DataFrame of shape (n_samples, n_features)
        Standardised features.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.preprocessing import standardize_per_group
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> standardize_per_group(X, ["a", "a", "b", "b"]).ravel()
    array([-1.,  1., -1.,  1.])
    """
    scaler = GroupStandardScaler(with_mean=with_mean, with_std=with_std)
    out = scaler.fit_transform(X, groups=groups)
    if hasattr(X, "iloc") and hasattr(X, "columns"):
        import pandas as pd

        return pd.DataFrame(out, index=X.index, columns=X.columns)
    return out


class GroupStandardScaler(DefaultsForNewParams, OneToOneFeatureMixin, TransformerMixin,
                          BaseEstimator):
    """Standardise features per group (corpus or speaker) with each group's own statistics.

    ``fit(X, groups=g)`` stores the mean and standard deviation of every group and of all rows
    together. ``transform(X, groups=g)`` standardises each group's rows:

    * a group seen during fit uses its fitted statistics (``known_groups="fitted"``, the
      default) or the statistics of the rows being transformed (``known_groups="own"``);
    * a group never seen during fit always uses the statistics of its own rows in ``X``: this
      is the field's per-corpus normalisation of a test corpus, and it uses unlabelled test
      data (see the leakage caveat in :mod:`skser.preprocessing`).

    Without ``groups``, all rows form one group: ``fit`` stores their statistics and
    ``transform`` applies them, exactly like :class:`~sklearn.preprocessing.StandardScaler`
    (up to the handling of constant columns).

    In a :class:`~sklearn.pipeline.Pipeline`, ``groups`` reaches this step through
    scikit-learn's metadata routing: ``sklearn.set_config(enable_metadata_routing=True)`` and
    ``GroupStandardScaler().set_fit_request(groups=True).set_transform_request(groups=True)``.

    Parameters
    ----------
    with_mean : bool, default=True
        Centre each group.
    with_std : bool, default=True
        Scale each group to unit variance. Constant columns (and groups of one row) keep a scale
        of 1, so they become 0 when centred.
    known_groups : {"fitted", "own"}, default="fitted"
        Statistics used at transform time for a group that was seen during fit: the stored
        ones, or those of the rows being transformed.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of all fitted rows (zeros when ``with_mean=False``).
    scale_ : ndarray of shape (n_features,)
        Standard deviation of all fitted rows (ones when ``with_std=False``; 1 for constant
        columns).
    groups_ : ndarray of shape (n_groups,)
        Group labels seen during fit (empty when fitted without groups).
    group_mean_ : ndarray of shape (n_groups, n_features)
        Mean of each group in ``groups_``.
    group_scale_ : ndarray of shape (n_groups, n_features)
        Scale of each group in ``groups_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during fit, when ``X`` has string column names.

    See Also
    --------
    standardize_per_group : The same transformation as a function.
    sklearn.preprocessing.StandardScaler : One set of statistics for all rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.preprocessing import GroupStandardScaler
    >>> X = np.array([[1.0], [3.0], [10.0], [30.0]])
    >>> scaler = GroupStandardScaler().fit(X, groups=["a", "a", "b", "b"])
    >>> scaler.group_mean_.ravel()
    array([ 2., 20.])
    >>> scaler.transform([[2.0], [4.0], [5.0], [7.0]], groups=["a", "a", "c", "c"]).ravel()
    array([ 0.,  2., -1.,  1.])
    """

    _parameter_constraints = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
        "known_groups": [StrOptions({"fitted", "own"})],
    }

    def __init__(self, *, with_mean=True, with_std=True, known_groups="fitted"):
        self.with_mean = with_mean
        self.with_std = with_std
        self.known_groups = known_groups

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Store the statistics of all rows and of each group.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Group (corpus or speaker) of each row; ``None`` means one group.

        Returns
        -------
        self : GroupStandardScaler
            The fitted scaler.
        """
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_all_finite=False)
        check_finite_columns(X, getattr(self, "feature_names_in_", None))
        groups = _check_groups(groups, X.shape[0])
        self.mean_, self.scale_ = _moments(X, self.with_mean, self.with_std)
        if groups is None:
            self.groups_ = np.array([], dtype=object)
            self.group_mean_ = np.empty((0, X.shape[1]), dtype=X.dtype)
            self.group_scale_ = np.empty((0, X.shape[1]), dtype=X.dtype)
            return self
        labels, rows = _group_index(groups)
        stats = [_moments(X[idx], self.with_mean, self.with_std) for idx in rows]
        self.groups_ = labels
        self.group_mean_ = np.stack([m for m, _ in stats])
        self.group_scale_ = np.stack([s for _, s in stats])
        return self

    def transform(self, X, groups=None):
        """Standardise each group's rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        groups : array-like of shape (n_samples,), default=None
            Group of each row. ``None`` applies the statistics of all fitted rows.

        Returns
        -------
        X_std : ndarray of shape (n_samples, n_features)
            Standardised features.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False, copy=True,
                          ensure_all_finite=False)
        check_finite_columns(X, getattr(self, "feature_names_in_", None))
        groups = _check_groups(groups, X.shape[0])
        if groups is None:
            return (X - self.mean_) / self.scale_
        known = {label: i for i, label in enumerate(self.groups_.tolist())}
        labels, rows = _group_index(groups)
        for label, idx in zip(labels.tolist(), rows):
            if label in known and self.known_groups == "fitted":
                mean, scale = self.group_mean_[known[label]], self.group_scale_[known[label]]
            else:
                mean, scale = _moments(X[idx], self.with_mean, self.with_std)
            X[idx] = (X[idx] - mean) / scale
        return X

    def fit_transform(self, X, y=None, groups=None):
        """Fit, then standardise the training rows with their groups' statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features.
        y : None
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Group of each row; ``None`` means one group.

        Returns
        -------
        X_std : ndarray of shape (n_samples, n_features)
            Standardised features.
        """
        return self.fit(X, groups=groups).transform(X, groups=groups)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
