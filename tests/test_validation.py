"""Checks shared by the public API: missing labels, and refits that fail."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.model_selection import CorpusSplit, LeaveOneCorpusOut, cross_corpus_evaluate
from skser.preprocessing import GroupStandardScaler, standardize_per_group

FAST = {"max_epochs": 3, "n_components": 4, "hidden_layer_sizes": (16,), "random_state": 0}
MISSING = "missing label"


def _data(n=40, p=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = np.array(["ang", "hap", "neu", "sad"] * (n // 4))
    corpus = np.repeat(["emodb", "urdu"], n // 2)
    speaker = np.array([f"s{i % 6}" for i in range(n)], dtype=object)
    return X, y, corpus, speaker


def _with_missing(labels, value, rows=(3, 7)):
    labels = np.asarray(labels, dtype=object).copy()
    labels[list(rows)] = value
    return labels


@pytest.mark.parametrize("value", [None, np.nan])
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda X, y, c, g: standardize_per_group(X, g), id="standardize_per_group"),
        pytest.param(lambda X, y, c, g: GroupStandardScaler().fit(X, groups=g), id="scaler.fit"),
        pytest.param(
            lambda X, y, c, g: GroupStandardScaler().fit(X).transform(X, groups=g),
            id="scaler.transform",
        ),
        pytest.param(
            lambda X, y, c, g: EDRLTransformer(**FAST).fit(X, y, groups=g), id="edrl.groups"
        ),
        pytest.param(
            lambda X, y, c, g: cross_corpus_evaluate(SVC(), X, y, c, groups=g, n_splits=None),
            id="evaluate.groups",
        ),
        pytest.param(
            lambda X, y, c, g: list(LeaveOneCorpusOut().split(X, groups=g)), id="loco"
        ),
        pytest.param(
            lambda X, y, c, g: list(CorpusSplit("s0").split(X, groups=g)), id="corpus_split"
        ),
    ],
)
def test_missing_labels_are_refused_with_their_rows(call, value):
    # Speakers that load_corpus cannot name are missing (None); sorting them used to fail
    # with "'<' not supported between instances of 'NoneType'", and NaN silently formed a
    # group of its own for every row.
    X, y, corpus, speaker = _data()
    with pytest.raises(ValueError, match=rf"has 2 {MISSING}\(s\) .*first at row\(s\) \[3, 7\]"):
        call(X, y, corpus, _with_missing(speaker, value))


@pytest.mark.parametrize("value", [None, np.nan, -1])
def test_edrl_reads_missing_emotion_labels_as_unlabelled_rows(value):
    # scikit-learn's semi-supervised convention: such rows enter the standardisation only.
    X, y, _, _ = _data()
    edrl = EDRLTransformer(**FAST).fit(X, _with_missing(y, value))
    assert edrl.n_unlabelled_ == 2
    assert edrl.classes_.tolist() == ["ang", "hap", "neu", "sad"]


def test_missing_corpus_label_is_refused_by_the_evaluation():
    X, y, corpus, _ = _data()
    with pytest.raises(ValueError, match=rf"corpus has 1 {MISSING}"):
        cross_corpus_evaluate(SVC(), X, y, _with_missing(corpus, None, rows=(0,)))


def test_mea_ignores_missing_labels_of_a_y_it_does_not_use():
    X, _, _, speaker = _data()
    with_y = MEATransformer(response="input", n_components=2).fit(X, _with_missing(speaker, None))
    without = MEATransformer(response="input", n_components=2).fit(X)
    np.testing.assert_array_equal(with_y.transform(X), without.transform(X))


def test_edrl_failed_refit_keeps_the_previous_fit():
    X, y, _, _ = _data()
    edrl = EDRLTransformer(**FAST).fit(X, y)
    Z = edrl.transform(X)
    with pytest.raises(ValueError, match="at least two classes"):
        edrl.fit(X[:, :3], np.zeros(len(X)))
    assert edrl.n_features_in_ == X.shape[1]
    assert edrl.classes_.tolist() == ["ang", "hap", "neu", "sad"]
    np.testing.assert_array_equal(edrl.transform(X), Z)


def test_edrl_failed_first_fit_leaves_it_unfitted():
    X, _, _, _ = _data()
    edrl = EDRLTransformer(**FAST)
    with pytest.raises(ValueError, match="at least two classes"):
        edrl.fit(X, np.zeros(len(X)))
    assert not hasattr(edrl, "n_features_in_") and not hasattr(edrl, "classes_")


@pytest.mark.parametrize("value", [None, np.nan])
def test_mea_reads_missing_labels_as_unlabelled_rows(value):
    X, _, _, speaker = _data()
    mea = MEATransformer().fit(X, _with_missing(speaker, value))
    assert mea.n_samples_seen_ == 40 and mea.n_labelled_seen_ == 38


def test_mea_failed_refit_keeps_the_previous_fit():
    X, y, _, _ = _data()
    mea = MEATransformer(response="labels").fit(X, y)
    T = mea.transform(X)
    with pytest.raises(ValueError, match="all 40 rows of y are unlabelled"):
        mea.fit(X[:, :3], np.full(len(y), -1))
    assert mea.n_features_in_ == X.shape[1]
    np.testing.assert_array_equal(mea.transform(X), T)


def test_mea_bad_chunk_keeps_the_rows_seen_so_far():
    X, y, _, _ = _data(n=80)
    classes = np.unique(y)
    streamed = MEATransformer().partial_fit(X[:40], y[:40], classes=classes)
    with pytest.raises(ValueError, match="not in classes"):
        streamed.partial_fit(X[40:60], np.array(["fear"] * 20))
    assert streamed.n_samples_seen_ == 40
    streamed.partial_fit(X[40:], y[40:])
    np.testing.assert_allclose(
        streamed.transform(X), MEATransformer().fit(X, y).transform(X), atol=1e-10
    )
