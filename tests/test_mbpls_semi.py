"""Semi-supervised MEA: unlabelled rows enter the X statistics only (labels and targets)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _reference_mbpls import nipals_mbpls
from hypothesis import given, settings
from hypothesis import strategies as st

from skser import MEATransformer
from skser.utils._semi import check_classes_labelled, labelled_mask

WIDTHS = (5, 4)
N_CLASSES = 3


def _data(n=80, seed=0):
    """Two X blocks on different scales and classes driven by their shared latent."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3)) * [3.0, 2.0, 1.0]
    blocks = [latent @ rng.normal(size=(3, w)) + 0.5 * rng.normal(size=(n, w)) for w in WIDTHS]
    blocks = [b * rng.uniform(0.1, 10, size=b.shape[1]) + rng.normal(size=b.shape[1])
              for b in blocks]
    y = np.digitize(latent[:, 0] + 0.5 * latent[:, 1], [-1.5, 1.5])
    return np.hstack(blocks), y, latent


def _align_signs(A, B):
    signs = np.sign(np.sum(A * B, axis=0))
    signs[signs == 0] = 1
    return B * signs


def _reference_scores(X, Y, labelled, n_components):
    """Super scores from the definitions, through the NIPALS reference on data matrices.

    X blocks: centred and standardised on all rows, each divided by sqrt(width). Y: centred
    and standardised on the labelled rows, zero on the unlabelled ones, times n / n_L, so that
    ``XᵀY / n`` is the labelled rows' cross-covariance while ``XᵀX / n`` uses every row.
    """
    n, n_l = len(X), labelled.sum()
    Xs = (X - X.mean(0)) / X.std(0)
    stops = np.cumsum(WIDTHS)
    x_blocks = [Xs[:, s - w:s] / np.sqrt(w) for w, s in zip(WIDTHS, stops)]
    YL = Y[labelled]
    Ys = np.zeros_like(Y, dtype=float)
    Ys[labelled] = (YL - YL.mean(0)) / YL.std(0) * (n / n_l)
    return nipals_mbpls(x_blocks, Ys, n_components)["super_scores"]


def _one_hot(y):
    return (y[:, None] == np.unique(y[y != -1])[None, :]).astype(float)


# ----------------------------------------------------------------------- the helper
def test_labelled_mask_follows_the_semi_supervised_convention():
    assert labelled_mask(np.array([3, -1, 0])).tolist() == [True, False, True]
    assert labelled_mask(np.array([0.5, np.nan, -1.0])).tolist() == [True, False, True]
    assert labelled_mask(np.array(["a", -1, "b"], dtype=object)).tolist() == [
        True, False, True]
    assert labelled_mask(np.array(["a", "-1"])).all()  # strings have no unlabelled value
    assert labelled_mask(np.array([True, False])).all()
    two_d = np.array([[1.0, 2.0], [np.nan, np.nan], [0.0, -1.0]])
    assert labelled_mask(two_d).tolist() == [True, False, True]
    assert labelled_mask(np.array([[1, -1], [2, 3]])).all()  # -1 may be an integer output
    with pytest.raises(ValueError, match=r"some outputs missing .* row\(s\) \[1\]"):
        labelled_mask(np.array([[1.0, 2.0], [np.nan, 3.0]]))


def test_classes_with_the_unlabelled_marker_are_refused():
    with pytest.raises(ValueError, match="classes contains -1, which marks unlabelled rows"):
        check_classes_labelled([0, 1, -1])
    with pytest.raises(ValueError, match="classes contains nan"):
        check_classes_labelled([0.0, np.nan])
    X, y, _ = _data()
    with pytest.raises(ValueError, match="classes contains -1"):
        MEATransformer(2, blocks=list(WIDTHS), response="labels").partial_fit(
            X, y, classes=[-1, 0, 1, 2])


# ---------------------------------------------------------------------- correctness
def test_all_labelled_is_the_supervised_model():
    """-1-free labels give the model of the one-hot labels as an explicit response block."""
    X, y, _ = _data()
    semi = MEATransformer(2, blocks=list(WIDTHS), response="labels", normalize=False).fit(X, y)
    block = MEATransformer(2, blocks=list(WIDTHS) + [N_CLASSES]).fit(np.hstack([X, _one_hot(y)]))
    np.testing.assert_allclose(semi.transform(X), block.transform(np.hstack([X, _one_hot(y)])),
                               atol=1e-12)
    np.testing.assert_allclose(semi.x_rotations_, block.x_rotations_, atol=1e-12)
    assert semi.n_labelled_seen_ == semi.n_samples_seen_ == len(X)


@pytest.mark.parametrize("response", ["labels", "target"])
def test_unlabelled_rows_match_the_definition(response):
    X, y, latent = _data()
    rng = np.random.default_rng(1)
    labelled = rng.random(len(X)) < 0.6
    if response == "labels":
        y_semi = np.where(labelled, y, -1)
        Y = _one_hot(np.where(labelled, y, y[labelled][0]))  # any fill: unlabelled rows unused
    else:
        Y = latent[:, :2] + 0.1 * rng.normal(size=(len(X), 2))
        y_semi = np.where(labelled[:, None], Y, np.nan)
    mea = MEATransformer(3, blocks=list(WIDTHS), response=response, normalize=False)
    T = mea.fit(X, y_semi).transform(X)
    ref = _reference_scores(X, Y, labelled, 3)
    np.testing.assert_allclose(_align_signs(T, ref), T, atol=1e-7)
    assert mea.n_samples_seen_ == len(X) and mea.n_labelled_seen_ == labelled.sum()
    # X is centred and scaled by all rows: the unlabelled rows shape the model.
    np.testing.assert_allclose(mea.x_mean_, X.mean(0))
    dropped = MEATransformer(3, blocks=list(WIDTHS), response=response, normalize=False).fit(
        X[labelled], y_semi[labelled])
    assert not np.allclose(np.abs(dropped.x_rotations_), np.abs(mea.x_rotations_), atol=1e-3)


def test_nan_marks_unlabelled_float_labels_and_classes_never_hold_the_marker():
    X, y, _ = _data()
    y_float = y.astype(float)
    y_float[::4] = np.nan
    y_int = np.where(np.isnan(y_float), -1, y)
    a = MEATransformer(2, blocks=list(WIDTHS), response="labels").fit(X, y_float)
    b = MEATransformer(2, blocks=list(WIDTHS), response="labels").fit(X, y_int)
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-12)
    assert a.classes_.tolist() == [0.0, 1.0, 2.0] and b.classes_.tolist() == [0, 1, 2]
    names = np.array(["ang", "hap", "sad"], dtype=object)[y]
    names[::4] = -1
    c = MEATransformer(2, blocks=list(WIDTHS)).fit(X, names)  # "auto" reads the labels
    assert c.response_type_ == "labels" and c.classes_.tolist() == ["ang", "hap", "sad"]
    np.testing.assert_allclose(c.transform(X), b.transform(X), atol=1e-12)
    assert c.n_labelled_seen_ == len(X) - len(X[::4])


def test_missing_object_labels_are_refused_not_unlabelled():
    """None or NaN among object labels is a missing label (an error naming its rows)."""
    X, y, _ = _data()
    names = np.array(["ang", "hap", "sad"], dtype=object)[y]
    names[[3, 7]] = None
    with pytest.raises(ValueError, match=r"y has 2 missing label\(s\) .*row\(s\) \[3, 7\]"):
        MEATransformer(2, blocks=list(WIDTHS)).fit(X, names)


def test_auto_with_every_row_unlabelled_is_unsupervised_and_labels_is_an_error():
    X, y, _ = _data()
    auto = MEATransformer(2, blocks=list(WIDTHS)).fit(X, np.full(len(X), -1))
    assert auto.response_type_ == "input"
    with pytest.raises(ValueError, match=re.escape(
            "needs labelled rows, but all 80 rows of y are unlabelled (-1 or NaN). Pass "
            "labelled rows, or use response='input'")):
        MEATransformer(2, blocks=list(WIDTHS), response="labels").fit(X, np.full(len(X), -1))
    with pytest.raises(ValueError, match="needs at least 2 labelled rows, y has 1"):
        MEATransformer(2, blocks=list(WIDTHS), response="target").fit(
            X, np.r_[1.5, np.full(len(X) - 1, np.nan)])


# ------------------------------------------------------------------------ streaming
def _semi_labels(seed=0):
    X, y, _ = _data()
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(len(X)) < 0.5, y, -1)
    y[30:45] = -1  # a run of unlabelled rows: some chunks below hold no label at all
    return X, y


def _same_model(a, b, X):
    np.testing.assert_allclose(a.transform(X), b.transform(X), rtol=1e-9, atol=1e-9)
    for name in ("x_rotations_", "y_loadings_", "x_mean_", "x_scale_", "block_importances_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(1, 79), max_size=8, unique=True))
def test_partial_fit_equals_fit_for_any_chunking_with_unlabelled_rows(cuts):
    X, y = _semi_labels()
    full = MEATransformer(2, blocks=list(WIDTHS), response="labels").fit(X, y)
    part = MEATransformer(2, blocks=list(WIDTHS), response="labels")
    bounds = [0, *sorted(cuts), len(X)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        part.partial_fit(X[start:stop], y[start:stop], classes=[0, 1, 2])
    assert part.n_labelled_seen_ == full.n_labelled_seen_ == int((y != -1).sum())
    _same_model(full, part, X)


def test_partial_fit_with_only_unlabelled_rows_waits_for_labels():
    X, y = _semi_labels()
    mea = MEATransformer(2, blocks=list(WIDTHS), response="labels")
    mea.partial_fit(X[30:45], y[30:45], classes=[0, 1, 2])
    assert mea.n_samples_seen_ == 15 and mea.n_labelled_seen_ == 0
    assert not hasattr(mea, "x_rotations_")
    mea.partial_fit(X[:30], y[:30]).partial_fit(X[45:], y[45:])
    order = np.r_[30:45, 0:30, 45:80]
    full = MEATransformer(2, blocks=list(WIDTHS), response="labels").fit(X[order], y[order])
    _same_model(full, mea, X)


@pytest.mark.filterwarnings("ignore:Only 0 of")  # a chunk's labelled rows may agree
@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 79), max_size=6, unique=True),
       seed=st.integers(0, 1000))
def test_partial_fit_equals_fit_for_targets_with_nan_rows(cuts, seed):
    X, _, latent = _data()
    rng = np.random.default_rng(seed)
    Y = latent[:, :2] + 0.1 * rng.normal(size=(len(X), 2))
    Y[rng.random(len(X)) < 0.4] = np.nan
    Y[:3] = [0.0, 1.0]  # at least two labelled rows whatever the seed
    Y[3] = [1.0, 0.0]
    full = MEATransformer(2, blocks=list(WIDTHS), response="target").fit(X, Y)
    part = MEATransformer(2, blocks=list(WIDTHS), response="target")
    for xs, ys in zip(np.split(X, sorted(cuts)), np.split(Y, sorted(cuts))):
        part.partial_fit(xs, ys)
    _same_model(full, part, X)
