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


def test_edrl_reads_minus_one_as_unlabelled_rows():
    # scikit-learn's semi-supervised convention: such rows enter the standardisation only.
    X, y, _, _ = _data()
    edrl = EDRLTransformer(**FAST).fit(X, _with_missing(y, -1))
    assert edrl.n_unlabelled_ == 2
    assert edrl.classes_.tolist() == ["ang", "hap", "neu", "sad"]


@pytest.mark.parametrize("value", [None, np.nan])
@pytest.mark.parametrize("estimator", [EDRLTransformer(**FAST), MEATransformer()], ids=str)
def test_missing_emotion_labels_are_refused_not_read_as_unlabelled(estimator, value):
    # A None or NaN among string labels is an emotion load_corpus could not name, not a
    # deliberately unlabelled row (those are -1): it is refused with its rows.
    X, y, _, _ = _data()
    with pytest.raises(ValueError, match=rf"y has 2 {MISSING}\(s\) .*first at row\(s\) \[3, 7\]"):
        estimator.fit(X, _with_missing(y, value))


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


def test_mea_reads_minus_one_as_unlabelled_rows():
    X, _, _, speaker = _data()
    mea = MEATransformer().fit(X, _with_missing(speaker, -1))
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


# --------------------------------------------------------------------------------------------
# Constant columns: one zero-spread rule (the rounding error of the mean grows with n)
# --------------------------------------------------------------------------------------------


def _nearly_constant(n=1000, value=14.62, ulps=100, dtype=np.float64, seed=0):
    """A constant column as computed features give it: the value give or take a few ulps
    (float64), cast to ``dtype``."""
    rng = np.random.default_rng(seed)
    return (value + rng.integers(-ulps, ulps + 1, size=n) * np.spacing(value)).astype(dtype)


@pytest.mark.parametrize("n", [1000, 100_000])
def test_zero_spread_matches_scikit_learns_bound(n):
    from sklearn.preprocessing._data import _is_constant_feature

    from skser.utils._validation import zero_spread

    col = _nearly_constant(n)
    real = col + np.linspace(-1, 1, n) * 1e-6
    for x, expected in ((col, True), (real, False)):
        var, mean = x.var(), x.mean()
        assert bool(zero_spread(np.array([var]), np.array([mean]), n)[0]) is expected
        assert bool(_is_constant_feature(var, mean, n)) is expected
    assert zero_spread([0.0], [0.0], 1)[0] and zero_spread([np.nan], [1.0], 5)[0]


@pytest.mark.parametrize("n", [1000, 100_000])
def test_zero_spread_of_float32_statistics_uses_float32_rounding(n):
    from skser.utils._validation import zero_spread

    rng = np.random.default_rng(0)
    c = np.float32(14.62)
    col = c + rng.integers(-2, 3, size=n).astype(np.float32) * np.spacing(c)
    real = col + np.linspace(-1, 1, n, dtype=np.float32)
    for x, expected in ((col, True), (real, False)):
        var, mean = np.atleast_1d(x.var()), np.atleast_1d(x.mean())  # float32 statistics
        assert var.dtype == np.float32
        assert bool(zero_spread(var, mean, n, np.float32)[0]) is expected
    # the same float32 spread judged with float64 rounding would count as real
    var, mean = np.atleast_1d(col.var()), np.atleast_1d(col.mean())
    assert var[0] > 0 and not zero_spread(var, mean, n, np.float64)[0]


def test_edrl_constant_column_gets_scale_one_and_stays_stable():
    X, y, _, _ = _data(n=1000, p=4)
    X[:, 2] = _nearly_constant(1000)
    edrl = EDRLTransformer(**FAST).fit(X, y)
    assert edrl.scale_[2] == 1.0
    assert np.all(edrl.scale_[[0, 1, 3]] > 0.5)
    moved = X[:5].copy()
    moved[:, 2] += 0.01
    change = np.abs(edrl.transform(moved)[:, :8] - edrl.transform(X[:5])[:, :8]).max()
    assert change < 1.0  # a 0.01 change is a 0.01 change of the standardised input


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_group_scaler_maps_a_constant_column_to_zero(dtype):
    rng = np.random.default_rng(0)
    X = np.c_[_nearly_constant(1000, dtype=dtype), rng.normal(size=1000)].astype(dtype)
    groups = np.repeat(["a", "b"], 500)
    # 0 up to the ulps the column varies by (a spread of ~1e-13 would have made it +-1.7)
    np.testing.assert_allclose(standardize_per_group(X, groups)[:, 0], 0.0, atol=1e-9)
    np.testing.assert_allclose(GroupStandardScaler().fit_transform(X)[:, 0], 0.0, atol=1e-9)
    scaler = GroupStandardScaler().fit(X, groups=groups)
    np.testing.assert_array_equal(scaler.group_scale_[:, 0], 1.0)
    # without centring a constant column keeps its value (scale 1), it is not blown up
    np.testing.assert_allclose(standardize_per_group(X, groups, with_mean=False)[:, 0],
                               X[:, 0], rtol=0)


# --------------------------------------------------------------------------------------------
# NaN columns are named, with their rows
# --------------------------------------------------------------------------------------------


def _with_nan():
    import pandas as pd

    X, y, _, _ = _data(n=40, p=4)
    X[[3, 17], 2] = np.nan
    X[5, 0] = np.inf
    return pd.DataFrame(X, columns=["F0_mean", "jitter", "shimmer", "hnr"]), y


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: EDRLTransformer(**FAST).fit(X, y),
        lambda X, y: EDRLTransformer(**FAST).fit(X.fillna(0).replace(np.inf, 0), y).transform(X),
        lambda X, y: GroupStandardScaler().fit(X),
        lambda X, y: GroupStandardScaler().fit(X.fillna(0).replace(np.inf, 0)).transform(X),
        lambda X, y: standardize_per_group(X, np.repeat(["a", "b"], 20)),
    ],
)
def test_nan_and_inf_columns_are_named_with_their_rows(call):
    X, y = _with_nan()
    with pytest.raises(ValueError, match=r"Input X contains NaN and infinity: 3 value\(s\) in "
                       r"column\(s\) 'F0_mean' \(rows \[5\]\), 'shimmer' \(rows \[3, 17\]\)"):
        call(X, y)


def test_nan_in_a_pipeline_names_the_column_by_index():
    from sklearn.pipeline import make_pipeline

    X, y, _, _ = _data()
    X[7, 1] = np.nan
    pipe = make_pipeline(EDRLTransformer(**FAST), MEATransformer(), SVC())
    with pytest.raises(ValueError, match=r"NaN: 1 value\(s\) in column\(s\) 1 \(rows \[7\]\)"):
        pipe.fit(X, y)
