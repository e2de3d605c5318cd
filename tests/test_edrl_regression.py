"""EDRL with a continuous target (arousal or valence ratings): quantile bins as classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import Pipeline
from sklearn.svm import SVR

from skser import EDRLTransformer, MEATransformer
from skser._edrl import _quantile_bins
from skser._edrl_training import PartnerSampler
from skser.metrics import ccc_score

FAST = {"max_epochs": 3, "n_components": 4, "hidden_layer_sizes": (16,), "random_state": 0}


def _rated(n=240, n_features=12, seed=0):
    """Features and a continuous target that depends on them non-linearly, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    target = X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] + 0.5 * np.sin(2 * X[:, 3])
    return X, target + 0.3 * rng.normal(size=n)


# --------------------------------------------------------------------------------------------
# Bins


def test_quantile_bins_are_pandas_qcut():
    y = np.random.default_rng(0).normal(size=101)
    for n_bins in (2, 4, 5, 10):
        codes, edges = _quantile_bins(y, n_bins)
        want = pd.qcut(y, n_bins, labels=False)
        np.testing.assert_array_equal(codes, want)
        np.testing.assert_allclose(edges, np.quantile(y, np.arange(1, n_bins) / n_bins))


def test_quantile_bins_merge_tied_quantiles_and_stay_ordinal():
    # 60 % of the ratings are 3.0: the quantiles at 0.4, 0.6 and 0.8 are all 3.0
    y = np.array([1.5] * 20 + [3.0] * 60 + [4.5] * 20)
    codes, edges = _quantile_bins(y, 5)
    np.testing.assert_array_equal(codes, np.repeat([0, 1, 2], [20, 60, 20]))
    np.testing.assert_allclose(edges, [np.quantile(y, 0.2), 3.0])    # 2.7: interpolated
    order = np.argsort(y, kind="stable")
    assert np.all(np.diff(codes[order]) >= 0)


# --------------------------------------------------------------------------------------------
# Partners: same bin, distant bin


def test_partners_respect_bins_exactly():
    """Intra partners share the query's bin; inter partners are more than one bin away, and
    every allowed candidate is drawn."""
    rng = np.random.default_rng(0)
    bins = rng.integers(0, 5, 300)
    n = len(bins)
    sampler = PartnerSampler(bins, np.zeros(n, int), bins, np.zeros(n, int), np.arange(n),
                             False, "cpu", inter_gap=1)
    gen = torch.Generator().manual_seed(0)
    rows = torch.arange(n).repeat(30)
    intra, inter = (p.numpy() for p in sampler.draw(rows, gen))
    rows = rows.numpy()
    assert np.all(bins[intra] == bins[rows]) and np.all(intra != rows)
    assert np.all(np.abs(bins[inter] - bins[rows]) >= 2)
    for b in range(5):
        query = np.flatnonzero(bins == b)[0]
        drawn = sampler.draw(torch.full((20000,), query), gen)[1].numpy()
        allowed = set(np.flatnonzero(np.abs(bins - b) >= 2))
        assert set(drawn) == allowed                       # all of them, and only them
        counts = np.bincount(drawn, minlength=n)[sorted(allowed)]
        assert counts.min() > 0.4 * counts.mean()          # uniform over the candidates


def test_fit_draws_distant_partners_for_a_continuous_target(monkeypatch):
    """fit passes the bins and the gap to the sampler; class labels keep gap 0."""
    import skser._edrl_training as training

    seen = []
    original = training.PartnerSampler.__init__

    def spy(self, pool_classes, *args, inter_gap=0, **kwargs):
        seen.append((np.asarray(pool_classes).copy(), inter_gap))
        original(self, pool_classes, *args, inter_gap=inter_gap, **kwargs)

    monkeypatch.setattr(training.PartnerSampler, "__init__", spy)
    X, y = _rated(n=100)
    edrl = EDRLTransformer(**FAST, early_stopping=False).fit(X, y)
    codes, edges = _quantile_bins(y, 5)
    np.testing.assert_array_equal(seen[-1][0], codes)
    assert seen[-1][1] == 1
    np.testing.assert_array_equal(edrl.bin_edges_, edges)
    assert not hasattr(edrl, "classes_")
    # three bins: the middle one would have no distant bin, so any other bin is an inter one
    EDRLTransformer(**FAST, early_stopping=False, target_bins=3).fit(X, y)
    assert seen[-1][1] == 0 and len(np.unique(seen[-1][0])) == 3
    # class labels: as before (gap 0, classes_)
    edrl.fit(X, (y > 0).astype(int))
    assert seen[-1][1] == 0 and edrl.classes_.tolist() == [0, 1]
    assert not hasattr(edrl, "bin_edges_")


def test_integer_valued_floats_are_classes():
    X, y = _rated(n=90)
    ratings = np.digitize(y, [-0.5, 0.5]).astype(float) + 1.0      # 1.0, 2.0, 3.0
    edrl = EDRLTransformer(**FAST).fit(X, ratings)
    assert edrl.classes_.tolist() == [1.0, 2.0, 3.0]


def test_continuous_target_with_unlabelled_rows():
    X, y = _rated(n=120)
    y_nan = y.copy()
    y_nan[::4] = np.nan
    edrl = EDRLTransformer(**FAST).fit(X, y_nan)
    assert edrl.n_unlabelled_ == 30
    np.testing.assert_array_equal(edrl.bin_edges_, _quantile_bins(y_nan[~np.isnan(y_nan)], 5)[1])
    np.testing.assert_allclose(edrl.mean_, X.mean(axis=0))    # all rows standardise


@pytest.mark.parametrize("bad, match", [
    (np.inf, "y holds inf; labels and continuous targets must be finite"),
])
def test_continuous_target_errors(bad, match):
    X, y = _rated(n=60)
    y[3] = bad
    with pytest.raises(ValueError, match=match):
        EDRLTransformer(**FAST).fit(X, y)


def test_target_bins_is_validated():
    X, y = _rated(n=60)
    with pytest.raises(ValueError, match="target_bins"):
        EDRLTransformer(**FAST, target_bins=1).fit(X, y)


# --------------------------------------------------------------------------------------------
# The pipeline regresses


def test_edrl_mea_svr_pipeline_regresses_a_continuous_target():
    X, y = _rated(n=300)
    train, test = slice(0, 220), slice(220, None)

    def pipeline():
        return Pipeline([
            ("edrl", EDRLTransformer(n_components=8, max_epochs=20, random_state=0)),
            ("mea", MEATransformer(response="target")),
            ("svr", SVR()),
        ])

    ccc = ccc_score(y[test], pipeline().fit(X[train], y[train]).predict(X[test]))
    shuffled = np.random.default_rng(1).permutation(y[train])
    control = ccc_score(y[test], pipeline().fit(X[train], shuffled).predict(X[test]))
    assert ccc > 0.6
    assert ccc > control + 0.4


def test_quantile_bins_keep_a_tie_at_the_maximum_apart():
    """Ratings piled up at the top of the scale: a quantile edge equal to the maximum would
    leave the last bin empty and merge the tie with the values below it."""
    y = np.array([1.0, 1.5, 2.0, 2.5, 3.0, 3.5] + [5.0] * 14)
    codes, edges = _quantile_bins(y, 5)
    assert codes[y == 5.0].tolist() == [codes.max()] * 14
    assert codes[y < 5.0].max() < codes.max()
    np.testing.assert_array_equal(codes, np.searchsorted(edges, y, side="left"))
    # the ordinal order holds and every bin is used
    assert np.all(np.diff(codes[np.argsort(y, kind="stable")]) >= 0)
    assert set(codes.tolist()) == set(range(codes.max() + 1))


def test_continuous_target_mostly_tied_still_has_two_bins():
    X, y = _rated(n=60)
    y[:50] = 3.5                                   # 50 of 60 equal, the rest below
    y[50:] = np.linspace(1.0, 3.0, 10)
    edrl = EDRLTransformer(**FAST).fit(X, y)
    np.testing.assert_array_equal(edrl.bin_edges_, [3.0])


def test_constant_continuous_target_message_shows_the_value():
    X, _ = _rated(n=60)
    with pytest.raises(ValueError, match=r"a single value \(3\.5\) over its 60 labelled rows"):
        EDRLTransformer(**FAST).fit(X, np.full(60, 3.5))


def test_single_sample_bins_warning_names_plain_numbers():
    X, y = _rated(n=60)
    with pytest.warns(UserWarning, match=r"Target bin\(s\) \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, "
                                         r"\.\.\.\] \(60 of the 60 quantile bins\)"):
        EDRLTransformer(**FAST, target_bins=60).fit(X, y)


def test_features_whose_squares_overflow_are_an_error():
    X, y = _rated(n=60)
    X[:, 4] *= 1e160                               # finite, but its variance is not
    with pytest.raises(ValueError, match=r"column\(s\) \[4\].*overflow float64"):
        EDRLTransformer(**FAST).fit(X, y)


def test_y_of_unknown_type_says_how_to_convert_it():
    X, y = _rated(n=60)
    with pytest.raises(ValueError, match=r"y is neither class labels nor numbers .*dtype "
                                         r"object.*np\.asarray\(y, dtype=float\)"):
        EDRLTransformer(**FAST).fit(X, y.astype(object))
