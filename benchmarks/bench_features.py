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

Self-supervised embeddings (``--ssl``; no data and no download needed): ``SSLEmbeddings`` on a
wav2vec2-base architecture with random weights (the compute of ``facebook/wav2vec2-base``)
against a bare ``transformers`` loop around the same model, in the same run:

- throughput in audio seconds per second on utterances of 2-6 s, one layer pooled by its mean
  over the valid frames; the bare loop runs each file alone (wav2vec2-base has a group norm
  over time, so padding a batch would change its embeddings) with the full model and
  ``output_hidden_states=True``. ``SSLEmbeddings`` is timed at the last layer (the same
  work) and at the middle layer (its forward pass stops there). A base-sized model with a
  per-frame layer norm (as wav2vec2-large-lv60 and WavLM large) is compared batched: the bare
  loop pads a batch, passes the attention mask and pools the valid frames;
- peak memory (resident set size) of a fresh process that embeds one file of 60 s and one of
  240 s (windows of 20 s) and, for contrast, 60 s in one pass (``window_seconds=None``); at
  layer 1, to keep it short: activations are freed layer by layer, so the peak is that of
  the convolutional front end and one attention layer over a window.

    python benchmarks/bench_features.py --ssl [--ssl-files 16] [--repeats 2] \
        [--ssl-part speed|memory|both]
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


# --------------------------------------------------------------------------------------
# Self-supervised embeddings
# --------------------------------------------------------------------------------------


def _save_base_model(folder, norm):
    """A wav2vec2-base architecture with random weights (``norm``: "group" or "layer")."""
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(0)
    config = Wav2Vec2Config(feat_extract_norm=norm, do_stable_layer_norm=norm == "layer")
    Wav2Vec2Model(config).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=True, return_attention_mask=norm == "layer"
                             ).save_pretrained(folder)
    return folder


def _load_bare(folder):
    from transformers import AutoFeatureExtractor, AutoModel

    return AutoModel.from_pretrained(folder).eval(), AutoFeatureExtractor.from_pretrained(folder)


def _bare_loop(loaded, signals, layer, batch):
    """The plain transformers way: feature extractor, model, mean of the valid frames.

    ``layer="last"`` pools ``last_hidden_state``; an index pools that entry of
    ``hidden_states`` (the whole model runs).
    """
    import torch

    model, fe = loaded
    rows = []
    with torch.inference_mode():
        for i in range(0, len(signals), batch):
            part = signals[i:i + batch]
            inputs = fe(part, sampling_rate=16000, return_tensors="pt", padding=True,
                        return_attention_mask=batch > 1)
            out = model(inputs["input_values"], attention_mask=inputs.get("attention_mask"),
                        output_hidden_states=layer != "last")
            hs = out.last_hidden_state if layer == "last" else out.hidden_states[layer]
            for b, x in enumerate(part):
                n = int(model._get_feat_extract_output_lengths(len(x)))
                rows.append(hs[b, :n].mean(0).numpy())
    return np.vstack(rows)


_MEMORY_SCRIPT = """
import sys, numpy as np
from skser.features import SSLEmbeddings


def status(key):  # resident set size (now, or the peak since the last reset) in MB
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields[key].split()[0]) / 1024


folder, seconds, window = sys.argv[1], float(sys.argv[2]), sys.argv[3]
x = 0.1 * np.random.default_rng(0).normal(size=int(seconds * 16000))
emb = SSLEmbeddings(folder, layer=1, window_seconds=None if window == "none" else 20.0)
emb.fit_transform([x[:16000]])  # model loaded, one 1 s file done
before = status("VmRSS")
with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (Linux)
    fh.write("5")
emb.transform([x])
print(before, status("VmHWM"))
"""


def bench_ssl(args):
    import tempfile

    from transformers.utils import logging

    logging.disable_progress_bar()
    root = Path(tempfile.mkdtemp(prefix="skser-bench-ssl-"))
    group = _save_base_model(str(root / "group"), "group")
    if args.ssl_part in ("speed", "both"):
        _bench_ssl_speed(args, root, group)
    if args.ssl_part in ("memory", "both"):
        _bench_ssl_memory(group)


def _bench_ssl_speed(args, root, group):
    from skser.features import SSLEmbeddings

    rng = np.random.default_rng(0)
    lengths = rng.uniform(2.0, 6.0, size=args.ssl_files)
    signals = [0.1 * rng.normal(size=int(s * 16000)).astype(np.float32) for s in lengths]
    audio_s = float(lengths.sum())
    layer = _save_base_model(str(root / "layer"), "layer")
    rows = []
    cases = [
        ("wav2vec2-base (group norm), one file at a time, last layer", group, "last", 1),
        ("wav2vec2-base (group norm), one file at a time, middle layer (6)", group, 6, 1),
        ("base size, layer norm, batches of 8 with a mask, last layer", layer, "last", 8),
    ]
    for name, folder, bare_layer, batch in cases:
        ours = SSLEmbeddings(folder, layer=bare_layer,
                             batch_seconds=6.0 * batch if batch > 1 else 1.0)
        ours.fit_transform(signals[:2])  # load the model and warm up
        loaded = _load_bare(folder)
        _bare_loop(loaded, signals[:2], bare_layer, batch)
        t_ours = t_bare = float("inf")
        for _ in range(args.repeats):  # interleaved, best of the repeats
            X_bare, t = timed(lambda m=loaded, b=batch, k=bare_layer: _bare_loop(
                m, signals, k, b))
            t_bare = min(t_bare, t)
            X_ours, t = timed(lambda o=ours: o.transform(signals))
            t_ours = min(t_ours, t)
        diff = float(np.abs(X_ours - X_bare).max())
        rows.append((name, audio_s / t_bare, audio_s / t_ours, diff))
    print(f"\n{args.ssl_files} utterances of 2-6 s ({audio_s:.0f} s of audio); throughput = "
          f"audio s / wall s, best of {args.repeats}; torch threads: "
          f"{__import__('torch').get_num_threads()}; CPU only (no GPU on this machine)")
    head = f"{'case':<76} {'bare a-s/s':>10} {'ours a-s/s':>10} {'ratio':>6} {'max |diff|':>10}"
    print(head)
    print("-" * len(head))
    for name, bare, ours, diff in rows:
        print(f"{name:<76} {bare:>10.1f} {ours:>10.1f} {ours / bare:>6.2f} {diff:>10.1e}")


def _bench_ssl_memory(group):
    import subprocess

    print("\nresident memory of a fresh process (MB): after the model and a 1 s file, and the "
          "peak while embedding one long file (layer 1: the peak is one layer's)")
    for seconds, window in ((60, "20"), (240, "20"), (60, "none")):
        out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, group, str(seconds),
                              window], capture_output=True, text=True, check=True).stdout
        before, peak = (float(v) for v in out.split()[-2:])
        label = "windows of 20 s" if window == "20" else "one pass (window_seconds=None)"
        print(f"  {seconds:>4} s, {label:<31} {before:>7.0f} -> peak {peak:>7.0f} "
              f"(+{peak - before:.0f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--n-jobs", type=int, default=1, help="workers for both systems")
    parser.add_argument("--limit", type=int, default=0, help="files per corpus (0: all)")
    parser.add_argument("--folds", type=int, default=5, help="GroupKFold splits by speaker")
    parser.add_argument("--corpora", nargs="+", default=["emodb", "urdu"])
    parser.add_argument("--ssl", action="store_true",
                        help="benchmark SSLEmbeddings against a bare transformers loop instead")
    parser.add_argument("--ssl-files", type=int, default=16, help="utterances for --ssl")
    parser.add_argument("--repeats", type=int, default=2, help="timing repeats for --ssl")
    parser.add_argument("--ssl-part", choices=("speed", "memory", "both"), default="both",
                        help="which measurements of --ssl to run")
    args = parser.parse_args(argv)
    if args.ssl:
        return bench_ssl(args)
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
