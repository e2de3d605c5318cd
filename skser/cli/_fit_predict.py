"""``skser fit`` and ``skser predict``: save a fitted pipeline, predict emotions of audio files.

The saved file is a joblib dict that holds the fitted pipeline and the feature settings
(feature set, sample rate, feature columns), so that ``predict`` extracts exactly the features
the model was trained on. Features are not normalised per corpus here: a single new file has
no corpus statistics. The baselines standardise with the training statistics, and EDRL
standardises its input itself.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from ._errors import UsageError
from ._evaluate import feature_columns, progress_bar, split_conditions
from ._extract import load_settings, read_tables
from ._models import MODEL_LABELS, make_model

FORMAT = "skser-model-1"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")
KNOWN_FEATURE_SETS = ("egemaps_like", "mfcc_stats")


def _infer_settings(columns):
    """Feature set whose names are exactly ``columns`` (tables made without ``extract``)."""
    from skser.features import feature_names

    for name in KNOWN_FEATURE_SETS:
        if list(feature_names(name)) == list(columns):
            return {"feature_set": name, "sr": 16000}
    return None


def run_fit(args):
    """Run ``skser fit``."""
    import joblib

    from skser import __version__

    output = Path(args.output)
    if not output.parent.exists():
        raise UsageError(f"the folder of --output, {output.parent}, does not exist")
    table = read_tables(args.features)
    clean, _ = split_conditions(table, label_column=args.label_column, corpus_column=None)
    cols = feature_columns(table, exclude=(args.label_column,))
    X = clean[cols].to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        raise UsageError("some rows have missing or infinite features; drop or fix them")
    y = clean[args.label_column].astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise UsageError(f"fit needs at least two emotions, the table has {sorted(set(y))}")
    saved = [load_settings(f) for f in args.features]
    kinds = {None if s is None else (s.get("feature_set"), s.get("sr")) for s in saved}
    if len(kinds) > 1:
        raise UsageError("the tables were extracted with different feature settings (or some "
                         "without 'skser extract'); fit on tables made the same way")
    settings = saved[0] or _infer_settings(cols)
    if settings is not None:
        settings = {"feature_set": settings["feature_set"], "sr": int(settings.get("sr", 16000))}
    model = make_model(args.model, random_state=args.random_state, quick=args.quick)
    model.fit(X, y)
    bundle = {
        "format": FORMAT,
        "skser_version": __version__,
        "model": args.model,
        "pipeline": model,
        "feature_columns": cols,
        "features": settings,  # None: the table's features are not skser's, predict refuses
        "classes": [str(c) for c in np.unique(y)],
        "n_train": int(len(y)),
    }
    tmp = Path(f"{output}.tmp")
    joblib.dump(bundle, tmp)
    tmp.replace(output)
    print(f"fit: {MODEL_LABELS[args.model]} trained on {len(y)} clean rows x {len(cols)} "
          f"features ({', '.join(bundle['classes'])}); saved to {output}", file=sys.stderr)
    return 0


def _load_bundle(path):
    import joblib

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"model file {path} does not exist")
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - joblib/pickle raise many types on bad files
        why = " ".join(str(exc).split())[:120]
        raise UsageError(
            f"cannot load {path} as a skser model ({type(exc).__name__}"
            f"{': ' + why if why else ''}); the first argument of 'skser predict' is a model "
            "file written by 'skser fit -o MODEL.joblib', then the audio files"
        ) from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise UsageError(f"{path} is not a model saved by 'skser fit'; make one with "
                         "'skser fit FEATURES.csv -o MODEL.joblib'")
    return bundle


def _expand_audio(items):
    files = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise UsageError(f"folder {p} holds no audio files")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"audio file {p} does not exist")
    return files


def run_predict(args):
    """Run ``skser predict``."""
    from skser.features import AcousticFeatures

    bundle = _load_bundle(args.model)
    settings = bundle.get("features")
    if not settings or "feature_set" not in settings:
        raise UsageError(
            f"{args.model} was trained on a table whose features skser cannot recompute "
            "(no feature settings); train on a table made by 'skser extract'"
        )
    files = _expand_audio(args.audio)
    extractor = AcousticFeatures(feature_set=settings["feature_set"],
                                 sr=int(settings.get("sr", 16000)), n_jobs=args.n_jobs)
    paths = [str(f) for f in files]
    parts = []
    with progress_bar(len(paths), quiet=False, desc="predict", unit="file") as bar:
        for start in range(0, len(paths), 32):  # in chunks, for the progress bar
            parts.append(extractor.fit_transform(paths[start:start + 32]))
            bar.update(len(parts[-1]))
    X = np.vstack(parts).astype(np.float64, copy=False)
    names = list(extractor.get_feature_names_out())
    if names != list(bundle["feature_columns"]):
        raise UsageError("the features of this skser version differ from those the model was "
                         "trained on; refit the model")
    pred = bundle["pipeline"].predict(X)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["path", "emotion"])
    rows = [(str(f), str(e)) for f, e in zip(files, pred)]
    writer.writerows(rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["path", "emotion"])
            w.writerows(rows)
    return 0
