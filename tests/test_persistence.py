"""Model files: a file cannot run code when loaded; round trips are exact."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skser import EDRLTransformer, MEATransformer, load_model, save_model
from skser._persistence import UntrustedModelError


class _Marker:
    """Unpickling this writes a marker file: what a malicious model file would do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "pwned"))


class PlainScaler(TransformerMixin, BaseEstimator):
    """A user's transformer, unknown to skser (defined in a test module)."""

    def fit(self, X, y=None):
        self.center_ = np.mean(X, axis=0)
        return self

    def transform(self, X):
        return np.asarray(X) - self.center_


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.array(["angry", "happy", "sad"]), 20)
    X = rng.normal(size=(60, 8)) + (y == "happy")[:, None] * 1.5 - (y == "sad")[:, None]
    return X, y


@pytest.fixture(scope="module")
def edrl_mea(data):
    X, y = data
    model = Pipeline([
        ("edrl", EDRLTransformer(n_components=4, hidden_layer_sizes=(8,), max_epochs=3,
                                 random_state=0)),
        ("mea", MEATransformer(n_components=3)),
        ("lr", LogisticRegression(max_iter=500)),
    ])
    return model.fit(X, y)


def test_round_trip_gives_identical_predictions_and_probabilities(edrl_mea, data, tmp_path):
    X, _ = data
    path = save_model(edrl_mea, tmp_path / "m.skser", metadata={"classes": ["angry"]})
    loaded, meta = load_model(path, return_metadata=True)
    np.testing.assert_array_equal(loaded.predict(X), edrl_mea.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), edrl_mea.predict_proba(X))
    np.testing.assert_array_equal(loaded[:-1].transform(X), edrl_mea[:-1].transform(X))
    assert meta["classes"] == ["angry"]
    assert set(meta["versions"]) >= {"skser", "numpy", "scikit-learn", "torch"}
    # The caller's model is untouched: its torch modules are still modules.
    import torch

    assert isinstance(edrl_mea.named_steps["edrl"].intra_encoder_, torch.nn.Module)


def test_file_holds_no_pickle(edrl_mea, tmp_path):
    path = save_model(edrl_mea, tmp_path / "m.skser")
    with zipfile.ZipFile(path) as outer:
        assert sorted(outer.namelist()) == ["model.skops", "skser-model.json"]
        with zipfile.ZipFile(outer.open("model.skops")) as inner:
            for name in inner.namelist():
                head = inner.read(name)[:2]
                assert head != b"\x80\x04" and head != b"\x80\x05", name


def test_malicious_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "model.joblib"
    joblib.dump({"format": "skser-model-1", "pipeline": _Marker(marker)}, path)
    with pytest.raises(UntrustedModelError, match=r"model\.joblib is a pickle file.*"
                       r"trusted_pickle=True"):
        load_model(path)
    assert not marker.exists()
    # A plain pickle too.
    with open(tmp_path / "plain.pkl", "wb") as fh:
        pickle.dump(_Marker(marker), fh)
    with pytest.raises(UntrustedModelError, match="pickle"):
        load_model(tmp_path / "plain.pkl")
    assert not marker.exists()


def test_legacy_pickle_loads_only_when_trusted_with_a_warning(data, tmp_path):
    X, y = data
    model = LogisticRegression(max_iter=500).fit(X, y)
    path = tmp_path / "legacy.joblib"
    joblib.dump({"format": "skser-model-1", "pipeline": model, "classes": ["a"]}, path)
    with pytest.warns(UserWarning, match="runs any code"):
        loaded, meta = load_model(path, trusted_pickle=True, return_metadata=True)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert meta["classes"] == ["a"] and meta["format"] == "skser-model-1"


def test_tampered_file_fails_the_checksum_naming_the_file(data, tmp_path):
    X, y = data
    path = save_model(LogisticRegression(max_iter=500).fit(X, y), tmp_path / "m.skser")
    with zipfile.ZipFile(path) as zf:
        header = json.loads(zf.read("skser-model.json"))
        payload = zf.read("model.skops")
    header["metadata"] = {"classes": ["forged"]}  # changed without updating the checksum
    with zipfile.ZipFile(tmp_path / "bad.skser", "w") as zf:
        zf.writestr("skser-model.json", json.dumps(header))
        zf.writestr("model.skops", payload)
    with pytest.raises(UntrustedModelError, match=r"checksum of .*bad\.skser does not match"):
        load_model(tmp_path / "bad.skser")


def test_unknown_types_are_refused_and_named(data, tmp_path):
    X, y = data
    model = Pipeline([("plain", PlainScaler()), ("lr", LogisticRegression())]).fit(X, y)
    # Said when saving, not first when loading.
    with pytest.warns(UserWarning, match=r"trusts only when named: .*test_persistence\."
                                         r"PlainScaler\. Load it with"):
        path = save_model(model, tmp_path / "m.skser")
    with pytest.raises(UntrustedModelError, match=r"test_persistence\.PlainScaler"):
        load_model(path)
    loaded = load_model(path, trusted=[f"{PlainScaler.__module__}.PlainScaler"])
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_cuda_fitted_model_loads_and_predicts_on_cpu(edrl_mea, data, tmp_path):
    """The EDRL params say cuda; the saved weights are CPU tensors and load on a CPU."""
    X, _ = data
    model = Pipeline(edrl_mea.steps)  # the same fitted steps
    edrl = model.named_steps["edrl"]
    edrl.device, edrl.device_ = "cuda", "cuda"  # as fitted on a GPU
    try:
        path = save_model(model, tmp_path / "gpu.skser")
    finally:
        edrl.device, edrl.device_ = "cpu", "cpu"
    loaded = load_model(path)
    assert loaded.named_steps["edrl"].device == "cuda"  # the user's setting is kept
    assert loaded.named_steps["edrl"].device_ == "cpu"
    assert all(p.device.type == "cpu"
               for p in loaded.named_steps["edrl"].intra_encoder_.parameters())
    np.testing.assert_array_equal(loaded.predict(X), edrl_mea.predict(X))


def test_plain_sklearn_model_round_trip(data, tmp_path):
    X, y = data
    model = Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
    loaded = load_model(save_model(model, tmp_path / "lr.skser"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_import_skser_does_not_import_skops():
    code = "import sys, skser; print('skops' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_not_a_model_file_and_missing_file(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UntrustedModelError, match=r"t\.csv is not a skser model file"):
        load_model(tmp_path / "t.csv")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("x.txt", "x")
    with pytest.raises(UntrustedModelError, match="not a skser model file"):
        load_model(tmp_path / "other.zip")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "missing.skser")


def test_save_refuses_bad_metadata_and_missing_folder(tmp_path):
    model = StandardScaler().fit([[0.0], [1.0]])
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_model(model, tmp_path / "m.skser", metadata={"x": object()})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(model, tmp_path / "no" / "m.skser")
    assert not (tmp_path / "m.skser").exists()


def _fitted_public_estimators(X, y):
    """Every public estimator but the feature extractors, fitted, by discovery."""
    from sklearn.svm import SVC

    from skser import LabelledOnly
    from skser.preprocessing import GroupStandardScaler
    from skser.utils import all_estimators

    made = {
        "EDRLTransformer": lambda: EDRLTransformer(n_components=4, max_epochs=2, random_state=0),
        "MEATransformer": lambda: MEATransformer(n_components=2),
        "LabelledOnly": lambda: LabelledOnly(SVC()),
        "GroupStandardScaler": GroupStandardScaler,
    }
    for name, _cls in all_estimators():
        if name in ("AcousticFeatures", "SSLEmbeddings"):  # take audio, hold no fitted state
            continue
        assert name in made, f"add {name} to this test: every estimator must save and load"
        yield name, made[name]().fit(X, y)


def test_every_public_estimator_round_trips(data, tmp_path):
    X, y = data
    y_semi = np.where(np.arange(len(y)) % 4 == 0, "-1", y).astype(object)
    y_semi[y_semi == "-1"] = -1  # unlabelled rows too: their statistics are stored
    for name, est in _fitted_public_estimators(X, y_semi):
        save_model(est, tmp_path / f"{name}.skser")
        back = load_model(tmp_path / f"{name}.skser")
        method = "predict" if hasattr(est, "predict") else "transform"
        np.testing.assert_array_equal(getattr(back, method)(X), getattr(est, method)(X))


def test_wide_mea_keeping_rows_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 40)), np.repeat([0, 1, 2], 4)
    mea = MEATransformer(n_components=2).partial_fit(X[:6], y[:6], classes=[0, 1, 2])
    mea.partial_fit(X[6:], y[6:])  # fewer rows than columns: the rows themselves are kept
    save_model(mea, tmp_path / "wide.skser")
    back = load_model(tmp_path / "wide.skser")
    np.testing.assert_array_equal(back.transform(X), mea.transform(X))
    back.partial_fit(X, y)  # a loaded model goes on learning exactly like the original
    mea.partial_fit(X, y)
    np.testing.assert_allclose(back.transform(X), mea.transform(X), rtol=1e-12, atol=1e-12)


def _drop_params(estimator):
    """The estimator as a file written before its parameters existed would hold it."""
    for name in estimator.get_params(deep=False):
        delattr(estimator, name)
    return estimator


def test_model_saved_before_a_parameter_existed_loads_with_its_default(edrl_mea, data,
                                                                        tmp_path):
    # A parameter added in a later release (EDRL's partner_mixing, ...) is missing from an
    # older file; get_params, repr and clone must still work, with the default, which keeps
    # the saved behaviour.
    X, _ = data
    old = pickle.loads(pickle.dumps(edrl_mea))
    _drop_params(old.named_steps["edrl"])
    _drop_params(old.named_steps["mea"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # (save_model copies the model, which already fills EDRL's parameters in)
        save_model(old, tmp_path / "old.skser")
        back = load_model(tmp_path / "old.skser")
    said = " ".join(str(w.message) for w in caught)
    for name in ("EDRLTransformer", "MEATransformer"):
        assert f"{name} was saved without the parameter(s) n_components, " in said
    edrl = back.named_steps["edrl"]
    assert edrl.get_params() == EDRLTransformer().get_params()
    assert back.named_steps["mea"].get_params() == MEATransformer().get_params()
    assert "EDRLTransformer()" in repr(back)
    np.testing.assert_array_equal(back.predict(X), edrl_mea.predict(X))


def test_every_public_estimator_fills_missing_parameters_on_unpickling():
    import inspect

    from skser.utils import all_estimators

    for name, cls in all_estimators():
        est = cls() if name != "LabelledOnly" else cls(LogisticRegression())
        expected = est.get_params(deep=False)
        signature = inspect.signature(cls.__init__).parameters
        state = dict(est.__getstate__())
        for param in expected:
            if signature[param].default is not signature[param].empty:
                state.pop(param)  # a required parameter (no default) is never a new one
        back = cls.__new__(cls)
        if name == "LabelledOnly":  # its one parameter is required: nothing to fill in
            back.__setstate__(state)
        else:
            with pytest.warns(UserWarning, match=f"{cls.__name__} was saved without"):
                back.__setstate__(state)
        assert back.get_params(deep=False) == expected, name
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a complete state loads silently
            cls.__new__(cls).__setstate__(dict(est.__getstate__()))


@pytest.mark.parametrize("task", ["classes", "ratings"])
def test_grid_search_with_skser_scorers_saves_and_loads_silently(data, tmp_path, task):
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

    from skser.metrics import REGRESSION_SCORERS, SCORERS

    X, y = data
    if task == "classes":
        search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]},
                              scoring=SCORERS, refit="uar", cv=StratifiedKFold(3))
        search.fit(X, y)
    else:
        search = GridSearchCV(Ridge(), {"alpha": [0.1, 10.0]}, scoring=REGRESSION_SCORERS,
                              refit="ccc", cv=KFold(3)).fit(X, X[:, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_model(search, tmp_path / "search.skser")
        back = load_model(tmp_path / "search.skser")
    np.testing.assert_array_equal(back.predict(X), search.predict(X))
    assert back.best_params_ == search.best_params_
