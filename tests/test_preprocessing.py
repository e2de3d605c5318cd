"""Per-group standardisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skser.preprocessing import GroupStandardScaler, standardize_per_group


@pytest.fixture
def grouped(rng):
    # Three groups with very different offsets and spreads, plus a constant column.
    groups = np.repeat(["a", "b", "c"], [30, 20, 10])
    offsets = {"a": 0.0, "b": 100.0, "c": -50.0}
    spreads = {"a": 1.0, "b": 10.0, "c": 0.1}
    X = np.column_stack([rng.normal(size=60), rng.normal(size=60), np.full(60, 7.0)])
    for g in offsets:
        X[groups == g, :2] = X[groups == g, :2] * spreads[g] + offsets[g]
    return X, groups


def test_each_group_is_standardised(grouped):
    X, groups = grouped
    Z = standardize_per_group(X, groups)
    for g in np.unique(groups):
        np.testing.assert_allclose(Z[groups == g, :2].mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Z[groups == g, :2].std(axis=0), 1.0)
    # the constant column stays 0
    np.testing.assert_array_equal(Z[:, 2], 0.0)


def test_single_row_group_and_options(grouped):
    X, groups = grouped
    groups = groups.astype(object)
    groups[0] = "alone"
    Z = standardize_per_group(X, groups)
    np.testing.assert_array_equal(Z[0], 0.0)
    Zc = standardize_per_group(X, groups, with_std=False)
    np.testing.assert_allclose(Zc[groups == "b"].std(axis=0)[:2], X[groups == "b"].std(axis=0)[:2])
    Zs = standardize_per_group(X, groups, with_mean=False)
    np.testing.assert_allclose(Zs[groups == "b", :2].std(axis=0), 1.0)
    assert abs(Zs[groups == "b", 0].mean()) > 5  # not centred


def test_without_groups_it_is_a_standard_scaler(grouped):
    X, _ = grouped
    ours = GroupStandardScaler().fit(X[:40])
    ref = StandardScaler().fit(X[:40])
    np.testing.assert_allclose(ours.transform(X[40:]), ref.transform(X[40:]))
    np.testing.assert_allclose(standardize_per_group(X), StandardScaler().fit_transform(X))


def test_known_groups_use_fitted_statistics_unseen_groups_their_own(grouped):
    X, groups = grouped
    train = groups != "c"
    scaler = GroupStandardScaler().fit(X[train], groups=groups[train])
    assert scaler.groups_.tolist() == ["a", "b"]
    np.testing.assert_allclose(scaler.group_mean_[1], X[groups == "b"].mean(axis=0))

    new = np.array([[100.0, 100.0, 7.0], [-50.0, -50.0, 7.0], [-49.0, -49.0, 7.0]])
    out = scaler.transform(new, groups=["b", "c", "c"])
    expected_b = (new[0] - scaler.group_mean_[1]) / scaler.group_scale_[1]
    np.testing.assert_allclose(out[0], expected_b)
    # the unseen group "c" is standardised with its own two rows
    np.testing.assert_allclose(out[1:, :2], [[-1.0, -1.0], [1.0, 1.0]])

    own = GroupStandardScaler(known_groups="own").fit(X[train], groups=groups[train])
    out_own = own.transform(X[groups == "b"][:5], groups=["b"] * 5)
    np.testing.assert_allclose(out_own[:, :2].mean(axis=0), 0.0, atol=1e-12)


def test_fit_transform_uses_groups(grouped):
    X, groups = grouped
    scaler = GroupStandardScaler()
    np.testing.assert_allclose(
        scaler.fit_transform(X, groups=groups), standardize_per_group(X, groups)
    )


def test_dataframe_and_feature_names(grouped):
    X, groups = grouped
    df = pd.DataFrame(X, columns=["f0", "f1", "f2"], index=range(100, 160))
    Z = standardize_per_group(df, groups)
    assert isinstance(Z, pd.DataFrame)
    assert Z.index.equals(df.index) and list(Z.columns) == ["f0", "f1", "f2"]
    scaler = GroupStandardScaler().fit(df, groups=groups)
    assert scaler.get_feature_names_out().tolist() == ["f0", "f1", "f2"]


def test_float32_preserved(grouped):
    X, groups = grouped
    assert standardize_per_group(X.astype(np.float32), groups).dtype == np.float32


@pytest.mark.parametrize("bad", [np.array(["a"] * 59), np.array([["a"]] * 60)])
def test_groups_shape_errors(grouped, bad):
    X, _ = grouped
    with pytest.raises(ValueError, match="groups"):
        GroupStandardScaler().fit(X, groups=bad)


def test_transform_groups_length_error(grouped):
    X, groups = grouped
    scaler = GroupStandardScaler().fit(X, groups=groups)
    message = r"groups \(corpus or speaker of each row\) must hold one label per row \(60 rows\)"
    with pytest.raises(ValueError, match=message + r", got shape \(3,\)"):
        scaler.transform(X, groups=["a", "b", "c"])


def test_bad_parameter():
    with pytest.raises(ValueError, match="known_groups"):
        GroupStandardScaler(known_groups="test").fit(np.ones((3, 2)))


def test_pipeline_with_metadata_routing(grouped):
    X, groups = grouped
    y = (np.arange(60) % 2).astype(int)
    with sklearn.config_context(enable_metadata_routing=True):
        scaler = (
            GroupStandardScaler().set_fit_request(groups=True).set_transform_request(groups=True)
        )
        pipe = Pipeline([("norm", scaler), ("clf", LogisticRegression())])
        pipe.fit(X, y, groups=groups)
        pred = pipe.predict(X, groups=groups)
    ref = LogisticRegression().fit(standardize_per_group(X, groups), y)
    np.testing.assert_allclose(pipe[-1].coef_, ref.coef_)
    np.testing.assert_array_equal(pred, ref.predict(standardize_per_group(X, groups)))


@pytest.mark.parametrize("value", [1e160, 1e300])
def test_columns_whose_variance_overflows_are_an_error_not_left_unscaled(value):
    """An infinite variance is not a zero one: such a column used to pass unscaled."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    X[:, 2] = value * rng.normal(size=40)
    with pytest.raises(ValueError, match=r"column\(s\) \[2\] hold values so large"):
        standardize_per_group(X, np.repeat(["a", "b"], 20))
    with pytest.raises(ValueError, match=r"column\(s\) \[2\] hold values so large"):
        GroupStandardScaler().fit(X)
