"""EDRL with a continuous target: the partner-draw choices, measured by CCC.

EDRL pairs samples by class; a continuous target (arousal or valence ratings) is cut into
quantile bins that play the classes' part (``EDRLTransformer``'s Notes, *Continuous
targets*). This script measures the two choices made there, on synthetic data whose target
depends non-linearly on a few of many noisy features (no corpus at hand has continuous
ratings), for several data seeds:

* the number of bins (``target_bins`` 3, 5, 10);
* the inter partner from a *distant* bin (more than one bin away, the default with four or
  more bins) against *any other* bin.

Each variant is ``EDRLTransformer -> MEATransformer(response="target") -> SVR``, trained on
300 rows and scored on 300 others by the concordance correlation coefficient (CCC), with
SVR alone and MEA+SVR as baselines, the same pipeline with the paper's MEA response (the
input features, not the target; ``MEATransformer()``'s ``response="auto"`` picks the target
for a continuous ``y``), and the default pipeline fitted on shuffled targets as a
control.

Usage::

    python benchmarks/edrl_regression.py --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.svm import SVR

from skser import EDRLTransformer, MEATransformer
from skser.metrics import ccc_score


def make_data(seed, n=600, n_features=40, noise=0.5):
    """Features and a target that depends non-linearly on five of them, plus noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    target = (X[:, 0] - 0.7 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + np.sin(2 * X[:, 4]))
    return X, target + noise * rng.normal(size=n)


class AnyOtherBin(EDRLTransformer):
    """EDRL whose inter partner comes from any other bin (no distance rule)."""

    def _bin_target(self, y_lab):
        codes, _ = super()._bin_target(y_lab)
        return codes, 0


def variants(seed):
    def edrl_mea(edrl):
        return Pipeline([("edrl", edrl), ("mea", MEATransformer(response="target")),
                         ("svr", SVR())])

    return {
        "SVR": SVR(),
        "MEA+SVR": Pipeline([("mea", MEATransformer(response="target")), ("svr", SVR())]),
        "EDRL+MEA+SVR (5 bins, distant)": edrl_mea(EDRLTransformer(random_state=seed)),
        "5 bins, any other bin": edrl_mea(AnyOtherBin(random_state=seed)),
        "3 bins": edrl_mea(EDRLTransformer(target_bins=3, random_state=seed)),
        "10 bins, distant": edrl_mea(EDRLTransformer(target_bins=10, random_state=seed)),
        "MEA response='input' (the paper's)": Pipeline([
            ("edrl", EDRLTransformer(random_state=seed)),
            ("mea", MEATransformer(response="input")), ("svr", SVR())]),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(5)))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    rows = []
    for seed in args.seeds:
        X, y = make_data(seed)
        train, test = slice(0, 300), slice(300, None)
        for name, model in variants(seed).items():
            pred = model.fit(X[train], y[train]).predict(X[test])
            rows.append((name, seed, ccc_score(y[test], pred)))
        control = variants(seed)["EDRL+MEA+SVR (5 bins, distant)"]
        shuffled = np.random.default_rng(seed + 100).permutation(y[train])
        pred = control.fit(X[train], shuffled).predict(X[test])
        rows.append(("control: shuffled targets", seed, ccc_score(y[test], pred)))
    table = pd.DataFrame(rows, columns=["pipeline", "seed", "ccc"])
    wide = table.pivot(index="pipeline", columns="seed", values="ccc")
    wide = wide.loc[list(dict.fromkeys(table["pipeline"]))]
    wide["mean"], wide["sd"] = wide.mean(axis=1), wide.std(axis=1)
    print(wide.map(lambda v: f"{v:.3f}").to_string())
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
