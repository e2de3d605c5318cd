"""Robustness of speech emotion recognition on real speech: noise and cross-corpus.

The headline protocol is multi-source leave-one-corpus-out over EmoDB (German), URDU (Urdu),
EMOVO (Italian) and ASED (Amharic): for each corpus in turn, every pipeline is trained on the
clean speech of the other three together and scored on the held-out corpus, clean and with
environmental noise at 20, 10, 5 and 0 dB SNR (4 x 5 = 20 cells). The second, single-source
table trains on the clean speech of one development corpus only (EmoDB or URDU) and scores it on

* the other corpus (cross-corpus), under the same five conditions;
* unseen speakers of the same corpus (speaker-independent folds), under the same conditions.

Noise files are drawn at random per utterance with a fixed seed; no noise reaches any training
data. Every feature matrix is normalised per corpus and condition with its own statistics (the
field's standard per-corpus normalisation). The metric is UAR (unweighted average recall).
Pipelines that train EDRL run with several seeds (``--seeds``) and report the mean; in the
multi-source table the corpus of each training row reaches EDRL as ``groups``
(``edrl__groups``), so that intra-class partners come from another corpus. A paired bootstrap
over test utterances gives a 95% interval of the difference of mean UAR between the default
pipeline and the best baseline.

``--task arousal`` or ``--task valence`` runs the same protocol on binary arousal (low/high) or
binary valence (negative/positive) instead of the emotion categories: every utterance of every
corpus is loaded and its emotion mapped with :func:`skser.datasets.to_dimension` (the corpus
name selects a per-corpus map, should one be given), as in the cross-corpus literature
(Schuller et al. 2010). Since every category of the four corpora has a place on both
dimensions, no utterance is dropped.

Usage::

    python benchmarks/robust_ser.py --data ../shared/data --output docs/robustness_results.md

Features are cached under ``--cache`` so that reruns (and ``robust_ser_ablations.py``, which
reuses this module's protocol and cache) skip the extraction.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.datasets import load_corpus, to_dimension
from skser.features import AcousticFeatures
from skser.metrics import uar_score
from skser.noise import load_noises, mix_at_snr
from skser.preprocessing import standardize_per_group

SNRS = (20, 10, 5, 0)
TASKS = ("emotion", "arousal", "valence")
CONDITIONS = ("clean",) + tuple(f"{snr} dB" for snr in SNRS)
CORPORA = {"emodb": "emodb/wav", "urdu": "urdu", "emovo": "emovo", "ased": "ased"}
# The single-source table (one training corpus, the other corpus, unseen speakers) keeps the two
# development corpora it was built on.
SINGLE_SOURCE = ("emodb", "urdu")
BASELINES = ("SVC", "PCA+SVC", "PLS-DA+SVC")
DEFAULT = "EDRL+MEA+SVC"
# Pipelines with a trained network: their result depends on the seed (a standard deviation of
# 1-2 UAR points in the mean over cells), so they run with every seed of ``--seeds`` and a
# cell reports the mean over seeds, the expected UAR of the default pipeline.
SEEDED = ("EDRL+SVC", DEFAULT)


class PLSDA(PLSRegression):
    """PLS-DA: PLS regression on one-hot labels, used as a supervised projection."""

    def fit(self, X, y):
        labels = np.unique(y)
        return super().fit(X, (np.asarray(y)[:, None] == labels).astype(float))

    def transform(self, X, y=None):
        return super().transform(X)


def pipelines(random_state: int = 0, memory=None) -> dict:
    """The compared pipelines, all with default parameters except the sizes of baselines.

    ``memory`` (a folder) caches the fitted EDRL step, which EDRL+SVC and the default
    pipeline share for the same seed, training data and groups: each is trained once.
    """
    return {
        "SVC": Pipeline([("svc", SVC())]),
        "PCA+SVC": Pipeline([("pca", PCA(n_components=0.95)), ("svc", SVC())]),
        "PLS-DA+SVC": Pipeline([("pls", PLSDA(n_components=10, scale=False)), ("svc", SVC())]),
        "EDRL+SVC": Pipeline(
            [("edrl", EDRLTransformer(random_state=random_state)), ("svc", SVC())],
            memory=memory,
        ),
        "MEA+SVC": Pipeline([("mea", MEATransformer()), ("svc", SVC())]),
        DEFAULT: Pipeline(
            [
                ("edrl", EDRLTransformer(random_state=random_state)),
                ("mea", MEATransformer()),
                ("svc", SVC()),
            ],
            memory=memory,
        ),
    }


# --------------------------------------------------------------------------- features


def noisy_signals(signals, noises, snr_db, seed):
    """Each utterance mixed with a noise file drawn at random (fixed seed) at ``snr_db``."""
    rng = np.random.default_rng(seed)
    choice = rng.integers(len(noises), size=len(signals))
    return [
        mix_at_snr(signal, noises[k], snr_db, random_state=int(rng.integers(2**31)))
        for signal, k in zip(signals, choice)
    ]


def corpus_features(name, frame, noises, extractor, cache: Path, verbose=True, root=None):
    """Feature matrices of one corpus for every condition, cached on disk.

    The cache key holds the file paths relative to ``root`` (the corpus folder), so that the
    same corpus reached through another spelling of the data folder hits the cache.
    """
    paths = [str(Path(p).relative_to(root)) if root is not None else p
             for p in frame["path"]]
    key = hashlib.sha1((name + extractor.feature_set + "".join(paths)).encode()).hexdigest()[:12]
    path = cache / f"{name}-{extractor.feature_set.replace(':', '_')}-{key}.npz"
    if path.exists():
        stored = np.load(path)
        return {condition: stored[condition] for condition in CONDITIONS}
    from skser.features._audio_io import load_audio

    signals = [load_audio(p, sr=extractor.sr) for p in frame["path"]]
    out = {}
    for i, condition in enumerate(CONDITIONS):
        start = time.perf_counter()
        batch = signals if condition == "clean" else noisy_signals(
            signals, noises, SNRS[i - 1], seed=1000 * i + len(name)
        )
        out[condition] = extractor.fit_transform(batch)
        if verbose:
            print(f"  {name:6s} {condition:>6s}: {out[condition].shape} "
                  f"in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def normalised(features):
    """Per-corpus-and-condition standardisation with that set's own statistics."""
    return {c: standardize_per_group(X, np.zeros(len(X))) for c, X in features.items()}


# --------------------------------------------------------------------------- evaluation


def _fit_params(name, group_params, speakers):
    """``{param: speakers}`` for the models named in ``group_params`` (e.g. "edrl__groups")."""
    param = (group_params or {}).get(name)
    return {} if param is None else {param: speakers}


def cross_corpus_cells(models, data, group_params=None):
    """Train on one corpus (clean), test on the other under every condition.

    ``group_params`` maps a model name to the fit parameter that receives the training
    speakers (for example ``"edrl__groups"``); other models get none.
    """
    rows = []
    for train, test in [("emodb", "urdu"), ("urdu", "emodb")]:
        X_train, y_train = data[train]["X"]["clean"], data[train]["y"]
        for name, model in models.items():
            fitted = clone(model).fit(
                X_train, y_train, **_fit_params(name, group_params, data[train]["speaker"])
            )
            for condition in CONDITIONS:
                y_pred = fitted.predict(data[test]["X"][condition])
                rows.append((f"{train}->{test}", condition, name,
                             uar_score(data[test]["y"], y_pred)))
    return rows


def multi_source_cells(models, data, group_params=None, predictions=None):
    """Leave one corpus out: train on the clean speech of all other corpora, test on it.

    ``group_params`` maps a model name to the fit parameter that receives the corpus of every
    training row (for example ``"edrl__groups"``), or to ``(parameter, "speaker")`` for the
    speakers instead. When ``predictions`` is a dict, the test predictions are stored in it
    under ``(target, condition, model name)`` for the bootstrap.
    """
    rows = []
    for target in data:
        sources = [c for c in data if c != target]
        X_train = np.vstack([data[c]["X"]["clean"] for c in sources])
        y_train = np.concatenate([data[c]["y"] for c in sources])
        labels = {
            "corpus": np.concatenate([np.full(len(data[c]["y"]), c) for c in sources]),
            "speaker": np.concatenate([data[c]["speaker"] for c in sources]),
        }
        for name, model in models.items():
            param = (group_params or {}).get(name)
            param, kind = (param, "corpus") if isinstance(param, str) or param is None else param
            fitted = clone(model).fit(
                X_train, y_train, **({} if param is None else {param: labels[kind]})
            )
            for condition in CONDITIONS:
                y_pred = fitted.predict(data[target]["X"][condition])
                if predictions is not None:
                    predictions[(target, condition, name)] = np.asarray(y_pred, dtype=str)
                rows.append((f"-> {target}", condition, name,
                             uar_score(data[target]["y"], y_pred)))
    return rows


def bootstrap_uar(y_true, predictions, counts):
    """UAR of each prediction vector under each bootstrap resample of the test utterances.

    ``predictions`` is ``(n_models, n)``, ``counts`` ``(n_resamples, n)`` (how often each
    utterance is drawn). Returns ``(n_resamples, n_models)``. A class absent from a resample
    is left out of that resample's mean recall.
    """
    labels, codes = np.unique(y_true, return_inverse=True)
    onehot = np.eye(len(labels))[codes]                      # (n, K)
    support = counts @ onehot                                # (B, K)
    hits = np.stack([counts @ (onehot * (p == y_true)[:, None]) for p in predictions])
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = hits / support[None]                        # (M, B, K)
    return np.nanmean(recall, axis=2).T


def paired_bootstrap(data, predictions, default_columns, baseline, n_resamples=1000, seed=0):
    """95% interval of mean-over-cells UAR(default) - UAR(baseline), paired resampling.

    Test utterances are resampled with replacement, once per target corpus and resample and
    shared by all conditions and pipelines of that corpus (the same utterances appear in
    every condition); the default pipeline's UAR is the mean over its seeds
    (``default_columns``). Returns
    ``(low, high, observed)`` in UAR units.
    """
    rng = np.random.default_rng(seed)
    diffs = []
    for target in data:
        y = data[target]["y"]
        n = len(y)
        counts = np.stack([np.bincount(rng.integers(n, size=n), minlength=n)
                           for _ in range(n_resamples)]).astype(float)
        for condition in CONDITIONS:
            preds = np.stack([predictions[(target, condition, c)]
                              for c in (*default_columns, baseline)])
            uar = bootstrap_uar(y, preds, counts)
            diffs.append(uar[:, :-1].mean(axis=1) - uar[:, -1])
    diffs = np.mean(diffs, axis=0)
    observed = np.mean([
        np.mean([uar_score(data[t]["y"], predictions[(t, cond, c)]) for c in default_columns])
        - uar_score(data[t]["y"], predictions[(t, cond, baseline)])
        for t in data for cond in CONDITIONS
    ])
    low, high = np.percentile(diffs, [2.5, 97.5])
    return low, high, observed


def within_corpus_cells(models, data, n_splits=5, random_state=0, group_params=None):
    """Speaker-independent folds; UAR of the pooled out-of-fold predictions."""
    rows = []
    for corpus, d in data.items():
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        folds = list(cv.split(d["X"]["clean"], d["y"], d["speaker"]))
        for name, model in models.items():
            pooled = {c: np.empty(len(d["y"]), dtype=object) for c in CONDITIONS}
            for train, test in folds:
                fitted = clone(model).fit(
                    d["X"]["clean"][train], d["y"][train],
                    **_fit_params(name, group_params, d["speaker"][train]),
                )
                for condition in CONDITIONS:
                    pooled[condition][test] = fitted.predict(d["X"][condition][test])
            for condition in CONDITIONS:
                rows.append((f"{corpus} (speakers)", condition, name,
                             uar_score(d["y"], pooled[condition].astype(str))))
    return rows


def results_table(rows):
    table = pd.DataFrame(rows, columns=["setting", "condition", "pipeline", "uar"])
    wide = table.pivot_table(index=["setting", "condition"], columns="pipeline", values="uar",
                             sort=False)
    wide.loc[("mean", "all cells"), :] = wide.mean()
    return wide


def seeded_pipelines(seeds, memory=None):
    """Every pipeline once, and those in ``SEEDED`` once per seed as ``"<name> [<seed>]"``."""
    models = {}
    for name, model in pipelines(seeds[0]).items():
        if name not in SEEDED:
            models[name] = model
    for seed in seeds:
        for name, model in pipelines(seed, memory).items():
            if name in SEEDED:
                models[f"{name} [{seed}]"] = model
    return models


def average_seeds(wide, seeds):
    """``wide`` with one column per pipeline, the seeded ones averaged over ``seeds``.

    Returns the averaged table and the default pipeline's per-seed columns.
    """
    out = pd.DataFrame(index=wide.index)
    for name in pipelines():
        columns = [f"{name} [{s}]" for s in seeds] if name in SEEDED else [name]
        out[name] = wide[columns].mean(axis=1)
    return out, wide[[f"{DEFAULT} [{s}]" for s in seeds]]


def verdict(wide, default=None):
    """The single-source target: default pipeline >= 1.10 x the best baseline's mean UAR, no
    cell more than 3 points below the best baseline of that cell.

    ``default`` (a column of cells) replaces the table's default column, e.g. one seed's.
    """
    cells = wide.drop(index=("mean", "all cells"))
    default = cells[DEFAULT] if default is None else default.drop(index=("mean", "all cells"))
    best_baseline = max(BASELINES, key=lambda b: cells[b].mean())
    ratio = default.mean() / cells[best_baseline].mean()
    worst_gap = (default - cells[list(BASELINES)].max(axis=1)).min()
    met = ratio >= 1.10 and worst_gap >= -0.03
    return best_baseline, ratio, worst_gap, met


def per_seed_line(wide, per_seed):
    """The default's mean UAR, ratio and worst cell for each seed."""
    parts = []
    for column in per_seed.columns:
        _, ratio, gap, _ = verdict(wide, per_seed[column])
        seed = column.rsplit("[", 1)[1].rstrip("]")
        parts.append(f"seed {seed}: {100 * per_seed[column].iloc[-1]:.1f} "
                     f"({ratio:.3f}, {100 * gap:+.1f})")
    return ("Default pipeline per seed, mean UAR (ratio to the best baseline, worst cell): "
            + "; ".join(parts) + ".")


def markdown(wide, per_seed, feature_set, command, seconds, task="emotion"):
    best, ratio, gap, met = verdict(wide)
    seeds = ", ".join(c.rsplit("[", 1)[1].rstrip("]") for c in per_seed.columns)
    lines = [
        f"### Single-source (EmoDB, URDU), task: {task_title(task)}, feature set: "
        f"`{feature_set}`",
        "",
        f"Command: `{command}` ({seconds:.0f} s on this machine). "
        f"{', '.join(SEEDED)}: mean over the EDRL seeds {seeds}.",
        "",
        "| setting | condition | " + " | ".join(wide.columns) + " |",
        "|---|---|" + "---|" * len(wide.columns),
    ]
    for (setting, condition), row in wide.iterrows():
        lines.append(f"| {setting} | {condition} | "
                     + " | ".join(f"{100 * v:.1f}" for v in row) + " |")
    lines += [
        "",
        f"Best baseline by mean UAR: {best}. Default pipeline / best baseline = {ratio:.3f}; "
        f"worst cell versus the best baseline in that cell: {100 * gap:+.1f} UAR points. "
        f"Target (>= 1.10 and no cell below -3.0 points): {'met' if met else 'NOT met'}.",
        "",
        per_seed_line(wide, per_seed),
        "",
    ]
    return "\n".join(lines)


def target_verdict(wide, ci, default=None):
    """The multi-source target: ratio >= 1.10, the interval above 0, no target corpus whose
    mean over its conditions is more than 3 points below its best baseline's.

    Returns ``(best baseline, ratio, per-target gaps, met)``.
    """
    cells = wide.drop(index=("mean", "all cells"))
    default = cells[DEFAULT] if default is None else default.drop(index=("mean", "all cells"))
    best_baseline = max(BASELINES, key=lambda b: cells[b].mean())
    ratio = default.mean() / cells[best_baseline].mean()
    per_target = cells.groupby(level="setting", sort=False).mean()
    default_target = default.groupby(level="setting", sort=False).mean()
    gaps = default_target - per_target[list(BASELINES)].max(axis=1)
    met = ratio >= 1.10 and ci[0] > 0 and gaps.min() >= -0.03
    return best_baseline, ratio, gaps, met


def task_title(task):
    """How the markdown names a task."""
    return {"emotion": "emotion categories (4 classes)", "arousal": "binary arousal (low/high)",
            "valence": "binary valence (negative/positive)"}[task]


def multi_source_markdown(wide, per_seed, ci, feature_set, command, seconds, n_resamples,
                          task="emotion"):
    best, ratio, gaps, met = target_verdict(wide, ci)
    seeds = ", ".join(c.rsplit("[", 1)[1].rstrip("]") for c in per_seed.columns)
    cells = wide.drop(index=("mean", "all cells"))
    columns = list(wide.columns)
    if task == "emotion":
        target = ("Target (ratio >= 1.10, interval above 0, no target corpus below -3.0 "
                  f"points): {'met' if met else 'NOT met'}.")
    else:
        beats = ci[0] > 0
        target = ("Target (the default pipeline beats the best baseline, interval above 0): "
                  f"{'met' if beats else 'NOT met'}.")
    lines = [
        f"### Multi-source leave-one-corpus-out, task: {task_title(task)}, feature set: "
        f"`{feature_set}`",
        "",
        f"Command: `{command}` ({seconds:.0f} s on this machine for this feature set and task). "
        f"{', '.join(SEEDED)}: mean over the EDRL seeds {seeds}; EDRL gets the training "
        "corpora as `groups`. Ratio: default pipeline / best baseline (by mean UAR) in the "
        "cell.",
        "",
        "| target | condition | " + " | ".join(columns) + " | ratio |",
        "|---|---|" + "---|" * (len(columns) + 1),
    ]
    for (setting, condition), row in wide.iterrows():
        lines.append(f"| {setting} | {condition} | "
                     + " | ".join(f"{100 * v:.1f}" for v in row)
                     + f" | {row[DEFAULT] / row[best]:.3f} |")
    lines += ["", "Per target corpus, mean over its 5 conditions:", "",
              "| target | " + " | ".join(columns) + " | default - best baseline |",
              "|---|" + "---|" * (len(columns) + 1)]
    per_target = cells.groupby(level="setting", sort=False).mean()
    for setting, row in per_target.iterrows():
        lines.append(f"| {setting} | " + " | ".join(f"{100 * v:.1f}" for v in row)
                     + f" | {100 * gaps[setting]:+.1f} |")
    lines += [
        "",
        f"Best baseline by mean UAR: {best}. Default pipeline / best baseline = {ratio:.3f}; "
        f"difference of mean UAR {100 * ci[2]:+.1f} points, paired bootstrap 95% interval "
        f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}] ({n_resamples} resamples of the test "
        f"utterances); worst target corpus versus its best baseline: {100 * gaps.min():+.1f} "
        f"points. {target}",
        "",
        per_seed_line(wide, per_seed),
        "",
    ]
    return "\n".join(lines)


def task_labels(frame, task, corpus):
    """The labels of ``task`` for the rows of ``frame`` (None where the map drops a row).

    ``"emotion"`` keeps the harmonised emotion; ``"arousal"`` and ``"valence"`` map it with
    :func:`skser.datasets.to_dimension`, passing the corpus name so that per-corpus maps apply.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r}; use one of {list(TASKS)}.")
    if task == "emotion":
        return frame["emotion"].to_numpy(dtype=object)
    return to_dimension(frame["emotion"].to_numpy(dtype=object), task, corpus=corpus)


def load_data(root: Path, extractor, cache: Path, quick: bool, corpora=None, task="emotion"):
    """Normalised features, labels and speakers of ``corpora`` (default: all of ``CORPORA``).

    Every utterance of each corpus is loaded; rows whose ``task`` label is missing (an emotion
    outside the harmonised set, or one the dimension map drops) are left out after the
    features are extracted, with a count on stderr.
    """
    noises = list(load_noises(root / "noise", sr=extractor.sr).values())
    data = {}
    for name in corpora or CORPORA:
        sub = CORPORA[name]
        frame = load_corpus(root / sub)
        if quick:
            frame = frame.groupby("emotion", group_keys=False).head(25)
        features = corpus_features(name, frame, noises, extractor, cache, root=root / sub)
        y = task_labels(frame, task, name)
        keep = pd.notna(y)
        if not keep.all():
            print(f"  {name}: {int((~keep).sum())} of {len(y)} utterances have no {task} "
                  "label and are left out", file=sys.stderr)
        data[name] = {
            "X": {c: X[keep] for c, X in normalised(features).items()},
            "y": y[keep].astype(str),
            "speaker": frame["speaker"].to_numpy(dtype=str)[keep],
        }
    return data


def shown_command(script, argv):
    """The command line as it is written into the results: absolute paths are shown
    relative to the working folder, so that no machine's own folders end up in the docs."""
    import os

    def shown(arg):
        return os.path.relpath(arg) if os.path.isabs(arg) else arg

    return f"python benchmarks/{script} " + shlex.join(shown(a) for a in argv)


def write_sections(args, script, argv, section_for, corpora=None):
    """Run ``section_for(data, feature_set)`` (a markdown section) for each feature set.

    For each of ``args.feature_sets`` the cached data of ``corpora`` are loaded, the section
    gets the command line and its time appended and is printed; all sections are written to
    ``args.output`` when given. Used by the ablation and ceiling scripts.
    """
    argv_shown = argv if argv is not None else sys.argv[1:]
    sections = []
    for feature_set in args.feature_sets:
        start = time.perf_counter()
        extractor = AcousticFeatures(feature_set=feature_set, n_jobs=args.n_jobs)
        data = load_data(args.data, extractor, args.cache, quick=False, corpora=corpora)
        section = section_for(data, feature_set)
        section += (f"\nCommand: `{shown_command(script, argv_shown)}` "
                    f"({time.perf_counter() - start:.0f} s).\n")
        print(section)
        sections.append(section)
    if args.output is not None:
        args.output.write_text("\n".join(sections))
        print(f"wrote {args.output}", file=sys.stderr)


def base_parser(description, memory=True):
    """The options shared by this benchmark and its ablation and ceiling scripts; ``memory``
    adds ``--memory`` (for the scripts that fit EDRL)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data", type=Path, required=True,
                        help="folder with emodb/, urdu/, emovo/, ased/ and noise/")
    parser.add_argument("--output", type=Path, default=None, help="markdown file to write")
    parser.add_argument("--cache", type=Path, default=Path(".cache/robust_ser"),
                        help="folder of the cached features (default: %(default)s)")
    parser.add_argument("--feature-sets", nargs="+",
                        default=["egemaps_like", "opensmile:eGeMAPSv02"],
                        help="feature sets to run, one table each (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="worker processes for feature extraction (default: %(default)s)")
    if memory:
        parser.add_argument("--memory", type=Path, default=None,
                            help="folder that caches fitted EDRL steps (Pipeline memory) "
                                 "across runs; default: a temporary folder, removed at the end")
    return parser


def run_task(args, extractor, feature_set, task, command):
    """The markdown section of one feature set and task (the tables are printed too)."""
    start = time.perf_counter()
    data = load_data(args.data, extractor, args.cache, args.quick, task=task)
    memory = str(args.memory or tempfile.mkdtemp(prefix="robust_ser-"))
    models = seeded_pipelines(args.seeds, memory)
    predictions = {}
    groups = {name: "edrl__groups" for name in models if "EDRL" in name}
    rows = multi_source_cells(models, data, groups, predictions)
    multi, multi_seeds = average_seeds(results_table(rows), args.seeds)
    best = max(BASELINES, key=lambda b: multi[b].iloc[:-1].mean())
    ci = paired_bootstrap(data, predictions, list(multi_seeds.columns), best,
                          n_resamples=args.n_resamples)
    single = None
    if not args.no_single_source:
        two = {c: data[c] for c in SINGLE_SOURCE}
        rows = cross_corpus_cells(models, two) + within_corpus_cells(models, two)
        single, single_seeds = average_seeds(results_table(rows), args.seeds)
    if args.memory is None:
        shutil.rmtree(memory, ignore_errors=True)
    seconds = time.perf_counter() - start
    print(multi.map(lambda v: f"{100 * v:.1f}").to_string())
    section = multi_source_markdown(multi, multi_seeds, ci, feature_set, command, seconds,
                                    args.n_resamples, task)
    print("\n".join(section.splitlines()[-4:]))
    if single is not None:
        print(single.map(lambda v: f"{100 * v:.1f}").to_string())
        part = markdown(single, single_seeds, feature_set, command, seconds, task)
        print("\n".join(part.splitlines()[-4:]))
        section += "\n" + part
    return section


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25 files per class, for a smoke run")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(5)),
                        help="EDRL random_state values; seeded pipelines report their mean")
    parser.add_argument("--n-resamples", type=int, default=1000,
                        help="bootstrap resamples of the test utterances")
    parser.add_argument("--no-single-source", action="store_true",
                        help="skip the single-source table")
    parser.add_argument("--task", choices=TASKS, nargs="+", default=["emotion"],
                        help="emotion categories (default), binary arousal or binary valence, "
                             "mapped from each corpus' emotions; several tasks give one "
                             "section each")
    args = parser.parse_args(argv)
    # EDRL trains small networks: one torch thread is faster than several on a busy machine.
    import torch

    torch.set_num_threads(1)

    command = shown_command("robust_ser.py", argv if argv is not None else sys.argv[1:])
    sections = []
    for feature_set in args.feature_sets:
        if feature_set.startswith("opensmile:"):
            try:
                import opensmile  # noqa: F401
            except ImportError:
                print(f"skipping {feature_set}: the opensmile package is not installed",
                      file=sys.stderr)
                continue
        extractor = AcousticFeatures(feature_set=feature_set, n_jobs=args.n_jobs)
        for task in args.task:
            sections.append(run_task(args, extractor, feature_set, task, command))
    if args.output is not None:
        args.output.write_text("\n".join(sections))
        print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
