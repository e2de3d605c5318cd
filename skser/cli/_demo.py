"""``skser demo``: the whole method on synthetic corpora, clean and in noise.

Steps (all data are made here; nothing is downloaded):

1. :func:`skser.datasets.make_speech_corpus` synthesises two corpora (``synth0``, ``synth1``)
   that differ in speakers, expressiveness and channel.
2. Two noises are synthesised: *babble* (the sum of utterances of other synthetic speakers,
   none of whom is in the corpora) and *pink* noise (1/f power spectrum).
3. The test corpus is mixed with each noise at several SNRs (:func:`skser.noise.mix_at_snr`).
4. :class:`skser.features.AcousticFeatures` (``egemaps_like``) on every signal.
5. Per-corpus standardisation (:func:`skser.preprocessing.standardize_per_group`): each corpus,
   and each noisy version of the test corpus, with its own mean and standard deviation (the
   field's usual protocol; it uses the unlabelled test features, see the user guide).
6. SVC, PCA+SVC and EDRL-MEA are trained on the clean training corpus and scored (UAR, WA,
   macro-F1) on the other corpus, clean and in every noisy condition.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import UsageError
from ._models import MODEL_LABELS, make_model
from ._report import format_table, save_figure, save_results, summary_table, use_agg_backend

TRAIN, TEST = "synth0", "synth1"


def _config(quick):
    if quick:
        return dict(n_speakers=3, n_utterances=2, duration=(0.6, 0.9), snrs=(10, 0))
    return dict(n_speakers=8, n_utterances=4, duration=(1.0, 1.5), snrs=(20, 10, 5, 0))


def make_noises(*, sr=16000, seconds=8.0, random_state=0):
    """Synthesise the demo's noises: ``{"babble": ..., "pink": ...}`` (float32, unit RMS).

    Babble sums utterances of eight synthetic speakers who are not in the demo's corpora
    (their own random seed); pink noise has a 1/f power spectrum.
    """
    from skser.datasets import make_speech_corpus

    rng = np.random.default_rng(random_state)
    n = int(seconds * sr)
    talk, _ = make_speech_corpus(n_corpora=1, n_speakers=4, n_utterances=1, duration=1.0,
                                 sr=sr, random_state=int(rng.integers(2**31)))
    babble = np.zeros(n)
    for _ in range(8):  # eight overlapping talkers
        stream = np.concatenate([talk[j] for j in rng.permutation(len(talk))])
        stream = np.resize(stream, n)
        babble += np.roll(stream, int(rng.integers(n))) * rng.uniform(0.5, 1.0)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, d=1.0 / sr)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0.0
    pink = np.fft.irfft(spectrum, n)
    out = {}
    for name, x in (("babble", babble), ("pink", pink)):
        x = x - x.mean()
        out[name] = (x / np.sqrt(np.mean(x**2))).astype(np.float32)
    return out


def _log(msg, t0):
    print(f"[{time.perf_counter() - t0:5.1f} s] {msg}", file=sys.stderr, flush=True)


def run_demo(args):
    """Run ``skser demo`` (see the module docstring); returns the exit status."""
    from skser.datasets import make_speech_corpus
    from skser.features import AcousticFeatures
    from skser.metrics import get_scorers
    from skser.noise import mix_at_snr
    from skser.preprocessing import standardize_per_group

    t0 = time.perf_counter()
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"--output {outdir} exists and is not a folder")
    outdir.mkdir(parents=True, exist_ok=True)
    cfg = _config(args.quick)
    rs = args.random_state
    sr = 16000

    signals, meta = make_speech_corpus(
        n_corpora=2, n_speakers=cfg["n_speakers"], n_utterances=cfg["n_utterances"],
        duration=cfg["duration"], sr=sr, random_state=rs,
    )
    noises = make_noises(sr=sr, random_state=rs + 1)
    _log(f"synthesised {len(signals)} utterances ({meta['corpus'].nunique()} corpora, "
         f"{meta['speaker'].nunique()} speakers, {meta['emotion'].nunique()} emotions) and "
         f"noises {sorted(noises)}", t0)

    test_idx = np.flatnonzero(meta["corpus"].to_numpy() == TEST)
    conditions = {}
    rng = np.random.default_rng(rs + 2)
    for name in sorted(noises):
        for snr in cfg["snrs"]:
            cond = f"{name} {snr:g} dB"
            conditions[cond] = [
                mix_at_snr(signals[i], noises[name], snr, random_state=int(rng.integers(2**31)))
                for i in test_idx
            ]
    extractor = AcousticFeatures(feature_set="egemaps_like", sr=sr, n_jobs=args.n_jobs)
    X_clean = extractor.fit_transform(signals)
    X_cond = {c: extractor.transform(sigs) for c, sigs in conditions.items()}
    _log(f"extracted {X_clean.shape[1]} egemaps_like features of "
         f"{len(signals) + sum(len(s) for s in conditions.values())} signals "
         f"({len(conditions)} noisy conditions of {TEST})", t0)

    corpus = meta["corpus"].to_numpy()
    y = meta["emotion"].to_numpy()
    X_clean = standardize_per_group(X_clean, corpus)
    X_cond = {c: standardize_per_group(X) for c, X in X_cond.items()}  # own statistics
    train_idx = np.flatnonzero(corpus == TRAIN)
    X_train, y_train = X_clean[train_idx], y[train_idx]
    y_test = y[test_idx]
    tests = {"clean": X_clean[test_idx], **X_cond}

    scorers = get_scorers(["uar", "wa", "macro_f1"])
    rows, fitted, preds = [], {}, {}
    for name, label in MODEL_LABELS.items():
        model = make_model(name, random_state=rs, quick=args.quick).fit(X_train, y_train)
        fitted[label] = model
        for cond, X_test in tests.items():
            for metric, scorer in scorers.items():
                rows.append((label, TRAIN, TEST, cond, metric, scorer(model, X_test, y_test),
                             len(y_test)))
        preds[label] = model.predict(tests["clean"])
        _log(f"trained {label} on clean {TRAIN}, tested on {TEST}", t0)
    table = pd.DataFrame(rows, columns=["pipeline", "train", "test", "condition", "metric",
                                        "value", "n"])

    title = f"UAR (%), trained on clean {TRAIN}"
    wide = summary_table(table, metric="uar")
    print(format_table(wide, title=title), flush=True)
    chance = 100.0 / len(np.unique(y))
    print(f"(chance: {chance:.1f} %; {len(y_train)} training and {len(y_test)} test utterances;"
          f" {'quick' if args.quick else 'full'} settings, random state {rs})")
    note = (
        f"Synthetic demo (`skser demo{' --quick' if args.quick else ''} --random-state {rs}`): "
        f"trained on clean `{TRAIN}` ({len(y_train)} utterances), tested on `{TEST}` "
        f"({len(y_test)} utterances), clean and mixed with synthetic babble and pink noise. "
        "Features standardised per corpus and per noisy condition with their own statistics. "
        f"Chance UAR: {chance:.1f} %."
    )
    save_results(table, outdir, title="skser demo results", metrics=["uar", "wa", "macro_f1"],
                 note=note)
    written = ["results.csv", "results.md"]

    if not args.no_plots:
        written += _plots(table, fitted, preds, y_test, X_clean, y, corpus, outdir, rs)
    _log(f"wrote {', '.join(written)} to {outdir}/", t0)
    return 0


def _plots(table, fitted, preds, y_test, X_clean, y, corpus, outdir, rs):
    use_agg_backend()
    from skser.plotting import (
        plot_block_importances,
        plot_confusion_matrices,
        plot_embedding,
        plot_uar_vs_snr,
    )

    written = []
    fig = plot_uar_vs_snr(table, metric="uar", pipeline="pipeline", pairs="each",
                          by_noise=True, percent=True, chance=1 / len(np.unique(y)),
                          title=f"UAR against SNR, trained on clean {TRAIN} (synthetic)")
    save_figure(fig, outdir / "uar_vs_snr.png")
    written.append("uar_vs_snr.png")
    fig = plot_confusion_matrices(y_test, preds)
    save_figure(fig, outdir / "confusion_matrices.png")
    written.append("confusion_matrices.png")
    edrl_mea = fitted[MODEL_LABELS["edrl-mea"]]
    mea = edrl_mea.named_steps["mea"]
    fig = plot_block_importances(mea, block_names=[mea.block_names_[i] for i in mea.x_blocks_])
    save_figure(fig, outdir / "block_importances.png")
    written.append("block_importances.png")
    fig = plot_embedding(np.asarray(X_clean), y, corpus, random_state=rs)
    save_figure(fig, outdir / "embedding_features.png")
    written.append("embedding_features.png")
    Z = edrl_mea[:-1].transform(X_clean)
    fig = plot_embedding(np.asarray(Z), y, corpus, random_state=rs)
    save_figure(fig, outdir / "embedding_edrl_mea.png")
    written.append("embedding_edrl_mea.png")
    return written
