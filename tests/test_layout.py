"""The EDRL -> MEA block contract."""

from __future__ import annotations

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest

from skser._layout import (
    BlockLayout,
    LayoutArray,
    find_layout,
    layout_from_feature_names,
    prefixed_feature_names,
)

LAYOUT = BlockLayout(("intra", "inter", "input"), (2, 2, 3))


def test_layout_indices_cover_columns_in_order():
    indices = LAYOUT.indices()
    assert [list(i) for i in indices] == [[0, 1], [2, 3], [4, 5, 6]]
    assert LAYOUT.n_features == 7
    assert LAYOUT.as_dict() == {"intra": 2, "inter": 2, "input": 3}


@pytest.mark.parametrize(
    "names, sizes, message",
    [
        (("a", "a"), (1, 1), "unique"),
        (("a",), (0,), "at least one column"),
        (("a", "b"), (1,), "2 block names but 1 block sizes"),
    ],
)
def test_layout_rejects_bad_definitions(names, sizes, message):
    with pytest.raises(ValueError, match=message):
        BlockLayout(names, sizes)


def test_feature_names_round_trip():
    names = prefixed_feature_names(LAYOUT, {"input": ["f0", "f1", "f2"]})
    assert list(names) == [
        "intra__0", "intra__1", "inter__0", "inter__1", "input__f0", "input__f1", "input__f2"
    ]
    assert layout_from_feature_names(names) == LAYOUT


@pytest.mark.parametrize("names", [["a__0", "b__0", "a__1"], ["a__0", "plain"], []])
def test_feature_names_without_consecutive_blocks_give_no_layout(names):
    assert layout_from_feature_names(names) is None


def test_layout_array_survives_indexing_pickle_and_joblib(tmp_path):
    X = LayoutArray(np.arange(21.0).reshape(3, 7), LAYOUT)
    assert find_layout(X[[0, 2]]) == LAYOUT
    assert find_layout(X.copy()) == LAYOUT
    assert find_layout(X * 2.0) == LAYOUT
    assert find_layout(pickle.loads(pickle.dumps(X))) == LAYOUT
    joblib.dump(X, tmp_path / "x.joblib")
    loaded = joblib.load(tmp_path / "x.joblib")
    assert find_layout(loaded) == LAYOUT
    np.testing.assert_array_equal(loaded, X)


def test_stale_layout_is_ignored_and_plain_arrays_have_none():
    X = LayoutArray(np.zeros((3, 7)), LAYOUT)
    assert find_layout(X[:, :5]) is None
    assert find_layout(np.zeros((3, 7))) is None


@pytest.mark.parametrize(
    "key",
    [
        (slice(None), np.r_[2:4, 0:2, 4:7]),  # intra and inter swapped: same width
        (slice(None), slice(None, None, -1)),
        (Ellipsis, slice(None)),
        (slice(None), [0, 1, 2, 3, 4, 5, 6]),
    ],
)
def test_column_indexing_drops_the_layout_even_at_the_same_width(key):
    X = LayoutArray(np.arange(21.0).reshape(3, 7), LAYOUT)
    assert X[key].shape == (3, 7)
    assert find_layout(X[key]) is None


@pytest.mark.parametrize(
    "key", [slice(0, 2), [2, 0], np.array([True, False, True]), (slice(0, 2), slice(None))]
)
def test_row_indexing_keeps_the_layout(key):
    X = LayoutArray(np.arange(21.0).reshape(3, 7), LAYOUT)
    assert find_layout(X[key]) == LAYOUT


def test_layout_found_in_dataframe_columns():
    names = prefixed_feature_names(LAYOUT, {})
    frame = pd.DataFrame(np.zeros((2, 7)), columns=names)
    assert find_layout(frame) == LAYOUT
