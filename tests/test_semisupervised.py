"""Unlabelled target rows: LabelledOnly, EDRL and the pipeline with -1/NaN masks, and the
transductive evaluation (no test label reaches a fit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, LabelledOnly, MEATransformer, labelled_rows
from skser.model_selection import FitFailedWarning, cross_corpus_evaluate

EDRL = {"n_components": 3, "hidden_layer_sizes": (16,), "max_epochs": 3, "random_state": 0}


@pytest.fixture
def data():
    """Three emotions in two 'corpora' (the second shifted): source labelled, target not."""
    rng = np.random.default_rng(0)
    n = 90
    y = np.tile(np.array(["angry", "happy", "sad"]), n // 3)
    centers = {"angry": 1.5, "happy": 0.0, "sad": -1.5}
    X = rng.normal(size=(n, 5)) + np.array([centers[c] for c in y])[:, None]
    corpus = np.repeat(["src", "tgt"], [60, 30])
    X[corpus == "tgt"] += 0.7
    return X, y, corpus


def _masked(y, rows, marker=-1):
    y = np.asarray(y, dtype=object).copy()
    y[rows] = marker
    return y


# --------------------------------------------------------------------------- labelled_rows


def test_labelled_rows_reads_minus_one_nan_and_negative_domains():
    assert labelled_rows([0, -1, 2]).tolist() == [True, False, True]
    assert labelled_rows([0.5, np.nan]).tolist() == [True, False]
    assert labelled_rows(np.array(["a", -1], dtype=object)).tolist() == [True, False]
    # skada: positive sample_domain is a source, negative a target (unlabelled).
    assert labelled_rows([0, 1, 2], sample_domain=[1, 2, -1]).tolist() == [True, True, False]


@pytest.mark.parametrize(
    "domain, match",
    [([1, 2], "one domain per row"), ([1, 0, -1], "non-zero integers"),
     ([1.0, 2.0, -1.0], "non-zero integers")],
)
def test_labelled_rows_refuses_bad_domains(domain, match):
    with pytest.raises(ValueError, match=match):
        labelled_rows([0, 1, 2], sample_domain=domain)


# --------------------------------------------------------------------------- LabelledOnly


def test_labelled_only_equals_the_estimator_fitted_on_the_labelled_rows(data):
    X, y, corpus = data
    target = corpus == "tgt"
    wrapped = LabelledOnly(SVC()).fit(X, _masked(y, target))
    reference = SVC().fit(X[~target], y[~target])
    assert wrapped.classes_.tolist() == ["angry", "happy", "sad"]
    assert wrapped.n_labelled_ == 60 and wrapped.n_features_in_ == 5
    np.testing.assert_array_equal(wrapped.predict(X), reference.predict(X))
    np.testing.assert_array_equal(wrapped.decision_function(X), reference.decision_function(X))
    assert wrapped.score(X, y) == reference.score(X, y)


def test_labelled_only_regressor_with_nan_targets():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    t = X @ [1.0, -2.0, 0.5]
    t_masked = t.copy()
    t_masked[::4] = np.nan
    wrapped = LabelledOnly(Ridge()).fit(X, t_masked)
    reference = Ridge().fit(X[~np.isnan(t_masked)], t[~np.isnan(t_masked)])
    np.testing.assert_array_equal(wrapped.predict(X), reference.predict(X))
    assert wrapped.n_labelled_ == 30


def test_labelled_only_cuts_sample_weight_and_reads_sample_domain(data):
    X, y, corpus = data
    weights = np.linspace(0.5, 2.0, len(y))
    domain = np.where(corpus == "src", 1, -2)
    # Target rows keep their labels here: sample_domain alone marks them (skada's way).
    wrapped = LabelledOnly(LogisticRegression()).fit(
        X, y, sample_domain=domain, sample_weight=weights
    )
    src = corpus == "src"
    reference = LogisticRegression().fit(X[src], y[src], sample_weight=weights[src])
    np.testing.assert_allclose(wrapped.predict_proba(X), reference.predict_proba(X))


def test_labelled_only_keeps_dataframe_columns(data):
    X, y, corpus = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    wrapped = LabelledOnly(LogisticRegression()).fit(frame, _masked(y, corpus == "tgt"))
    assert wrapped.feature_names_in_.tolist() == list(frame.columns)


def test_labelled_only_errors(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="All 90 rows of y are unlabelled"):
        LabelledOnly(SVC()).fit(X, np.full(len(y), -1))
    with pytest.raises(ValueError, match="one label per row"):
        LabelledOnly(SVC()).fit(X, y[:10])
    # A class named -1 ({-1, 1} labels): only one labelled class is left, with the hint.
    with pytest.raises(ValueError, match=r"all have the class 1.*recode the labels"):
        LabelledOnly(SVC()).fit(X, np.where(y == "angry", -1, 1))


def test_labelled_only_exposes_only_what_the_estimator_has():
    assert hasattr(LabelledOnly(LogisticRegression()), "predict_proba")
    assert not hasattr(LabelledOnly(SVC()), "predict_proba")
    assert not hasattr(LabelledOnly(SVC()), "transform")


# --------------------------------------------------------------------------- EDRL


def test_edrl_trains_on_the_labelled_rows_and_standardises_with_all(data):
    X, y, corpus = data
    src = corpus == "src"
    # Unlabelled rows at mean ± std leave every column's mean and standard deviation as they
    # are: the fit must then equal the fit without them (the networks never see them).
    m, s = X[src].mean(axis=0), X[src].std(axis=0)
    extra = np.vstack([m + s, m - s] * 5)
    X_all = np.vstack([X[src], extra])
    y_all = np.concatenate([y[src].astype(object), np.full(len(extra), -1, dtype=object)])
    with_unlabelled = EDRLTransformer(**EDRL).fit(X_all, y_all)
    without = EDRLTransformer(**EDRL).fit(X[src], y[src])
    np.testing.assert_allclose(with_unlabelled.mean_, without.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(with_unlabelled.scale_, without.scale_, rtol=1e-12)
    np.testing.assert_allclose(with_unlabelled.transform(X), without.transform(X), atol=1e-5)
    assert with_unlabelled.classes_.tolist() == ["angry", "happy", "sad"]
    assert with_unlabelled.n_unlabelled_ == 10 and without.n_unlabelled_ == 0


def test_edrl_standardisation_uses_the_unlabelled_rows(data):
    X, y, corpus = data
    edrl = EDRLTransformer(**EDRL).fit(X, _masked(y, corpus == "tgt"))
    np.testing.assert_allclose(edrl.mean_, X.mean(axis=0))
    np.testing.assert_allclose(edrl.scale_, X.std(axis=0))


@pytest.mark.parametrize("labels", ["int", "float", "object"])
def test_edrl_accepts_minus_one_and_nan_masks(data, labels):
    X, y, corpus = data
    codes = np.unique(y, return_inverse=True)[1]
    tgt = corpus == "tgt"
    if labels == "int":
        y_in = np.where(tgt, -1, codes)
    elif labels == "float":
        y_in = np.where(tgt, np.nan, codes.astype(float))
    else:
        y_in = _masked(y, tgt)  # -1 among strings (None or NaN there is a missing label)
    groups = np.where(np.arange(len(y)) % 2, "s1", "s2")
    edrl = EDRLTransformer(**EDRL).fit(X, y_in, groups=groups)
    assert len(edrl.classes_) == 3 and edrl.n_unlabelled_ == 30
    assert edrl.transform(X).shape == (90, 11)


def test_edrl_bad_masks(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="All 90 rows of y are unlabelled"):
        EDRLTransformer(**EDRL).fit(X, np.full(len(y), np.nan))
    with pytest.raises(ValueError, match=r"at least two classes.*recode the labels"):
        EDRLTransformer(**EDRL).fit(X, np.where(y == "angry", -1, 1))


def test_edrl_failed_fit_with_a_mask_keeps_the_previous_fit(data):
    X, y, _ = data
    edrl = EDRLTransformer(**EDRL).fit(X, y)
    Z = edrl.transform(X)
    with pytest.raises(ValueError, match="unlabelled"):
        edrl.fit(X[:, :3], np.full(len(y), -1))
    np.testing.assert_array_equal(edrl.transform(X), Z)


# --------------------------------------------------------------------------- the pipeline


def _pipeline(classifier=None):
    return Pipeline([
        ("edrl", EDRLTransformer(**EDRL)),
        ("mea", MEATransformer()),
        ("clf", LabelledOnly(classifier or SVC())),
    ])


@pytest.mark.parametrize("labels", ["object", "float"])
def test_pipeline_fits_source_labels_with_unlabelled_target_rows(data, labels):
    X, y, corpus = data
    tgt = corpus == "tgt"
    if labels == "object":
        y_in, classes = _masked(y, tgt), ["angry", "happy", "sad"]
    else:  # float labels mark unlabelled rows with NaN
        y_in = np.where(tgt, np.nan, np.unique(y, return_inverse=True)[1].astype(float))
        classes = [0.0, 1.0, 2.0]
    pipe = _pipeline().fit(X, y_in)
    assert pipe.classes_.tolist() == classes
    mea = pipe.named_steps["mea"]
    assert mea.n_samples_seen_ == 90 and mea.n_labelled_seen_ == 60
    assert mea.response_type_ == "labels"
    assert set(pipe.predict(X[tgt])) <= set(classes)
    # The unlabelled rows shape the transformers: the fit differs from the source-only one.
    source_only = _pipeline().fit(X[~tgt], y_in[~tgt])
    assert not np.allclose(
        mea.x_rotations_, source_only.named_steps["mea"].x_rotations_
    )


def test_pipeline_with_dataframe_and_integer_labels(data):
    X, y, corpus = data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    codes = np.unique(y, return_inverse=True)[1]
    pipe = _pipeline(LogisticRegression()).fit(frame, np.where(corpus == "tgt", -1, codes))
    assert pipe.classes_.tolist() == [0, 1, 2]
    assert pipe.predict_proba(frame).shape == (90, 3)


# --------------------------------------------------------------------------- evaluation

FITS = []


def _fitted_state(obj, prefix=""):
    """Every fitted attribute (trailing underscore) of ``obj`` and its steps, as arrays."""
    out = {}
    if isinstance(obj, Pipeline):
        for name, step in obj.steps:
            out.update(_fitted_state(step, f"{name}."))
        return out
    for name, value in vars(obj).items():
        if not name.endswith("_") or name.startswith("_"):
            continue
        key = prefix + name
        if isinstance(value, torch.nn.Module):
            for k, v in value.state_dict().items():
                out[f"{key}.{k}"] = v.detach().cpu().numpy()
        elif isinstance(value, BaseEstimator):
            out.update(_fitted_state(value, key + "."))
        elif isinstance(value, list) and name == "history_":
            continue  # epoch times differ between runs
        else:
            out[key] = value
    return out


def _assert_same(a, b, key):
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), key
        for x, z in zip(a, b):
            _assert_same(x, z, key)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), key
        for k in a:
            _assert_same(a[k], b[k], f"{key}[{k}]")
    else:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=key)


class _Recorder(ClassifierMixin, BaseEstimator):
    """The transductive pipeline, recording what each fit saw and what it became."""

    def fit(self, X, y):
        self.pipe_ = _pipeline().fit(X, y)
        self.classes_ = self.pipe_.classes_
        self.seen_ = (np.asarray(X).copy(), np.asarray(y, dtype=object).copy())
        FITS.append(self)
        return self

    def predict(self, X):
        return self.pipe_.predict(X)


def _three_corpora(data):
    X, y, _ = data
    rng = np.random.default_rng(3)
    X3 = np.vstack([X, X[:30] + rng.normal(scale=0.3, size=(30, 5)) - 0.5])
    y3 = np.concatenate([y, y[:30]])
    corpus = np.repeat(["A", "B", "C"], 40)
    noisy = {"noise 0 dB": X3 + rng.normal(size=X3.shape)}
    return X3, y3, corpus, noisy


def test_transductive_evaluation_leaks_no_test_label(data):
    X, y, corpus, noisy = _three_corpora(data)
    test = corpus != "A"
    y_changed = y.copy()
    y_changed[test] = np.roll(y[test], 7)  # every test label changed (a label shift)
    assert (y_changed[test] != y[test]).all()

    runs = []
    for labels in (y, y_changed):
        FITS.clear()
        cross_corpus_evaluate(_Recorder(), X, labels, corpus, conditions=noisy, n_splits=None,
                              train_corpora=["A"], transductive=True, error_score="raise")
        runs.append(list(FITS))
    # One fit per test corpus and condition.
    assert len(runs[0]) == len(runs[1]) == 4
    for first, second in zip(*runs):
        a, b = _fitted_state(first.pipe_), _fitted_state(second.pipe_)
        assert a.keys() == b.keys() and len(a) > 30
        for key in a:
            _assert_same(a[key], b[key], key)
        np.testing.assert_array_equal(first.predict(X), second.predict(X))
        np.testing.assert_array_equal(first.seen_[0], second.seen_[0])


def test_transductive_fit_sees_exactly_the_scored_rows_unlabelled(data):
    X, y, corpus, noisy = _three_corpora(data)
    FITS.clear()
    cross_corpus_evaluate(_Recorder(), X, y, corpus, conditions=noisy, n_splits=None,
                          train_corpora=["A"], transductive=True, error_score="raise")
    expected = [(d, X_c) for d in ("B", "C") for X_c in (X, noisy["noise 0 dB"])]
    for fit, (test_corpus, X_c) in zip(FITS, expected):
        X_seen, y_seen = fit.seen_
        train = corpus == "A"
        n_train = train.sum()
        np.testing.assert_array_equal(X_seen[:n_train], X[train])
        assert (y_seen[:n_train] == y[train]).all()
        np.testing.assert_array_equal(X_seen[n_train:], X_c[corpus == test_corpus])
        assert (y_seen[n_train:] == -1).all()


def test_transductive_table_has_the_inductive_layout(data):
    X, y, corpus, noisy = _three_corpora(data)
    pipe = _pipeline()
    inductive = cross_corpus_evaluate(pipe, X, y, corpus, conditions=noisy, n_splits=2,
                                      train_corpora=["A"])
    transductive = cross_corpus_evaluate(pipe, X, y, corpus, conditions=noisy, n_splits=2,
                                         train_corpora=["A"], transductive=True)
    cols = ["train", "test", "condition", "metric", "n"]
    pd.testing.assert_frame_equal(inductive[cols], transductive[cols])
    assert transductive["value"].between(0, 1).all()


def test_transductive_refuses_a_classifier_that_learns_the_marker(data):
    X, y, corpus, _ = _three_corpora(data)
    codes = np.unique(y, return_inverse=True)[1]
    plain = Pipeline([("edrl", EDRLTransformer(**EDRL)), ("svc", SVC())])
    # Integer labels: SVC would fit -1 as a fourth class.
    with pytest.raises(ValueError, match=r"-1 \(the unlabelled marker\).*LabelledOnly"):
        cross_corpus_evaluate(plain, X, codes, corpus, n_splits=None, train_corpora=["A"],
                              transductive=True, error_score="raise")
    with pytest.warns(FitFailedWarning, match="LabelledOnly"):
        table = cross_corpus_evaluate(plain, X, codes, corpus, n_splits=None,
                                      train_corpora=["A"], transductive=True)
    assert table["value"].isna().all()
    # String labels: SVC cannot even sort -1 with the emotion names; the error says why.
    with pytest.raises(ValueError, match=r"final step SVC may take -1 for a class.*LabelledOnly"):
        cross_corpus_evaluate(plain, X, y, corpus, n_splits=None, train_corpora=["A"],
                              transductive=True, error_score="raise")


def test_transductive_refuses_labels_that_look_unlabelled(data):
    X, y, corpus, _ = _three_corpora(data)
    codes = np.unique(y, return_inverse=True)[1] - 1  # classes -1, 0, 1
    with pytest.raises(ValueError, match=r"y holds -1, the unlabelled marker.*Recode"):
        cross_corpus_evaluate(_pipeline(), X, codes, corpus, transductive=True)
    with pytest.raises(ValueError, match="transductive must be True or False"):
        cross_corpus_evaluate(_pipeline(), X, y, corpus, transductive="yes")


def test_transductive_float_labels_use_nan(data):
    X, y, corpus, _ = _three_corpora(data)
    codes = np.unique(y, return_inverse=True)[1].astype(float)
    FITS.clear()
    cross_corpus_evaluate(_Recorder(), X, codes, corpus, n_splits=None, train_corpora=["A"],
                          transductive=True, error_score="raise")
    y_seen = FITS[0].seen_[1].astype(float)
    assert np.isnan(y_seen[40:]).all() and not np.isnan(y_seen[:40]).any()


def test_edrl_unlabelled_weight(data):
    X, y, corpus = data
    y_masked = _masked(y, corpus == "tgt")
    default = EDRLTransformer(**EDRL).fit(X, y_masked).transform(X)
    zero = EDRLTransformer(**EDRL, unlabelled_weight=0.0).fit(X, y_masked).transform(X)
    weighted = EDRLTransformer(**EDRL, unlabelled_weight=1.0).fit(X, y_masked).transform(X)
    np.testing.assert_array_equal(default, zero)
    assert np.abs(weighted - default).max() > 1e-3
    # Without unlabelled rows the weight changes nothing.
    src = corpus == "src"
    np.testing.assert_array_equal(
        EDRLTransformer(**EDRL, unlabelled_weight=1.0).fit(X[src], y[src]).transform(X),
        EDRLTransformer(**EDRL).fit(X[src], y[src]).transform(X),
    )
    with pytest.raises(ValueError, match="unlabelled_weight"):
        EDRLTransformer(unlabelled_weight=-1.0).fit(X, y)


def test_self_training_classifier_can_end_the_pipeline(data):
    # scikit-learn's SelfTrainingClassifier reads the same -1 marker (object labels).
    from sklearn.semi_supervised import SelfTrainingClassifier

    X, y, corpus = data
    pipe = Pipeline([
        ("edrl", EDRLTransformer(**EDRL)),
        ("mea", MEATransformer()),
        ("clf", SelfTrainingClassifier(LogisticRegression())),
    ]).fit(X, _masked(y, corpus == "tgt"))
    assert pipe.classes_.tolist() == ["angry", "happy", "sad"]
    assert pipe.named_steps["mea"].n_labelled_seen_ == 60
    assert set(pipe.predict(X)) <= {"angry", "happy", "sad"}
