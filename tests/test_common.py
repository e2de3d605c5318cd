"""scikit-learn's estimator checks for every public estimator, found by discovery."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skser.utils import all_estimators


def _tiny_speech_model():
    """A tiny random wav2vec 2.0 saved to a folder (the checks must not download).

    The folder's path is part of the estimator's repr, hence of the test ids, which every
    pytest-xdist worker must collect identically: so it is a fixed path (per transformers
    version; the weights are seeded), written once through a staging folder and a rename.
    """
    try:
        import transformers
        from _tiny_ssl import save_tiny_model
    except ImportError:  # transformers (the ssl extra) is not installed
        return None
    folder = Path(tempfile.gettempdir()) / f"skser-tiny-wav2vec2-{transformers.__version__}"
    if not (folder / "config.json").is_file():
        staging = tempfile.mkdtemp(prefix=f"{folder.name}-", dir=folder.parent)
        save_tiny_model("wav2vec2", staging)
        try:
            os.rename(staging, folder)
        except OSError:  # another worker renamed its copy first
            shutil.rmtree(staging, ignore_errors=True)
    return str(folder)


# Constructor arguments that keep the checks fast without changing what is checked
# (e.g. fewer training epochs for the torch model).
CHECK_PARAMS = {
    "MEATransformer": {"n_components": 1},
    "EDRLTransformer": {"max_epochs": 5, "random_state": 0},
    # float64: the checks compare subsets of rows to the whole at 1e-7.
    "SSLEmbeddings": {"model": _tiny_speech_model(), "dtype": "float64"},
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
        if name == "SSLEmbeddings" and CHECK_PARAMS[name]["model"] is None:
            continue
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
