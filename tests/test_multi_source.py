"""Multi-source training in cross_corpus_evaluate: pooled corpora, corpus labels to EDRL."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.metrics import uar_score
from skser.model_selection import cross_corpus_evaluate
from skser.model_selection._evaluate import _edrl_group_params

EDRL = {"n_components": 3, "hidden_layer_sizes": (8,), "max_epochs": 3, "random_state": 0}


class RecordingEDRL(EDRLTransformer):
    """EDRL that records the ``groups`` each fit received (class-level, clones share it)."""

    seen: list = []

    def fit(self, X, y, groups=None):
        RecordingEDRL.seen.append(None if groups is None else np.asarray(groups).copy())
        return super().fit(X, y, groups=groups)


@pytest.fixture
def three_corpora():
    rng = np.random.default_rng(0)
    corpus = np.repeat(["a", "b", "c"], 30)
    y = np.tile(np.repeat(["hap", "sad", "ang"], 10), 3)
    codes = np.unique(y, return_inverse=True)[1]
    shift = np.unique(corpus, return_inverse=True)[1]
    X = rng.normal(size=(90, 5)) + 1.5 * codes[:, None] + 0.7 * shift[:, None]
    return X, y, corpus


def _edrl_mea(edrl):
    return Pipeline([("edrl", edrl), ("mea", MEATransformer(n_components=2)), ("svc", SVC())])


def test_group_params_reach_every_edrl_step():
    inner = Pipeline([("e", EDRLTransformer()), ("svc", SVC())])
    outer = Pipeline([("edrl", EDRLTransformer()), ("mea", MEATransformer()), ("inner", inner)])
    g = np.array(["a", "b"])
    params = _edrl_group_params(outer, g)
    assert list(params) == ["edrl__groups", "inner__e__groups"]
    assert all(v is g for v in params.values())
    assert _edrl_group_params(EDRLTransformer(), g) == {"groups": g}
    assert _edrl_group_params(SVC(), g) == {}
    assert _edrl_group_params(outer, None) == {}


def test_pooled_training_routes_the_corpus_labels_to_edrl(three_corpora):
    X, y, corpus = three_corpora
    RecordingEDRL.seen = []
    table = cross_corpus_evaluate(_edrl_mea(RecordingEDRL(**EDRL)), X, y, corpus,
                                  train_corpora=[("a", "b")], n_splits=None)
    assert table[["train", "test"]].values.tolist() == [["a+b", "c"]]
    assert table["n"].tolist() == [30]
    # one fit, on the rows of a and b, with their corpus labels as groups
    assert len(RecordingEDRL.seen) == 1
    np.testing.assert_array_equal(RecordingEDRL.seen[0], corpus[:60])
    # the score is that of the same pipeline fitted by hand with edrl__groups
    direct = _edrl_mea(EDRLTransformer(**EDRL)).fit(X[:60], y[:60], edrl__groups=corpus[:60])
    assert table["value"].iloc[0] == pytest.approx(uar_score(y[60:], direct.predict(X[60:])))
    ungrouped = _edrl_mea(EDRLTransformer(**EDRL)).fit(X[:60], y[:60])
    assert not np.array_equal(direct.named_steps["edrl"].transform(X),
                              ungrouped.named_steps["edrl"].transform(X))


def test_single_corpus_training_gets_no_groups(three_corpora):
    # one training corpus: the corpus label is constant, so EDRL is fitted as before
    X, y, corpus = three_corpora
    RecordingEDRL.seen = []
    table = cross_corpus_evaluate(_edrl_mea(RecordingEDRL(**EDRL)), X, y, corpus,
                                  train_corpora=["a"], n_splits=None)
    assert RecordingEDRL.seen == [None]
    direct = _edrl_mea(EDRLTransformer(**EDRL)).fit(X[:30], y[:30])
    b = table[(table["test"] == "b")]["value"].iloc[0]
    assert b == pytest.approx(uar_score(y[30:60], direct.predict(X[30:60])))


def test_leave_one_corpus_out_with_within_folds(three_corpora):
    X, y, corpus = three_corpora
    speakers = np.array([f"{c}{i % 3}" for i, c in enumerate(corpus)])
    held = [tuple(c for c in "abc" if c != t) for t in "abc"]
    RecordingEDRL.seen = []
    table = cross_corpus_evaluate(_edrl_mea(RecordingEDRL(**EDRL)), X, y, corpus, groups=speakers,
                                  train_corpora=held, n_splits=2)
    cross = table[table["train"] != table["test"]]
    assert cross[["train", "test"]].values.tolist() == [["b+c", "a"], ["a+c", "b"],
                                                        ["a+b", "c"]]
    within = table[table["train"] == table["test"]]
    assert within["train"].tolist() == ["b+c", "a+c", "a+b"]
    assert within["n"].tolist() == [60, 60, 60]
    # every fit spans two corpora and gets their labels (folds hold out speakers, not corpora)
    assert len(RecordingEDRL.seen) == 3 * (1 + 2)
    assert all(set(np.unique(g)) in ({"a", "b"}, {"a", "c"}, {"b", "c"})
               for g in RecordingEDRL.seen)


def test_unknown_corpus_in_a_pooled_entry_is_named(three_corpora):
    X, y, corpus = three_corpora
    with pytest.raises(ValueError, match=r"train_corpora \['z'\] are not in corpus"):
        cross_corpus_evaluate(SVC(), X, y, corpus, train_corpora=[("a", "z")])
