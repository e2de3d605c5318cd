"""Speed and usefulness of ``AcousticFeatures("egemaps_like")`` against openSMILE eGeMAPSv02.

For every corpus found under ``--data`` (EmoDB in ``emodb/wav``, URDU in ``urdu/<Class>/``) this
script extracts both feature sets from the same files with the same number of workers and
reports:

- throughput in audio seconds per wall-clock second (skser: ``AcousticFeatures(n_jobs=n)``
  reading the files itself; openSMILE: the faster of ``Smile(num_workers=n).process_files``
  and ``AcousticFeatures("opensmile:eGeMAPSv02", n_jobs=n)``, which reads the files with
  soundfile and calls ``Smile.process_signal`` in the same joblib workers as skser);
- UAR (unweighted average recall, i.e. balanced accuracy) of the same classifier,
  ``StandardScaler + SVC(rbf, C=1, class_weight="balanced")``, under speaker-independent
  ``GroupKFold`` cross-validation (groups = speakers).

Usage::

    python benchmarks/bench_features.py --data ../shared/data [--n-jobs 1] [--limit 0]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per worker for both systems

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from sklearn.metrics import balanced_accuracy_score  # noqa: E402
from sklearn.model_selection import GroupKFold, cross_val_predict  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skser.features import AcousticFeatures  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
_EMODB = {"W": "angry", "F": "happy", "N": "neutral", "T": "sad", "L": "boredom",
          "E": "disgust", "A": "fearful"}
_URDU = {"A": "angry", "H": "happy", "N": "neutral", "S": "sad"}


def _table_from_names(root, corpus):
    """(paths, labels, speakers) parsed from the file-name conventions of the data README."""
    paths, labels, speakers = [], [], []
    if corpus == "emodb":
        for f in sorted((root / "emodb" / "wav").glob("*.wav")):
            paths.append(str(f))
            labels.append(_EMODB[f.name[5]])
            speakers.append(f.name[:2])
    else:
        for f in sorted((root / "urdu").glob("*/*.wav")):
            m = re.match(r"(S[MF]\d+)_F\d+_([AHNS])\d+", f.stem)
            if m is None:
                continue
            paths.append(str(f))
            labels.append(_URDU[m.group(2)])
            speakers.append(m.group(1))
    return paths, np.asarray(labels), np.asarray(speakers)


def load_table(root, corpus):
    folder = root / ("emodb/wav" if corpus == "emodb" else "urdu")
    try:  # prefer the corpus loader when it is available
        from skser.datasets import load_corpus

        df = load_corpus(folder).sort_values("path")
        return [str(p) for p in df["path"]], df["emotion"].to_numpy(), df["speaker"].to_numpy()
    except Exception as exc:  # noqa: BLE001 - fall back to parsing the names here
        print(f"(load_corpus unavailable for {corpus}: {exc}; parsing file names)",
              file=sys.stderr)
        return _table_from_names(root, corpus)


def uar(X, y, groups, n_splits):
    X = np.nan_to_num(np.asarray(X, dtype=np.float64))
    model = make_pipeline(StandardScaler(), SVC(C=1.0, class_weight="balanced"))
    cv = GroupKFold(n_splits=min(n_splits, len(np.unique(groups))))
    pred = cross_val_predict(model, X, y, groups=groups, cv=cv)
    return 100.0 * balanced_accuracy_score(y, pred)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--n-jobs", type=int, default=1, help="workers for both systems")
    parser.add_argument("--limit", type=int, default=0, help="files per corpus (0: all)")
    parser.add_argument("--folds", type=int, default=5, help="GroupKFold splits by speaker")
    parser.add_argument("--corpora", nargs="+", default=["emodb", "urdu"])
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        parser.error(f"data folder {args.data} not found")
    try:
        import opensmile
    except ImportError:
        parser.error("the comparison needs the opensmile package: pip install opensmile")

    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.Functionals,
        num_workers=args.n_jobs,
    )
    ours = AcousticFeatures("egemaps_like", n_jobs=args.n_jobs)
    peer = AcousticFeatures("opensmile:eGeMAPSv02", n_jobs=args.n_jobs)
    rows = []
    for corpus in args.corpora:
        paths, y, groups = load_table(args.data, corpus)
        if args.limit:
            idx = np.linspace(0, len(paths) - 1, min(args.limit, len(paths))).astype(int)
            paths, y, groups = [paths[i] for i in idx], y[idx], groups[idx]
        if not paths:
            print(f"no files for {corpus} under {args.data}", file=sys.stderr)
            continue
        audio_s = sum(sf.info(p).duration for p in paths)
        ours.transform(paths[:2])  # warm-up (imports, filter banks, worker start)
        smile.process_files(paths[:2])
        peer.transform(paths[:2])
        X_ours, t_ours = timed(lambda p=paths: ours.transform(p))
        X_os, t_os = timed(lambda p=paths: smile.process_files(p).to_numpy(dtype=np.float64))
        _, t_os2 = timed(lambda p=paths: peer.transform(p))
        t_os = min(t_os, t_os2)
        rows.append(
            dict(
                corpus=corpus,
                files=len(paths),
                classes=len(np.unique(y)),
                speakers=len(np.unique(groups)),
                audio_s=audio_s,
                thr_ours=audio_s / t_ours,
                thr_os=audio_s / t_os,
                uar_ours=uar(X_ours, y, groups, args.folds),
                uar_os=uar(X_os, y, groups, args.folds),
                d_ours=X_ours.shape[1],
                d_os=X_os.shape[1],
            )
        )

    print(f"\nworkers: {args.n_jobs}; classifier: StandardScaler + SVC(rbf, C=1, balanced); "
          f"GroupKFold({args.folds}) by speaker; throughput = audio s / wall s")
    head = (f"{'corpus':<7} {'files':>5} {'audio s':>8} | {'skser a-s/s':>11} "
            f"{'openSMILE a-s/s':>15} {'ratio':>6} | {'UAR skser':>9} {'UAR openSMILE':>13} "
            f"{'diff':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['corpus']:<7} {r['files']:>5} {r['audio_s']:>8.1f} | {r['thr_ours']:>11.1f} "
              f"{r['thr_os']:>15.1f} {r['thr_ours'] / r['thr_os']:>6.2f} | "
              f"{r['uar_ours']:>9.1f} {r['uar_os']:>13.1f} {r['uar_ours'] - r['uar_os']:>+6.1f}")
    if rows:
        print(f"features: skser egemaps_like {rows[0]['d_ours']}, openSMILE eGeMAPSv02 "
              f"{rows[0]['d_os']}")
    return rows


if __name__ == "__main__":
    main()
