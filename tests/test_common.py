"""scikit-learn's estimator checks for every public estimator, found by discovery."""

from __future__ import annotations

import atexit
import shutil
import tempfile

from sklearn.utils.estimator_checks import parametrize_with_checks

from skser.utils import all_estimators


def _tiny_speech_model():
    """A tiny random wav2vec 2.0 saved to a temporary folder (the checks must not download)."""
    try:
        from _tiny_ssl import save_tiny_model

        folder = tempfile.mkdtemp(prefix="skser-tiny-ssl-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return save_tiny_model("wav2vec2", folder)
    except ImportError:  # transformers (the ssl extra) is not installed
        return None


# Constructor arguments that keep the checks fast without changing what is checked
# (e.g. fewer training epochs for the torch model).
CHECK_PARAMS = {
    "MEATransformer": {"n_components": 1},
    "EDRLTransformer": {"max_epochs": 5, "random_state": 0},
    # float64: the checks compare subsets of rows to the whole at 1e-7.
    "SSLEmbeddings": {"model": _tiny_speech_model(), "dtype": "float64"},
}

# Checks that cannot pass for a reason inherent to the estimator, with that reason.
EXPECTED_FAILED = {}


# Further configurations whose code paths the defaults above do not reach.
EXTRA_PARAMS = {
    # One component keeps the checks' narrow inputs valid; normalize=True scales the scores
    # to unit length, which "auto" never does with a single component.
    "MEATransformer": [{"n_components": 1, "normalize": True}],
}


def _instances():
    for name, cls in all_estimators():
        if name == "SSLEmbeddings" and CHECK_PARAMS[name]["model"] is None:
            continue
        yield cls(**CHECK_PARAMS.get(name, {}))
        for params in EXTRA_PARAMS.get(name, []):
            yield cls(**params)


def _expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


def test_discovery_finds_the_estimators():
    names = dict(all_estimators())
    assert {"EDRLTransformer", "MEATransformer"} <= set(names)


@parametrize_with_checks(list(_instances()), expected_failed_checks=_expected_failed)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
