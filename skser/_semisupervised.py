"""LabelledOnly: fit any estimator on the labelled rows of a semi-supervised training set."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, get_tags

from .utils._semi import labelled_mask
from .utils._validation import DefaultsForNewParams


def _estimator_has(attr):
    """Whether the fitted ``estimator_``, or else the unfitted ``estimator``, has ``attr``."""

    def check(self):
        if hasattr(self, "estimator_"):
            getattr(self.estimator_, attr)
        else:
            getattr(self.estimator, attr)
        return True

    return check


def labelled_rows(y, sample_domain=None):
    """Mask of the rows that carry a usable label.

    A row is unlabelled when its label is ``-1`` (integer or object labels) or NaN
    (floating-point labels), scikit-learn's semi-supervised convention, or when its
    ``sample_domain`` is negative (a target domain, the convention of the skada
    domain-adaptation package).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Labels or targets, unlabelled rows marked ``-1`` or NaN.
    sample_domain : array-like of int of shape (n_samples,), default=None
        Domain of every row: positive for source domains, negative for target domains.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples,)
        True for the labelled (source) rows.

    Raises
    ------
    ValueError
        If ``sample_domain`` has another length than ``y``, holds a 0 or non-integer values.

    Examples
    --------
    >>> from skser import labelled_rows
    >>> labelled_rows([0, 1, -1, 2]).tolist()
    [True, True, False, True]
    >>> labelled_rows(["ang", "sad", "neu"], sample_domain=[1, 2, -3]).tolist()
    [True, True, False]
    """
    mask = labelled_mask(y)
    if sample_domain is not None:
        domain = np.asarray(sample_domain)
        if domain.ndim != 1 or domain.shape[0] != mask.shape[0]:
            raise ValueError(
                f"sample_domain must hold one domain per row ({mask.shape[0]} rows), got shape "
                f"{domain.shape}."
            )
        if domain.dtype.kind not in "iu" or np.any(domain == 0):
            raise ValueError(
                "sample_domain must hold non-zero integers (positive: source domains, "
                f"negative: target domains), got values such as {np.unique(domain)[:5].tolist()}."
            )
        mask &= domain > 0
    return mask


class LabelledOnly(DefaultsForNewParams, MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on the labelled rows only: the last step of a semi-supervised pipeline.

    In ``Pipeline([EDRLTransformer(), MEATransformer(), LabelledOnly(SVC())])`` fitted on
    labelled source speech together with unlabelled target speech (label ``-1``, or NaN for
    float labels), the transformers use the unlabelled rows where they can (see
    :class:`MEATransformer`'s Notes); the final classifier must not learn ``-1`` as an emotion.
    This wrapper fits a clone of ``estimator`` on the labelled rows and delegates
    ``predict``, ``predict_proba``, ``decision_function``, ``score`` and ``transform`` to it.
    Without unlabelled rows it is ``estimator`` itself.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn classifier or regressor (or transformer); cloned in :meth:`fit`.

    Attributes
    ----------
    estimator_ : estimator object
        The clone of ``estimator`` fitted on the labelled rows.
    classes_ : ndarray of shape (n_classes,)
        Classes of the fitted estimator, when it has them (never ``-1``).
    n_labelled_ : int
        Number of labelled rows the estimator was fitted on.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen in :meth:`fit`, when ``X`` has string column names.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Also learns from the unlabelled rows,
        by pseudo-labelling them; it replaces ``LabelledOnly`` when that helps.
    labelled_rows : The mask of the rows used.

    Notes
    -----
    Unlabelled rows follow scikit-learn's semi-supervised convention (as in
    :class:`~sklearn.semi_supervised.SelfTrainingClassifier`): ``-1`` for integer and object
    labels, NaN for floating-point labels. The domain-adaptation package skada marks target
    rows the same way and also passes ``sample_domain`` (negative for target domains): rows
    with a negative domain are unlabelled too, so ``LabelledOnly`` plays the role of skada's
    ``SelectSource`` for skser pipelines. Other fit parameters with one value per row
    (e.g. ``sample_weight``) are cut to the labelled rows.

    A class named ``-1`` cannot be told apart from an unlabelled row; when all labelled rows
    then fall in one class, the error says so. Recode such labels (e.g. ``{-1, 1}`` to
    ``{0, 1}``) before fitting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import SVC
    >>> from skser import LabelledOnly
    >>> X = np.array([[0.0], [0.2], [1.0], [1.2], [0.1], [1.1]])
    >>> y = np.array([0, 0, 1, 1, -1, -1])  # the last two rows carry no label
    >>> clf = LabelledOnly(SVC()).fit(X, y)
    >>> clf.classes_, clf.n_labelled_
    (array([0, 1]), 4)
    >>> clf.predict([[0.05], [1.15]])
    array([0, 1])
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["fit"])]}

    def __init__(self, estimator):
        self.estimator = estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.transformer_tags = inner.transformer_tags
        tags.target_tags.required = True
        tags.input_tags = inner.input_tags
        return tags

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_domain=None, **fit_params):
        """Fit a clone of ``estimator`` on the rows of ``X`` that carry a label.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (any input the estimator accepts; rows are selected with
            :func:`sklearn.utils._safe_indexing`, so DataFrames keep their columns).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels; ``-1`` (or NaN for float labels) marks unlabelled rows.
        sample_domain : array-like of int of shape (n_samples,), default=None
            skada's domain of each row; rows of negative (target) domains are unlabelled.
        **fit_params : dict
            Passed to ``estimator.fit``; those with one value per row of ``X`` are cut to the
            labelled rows.

        Returns
        -------
        self : LabelledOnly
            The fitted meta-estimator.

        Raises
        ------
        ValueError
            If ``y`` has another length than ``X``, if no row is labelled, or if a classifier
            would see labelled rows of one class only.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        n_samples = _num_samples(X)
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != n_samples:
            raise ValueError(
                f"y must hold one label per row of X ({n_samples} rows), got shape {y.shape}."
            )
        mask = labelled_rows(y, sample_domain)
        n_labelled = int(mask.sum())
        if n_labelled == 0:
            raise ValueError(
                f"All {n_samples} rows of y are unlabelled (-1, NaN or a negative "
                "sample_domain); at least the source rows need their labels."
            )
        if get_tags(self.estimator).estimator_type == "classifier":
            classes = np.unique(y[mask])
            if len(classes) < 2 and n_labelled < n_samples:
                raise ValueError(
                    f"The {n_labelled} labelled row(s) of y all have the class "
                    f"{classes.tolist()[0]!r}; a classifier needs at least two classes. The other "
                    f"{n_samples - n_labelled} rows are unlabelled (-1, NaN or a negative "
                    "sample_domain). If -1 is one of your classes, recode the labels (e.g. "
                    "{-1, 1} to {0, 1}): -1 always marks an unlabelled row."
                )
        rows = np.flatnonzero(mask)
        params = {
            key: _safe_indexing(value, rows) if _is_per_row(value, n_samples) else value
            for key, value in fit_params.items()
        }
        X_fit = X if n_labelled == n_samples else _safe_indexing(X, rows)
        y_fit = y if n_labelled == n_samples else y[rows]
        self.estimator_ = clone(self.estimator).fit(X_fit, y_fit, **params)
        self.n_labelled_ = n_labelled
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attr):
                setattr(self, attr, getattr(self.estimator_, attr))
        return self

    @property
    def classes_(self):
        """Classes of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    def predict(self, X, **params):
        """Predict with the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        **params : dict
            Passed to ``estimator_.predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X, **params)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator, shape (n_samples, n_classes)."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("transform"))
    def transform(self, X):
        """Transform with the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.transform(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, **params):
        """Score of the fitted estimator on the labelled rows of ``(X, y)``.

        Rows labelled ``-1`` (or NaN) are left out, as in :meth:`fit`.
        """
        check_is_fitted(self)
        rows = np.flatnonzero(labelled_rows(y))
        return self.estimator_.score(_safe_indexing(X, rows), np.asarray(y)[rows], **params)

    @available_if(_estimator_has("get_feature_names_out"))
    def get_feature_names_out(self, input_features=None):
        """Output feature names of the fitted estimator (when it is a transformer)."""
        check_is_fitted(self)
        return self.estimator_.get_feature_names_out(input_features)


def _is_per_row(value, n_samples):
    """Whether a fit parameter has one value per row (and must follow the row selection)."""
    if value is None or isinstance(value, str | bytes | dict):
        return False
    try:
        return _num_samples(value) == n_samples
    except TypeError:
        return False
