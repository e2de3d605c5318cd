"""Wide data (fewer rows than columns): the n x n kernel form equals the p x p form."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skser import MEATransformer, _mbpls, _mea


def _wide(n=30, widths=(40, 25), n_y=6, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3)) * [3.0, 2.0, 1.0]
    parts = [latent @ rng.normal(size=(3, w)) + 0.3 * rng.normal(size=(n, w))
             for w in (*widths, n_y)]
    parts = [b * rng.uniform(0.1, 10, size=b.shape[1]) + rng.normal(size=b.shape[1])
             for b in parts]
    return np.hstack(parts), [*widths, n_y]


def _dense_only(monkeypatch):
    """Force the p x p form whatever the shape (the tested reference path)."""
    original = _mbpls.chunk_statistics

    def dense(*args, **kwargs):
        return original(*args, **{**kwargs, "keep_rows": False})

    monkeypatch.setattr(_mbpls, "chunk_statistics", dense)


def _same_model(a, b, X, atol=1e-9):
    np.testing.assert_allclose(a.transform(X), b.transform(X), atol=atol)
    for name in ("x_weights_", "x_rotations_", "x_loadings_", "y_loadings_", "x_scale_",
                 "block_importances_", "x_explained_variance_ratio_",
                 "y_explained_variance_ratio_", "vip_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=atol, err_msg=name)


@pytest.mark.parametrize("kind", ["input", "self", "labels", "labels+unlabelled"])
def test_wide_form_equals_dense_form(kind, monkeypatch):
    X, widths = _wide()
    y = np.arange(len(X)) % 3
    if kind == "labels+unlabelled":
        y[::5] = -1
    params = {
        "input": {"blocks": widths},
        "self": {},
        "labels": {"blocks": widths, "response": "labels"},
        "labels+unlabelled": {"blocks": widths, "response": "labels"},
    }[kind]
    wide = MEATransformer(5, **params).fit(X, y)
    assert wide._statistics.rows is not None and wide._statistics.data is None
    _dense_only(monkeypatch)
    dense = MEATransformer(5, **params).fit(X, y)
    assert dense._statistics.rows is None
    _same_model(wide, dense, X)


def test_wide_solver_on_torch_matches_numpy():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(20, 70))
    rows -= rows.mean(0)
    xty = rows.T @ rng.normal(size=(20, 3))
    for q in (xty, None):
        a = _mbpls.kernel_pls(None, q, 4, x_rows=rows)
        b = _mbpls.kernel_pls(None, None if q is None else torch.as_tensor(q), 4,
                              x_rows=torch.as_tensor(rows))
        dense = _mbpls.kernel_pls(rows.T @ rows, rows.T @ rows if q is None else q, 4)
        np.testing.assert_allclose(b.rotations.numpy(), a.rotations, atol=1e-10)
        np.testing.assert_allclose(a.rotations, dense.rotations, atol=1e-10)
        np.testing.assert_allclose(a.y_loadings, dense.y_loadings, atol=1e-10)


def test_wide_torch_path_on_cpu_matches_numpy(monkeypatch):
    X, widths = _wide()
    numpy_model = MEATransformer(4, blocks=widths).fit(X)
    monkeypatch.setattr(_mea, "_resolve_engine", lambda device: torch.device("cpu"))
    torch_model = MEATransformer(4, blocks=widths).fit(X)
    _same_model(numpy_model, torch_model, X)


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(1, 99), max_size=6, unique=True))
def test_partial_fit_across_the_switch_to_the_dense_form(cuts):
    """Rows are kept while fewer than the 71 columns, then become the cross-product."""
    X, widths = _wide(n=100)
    y = np.where(np.arange(100) % 4 == 0, -1, np.arange(100) % 3)
    full = MEATransformer(3, blocks=widths, response="input+labels").fit(X, y)
    part = MEATransformer(3, blocks=widths, response="input+labels")
    for xs, ys in zip(np.split(X, sorted(cuts)), np.split(y, sorted(cuts))):
        part.partial_fit(xs, ys, classes=[0, 1, 2])
        if part._statistics.rows is not None:
            assert part.n_samples_seen_ < X.shape[1]
    assert part._statistics.rows is None
    _same_model(full, part, X)
    wide = MEATransformer(3, blocks=widths, response="input+labels")
    for xs, ys in zip(np.array_split(X[:60], 4), np.array_split(y[:60], 4)):
        wide.partial_fit(xs, ys, classes=[0, 1, 2])
    assert wide._statistics.rows is not None
    _same_model(MEATransformer(3, blocks=widths, response="input+labels").fit(X[:60], y[:60]),
                wide, X)
