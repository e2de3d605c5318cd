"""``skser evaluate``: cross-corpus and noise evaluation of a features table.

The table is the one ``skser extract`` writes (or any CSV with an emotion column, a corpus
column and numeric feature columns). Rows whose ``condition`` is ``clean`` (all rows when there
is no ``condition`` column) are the clean features; every other condition (``"babble 10 dB"``)
must hold the same files (matched by ``path``) and is used for scoring only. Noisy conditions
come from ``skser extract --noise-dir DIR --snrs ...``, which mixes the noise into the audio
before extracting features: noise cannot be added to features after the fact.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import UsageError
from ._extract import CLEAN, META_COLUMNS, read_tables
from ._models import MODEL_LABELS, make_model
from ._report import (
    format_table,
    pair_table,
    save_figure,
    save_results,
    summary_table,
    use_agg_backend,
)


def feature_columns(table, exclude=()):
    """Numeric columns of a features table that are not metadata."""
    skip = set(META_COLUMNS) | set(exclude)
    cols = [c for c in table.columns
            if c not in skip and pd.api.types.is_numeric_dtype(table[c])]
    if not cols:
        raise UsageError("the table has no numeric feature columns")
    return cols


def split_conditions(table, *, label_column, corpus_column, snrs=None):
    """Clean rows, and the noisy conditions aligned with them.

    Returns
    -------
    clean : DataFrame
        The clean rows with a label (reset index).
    conditions : dict of str -> DataFrame
        For each noisy condition, its rows in the order of ``clean``.
    """
    for col in (label_column, corpus_column):
        if col is not None and col not in table.columns:
            shown = ", ".join(map(str, table.columns[:12]))
            more = ", ..." if len(table.columns) > 12 else ""
            raise UsageError(f"the table has no {col!r} column (columns: {shown}{more})")
    table = table[table[label_column].notna()]
    if "condition" not in table.columns:
        return table.reset_index(drop=True), {}
    cond = table["condition"].fillna(CLEAN).astype(str)
    clean = table[cond == CLEAN].reset_index(drop=True)
    if clean.empty:
        raise UsageError("the table has no clean rows (condition 'clean')")
    conditions = {}
    names = [c for c in pd.unique(cond) if c != CLEAN]
    if snrs is not None:
        from skser.plotting import parse_snr

        wanted = {float(s) for s in snrs}
        names = [c for c in names if parse_snr(c) in wanted]
        if not names:
            raise UsageError(f"no noisy condition of the table has an SNR in {sorted(wanted)}")
    left_out = {}
    for name in names:
        rows = table[cond == name]
        if "path" not in table.columns:
            raise UsageError("noisy conditions need a 'path' column to match them to clean rows")
        rows = rows.drop_duplicates("path").set_index("path")
        missing = ~clean["path"].isin(rows.index)
        if missing.any():
            left_out[name] = missing.to_numpy()
            continue
        conditions[name] = rows.loc[clean["path"]].reset_index()
    if left_out:
        # One warning for all of them: stacking a clean-only table with a noisy one leaves
        # out every noisy condition for the same reason.
        lacking = np.logical_or.reduce(list(left_out.values()))
        where = ""
        if corpus_column is not None:
            corpora = sorted(map(str, pd.unique(clean.loc[lacking, corpus_column])))
            where = f" (corpus {', '.join(map(repr, corpora))})"
        shown = ", ".join(map(repr, list(left_out)[:4])) + (", ..." if len(left_out) > 4 else "")
        warnings.warn(
            f"{len(left_out)} noisy condition(s) ({shown}) lack {int(lacking.sum())} of the "
            f"{len(clean)} clean files{where} and are left out; to score them, extract every "
            "table with the same --noise-dir and --snrs",
            UserWarning,
            stacklevel=2,
        )
    return clean, conditions


def task_rows(clean, *, label_column, task, corpus=None, command="evaluate"):
    """The labels of ``task`` for the clean rows, and the rows that have one.

    ``task="emotion"`` keeps the label column; ``"arousal"`` and ``"valence"`` map it onto
    binary classes with :func:`skser.datasets.to_dimension`. Rows without a class are
    counted on stderr; labels the map does not know are a usage error naming them.

    Returns
    -------
    y : ndarray of str
        The labels of the kept rows.
    keep : ndarray of bool
        Which rows of ``clean`` are kept.
    """
    from skser.datasets import AROUSAL_MAP, VALENCE_MAP, to_dimension
    from skser.datasets._dimensions import _task_labels

    labels = clean[label_column].astype(str).to_numpy(dtype=object)
    try:
        y, keep = _task_labels(labels, task, corpus=corpus)
    except ValueError:
        unknown = []
        for label in pd.unique(labels):
            try:
                to_dimension([label], task)
            except ValueError:
                unknown.append(str(label))
        known = sorted({"arousal": AROUSAL_MAP, "valence": VALENCE_MAP}[task])
        raise UsageError(
            f"--task {task}: the emotion(s) {sorted(unknown)[:10]} of column {label_column!r} "
            f"have no {task} class; the {task} map knows {', '.join(known)} (and their "
            "corpus spellings). Rename or drop those rows, or use --task emotion") from None
    if not keep.any():
        raise UsageError(f"--task {task}: no row of column {label_column!r} has a {task} class")
    if not keep.all():
        print(f"{command}: --task {task}: {int((~keep).sum())} of {len(keep)} clean rows have "
              f"no {task} class and are left out", file=sys.stderr)
    return np.asarray(y[keep]).astype(str), keep


#: Cramér's V between speaker and emotion above which ``--normalise speaker`` warns: each
#: speaker's mean then carries their emotions (URDU: 0.96; EmoDB, every speaker acting every
#: emotion: 0.13).
CONFOUND_THRESHOLD = 0.5


def speaker_emotion_association(speakers, emotions):
    """Cramér's V between speaker and emotion (0: independent, 1: each speaker one emotion).

    Parameters
    ----------
    speakers, emotions : array-like of shape (n_samples,)
        Speaker and emotion of each utterance.

    Returns
    -------
    float
        Cramér's V of the speaker x emotion contingency table (:func:`scipy.stats.contingency.
        association`); NaN with one speaker or one emotion.
    """
    from scipy.stats.contingency import association

    counts = pd.crosstab(np.asarray(speakers), np.asarray(emotions)).to_numpy()
    if min(counts.shape) < 2:
        return float("nan")
    return float(association(counts, method="cramer"))


def check_speaker_confound(speakers, emotions, corpus, *, threshold=CONFOUND_THRESHOLD):
    """Warn for every corpus whose speakers each carry mostly one emotion.

    Per-speaker standardisation subtracts each speaker's mean; where speakers nearly
    coincide with emotions, that mean is largely the emotion, and the normalisation erases it
    (URDU, SVC: within-corpus UAR 73.5 % per corpus, 23.2 % per speaker; chance 25 %).

    Returns
    -------
    dict
        Cramér's V of each corpus.
    """
    import warnings

    values = {}
    for name in pd.unique(corpus):
        rows = corpus == name
        v = speaker_emotion_association(speakers[rows], emotions[rows])
        values[name] = v
        if v > threshold:
            warnings.warn(
                f"--normalise speaker: in corpus {name!r} speaker and emotion are strongly "
                f"associated (Cramér's V {v:.2f} > {threshold}): each speaker carries mostly "
                "one emotion, so standardising per speaker removes much of the emotion. "
                "Prefer --normalise corpus for this corpus.",
                UserWarning,
                stacklevel=2,
            )
    return values


def _normalise(X, groups, how):
    from skser.preprocessing import standardize_per_group

    if how == "none":
        return X
    return standardize_per_group(X, groups)


def progress_bar(total, *, quiet, desc, unit="fit"):
    """A tqdm bar on stderr (off when stderr is not a terminal or with --quiet)."""
    from tqdm.auto import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=disable,
                leave=False, dynamic_ncols=True)


def run_evaluate(args):
    """Run ``skser evaluate`` (see the module docstring)."""
    from skser.model_selection import cross_corpus_evaluate

    table = read_tables(args.features)
    clean, conds = split_conditions(table, label_column=args.label_column,
                                    corpus_column=args.corpus_column, snrs=args.snrs)
    cols = feature_columns(table, exclude=(args.label_column, args.corpus_column))
    task = getattr(args, "task", "emotion")
    y, keep = task_rows(clean, label_column=args.label_column, task=task,
                        corpus=clean[args.corpus_column].astype(str).to_numpy())
    if not keep.all():
        clean = clean[keep].reset_index(drop=True)
        conds = {name: frame[keep].reset_index(drop=True) for name, frame in conds.items()}
    corpus = clean[args.corpus_column].astype(str).to_numpy()
    what = "emotions" if task == "emotion" else f"{task} classes"
    if len(np.unique(y)) < 2:
        raise UsageError(f"the clean rows have fewer than two {what}: {sorted(set(y.tolist()))}")
    speakers = None
    if "speaker" in clean.columns and clean["speaker"].notna().all():
        speakers = clean["speaker"].astype(str).to_numpy()
    if args.normalise == "speaker" and speakers is None:
        raise UsageError("--normalise speaker needs a 'speaker' column with no missing values")
    if args.normalise == "speaker":
        check_speaker_confound(speakers, y, corpus)
    norm_groups = speakers if args.normalise == "speaker" else corpus

    def as_matrix(frame):
        X = frame[cols].to_numpy(dtype=np.float64)
        bad = ~np.isfinite(X)
        if bad.any():
            col = cols[int(np.flatnonzero(bad.any(axis=0))[0])]
            raise UsageError(f"{int(bad.any(axis=1).sum())} rows have missing or infinite "
                             f"features (first in column {col!r}); drop or fix them")
        return _normalise(X, norm_groups, args.normalise)

    X = as_matrix(clean)
    conditions = {name: as_matrix(frame) for name, frame in conds.items()}

    # Speaker-independent within-corpus folds where every corpus allows them.
    per_corpus = pd.Series(speakers if speakers is not None else np.arange(len(y))).groupby(
        corpus).nunique()
    n_splits = int(min(5, per_corpus.min()))
    n_splits = n_splits if n_splits >= 2 else None
    if n_splits is None and len(per_corpus) < 2:
        raise UsageError("one corpus with fewer than two speakers: nothing to test on")

    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    quiet = getattr(args, "quiet", False)
    if not quiet:
        print(f"evaluate: {len(y)} clean rows, {len(cols)} features, task {task}, corpora "
              f"{sorted(set(corpus))}, {len(conditions)} noisy conditions; "
              f"models {', '.join(args.models)}", file=sys.stderr)
    corpora = list(pd.unique(corpus))
    n_fits_per_corpus = ((len(corpora) > 1) + (n_splits or 0)) * (
        1 + len(conditions) if args.transductive else 1)  # transductive: a fit per condition
    tables = []
    bar = progress_bar(len(args.models) * len(corpora) * n_fits_per_corpus, quiet=quiet,
                    desc="evaluate")
    with bar:
        for name in args.models:
            model = make_model(name, random_state=args.random_state, quick=args.quick)
            if args.transductive:
                from skser import LabelledOnly

                # The classifier learns from the labelled training rows only.
                step, final = model.steps[-1]
                model.steps[-1] = (step, LabelledOnly(final))
            parts = []
            # One call per training corpus: the same table as one call, with progress between.
            for c in corpora:
                bar.set_postfix_str(f"{MODEL_LABELS[name]}, train {c}")
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    parts.append(cross_corpus_evaluate(
                        model, X, y, corpus, conditions=conditions or None, groups=speakers,
                        scoring=list(args.scoring), n_splits=n_splits, train_corpora=[c],
                        n_jobs=args.n_jobs, n_bootstrap=args.n_bootstrap,
                        random_state=args.random_state, transductive=args.transductive))
                for w in caught:
                    text = " ".join(str(w.message).split())
                    if "fail" in type(w.message).__name__.lower() or "fail" in text.lower():
                        text = f"{MODEL_LABELS[name]}: {text[:300]}"
                    warnings.warn(text, w.category, stacklevel=1)
                bar.update(n_fits_per_corpus)
            t = pd.concat(parts, ignore_index=True)
            t.insert(0, "pipeline", MODEL_LABELS[name])
            tables.append(t)
            if not quiet and bar.disable:
                print(f"evaluate: {MODEL_LABELS[name]} done", file=sys.stderr)
    results = pd.concat(tables, ignore_index=True)

    metric = "uar" if "uar" in args.scoring else args.scoring[0]
    wide = summary_table(results, metric=metric)
    mode = ", with the unlabelled test speech" if args.transductive else ""
    of = "" if task == "emotion" else f" of binary {task}"
    print(format_table(wide, title=f"{metric.upper()} (%){of}, trained on clean speech{mode}"))
    print()
    pairs = pair_table(results, metric=metric)
    ci = " with 95% bootstrap intervals" if "ci_low" in results.columns and metric == "uar" else ""
    print(format_table(pairs, title=f"{metric.upper()} (%) per train -> test{ci}"))
    names = " ".join(Path(f).name for f in args.features)
    target = ("emotion categories" if task == "emotion"
              else f"binary {task} ({', '.join(sorted(set(y)))}) mapped from the emotions")
    note = (f"`skser evaluate {names}`: {len(y)} clean utterances, task: {target}, "
            f"normalisation: {args.normalise}. Within-corpus rows score the pooled "
            f"out-of-fold predictions of {n_splits or 'no'} speaker-independent folds; "
            "cross-corpus rows train on the clean rows of one corpus and test on another.")
    if args.transductive:
        note += (" Transductive: each test set's features, not its labels, joined the training "
                 "fit as unlabelled rows.")
    if ci:
        note += (f" Intervals: 95% percentile bootstrap over {args.n_bootstrap} resamples of "
                 "the test utterances (predictions fixed).")
    save_results(results, outdir, title="skser evaluation", metrics=list(args.scoring),
                 note=note)
    written = ["results.csv", "results.md"]
    if not args.no_plots:
        use_agg_backend()
        from skser.plotting import plot_embedding, plot_uar_vs_snr

        if conditions:
            n_noises = len({_noise_of(c) for c in conditions})
            save_figure(plot_uar_vs_snr(
                results, metric=metric, pipeline="pipeline", pairs="each",
                by_noise=1 < n_noises <= 3, percent=True,
                chance=1 / len(np.unique(y)) if metric in ("uar", "macro_f1") else None,
                title=f"{metric.upper()}{of} against SNR, trained on clean speech",
            ), outdir / "uar_vs_snr.png")
            written.append("uar_vs_snr.png")
        if len(y) >= 3:
            save_figure(plot_embedding(X, y, corpus, random_state=args.random_state),
                        outdir / "embedding_features.png")
            written.append("embedding_features.png")
    if not quiet:
        print(f"evaluate: wrote {', '.join(written)} to {outdir}/", file=sys.stderr)
    return 0


def _noise_of(condition):
    from skser.plotting._snr import _noise_name

    return _noise_name(condition)
