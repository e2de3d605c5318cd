"""The statistics core: row blocks, float64 accumulation, the torch path, merging."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from skser import _mbpls


def _direct(A):
    A = np.asarray(A, dtype=np.float64)
    centred = A - A.mean(0)
    return A.mean(0), centred.T @ centred


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_block_moments_equal_the_direct_formula(dtype, monkeypatch):
    rng = np.random.default_rng(0)
    A = (rng.normal(size=(1_000, 7)) * [1, 2, 3, 4, 5, 6, 7] + 50).astype(dtype)
    mean, m2 = _direct(A)
    for rows in (64, 333, 1_000):  # several blocks, a ragged last one, a single block
        monkeypatch.setattr(_mbpls, "block_rows", lambda n, p, itemsize=8, r=rows: r)
        moments = _mbpls.data_moments(A)
        np.testing.assert_allclose(moments.mean_a, mean, rtol=1e-13)
        np.testing.assert_allclose(moments.m2, m2, rtol=1e-11, atol=1e-9)
        np.testing.assert_array_equal(moments.m2, moments.m2.T)


def test_torch_statistics_equal_numpy():
    """The row-block loop of the GPU path, run on the CPU."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(700, 9)).astype(np.float32) + 1e4
    ours = _mbpls._data_moments_torch(A, torch.device("cpu"))
    ref = _mbpls.data_moments(A)
    np.testing.assert_allclose(ours.mean_a, ref.mean_a, rtol=1e-14)
    np.testing.assert_allclose(ours.m2, ref.m2, rtol=1e-10, atol=1e-8)
    assert ours.m2.dtype == np.float64


def test_large_mean_keeps_the_variance():
    """1e6 +- 1: the variance survives (no cancellation between E[x^2] and E[x]^2)."""
    rng = np.random.default_rng(0)
    A = 1e6 + rng.normal(size=(50_000, 3))
    moments = _mbpls.data_moments(A)
    np.testing.assert_allclose(np.diag(moments.m2) / len(A), A.var(0), rtol=1e-9)


def test_block_rows_follow_cache_and_memory():
    cache = _mbpls.cache_bytes()
    assert _mbpls.block_rows(10**7, 1_000) == cache // 2 // 8_000
    assert _mbpls.block_rows(10_000, 10) == 10_000 * 8 // 160  # 5% of the data
    assert _mbpls.block_rows(100, 10) == _mbpls.MIN_BLOCK_ROWS


def test_constant_columns_bound_grows_with_the_rows():
    n = np.array([1_000, 100_000, 100_000])
    mean = np.array([14.62, 14.62, 14.62])
    rounding = (n * mean * np.finfo(float).eps) ** 2 / 4
    var = np.array([rounding[0], rounding[1], 1e-12])
    assert _mbpls.constant_columns(var, mean, n).tolist() == [True, True, False]


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 49), max_size=6, unique=True),
       wide=st.booleans())
def test_merged_statistics_equal_one_chunk(cuts, wide):
    """Streaming = batch for every piece of the statistics, kept rows or cross-products."""
    rng = np.random.default_rng(len(cuts))
    A = rng.normal(size=(50, 60 if wide else 8)) + 3
    B = rng.normal(size=(50, 2))
    labelled = rng.random(50) < 0.5
    labelled[:2] = True
    whole = _mbpls.chunk_statistics(A, B, labelled)
    merged = None
    for rows in np.split(np.arange(50), sorted(cuts)):
        chunk = _mbpls.chunk_statistics(A[rows], B[rows], labelled[rows])
        merged = chunk if merged is None else merged.merge(chunk)
    assert merged.n == 50 and merged.n_labelled == labelled.sum()
    np.testing.assert_allclose(merged.data_moments().m2, whole.data_moments().m2, atol=1e-9)
    np.testing.assert_allclose(merged.mean(), whole.mean(), atol=1e-12)
    np.testing.assert_allclose(merged.variance(), whole.variance(), atol=1e-12)
    np.testing.assert_allclose(merged.cross.m2, whole.cross.m2, atol=1e-9)
    np.testing.assert_allclose(merged.target.m2, whole.target.m2, atol=1e-9)
    # The labelled cross-products are those of the labelled rows alone.
    a, b = A[labelled], B[labelled]
    np.testing.assert_allclose(whole.cross.m2, (a - a.mean(0)).T @ (b - b.mean(0)), atol=1e-9)


def _exact_moments(A):
    """Mean and centred cross-product in extended precision (the reference)."""
    A = np.asarray(A, dtype=np.longdouble)
    centred = A - A.mean(0)
    return np.asarray(A.mean(0), float), np.asarray(centred.T @ centred, float)


def _mixed_columns(n=2_000, seed=0):
    """Standardised columns, columns far from zero (mean 1e3 to 1e6 standard deviations),
    a constant column and a column of zeros."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, 8))
    A[:, 2] = 1e6 + rng.normal(size=n)
    A[:, 3] = 3e3 + 3 * A[:, 0] + rng.normal(size=n)  # correlated with a centred column
    A[:, 5] = 14.62
    A[:, 6] = 0.0
    A[:, 7] = 11.0 + rng.normal(size=n)  # just past the cancellation ratio
    return A


@pytest.mark.parametrize("layout", ["C", "F", "view", "float32"])
def test_raw_product_and_recomputed_columns_equal_the_exact_moments(layout, monkeypatch):
    """In place (C or Fortran), in row blocks (a strided view, float32): every column,
    including those whose mean dwarfs their spread, matches extended precision."""
    A = _mixed_columns()
    if layout == "F":
        A = np.asfortranarray(A)
    elif layout == "view":
        A = np.repeat(A, 2, axis=1)[:, ::2]
    elif layout == "float32":
        A = A.astype(np.float32)
        A[:, 2] = A[:, 2] - 1e6 + 1e3  # float32 cannot hold 1e6 +- 1
    monkeypatch.setattr(_mbpls, "block_rows", lambda n, p, itemsize=8: 300)
    mean, m2 = _exact_moments(A)
    moments = _mbpls.data_moments(A)
    scale = np.sqrt(np.outer(np.diag(m2), np.diag(m2))) + 1e-300
    np.testing.assert_allclose(moments.mean_a, mean, rtol=1e-12)
    # Each entry to 1e-11 of the geometric mean of its two columns' sums of squares.
    assert np.all(np.abs(moments.m2 - m2) <= 1e-11 * scale + 1e-9)
    np.testing.assert_array_equal(moments.m2, moments.m2.T)
    var = np.diag(moments.m2) / len(A)
    constant = _mbpls.constant_columns(var, moments.mean_a, len(A))
    assert np.flatnonzero(constant).tolist() == [5, 6]


def test_recomputation_is_limited_to_the_columns_far_from_zero(monkeypatch):
    seen = []
    original = _mbpls._recompute_centred
    monkeypatch.setattr(_mbpls, "_recompute_centred",
                        lambda A, columns, *a: seen.append(columns.tolist()) or original(
                            A, columns, *a))
    _mbpls.data_moments(_mixed_columns())
    assert seen == [[2, 3, 5, 7]]  # not the centred ones, not the zeros
    seen.clear()
    _mbpls.data_moments(np.random.default_rng(0).normal(size=(500, 6)))
    assert seen == []


def test_float64_input_is_read_in_place():
    """No copy of a contiguous float64 X: extra memory is the p x p statistics, not n x p."""
    import tracemalloc

    A = np.random.default_rng(0).normal(size=(20_000, 40))  # 6.4 MB
    tracemalloc.start()
    try:
        _mbpls.data_moments(A)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 40 * 40 * 4 + 64_000, peak


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_moments_sum_over_the_labelled_rows_only(dtype):
    rng = np.random.default_rng(1)
    A = _mixed_columns(600).astype(dtype)
    if dtype == np.float32:
        A[:, 2] -= 1e6
    B = np.eye(3)[rng.integers(0, 3, 600)]
    labelled = rng.random(600) < 0.6
    B[~labelled] = np.nan  # what unlabelled targets hold must not matter
    stats = _mbpls.chunk_statistics(A, B, labelled)
    cross, target = stats.cross, stats.target
    a = np.asarray(A[labelled], np.longdouble)
    b = np.asarray(B[labelled], np.longdouble)
    ref = np.asarray((a - a.mean(0)).T @ (b - b.mean(0)), float)
    scale = np.sqrt(np.outer(np.diag(_exact_moments(A[labelled])[1]), np.full(3, len(b))))
    assert cross.n == target.n == labelled.sum()
    np.testing.assert_allclose(cross.mean_a, np.asarray(a.mean(0), float), rtol=1e-13)
    assert np.all(np.abs(cross.m2 - ref) <= 1e-11 * scale + 1e-9)
    b = np.asarray(b, float)
    np.testing.assert_allclose(target.m2, (b - b.mean(0)).T @ (b - b.mean(0)), atol=1e-10)


def test_native_threads_limit_blas_and_restore_the_callers_setting():
    from threadpoolctl import threadpool_info

    from skser._device import native_threads

    def blas_threads():
        return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    before = blas_threads()
    with native_threads(1):
        assert set(blas_threads()) == {1}
    assert blas_threads() == before
    with native_threads(None):  # the caller's setting, untouched
        assert blas_threads() == before


def test_busy_machine_never_raises_the_callers_blas_limit(monkeypatch):
    """A worker limited to one BLAS thread (joblib's loky workers, threadpool_limits) keeps
    it, however many cores the load average leaves idle."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from skser._device import native_threads

    monkeypatch.setattr(_mbpls.os, "sched_getaffinity", lambda pid: set(range(64)),
                        raising=False)
    monkeypatch.setattr(_mbpls.os, "getloadavg", lambda: (21.0, 20.0, 20.0))
    # alone: the idle cores, up to the BLAS setting of this process
    assert _mbpls.blas_threads(100_000, 300) == min(44, _mbpls._caller_blas_threads())
    with threadpool_limits(limits=1, user_api="blas"):
        threads = _mbpls.blas_threads(100_000, 300)
        assert threads == 1
        with native_threads(threads):
            assert {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"} \
                == {1}
