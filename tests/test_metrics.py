"""UAR, WA and macro-F1 and their scorers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from skser.metrics import (
    SCORERS,
    get_scorer,
    get_scorer_names,
    get_scorers,
    macro_f1_score,
    uar_score,
    wa_score,
)

# 10 utterances: 4 angry, 2 happy, 4 sad.
Y_TRUE = np.array(["ang"] * 4 + ["hap"] * 2 + ["sad"] * 4)
Y_PRED = np.array(["ang", "ang", "ang", "sad", "hap", "ang", "sad", "sad", "sad", "sad"])


def test_uar_by_hand():
    # recalls: ang 3/4, hap 1/2, sad 4/4
    assert uar_score(Y_TRUE, Y_PRED) == pytest.approx((3 / 4 + 1 / 2 + 1) / 3)


def test_wa_by_hand():
    assert wa_score(Y_TRUE, Y_PRED) == pytest.approx(8 / 10)


def test_macro_f1_by_hand():
    # ang: P 3/4 R 3/4; hap: P 1/1 R 1/2; sad: P 4/5 R 4/4
    def f1(p, r):
        return 2 * p * r / (p + r)

    expected = (f1(3 / 4, 3 / 4) + f1(1.0, 1 / 2) + f1(4 / 5, 1.0)) / 3
    assert macro_f1_score(Y_TRUE, Y_PRED) == pytest.approx(expected)


def test_uar_majority_class_is_chance():
    assert uar_score(Y_TRUE, ["ang"] * 10) == pytest.approx(1 / 3)
    assert wa_score(Y_TRUE, ["ang"] * 10) == pytest.approx(0.4)


def test_uar_ignores_emotions_absent_from_the_test_set():
    # "neu" is predicted but has no true sample: it must not pull the average down.
    y_pred = np.where(Y_PRED == "hap", "neu", Y_PRED)
    assert uar_score(Y_TRUE, y_pred) == pytest.approx((3 / 4 + 0 + 1) / 3)
    with pytest.warns(UserWarning, match="not in y_true"):
        reference = balanced_accuracy_score(Y_TRUE, y_pred)
    assert uar_score(Y_TRUE, y_pred) == pytest.approx(reference)
    # listed labels without true samples are left out as well
    assert uar_score(Y_TRUE, Y_PRED, labels=["ang", "sad", "neu"]) == pytest.approx(7 / 8)


def test_uar_equals_balanced_accuracy(rng):
    for _ in range(20):
        y_true = rng.integers(0, 4, size=50)
        y_pred = rng.integers(0, 4, size=50)
        w = rng.uniform(0.1, 2.0, size=50)
        assert uar_score(y_true, y_pred) == pytest.approx(balanced_accuracy_score(y_true, y_pred))
        assert uar_score(y_true, y_pred, sample_weight=w) == pytest.approx(
            balanced_accuracy_score(y_true, y_pred, sample_weight=w)
        )


def test_uar_empty_raises():
    with pytest.raises(ValueError, match="empty"):
        uar_score([], [])


@pytest.fixture
def data():
    return make_classification(
        n_samples=120,
        n_features=8,
        n_informative=4,
        n_classes=3,
        weights=[0.6, 0.3, 0.1],
        random_state=0,
    )


def test_scorers_equal_the_metrics(data):
    X, y = data
    est = LogisticRegression().fit(X, y)
    pred = est.predict(X)
    assert SCORERS["uar"](est, X, y) == pytest.approx(uar_score(y, pred))
    assert SCORERS["wa"](est, X, y) == pytest.approx(wa_score(y, pred))
    assert SCORERS["macro_f1"](est, X, y) == pytest.approx(macro_f1_score(y, pred))
    assert get_scorer("uar") is SCORERS["uar"]


def test_scorers_in_grid_search(data):
    X, y = data
    cv = StratifiedKFold(3)
    grid = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=SCORERS, refit="uar", cv=cv
    ).fit(X, y)
    reference = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring="balanced_accuracy", cv=cv
    ).fit(X, y)
    np.testing.assert_allclose(
        grid.cv_results_["mean_test_uar"], reference.cv_results_["mean_test_score"]
    )
    assert grid.best_params_ == reference.best_params_
    # a single scorer object also works as scoring=
    single = GridSearchCV(LogisticRegression(), {"C": [1.0]}, scoring=get_scorer("wa"), cv=cv)
    single.fit(X, y)
    assert 0 < single.best_score_ <= 1


def test_get_scorers_forms(data):
    X, y = data
    assert list(get_scorers("uar")) == ["uar"]
    assert list(get_scorers(("uar", "accuracy"))) == ["uar", "accuracy"]
    mine = get_scorers({"u": "uar", "bal": "balanced_accuracy"})
    res = cross_validate(LogisticRegression(), X, y, scoring=mine, cv=3)
    np.testing.assert_allclose(res["test_u"], res["test_bal"])
    assert get_scorer_names() == ["ccc", "macro_f1", "uar", "wa"]


@pytest.mark.parametrize(
    ("scoring", "error", "match"),
    [
        ("uarr", ValueError, "Unknown scoring 'uarr'"),
        (3, TypeError, "got int"),
        ([], ValueError, "empty"),
        (["uar", "uar"], ValueError, "unique"),
        ([len], TypeError, "names"),
    ],
)
def test_bad_scoring(scoring, error, match):
    with pytest.raises(error, match=match):
        get_scorers(scoring)


# --------------------------------------------------------------------------------------------
# CCC (Lin 1989)


def _ccc_by_definition(t, p):
    """Lin's CCC from its definition, with plain Python sums (population moments)."""
    n = len(t)
    mt, mp = sum(t) / n, sum(p) / n
    vt = sum((a - mt) ** 2 for a in t) / n
    vp = sum((b - mp) ** 2 for b in p) / n
    cov = sum((a - mt) * (b - mp) for a, b in zip(t, p)) / n
    return 2 * cov / (vt + vp + (mt - mp) ** 2)


def test_ccc_matches_the_definition_and_the_correlation_form():
    from skser.metrics import ccc_score

    rng = np.random.default_rng(3)
    t = rng.normal(size=50)
    p = 0.6 * t + rng.normal(scale=0.5, size=50) + 0.3
    expected = _ccc_by_definition(t.tolist(), p.tolist())
    assert ccc_score(t, p) == pytest.approx(expected, rel=1e-12)
    r = np.corrcoef(t, p)[0, 1]
    via_r = 2 * r * t.std() * p.std() / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
    assert ccc_score(t, p) == pytest.approx(via_r, rel=1e-12)
    assert ccc_score(p, t) == pytest.approx(expected, rel=1e-12)  # symmetric


def test_ccc_penalises_shift_and_scale_that_correlation_ignores():
    from skser.metrics import ccc_score

    t = np.array([1.0, 2.0, 3.0, 4.0])
    assert ccc_score(t, t) == 1.0
    assert ccc_score(t, -t + 5) == pytest.approx(-1.0)
    # a shift by one standard deviation: 2 var / (2 var + var) = 2 / 3
    assert ccc_score(t, t + t.std()) == pytest.approx(2 / 3)
    # a scale by 2 around the mean: 2 * 2 var / (var + 4 var) = 4 / 5
    assert ccc_score(t, 2 * (t - t.mean()) + t.mean()) == pytest.approx(0.8)
    assert ccc_score([2.0, 2.0], [2.0, 2.0]) == 1.0  # one and the same constant
    assert ccc_score([2.0, 2.0], [3.0, 3.0]) == 0.0


def test_ccc_multioutput_and_weights():
    from skser.metrics import ccc_score

    rng = np.random.default_rng(4)
    T = rng.normal(size=(30, 2))
    P = T + rng.normal(scale=[0.2, 1.0], size=(30, 2))
    raw = ccc_score(T, P, multioutput="raw_values")
    assert raw.shape == (2,)
    assert raw[0] == pytest.approx(ccc_score(T[:, 0], P[:, 0]))
    assert ccc_score(T, P) == pytest.approx(raw.mean())
    # integer weights are the same as repeating rows
    w = rng.integers(1, 4, size=30)
    repeated = ccc_score(np.repeat(T[:, 0], w), np.repeat(P[:, 0], w))
    assert ccc_score(T[:, 0], P[:, 0], sample_weight=w) == pytest.approx(repeated)


@pytest.mark.parametrize(
    ("t", "p", "kwargs", "match"),
    [
        ([1.0, 2.0], [1.0, np.nan], {}, "NaN"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], {}, "inconsistent numbers of samples"),
        ([[1.0, 2.0]], [1.0], {}, "shape"),
        ([1.0, 2.0], [1.0, 2.0], {"sample_weight": [0, 0]}, "not all zero"),
        ([1.0, 2.0], [1.0, 2.0], {"multioutput": "variance_weighted"}, "multioutput"),
    ],
)
def test_ccc_errors(t, p, kwargs, match):
    from skser.metrics import ccc_score

    with pytest.raises(ValueError, match=match):
        ccc_score(t, p, **kwargs)


def test_ccc_scorer_in_a_grid_search():
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    from skser.metrics import REGRESSION_SCORERS, ccc_score

    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 4))
    y = X @ np.array([1.0, -0.5, 0.0, 0.2]) + rng.normal(scale=0.3, size=80)
    est = Ridge().fit(X, y)
    assert get_scorer("ccc") is REGRESSION_SCORERS["ccc"]
    assert get_scorer("ccc")(est, X, y) == pytest.approx(ccc_score(y, est.predict(X)))
    search = GridSearchCV(Ridge(), {"alpha": [0.1, 1000.0]}, scoring="r2", cv=3)
    search.set_params(scoring=get_scorers(["ccc"]), refit="ccc").fit(X, y)
    assert search.best_params_ == {"alpha": 0.1}


@pytest.mark.parametrize("name", ["uar_score", "wa_score", "macro_f1_score"])
@pytest.mark.parametrize("names", [None, np.array(["ang", "hap", "sad"], dtype=object)])
def test_class_scores_leave_out_unlabelled_rows(name, names):
    # -1 marks an unlabelled row (the package's semi-supervised convention): it is no
    # class, so the score equals the score of the labelled rows alone. Integer labels, and
    # emotion names with -1 among them (object arrays).
    import skser.metrics as m

    score = getattr(m, name)
    y_true = np.array([0, 1, 2, 1, -1, -1, 0])
    y_pred = np.array([0, 1, 1, 1, 0, 2, 2])
    if names is not None:
        y_true = np.array([names[v] if v >= 0 else -1 for v in y_true], dtype=object)
        y_pred = names[y_pred]
    keep = np.array([True, True, True, True, False, False, True])
    assert score(y_true, y_pred) == score(y_true[keep], y_pred[keep])
    w = np.array([1, 2, 3, 1, 5, 5, 2])
    assert score(y_true, y_pred, sample_weight=w) == pytest.approx(
        score(y_true[keep], y_pred[keep], sample_weight=w[keep]))
    # The value the report gave: labelled rows all right is 1.0, not 2/3.
    assert m.uar_score([0, 1, -1, -1], [0, 1, 0, 1]) == 1.0


def test_string_labels_have_no_unlabelled_value():
    assert uar_score(["-1", "ang", "ang"], ["ang", "ang", "ang"]) == 0.5


@pytest.mark.parametrize("name", ["uar_score", "wa_score", "macro_f1_score", "ccc_score"])
def test_scores_of_only_unlabelled_rows_are_an_error(name):
    import skser.metrics as m

    y = [-1, -1] if name != "ccc_score" else [np.nan, np.nan]
    with pytest.raises(ValueError, match=f"{name}: every one of the 2 rows of y_true is "
                                         "unlabelled"):
        getattr(m, name)(y, [0, 1])


def test_ccc_leaves_out_unlabelled_truth_but_not_missing_predictions():
    from skser.metrics import ccc_score

    t = np.array([1.0, 2.0, np.nan, 4.0, 3.0])
    p = np.array([1.5, 2.0, 9.0, 3.0, 3.5])
    assert ccc_score(t, p) == ccc_score(t[[0, 1, 3, 4]], p[[0, 1, 3, 4]])
    with pytest.raises(ValueError, match="NaN"):
        ccc_score([1.0, 2.0, 3.0], [1.0, np.nan, 2.0])


def test_grid_search_with_unlabelled_rows_in_the_test_folds():
    # Each test fold holds unlabelled rows; the UAR of a fold is that of its labelled rows.
    X, y = make_classification(n_samples=90, n_classes=3, n_informative=4, random_state=1)
    y_semi = y.copy()
    y_semi[::4] = -1
    cv = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    from skser import LabelledOnly

    clf = LabelledOnly(LogisticRegression(max_iter=500))  # never predicts -1
    res = cross_validate(clf, X, y_semi, scoring=SCORERS, cv=cv)
    for fold, (train, test) in enumerate(cv):
        fitted = clf.fit(X[train], y_semi[train])
        keep = test[y_semi[test] != -1]
        expected = balanced_accuracy_score(y[keep], fitted.predict(X[keep]))
        assert res["test_uar"][fold] == pytest.approx(expected)
