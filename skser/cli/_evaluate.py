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
from ._report import format_table, save_figure, save_results, summary_table, use_agg_backend


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
    for name in names:
        rows = table[cond == name]
        if "path" not in table.columns:
            raise UsageError("noisy conditions need a 'path' column to match them to clean rows")
        rows = rows.drop_duplicates("path").set_index("path")
        missing = ~clean["path"].isin(rows.index)
        if missing.any():
            warnings.warn(f"condition {name!r} lacks {int(missing.sum())} of the clean files; "
                          "it is left out", stacklevel=2)
            continue
        conditions[name] = rows.loc[clean["path"]].reset_index()
    return clean, conditions


def _normalise(X, groups, how):
    from skser.preprocessing import standardize_per_group

    if how == "none":
        return X
    return standardize_per_group(X, groups)


def run_evaluate(args):
    """Run ``skser evaluate`` (see the module docstring)."""
    from skser.model_selection import cross_corpus_evaluate

    table = read_tables(args.features)
    clean, conds = split_conditions(table, label_column=args.label_column,
                                    corpus_column=args.corpus_column, snrs=args.snrs)
    cols = feature_columns(table, exclude=(args.label_column, args.corpus_column))
    y = clean[args.label_column].astype(str).to_numpy()
    corpus = clean[args.corpus_column].astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise UsageError(f"the clean rows have fewer than two emotions: {sorted(set(y))}")
    speakers = None
    if "speaker" in clean.columns and clean["speaker"].notna().all():
        speakers = clean["speaker"].astype(str).to_numpy()
    if args.normalise == "speaker" and speakers is None:
        raise UsageError("--normalise speaker needs a 'speaker' column with no missing values")
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
    print(f"evaluate: {len(y)} clean rows, {len(cols)} features, corpora "
          f"{sorted(set(corpus))}, {len(conditions)} noisy conditions; "
          f"models {', '.join(args.models)}", file=sys.stderr)
    tables = []
    for name in args.models:
        model = make_model(name, random_state=args.random_state, quick=args.quick)
        if args.transductive:
            from skser import LabelledOnly

            # The classifier learns from the labelled training rows only.
            step, final = model.steps[-1]
            model.steps[-1] = (step, LabelledOnly(final))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t = cross_corpus_evaluate(model, X, y, corpus, conditions=conditions or None,
                                      groups=speakers, scoring=list(args.scoring),
                                      n_splits=n_splits, n_jobs=args.n_jobs,
                                      transductive=args.transductive)
        for w in caught:
            if "fail" in type(w.message).__name__.lower() or "fail" in str(w.message).lower():
                print(f"evaluate: warning: {MODEL_LABELS[name]}: "
                      f"{' '.join(str(w.message).split())[:300]}", file=sys.stderr)
        t.insert(0, "pipeline", MODEL_LABELS[name])
        tables.append(t)
        print(f"evaluate: {MODEL_LABELS[name]} done", file=sys.stderr)
    results = pd.concat(tables, ignore_index=True)

    metric = "uar" if "uar" in args.scoring else args.scoring[0]
    wide = summary_table(results, metric=metric)
    mode = ", with the unlabelled test speech" if args.transductive else ""
    print(format_table(wide, title=f"{metric.upper()} (%), trained on clean speech{mode}"))
    names = " ".join(Path(f).name for f in args.features)
    note = (f"`skser evaluate {names}`: {len(y)} clean utterances, "
            f"normalisation: {args.normalise}; within-corpus rows use "
            f"{n_splits or 'no'} speaker-independent folds."
            + (" Transductive: each test set's features, not its labels, joined the training "
               "fit as unlabelled rows." if args.transductive else ""))
    save_results(results, outdir, title="skser evaluation", metrics=list(args.scoring),
                 note=note)
    written = ["results.csv", "results.md"]
    if not args.no_plots:
        use_agg_backend()
        from skser.plotting import plot_embedding, plot_uar_vs_snr

        if conditions:
            save_figure(plot_uar_vs_snr(results, metric=metric, pipeline="pipeline"),
                        outdir / "uar_vs_snr.png")
            written.append("uar_vs_snr.png")
        if len(y) >= 3:
            save_figure(plot_embedding(X, y, corpus, random_state=args.random_state),
                        outdir / "embedding_features.png")
            written.append("embedding_features.png")
    print(f"evaluate: wrote {', '.join(written)} to {outdir}/", file=sys.stderr)
    return 0
