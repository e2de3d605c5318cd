"""Inputs that used to give silently wrong numbers: precision, constant columns, targets."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline

from skser import MEATransformer


# ------------------------------------------------------------------------- precision
@pytest.mark.parametrize("offset", [1e4, 1e6])
def test_float32_keeps_means_of_large_columns(offset):
    """Columns of mean 1e4 or 1e6 and spread 1: the float32 model has the float64 statistics."""
    rng = np.random.default_rng(0)
    X = offset + rng.normal(size=(20_000, 6))
    X[:, :3] += rng.normal(size=(20_000, 1))  # some shared structure
    mea64 = MEATransformer(2).fit(X)
    mea32 = MEATransformer(2, dtype="float32").fit(X)
    # Mean and spread as float64 computes them: errors far below the spread (1).
    np.testing.assert_allclose(mea32.x_mean_, X.mean(0), rtol=0, atol=1e-6)
    np.testing.assert_allclose(mea32.x_scale_, mea64.x_scale_, rtol=1e-10)
    T32 = mea32.transform(X)
    assert T32.dtype == np.float32
    np.testing.assert_allclose(T32, mea64.transform(X), atol=1e-4)
    # Data given in float32 already: its statistics are those of its float32 values.
    X32 = X.astype(np.float32)
    mea = MEATransformer(2, dtype="float32").fit(X32)
    np.testing.assert_allclose(mea.x_mean_, X32.astype(np.float64).mean(0), rtol=0, atol=1e-6)
    np.testing.assert_allclose(mea.x_scale_, X32.astype(np.float64).std(0) * np.sqrt(6),
                               rtol=1e-9)


# ------------------------------------------------------------------ constant columns
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1_000, 100_000])
def test_constant_column_of_any_length_is_centred_not_scaled(n, dtype):
    """A column of 14.62 gets scale 1 and transforms to 0 (the rounding of its mean is not a
    spread); a tiny but real spread is still standardised."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(dtype)
    X[:, 0] = 14.62
    X[:, 1] = 14.62 + 1e-3 * rng.normal(size=n).astype(dtype)
    mea = MEATransformer(2, dtype=np.dtype(dtype).name).fit(X)
    width = np.sqrt(X.shape[1])  # block factor of "sqrt" block scaling
    assert mea.x_scale_[0] == width
    scaled = (X[:, 0].astype(np.float64) - mea.x_mean_[0]) / mea.x_scale_[0]
    np.testing.assert_allclose(scaled, 0.0, atol=1e-9)
    np.testing.assert_allclose(mea.x_weights_[0], 0.0, atol=1e-6)
    spread = X[:, 1].astype(np.float64).std()
    np.testing.assert_allclose(mea.x_scale_[1], spread * width, rtol=1e-6)


def test_constant_block_under_frobenius_scaling_is_not_blown_up():
    """A block of constant columns has no spread: its Frobenius factor is 1, not ~1e-15."""
    rng = np.random.default_rng(0)
    X = np.hstack([rng.normal(size=(1_000, 3)), np.full((1_000, 2), 14.62)])
    with pytest.warns(UserWarning, match="Only 0 of n_components=2"):  # nothing to explain
        mea = MEATransformer(2, blocks=[3, 2], response=0, block_scaling="frobenius").fit(X)
    np.testing.assert_array_equal(mea.x_scale_, [1.0, 1.0])
    assert np.all(np.isfinite(mea.transform(X)))
    np.testing.assert_allclose(mea.transform(X), 0.0, atol=1e-9)


# ------------------------------------------------------------------- continuous targets
def _ratings(n=200, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    X = latent @ rng.normal(size=(2, 12)) + 0.3 * rng.normal(size=(n, 12))
    y = latent @ [[1.0, 0.3], [-0.5, 1.0]] + 0.1 * rng.normal(size=(n, 2))
    return X, y


def test_auto_regresses_on_a_continuous_target():
    X, y = _ratings()
    auto = MEATransformer().fit(X, y[:, 0])
    assert auto.response_type_ == "target" and auto.n_components_ == 10
    assert not auto.normalize_ and not hasattr(auto, "classes_")
    explicit = MEATransformer(response="target").fit(X, y[:, 0])
    np.testing.assert_array_equal(auto.transform(X), explicit.transform(X))
    # PLS regression on the standardised rating: the one-target response as a block of X.
    block = MEATransformer(10, blocks=[12, 1]).fit(np.hstack([X, y[:, :1]]))
    np.testing.assert_allclose(auto.transform(X), block.transform(np.hstack([X, y[:, :1]])),
                               atol=1e-10)
    assert auto.y_loadings_.shape == (1, 10)


def test_two_dimensional_targets_in_a_ridge_pipeline():
    X, y = _ratings()
    pipe = make_pipeline(MEATransformer(2), Ridge(alpha=1e-3)).fit(X, y)
    mea = pipe[0]
    assert mea.response_type_ == "target" and mea.y_loadings_.shape == (2, 2)
    assert pipe.score(X, y) > 0.95
    block = MEATransformer(2, blocks=[12, 2]).fit(np.hstack([X, y]))
    np.testing.assert_allclose(mea.transform(X), block.transform(np.hstack([X, y])), atol=1e-10)


def test_class_labels_stay_labels_and_continuous_labels_are_refused():
    X, y = _ratings()
    classes = (y[:, 0] > 0).astype(int) + (y[:, 1] > 0)
    pipe = make_pipeline(MEATransformer(), LogisticRegression()).fit(X, classes)
    assert pipe[0].response_type_ == "labels" and pipe[0].classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="response='labels' needs class labels, but y is "
                                         "'continuous'.*use response='target'"):
        MEATransformer(response="labels").fit(X, y[:, 0])
    with pytest.raises(ValueError, match="response='target' needs numeric targets"):
        MEATransformer(response="target").fit(X, np.array(["a", "b"] * 100))


@pytest.mark.parametrize("n", [40, 5])   # the p x p statistics, and the rows of wide data
@pytest.mark.parametrize("response", ["input", "target"])
def test_values_whose_squares_overflow_are_an_error(n, response):
    """Column sums stay finite at 1e160 but the cross-products do not: an error naming the
    column, not NaN scores (``"target"``) or a failed eigensolver (``"input"``)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 8))
    X[:, 3] *= 1e160
    y = rng.normal(size=n)
    with pytest.raises(ValueError, match=r"column\(s\) \[3\].*overflow float64"):
        MEATransformer(n_components=2, response=response).fit(X, y)


def test_y_of_unknown_type_is_an_error_not_ignored():
    """Ratings held as Python objects (an object column) are neither classes nor numbers to
    scikit-learn; "auto" used to fall back to the unsupervised response without a word."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30).astype(object)
    with pytest.raises(ValueError, match=r"y is neither class labels nor numbers .*dtype "
                                         r"object.*np\.asarray\(y, dtype=float\)"):
        MEATransformer(n_components=2).fit(X, y)
    # converted, it is a regression target
    assert MEATransformer(n_components=2).fit(X, y.astype(float)).response_type_ == "target"
