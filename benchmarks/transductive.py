"""Transductive against inductive EDRL-MEA: adaptation to unlabelled target speech.

Multi-source leave-one-corpus-out: every pipeline is trained on the clean, labelled speech of
three of the four corpora (EmoDB, URDU, EMOVO, ASED) and tested on the fourth, clean and with
environmental noise at 20, 10, 5 and 0 dB SNR (the noise protocol and the feature cache of
``robust_ser.py``). Each pipeline runs twice:

* inductive: fitted on the labelled source rows only;
* transductive: fitted on the labelled source rows plus the test set's features as unlabelled
  rows (label ``-1``): the exact rows it is then scored on, never their labels.

Every feature matrix is standardised per corpus and condition with its own statistics, as in
``robust_ser.py``. The metric is UAR. Seeded pipelines (EDRL) run with every seed of
``--seeds``; a cell reports the mean over seeds. The paired bootstrap resamples the test
utterances of every cell (the same resample for both pipelines compared) and reports the 95%
interval of the difference in mean UAR over the cells.

Pipelines: SVC; PCA(0.95)+SVC and PLS-DA+SVC (one-block ``MEATransformer`` with the labels
as response: semi-supervised ``XᵀX``), which can use the unlabelled rows; MEA+SVC; the
default EDRL+MEA+SVC; and variants that measure each use EDRL makes of the unlabelled rows
(``EDRL(source)``: standardised with the labelled rows only; ``EDRL(target
reconstruction)``: ``unlabelled_weight=1.0``) or that pseudo-label them
(``SelfTrainingClassifier``). Every final classifier is ``LabelledOnly(SVC())`` or the
self-training one.

Usage::

    python benchmarks/transductive.py --data ../shared/data --seeds 0 \
        --pipelines SVC PCA+SVC PLS-DA+SVC MEA+SVC EDRL+MEA+SVC --predictions main.pkl
    python benchmarks/transductive.py --data ../shared/data --seeds 0 --transductive-only \
        --pipelines "EDRL(source)+MEA+SVC" "EDRL(target reconstruction)+MEA+SVC" \
        --predictions variants.pkl
    python benchmarks/transductive.py --data ../shared/data --report main.pkl variants.pkl

``extract`` as the first argument only extracts and caches the features.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import robust_ser as rs
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC

from skser import EDRLTransformer, LabelledOnly, MEATransformer, labelled_rows
from skser.datasets import load_corpus
from skser.features import AcousticFeatures
from skser.noise import load_noises

EMOTIONS = {"angry", "happy", "neutral", "sad"}
EMOVO_CODES = {"rab": "angry", "gio": "happy", "neu": "neutral", "tri": "sad"}
ASED_CODES = {"a": "angry", "h": "happy", "n": "neutral", "s": "sad"}


# --------------------------------------------------------------------------- corpora


def _emovo(root: Path) -> pd.DataFrame:
    """``<spk>/<emo>-<spk>-<sentence>.wav``; the four emotions of this benchmark."""
    rows = []
    for f in sorted(root.glob("*/*.wav")):
        emo, spk = f.stem.split("-")[:2]
        if emo in EMOVO_CODES:
            rows.append({"path": str(f), "emotion": EMOVO_CODES[emo], "speaker": spk})
    return pd.DataFrame(rows)


def _ased(root: Path) -> pd.DataFrame:
    """``<NN><Emotion>/<e><n>-<yy>-<aa>-<gg>-<bb>.wav``: emotion letter, speaker ``bb``."""
    rows = []
    for f in sorted(root.glob("*/*.wav")):
        fields = f.stem.split("-")
        if fields[0][:1] in ASED_CODES:
            rows.append({"path": str(f), "emotion": ASED_CODES[fields[0][:1]],
                         "speaker": "ased" + fields[4]})
    return pd.DataFrame(rows)


def corpus_frames(root: Path) -> dict:
    """File tables (path, emotion, speaker) of the four corpora."""
    frames = {
        "emodb": load_corpus(root / "emodb/wav"),
        "urdu": load_corpus(root / "urdu"),
        "emovo": _emovo(root / "emovo"),
        "ased": _ased(root / "ased"),
    }
    for name, frame in frames.items():
        frame = frame[frame["emotion"].isin(EMOTIONS)].reset_index(drop=True)
        frames[name] = frame[["path", "emotion", "speaker"]]
    return frames


def load_data(root: Path, extractor, cache: Path, quick: bool) -> dict:
    """Per corpus: standardised features per condition, labels and speakers."""
    noises = list(load_noises(root / "noise", sr=extractor.sr).values())
    data = {}
    for name, frame in corpus_frames(root).items():
        if quick:
            frame = frame.groupby("emotion", group_keys=False).head(20).reset_index(drop=True)
        features = rs.corpus_features(name, frame, noises, extractor, cache)
        data[name] = {
            "X": rs.normalised(features),
            "y": frame["emotion"].to_numpy(dtype=str),
            "speaker": frame["speaker"].to_numpy(dtype=str),
        }
    return data


# --------------------------------------------------------------------------- pipelines


class PLSDA(BaseEstimator, TransformerMixin):
    """PLS-DA on the input features: one-block MB-PLS with the one-hot labels as response.

    ``MEATransformer`` on a single block with ``response="labels"`` is PLS-DA solved from
    ``XᵀX`` and ``XᵀY``; with unlabelled rows, ``XᵀX`` (and the scaling) take every row and
    ``XᵀY`` the labelled ones: the semi-supervised PLS-DA baseline. Ten raw components, as
    the PLS-DA baseline of ``robust_ser.py``.
    """

    def __init__(self, n_components=10):
        self.n_components = n_components

    def fit(self, X, y):
        self.mea_ = MEATransformer(n_components=self.n_components, response="labels",
                                   normalize=False).fit(X, y)
        return self

    def transform(self, X):
        return self.mea_.transform(X)


class SourceEDRL(BaseEstimator, TransformerMixin):
    """EDRL fitted on the labelled rows only (its standardisation too); transforms every row.

    The ablation of the one use EDRL makes of unlabelled rows (the standardisation).
    """

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y):
        keep = labelled_rows(y)
        self.edrl_ = EDRLTransformer(random_state=self.random_state).fit(X[keep], y[keep])
        return self

    def transform(self, X):
        return self.edrl_.transform(X)


def pipelines(seed: int) -> dict:
    """``name -> (pipeline, uses unlabelled rows, seeded)``."""
    def svc():
        return LabelledOnly(SVC())

    def self_training():
        return SelfTrainingClassifier(SVC(probability=True, random_state=0))

    def default_steps(**edrl):
        return [("edrl", EDRLTransformer(random_state=seed, **edrl)),
                ("mea", MEATransformer())]

    return {
        "SVC": (Pipeline([("svc", svc())]), False, False),
        "PCA+SVC": (Pipeline([("pca", PCA(n_components=0.95)), ("svc", svc())]), True, False),
        "PLS-DA+SVC": (Pipeline([("pls", PLSDA()), ("svc", svc())]), True, False),
        "MEA+SVC": (Pipeline([("mea", MEATransformer()), ("svc", svc())]), True, False),
        "SVC self-training": (Pipeline([("svc", self_training())]), True, False),
        DEFAULT: (Pipeline([*default_steps(), ("svc", svc())]), True, True),
        "EDRL(source)+MEA+SVC": (
            Pipeline([("edrl", SourceEDRL(random_state=seed)), ("mea", MEATransformer()),
                      ("svc", svc())]), True, True),
        "EDRL+MEA+self-training": (
            Pipeline([*default_steps(), ("svc", self_training())]), True, True),
        "EDRL(target reconstruction)+MEA+SVC": (
            Pipeline([*default_steps(unlabelled_weight=1.0), ("svc", svc())]), True, True),
    }


DEFAULT = "EDRL+MEA+SVC"
BASELINES = ("PCA+SVC", "PLS-DA+SVC", "MEA+SVC")


# --------------------------------------------------------------------------- protocol


def target_rows(n):
    return np.full(n, -1, dtype=object)


def run_target(data, target, model, transductive):
    """Predictions on the target corpus under every condition.

    Inductive: one fit on the labelled source rows. Transductive: one fit per condition,
    with the target's features under that condition as unlabelled rows.
    """
    sources = [c for c in data if c != target]
    X_src = np.vstack([data[c]["X"]["clean"] for c in sources])
    y_src = np.concatenate([data[c]["y"] for c in sources]).astype(object)
    out = {}
    if not transductive:
        fitted = clone(model).fit(X_src, y_src)
    for condition in rs.CONDITIONS:
        X_tgt = data[target]["X"][condition]
        if transductive:
            fitted = clone(model).fit(
                np.vstack([X_src, X_tgt]), np.concatenate([y_src, target_rows(len(X_tgt))])
            )
        out[condition] = np.asarray(fitted.predict(X_tgt)).astype(str)
    return out


def uar_from(y_true, y_pred, classes):
    recalls = [(y_pred[y_true == c] == c).mean() for c in classes]
    return float(np.mean(recalls))


def bootstrap_difference(preds, truth, a_keys, b_keys, n_boot=2000, seed=0):
    """Paired bootstrap of the mean-over-cells UAR difference between two pipelines.

    ``preds[key][(target, condition)]`` holds predictions; ``a_keys`` and ``b_keys`` list the
    runs (seeds) of each pipeline, whose UARs are averaged. Each resample draws every cell's
    test utterances with replacement, the same draw for all runs of both pipelines. Returns
    (observed difference, 2.5 %, 97.5 % quantiles).
    """
    rng = np.random.default_rng(seed)
    cells = list(preds[a_keys[0]])
    diffs = np.zeros(n_boot)
    observed = 0.0
    for cell in cells:
        y = truth[cell[0]]
        classes = np.unique(y)
        onehot = (y[:, None] == classes[None, :]).astype(float)
        weights = rng.multinomial(len(y), np.full(len(y), 1 / len(y)), size=n_boot)
        per_class = weights @ onehot

        def mean_uar(keys, y=y, classes=classes, onehot=onehot, weights=weights,
                     per_class=per_class, cell=cell):
            full = np.mean([uar_from(y, preds[k][cell], classes) for k in keys])
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = np.mean([
                    np.nanmean((weights @ (onehot * (preds[k][cell] == y)[:, None]))
                               / per_class, axis=1)
                    for k in keys
                ], axis=0)
            return full, boot

        full_a, boot_a = mean_uar(a_keys)
        full_b, boot_b = mean_uar(b_keys)
        observed += (full_a - full_b) / len(cells)
        diffs += (boot_a - boot_b) / len(cells)
    lo, hi = np.quantile(diffs, [0.025, 0.975])
    return observed, lo, hi


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with emodb/, urdu/, emovo/, ased/ and noise/")
    parser.add_argument("--cache", type=Path, default=Path(".cache/robust_ser"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--pipelines", nargs="+", default=None,
                        help="names of the pipelines to run (default: all)")
    parser.add_argument("--feature-set", default="mfcc_stats",
                        help="skser feature set (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2, help="feature extraction jobs")
    parser.add_argument("--quick", action="store_true", help="20 files per class")
    parser.add_argument("--transductive-only", action="store_true",
                        help="skip the inductive runs (variants whose inductive form was run)")
    parser.add_argument("--output", type=Path, default=None,
                        help="CSV of every prediction's cell UAR")
    parser.add_argument("--predictions", type=Path, default=None,
                        help="pickle file for the predictions (to report several runs together)")
    parser.add_argument("--report", type=Path, nargs="+", default=None,
                        help="report the prediction files of earlier runs together, run nothing")
    args = parser.parse_args(argv)
    if args.report:
        import pickle

        table, preds, truth = [], {}, None
        for path in args.report:
            with open(path, "rb") as f:
                stored = pickle.load(f)
            table.append(stored["table"])
            preds.update(stored["preds"])
            truth = stored["truth"]
        table = pd.concat(table, ignore_index=True)
        report(table, preds, truth, sorted(set(table["seed"])), float("nan"))
        return
    import torch

    torch.set_num_threads(1)
    extractor = AcousticFeatures(feature_set=args.feature_set, n_jobs=args.n_jobs)
    data = load_data(args.data, extractor, args.cache, args.quick)
    truth = {c: d["y"] for c, d in data.items()}

    start = time.perf_counter()
    preds, rows = {}, []
    names = args.pipelines or list(pipelines(0))
    for name in names:
        for transductive in (False, True):
            _, uses, seeded = pipelines(0)[name]
            if (transductive and not uses) or (args.transductive_only and not transductive):
                continue
            label = f"{name} ({'transductive' if transductive else 'inductive'})"
            for seed in (args.seeds if seeded else [args.seeds[0]]):
                model = pipelines(seed)[name][0]
                key = f"{label} [{seed}]"
                preds[key] = {}
                for target in data:
                    t0 = time.perf_counter()
                    out = run_target(data, target, model, transductive)
                    for condition, y_pred in out.items():
                        preds[key][target, condition] = y_pred
                        uar = uar_from(truth[target], y_pred, np.unique(truth[target]))
                        rows.append((label, seed, target, condition, uar))
                    classes = np.unique(truth[target])
                    shown = " ".join(f"{100 * uar_from(truth[target], out[c], classes):.1f}"
                                     for c in rs.CONDITIONS)
                    print(f"{key:45s} -> {target:6s} {time.perf_counter() - t0:6.1f}s  {shown}",
                          file=sys.stderr, flush=True)
    table = pd.DataFrame(rows, columns=["pipeline", "seed", "target", "condition", "uar"])
    if args.output is not None:
        table.to_csv(args.output, index=False)
    if args.predictions is not None:
        import pickle

        with open(args.predictions, "wb") as f:
            pickle.dump({"table": table, "preds": preds, "truth": truth}, f)
    report(table, preds, truth, args.seeds, time.perf_counter() - start)


def report(table, preds, truth, seeds, seconds):
    cells = table.groupby(["pipeline", "target", "condition"], sort=False)["uar"].mean()
    wide = cells.unstack("pipeline")
    wide.loc[("mean", "all cells"), :] = wide.mean()
    print((100 * wide).round(1).to_string())
    if seconds == seconds:
        print(f"\n{seconds:.0f} s of fits and predictions (a shared 2-core machine).")
    means = wide.loc[("mean", "all cells")]
    default_t, default_i = f"{DEFAULT} (transductive)", f"{DEFAULT} (inductive)"
    if default_t not in means or default_i not in means:
        return
    print(f"\n{DEFAULT}: transductive {100 * means[default_t]:.1f}, inductive "
          f"{100 * means[default_i]:.1f} mean UAR over the cells (mean over seeds {seeds}).")
    baselines = [f"{b} (transductive)" for b in BASELINES if f"{b} (transductive)" in means]
    comparisons = [(default_i, "inductive version")]
    if baselines:
        best = max(baselines, key=lambda b: means[b])
        comparisons.append((best, "best transductive baseline"))
    run_keys = {name: sorted(k for k in preds if k.rsplit(" [", 1)[0] == name)
                for name in means.index}
    for other, what in comparisons:
        diff, lo, hi = bootstrap_difference(preds, truth, run_keys[default_t], run_keys[other])
        print(f"  vs {what} {other}: {100 * diff:+.1f} points, paired bootstrap 95% "
              f"interval [{100 * lo:+.1f}, {100 * hi:+.1f}]")


def main_extract(argv=None):
    """Extract (and cache) the features only."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=Path(".cache/robust_ser"))
    parser.add_argument("--feature-set", default="mfcc_stats")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    extractor = AcousticFeatures(feature_set=args.feature_set, n_jobs=args.n_jobs)
    data = load_data(args.data, extractor, args.cache, args.quick)
    for name, d in data.items():
        print(name, d["X"]["clean"].shape, file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1:2] == ["extract"]:
        main_extract(sys.argv[2:])
    else:
        main()
