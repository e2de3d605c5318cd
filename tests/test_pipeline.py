"""The default EDRL-MEA pipeline (EDRL -> MEA -> classifier), used as sklearn users do.

Routing ``groups`` to EDRL:

* without metadata routing (the default), ``Pipeline.fit(X, y, edrl__groups=g)``; through
  ``GridSearchCV`` / ``cross_validate``, pass ``edrl__groups=g`` as a fit parameter
  (``search.fit(X, y, groups=g, edrl__groups=g)``, ``cross_validate(..., params={...})``);
  it is split with the rows of every fold;
* with ``sklearn.set_config(enable_metadata_routing=True)``, request it once with
  ``EDRLTransformer().set_fit_request(groups=True)``; ``search.fit(X, y, groups=g)`` then
  gives ``g`` to both the splitter and EDRL.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, LeaveOneGroupOut, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer

EDRL = {"n_components": 3, "hidden_layer_sizes": (16,), "max_epochs": 3, "random_state": 0}


@pytest.fixture(scope="module")
def corpora():
    """Three 'corpora' of 3 emotions, each corpus with its own offset (a corpus effect)."""
    rng = np.random.default_rng(0)
    n_per, n_features = 30, 6
    y = np.tile(np.repeat(["angry", "happy", "sad"], n_per // 3), 3)
    corpus = np.repeat(["A", "B", "C"], n_per)
    centers = {"angry": 1.5, "happy": 0.0, "sad": -1.5}
    X = rng.normal(size=(y.size, n_features)) + np.array([centers[c] for c in y])[:, None]
    X += np.repeat(rng.normal(scale=0.5, size=(3, n_features)), n_per, axis=0)
    return X, y, corpus


def _pipe(**kwargs):
    return Pipeline(
        [("edrl", EDRLTransformer(**EDRL)), ("mea", MEATransformer(n_components=2)),
         ("svc", SVC())],
        **kwargs,
    )


def test_numpy_pipeline_mea_finds_blocks_without_configuration(corpora):
    X, y, _ = corpora
    pipe = _pipe().fit(X, y)
    mea = pipe.named_steps["mea"]
    assert mea.block_names_ == ["intra", "inter", "input"]
    # Default response="auto": the labels inside a classification pipeline, so every block
    # (the input included) is an X block.
    assert mea.response_type_ == "labels" and mea.response_ is None
    assert [mea.block_names_[i] for i in mea.x_blocks_] == ["intra", "inter", "input"]
    assert [len(b) for b in mea.blocks_] == [3, 3, 6]
    paper = clone(pipe).set_params(mea__response="input").fit(X, y).named_steps["mea"]
    assert [paper.block_names_[i] for i in paper.x_blocks_] == ["intra", "inter"]
    assert paper.block_names_[paper.response_] == "input"
    assert pipe.score(X, y) > 0.6  # chance is 1/3; EDRL trains for 3 epochs only
    assert set(pipe.predict(X)) <= set(y)


def test_pandas_output_gives_the_same_model(corpora):
    X, y, _ = corpora
    df = pd.DataFrame(X, columns=[f"mfcc{i}" for i in range(X.shape[1])])
    pipe = _pipe().set_output(transform="pandas").fit(df, y)
    Z = pipe[:-1].transform(df)
    assert isinstance(Z, pd.DataFrame)
    edrl_out = pipe.named_steps["edrl"].transform(df)
    assert isinstance(edrl_out, pd.DataFrame)
    assert list(edrl_out.columns[-6:]) == [f"input__mfcc{i}" for i in range(6)]
    mea = pipe.named_steps["mea"]
    assert mea.block_names_ == ["intra", "inter", "input"]
    reference = _pipe().fit(X, y)
    np.testing.assert_allclose(Z.to_numpy(), reference[:-1].transform(X), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(pipe.predict(df), reference.predict(X))


def test_pipeline_memory_caches_edrl(corpora, tmp_path):
    X, y, _ = corpora
    first = _pipe(memory=str(tmp_path)).fit(X, y)
    assert any(tmp_path.rglob("*.pkl")), "the EDRL fit was not cached"
    second = _pipe(memory=str(tmp_path)).fit(X, y)
    # The cached EDRL (a reloaded LayoutArray output) still carries the layout for MEA.
    assert second.named_steps["mea"].block_names_ == ["intra", "inter", "input"]
    assert second.named_steps["edrl"].history_ == first.named_steps["edrl"].history_
    np.testing.assert_array_equal(second.predict(X), first.predict(X))
    np.testing.assert_array_equal(second.predict(X), _pipe().fit(X, y).predict(X))


def test_grid_search_leave_one_corpus_out(corpora):
    X, y, corpus = corpora
    grid = {"edrl__n_components": [2, 3], "mea__n_components": [1, 2]}
    search = GridSearchCV(_pipe(), grid, cv=LeaveOneGroupOut()).fit(X, y, groups=corpus)
    assert len(search.cv_results_["params"]) == 4
    assert search.n_splits_ == 3
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["edrl__n_components"] in (2, 3)
    best = search.best_estimator_
    assert best.named_steps["edrl"].n_components == search.best_params_["edrl__n_components"]
    assert best.named_steps["mea"].block_names_ == ["intra", "inter", "input"]
    assert search.score(X, y) > 0.5


def test_pipeline_routes_edrl_groups(corpora):
    X, y, corpus = corpora
    pipe = _pipe().fit(X, y, edrl__groups=corpus)
    direct = EDRLTransformer(**EDRL).fit(X, y, groups=corpus)
    ungrouped = EDRLTransformer(**EDRL).fit(X, y)
    np.testing.assert_array_equal(pipe.named_steps["edrl"].transform(X), direct.transform(X))
    assert not np.array_equal(direct.transform(X), ungrouped.transform(X))


def test_grid_search_edrl_groups_as_fit_parameter(corpora):
    X, y, corpus = corpora
    search = GridSearchCV(_pipe(), {"mea__n_components": [1, 2]}, cv=LeaveOneGroupOut())
    search.fit(X, y, groups=corpus, edrl__groups=corpus)
    refit = search.best_estimator_.named_steps["edrl"]
    direct = EDRLTransformer(**EDRL).fit(X, y, groups=corpus)
    np.testing.assert_array_equal(refit.transform(X), direct.transform(X))


def test_grid_search_with_metadata_routing(corpora):
    X, y, corpus = corpora
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([
            ("edrl", EDRLTransformer(**EDRL).set_fit_request(groups=True)),
            ("mea", MEATransformer(n_components=2)),
            ("svc", SVC()),
        ])
        search = GridSearchCV(pipe, {"mea__n_components": [1, 2]}, cv=LeaveOneGroupOut())
        search.fit(X, y, groups=corpus)
        assert search.n_splits_ == 3
        refit = search.best_estimator_.named_steps["edrl"]
        direct = EDRLTransformer(**EDRL).fit(X, y, groups=corpus)
        np.testing.assert_array_equal(refit.transform(X), direct.transform(X))


def test_cross_validate(corpora):
    X, y, corpus = corpora
    result = cross_validate(_pipe(), X, y, groups=corpus, cv=LeaveOneGroupOut(),
                            params={"edrl__groups": corpus}, return_estimator=True)
    assert result["test_score"].shape == (3,)
    assert np.all((result["test_score"] >= 0) & (result["test_score"] <= 1))
    assert result["test_score"].mean() > 0.5
    for fitted in result["estimator"]:
        assert fitted.named_steps["mea"].block_names_ == ["intra", "inter", "input"]


def test_pickled_pipeline_predicts_the_same(corpora):
    X, y, _ = corpora
    pipe = _pipe().fit(X, y)
    loaded = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(loaded[:-1].transform(X), pipe[:-1].transform(X))
