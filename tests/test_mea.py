"""Tests of MEATransformer and the closed-form MB-PLS solver."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from _reference_mbpls import nipals_mbpls
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from skser import MEATransformer, _mbpls, _mea
from skser._layout import BlockLayout, LayoutArray

WIDTHS = (5, 8, 3)
N_Y = 4


def _multiblock(n=60, widths=WIDTHS, n_y=N_Y, seed=0, noise=0.3):
    """X blocks and a response sharing a 3-dimensional latent structure."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3)) * [3.0, 2.0, 1.0]
    blocks = [latent @ rng.normal(size=(3, w)) + noise * rng.normal(size=(n, w)) for w in widths]
    Y = latent @ rng.normal(size=(3, n_y)) + noise * rng.normal(size=(n, n_y))
    # Columns on different scales, so that standardisation matters.
    blocks = [b * rng.uniform(0.1, 10, size=b.shape[1]) + rng.normal(size=b.shape[1])
              for b in blocks]
    return blocks, Y


def _standardise(A):
    return (A - A.mean(0)) / A.std(0)


def _align_signs(A, B):
    """B with each column's sign flipped to match A."""
    signs = np.sign(np.sum(A * B, axis=0))
    signs[signs == 0] = 1
    return B * signs


def _fitted(n_components=3, **kwargs):
    blocks, Y = _multiblock()
    X = np.hstack(blocks + [Y])
    mea = MEATransformer(n_components, blocks=list(WIDTHS) + [N_Y], **kwargs).fit(X)
    return mea, X


# ------------------------------------------------------------------------ correctness
def test_matches_nipals_reference():
    blocks, Y = _multiblock()
    X = np.hstack(blocks + [Y])
    mea = MEATransformer(3, blocks=list(WIDTHS) + [N_Y]).fit(X)
    ref = nipals_mbpls([_standardise(b) / np.sqrt(b.shape[1]) for b in blocks],
                       _standardise(Y), 3)
    T = mea.transform(X)
    np.testing.assert_allclose(_align_signs(T, ref["super_scores"]), T, atol=1e-7)
    np.testing.assert_allclose(mea.block_importances_, ref["block_importances"], atol=1e-8)
    signs = np.sign(np.sum(T * ref["super_scores"], axis=0))
    for ours, theirs in zip(mea.block_weights_, ref["block_weights"]):
        np.testing.assert_allclose(ours, theirs * signs, atol=1e-7)
    for ours, theirs in zip(mea.block_transform(X), ref["block_scores"]):
        np.testing.assert_allclose(ours, theirs * signs, atol=1e-7)


def test_single_block_matches_plsregression():
    blocks, Y = _multiblock(widths=(7,))
    X = np.hstack([blocks[0], Y])
    T = MEATransformer(4, blocks=[7, N_Y]).fit_transform(X)
    Xs = _standardise(blocks[0]) / np.sqrt(7)
    pls = PLSRegression(4, scale=False, tol=1e-24, max_iter=100_000).fit(Xs, _standardise(Y))
    np.testing.assert_allclose(_align_signs(T, pls.transform(Xs)), T, atol=1e-7)


def test_without_layout_is_pca_of_standardised_data():
    X = _multiblock()[0][1]
    T = MEATransformer(3).fit_transform(X)
    pca_scores = PCA(3).fit_transform(_standardise(X)) / np.sqrt(X.shape[1])
    np.testing.assert_allclose(_align_signs(T, pca_scores), T, atol=1e-8)


def test_scores_ignore_response_columns_at_transform():
    mea, X = _fitted()
    X2 = X.copy()
    X2[:, -N_Y:] = 1e6
    np.testing.assert_array_equal(mea.transform(X), mea.transform(X2))


def test_block_order_invariance():
    blocks, Y = _multiblock()
    X = np.hstack(blocks + [Y])
    idx = [np.arange(0, 5), np.arange(5, 13), np.arange(13, 16), np.arange(16, 20)]
    a = MEATransformer(3, blocks=idx).fit(X)
    b = MEATransformer(3, blocks=[idx[2], idx[0], idx[1], idx[3]]).fit(X)
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-10)
    np.testing.assert_allclose(a.block_importances_[[2, 0, 1]], b.block_importances_, atol=1e-12)


def test_block_importances_columns_sum_to_one():
    mea, _ = _fitted(5)
    assert mea.block_importances_.shape == (3, 5)
    assert np.all(mea.block_importances_ >= 0)
    np.testing.assert_allclose(mea.block_importances_.sum(axis=0), 1.0, atol=1e-12)


def test_fitted_attribute_shapes_and_identities():
    mea, X = _fitted(4)
    px = sum(WIDTHS)
    for name in ("x_weights_", "x_rotations_", "x_loadings_"):
        assert getattr(mea, name).shape == (px, 4)
    assert mea.y_loadings_.shape == (N_Y, 4)
    assert [w.shape for w in mea.block_weights_] == [(w, 4) for w in WIDTHS]
    np.testing.assert_allclose(np.linalg.norm(mea.x_weights_, axis=0), 1.0)
    # Rotations give orthogonal scores whose squared norms are those of the solver.
    T = mea.transform(X)
    gram = T.T @ T
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-8 * gram.max())
    np.testing.assert_allclose(np.sum(mea.vip_**2), px)
    assert mea.x_explained_variance_ratio_.sum() < 1
    assert np.all(np.diff(mea.y_explained_variance_ratio_[:3]) < 0)
    assert [list(b) for b in mea.blocks_[:1]] == [list(range(5))]
    assert mea.response_ == 3 and mea.x_blocks_ == [0, 1, 2]


def test_explained_variance_is_complete_at_full_rank():
    mea, _ = _fitted(sum(WIDTHS))
    np.testing.assert_allclose(mea.x_explained_variance_ratio_.sum(), 1.0, atol=1e-10)


def test_frobenius_equals_sqrt_when_standardised_and_none_differs():
    sqrt, X = _fitted(3)
    frob, _ = _fitted(3, block_scaling="frobenius")
    none, _ = _fitted(3, block_scaling="none")
    np.testing.assert_allclose(sqrt.transform(X), frob.transform(X), atol=1e-10)
    assert not np.allclose(np.abs(sqrt.transform(X)), np.abs(none.transform(X)), atol=1e-3)


def test_constant_column_is_centred_not_divided_by_zero():
    mea, X = _fitted(2)
    X = X.copy()
    X[:, 0] = 7.0
    mea.fit(X)
    assert np.all(np.isfinite(mea.transform(X)))
    np.testing.assert_allclose(mea.x_weights_[0], 0.0, atol=1e-12)


def test_copy_protects_the_input():
    blocks, Y = _multiblock()
    X = np.hstack(blocks + [Y])
    before = X.copy()
    MEATransformer(2, blocks=list(WIDTHS) + [N_Y]).fit(X)
    np.testing.assert_array_equal(X, before)
    # The statistics are summed in row blocks: X is never written, whatever ``copy``.
    MEATransformer(2, blocks=list(WIDTHS) + [N_Y], copy=False).fit(X)
    np.testing.assert_array_equal(X, before)


def test_float32():
    mea64, X = _fitted(3)
    mea32, _ = _fitted(3, dtype="float32")
    T32 = mea32.transform(X)
    assert T32.dtype == np.float32
    np.testing.assert_allclose(T32, mea64.transform(X), atol=2e-3)


def test_collinear_data_warns_and_pads_with_zero_components():
    X = _multiblock()[0][0][:, :2] @ np.ones((2, 4))  # rank 1 after centring
    with pytest.warns(UserWarning, match="Only 1 of n_components=3"):
        T = MEATransformer(3).fit_transform(X)
    np.testing.assert_array_equal(T[:, 1:], 0.0)


# -------------------------------------------------------------------------- streaming
def _same_model(a, b, X):
    np.testing.assert_allclose(a.transform(X), b.transform(X), rtol=1e-9, atol=1e-9)
    for name in ("x_rotations_", "y_loadings_", "block_importances_", "x_mean_", "x_scale_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-10)


def test_partial_fit_equals_fit():
    full, X = _fitted(3)
    part = MEATransformer(3, blocks=list(WIDTHS) + [N_Y])
    for chunk in np.array_split(X, 5):
        part.partial_fit(chunk)
    assert part.n_samples_seen_ == X.shape[0]
    _same_model(full, part, X)


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 59), max_size=8, unique=True))
def test_partial_fit_equals_fit_for_any_chunking(cuts):
    full, X = _fitted(3)
    part = MEATransformer(3, blocks=list(WIDTHS) + [N_Y])
    for chunk in np.split(X, sorted(cuts)):
        part.partial_fit(chunk)
    _same_model(full, part, X)


def test_partial_fit_then_fit_starts_afresh():
    full, X = _fitted(3)
    mea = MEATransformer(3, blocks=list(WIDTHS) + [N_Y]).partial_fit(X[:30] * 5)
    _same_model(full, mea.fit(X), X)


def test_transform_before_enough_rows_says_how_many():
    mea = MEATransformer(3, blocks=list(WIDTHS) + [N_Y]).partial_fit(_fitted()[1][:2])
    with pytest.raises(NotFittedError, match="seen 2 rows; n_components=3 needs more than 3"):
        mea.transform(_fitted()[1])


# ------------------------------------------------------------------ blocks and layouts
def _edrl_like(n=60):
    blocks, Y = _multiblock(n=n, widths=(4, 3))
    layout = BlockLayout(("intra", "inter", "input"), (4, 3, N_Y))
    return np.hstack(blocks + [Y]), layout


def test_auto_layout_from_layout_array_and_dataframe():
    X, layout = _edrl_like()
    explicit = MEATransformer(2, blocks=[4, 3, N_Y]).fit(X)
    arr = MEATransformer(2).fit(LayoutArray(X, layout))
    names = [f"{b}__{i}" for b, size in zip(layout.names, layout.sizes) for i in range(size)]
    df = MEATransformer(2).fit(pd.DataFrame(X, columns=names))
    assert arr.block_names_ == ["intra", "inter", "input"] and arr.response_ == 2
    np.testing.assert_allclose(arr.transform(X), explicit.transform(X), atol=1e-12)
    np.testing.assert_allclose(df.transform(pd.DataFrame(X, columns=names)),
                               explicit.transform(X), atol=1e-12)


def test_dataframe_blocks_by_column_names_and_pandas_output():
    X, _ = _edrl_like()
    cols = [f"c{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols)
    mea = MEATransformer(2, blocks=[cols[:4], cols[4:7], cols[7:]]).set_output(transform="pandas")
    out = mea.fit_transform(df)
    assert list(out.columns) == ["mea0", "mea1"]
    np.testing.assert_allclose(out.to_numpy(),
                               MEATransformer(2, blocks=[4, 3, N_Y]).fit_transform(X))


def test_response_int_picks_the_block():
    X, layout = _edrl_like()
    a = MEATransformer(2, response=2).fit(LayoutArray(X, layout))
    b = MEATransformer(2, blocks=[4, 3, N_Y], response=2).fit(X)
    np.testing.assert_allclose(a.transform(X), b.transform(X))
    c = MEATransformer(2, blocks=[4, 3, N_Y], response=0).fit(X)
    assert c.x_blocks_ == [1, 2]


def test_labels_response_equals_explicit_one_hot_block():
    X, layout = _edrl_like()
    y = np.array(["ang", "hap", "sad"])[np.argmax(X[:, :3], axis=1)]
    onehot = (y[:, None] == np.unique(y)).astype(float)
    lab = MEATransformer(2, response="labels", normalize=False).fit(LayoutArray(X, layout), y)
    ref = MEATransformer(2, blocks=[4, 3, N_Y, 3]).fit(np.hstack([X, onehot]))
    np.testing.assert_allclose(lab.transform(X), ref.transform(np.hstack([X, onehot])),
                               atol=1e-12)
    assert lab.x_blocks_ == [0, 1, 2] and lab.response_ is None
    assert list(lab.classes_) == ["ang", "hap", "sad"]
    both = MEATransformer(2, response="input+labels").fit(LayoutArray(X, layout), y)
    assert both.y_loadings_.shape == (N_Y + 3, 2)


def test_labels_in_pipeline_and_partial_fit_with_classes():
    X, layout = _edrl_like(n=90)
    y = np.argmax(X[:, :3], axis=1)
    pipe = Pipeline([("mea", MEATransformer(2, response="labels", blocks=[4, 3, N_Y])),
                     ("clf", LogisticRegression())]).fit(X, y)
    assert pipe.score(X, y) > 0.6
    full = MEATransformer(2, response="labels", blocks=[4, 3, N_Y]).fit(X, y)
    part = MEATransformer(2, response="labels", blocks=[4, 3, N_Y])
    part.partial_fit(X[:40], y[:40], classes=[0, 1, 2]).partial_fit(X[40:], y[40:])
    _same_model(full, part, X)


# ------------------------------------------------------------------------ normalize
def test_auto_normalize_returns_directions_with_labels_only():
    X, layout = _edrl_like()
    X = LayoutArray(X, layout)
    y = np.arange(60) % 3
    auto = MEATransformer().fit(X, y)
    raw = MEATransformer(normalize=False).fit(X, y)
    assert auto.normalize_ and not raw.normalize_
    scores = raw.transform(X)
    np.testing.assert_allclose(
        auto.transform(X), scores / np.linalg.norm(scores, axis=1, keepdims=True), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.norm(auto.transform(X), axis=1), 1.0)
    # The fitted model itself does not depend on the option.
    np.testing.assert_array_equal(auto.x_rotations_, raw.x_rotations_)
    for a, b in zip(auto.block_transform(X), raw.block_transform(X)):
        np.testing.assert_array_equal(a, b)

    unsupervised = MEATransformer().fit(X)
    assert not unsupervised.normalize_
    one_component = MEATransformer(1, response="labels").fit(X, y)
    assert not one_component.normalize_  # one direction is only a sign
    forced = MEATransformer(1, response="labels", normalize=True).fit(X, y)
    np.testing.assert_array_equal(np.abs(forced.transform(X)), 1.0)


def test_normalize_is_scale_invariant_and_keeps_zero_rows():
    mea, X = _fitted(3, normalize=True)
    # A row at the training mean scores zero: it stays zero instead of becoming NaN.
    centre = np.zeros((1, X.shape[1]))
    centre[0, mea._x_columns] = mea.x_mean_
    np.testing.assert_array_equal(mea.transform(centre), 0.0)
    # Scaling a row's deviation from the mean (as noise dilutes the signal after per-condition
    # standardisation) leaves its output unchanged.
    shrunk = centre + 0.3 * (X - centre)
    np.testing.assert_allclose(mea.transform(shrunk), mea.transform(X), atol=1e-12)


def test_normalize_same_on_numpy_and_torch(monkeypatch):
    numpy_model, X = _fitted(3, normalize=True)
    monkeypatch.setattr(_mea, "_resolve_engine", lambda device: torch.device("cpu"))
    torch_model, _ = _fitted(3, normalize=True)
    np.testing.assert_allclose(torch_model.transform(X), numpy_model.transform(X), atol=1e-10)
    centre = np.zeros((1, X.shape[1]))
    centre[0, torch_model._x_columns] = torch_model.x_mean_
    np.testing.assert_array_equal(torch_model.transform(centre), 0.0)


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_names_the_column(bad):
    X, _ = _edrl_like()
    X[3, 5] = bad
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with pytest.raises(ValueError, match=r"NaN or inf .* column\(s\) \['f5'\]"):
        MEATransformer(2, blocks=[4, 3, N_Y]).fit(df)
    mea = MEATransformer(2, blocks=[4, 3, N_Y]).fit(np.nan_to_num(X, posinf=0))
    with pytest.raises(ValueError, match=r"column\(s\) \[5\]"):
        mea.transform(X)


@pytest.mark.parametrize("rows", [5, 200])  # the wide form (rows kept) and cross-products
def test_nan_or_inf_is_found_in_every_form_and_partial_fit_keeps_the_rows_seen(rows):
    X = np.random.default_rng(0).normal(size=(rows, 11))
    X[1, 9] = -np.inf
    mea = MEATransformer(2, blocks=[4, 3, N_Y]).partial_fit(np.ones((1, 11)))
    with pytest.raises(ValueError, match=r"NaN or inf in 1 value\(s\), in column\(s\) \[9\]"):
        mea.partial_fit(X)
    assert mea.n_samples_seen_ == 1


def test_overflowing_column_sums_are_an_error_not_inf_statistics():
    X = np.random.default_rng(0).normal(size=(50, 11))
    X[:, 2] = 1.5e308
    with pytest.raises(ValueError, match=r"column\(s\) \[2\] hold values so large that "
                                         "their sums or squares overflow float64"):
        MEATransformer(2, blocks=[4, 3, N_Y]).fit(X)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([4, 3, 2], "Block widths [4, 3, 2] cover 9 columns, X has 11"),
        ([[0, 1, 2], [2, 3], list(range(4, 11))], "column 2 is in block 1 and in block 0"),
        ([[0, 1, 2], list(range(4, 11))], "Columns [3] (1 of 11) are in no block"),
        ([[0, 1], list(range(2, 12))], "indices [11] outside [0, 10]"),
        ([["a", "b"], list(range(2, 11))], "X has no column names"),
    ],
)
def test_bad_blocks(blocks, message):
    X, _ = _edrl_like()
    with pytest.raises(ValueError, match=re.escape(message)):
        MEATransformer(1, blocks=blocks).fit(X)


def test_n_components_above_the_bound():
    X, _ = _edrl_like()
    with pytest.raises(ValueError, match=re.escape("larger than the number of X features (7")):
        MEATransformer(8, blocks=[4, 3, N_Y]).fit(X)
    with pytest.raises(ValueError, match=re.escape("min(4, 7) = 4. Use n_components <= 4")):
        MEATransformer(5, blocks=[4, 3, N_Y]).fit(X[:5])


def test_partial_fit_after_raising_n_components_beyond_the_features():
    X, _ = _edrl_like()
    mea = MEATransformer(2, blocks=[4, 3, N_Y]).partial_fit(X)
    with pytest.raises(ValueError, match=re.escape("= min(119, 7) = 7")):
        mea.set_params(n_components=9).partial_fit(X)


def test_one_sample():
    X, _ = _edrl_like()
    with pytest.raises(ValueError, match="1 sample"):
        MEATransformer(1, blocks=[4, 3, N_Y]).fit(X[:1])


def test_labels_errors():
    X, _ = _edrl_like()
    mea = MEATransformer(1, response="labels")
    with pytest.raises(ValueError, match=r"at least two classes, y has one: \['a'\]"):
        mea.fit(X, ["a"] * len(X))
    with pytest.raises(ValueError, match="needs y"):
        mea.fit(X)
    with pytest.raises(ValueError, match="needs classes="):
        mea.partial_fit(X, np.arange(len(X)) % 2)


def test_partial_fit_with_other_columns():
    X, _ = _edrl_like()
    mea = MEATransformer(1).partial_fit(X)
    with pytest.raises(ValueError, match="X has 10 features, but MEATransformer is expecting 11"):
        mea.partial_fit(X[:, :10])


def test_layout_without_input_block():
    X, _ = _edrl_like()
    layout = BlockLayout(("intra", "inter", "speech"), (4, 3, N_Y))
    with pytest.raises(ValueError, match=r"has blocks \['intra', 'inter', 'speech'\]. Pass resp"):
        MEATransformer(1).fit(LayoutArray(X, layout))


# ---------------------------------------------------------------------- torch and devices
def test_torch_path_on_cpu_matches_numpy(monkeypatch):
    numpy_model, X = _fitted(3)
    monkeypatch.setattr(_mea, "_resolve_engine", lambda device: torch.device("cpu"))
    torch_model, _ = _fitted(3)
    np.testing.assert_allclose(torch_model.transform(X), numpy_model.transform(X), atol=1e-10)
    np.testing.assert_allclose(torch_model.x_weights_, numpy_model.x_weights_, atol=1e-12)
    assert isinstance(torch_model.transform(X), np.ndarray)


def test_solver_same_on_numpy_and_torch():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(40, 12)), rng.normal(size=(40, 20))
    xtx, xty = X.T @ X, X.T @ Y  # q > p: the other eigen branch
    a = _mbpls.kernel_pls(xtx, xty, 5)
    b = _mbpls.kernel_pls(torch.as_tensor(xtx), torch.as_tensor(xty), 5)
    np.testing.assert_allclose(b.rotations.numpy(), a.rotations, atol=1e-10)
    np.testing.assert_allclose(b.weights.numpy(), a.weights, atol=1e-10)
    assert np.all(a.weights[np.abs(a.weights).argmax(0), range(5)] > 0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        _fitted(2, device="cuda")


@pytest.mark.cuda
def test_cuda_matches_cpu():
    cpu, X = _fitted(3)
    gpu, _ = _fitted(3, device="cuda")
    np.testing.assert_allclose(gpu.transform(X), cpu.transform(X), atol=1e-6)
    np.testing.assert_allclose(gpu.x_weights_, cpu.x_weights_, atol=1e-6)


# ------------------------------------------------------------------------ persistence
def test_pickle_round_trip():
    mea, X = _fitted(3)
    clone = pickle.loads(pickle.dumps(mea))
    np.testing.assert_array_equal(clone.transform(X), mea.transform(X))
    clone.partial_fit(X)  # the statistics survive too
    assert clone.n_samples_seen_ == 2 * X.shape[0]


def test_every_fitted_attribute_is_documented():
    X, layout = _edrl_like()
    mea = MEATransformer(2, response="labels").fit(LayoutArray(X, layout), np.arange(60) % 3)
    attributes = [a for a in vars(mea) if a.endswith("_") and not a.startswith("_")]
    doc = MEATransformer.__doc__.split("Attributes")[1].split("See Also")[0]
    for name in attributes:
        assert re.search(rf"^    {name} :", doc, re.MULTILINE), name


def test_default_response_is_labels_with_y_and_input_without():
    X, layout = _edrl_like()
    y = np.arange(60) % 3
    auto = MEATransformer().fit(LayoutArray(X, layout), y)
    assert auto.response_type_ == "labels" and auto.response_ is None
    assert auto.n_components_ == 2  # n_classes - 1
    ref = MEATransformer(2, response="labels").fit(LayoutArray(X, layout), y)
    np.testing.assert_allclose(auto.transform(X), ref.transform(X))
    assert list(auto.get_feature_names_out()) == ["mea0", "mea1"]

    unsupervised = MEATransformer().fit(LayoutArray(X, layout))
    assert unsupervised.response_type_ == "input"
    assert unsupervised.block_names_[unsupervised.response_] == "input"
    assert unsupervised.n_components_ == 7  # 10 capped at the 4 + 3 X features
    one_class = MEATransformer().fit(LayoutArray(X, layout), np.zeros(60))
    assert one_class.response_type_ == "input"


def test_default_response_in_partial_fit_follows_classes():
    X, layout = _edrl_like()
    y = np.arange(60) % 3
    with_classes = MEATransformer().partial_fit(LayoutArray(X, layout), y, classes=[0, 1, 2])
    assert with_classes.response_type_ == "labels" and with_classes.n_components_ == 2
    without = MEATransformer().partial_fit(LayoutArray(X, layout), y)
    assert without.response_type_ == "input"
