"""The cross-corpus and noise-robustness evaluation table."""

from __future__ import annotations

import numbers
import time
import traceback
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _num_samples

from ..datasets._dimensions import _check_task, _resolve_maps, _task_labels
from ..metrics import SCORERS, get_scorers
from ..utils._semi import labelled_mask
from ..utils._validation import check_row_labels

CLEAN = "clean"
COLUMNS = ["train", "test", "condition", "metric", "value", "n"]


class FitFailedWarning(RuntimeWarning):
    """Some fits or scores of :func:`cross_corpus_evaluate` failed and got ``error_score``."""


def _shape(a):
    shape = getattr(a, "shape", None)
    if shape is None:
        a = np.asarray(a)
        shape = a.shape
    return tuple(shape)


def _check_inputs(X, y, corpus, conditions, groups):
    n = _num_samples(X)
    if len(_shape(X)) != 2:
        raise ValueError(f"X must be 2-D (rows x features), got shape {_shape(X)}.")
    if n == 0:
        raise ValueError("X has no rows.")
    y = check_row_labels(y, n, "y")
    corpus = check_row_labels(corpus, n, "corpus")
    if groups is not None:
        groups = check_row_labels(groups, n, "groups (speakers)")
    if conditions is None:
        conditions = {}
    if not isinstance(conditions, Mapping):
        raise TypeError(
            "conditions must be a dict {name: feature matrix over the same rows as X}, got "
            f"{type(conditions).__name__}."
        )
    for name, Xc in conditions.items():
        if not isinstance(name, str):
            raise TypeError(f"condition names must be str, got {name!r}.")
        if name == CLEAN:
            raise ValueError(
                f"The condition name {CLEAN!r} is reserved for X itself; rename that condition."
            )
        if _shape(Xc) != _shape(X):
            raise ValueError(
                f"condition {name!r} has shape {_shape(Xc)}, X has shape {_shape(X)}; each "
                "condition must hold the same rows and features as X (e.g. the features of the "
                "same utterances mixed with noise)."
            )
    return y, corpus, dict(conditions), groups


def left_out_message(corpus, missing, dropped, *, rows="rows", what, missing_why,
                     dropped_why="with an emotion the map drops (to None)"):
    """One sentence counting the rows left out, why, and how many per corpus.

    Shared by :func:`cross_corpus_evaluate` and the ``skser`` command, so that both say
    alike which rows were left out: ``"3 of 60 rows have no arousal class (2 with no
    emotion, None or NaN in y; 1 with an emotion the map drops (to None)) and are left out
    (a: 2, b: 1)"``.

    Parameters
    ----------
    corpus : ndarray of shape (n_samples,) or None
        Corpus of each row; None gives no counts per corpus.
    missing, dropped : ndarray of bool of shape (n_samples,)
        Rows without an emotion, and rows whose emotion the map drops.
    rows : str, default="rows"
        What the rows are called (``"clean rows"`` on the command line).
    what : str
        What the left-out rows lack (``"emotion"``, ``"arousal class"``).
    missing_why, dropped_why : str
        How a row without an emotion, and one whose emotion is dropped, shows in the input.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from skser.model_selection._evaluate import left_out_message
    >>> print(left_out_message(np.array(["a", "a", "b"]), np.array([True, False, False]),
    ...                        np.array([False, False, True]), what="arousal class",
    ...                        missing_why="with no emotion", dropped_why="dropped"))
    2 of 3 rows have no arousal class (1 with no emotion; 1 dropped) and are left out (a: 1, b: 1)
    """
    out = missing | dropped
    reasons = [(int(missing.sum()), missing_why), (int((dropped & ~missing).sum()), dropped_why)]
    why = "; ".join(f"{k} {w}" for k, w in reasons if k)
    msg = f"{int(out.sum())} of {len(out)} {rows} have no {what} ({why}) and are left out"
    if corpus is None:
        return msg
    counts = pd.Series(np.asarray(corpus)[out]).astype(str).value_counts(sort=False)
    return f"{msg} ({', '.join(f'{c}: {k}' for c, k in counts.items())})"


def unlabelled_corpora(corpus, missing):
    """The corpora (as text, in order of appearance) every row of which has no emotion."""
    corpus = pd.Series(np.asarray(corpus)).astype(str)
    whole = pd.Series(np.asarray(missing, dtype=bool)).groupby(corpus, sort=False).all()
    return [str(c) for c in whole.index[whole.to_numpy()]]


def _map_task(X, y, corpus, task, mapping, verbose):
    """Map the emotion labels ``y`` onto the classes of ``task``.

    Returns ``(y, keep)``: the task labels (a placeholder where the map gives none) and the
    rows to keep, or ``(y, None)`` for ``task="emotion"``. Warns with the count of rows
    left out per corpus; a corpus none of whose rows has an emotion is an error.
    """
    _check_task(task, mapping)
    if task == "emotion":
        return y, None
    n = _num_samples(X)
    labels = np.asarray(y, dtype=object)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"y must hold one label per row ({n} rows), got shape {labels.shape}.")
    corpus = check_row_labels(corpus, n, "corpus")
    present = {str(c) for c in corpus}
    unknown = sorted(set(_resolve_maps(task, 2, mapping)[1]) - present)
    if unknown:
        raise ValueError(
            f"mapping has per-corpus maps for {unknown}, which corpus does not hold; corpora "
            f"present: {sorted(present)}. Key each map by a corpus name (compared as text, "
            "case included), or drop it.")
    missing = pd.isna(labels).astype(bool)
    unlabelled = unlabelled_corpora(corpus, missing)
    if unlabelled and not missing.all():
        sizes = pd.Series(corpus).astype(str).value_counts()
        which = ", ".join(f"{c!r} ({sizes[c]} rows)" for c in unlabelled)
        raise ValueError(
            f"corpus {which}: no row has an emotion (y is None or NaN on every row of it), so "
            "it can be neither trained nor scored. Give its rows their emotions, or drop its "
            "rows from X, y and corpus.")
    mapped, keep = _task_labels(labels, task, mapping=mapping, corpus=corpus)
    if not keep.any():
        raise ValueError(f"task={task!r}: no row of y has a {task} class (all {n} emotions are "
                         "missing or mapped to None); check y and mapping.")
    if not keep.all():
        msg = left_out_message(corpus, missing, ~keep & ~missing, what=f"{task} class",
                               missing_why="with no emotion, None or NaN in y")
        emptied = sorted(set(map(str, corpus)) - set(map(str, corpus[keep])))
        gone = f"; corpus {emptied} has no row left" if emptied else ""
        msg = f"task={task!r}: {msg}{gone}."
        warnings.warn(msg, UserWarning, stacklevel=3)
        if verbose > 0:
            print(f"[cross_corpus_evaluate] {msg}", flush=True)
    return np.where(keep, mapped, "").astype(object), keep


def _within_folds(y, groups, rows, n_splits, corpus_name):
    """Speaker-independent (when groups are given) stratified folds over ``rows``."""
    y_c = y[rows]
    if groups is not None:
        n_speakers = len(np.unique(groups[rows]))
        if n_speakers < n_splits:
            raise ValueError(
                f"corpus {corpus_name!r} has {n_speakers} speakers (groups) but n_splits="
                f"{n_splits} speaker-independent folds need at least {n_splits}; lower n_splits "
                "or pass n_splits=None to skip within-corpus evaluation."
            )
        cv = StratifiedGroupKFold(n_splits=n_splits)
        splits = cv.split(np.zeros((len(rows), 1)), y_c, groups[rows])
    else:
        largest = np.unique(y_c, return_counts=True)[1].max()
        if largest < n_splits:
            raise ValueError(
                f"corpus {corpus_name!r}: its most frequent emotion has {largest} rows, fewer "
                f"than n_splits={n_splits}; lower n_splits or pass n_splits=None."
            )
        with warnings.catch_warnings():
            # Rare classes are expected in small corpora; the folds stay valid.
            warnings.filterwarnings(
                "ignore", message="The least populated class", category=UserWarning
            )
            splits = list(StratifiedKFold(n_splits=n_splits).split(np.zeros((len(rows), 1)), y_c))
    splits = list(splits)
    _warn_missing_classes(y_c, splits, corpus_name)
    return [(rows[tr], rows[te]) for tr, te in splits]


def _are_class_labels(y):
    """Whether ``y`` holds class labels (the single-class checks apply), not e.g. ratings."""
    return type_of_target(y[labelled_mask(y)]) in ("binary", "multiclass")


def labelled_classes(y, rows):
    """The classes of the labelled rows among ``rows`` (indices) of ``y``, and those rows.

    Shared by the single-class checks of :func:`cross_corpus_evaluate` and of the ``skser``
    command, which word their messages for their own users.
    """
    rows = rows[labelled_mask(y[rows])]
    return np.unique(y[rows]), rows


def _check_training_set(y, rows, name, members, task, emotions=None):
    """Refuse, before any fit, a training set whose labelled rows hold a single class.

    A classifier cannot be fitted on one class: every fit of that training set would fail
    and score ``error_score``. ``emotions`` are the emotions behind task labels, named in
    the message.
    """
    classes, rows = labelled_classes(y, rows)
    if len(classes) >= 2:
        return
    names = ", ".join(map(repr, map(str, members)))
    if len(members) == 1:
        who, verb, their = f"The training corpus {names}", "holds", "its"
    else:
        who, verb, their = f"The training corpora {names} (split {str(name)!r})", "hold", "their"
    if len(classes) == 0:
        raise ValueError(f"{who} {verb} no labelled row; give {their} rows labels or leave "
                         "it out of train_corpora.")
    only = classes.tolist()[0]
    behind = ""
    if task != "emotion" and emotions is not None:
        source = ", ".join(sorted(map(str, pd.unique(emotions[rows]))))
        behind = f" (task={task!r} maps all {their} emotions, {source}, to {only!r})"
    raise ValueError(
        f"{who} {verb} a single class, {only!r}, in {their} {len(rows)} labelled rows{behind}: "
        "a classifier cannot be trained on one class, so every fit on it would fail. Train "
        "on corpora with at least two classes (train_corpora=; a tuple pools corpora into one "
        "training set)"
        + (", or pass a mapping= that splits these emotions" if task != "emotion" else "")
        + ". A corpus can be tested on without being trained on.")


def _check_fold(y, rows, label):
    """Refuse a within-corpus training fold with a single class (the corpus has more)."""
    classes, _ = labelled_classes(y, rows)
    if len(classes) < 2:
        raise ValueError(
            f"{label}: the training part of this within-corpus fold holds a single class, "
            f"{classes.tolist()[0]!r} ({len(rows)} rows): the held-out speakers carry every "
            "other class of the corpus, and a classifier cannot be trained on one class. "
            "Lower n_splits (fewer, larger folds) or pass n_splits=None to evaluate across "
            "corpora only.")


class MissingClassesWarning(UserWarning):
    """Some within-corpus folds of :func:`cross_corpus_evaluate` lack whole emotions."""


def _warn_missing_classes(y_c, splits, corpus_name):
    """Warn when a speaker-independent fold's test (or training) part lacks whole emotions.

    Happens when speakers nearly coincide with emotions (e.g. URDU): per-fold scores would then
    be computed over different emotion sets, which is why within-corpus scores pool the
    out-of-fold predictions.
    """
    classes = np.unique(y_c)
    test_gaps, train_gaps = [], []
    for k, (tr, te) in enumerate(splits, start=1):
        missing = sorted(map(str, set(classes) - set(np.unique(y_c[te]))))
        if missing:
            test_gaps.append(f"fold {k}: {', '.join(missing)}")
        missing = sorted(map(str, set(classes) - set(np.unique(y_c[tr]))))
        if missing:
            train_gaps.append(f"fold {k}: {', '.join(missing)}")
    if test_gaps:
        msg = (
            f"corpus {corpus_name!r}: {len(test_gaps)} of {len(splits)} speaker-independent "
            f"test folds lack whole emotions ({'; '.join(test_gaps)}), as when speakers nearly "
            "coincide with emotions. Within-corpus scores pool the out-of-fold predictions of "
            "all folds, so every emotion is scored; per-fold scores would not be comparable."
        )
        if train_gaps:
            msg += (
                f" Some training folds lack emotions too ({'; '.join(train_gaps)}): those "
                "models never see them."
            )
        warnings.warn(msg, MissingClassesWarning, stacklevel=4)


def _score_all(estimator, scorer, metric_names, X_sets, y_test, error_score):
    """Score one fitted estimator on the clean and conditioned versions of one test set."""
    out, errors = {}, []
    for condition, X_test in X_sets.items():
        try:
            scores = scorer(estimator, X_test, y_test)
            for metric in metric_names:
                out[condition, metric] = float(scores[metric])
        except Exception as exc:
            if isinstance(error_score, str):
                raise
            errors.append(f"scoring under {condition!r}: {type(exc).__name__}: {exc}")
            for metric in metric_names:
                out.setdefault((condition, metric), error_score)
    return out, errors


def _mean_keep_nan(values):
    """Mean over folds; one failed fold (NaN) makes the mean NaN rather than hiding it."""
    return float(np.mean(values.to_numpy(dtype=float)))


def _members(entry):
    """The corpora of one ``train_corpora`` entry: a corpus name, or a tuple to pool."""
    return tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)


def _pooled_name(entry):
    """The ``train`` name of one ``train_corpora`` entry: the corpus itself (any type), or
    ``"a+b"`` for corpora pooled by a tuple."""
    members = _members(entry)
    return members[0] if len(members) == 1 else "+".join(map(str, members))


def _edrl_group_params(estimator, groups, prefix=""):
    """Fit parameters that pass ``groups`` to every EDRL step of ``estimator``.

    ``{"groups": groups}`` for an :class:`~skser.EDRLTransformer`, ``{"<step>__groups":
    groups}`` for one inside a :class:`~sklearn.pipeline.Pipeline` (nested pipelines too);
    ``{}`` when there is none or ``groups`` is None.
    """
    from sklearn.pipeline import Pipeline

    from .._edrl import EDRLTransformer

    if groups is None:
        return {}
    if isinstance(estimator, EDRLTransformer):
        return {f"{prefix}groups": groups}
    params = {}
    if isinstance(estimator, Pipeline):
        for name, step in estimator.steps:
            params.update(_edrl_group_params(step, groups, f"{prefix}{name}__"))
    return params


def _scoring_plan(estimator, scorers, conditions):
    """The multimetric scorer, the metric names and the condition names of one fit."""
    scorer = check_scoring(estimator, scoring=scorers, raise_exc=True)
    return scorer, list(scorers), [CLEAN, *conditions]


def _fit_and_score(
    estimator, X, y, conditions, scorers, train_idx, tests, error_score, verbose, label,
    corpus=None, keep_predictions=False,
):
    """Fit a clone on the clean training rows; score it on every test part and condition.

    ``tests`` is a list of ``(test corpus, test row indices)``. Returns a list of records
    ``(test corpus, condition, metric, value, n)``, a list of error messages and, with
    ``keep_predictions``, the predictions ``{(test corpus, condition): y_pred or None}``
    (None where the fit or the prediction failed).
    """
    start = time.perf_counter()
    scorer, metric_names, condition_names = _scoring_plan(estimator, scorers, conditions)
    records, errors, predictions = [], [], {}
    # Only the training rows of the clean features are ever given to fit.
    X_train, y_train = _safe_indexing(X, train_idx), y[train_idx]
    # Training rows from several corpora: EDRL draws intra-class partners across corpora.
    train_corpus = None if corpus is None else corpus[train_idx]
    if train_corpus is not None and len(np.unique(train_corpus)) < 2:
        train_corpus = None
    try:
        fitted = clone(estimator).fit(
            X_train, y_train, **_edrl_group_params(estimator, train_corpus)
        )
    except Exception as exc:
        if isinstance(error_score, str):
            raise
        fitted = None
        errors.append(f"{label}: fit failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    for test_name, test_idx in tests:
        if fitted is None:
            values = {(c, m): error_score for c in condition_names for m in metric_names}
        else:
            X_sets = {CLEAN: _safe_indexing(X, test_idx)}
            for name, Xc in conditions.items():
                X_sets[name] = _safe_indexing(Xc, test_idx)
            values, errs = _score_all(
                fitted, scorer, metric_names, X_sets, y[test_idx], error_score
            )
            errors.extend(f"{label}, test {test_name!r}: {e}" for e in errs)
            if keep_predictions:
                for condition, X_test in X_sets.items():
                    predictions[test_name, condition] = _predict_or_none(
                        fitted, X_test, error_score
                    )
        for condition in condition_names:
            for metric in metric_names:
                records.append(
                    (test_name, condition, metric, values[condition, metric], len(test_idx))
                )
    if verbose > 0:
        _print_fit_line(records, metric_names[0], label, start)
    return records, errors, predictions


def _print_fit_line(records, metric, label, start):
    """The ``verbose`` line of one fit: its mean clean score and its time."""
    clean = [v for t, c, m, v, _ in records if c == CLEAN and m == metric]
    mean = np.nanmean(clean) if clean and not np.all(np.isnan(clean)) else np.nan
    print(f"[cross_corpus_evaluate] {label}: clean {metric}={mean:.3f} "
          f"({time.perf_counter() - start:.1f}s)", flush=True)


def _predict_or_none(fitted, X_test, error_score):
    """Predictions of ``fitted`` (None for a failed fit or prediction, unless raising)."""
    if fitted is None:
        return None
    try:
        return np.asarray(fitted.predict(X_test))
    except Exception:
        if isinstance(error_score, str):
            raise
        return None


def _is_prediction_scorer(scorer):
    """Whether a scorer needs only ``predict`` (so it can score pooled predictions)."""
    return getattr(scorer, "_response_method", None) == "predict" and hasattr(
        scorer, "_score_func"
    )


def _score_predictions(scorer, y_true, y_pred):
    """A ``predict``-based scorer's value on given predictions (no estimator needed)."""
    return float(scorer._sign * scorer._score_func(y_true, y_pred, **scorer._kwargs))


def _bootstrap_uar(y_true, y_pred, n_bootstrap, rng, level=0.95):
    """Percentile interval of the UAR over ``n_bootstrap`` resamples of the test rows.

    Each resample draws ``len(y_true)`` rows with replacement; its UAR is the mean recall over
    the emotions present in the resample (:func:`skser.metrics.uar_score` on the resample).
    """
    classes, codes = np.unique(y_true, return_inverse=True)
    correct = np.asarray(y_true == y_pred, dtype=float)
    n, k = len(codes), len(classes)
    idx = rng.integers(0, n, size=(n_bootstrap, n))
    onehot = np.eye(k)[codes]  # (n, k)
    totals = onehot[idx].sum(axis=1)  # (B, k)
    hits = (onehot * correct[:, None])[idx].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(totals > 0, hits / totals, np.nan)
    uar = np.nanmean(recall, axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(uar, [tail, 100 - tail])
    return float(low), float(high)


def _unlabelled_marker(y):
    """The unlabelled marker for labels like ``y``: NaN for float labels, else ``-1``."""
    return np.nan if y.dtype.kind == "f" else -1


def _with_unlabelled(X_train, y_train, X_unlabelled):
    """Training rows followed by the unlabelled rows, labelled ``-1`` (NaN for float labels).

    The labels of the unlabelled rows are never read: the marker is written in their place.
    """
    if isinstance(X_train, pd.DataFrame):
        X_fit = pd.concat([X_train, X_unlabelled], axis=0, ignore_index=True)
    else:
        X_fit = np.concatenate([np.asarray(X_train), np.asarray(X_unlabelled)], axis=0)
    marker = _unlabelled_marker(y_train)
    dtype = y_train.dtype if y_train.dtype.kind in "fiu" else object
    y_fit = np.concatenate(
        [y_train.astype(dtype), np.full(_num_samples(X_unlabelled), marker, dtype=dtype)]
    )
    return X_fit, y_fit


_WRAP_ADVICE = (
    "Wrap the final step in skser.LabelledOnly (e.g. Pipeline([..., ('svc', "
    "LabelledOnly(SVC()))])) or use a semi-supervised classifier such as "
    "sklearn.semi_supervised.SelfTrainingClassifier."
)


def _labelled_only_hint(estimator):
    """Advice when a transductive fit fails and the final classifier is a plain one."""
    from .._semisupervised import LabelledOnly

    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    if isinstance(final, LabelledOnly) or type(final).__module__.startswith(
        "sklearn.semi_supervised"
    ):
        return None
    return (
        "In transductive mode the fit also gets the test rows, labelled -1 (NaN for float "
        f"labels), and the final step {type(final).__name__} may take -1 for a class. "
        + _WRAP_ADVICE
    )


def _check_no_unlabelled_class(fitted, label):
    """Refuse a fitted classifier that learnt the unlabelled marker as a class."""
    classes = getattr(fitted, "classes_", None)
    if classes is None:
        return
    classes = np.asarray(classes)
    if classes.dtype.kind == "f":
        bad = np.isnan(classes).any()
    else:
        bad = any(c == -1 for c in classes.tolist() if not isinstance(c, str))
    if bad:
        raise ValueError(
            f"{label}: the fitted estimator has -1 (the unlabelled marker) among its classes "
            f"{classes.tolist()}: its final classifier learnt from the unlabelled test rows as "
            f"if -1 were an emotion. {_WRAP_ADVICE}"
        )


def _fit_and_score_transductive(
    estimator, X, y, conditions, scorers, train_idx, tests, error_score, verbose, label,
    corpus=None, keep_predictions=False,
):
    """Like :func:`_fit_and_score`, with one fit per test set and condition.

    Each fit sees the labelled training rows and, as unlabelled rows (label ``-1``, NaN for
    float labels), the features of exactly the rows it is then scored on: the test corpus (or
    held-out fold) under that condition. Their labels are never given to ``fit``. EDRL steps
    get the corpus of every row as ``groups`` when the training rows span several corpora.
    """
    start = time.perf_counter()
    scorer, metric_names, condition_names = _scoring_plan(estimator, scorers, conditions)
    records, errors, predictions = [], [], {}
    # Only the training rows of the clean features are ever given to fit.
    X_train, y_train = _safe_indexing(X, train_idx), y[train_idx]
    many_corpora = corpus is not None and len(np.unique(corpus[train_idx])) > 1
    for test_name, test_idx in tests:
        fit_params = _edrl_group_params(
            estimator, np.concatenate([corpus[train_idx], corpus[test_idx]])
            if many_corpora else None,
        )
        for condition in condition_names:
            source = X if condition == CLEAN else conditions[condition]
            X_test = _safe_indexing(source, test_idx)
            where = f"{label}, test {test_name!r}, {condition!r}"
            try:
                try:
                    fitted = clone(estimator).fit(
                        *_with_unlabelled(X_train, y_train, X_test), **fit_params
                    )
                except Exception as exc:
                    hint = _labelled_only_hint(estimator)
                    if hint is None:
                        raise
                    raise ValueError(f"{where}: fit failed ({type(exc).__name__}: {exc}). "
                                     f"{hint}") from exc
                _check_no_unlabelled_class(fitted, where)
            except Exception as exc:
                if isinstance(error_score, str):
                    raise
                values = {(condition, m): error_score for m in metric_names}
                errors.append(
                    f"{where}: fit failed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
                )
                fitted = None
            else:
                values, errs = _score_all(
                    fitted, scorer, metric_names, {condition: X_test}, y[test_idx], error_score
                )
                errors.extend(f"{where}: {e}" for e in errs)
            if keep_predictions:
                predictions[test_name, condition] = _predict_or_none(
                    fitted, X_test, error_score
                )
            for metric in metric_names:
                records.append(
                    (test_name, condition, metric, values[condition, metric], len(test_idx))
                )
    if verbose > 0:
        _print_fit_line(records, metric_names[0], f"{label} (transductive)", start)
    return records, errors, predictions


def cross_corpus_evaluate(
    estimator,
    X,
    y,
    corpus,
    *,
    conditions=None,
    groups=None,
    scoring=("uar",),
    n_splits=5,
    train_corpora=None,
    error_score=np.nan,
    n_jobs=None,
    verbose=0,
    n_bootstrap=0,
    random_state=None,
    transductive=False,
    task="emotion",
    mapping=None,
):
    """Evaluate an estimator within and across corpora, on clean and degraded features.

    For each training corpus, a clone of ``estimator`` is fitted on that corpus's **clean**
    rows (``X``) only and scored on every other corpus, on its clean features and on each named
    condition (e.g. the same utterances mixed with babble noise at 0 dB). Within the training
    corpus itself, speaker-independent folds are used: ``StratifiedGroupKFold`` over ``groups``
    (speakers) when given, ``StratifiedKFold`` otherwise; clones are fitted on the clean
    training folds and scored on the held-out fold, clean and under each condition.

    Within-corpus scores are computed once, on the **pooled out-of-fold predictions** of all
    folds (every utterance predicted by the model that did not see its speaker), not averaged
    over folds: when speakers nearly coincide with emotions (URDU), speaker-independent test
    folds lack whole emotions and fold averages of UAR or macro-F1 mix scores over different
    emotion sets (on URDU, macro-F1 0.605 fold-averaged against 0.733 pooled). A
    :class:`MissingClassesWarning` names such folds. Scorers that need more than ``predict``
    (probabilities, decision values) cannot be pooled across fold models and are averaged
    over folds.

    Nothing about a test row reaches ``fit``: not its label, not its clean features, not its
    condition features. The conditioned matrices are only ever used for scoring. With
    ``transductive=True`` the test rows' features (not their labels) join the fit as
    unlabelled rows (see below).

    Parameters
    ----------
    estimator : estimator object
        An unfitted classifier or pipeline; it is cloned for every fit.
    X : array-like of shape (n_samples, n_features)
        Clean features of all corpora (numpy array or pandas DataFrame).
    y : array-like of shape (n_samples,)
        Emotion labels (any labels with ``task="emotion"``).
    corpus : array-like of shape (n_samples,)
        Corpus label of each row.
    conditions : dict of str -> array-like of shape (n_samples, n_features), default=None
        Degraded versions of ``X`` over the same rows and features, e.g.
        ``{"babble 0 dB": X_babble0, "babble 10 dB": X_babble10}``. Names that end in
        ``"<number> dB"`` are understood by :func:`skser.plotting.plot_uar_vs_snr`. The name
        ``"clean"`` is reserved for ``X``.
    groups : array-like of shape (n_samples,), default=None
        Speaker of each row, for speaker-independent within-corpus folds.
    scoring : str, callable, list of str or dict, default=("uar",)
        Metrics, as accepted by :func:`skser.metrics.get_scorers`: ``"uar"``, ``"wa"``,
        ``"macro_f1"`` or any scikit-learn scorer name.
    n_splits : int or None, default=5
        Number of within-corpus folds. ``None`` skips the within-corpus evaluation.
    train_corpora : list of str or of tuples of str, default=None
        Corpora to train on; ``None`` trains on each corpus in turn. The others are test-only.
        A tuple pools its corpora into one training set (multi-source), named
        ``"a+b+c"`` in the ``train`` column; e.g. leave one corpus out with
        ``[tuple(c for c in corpora if c != held_out) for held_out in corpora]``. When a
        training set spans several corpora, every :class:`~skser.EDRLTransformer` in
        ``estimator`` (alone or a step of a :class:`~sklearn.pipeline.Pipeline`) is fitted
        with the corpus of each training row as ``groups``, so that its intra-class partners
        come from another corpus.
    error_score : "raise" or float, default=np.nan
        Value recorded when a fit or a score fails. With a number, the failure is reported in
        a :class:`FitFailedWarning` after all other fits have finished, and their results are
        kept. ``"raise"`` re-raises the first error.
    n_jobs : int, default=None
        Number of parallel jobs over (training corpus, fold); ``None`` means 1 (see
        :class:`joblib.Parallel`).
    verbose : int, default=0
        ``> 0`` prints one line per fit (training corpus or fold, clean score, time);
        ``> 1`` also shows joblib's progress.
    n_bootstrap : int, default=0
        With ``n_bootstrap > 0``, the table gets ``ci_low`` and ``ci_high`` columns: a 95 %
        percentile bootstrap interval of the UAR over that many resamples (with replacement)
        of the test utterances of each row, predictions held fixed (NaN for other metrics).
        It reflects the sampling of test utterances only, not of training data or seeds.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the bootstrap resamples.
    transductive : bool, default=False
        Adaptation to unlabelled target speech. Each test set's features (never its
        labels) join the training fit as unlabelled rows, labelled ``-1`` (NaN for float
        labels; scikit-learn's semi-supervised convention): one fit per training corpus or
        fold, test corpus and condition, whose unlabelled rows are exactly the rows it is
        then scored on (the test corpus, or the held-out fold, clean or under that
        condition). This multiplies the number of fits by ``1 + len(conditions)``. The
        estimator must accept such rows: ``EDRLTransformer`` and ``MEATransformer`` use them
        where no label is needed, and the final classifier should be wrapped in
        :class:`skser.LabelledOnly` (a fitted classifier with ``-1`` among its classes is an
        error). See the user guide's chapter on adaptation.
    task : {"emotion", "arousal", "valence"}, default="emotion"
        What is recognised and scored. ``"emotion"`` uses ``y`` as it is. ``"arousal"`` and
        ``"valence"`` map the emotions of ``y`` onto binary arousal (``low``/``high``) or
        binary valence (``negative``/``positive``) with
        :func:`skser.datasets.to_dimension` (the maps of Schuller et al. 2010, the
        cross-corpus standard), passing ``corpus`` so that per-corpus maps apply; models
        are trained and scored on those classes. Rows whose emotion is missing, or that the
        map drops (``None``), are left out before anything is fitted, with a
        ``UserWarning`` (and, with ``verbose``, a line) counting them per corpus and telling
        missing emotions from dropped ones; the ``n`` column counts the rows kept. Emotions
        the map does not know, and a corpus none of whose rows has an emotion, raise a
        ``ValueError`` naming them.
    mapping : dict, optional
        With ``task="arousal"`` or ``"valence"``: the ``mapping`` of
        :func:`~skser.datasets.to_dimension`, one ``{emotion: class}`` map or one per corpus
        (``{corpus: {emotion: class}}``, keyed by the names in ``corpus``; a key that
        names no corpus is an error).

    Returns
    -------
    table : pandas.DataFrame
        One row per (train, test, condition, metric), with columns

        - ``train``: training corpus (``"a+b"`` for corpora pooled by a tuple in
          ``train_corpora``);
        - ``test``: test corpus (equal to ``train`` for the within-corpus folds, which for a
          pooled training set run over its pooled rows);
        - ``condition``: ``"clean"`` or a key of ``conditions``;
        - ``metric``: metric name, e.g. ``"uar"``;
        - ``value``: the score; for within-corpus rows, the score of the pooled
          out-of-fold predictions (NaN when a fold failed with ``error_score=np.nan``);
        - ``n``: number of test rows (for within-corpus rows, all rows of the corpus, each
          scored once in its held-out fold);
        - ``ci_low``, ``ci_high``: only with ``n_bootstrap > 0`` (see there).

        Rows are ordered by training corpus, then the training corpus itself, then the other
        corpora, then ``"clean"`` and the conditions in the order given, then the metrics.

    Raises
    ------
    ValueError
        Before any fit, for bad inputs, and for a training set (a training corpus, corpora
        pooled by a tuple, or the training part of a within-corpus fold) whose labelled rows
        hold a single class: no classifier can be fitted on it. The message names the
        corpora, the class and, with ``task``, the emotions mapped onto it.

    See Also
    --------
    summarise : Pivot the table to one wide table per metric.
    LeaveOneCorpusOut : The splitter for ``GridSearchCV`` over several corpora.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skser.model_selection import cross_corpus_evaluate
    >>> X, y = make_classification(n_samples=120, n_informative=4, n_classes=3, random_state=0)
    >>> corpus = np.repeat(["a", "b"], 60)
    >>> noisy = {"white 0 dB": X + np.random.default_rng(0).normal(size=X.shape)}
    >>> table = cross_corpus_evaluate(LogisticRegression(), X, y, corpus, conditions=noisy,
    ...                               n_splits=3)
    >>> table.columns.tolist()
    ['train', 'test', 'condition', 'metric', 'value', 'n']
    >>> table[["train", "test", "condition", "n"]].head(4)
      train test   condition   n
    0     a    a       clean  60
    1     a    a  white 0 dB  60
    2     a    b       clean  60
    3     a    b  white 0 dB  60

    Binary arousal from emotion labels (rows without a class would be left out):

    >>> emotions = np.array(["angry", "happy", "sad", "neutral"])[y % 4]
    >>> arousal = cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus,
    ...                                 n_splits=None, task="arousal")
    >>> arousal[["train", "test", "metric", "n"]].values.tolist()
    [['a', 'b', 'uar', 60], ['b', 'a', 'uar', 60]]
    """
    emotions = None if task == "emotion" else np.asarray(y, dtype=object)
    y, keep = _map_task(X, y, corpus, task, mapping, verbose)
    y, corpus, conditions, groups = _check_inputs(X, y, corpus, conditions, groups)
    before_task = np.asarray(pd.unique(corpus)).tolist()
    if keep is not None and not keep.all():
        rows = np.flatnonzero(keep)
        X, y, corpus, emotions = _safe_indexing(X, rows), y[rows], corpus[rows], emotions[rows]
        groups = None if groups is None else groups[rows]
        conditions = {name: _safe_indexing(Xc, rows) for name, Xc in conditions.items()}
    scorers = get_scorers(scoring)
    if not (
        isinstance(error_score, numbers.Number)
        or (isinstance(error_score, str) and error_score == "raise")
    ):
        raise ValueError(f"error_score must be 'raise' or a number, got {error_score!r}.")
    if n_splits is not None and (
        not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool) or n_splits < 2
    ):
        raise ValueError(f"n_splits must be an integer >= 2 or None, got {n_splits!r}.")
    if (
        not isinstance(n_bootstrap, numbers.Integral)
        or isinstance(n_bootstrap, bool)
        or n_bootstrap < 0
    ):
        raise ValueError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}.")

    all_corpora = np.asarray(pd.unique(corpus)).tolist()
    if train_corpora is None:
        train_list = all_corpora
    else:
        train_list = [train_corpora] if isinstance(train_corpora, str) else list(train_corpora)
        missing = [c for entry in train_list for c in _members(entry) if c not in all_corpora]
        emptied = [c for c in missing if c in before_task]
        if emptied:
            raise ValueError(
                f"train_corpora {emptied} have no row left after task={task!r} mapped y (the "
                f"map drops all their emotions); corpora left: {all_corpora}."
            )
        if missing:
            raise ValueError(
                f"train_corpora {missing} are not in corpus; corpora present: {all_corpora}."
            )
    rows_of = {c: np.flatnonzero(corpus == c) for c in all_corpora}
    # A tuple of corpora in train_corpora is one pooled (multi-source) training set.
    members_of = {_pooled_name(e): _members(e) for e in train_list}
    train_list = list(members_of)
    for name, members in members_of.items():
        if name not in rows_of:
            rows_of[name] = np.sort(np.concatenate([rows_of[c] for c in members]))

    class_labels = _are_class_labels(y)
    if class_labels:
        for c in train_list:
            _check_training_set(y, rows_of[c], c, members_of[c], task, emotions)

    # One task per (training corpus, fold): the cross-corpus fit, then the within-corpus folds.
    tasks = []
    for c in train_list:
        others = [(d, rows_of[d]) for d in all_corpora if d not in members_of[c]]
        if others:
            tasks.append((c, "cross", rows_of[c], others, f"train {c!r}"))
        if n_splits is not None:
            folds = _within_folds(y, groups, rows_of[c], n_splits, c)
            for k, (tr, te) in enumerate(folds):
                label = f"train {c!r} fold {k + 1}/{n_splits}"
                if class_labels:
                    _check_fold(y, tr, label)
                tasks.append((c, "within", tr, [(c, te)], label))
    if not tasks:
        raise ValueError(
            "Nothing to evaluate: a single corpus with n_splits=None has no test data."
        )

    if not isinstance(transductive, bool | np.bool_):
        raise ValueError(f"transductive must be True or False, got {transductive!r}.")
    if transductive:
        marked = np.flatnonzero(~labelled_mask(y))
        if marked.size:
            raise ValueError(
                f"y holds {y[marked[:1]].tolist()[0]!r}, the unlabelled marker, at "
                f"{marked.size} row(s), first at row(s) {marked[:5].tolist()}; with "
                "transductive=True every row needs its label (the test labels are kept out of "
                "the fits, but scored against). Recode a class named -1 (e.g. to another integer)."
            )
    fit_and_score = _fit_and_score_transductive if transductive else _fit_and_score
    parallel = Parallel(n_jobs=n_jobs, verbose=max(0, verbose - 1) * 10)
    results = parallel(
        delayed(fit_and_score)(
            estimator, X, y, conditions, scorers, train_idx, tests, error_score, verbose, label,
            corpus, keep_predictions=kind == "within" or n_bootstrap > 0,
        )
        for _, kind, train_idx, tests, label in tasks
    )

    errors = [e for _, errs, _ in results for e in errs]
    if errors:
        warnings.warn(
            f"{len(errors)} fit(s) or score(s) of cross_corpus_evaluate failed; their value is "
            f"error_score={error_score!r}. First failure:\n{errors[0]}",
            FitFailedWarning,
            stacklevel=2,
        )

    # Predictions of every (train, test, condition): the cross-corpus test set as it is, the
    # within-corpus folds' out-of-fold predictions pooled in row order (None if one failed).
    pooled = {}
    for (c, _kind, _, tests, _), (_, _, preds) in zip(tasks, results):
        for test_name, test_idx in tests:
            for condition in [CLEAN, *conditions]:
                key = (c, test_name, condition)
                part = preds.get((test_name, condition))
                rows_, parts = pooled.setdefault(key, ([], []))
                rows_.append(test_idx)
                parts.append(part)

    def pooled_predictions(key):
        rows_, parts = pooled[key]
        if any(p is None for p in parts):
            return None, None
        idx = np.concatenate(rows_)
        return idx, np.concatenate(parts)

    rows = []
    for (c, kind, *_), (records, _, _) in zip(tasks, results):
        for test_name, condition, metric, value, n in records:
            rows.append((c, kind, test_name, condition, metric, value, n))
    raw = pd.DataFrame(rows, columns=["train", "kind", "test", "condition", "metric", "value", "n"])
    within = raw[raw["kind"] == "within"]
    cross = raw[raw["kind"] == "cross"].drop(columns="kind")
    keys = ["train", "test", "condition", "metric"]
    if len(within):
        within = (
            within.groupby(keys, sort=False, dropna=False)
            .agg(value=("value", _mean_keep_nan), n=("n", "sum"))
            .reset_index()
        )
        # Predict-based metrics: the score of the pooled out-of-fold predictions.
        for i, (c, test_name, condition, metric) in enumerate(
            within[keys].itertuples(index=False)
        ):
            scorer = scorers[metric]
            if not _is_prediction_scorer(scorer):
                continue  # needs fold models' probabilities or decision values: fold mean
            idx, y_pred = pooled_predictions((c, test_name, condition))
            value = error_score if idx is None else _score_predictions(scorer, y[idx], y_pred)
            within.iloc[i, within.columns.get_loc("value")] = value
    else:
        within = within.drop(columns="kind")
    table = pd.concat([within, cross], ignore_index=True)

    if n_bootstrap > 0:
        rng = np.random.default_rng(random_state)
        low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
        for i, (c, test_name, condition, metric) in enumerate(
            table[keys].itertuples(index=False)
        ):
            if metric != "uar" or scorers[metric] is not SCORERS["uar"]:
                continue
            idx, y_pred = pooled_predictions((c, test_name, condition))
            if idx is not None:
                low[i], high[i] = _bootstrap_uar(y[idx], y_pred, n_bootstrap, rng)
        table["ci_low"], table["ci_high"] = low, high

    order = {
        "train": {c: i for i, c in enumerate(train_list)},
        "condition": {c: i for i, c in enumerate([CLEAN, *conditions])},
        "metric": {m: i for i, m in enumerate(scorers)},
    }
    corpus_rank = {c: i for i, c in enumerate(all_corpora)}
    sort_key = pd.DataFrame(
        {
            "train": table["train"].map(order["train"]),
            "self": (table["test"] != table["train"]).astype(int),
            "test": table["test"].map(corpus_rank),
            "condition": table["condition"].map(order["condition"]),
            "metric": table["metric"].map(order["metric"]),
        }
    )
    table = table.loc[sort_key.sort_values(list(sort_key.columns), kind="stable").index]
    table = table.reset_index(drop=True)[
        COLUMNS + (["ci_low", "ci_high"] if n_bootstrap > 0 else [])
    ]
    table["value"] = table["value"].astype(float)
    table["n"] = table["n"].astype(int)
    return table


def summarise(table, *, metric="uar", index=None, columns="condition"):
    """Pivot a :func:`cross_corpus_evaluate` table to a wide table of one metric.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table with columns ``train``, ``test``, ``condition``, ``metric``, ``value``
        (several tables can be stacked with an extra ``pipeline`` column).
    metric : str, default="uar"
        Metric to show.
    index : list of str, default=None
        Row keys; by default ``["pipeline", "train", "test"]`` (``pipeline`` when present).
    columns : str, default="condition"
        Column key; its values keep their order of first appearance (``"clean"`` first).

    Returns
    -------
    wide : pandas.DataFrame
        The metric's values, one row per index key and one column per condition (NaN
        where a fit or score failed).

    Examples
    --------
    >>> import pandas as pd
    >>> from skser.model_selection import summarise
    >>> table = pd.DataFrame({"train": ["a", "a"], "test": ["b", "b"],
    ...                       "condition": ["clean", "white 0 dB"], "metric": ["uar", "uar"],
    ...                       "value": [0.6, 0.4], "n": [10, 10]})
    >>> summarise(table)
    condition   clean  white 0 dB
    train test
    a     b       0.6         0.4
    """
    missing = {"metric", "value", columns} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}; got {list(table.columns)}.")
    if index is None:
        index = [k for k in ("pipeline", "train", "test") if k in table.columns]
    else:
        index = [index] if isinstance(index, str) else list(index)
    sub = table[table["metric"] == metric]
    if sub.empty:
        raise ValueError(
            f"No rows with metric {metric!r}; metrics present: {list(pd.unique(table['metric']))}."
        )
    # Not pivot_table: it drops rows and columns whose values are all NaN, which would hide
    # the fits that failed with error_score=np.nan. Nor a NaN-skipping mean: with a coarser
    # index, a failed (train, test) pair must not vanish from its row's average.
    grouped = sub.groupby([*index, columns], sort=False, dropna=False)["value"]
    wide = grouped.agg(_mean_keep_nan)
    return wide.unstack(columns)[list(pd.unique(sub[columns]))]
