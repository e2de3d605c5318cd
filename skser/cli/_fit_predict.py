"""``skser fit`` and ``skser predict``: save a fitted pipeline, predict emotions of audio files.

The model file is written by :func:`skser.save_model`: data only (no pickle), so loading it
cannot run code, with a checksum, the library versions and the feature settings (feature set,
sample rate, feature columns), so that ``predict`` extracts exactly the features the model was
trained on. Features are not normalised per corpus here: a single new file has no corpus
statistics. The baselines standardise with the training statistics, and EDRL standardises its
input itself.

The file holds ``{"pipeline": model, "confidence": calibrator}``: ``calibrator`` is a
:class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid, cross-validated) copy of the
final classifier fitted on the pipeline's transformed training features, from which
``predict --proba`` reports the probability of every emotion. The predicted emotion is always
the pipeline's own; its confidence is the calibrated probability of that emotion. The
calibration is fitted on features the earlier steps were trained on, so it tends to be
overconfident on new speech: read it as a ranking of how sure the model is, not as an exact
probability. ``--proba`` also reports ``atypical_features``, the number of features more
than 4 training standard deviations from the training mean: an RBF SVC gives every input far
from its training data the same probabilities (all kernel values vanish), so pure noise can
get a high confidence; this count is what tells it apart, and ``predict`` warns about files
where it exceeds a tenth of the features.
"""

from __future__ import annotations

import csv
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from ._errors import UsageError
from ._evaluate import (
    corpus_names,
    feature_columns,
    progress_bar,
    split_conditions,
    task_mapping,
    task_rows,
)
from ._extract import load_settings, read_tables
from ._models import MODEL_LABELS, make_model

FORMAT = "skser-model-1"  # the metadata layout of a model file written by 'skser fit'
KNOWN_FEATURE_SETS = ("egemaps_like", "mfcc_stats")
# What predict expects, said when its first argument is not a model file.
_MODEL_FIRST = ("the first argument of 'skser predict' is a model file written by "
                "'skser fit -o MODEL.skser', then the audio files")
# A file is flagged as unlike the training speech when more than ATYPICAL_SHARE of its features
# are more than ATYPICAL_Z training standard deviations from the training mean. On EmoDB
# (egemaps_like) no training file has more than 2 of 88 such features, held-out Urdu speech
# 1-3, environmental noise recordings 20-38.
ATYPICAL_Z = 4.0
ATYPICAL_SHARE = 0.1


def _infer_settings(columns):
    """Feature set whose names are exactly ``columns`` (tables made without ``extract``)."""
    from skser.features import feature_names

    for name in KNOWN_FEATURE_SETS:
        if list(feature_names(name)) == list(columns):
            return {"feature_set": name, "sr": 16000}
    return None


def run_fit(args):
    """Run ``skser fit``."""
    from skser import save_model
    from skser.utils._validation import check_finite_columns

    output = Path(args.output)
    if not output.parent.exists():
        raise UsageError(f"the folder of --output, {output.parent}, does not exist")
    task = getattr(args, "task", "emotion")
    mapping = task_mapping(args, task)
    table = read_tables(args.features)
    clean, _ = split_conditions(table, label_column=args.label_column, corpus_column=None)
    cols = feature_columns(table, exclude=(args.label_column,))
    # The corpus column, where the table has one, only counts the rows left out per corpus.
    corpus = corpus_names(clean, "corpus") if "corpus" in clean.columns else None
    y, keep = task_rows(clean, label_column=args.label_column, task=task, corpus=corpus,
                        mapping=mapping)
    clean = clean[keep].reset_index(drop=True)
    X = clean[cols].to_numpy(dtype=np.float64)
    try:
        check_finite_columns(X, cols, name="table",
                             advice="Drop or fix those rows before fitting.")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if len(np.unique(y)) < 2:
        what = "emotions" if task == "emotion" else f"{task} classes"
        raise UsageError(f"fit needs at least two {what}, the table has {sorted(set(y.tolist()))}")
    saved = [load_settings(f) for f in args.features]
    kinds = {None if s is None else (s.get("feature_set"), s.get("sr")) for s in saved}
    if len(kinds) > 1:
        raise UsageError("the tables were extracted with different feature settings (or some "
                         "without 'skser extract'); fit on tables made the same way")
    settings = saved[0] or _infer_settings(cols)
    if settings is not None:
        settings = {"feature_set": settings["feature_set"], "sr": int(settings.get("sr", 16000))}
    metadata = {
        "format": FORMAT,
        "model": args.model,
        # what the model predicts: "emotion", or the binary "arousal" / "valence" class
        "task": task,
        # the --mapping file's emotion -> class map (None: the default map of the task)
        "mapping": None if mapping is None else mapping.classes,
        "feature_columns": cols,
        "features": settings,  # None: the table's features are not skser's, predict refuses
        "classes": [str(c) for c in np.unique(y)],
        "n_train": int(len(y)),
        # the training distribution, to flag audio unlike any training speech (predict)
        "feature_mean": [float(v) for v in X.mean(axis=0)],
        "feature_std": [float(v) for v in X.std(axis=0)],
    }
    model = make_model(args.model, random_state=args.random_state, quick=args.quick)
    # Three stages, shown on a terminal: training, the confidence calibration, saving.
    with progress_bar(3, quiet=False, desc="fit", unit="step") as bar:
        bar.set_postfix_str(f"training {MODEL_LABELS[args.model]} on {len(y)} rows")
        model.fit(X, y)
        bar.update(1)
        bar.set_postfix_str("calibrating the confidence")
        confidence = _fit_confidence(model, X, y)
        bar.update(1)
        bar.set_postfix_str(f"saving {output}")
        save_model({"pipeline": model, "confidence": confidence}, output, metadata=metadata)
        bar.update(1)
    print(f"fit: {MODEL_LABELS[args.model]} trained on {len(y)} clean rows x {len(cols)} "
          f"features, task {task} ({', '.join(metadata['classes'])}); saved to {output}",
          file=sys.stderr)
    return 0


def _atypical_counts(bundle, X, rows):
    """Per judged file, how many features lie beyond ``ATYPICAL_Z`` training SDs (or {})."""
    mean, std = bundle.get("feature_mean"), bundle.get("feature_std")
    if X is None or mean is None or std is None:
        return {}
    std = np.asarray(std, dtype=np.float64)
    z = np.abs(X - np.asarray(mean)) / np.where(std > 0, std, np.inf)
    return dict(zip(rows, (int(c) for c in (z > ATYPICAL_Z).sum(axis=1))))


def _fit_confidence(model, X, y):
    """Calibrated probabilities of the final step on the transformed training features."""
    from sklearn.base import clone
    from sklearn.calibration import CalibratedClassifierCV

    n_folds = min(5, int(np.unique(y, return_counts=True)[1].min()))
    if n_folds < 2:
        return None  # a class of one row: nothing to calibrate on
    Z = model[:-1].transform(X) if len(model.steps) > 1 else X
    calibrator = CalibratedClassifierCV(clone(model.steps[-1][1]), method="sigmoid",
                                        cv=n_folds, ensemble=False)
    return calibrator.fit(np.asarray(Z), y)


def _load_bundle(path, trust_pickle=False):
    """``{"pipeline": model, **metadata}`` of a model file saved by ``skser fit``."""
    from skser import load_model
    from skser._persistence import UntrustedModelError

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"model file {path} does not exist")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            model, meta = load_model(path, trusted_pickle=trust_pickle, return_metadata=True)
    except UntrustedModelError as exc:
        text = str(exc).replace("trusted_pickle=True", "--trust-pickle")
        if "--trust-pickle" not in text:  # not a model at all: say what predict expects
            text += f"; {_MODEL_FIRST}"
        raise UsageError(f"cannot load {path} as a skser model: {text}") from None
    except Exception as exc:  # noqa: BLE001 - a trusted pickle can raise anything
        why = " ".join(str(exc).split())[:120]
        raise UsageError(
            f"cannot load {path} as a skser model ({type(exc).__name__}"
            f"{': ' + why if why else ''}); {_MODEL_FIRST}"
        ) from None
    for w in caught:
        print(f"predict: warning: {w.message}", file=sys.stderr)
    if meta.get("format") != FORMAT:
        raise UsageError(f"{path} is not a model saved by 'skser fit'; make one with "
                         "'skser fit FEATURES.csv -o MODEL.skser'")
    if isinstance(model, dict) and "pipeline" in model:
        return {**meta, **model}
    return {**meta, "pipeline": model, "confidence": None}  # a pickle of skser 0.1


def _expand_audio(items):
    from skser.features._audio_io import AUDIO_EXTENSIONS

    files = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in AUDIO_EXTENSIONS)
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
    from skser.features import AcousticFeatures, load_audio
    from skser.features._audio_io import speech_problem

    bundle = _load_bundle(args.model, trust_pickle=getattr(args, "trust_pickle", False))
    settings = bundle.get("features")
    if not settings or "feature_set" not in settings:
        raise UsageError(
            f"{args.model} was trained on a table whose features skser cannot recompute "
            "(no feature settings); train on a table made by 'skser extract'"
        )
    pipeline, calibrator = bundle["pipeline"], bundle.get("confidence")
    proba = bool(getattr(args, "proba", False))
    if proba and calibrator is None:
        raise UsageError(f"{args.model} was saved without probability estimates (by skser 0.1, "
                         "or trained with a class of one row); fit it again to use --proba")
    files = _expand_audio(args.audio)
    sr = int(settings.get("sr", 16000))
    signals, judged, problems = [], [], {}
    with progress_bar(len(files), quiet=False, desc="predict", unit="file") as bar:
        for i, f in enumerate(files):
            signal = load_audio(f, sr=sr)  # an unreadable file stops with its name
            problem = speech_problem(signal, sr)
            if problem is None:
                signals.append(signal)
                judged.append(i)
            else:
                problems[i] = problem
                print(f"predict: cannot judge {f}: {problem}; its emotion is left empty",
                      file=sys.stderr)
            bar.update(1)
    extractor = AcousticFeatures(feature_set=settings["feature_set"], sr=sr, n_jobs=args.n_jobs)
    if list(extractor.get_feature_names_out()) != list(bundle["feature_columns"]):
        raise UsageError("the features of this skser version differ from those the model was "
                         "trained on; refit the model")
    classes = [str(c) for c in calibrator.classes_] if proba else []
    pred, prob = {}, {}
    if signals:
        X = np.asarray(extractor.fit_transform(signals), dtype=np.float64)
        pred = dict(zip(judged, (str(e) for e in pipeline.predict(X))))
        if proba:
            Z = pipeline[:-1].transform(X) if len(pipeline.steps) > 1 else X
            prob = dict(zip(judged, calibrator.predict_proba(np.asarray(Z))))
    atypical = _atypical_counts(bundle, X if signals else None, judged)
    n_features = len(bundle["feature_columns"])
    for i, count in atypical.items():
        if count > ATYPICAL_SHARE * n_features:
            print(f"predict: {files[i]} is unlike the training speech ({count} of {n_features} "
                  f"features more than {ATYPICAL_Z:g} standard deviations from the training "
                  "mean; pure noise or music looks like this): its emotion is a guess",
                  file=sys.stderr)
    # A model fitted with --task arousal or valence predicts that class (older files: emotion).
    header = ["path", str(bundle.get("task", "emotion"))]
    if proba:
        header += ["confidence", "atypical_features"] + [f"p_{c}" for c in classes]
    rows = []
    for i, f in enumerate(files):
        row = [str(f), pred.get(i, "")]
        if proba:
            p = prob.get(i)
            row += ([""] * (2 + len(classes)) if p is None
                    else [f"{p[classes.index(row[1])]:.4f}", str(atypical.get(i, ""))]
                    + [f"{v:.4f}" for v in p])
        rows.append(row)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
    try:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early ('skser predict ... | head -1'): that is not an error. Send
        # what is left to /dev/null so that the interpreter's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0
