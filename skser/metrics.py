"""Scores used in speech emotion recognition: UAR, WA and macro-F1, and their scorers.

SER papers report two numbers:

* **UAR** (unweighted average recall): the mean over emotions of the recall of each emotion.
  Every emotion counts the same whatever its frequency, so a classifier that always answers
  the majority class scores ``1 / n_classes``. It is the headline number of the field and the
  one to select models by. It is the same quantity as scikit-learn's ``"balanced_accuracy"``.
* **WA** (weighted accuracy): plain accuracy, the fraction of utterances classified correctly.
  Each emotion weighs by its frequency, which flatters majority-class predictions on
  imbalanced corpora.

Macro-F1 (the unweighted mean of per-emotion F1) is reported alongside.

Rows whose true label is *unlabelled* (``-1`` for class labels, NaN for ratings: scikit-learn's
semi-supervised convention, which skser's estimators follow) are left out of every score here,
so a test fold that holds unlabelled rows is scored on its labelled rows only; a fold with no
labelled row is an error.

For continuous ratings (arousal, valence, dominance) the field reports the **CCC**
(concordance correlation coefficient, Lin 1989; the metric of the AVEC challenges and of
MSP-Podcast): :func:`ccc_score`, and the scorer ``get_scorer("ccc")``.

Scorers by name
---------------
scikit-learn has no public way to register new scorer names, so ``GridSearchCV(...,
scoring="uar")`` cannot work. This module offers the honest alternatives:

* :data:`SCORERS`, a dict ``{"uar": ..., "wa": ..., "macro_f1": ...}`` of scorer objects, usable
  directly as multi-metric scoring: ``GridSearchCV(..., scoring=SCORERS, refit="uar")``;
  :data:`REGRESSION_SCORERS` (``{"ccc": ...}``) is its counterpart for ratings;
* :func:`get_scorer` (``get_scorer("uar")``) for one scorer, falling back to scikit-learn's
  names (``"accuracy"``, ``"f1_macro"``...) for anything else;
* :func:`get_scorers` to build a multi-metric dict from a list of names;
* ``scoring="balanced_accuracy"``, scikit-learn's own name for UAR.

Examples
--------
>>> from sklearn.datasets import make_classification
>>> from sklearn.linear_model import LogisticRegression
>>> from sklearn.model_selection import cross_validate
>>> from skser.metrics import SCORERS
>>> X, y = make_classification(n_samples=60, n_classes=3, n_informative=4, random_state=0)
>>> res = cross_validate(LogisticRegression(), X, y, scoring=SCORERS, cv=3)
>>> sorted(key for key in res if key.startswith("test_"))
['test_macro_f1', 'test_uar', 'test_wa']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, make_scorer, recall_score
from sklearn.metrics import get_scorer as _sk_get_scorer
from sklearn.utils import check_array, check_consistent_length

from .utils._semi import labelled_mask

__all__ = [
    "REGRESSION_SCORERS",
    "SCORERS",
    "ccc_score",
    "get_scorer",
    "get_scorer_names",
    "get_scorers",
    "macro_f1_score",
    "uar_score",
    "wa_score",
]


def _labelled_rows_only(y_true, y_pred, sample_weight, score):
    """``y_true``, ``y_pred`` and ``sample_weight`` restricted to the labelled rows of
    ``y_true`` (``-1`` or NaN mark an unlabelled row; see the module docstring)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    check_consistent_length(y_true, y_pred, sample_weight)
    mask = labelled_mask(y_true)
    if mask.all():
        return y_true, y_pred, sample_weight
    if not mask.any():
        raise ValueError(
            f"{score}: every one of the {len(mask)} rows of y_true is unlabelled (-1 or NaN), "
            "so there is nothing to score; score on rows that carry a label.")
    weight = None if sample_weight is None else np.asarray(sample_weight)[mask]
    return y_true[mask], y_pred[mask], weight


def uar_score(y_true, y_pred, *, labels=None, sample_weight=None):
    """Unweighted average recall (UAR): the mean over emotions of each emotion's recall.

    Equal to scikit-learn's :func:`~sklearn.metrics.balanced_accuracy_score`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotions; rows marked unlabelled (``-1``) are left out.
    y_pred : array-like of shape (n_samples,)
        Predicted emotions.
    labels : array-like, default=None
        Emotions to average over. By default, the emotions present in ``y_true``: an emotion
        that is predicted but absent from the test set (common across corpora with different
        label sets) does not enter the average. Listed labels with no true sample are left out
        of the average as well, since their recall is undefined.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float
        UAR in [0, 1].

    Examples
    --------
    >>> from skser.metrics import uar_score
    >>> uar_score(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    0.5
    """
    y_true, y_pred, sample_weight = _labelled_rows_only(y_true, y_pred, sample_weight,
                                                        "uar_score")
    if labels is None:
        labels = np.unique(y_true)
    if len(labels) == 0:
        raise ValueError("uar_score needs at least one true sample; y_true is empty.")
    return float(
        recall_score(
            y_true,
            y_pred,
            labels=labels,
            average="macro",
            sample_weight=sample_weight,
            zero_division=np.nan,
        )
    )


def wa_score(y_true, y_pred, *, sample_weight=None):
    """Weighted accuracy (WA): the fraction of utterances whose emotion is predicted correctly.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotions; rows marked unlabelled (``-1``) are left out.
    y_pred : array-like of shape (n_samples,)
        Predicted emotions.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float
        WA in [0, 1].

    Examples
    --------
    >>> from skser.metrics import wa_score
    >>> wa_score(["ang", "ang", "ang", "sad"], ["ang", "ang", "ang", "ang"])
    0.75
    """
    y_true, y_pred, sample_weight = _labelled_rows_only(y_true, y_pred, sample_weight,
                                                        "wa_score")
    return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def macro_f1_score(y_true, y_pred, *, labels=None, sample_weight=None):
    """Macro-F1: the unweighted mean over emotions of each emotion's F1 score.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True emotions; rows marked unlabelled (``-1``) are left out.
    y_pred : array-like of shape (n_samples,)
        Predicted emotions.
    labels : array-like, default=None
        Emotions to average over. By default every emotion that appears in ``y_true`` or
        ``y_pred`` (scikit-learn's convention); an emotion with no true and no predicted sample
        scores 0.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float
        Macro-F1 in [0, 1].

    Examples
    --------
    >>> from skser.metrics import macro_f1_score
    >>> round(macro_f1_score(["ang", "ang", "sad", "sad"], ["ang", "sad", "sad", "sad"]), 4)
    0.7333
    """
    y_true, y_pred, sample_weight = _labelled_rows_only(y_true, y_pred, sample_weight,
                                                        "macro_f1_score")
    return float(
        f1_score(
            y_true,
            y_pred,
            labels=labels,
            average="macro",
            sample_weight=sample_weight,
            zero_division=0.0,
        )
    )


def ccc_score(y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"):
    """Concordance correlation coefficient (CCC) of continuous ratings (Lin 1989).

    ``CCC = 2 cov(t, p) / (var(t) + var(p) + (mean(t) - mean(p)) ** 2)`` with population
    (``1 / n``) moments. It is Pearson's correlation penalised for any shift of mean or scale
    between prediction and truth: 1 is perfect agreement, 0 none, -1 perfect inversion. It is
    the standard score of dimensional emotion (arousal, valence, dominance) since the AVEC
    challenges (Ringeval et al. 2015). Source: L. I. Lin, "A concordance correlation
    coefficient to evaluate reproducibility", *Biometrics* 45(1), 1989.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True ratings; unlabelled rows (NaN) are left out.
    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Predicted ratings, on the same scale.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the moments.
    multioutput : {"uniform_average", "raw_values"}, default="uniform_average"
        Average the CCC of each output, or return one per output.

    Returns
    -------
    float or ndarray of shape (n_outputs,)
        CCC in [-1, 1]. Where truth and prediction are one and the same constant the
        agreement is perfect and the CCC is 1 (the formula's 0 / 0).

    Raises
    ------
    ValueError
        If the shapes differ, a prediction is NaN or a value infinite, there is no sample or
        no labelled one (a NaN truth is an unlabelled row, left out), or a weight is negative
        or all weights are zero.

    Examples
    --------
    >>> from skser.metrics import ccc_score
    >>> ccc_score([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    1.0
    >>> round(ccc_score([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]), 4)  # shifted: r = 1, CCC < 1
    0.5714
    """
    y_true, y_pred, sample_weight = _labelled_rows_only(
        np.asarray(y_true, dtype=np.float64), y_pred, sample_weight, "ccc_score")
    t = check_array(y_true, ensure_2d=False, dtype=np.float64, input_name="y_true")
    p = check_array(y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred")
    check_consistent_length(t, p, sample_weight)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} and y_pred {p.shape}; they must match.")
    if multioutput not in ("uniform_average", "raw_values"):
        raise ValueError(
            f"multioutput must be 'uniform_average' or 'raw_values', got {multioutput!r}."
        )
    t, p = t.reshape(len(t), -1), p.reshape(len(p), -1)
    w = np.ones(len(t)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError("sample_weight must be finite, non-negative and not all zero.")
    w = w[:, None] / w.sum()
    mt, mp = (w * t).sum(axis=0), (w * p).sum(axis=0)
    dt, dp = t - mt, p - mp
    cov = (w * dt * dp).sum(axis=0)
    denom = (w * dt**2).sum(axis=0) + (w * dp**2).sum(axis=0) + (mt - mp) ** 2
    ccc = np.where(denom > 0, 2 * cov / np.where(denom > 0, denom, 1.0), 1.0)
    if multioutput == "raw_values":
        return ccc
    return float(ccc.mean())


#: Scorers of the SER metrics by name, usable as ``scoring=SCORERS`` (multi-metric).
SCORERS = {
    "uar": make_scorer(uar_score),
    "wa": make_scorer(wa_score),
    "macro_f1": make_scorer(macro_f1_score),
}

#: Scorers of continuous ratings (arousal, valence, dominance) by name: ``{"ccc": ...}``.
REGRESSION_SCORERS = {"ccc": make_scorer(ccc_score)}


def get_scorer_names():
    """Names that :func:`get_scorer` knows besides scikit-learn's own.

    Returns
    -------
    list of str
        Sorted names.

    Examples
    --------
    >>> from skser.metrics import get_scorer_names
    >>> get_scorer_names()
    ['ccc', 'macro_f1', 'uar', 'wa']
    """
    return sorted({**SCORERS, **REGRESSION_SCORERS})


def get_scorer(scoring):
    """Return a scorer from its name: an SER name of :data:`SCORERS` or a scikit-learn name.

    Parameters
    ----------
    scoring : str or callable
        ``"uar"``, ``"wa"``, ``"macro_f1"``, ``"ccc"``, any name of
        :func:`sklearn.metrics.get_scorer_names`, or a scorer callable
        ``scorer(estimator, X, y)``, which is returned unchanged.

    Returns
    -------
    callable
        A scorer ``scorer(estimator, X, y) -> float``.

    Examples
    --------
    >>> from skser.metrics import get_scorer
    >>> get_scorer("uar")
    make_scorer(uar_score, response_method='predict')
    """
    if isinstance(scoring, str):
        if scoring in SCORERS:
            return SCORERS[scoring]
        if scoring in REGRESSION_SCORERS:
            return REGRESSION_SCORERS[scoring]
        try:
            return _sk_get_scorer(scoring)
        except ValueError:
            raise ValueError(
                f"Unknown scoring {scoring!r}. Use one of {get_scorer_names()} or a name of "
                "sklearn.metrics.get_scorer_names()."
            ) from None
    if callable(scoring):
        return scoring
    raise TypeError(
        f"scoring must be a scorer name (str) or a callable, got {type(scoring).__name__}: "
        f"{scoring!r}."
    )


def get_scorers(scoring) -> dict[str, Callable]:
    """Return a multi-metric scoring dict ``{name: scorer}`` from names or scorers.

    The result is usable as ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`
    and :func:`~sklearn.model_selection.cross_validate`.

    Parameters
    ----------
    scoring : str, callable, list or tuple of str, or dict
        A single name or callable (its key is the name, or ``"score"`` for a callable), a
        sequence of names, or a dict ``{name: name_or_callable}``.

    Returns
    -------
    dict
        Ordered ``{name: scorer}``.

    Examples
    --------
    >>> from skser.metrics import get_scorers
    >>> list(get_scorers(["uar", "wa", "accuracy"]))
    ['uar', 'wa', 'accuracy']
    """
    if isinstance(scoring, str):
        return {scoring: get_scorer(scoring)}
    if callable(scoring):
        return {"score": scoring}
    if isinstance(scoring, Mapping):
        items = list(scoring.items())
    elif isinstance(scoring, Iterable):
        items = []
        for name in scoring:
            if not isinstance(name, str):
                raise TypeError(
                    "A scoring list must hold scorer names (str); use a dict "
                    f"{{name: scorer}} for callables. Got {name!r}."
                )
            items.append((name, name))
    else:
        raise TypeError(
            "scoring must be a name, a callable, a list of names or a dict, got "
            f"{type(scoring).__name__}: {scoring!r}."
        )
    if not items:
        raise ValueError("scoring is empty; give at least one metric, e.g. ('uar',).")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"scoring names must be unique, got {names}.")
    return {name: get_scorer(value) for name, value in items}
