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
from typing import NamedTuple

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
    """Numeric columns of a features table that are not metadata.

    A column of numbers with a few text cells (``"n/a"``) is read as text and would be left
    out of the features without a word: it is left out with a warning naming it and a cell.
    """
    skip = set(META_COLUMNS) | set(exclude)
    cols = [c for c in table.columns
            if c not in skip and pd.api.types.is_numeric_dtype(table[c])]
    if not cols:
        raise UsageError("the table has no numeric feature columns")
    for c in table.columns:
        if c in skip or c in cols:
            continue
        values = table[c].dropna()
        numbers = pd.to_numeric(values, errors="coerce")
        if len(values) and numbers.notna().mean() > 0.5:
            bad = values[numbers.isna()]
            warnings.warn(
                f"column {c!r} holds numbers but also text ({bad.iloc[0]!r}, in "
                f"{len(bad)} of {len(table)} rows), so it is not used as a feature; fix those "
                "cells (or extract the table again) to use it",
                UserWarning, stacklevel=2)
    return cols


def split_conditions(table, *, label_column, corpus_column, snrs=None):
    """Clean rows, and the noisy conditions aligned with them.

    Returns
    -------
    clean : DataFrame
        The clean rows (reset index), with or without a label: :func:`task_rows` counts and
        leaves out the unlabelled ones.
    conditions : dict of str -> DataFrame
        For each noisy condition, its rows in the order of ``clean``.
    """
    for col in (label_column, corpus_column):
        if col is not None and col not in table.columns:
            shown = ", ".join(map(str, table.columns[:12]))
            more = ", ..." if len(table.columns) > 12 else ""
            raise UsageError(f"the table has no {col!r} column (columns: {shown}{more})")
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
    if names and "path" not in table.columns:
        raise UsageError("noisy conditions need a 'path' column to match them to clean rows")
    # A file is its corpus and its path: stacked tables of two corpora may share relative paths.
    by = corpus_column if corpus_column is not None else (
        "corpus" if "corpus" in table.columns else None)
    keyed = ["path"] if by is None else [by, "path"]
    if corpus_column is not None and "path" in table.columns:
        twice = clean.duplicated(keyed).to_numpy()
        if twice.any():
            first = clean.loc[twice, keyed].iloc[0]
            raise UsageError(
                f"{int(twice.sum())} clean rows repeat a file (first {first['path']!r} of corpus "
                f"{first[corpus_column]!r}): the same utterance would be trained and tested on, "
                "and its noisy rows matched to either. Stack each table once")
    if not names:
        return clean, {}
    clean_keys = pd.MultiIndex.from_frame(clean[keyed].astype(str))
    left_out = {}
    for name in names:
        rows = table[cond == name].drop_duplicates(keyed)
        rows.index = pd.MultiIndex.from_frame(rows[keyed].astype(str))
        missing = ~clean_keys.isin(rows.index)
        if missing.any():
            left_out[name] = missing
            continue
        conditions[name] = rows.loc[clean_keys].reset_index(drop=True)
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


class TaskMapping(NamedTuple):
    """A ``--mapping`` file: its path, its ``{emotion: class or None}`` map, and the line of
    each emotion."""

    path: str
    classes: dict
    lines: dict


def read_mapping(path, task):
    """Read a ``--mapping`` file: the emotion -> class map of ``--task arousal`` or ``valence``.

    The file is a CSV table with the header ``emotion,class`` (or ``emotion,<task>``), then
    one ``emotion,class`` line per emotion; an empty class leaves that emotion's rows out.
    Blank lines are skipped. Read with the standard :mod:`csv` module, so that fields may be
    quoted.

    Returns
    -------
    TaskMapping

    Raises
    ------
    UsageError
        For a missing or unreadable file, a wrong header, a line without exactly two fields
        or without an emotion, an emotion given two different classes, or no emotion line;
        the message names the file and the line.
    """
    import csv
    import io

    where = f"--mapping {path}"
    file = Path(path)
    if not file.is_file():
        what = "is a folder" if file.is_dir() else "does not exist"
        raise UsageError(f"{where}: the file {what}; give a CSV file of 'emotion,class' lines")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot read it as UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    rows = []
    try:
        for row in reader:
            fields = [field.strip() for field in row]
            if any(fields):
                rows.append((reader.line_num, fields))
    except csv.Error as exc:
        raise UsageError(f"{where}, line {reader.line_num}: not valid CSV ({exc})") from None
    example = f"e.g. 'emotion,class' then 'angry,{'high' if task == 'arousal' else 'negative'}'"
    if not rows:
        raise UsageError(f"{where}: the file is empty; give a header and one line per emotion, "
                         f"{example}")
    line, header = rows[0]
    if [h.lower() for h in header] not in (["emotion", "class"], ["emotion", task]):
        raise UsageError(f"{where}, line {line}: the header must be 'emotion,class' (or "
                         f"'emotion,{task}'), got {','.join(header)!r}; {example}")
    classes, lines = {}, {}
    for line, fields in rows[1:]:
        shown = ",".join(fields)
        if len(fields) != 2:
            raise UsageError(f"{where}, line {line}: expected 2 fields 'emotion,class', got "
                             f"{len(fields)}: {shown!r}")
        emotion, value = fields
        if not emotion:
            raise UsageError(f"{where}, line {line}: the emotion is empty: {shown!r}")
        value = value or None
        if emotion in classes and classes[emotion] != value:
            raise UsageError(f"{where}, line {line}: emotion {emotion!r} is given the class "
                             f"{value!r} here and {classes[emotion]!r} on line "
                             f"{lines[emotion]}; keep one")
        classes[emotion], lines[emotion] = value, line
    if not classes:
        raise UsageError(f"{where}: no emotion line after the header; {example}")
    return TaskMapping(str(path), classes, lines)


def task_mapping(args, task):
    """The ``--mapping`` of ``args`` (None without one), read before the tables are."""
    path = getattr(args, "mapping", None)
    if path is None:
        return None
    if task == "emotion":
        raise UsageError("--mapping maps emotions onto arousal or valence classes; it needs "
                         "--task arousal or --task valence")
    return read_mapping(path, task)


def _label_text(values):
    """Labels of a table column as text; whole numbers without a '.0' (a column of integer
    codes becomes float when a cell is empty)."""
    if pd.api.types.is_float_dtype(values) and np.all(np.mod(values.dropna(), 1) == 0):
        values = values.astype("Int64")
    return values.astype(str).to_numpy(dtype=object)


def _raw_labels_hint(clean, rows, label_column):
    """Where the emotion is missing but the table's ``label`` column holds the corpus' own
    label (``skser extract`` keeps it), the labels skser did not recognise, as a hint."""
    if label_column != "emotion" or "label" not in clean.columns:
        return ""
    from skser.datasets import harmonize_label

    raw = clean.loc[rows, "label"].dropna().astype(str)
    raw = sorted({r for r in raw if r.strip() and harmonize_label(r) is None})
    if not raw:
        return ""
    shown = ", ".join(map(repr, raw[:8])) + (", ..." if len(raw) > 8 else "")
    return f"; their 'label' column holds {shown}, which skser does not know as an emotion"


#: What to do about files without an emotion, said in the messages of task_rows.
_GIVE_EMOTIONS = ("give those files their emotions (an 'emotion' column of angry, happy, sad, "
                  "neutral, ... in the manifest) and extract again")


def task_rows(clean, *, label_column, task, corpus=None, mapping=None):
    """The labels of ``task`` for the clean rows, and the rows that have one.

    Rows with an empty label cell are left out. ``task="emotion"`` keeps the label column;
    ``"arousal"`` and ``"valence"`` map it onto binary classes with
    :func:`skser.datasets.to_dimension` (the default maps, or the ``--mapping`` file's).
    Rows left out are counted per corpus in a ``UserWarning``, in the words of
    :func:`skser.model_selection.cross_corpus_evaluate`; a corpus none of whose rows has a
    label, labels the map does not know and emotions of the ``--mapping`` file that are
    neither in the table nor known to skser are usage errors naming them.

    Parameters
    ----------
    clean : DataFrame
        The clean rows.
    label_column : str
        The column of the emotions.
    task : {"emotion", "arousal", "valence"}
        What is trained and scored.
    corpus : ndarray of str, optional
        The corpus of each row, for the counts per corpus (and per-corpus checks).
    mapping : TaskMapping, optional
        The ``--mapping`` file.

    Returns
    -------
    y : ndarray of str
        The labels of the kept rows.
    keep : ndarray of bool
        Which rows of ``clean`` are kept.
    """
    from skser.datasets import AROUSAL_MAP, VALENCE_MAP, harmonize_label, to_dimension
    from skser.datasets._dimensions import _task_labels
    from skser.model_selection._evaluate import left_out_message, unlabelled_corpora

    raw = clean[label_column]
    missing = (raw.isna() | raw.astype(str).str.strip().eq("")).to_numpy(dtype=bool)
    labels = _label_text(raw)
    empty = f"an empty {label_column!r} cell"
    if missing.all():
        raise UsageError(f"no clean row has an emotion: column {label_column!r} is empty"
                         f"{_raw_labels_hint(clean, missing, label_column)}; {_GIVE_EMOTIONS}")
    if corpus is not None:
        whole = unlabelled_corpora(corpus, missing)
        if whole:
            rows = np.isin(np.asarray(corpus).astype(str), whole)
            raise UsageError(
                f"corpus {', '.join(map(repr, whole))}: none of its {int(rows.sum())} clean "
                f"rows has an emotion ({empty} on every row), so it can be neither trained "
                f"nor tested on{_raw_labels_hint(clean, rows, label_column)}. "
                f"{_GIVE_EMOTIONS[0].upper()}{_GIVE_EMOTIONS[1:]}, or leave its table out")
    y = labels.copy()
    dropped = np.zeros(len(labels), dtype=bool)
    if task != "emotion":
        known = mapping.classes if mapping is not None else dict(
            {"arousal": AROUSAL_MAP, "valence": VALENCE_MAP}[task])
        source = (f"the --mapping file {mapping.path}" if mapping is not None
                  else f"the {task} map")
        if mapping is not None:
            present = set(labels[~missing])
            stray = [e for e in mapping.classes if e not in present and harmonize_label(e) is None]
            if stray:
                e = stray[0]
                raise UsageError(
                    f"--mapping {mapping.path}, line {mapping.lines[e]}: {e!r} is no emotion "
                    f"of column {label_column!r} ({', '.join(sorted(present)[:10])}) nor one "
                    "skser knows; correct its spelling or remove the line")
        has = ~missing
        try:
            mapped, ok = _task_labels(labels[has], task, corpus=None if corpus is None
                                      else np.asarray(corpus)[has],
                                      mapping=None if mapping is None else mapping.classes)
        except ValueError:
            unknown = []
            for label in pd.unique(labels[has]):
                try:
                    to_dimension([label], task, mapping=known)
                except ValueError:
                    unknown.append(str(label))
            advice = ("Add a line for each to the --mapping file (an empty class leaves "
                      "their rows out)" if mapping is not None
                      else "Rename or drop those rows, map them with --mapping FILE, or use "
                           "--task emotion")
            spellings = "" if mapping is not None else " (and their corpus spellings)"
            raise UsageError(
                f"--task {task}: the emotion(s) {sorted(unknown)[:10]} of column "
                f"{label_column!r} have no {task} class; {source} knows "
                f"{', '.join(sorted(known))}{spellings}. {advice}") from None
        y[has] = mapped
        dropped[has] = ~ok
    keep = ~missing & ~dropped
    if not keep.any():
        raise UsageError(f"--task {task}: no row of column {label_column!r} has a {task} class")
    if not keep.all():
        what = "emotion" if task == "emotion" else f"{task} class"
        msg = left_out_message(
            corpus, missing, dropped, rows="clean rows", what=what, missing_why=f"with {empty}",
            dropped_why="with an emotion the --mapping file leaves out (an empty class)")
        hint = _raw_labels_hint(clean, missing, label_column) if missing.any() else ""
        hint = f"{hint}: {_GIVE_EMOTIONS}" if hint else ""
        prefix = "" if task == "emotion" else f"--task {task}: "
        warnings.warn(f"{prefix}{msg}{hint}", UserWarning, stacklevel=2)
    return np.asarray(y[keep]).astype(str), keep


def corpus_names(clean, corpus_column):
    """The corpus of each clean row as text; an empty corpus cell is a usage error (it would
    otherwise become a corpus named 'nan')."""
    names = clean[corpus_column]
    empty = (names.isna() | names.astype(str).str.strip().eq("")).to_numpy(dtype=bool)
    if empty.any():
        first = clean["path"].iloc[int(np.flatnonzero(empty)[0])] if "path" in clean else None
        where = f", first {first!r}" if first is not None else ""
        raise UsageError(f"{int(empty.sum())} of {len(names)} clean rows have an empty "
                         f"{corpus_column!r} cell{where}; give every row its corpus (or choose "
                         "the column with --corpus-column)")
    return names.astype(str).to_numpy(dtype=object)


def check_corpus_classes(y, corpus, emotions, *, task, mapping=None):
    """A usage error for a corpus whose clean rows hold a single class: every model is
    trained on each corpus in turn, and no model can be trained on one class.

    Checked before any fit, so that no work is lost to it.
    """
    from skser.model_selection._evaluate import labelled_classes

    for name in pd.unique(corpus):
        classes, rows = labelled_classes(y, np.flatnonzero(corpus == name))
        if len(classes) >= 2:
            continue
        only = classes.tolist()[0]
        if task == "emotion":
            what, behind, split = "emotion", "", ""
        else:
            what = f"{task} class"
            source = ", ".join(sorted(set(emotions[rows].tolist())))
            by = "the --mapping file" if mapping is not None else f"the {task} map"
            behind = f" ({by} puts all its emotions, {source}, in {only!r})"
            split = ", give a --mapping file that splits its emotions"
        raise UsageError(
            f"corpus {name!r} holds a single {what}, {only!r}, in its {len(rows)} clean "
            f"rows{behind}: every corpus is trained on in turn, and no model can be trained "
            f"on one class. Add rows of other classes to it{split}, or leave its table out")


def check_fold_classes(y, corpus, speakers, n_splits):
    """A usage error for a within-corpus fold whose training part holds a single class.

    The folds are those :func:`~skser.model_selection.cross_corpus_evaluate` makes (they are
    deterministic), checked before any fit: where speakers nearly coincide with emotions, the
    held-out speakers of a fold can carry every class but one.
    """
    from skser.model_selection._evaluate import _within_folds, labelled_classes

    for name in pd.unique(corpus):
        rows = np.flatnonzero(corpus == name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said again, once, when the folds are evaluated
            folds = _within_folds(y, speakers, rows, n_splits, name)
        for k, (train, _) in enumerate(folds, start=1):
            classes, _ = labelled_classes(y, train)
            if len(classes) < 2:
                raise UsageError(
                    f"corpus {name!r}: the training part of speaker-independent fold {k} of "
                    f"{n_splits} holds a single class, {classes.tolist()[0]!r}: its held-out "
                    "speakers carry every other class (speakers nearly coincide with "
                    "classes), and no model can be trained on one class. Give the corpus "
                    "more speakers of each class, or leave its table out")


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

    task = getattr(args, "task", "emotion")
    mapping = task_mapping(args, task)
    table = read_tables(args.features)
    clean, conds = split_conditions(table, label_column=args.label_column,
                                    corpus_column=args.corpus_column, snrs=args.snrs)
    cols = feature_columns(table, exclude=(args.label_column, args.corpus_column))
    corpus = corpus_names(clean, args.corpus_column)
    y, keep = task_rows(clean, label_column=args.label_column, task=task, corpus=corpus,
                        mapping=mapping)
    if not keep.all():
        clean = clean[keep].reset_index(drop=True)
        conds = {name: frame[keep].reset_index(drop=True) for name, frame in conds.items()}
    corpus = corpus[keep]
    what = "emotions" if task == "emotion" else f"{task} classes"
    if len(np.unique(y)) < 2:
        raise UsageError(f"the clean rows have fewer than two {what}: {sorted(set(y.tolist()))}")
    check_corpus_classes(y, corpus, clean[args.label_column].astype(str).to_numpy(),
                         task=task, mapping=mapping)
    speakers = None
    if "speaker" in clean.columns and clean["speaker"].notna().all():
        speakers = clean["speaker"].astype(str).to_numpy()
    elif "speaker" in clean.columns and args.normalise != "speaker":
        unknown = clean["speaker"].isna().to_numpy()
        counts = pd.Series(corpus[unknown]).value_counts(sort=False)
        warnings.warn(
            f"{int(unknown.sum())} of {len(unknown)} clean rows have an empty 'speaker' cell "
            f"({', '.join(f'{c}: {k}' for c, k in counts.items())}), so the within-corpus "
            "folds are stratified by emotion, not speaker-independent: one speaker can be in "
            "the training and the test part, which flatters the within-corpus scores. Fill "
            "in the speakers for speaker-independent folds",
            UserWarning, stacklevel=2)
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
    if n_splits is None:
        alone = [str(c) for c, k in per_corpus.items() if k < 2]
        unit = "speaker" if speakers is not None else "row"
        warnings.warn(
            f"corpus {', '.join(map(repr, alone))} has a single {unit}, so no "
            "speaker-independent folds can be made: the within-corpus evaluation is skipped "
            "for every corpus and only cross-corpus results are given. Leave that corpus out "
            "to get within-corpus results for the others",
            UserWarning, stacklevel=2)
    else:
        check_fold_classes(y, corpus, speakers, n_splits)

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
              else f"binary {task} ({', '.join(sorted(set(y)))}) mapped from the emotions"
              + ("" if mapping is None else f" by {Path(mapping.path).name}"))
    folds = ("speaker-independent folds" if speakers is not None
             else "folds stratified by emotion (not speaker-independent: the table lacks "
                  "the speaker of some or all rows)")
    note = (f"`skser evaluate {names}`: {len(y)} clean utterances, task: {target}, "
            f"normalisation: {args.normalise}. Within-corpus rows score the pooled "
            f"out-of-fold predictions of {n_splits or 'no'} {folds}; "
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
