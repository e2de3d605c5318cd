"""Corpus splitters and the cross-corpus evaluation table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from skser.metrics import SCORERS, uar_score, wa_score
from skser.model_selection import (
    CorpusSplit,
    FitFailedWarning,
    LeaveOneCorpusOut,
    MissingClassesWarning,
    cross_corpus_evaluate,
    summarise,
    train_test_corpus_split,
)

SIZES = {"A": 60, "B": 45, "C": 30}


@pytest.fixture
def corpora():
    """Three synthetic corpora with a corpus offset, 3 emotions, and 5 speakers each."""
    X, y = make_classification(
        n_samples=sum(SIZES.values()),
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        class_sep=2.0,
        random_state=0,
    )
    corpus = np.repeat(list(SIZES), list(SIZES.values()))
    X = X + (corpus == "B")[:, None] * 0.5
    speakers = np.array([f"{c}{i % 5}" for i, c in enumerate(corpus)])
    noise = np.random.default_rng(1).normal(size=X.shape)
    conditions = {"white 0 dB": X + 2 * noise, "white 10 dB": X + 0.5 * noise}
    return X, y, corpus, speakers, conditions


# --------------------------------------------------------------------------- splitters


def test_leave_one_corpus_out(corpora):
    X, y, corpus, _, _ = corpora
    cv = LeaveOneCorpusOut()
    assert cv.get_n_splits(groups=corpus) == 3
    seen = []
    for train, test in cv.split(X, y, groups=corpus):
        (held_out,) = np.unique(corpus[test])
        seen.append(held_out)
        assert held_out not in set(corpus[train])
        assert len(train) + len(test) == len(X)
    assert sorted(seen) == ["A", "B", "C"]


def test_leave_one_corpus_out_in_grid_search(corpora):
    X, y, corpus, _, _ = corpora
    grid = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        cv=LeaveOneCorpusOut(),
        scoring=SCORERS,
        refit="uar",
    ).fit(X, y, groups=corpus)
    assert len(grid.cv_results_["split2_test_uar"]) == 2
    res = cross_validate(LogisticRegression(), X, y, groups=corpus, cv=LeaveOneCorpusOut())
    assert len(res["test_score"]) == 3


def test_leave_one_corpus_out_errors(corpora):
    X, y, corpus, _, _ = corpora
    with pytest.raises(ValueError, match="groups=corpus"):
        next(LeaveOneCorpusOut().split(X, y))
    with pytest.raises(ValueError, match="at least two corpora, got 1"):
        next(LeaveOneCorpusOut().split(X, y, groups=["A"] * len(X)))
    with pytest.raises(ValueError, match="groups=corpus"):
        LeaveOneCorpusOut().get_n_splits()


def test_corpus_split(corpora):
    X, y, corpus, _, _ = corpora
    ((train, test),) = CorpusSplit(train="A", test="C").split(X, groups=corpus)
    assert set(corpus[train]) == {"A"} and set(corpus[test]) == {"C"}
    ((train, test),) = CorpusSplit(train=["A", "B"]).split(X, groups=corpus)
    assert set(corpus[test]) == {"C"} and len(train) == 105
    assert CorpusSplit("A").get_n_splits() == 1
    res = cross_validate(
        LogisticRegression(), X, y, groups=corpus, cv=CorpusSplit("A", "B"), scoring="accuracy"
    )
    manual = LogisticRegression().fit(X[corpus == "A"], y[corpus == "A"])
    assert res["test_score"][0] == pytest.approx(manual.score(X[corpus == "B"], y[corpus == "B"]))


@pytest.mark.parametrize(
    ("train", "test", "match"),
    [
        ("Z", None, r"train corpora \['Z'\] are not in groups"),
        ("A", "Z", r"test corpora \['Z'\]"),
        ("A", ["A", "B"], r"corpora \['A'\] are both in train and in test"),
        (["A", "B", "C"], None, "no test rows"),
    ],
)
def test_corpus_split_errors(corpora, train, test, match):
    X, _, corpus, _, _ = corpora
    with pytest.raises(ValueError, match=match):
        next(CorpusSplit(train, test).split(X, groups=corpus))


def test_train_test_corpus_split(corpora):
    X, y, corpus, _, _ = corpora
    df = pd.DataFrame(X)
    X_tr, X_te, y_tr, y_te = train_test_corpus_split(df, y, corpus=corpus, train="B", test="A")
    assert isinstance(X_tr, pd.DataFrame) and len(X_tr) == 45 and len(X_te) == 60
    np.testing.assert_array_equal(y_te, y[corpus == "A"])


# --------------------------------------------------------------------------- evaluation


def test_table_shape_and_format(corpora):
    X, y, corpus, speakers, conditions = corpora
    table = cross_corpus_evaluate(
        LogisticRegression(),
        X,
        y,
        corpus,
        conditions=conditions,
        groups=speakers,
        scoring=["uar", "wa"],
        n_splits=3,
    )
    assert list(table.columns) == ["train", "test", "condition", "metric", "value", "n"]
    assert len(table) == 3 * 3 * 3 * 2
    assert not table.duplicated(["train", "test", "condition", "metric"]).any()
    assert table["value"].between(0, 1).all()
    for test_corpus, size in SIZES.items():
        assert (table.loc[table["test"] == test_corpus, "n"] == size).all()
    first = table.iloc[:6]
    assert first["train"].eq("A").all() and first["test"].eq("A").all()
    assert first["condition"].tolist() == ["clean"] * 2 + ["white 0 dB"] * 2 + ["white 10 dB"] * 2
    assert first["metric"].tolist() == ["uar", "wa"] * 3
    # clean is easier than 0 dB on average
    mean = table[table.metric == "uar"].groupby("condition")["value"].mean()
    assert mean["clean"] > mean["white 0 dB"]


def test_cross_values_match_a_manual_fit(corpora):
    X, y, corpus, _, conditions = corpora
    table = cross_corpus_evaluate(
        SVC(), X, y, corpus, conditions=conditions, scoring=("uar", "wa"), n_splits=None
    )
    assert not (table["train"] == table["test"]).any()
    a, b = corpus == "A", corpus == "B"
    fitted = SVC().fit(X[a], y[a])
    pred = fitted.predict(conditions["white 10 dB"][b])
    row = table.query("train == 'A' and test == 'B' and condition == 'white 10 dB'")
    assert row.set_index("metric")["value"]["uar"] == pytest.approx(uar_score(y[b], pred))
    assert row.set_index("metric")["value"]["wa"] == pytest.approx(wa_score(y[b], pred))


def test_within_values_score_the_pooled_out_of_fold_predictions(corpora):
    X, y, corpus, _, conditions = corpora
    table = cross_corpus_evaluate(
        LogisticRegression(),
        X,
        y,
        corpus,
        conditions=conditions,
        n_splits=4,
        train_corpora=["B"],
        scoring=["uar", "macro_f1"],
    )
    rows = np.flatnonzero(corpus == "B")
    pred = np.empty(len(rows), dtype=y.dtype)
    fold_scores = []
    for tr, te in StratifiedKFold(4).split(X[rows], y[rows]):
        est = LogisticRegression().fit(X[rows[tr]], y[rows[tr]])
        pred[te] = est.predict(conditions["white 0 dB"][rows[te]])
        fold_scores.append(uar_score(y[rows[te]], pred[te]))
    row = table.query("train == 'B' and test == 'B' and condition == 'white 0 dB'")
    values = row.set_index("metric")["value"]
    assert values["uar"] == pytest.approx(uar_score(y[rows], pred))
    assert values["macro_f1"] == pytest.approx(f1_score(y[rows], pred, average="macro"))
    assert values["uar"] != pytest.approx(np.mean(fold_scores))  # not the fold mean
    assert (row["n"] == SIZES["B"]).all()


def test_within_folds_lacking_emotions_warn_and_are_pooled():
    # Each speaker says one emotion only (as in URDU): speaker-independent test folds lack
    # whole emotions, so fold-averaged recalls are over different emotion sets.
    rng = np.random.default_rng(0)
    speakers = np.repeat(["s0", "s1", "s2"], 12)
    y = np.array([*["ang"] * 10, "hap", "hap"] + [*["hap"] * 10, "neu", "neu"]
                  + [*["neu"] * 10, "ang", "ang"])
    X = rng.normal(size=(36, 3)) + (y[:, None] == np.array(["ang", "hap", "neu"])) * 1.5
    corpus = np.repeat("U", 36)
    with pytest.warns(MissingClassesWarning, match=r"corpus 'U': 3 of 3 .*test folds lack"):
        table = cross_corpus_evaluate(LogisticRegression(), X, y, corpus, groups=speakers,
                                      n_splits=3, scoring=["uar", "macro_f1"])
    pred = np.empty(36, dtype=y.dtype)
    fold_uar = []
    for tr, te in StratifiedGroupKFold(3).split(X, y, speakers):
        pred[te] = LogisticRegression().fit(X[tr], y[tr]).predict(X[te])
        fold_uar.append(uar_score(y[te], pred[te]))
    values = table.set_index("metric")["value"]
    assert values["uar"] == pytest.approx(uar_score(y, pred))
    assert values["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert values["uar"] != pytest.approx(np.mean(fold_uar))


def test_bootstrap_interval_of_the_uar_matches_a_direct_resampling(corpora):
    X, y, corpus, _, _ = corpora
    keep = corpus != "C"
    table = cross_corpus_evaluate(SVC(), X[keep], y[keep], corpus[keep], n_splits=None,
                                  train_corpora=["A"], scoring=["uar", "wa"],
                                  n_bootstrap=200, random_state=7)
    assert list(table.columns) == ["train", "test", "condition", "metric", "value", "n",
                                   "ci_low", "ci_high"]
    b = corpus == "B"
    pred = SVC().fit(X[corpus == "A"], y[corpus == "A"]).predict(X[b])
    idx = np.random.default_rng(7).integers(0, b.sum(), size=(200, b.sum()))
    boot = [uar_score(y[b][i], pred[i]) for i in idx]
    uar = table.set_index("metric").loc["uar"]
    np.testing.assert_allclose([uar["ci_low"], uar["ci_high"]],
                               np.percentile(boot, [2.5, 97.5]))
    assert uar["ci_low"] <= uar["value"] <= uar["ci_high"]
    assert np.isnan(table.set_index("metric").loc["wa", "ci_low"])  # UAR only
    with pytest.raises(ValueError, match="n_bootstrap must be an integer >= 0, got -1"):
        cross_corpus_evaluate(SVC(), X, y, corpus, n_bootstrap=-1)


class Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class and logs the first column of what it is fitted on."""

    log: list = []

    def fit(self, X, y):
        X = np.asarray(X)
        type(self).log.append(("fit", X[:, 0].copy(), np.asarray(y).copy()))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        X = np.asarray(X)
        type(self).log.append(("predict", X[:, 0].copy(), None))
        return np.full(len(X), self.majority_)


def _with_row_ids(X, conditions):
    """Column 0 holds the row id in X, and minus (id + 1) in every condition."""
    ids = np.arange(len(X), dtype=float)
    X = np.column_stack([ids, X])
    conditions = {k: np.column_stack([-(ids + 1), v]) for k, v in conditions.items()}
    return X, conditions


def test_fits_see_only_clean_training_rows_and_folds_are_speaker_independent(corpora):
    X, y, corpus, speakers, conditions = corpora
    X, conditions = _with_row_ids(X, conditions)
    Recorder.log = []
    cross_corpus_evaluate(
        Recorder(), X, y, corpus, conditions=conditions, groups=speakers, n_splits=5
    )
    log = Recorder.log
    fits = [ids.astype(int) for kind, ids, _ in log if kind == "fit"]
    assert len(fits) == 3 * (1 + 5)
    for ids in fits:
        assert (ids >= 0).all(), "a condition matrix reached fit"
        assert len(set(corpus[ids])) == 1, "a fit mixed corpora"
    # within-corpus: each fit is followed by predictions on its held-out fold
    for i, entry in enumerate(log):
        if entry[0] != "fit":
            continue
        train_ids = entry[1].astype(int)
        following = []
        for kind, ids, _ in log[i + 1 :]:
            if kind == "fit":
                break
            following.append(np.where(ids < 0, -ids - 1, ids).astype(int))
        test_ids = np.concatenate(following)
        assert not set(train_ids) & set(test_ids)
        if set(corpus[test_ids]) == set(corpus[train_ids]):  # a within-corpus fold
            assert not set(speakers[train_ids]) & set(speakers[test_ids])


def test_no_test_information_leaks_into_fitting(corpora, rng):
    X, y, corpus, speakers, conditions = corpora
    kwargs = dict(groups=speakers, n_splits=3, train_corpora=["A", "B"], scoring=("uar", "wa"))
    X_ids, cond_ids = _with_row_ids(X, conditions)
    Recorder.log = []
    base = cross_corpus_evaluate(
        LogisticRegression(), X, y, corpus, conditions=conditions, **kwargs
    )
    cross_corpus_evaluate(Recorder(), X_ids, y, corpus, conditions=cond_ids, **kwargs)
    fits_before = [(ids, yy) for kind, ids, yy in Recorder.log if kind == "fit"]

    # Alter the test-only corpus C arbitrarily (features, labels, conditions), and every
    # condition matrix on every row: nothing that is fitted may change.
    c = corpus == "C"
    X2, y2 = X.copy(), y.copy()
    X2[c] = rng.normal(scale=50.0, size=X2[c].shape)
    y2[c] = rng.permutation(y2[c])
    cond2 = {k: rng.normal(size=v.shape) for k, v in conditions.items()}
    altered = cross_corpus_evaluate(
        LogisticRegression(), X2, y2, corpus, conditions=cond2, **kwargs
    )
    X2_ids, cond2_ids = _with_row_ids(X2, cond2)
    Recorder.log = []
    cross_corpus_evaluate(Recorder(), X2_ids, y2, corpus, conditions=cond2_ids, **kwargs)
    fits_after = [(ids, yy) for kind, ids, yy in Recorder.log if kind == "fit"]

    assert len(fits_before) == len(fits_after) == 2 * (1 + 3)
    for (ids1, y1), (ids2, yy2) in zip(fits_before, fits_after):
        np.testing.assert_array_equal(ids1, ids2)
        np.testing.assert_array_equal(y1, yy2)
    # scores on clean, unaltered test data are unchanged, so the fitted models are the same
    keep = (base["test"] != "C") & (base["condition"] == "clean")
    pd.testing.assert_frame_equal(base[keep], altered[keep])
    assert not base[~keep]["value"].equals(altered[~keep]["value"])
    assert set(base["train"]) == {"A", "B"} and "C" in set(base["test"])


def test_dataframe_input_and_pipeline(corpora):
    X, y, corpus, _, conditions = corpora
    cols = [f"f{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols)
    cond = {k: pd.DataFrame(v, columns=cols) for k, v in conditions.items()}
    pipe = make_pipeline(PCA(n_components=3), SVC())
    t_df = cross_corpus_evaluate(pipe, df, y, corpus, conditions=cond, n_splits=3)
    t_np = cross_corpus_evaluate(pipe, X, y, corpus, conditions=conditions, n_splits=3)
    pd.testing.assert_frame_equal(t_df, t_np)


def test_parallel_equals_sequential(corpora):
    X, y, corpus, speakers, conditions = corpora
    kwargs = dict(conditions=conditions, groups=speakers, n_splits=3, scoring=("uar", "macro_f1"))
    seq = cross_corpus_evaluate(LogisticRegression(), X, y, corpus, **kwargs)
    par = cross_corpus_evaluate(LogisticRegression(), X, y, corpus, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(seq, par)


class FailsOnCorpusB(LogisticRegression):
    """Fails to fit when the training rows carry corpus B's marker (column 0 above 0.5)."""

    def fit(self, X, y):
        if np.asarray(X)[:, 0].mean() > 0.5:
            raise RuntimeError("boom on B")
        return super().fit(X, y)


def test_a_failing_fit_keeps_the_other_results(corpora):
    X, y, corpus, _, conditions = corpora
    marker = (corpus == "B").astype(float)
    Xm = np.column_stack([marker, X])
    cond = {k: np.column_stack([marker, v]) for k, v in conditions.items()}
    with pytest.warns(FitFailedWarning, match="boom on B"):
        table = cross_corpus_evaluate(FailsOnCorpusB(), Xm, y, corpus, conditions=cond, n_splits=3)
    failed = table["train"] == "B"
    assert table.loc[failed, "value"].isna().all()
    assert table.loc[~failed, "value"].notna().all()
    assert len(table) == 3 * 3 * 3
    with pytest.raises(RuntimeError, match="boom on B"):
        cross_corpus_evaluate(FailsOnCorpusB(), Xm, y, corpus, n_splits=3, error_score="raise")


def test_a_failing_condition_is_scored_error_score(corpora):
    X, y, corpus, _, conditions = corpora
    bad = dict(conditions)
    bad["broken"] = np.full_like(X, np.nan)
    with pytest.warns(FitFailedWarning, match="broken"):
        table = cross_corpus_evaluate(
            LogisticRegression(), X, y, corpus, conditions=bad, n_splits=None, error_score=-1.0
        )
    assert (table.loc[table["condition"] == "broken", "value"] == -1.0).all()
    assert table.loc[table["condition"] != "broken", "value"].between(0, 1).all()


def test_verbose_prints_progress(corpora, capsys):
    X, y, corpus, _, _ = corpora
    cross_corpus_evaluate(LogisticRegression(), X, y, corpus, n_splits=2, verbose=1)
    out = capsys.readouterr().out
    assert out.count("[cross_corpus_evaluate]") == 3 * (1 + 2)
    assert "train 'A' fold 2/2" in out
    cross_corpus_evaluate(LogisticRegression(), X, y, corpus, n_splits=2)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"conditions": {"clean": None}}, ValueError, "reserved"),
        ({"conditions": {"x 0 dB": np.zeros((3, 6))}}, ValueError, r"shape \(3, 6\)"),
        ({"conditions": [1]}, TypeError, "dict"),
        ({"groups": ["s"] * 4}, ValueError, "groups"),
        ({"n_splits": 1}, ValueError, "n_splits must be an integer >= 2"),
        ({"train_corpora": ["Z"]}, ValueError, r"train_corpora \['Z'\]"),
        ({"error_score": "ignore"}, ValueError, "error_score"),
        ({"scoring": "nope"}, ValueError, "Unknown scoring"),
    ],
)
def test_input_errors(corpora, kwargs, error, match):
    X, y, corpus, _, _ = corpora
    with pytest.raises(error, match=match):
        cross_corpus_evaluate(LogisticRegression(), X, y, corpus, **kwargs)


def test_too_few_speakers_error(corpora):
    X, y, corpus, _, _ = corpora
    speakers = np.array([f"{c}{i % 2}" for i, c in enumerate(corpus)])
    with pytest.raises(ValueError, match="corpus 'A' has 2 speakers"):
        cross_corpus_evaluate(LogisticRegression(), X, y, corpus, groups=speakers, n_splits=3)


def test_summarise(corpora):
    X, y, corpus, _, conditions = corpora
    table = cross_corpus_evaluate(
        LogisticRegression(),
        X,
        y,
        corpus,
        conditions=conditions,
        n_splits=2,
        scoring=("uar", "wa"),
    )
    wide = summarise(table)
    assert wide.shape == (9, 3)
    assert list(wide.columns) == ["clean", "white 0 dB", "white 10 dB"]
    expected = table.query("train == 'B' and test == 'C' and condition == 'white 10 dB'")
    assert wide.loc[("B", "C"), "white 10 dB"] == expected.query("metric == 'uar'")["value"].item()
    stacked = pd.concat({"lr": table, "lr2": table}, names=["pipeline", None]).reset_index(level=0)
    assert summarise(stacked, metric="wa").shape == (18, 3)
    with pytest.raises(ValueError, match="No rows with metric 'f1'"):
        summarise(table, metric="f1")


def test_summarise_keeps_failed_fits():
    # A training corpus whose fits all failed (NaN, error_score=np.nan) keeps its row, and a
    # condition that failed everywhere keeps its column, in the order of the table.
    table = pd.DataFrame({
        "train": ["b", "b", "a", "a"],
        "test": ["c", "c", "b", "b"],
        "condition": ["clean", "white 0 dB"] * 2,
        "metric": ["uar"] * 4,
        "value": [np.nan, np.nan, 0.5, np.nan],
        "n": [10] * 4,
    })
    wide = summarise(table)
    assert list(wide.index) == [("b", "c"), ("a", "b")]
    assert list(wide.columns) == ["clean", "white 0 dB"]
    assert wide.loc[("a", "b"), "clean"] == 0.5
    assert int(wide.isna().sum().sum()) == 3
    # Averaged over both training corpora, a condition with a failed pair is NaN, not the
    # mean of the pairs that ran.
    table["pipeline"] = "P"
    by_pipeline = summarise(table, index="pipeline")
    assert np.isnan(by_pipeline.loc["P", "clean"])
    table.loc[0, "value"] = 0.7
    np.testing.assert_allclose(summarise(table, index="pipeline").loc["P", "clean"], 0.6)


# --------------------------------------------------------------------------- task option

EMOTION_OF = np.array(["angry", "sad", "neutral"])


def test_task_arousal_equals_evaluating_mapped_labels(corpora):
    """task="arousal" gives exactly the table of the same estimator on hand-mapped labels."""
    X, y, corpus, speakers, conditions = corpora
    emotions = EMOTION_OF[y]
    arousal = np.array(["high", "low", "low"])[y]          # Schuller et al.'s map, by hand
    kwargs = dict(conditions=conditions, groups=speakers, n_splits=3)
    by_task = cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, task="arousal",
                                    **kwargs)
    by_hand = cross_corpus_evaluate(LogisticRegression(), X, arousal, corpus, **kwargs)
    pd.testing.assert_frame_equal(by_task, by_hand)
    # and it differs from the 3-class table: the labels really were mapped
    emotion = cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, **kwargs)
    assert not np.allclose(emotion["value"], by_task["value"])


def test_task_valence_uses_per_corpus_maps_and_drops_unmapped_rows(corpora):
    X, y, corpus, speakers, conditions = corpora
    emotions = EMOTION_OF[y].astype(object)
    emotions[[0, 1]] = None                                 # missing emotions: left out
    # corpus B drops its sad rows; A and C keep the default map
    mapping = {"B": {"angry": "negative", "sad": None, "neutral": "positive"}}
    dropped_b = int(((corpus == "B") & (emotions == "sad")).sum())
    with pytest.warns(UserWarning, match=rf"task='valence': {2 + dropped_b} of 135 rows have "
                                         rf"no valence class .*\(A: 2, B: {dropped_b}\)"):
        table = cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus,
                                      conditions=conditions, groups=speakers, n_splits=3,
                                      task="valence", mapping=mapping, verbose=0)
    keep = pd.notna(emotions) & ~((corpus == "B") & (emotions == "sad"))
    valence = np.where(emotions == "neutral", "positive", "negative")
    expected = cross_corpus_evaluate(
        LogisticRegression(), X[keep], valence[keep], corpus[keep],
        conditions={k: v[keep] for k, v in conditions.items()}, groups=speakers[keep],
        n_splits=3)
    pd.testing.assert_frame_equal(table, expected)
    assert table.loc[table["test"] == "B", "n"].iloc[0] == SIZES["B"] - dropped_b


def test_task_verbose_prints_the_count(corpora, capsys):
    X, y, corpus, _, _ = corpora
    emotions = EMOTION_OF[y].astype(object)
    emotions[5] = None
    with pytest.warns(UserWarning, match="1 of 135 rows"):
        cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, n_splits=None,
                              task="arousal", verbose=1)
    assert "task='arousal': 1 of 135 rows have no arousal class" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, match", [
    ({"task": "dominance"}, r"task='dominance' is not one of \['emotion', 'arousal', 'valence'\]"),
    ({"mapping": {"angry": "high"}}, "mapping= maps emotions onto arousal or valence"),
    ({"task": "arousal", "mapping": {"angry": "high"}},
     r"\['neutral', 'sad'\] \(corpus 'C'\) are not in the given mapping"),
])
def test_task_errors(corpora, kwargs, match):
    X, y, corpus, _, _ = corpora
    with pytest.raises(ValueError, match=match):
        cross_corpus_evaluate(LogisticRegression(), X, EMOTION_OF[y], corpus, n_splits=None,
                              **kwargs)


def test_task_with_no_mapped_row_is_an_error(corpora):
    X, y, corpus, _, _ = corpora
    with pytest.raises(ValueError, match="no row of y has a arousal class"):
        cross_corpus_evaluate(LogisticRegression(), X, EMOTION_OF[y], corpus, n_splits=None,
                              task="arousal", mapping={e: None for e in EMOTION_OF})


def test_task_per_corpus_map_naming_no_corpus_is_an_error(corpora):
    """A map keyed by a corpus that is not in ``corpus`` (a misspelling) would silently leave
    every row on the default map."""
    X, y, corpus, _, _ = corpora
    mapping = {"B": {"angry": "high", "sad": None, "neutral": "low"},
               "b": {"angry": "high", "sad": None, "neutral": "low"}}
    with pytest.raises(ValueError, match=r"mapping has per-corpus maps for \['b'\], which "
                                         r"corpus does not hold; corpora present: \['A', 'B', "
                                         r"'C'\]"):
        cross_corpus_evaluate(LogisticRegression(), X, EMOTION_OF[y], corpus, n_splits=None,
                              task="arousal", mapping=mapping)


def test_task_map_dropping_a_whole_corpus_says_so(corpora):
    X, y, corpus, _, _ = corpora
    mapping = {"B": {e: None for e in EMOTION_OF}}
    with pytest.warns(UserWarning, match=r"left out \(B: \d+\); corpus \['B'\] has no row left"):
        table = cross_corpus_evaluate(LogisticRegression(), X, EMOTION_OF[y], corpus,
                                      n_splits=None, task="arousal", mapping=mapping)
    assert "B" not in set(table["train"]) | set(table["test"])
    with pytest.warns(UserWarning), pytest.raises(
            ValueError, match=r"train_corpora \['B'\] have no row left after task='arousal' "
                              r"mapped y"):
        cross_corpus_evaluate(LogisticRegression(), X, EMOTION_OF[y], corpus, n_splits=None,
                              task="arousal", mapping=mapping, train_corpora=["B"])


def test_integer_corpus_labels_work_and_pool(corpora):
    """Corpora named by numbers: the table keeps them, pooled ones are joined by '+'."""
    X, y, corpus, speakers, _ = corpora
    ids = np.unique(corpus, return_inverse=True)[1] + 1
    by_name = cross_corpus_evaluate(LogisticRegression(), X, y, corpus, n_splits=None)
    by_id = cross_corpus_evaluate(LogisticRegression(), X, y, ids, n_splits=None)
    np.testing.assert_array_equal(by_id["value"], by_name["value"])
    assert by_id["train"].tolist() == [1, 1, 2, 2, 3, 3]
    pooled = cross_corpus_evaluate(LogisticRegression(), X, y, ids, n_splits=None,
                                   train_corpora=[(1, 2)])
    assert pooled["train"].tolist() == ["1+2"] and pooled["test"].tolist() == [3]


# --------------------------------------------------------------------------- one class, no labels


class CountingFits(LogisticRegression):
    """LogisticRegression counting its fits (class-level: clones share the count)."""

    fits = 0

    def fit(self, X, y):
        CountingFits.fits += 1
        return super().fit(X, y)


@pytest.mark.parametrize("transductive", [False, True])
def test_single_class_training_corpus_is_an_error_before_any_fit(corpora, transductive):
    """It used to give NaN scores and a FitFailedWarning, after fitting every other split."""
    from skser import LabelledOnly

    X, y, corpus, _, _ = corpora
    y = EMOTION_OF[y].astype(object)
    y[corpus == "B"] = "sad"
    estimator = LabelledOnly(CountingFits()) if transductive else CountingFits()
    CountingFits.fits = 0
    with pytest.raises(ValueError, match=r"^The training corpus 'B' holds a single class, "
                                         r"'sad', in its 45 labelled rows: a classifier cannot "
                                         r"be trained on one class.*train_corpora="):
        cross_corpus_evaluate(estimator, X, y, corpus, n_splits=3, transductive=transductive)
    assert CountingFits.fits == 0
    # as a test corpus only, B is fine
    table = cross_corpus_evaluate(estimator, X, y, corpus, n_splits=None,
                                  train_corpora=["A", "C"], transductive=transductive)
    assert table["value"].notna().all() and "B" in set(table["test"])


def test_single_class_after_a_mapping_names_the_pooled_corpora_and_emotions(corpora):
    X, y, corpus, _, _ = corpora
    emotions = EMOTION_OF[y]
    mapping = {"angry": "high", "sad": "high", "neutral": None}
    with pytest.warns(UserWarning, match="left out"), pytest.raises(
            ValueError, match=r"^The training corpora 'A', 'B' \(split 'A\+B'\) hold a single "
                              r"class, 'high', in their \d+ labelled rows \(task='arousal' maps "
                              r"all their emotions, angry, sad, to 'high'\).*mapping= that "
                              r"splits these emotions"):
        cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, n_splits=None,
                              task="arousal", mapping=mapping, train_corpora=[("A", "B")])


def test_single_class_training_fold_is_an_error_naming_the_fold():
    """Two speakers, one emotion each: the first fold trains on one emotion only."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.repeat(["angry", "sad"], 20)
    speakers = np.repeat(["s1", "s2"], 20)
    with pytest.warns(MissingClassesWarning), pytest.raises(
            ValueError, match=r"^train 'A' fold 1/2: the training part of this within-corpus "
                              r"fold holds a single class, '(angry|sad)' \(20 rows\).*n_splits="
                              r"None"):
        cross_corpus_evaluate(LogisticRegression(), X, y, ["A"] * 40, groups=speakers,
                              n_splits=2)


def test_continuous_targets_are_not_checked_for_classes():
    """Ratings are no classes: a regressor on a constant training target is not refused."""
    from sklearn.linear_model import Ridge

    X = np.random.default_rng(0).normal(size=(40, 3))
    ratings = np.r_[np.full(20, 2.5), np.linspace(1, 5, 20)]
    table = cross_corpus_evaluate(Ridge(), X, ratings, np.repeat(["A", "B"], 20),
                                  scoring="r2", n_splits=None)
    assert len(table) == 2


def test_task_corpus_without_any_emotion_is_an_error(corpora):
    X, y, corpus, _, _ = corpora
    emotions = EMOTION_OF[y].astype(object)
    emotions[corpus == "C"] = None
    with pytest.raises(ValueError, match=r"^corpus 'C' \(30 rows\): no row has an emotion .*"
                                         r"Give its rows their emotions, or drop its rows"):
        cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, n_splits=None,
                              task="arousal")


def test_task_warning_tells_missing_from_dropped_emotions(corpora):
    X, y, corpus, _, _ = corpora
    emotions = EMOTION_OF[y].astype(object)
    emotions[[0, 70]] = None                                 # one in A, one in B
    n_sad_c = int(((corpus == "C") & (emotions == "sad")).sum())
    mapping = {"C": {"angry": "high", "sad": None, "neutral": "low"}}
    with pytest.warns(UserWarning) as caught:
        cross_corpus_evaluate(LogisticRegression(), X, emotions, corpus, n_splits=None,
                              task="arousal", mapping=mapping)
    assert [str(w.message) for w in caught] == [
        f"task='arousal': {2 + n_sad_c} of 135 rows have no arousal class (2 with no emotion, "
        f"None or NaN in y; {n_sad_c} with an emotion the map drops (to None)) and are left "
        f"out (A: 1, B: 1, C: {n_sad_c})."]
