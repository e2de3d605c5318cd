"""scikit-learn's estimator checks for every public estimator, found by discovery."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skser.utils import all_estimators

# Constructor arguments that keep the checks fast without changing what is checked
# (e.g. fewer training epochs for the torch model).
CHECK_PARAMS = {
    "MEATransformer": {"n_components": 1},
    "EDRLTransformer": {"max_epochs": 5, "random_state": 0},
    "LabelledOnly": {"estimator": LogisticRegression()},
}

# Checks that cannot pass for a reason inherent to the estimator, with that reason.
EXPECTED_FAILED = {
    "LabelledOnly": {
        "check_classifiers_classes": (
            "fits binary labels {-1, 1}; -1 marks an unlabelled row (scikit-learn's "
            "semi-supervised convention), so one labelled class is left and fit refuses it"
        ),
    },
}


# Further configurations whose code paths the defaults above do not reach.
EXTRA_PARAMS = {
    # One component keeps the checks' narrow inputs valid; normalize=True scales the scores
    # to unit length, which "auto" never does with a single component.
    "MEATransformer": [{"n_components": 1, "normalize": True}],
}


def _instances():
    for name, cls in all_estimators():
        yield cls(**CHECK_PARAMS.get(name, {}))
        for params in EXTRA_PARAMS.get(name, []):
            yield cls(**params)


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


def test_discovery_finds_the_estimators():
    names = dict(all_estimators())
    assert {"EDRLTransformer", "LabelledOnly", "MEATransformer"} <= set(names)


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
