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
