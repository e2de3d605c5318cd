"""A source-filter synthesiser of emotional speech-like audio with several speakers and corpora.

Each utterance is a sequence of syllables. A syllable is a short unvoiced (noise) onset followed
by a voiced vowel: a Rosenberg glottal pulse train (its derivative, i.e. with lip radiation)
driven by an F0 contour with per-cycle jitter and shimmer, plus pulse-synchronous aspiration
noise, lowpassed for spectral tilt and filtered by a cascade of four formant resonators. Emotion
sets the F0 level, range (accents) and declination, the speaking rate, energy, spectral tilt,
open quotient, jitter, shimmer, breathiness and a small formant shift. Speakers differ in F0,
vocal tract length (formant scaling), rate, level and breathiness; corpora differ in speaker
population, vowel usage, how strongly emotions are expressed (acted vs natural), and channel:
microphone band limits and a resonance, recording level and a little coloured background noise.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import signal as sps

from ..utils._random import as_generator
from ._labels import EMOTIONS

# Emotion -> (F0 ratio, accent range [st], declination [st over the utterance], rate [syll/s],
#             energy [dB], tilt lowpass pole, open quotient, jitter, shimmer, breathiness,
#             formant scale)
_EMOTION_PARAMS = {
    "neutral":   (1.00, 2.0, -2.0, 4.5, 0.0, 0.60, 0.60, 0.010, 0.04, 0.05, 1.00),
    "calm":      (0.95, 1.5, -2.0, 3.9, -2.0, 0.66, 0.63, 0.008, 0.03, 0.07, 1.00),
    "happy":     (1.25, 6.0, 1.0, 5.0, 4.0, 0.45, 0.55, 0.012, 0.05, 0.05, 1.06),
    "sad":       (0.90, 1.0, -3.5, 3.3, -6.0, 0.78, 0.72, 0.016, 0.07, 0.14, 0.96),
    "angry":     (1.30, 4.5, -1.0, 5.4, 8.0, 0.28, 0.42, 0.014, 0.06, 0.03, 1.08),
    "fearful":   (1.40, 3.5, 0.5, 6.0, 1.0, 0.55, 0.58, 0.025, 0.08, 0.10, 1.03),
    "disgust":   (0.95, 3.0, -3.0, 3.7, 1.0, 0.55, 0.55, 0.012, 0.06, 0.06, 0.98),
    "surprised": (1.35, 7.0, 4.0, 4.8, 3.0, 0.50, 0.55, 0.012, 0.05, 0.05, 1.04),
    "boredom":   (0.88, 0.8, -2.5, 3.5, -4.0, 0.72, 0.68, 0.010, 0.05, 0.10, 0.98),
}
_P = {name: i for i, name in enumerate(
    ["f0", "range", "slope", "rate", "energy", "tilt", "oq", "jitter", "shimmer", "breath",
     "fscale"])}

# Vowel formants F1-F4 (Hz) of an adult male vocal tract, and formant bandwidths (Hz).
_VOWELS = np.array([
    [730, 1090, 2440, 3400],   # a
    [530, 1840, 2480, 3500],   # e
    [270, 2290, 3010, 3700],   # i
    [570, 840, 2410, 3400],    # o
    [300, 870, 2240, 3400],    # u
    [660, 1720, 2410, 3500],   # ae
], dtype=float)
_BANDWIDTHS = np.array([80.0, 100.0, 150.0, 220.0])
_BASE_RMS = 0.025


def _emotion_vector(emotion: str, expressiveness: float) -> np.ndarray:
    """Emotion parameters pulled toward neutral by a corpus' expressiveness (1 = full)."""
    e = np.array(_EMOTION_PARAMS[emotion])
    n = np.array(_EMOTION_PARAMS["neutral"])
    v = n + expressiveness * (e - n)
    for k in ("f0", "fscale"):  # ratios interpolate in the log domain
        i = _P[k]
        v[i] = np.exp(np.log(n[i]) + expressiveness * (np.log(e[i]) - np.log(n[i])))
    return v


def _formant_sos(formants: np.ndarray, sr: int, bw_scale: float) -> np.ndarray:
    """Cascade of unity-DC-gain two-pole resonators as second-order sections."""
    f = np.minimum(formants, 0.45 * sr)
    r = np.exp(-np.pi * _BANDWIDTHS * bw_scale / sr)
    c = 2.0 * r * np.cos(2.0 * np.pi * f / sr)
    sos = np.zeros((4, 6))
    sos[:, 0] = 1.0 - c + r * r
    sos[:, 3] = 1.0
    sos[:, 4] = -c
    sos[:, 5] = r * r
    return sos


def _draw_corpora(rng, n_corpora, sr):
    """Corpus-level population and channel parameters, spread so that corpora differ."""
    lp_hi, lp_lo = min(7600.0, 0.475 * sr), min(6200.0, 0.39 * sr)
    lp_grid = np.linspace(lp_hi, lp_lo, n_corpora) if n_corpora > 1 else np.array([lp_hi])
    hp_grid = np.linspace(50.0, 100.0, n_corpora) if n_corpora > 1 else np.array([80.0])
    lp = rng.permutation(lp_grid)
    hp = hp_grid[np.argsort(np.argsort(-lp))]  # narrow-band corpora also lose the low end
    corpora = []
    for c in range(n_corpora):
        peak_f = rng.uniform(1200, 3000)
        b, a = sps.iirpeak(peak_f / (sr / 2), Q=rng.uniform(1.0, 2.5))
        peak_gain = 10 ** (rng.uniform(1.0, 3.0) / 20) - 1.0
        peak_sos = sps.tf2sos(b * peak_gain + np.r_[a, np.zeros(len(b) - len(a))], a)
        channel = np.vstack([
            sps.butter(2, hp[c], "highpass", fs=sr, output="sos"),
            sps.butter(4, lp[c], "lowpass", fs=sr, output="sos"),
            peak_sos,
        ])
        corpora.append({
            "name": f"synth{c}",
            "channel": channel,
            "level_db": rng.uniform(-4.0, 4.0),
            "snr_db": rng.uniform(22.0, 40.0),
            "noise_pole": rng.uniform(0.0, 0.95),
            "f0_shift": rng.uniform(0.9, 1.1),
            "vtl_shift": rng.uniform(0.95, 1.05),
            "rate_shift": rng.uniform(0.9, 1.1),
            "female_share": rng.uniform(0.3, 0.7),
            "expressiveness": rng.uniform(0.65, 1.0),
            "vowel_weights": rng.dirichlet(np.full(len(_VOWELS), 2.0)),
        })
    return corpora


def _draw_speakers(rng, corpus, n_speakers):
    n_female = int(np.clip(round(corpus["female_share"] * n_speakers), n_speakers > 1,
                           n_speakers - (n_speakers > 1)))
    genders = rng.permutation(["female"] * n_female + ["male"] * (n_speakers - n_female))
    speakers = []
    for g in genders:
        female = g == "female"
        speakers.append({
            "gender": str(g),
            "f0": corpus["f0_shift"] * (rng.normal(210, 18) if female else rng.normal(115, 12)),
            "vtl": corpus["vtl_shift"] * (rng.normal(1.17, 0.04) if female
                                          else rng.normal(1.0, 0.04)),
            "rate": corpus["rate_shift"] * rng.normal(1.0, 0.07),
            "level_db": rng.normal(0.0, 1.5),
            "breath": rng.uniform(0.7, 1.4) * (1.2 if female else 1.0),
        })
    return speakers


def _synth_utterance(rng, n, sr, emo, spk, corpus):
    """One utterance of n samples (float64) before the channel."""
    t = np.arange(n) / sr
    dur = n / sr
    var = rng.uniform(0.85, 1.15)  # how strongly this utterance carries its emotion
    ev = _emotion_vector("neutral", 1.0) + var * (emo - _emotion_vector("neutral", 1.0))
    rate = max(1.5, ev[_P["rate"]] * spk["rate"] * rng.normal(1.0, 0.05))

    # Syllable plan inside the speech region.
    start, stop = rng.uniform(0.03, 0.12) * dur, (1 - rng.uniform(0.03, 0.12)) * dur
    k = int(np.ceil((stop - start) * rate)) + 2
    bounds = start + np.cumsum(rng.uniform(0.7, 1.3, k) / rate)
    bounds = np.concatenate([[start], bounds[bounds < stop], [stop]])
    n_syl = len(bounds) - 1
    syl = np.clip(np.searchsorted(bounds, t, side="right") - 1, 0, n_syl - 1)
    inside = (t >= start) & (t < stop)
    u = np.clip((t - bounds[syl]) / np.diff(bounds)[syl], 0.0, 1.0)
    cons = rng.uniform(0.15, 0.35, n_syl)[syl]
    voiced_u = np.clip((u - cons) / (1 - cons), 0.0, 1.0)
    env_v = np.where(inside & (u >= cons), np.sqrt(np.sin(np.pi * voiced_u)), 0.0)
    env_n = np.where(inside & (u < cons), np.sin(np.pi * u / cons), 0.0) * \
        rng.uniform(0.05, 0.35, n_syl)[syl]

    # F0 contour in semitones: declination + syllable accents + slow drift.
    pos = np.clip((t - start) / (stop - start), 0.0, 1.0)
    accents = ev[_P["range"]] * rng.uniform(0.2, 1.0, n_syl)
    drift = np.interp(t, np.linspace(0, dur, 6), rng.normal(0, 0.3, 6))
    st = ev[_P["slope"]] * (pos - 0.5) + accents[syl] * np.sin(np.pi * u) + drift
    f0 = spk["f0"] * ev[_P["f0"]] * rng.normal(1.0, 0.04) * 2.0 ** (st / 12.0)

    # Jitter: per-cycle period perturbation; shimmer: per-cycle amplitude perturbation.
    cyc0 = np.floor(np.cumsum(f0) / sr).astype(np.int64)
    jit = rng.normal(0.0, ev[_P["jitter"]], cyc0[-1] + 2)
    phase = np.cumsum(f0 * (1.0 + jit[cyc0])) / sr
    cyc = np.floor(phase).astype(np.int64)
    frac = phase - cyc
    shim = np.clip(1.0 + rng.normal(0.0, ev[_P["shimmer"]], cyc[-1] + 2), 0.5, 1.5)

    # Rosenberg pulse (rise 2/3, fall 1/3 of the open phase) and its derivative.
    oq = np.clip(ev[_P["oq"]] * rng.normal(1.0, 0.03), 0.3, 0.85)
    tp, tn = 0.66 * oq, 0.34 * oq
    g = np.where(frac < tp, 0.5 * (1 - np.cos(np.pi * frac / tp)),
                 np.where(frac < tp + tn, np.cos(0.5 * np.pi * (frac - tp) / tn), 0.0))
    g *= shim[cyc]
    dg = np.diff(g, prepend=0.0) * (sr / spk["f0"])
    white = rng.standard_normal(n)
    breath = ev[_P["breath"]] * spk["breath"]
    source = env_v * (dg + breath * 3.0 * white * (0.4 + g))
    a = np.clip(ev[_P["tilt"]] * rng.normal(1.0, 0.04), 0.0, 0.95)
    source = sps.lfilter([1.0 - a], [1.0, -a], source)

    # Vowel formants per syllable (filter state carried across syllables).
    vowels = rng.choice(len(_VOWELS), size=n_syl, p=corpus["vowel_weights"])
    fscale = spk["vtl"] * ev[_P["fscale"]]
    bw_scale = 1.0 + 0.8 * breath
    seg = np.searchsorted(t, bounds[1:-1])
    edges = np.concatenate([[0], seg, [n]])
    out = np.empty(n)
    zi = np.zeros((4, 2))
    for i in range(n_syl):
        lo, hi = edges[i], edges[i + 1]
        if hi <= lo:
            continue
        sos = _formant_sos(_VOWELS[vowels[i]] * fscale * rng.uniform(0.96, 1.04), sr, bw_scale)
        out[lo:hi], zi = sps.sosfilt(sos, source[lo:hi], zi=zi)
    voiced = out
    rms_v = np.sqrt(np.mean(voiced[env_v > 0.2] ** 2)) if np.any(env_v > 0.2) else 1.0
    voiced = voiced / max(rms_v, 1e-12)

    # Unvoiced onsets: bright (differenced) noise.
    fric = np.diff(rng.standard_normal(n + 1)) * env_n
    speech = voiced + fric
    gain_db = ev[_P["energy"]] + spk["level_db"] + rng.normal(0.0, 1.0)
    return speech * _BASE_RMS * 10 ** (gain_db / 20)


def _apply_channel(rng, x, corpus):
    rms = np.sqrt(np.mean(x**2)) + 1e-12
    noise = sps.lfilter([1.0 - corpus["noise_pole"]], [1.0, -corpus["noise_pole"]],
                        rng.standard_normal(x.size))
    snr = corpus["snr_db"] + rng.uniform(-3.0, 3.0)
    noise *= rms / (np.sqrt(np.mean(noise**2)) + 1e-12) * 10 ** (-snr / 20)
    y = sps.sosfilt(corpus["channel"], x + noise)
    y *= 10 ** (corpus["level_db"] / 20)
    return np.clip(y, -0.999, 0.999)


def make_speech_corpus(
    *,
    n_corpora: int = 2,
    n_speakers: int = 6,
    n_utterances: int = 4,
    emotions=("neutral", "happy", "sad", "angry"),
    duration=1.5,
    sr: int = 16000,
    random_state=None,
):
    """Synthesise a small emotional speech corpus: several corpora, speakers and emotions.

    A source-filter synthesiser (see the module notes): Rosenberg glottal pulses with
    emotion-dependent F0 level, range, contour, jitter, shimmer, open quotient and spectral
    tilt; syllable-rate amplitude envelopes; vowel formant filtering scaled by each speaker's
    vocal tract length; aspiration and fricative noise. Corpora differ in speaker population,
    vowel usage, emotional expressiveness and channel (band limits, a microphone resonance,
    level and background noise), so that cross-corpus evaluation has a real domain shift.

    Parameters
    ----------
    n_corpora : int, default=2
        Number of corpora, named ``"synth0"``, ``"synth1"``, ...
    n_speakers : int, default=6
        Speakers per corpus (both genders when there are at least two).
    n_utterances : int, default=4
        Utterances per speaker and emotion.
    emotions : sequence of str, default=("neutral", "happy", "sad", "angry")
        Harmonised emotion names (any of neutral, calm, happy, sad, angry, fearful, disgust,
        surprised, boredom).
    duration : float or (float, float), default=1.5
        Utterance length in seconds, or a (low, high) range drawn uniformly per utterance.
    sr : int, default=16000
        Sample rate in Hz (at least 8000).
    random_state : int, numpy Generator or None, default=None
        Seed; the same seed gives identical signals and metadata.

    Returns
    -------
    signals : list of numpy.ndarray
        One 1-D float32 signal per utterance, in [-1, 1].
    meta : pandas.DataFrame
        Columns ``emotion``, ``speaker`` (``"synth0:03"``, unique across corpora),
        ``corpus`` and ``gender``, one row per signal; ``meta.attrs["sr"]`` is the rate.

    Examples
    --------
    >>> signals, meta = make_speech_corpus(n_speakers=2, n_utterances=1, duration=0.5,
    ...                                    random_state=0)
    >>> len(signals), signals[0].shape, signals[0].dtype
    (16, (8000,), dtype('float32'))
    >>> meta.groupby("corpus")["speaker"].nunique().tolist()
    [2, 2]
    >>> sorted(meta["emotion"].unique())
    ['angry', 'happy', 'neutral', 'sad']
    """
    for name, value in (("n_corpora", n_corpora), ("n_speakers", n_speakers),
                        ("n_utterances", n_utterances)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    if not isinstance(sr, numbers.Integral) or sr < 8000:
        raise ValueError(f"sr must be an integer of at least 8000 Hz; got {sr!r}.")
    emotions = [str(e) for e in (emotions,) if isinstance(emotions, str)] or \
        [str(e) for e in emotions]
    unknown = [e for e in emotions if e not in EMOTIONS]
    if not emotions or unknown or len(set(emotions)) != len(emotions):
        raise ValueError(f"emotions must be distinct names among {list(EMOTIONS)}; got "
                         f"{emotions!r}.")
    if np.ndim(duration) == 0:
        lo = hi = float(duration)
    elif np.shape(duration) == (2,):
        lo, hi = (float(d) for d in duration)
    else:
        raise ValueError(f"duration must be seconds or a (low, high) pair; got {duration!r}.")
    if not (np.isfinite(lo) and np.isfinite(hi) and 0.25 <= lo <= hi):
        raise ValueError(f"duration must be finite, at least 0.25 s, with low <= high; got "
                         f"{duration!r}.")

    rng = as_generator(random_state)
    corpora = _draw_corpora(rng, n_corpora, sr)
    signals, rows = [], []
    for corpus in corpora:
        speakers = _draw_speakers(rng, corpus, n_speakers)
        emo_vectors = {e: _emotion_vector(e, corpus["expressiveness"]) for e in emotions}
        for s, spk in enumerate(speakers):
            for e in emotions:
                seeds = rng.integers(0, 2**63 - 1, size=n_utterances)
                for seed in seeds:
                    urng = np.random.default_rng(seed)
                    n = int(round(urng.uniform(lo, hi) * sr))
                    x = _synth_utterance(urng, n, sr, emo_vectors[e], spk, corpus)
                    signals.append(_apply_channel(urng, x, corpus).astype(np.float32))
                    rows.append((e, f"{corpus['name']}:{s:02d}", corpus["name"], spk["gender"]))
    meta = pd.DataFrame(rows, columns=["emotion", "speaker", "corpus", "gender"])
    meta.attrs["sr"] = int(sr)
    return signals, meta
