"""Low-level descriptors (LLDs) from one STFT, and their utterance-level functionals.

Every spectral descriptor is computed from the same power spectrogram (25 ms Hann window,
10 ms hop, FFT of the next power of two; 512 points at 16 kHz). F0, voicing, HNR and jitter
come from the batched YIN tracker in :mod:`._pitch`, on the same 10 ms frame grid, run on the
mean-removed signal decimated by 2 (8 kHz for 16 kHz input).

Conventions (documented behaviour on degenerate audio):

- A clip shorter than one frame is zero-padded to one frame; an empty clip is one frame of zeros.
- A frame is *silent* when its mean square is below ``1e-10`` or 40 dB under the loudest frame
  of the clip; *voiced* frames are non-silent frames whose YIN aperiodicity is below 0.3 with
  an F0 in 60-600 Hz; *unvoiced* frames are the other non-silent frames.
- A functional over an empty set of frames (e.g. pitch of silence or of white noise) is 0, a
  coefficient of variation with a zero mean is 0, and logarithms use a floor (power ``1e-12``,
  i.e. -120 dB), so every feature is finite for any finite input.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.fft import dct, irfft, rfft
from scipy.signal import find_peaks, resample_poly

from ._pitch import yin_track

__all__ = ["extract_egemaps_like", "extract_mfcc_stats"]

_POWER_FLOOR = 1e-12
_F0_REF = 27.5  # Hz: semitone reference of eGeMAPS (A0)
_FMIN, _FMAX = 60.0, 600.0
_VOICING_THRESHOLD = 0.3
_SILENCE_ABS = 1e-10
_SILENCE_REL_DB = 40.0


# --------------------------------------------------------------------------------------
# Framing and filter banks
# --------------------------------------------------------------------------------------


def _frame_params(sr):
    win = int(round(0.025 * sr))
    hop = int(round(0.010 * sr))
    n_fft = 1 << int(np.ceil(np.log2(win)))
    return win, hop, n_fft


@lru_cache(maxsize=16)
def _window(win):
    w = np.hanning(win + 2)[1:-1]  # Hann without the zero end points
    return w, float(np.sum(w * w))


@lru_cache(maxsize=16)
def _mel_filters(sr, n_fft, n_mels):
    import librosa

    fb = librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=20.0, fmax=min(8000.0, sr / 2), htk=True, norm=None
    )
    return np.ascontiguousarray(fb.T.astype(np.float64))  # (n_bins, n_mels)


@lru_cache(maxsize=16)
def _slope_weights(sr, n_fft, lo, hi):
    """Weights ``w`` such that ``y @ w`` is the least-squares slope of y vs f (per kHz)."""
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    sel = (freqs >= lo) & (freqs <= hi)
    w = np.zeros(freqs.size)
    if sel.sum() >= 2:
        f = freqs[sel] / 1000.0
        fc = f - f.mean()
        w[sel] = fc / np.sum(fc * fc)
    return w


def _frames(x, *, win, hop):
    n = x.size
    n_frames = 1 + max(0, int(np.ceil((n - win) / hop)))
    needed = (n_frames - 1) * hop + win
    if n < needed:
        x = np.concatenate([x, np.zeros(needed - n)])
    return sliding_window_view(x, win)[::hop][:n_frames], n_frames


def _analyse(x, sr):
    """The shared analysis of one signal: power spectrogram, frame energies, F0 track."""
    win, hop, n_fft = _frame_params(sr)
    frames, n_frames = _frames(x, win=win, hop=hop)
    w, wsum = _window(win)
    spec = rfft(frames * w, n_fft, axis=1)
    power = (spec.real**2 + spec.imag**2) / wsum  # (n_frames, n_bins)
    energy = np.mean(frames * frames, axis=1)
    return {
        "sr": sr,
        "hop": hop,
        "n_fft": n_fft,
        "power": power,
        "energy": energy,
        "n_frames": n_frames,
        "n_samples": x.size,
    }


def _masks(a, x):
    energy = a["energy"]
    gate = max(_SILENCE_ABS, float(energy.max()) * 10 ** (-_SILENCE_REL_DB / 10))
    sounding = energy > gate
    # F0 on the mean-removed signal, decimated by 2 when the rate allows (the F0 search
    # range needs no more than 4 kHz of bandwidth; half the samples, half the FFT work).
    sr, hop = a["sr"], a["hop"]
    xp = x - x.mean() if x.size else x
    if sr >= 16000 and sr % 2 == 0 and hop % 2 == 0:
        xp = resample_poly(xp, 1, 2) if xp.size else xp
        sr, hop = sr // 2, hop // 2
    f0, aper, acf, _ = yin_track(
        xp, sr=sr, hop=hop, n_frames=a["n_frames"], fmin=_FMIN, fmax=_FMAX
    )
    voiced = sounding & (aper < _VOICING_THRESHOLD) & (f0 >= _FMIN) & (f0 <= _FMAX)
    return sounding, voiced, f0, acf


# --------------------------------------------------------------------------------------
# Functionals
# --------------------------------------------------------------------------------------


def _finite(v, mask=None):
    v = v if mask is None else v[mask]
    return v[np.isfinite(v)]


def _mean_std(v):
    if v.size == 0:
        return 0.0, 0.0
    return float(v.mean()), float(v.std())


def _mean_cv(v):
    m, s = _mean_std(v)
    return m, (s / abs(m) if abs(m) > 1e-12 else 0.0)


def _contour_slopes(v, valid, step_s):
    """Mean/std of rising and of falling frame-to-frame slopes (units per second)."""
    if v.size < 2:
        return 0.0, 0.0, 0.0, 0.0
    both = valid[1:] & valid[:-1]
    d = np.diff(v)[both] / step_s
    rm, rs = _mean_std(d[d > 0])
    fm, fs = _mean_std(-d[d < 0])
    return rm, rs, fm, fs


def _contour_functionals(out, name, v, valid, step_s):
    """The 10 eGeMAPS functionals of a pitch or loudness contour."""
    sel = _finite(v, valid)
    m, cv = _mean_cv(sel)
    if sel.size:
        p20, p50, p80 = np.percentile(sel, [20, 50, 80])
    else:
        p20 = p50 = p80 = 0.0
    rm, rs, fm, fs = _contour_slopes(v, valid, step_s)
    out[f"{name}_mean"] = m
    out[f"{name}_cv"] = cv
    out[f"{name}_p20"] = p20
    out[f"{name}_p50"] = p50
    out[f"{name}_p80"] = p80
    out[f"{name}_range20_80"] = p80 - p20
    out[f"{name}_rising_slope_mean"] = rm
    out[f"{name}_rising_slope_std"] = rs
    out[f"{name}_falling_slope_mean"] = fm
    out[f"{name}_falling_slope_std"] = fs


def _runs(mask):
    """Start and end (exclusive) indices of the runs of True in a boolean vector."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


# --------------------------------------------------------------------------------------
# Spectral LLDs
# --------------------------------------------------------------------------------------


def _band_db_ratio(power, freqs, lo1, hi1, lo2, hi2, how):
    b1 = (freqs >= lo1) & (freqs < hi1)
    b2 = (freqs >= lo2) & (freqs < hi2)
    if not b1.any() or not b2.any():
        return np.zeros(power.shape[0])
    agg = np.sum if how == "sum" else np.max
    e1 = agg(power[:, b1], axis=1)
    e2 = agg(power[:, b2], axis=1)
    return 10.0 * np.log10((e1 + _POWER_FLOOR) / (e2 + _POWER_FLOOR))


def _spectral_flux(power):
    mag = np.sqrt(power)
    norm = np.linalg.norm(mag, axis=1, keepdims=True)
    mag = mag / np.maximum(norm, 1e-20)
    flux = np.zeros(power.shape[0])
    if power.shape[0] > 1:
        flux[1:] = np.linalg.norm(np.diff(mag, axis=0), axis=1)
    return flux


def _lpc(r, order):
    """Levinson-Durbin recursion, vectorised over frames; ``r`` is (n, order + 1)."""
    n = r.shape[0]
    a = np.zeros((n, order + 1))
    a[:, 0] = 1.0
    err = r[:, 0] * (1.0 + 1e-9) + 1e-30
    for i in range(1, order + 1):
        acc = r[:, i] + np.sum(a[:, 1:i] * r[:, i - 1 : 0 : -1], axis=1)
        k = -acc / err
        a[:, 1:i] = a[:, 1:i] + k[:, None] * a[:, i - 1 : 0 : -1]
        a[:, i] = k
        err = err * np.maximum(1.0 - k * k, 1e-12)
    return a


def _formants(power, sr, n_fft, *, fmax=5500.0, order=10):
    """F1-F3 frequencies and bandwidths (Hz) from LPC of the pre-emphasised power spectrum.

    The spectrum is cut at ``fmax`` (the band of the first formants, as in Praat), which is
    the same as LPC of the signal resampled to ``2 * fmax``, and inverted to an
    autocorrelation; the LPC polynomial's roots (eigenvalues of its companion matrices, all
    frames at once) with a bandwidth under 600 Hz give the formants. Returns two
    (n_frames, 3) arrays; NaN where fewer than three resonances were found.
    """
    n = power.shape[0]
    out_f = np.full((n, 3), np.nan)
    out_b = np.full((n, 3), np.nan)
    if n == 0:
        return out_f, out_b
    df = sr / n_fft
    n_keep = min(int(fmax / df), n_fft // 2) + 1
    sr_eff = 2.0 * (n_keep - 1) * df
    omega = np.linspace(0.0, np.pi * (n_keep - 1) * df / (sr / 2), n_keep)
    pre = 1.0 + 0.97**2 - 2.0 * 0.97 * np.cos(omega)  # |1 - 0.97 z^-1|^2 at the source rate
    r = irfft(power[:, :n_keep] * pre, 2 * (n_keep - 1), axis=1)[:, : order + 1]
    a = _lpc(r, order)
    a[~np.all(np.isfinite(a), axis=1)] = 0.0  # degenerate frames: no resonances, no LinAlgError
    comp = np.zeros((n, order, order))
    comp[:, 0, :] = -a[:, 1:]
    idx = np.arange(order - 1)
    comp[:, idx + 1, idx] = 1.0
    roots = np.linalg.eigvals(comp)
    ang = np.angle(roots)
    freq = ang * sr_eff / (2 * np.pi)
    bw = -np.log(np.maximum(np.abs(roots), 1e-12)) * sr_eff / np.pi
    ok = (ang > 0) & (freq > 90.0) & (freq < sr_eff / 2 - 50.0) & (bw < 600.0) & (bw > 0)
    freq = np.where(ok, freq, np.inf)
    order_idx = np.argsort(freq, axis=1)[:, :3]
    f3 = np.take_along_axis(freq, order_idx, axis=1)
    b3 = np.take_along_axis(bw, order_idx, axis=1)
    found = np.isfinite(f3)
    out_f[found] = f3[found]
    out_b[found] = b3[found]
    return out_f, out_b


def _harmonic_db(power_db, f, df):
    """dB level of the strongest bin within one bin of frequency ``f`` (NaN where f is NaN)."""
    n_bins = power_db.shape[1]
    out = np.full(power_db.shape[0], np.nan)
    ok = np.isfinite(f) & (f > 0) & (f < df * (n_bins - 1))
    if not ok.any():
        return out
    k = np.rint(f[ok] / df).astype(int)
    rows = np.flatnonzero(ok)
    cand = np.stack([power_db[rows, np.clip(k + j, 0, n_bins - 1)] for j in (-1, 0, 1)])
    out[ok] = cand.max(axis=0)
    return out


# --------------------------------------------------------------------------------------
# Feature sets
# --------------------------------------------------------------------------------------


def _mfcc(power, sr, n_fft, n_mfcc):
    mel = power @ _mel_filters(sr, n_fft, 26)
    return dct(np.log(mel + _POWER_FLOOR), type=2, norm="ortho", axis=1)[:, :n_mfcc], mel


def extract_egemaps_like(x, *, sr):
    """The ``"egemaps_like"`` features of one mono signal, as an ordered ``{name: value}``."""
    a = _analyse(x, sr)
    power, hop, n_fft = a["power"], a["hop"], a["n_fft"]
    step_s = hop / sr
    duration = a["n_frames"] * step_s
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    df = freqs[1]
    sounding, voiced, f0, acf = _masks(a, x)
    unvoiced = sounding & ~voiced
    out = {}

    # Pitch and loudness contours (10 functionals each).
    semitones = 12.0 * np.log2(np.maximum(f0, 1e-3) / _F0_REF)
    _contour_functionals(out, "F0semitone", semitones, voiced, step_s)
    mfcc, mel = _mfcc(power, sr, n_fft, 5)
    loudness = np.sum(mel**0.3, axis=1)
    _contour_functionals(out, "loudness", loudness, np.ones_like(voiced), step_s)

    flux = _spectral_flux(power)
    flux_valid = np.arange(flux.size) >= 1
    out["spectralFlux_mean"], out["spectralFlux_cv"] = _mean_cv(_finite(flux, flux_valid))
    for i in range(1, 5):
        out[f"mfcc{i}_mean"], out[f"mfcc{i}_std"] = _mean_std(mfcc[:, i])

    # Voice quality on voiced frames: jitter, shimmer (frame-level, detrended), HNR, H1-H2, H1-A3.
    period = 1.0 / np.maximum(f0, 1e-3)
    amp_db = 10.0 * np.log10(a["energy"] + _POWER_FLOOR)
    jitter = np.full(f0.size, np.nan)
    shimmer = np.full(f0.size, np.nan)
    if f0.size >= 3:
        inner = voiced[1:-1] & voiced[:-2] & voiced[2:]
        pj = np.abs(period[1:-1] - 0.5 * (period[:-2] + period[2:])) / period[1:-1]
        sh = np.abs(amp_db[1:-1] - 0.5 * (amp_db[:-2] + amp_db[2:]))
        jitter[1:-1] = np.where(inner, pj, np.nan)
        shimmer[1:-1] = np.where(inner, sh, np.nan)
    acf_c = np.clip(acf, 1e-4, 1.0 - 1e-4)
    hnr = 10.0 * np.log10(acf_c / (1.0 - acf_c))
    power_db = 10.0 * np.log10(power + _POWER_FLOOR)
    f0_v = np.where(voiced, f0, np.nan)
    h1 = _harmonic_db(power_db, f0_v, df)
    h2 = _harmonic_db(power_db, 2.0 * f0_v, df)
    fmt_f, fmt_b = np.full((f0.size, 3), np.nan), np.full((f0.size, 3), np.nan)
    if voiced.any():
        fmt_f[voiced], fmt_b[voiced] = _formants(power[voiced], sr, n_fft)
    with np.errstate(invalid="ignore"):
        harm3 = np.rint(fmt_f[:, 2] / f0_v) * f0_v
    a3 = _harmonic_db(power_db, harm3, df)
    out["jitterLocal_mean"], out["jitterLocal_cv"] = _mean_cv(_finite(jitter))
    out["shimmerLocaldB_mean"], out["shimmerLocaldB_cv"] = _mean_cv(_finite(shimmer))
    out["HNRdBACF_mean"], out["HNRdBACF_std"] = _mean_std(_finite(hnr, voiced))
    out["logRelF0-H1-H2_mean"], out["logRelF0-H1-H2_std"] = _mean_std(_finite(h1 - h2))
    out["logRelF0-H1-A3_mean"], out["logRelF0-H1-A3_std"] = _mean_std(_finite(h1 - a3))
    for j in range(3):
        fr = fmt_f[:, j]
        out[f"F{j + 1}frequency_mean"], out[f"F{j + 1}frequency_cv"] = _mean_cv(_finite(fr))
        out[f"F{j + 1}bandwidth_mean"], out[f"F{j + 1}bandwidth_cv"] = _mean_cv(
            _finite(fmt_b[:, j])
        )
        with np.errstate(invalid="ignore"):
            harm = np.rint(fr / f0_v) * f0_v
        rel = _harmonic_db(power_db, harm, df) - h1
        out[f"F{j + 1}amplitudeLogRelF0_mean"], out[f"F{j + 1}amplitudeLogRelF0_std"] = (
            _mean_std(_finite(rel))
        )

    # Spectral balance, voiced and unvoiced frames.
    alpha = _band_db_ratio(power, freqs, 50, 1000, 1000, 5000, "sum")
    hammarberg = _band_db_ratio(power, freqs, 0, 2000, 2000, 5000, "max")
    slope_lo = power_db @ _slope_weights(sr, n_fft, 0.0, 500.0)
    slope_hi = power_db @ _slope_weights(sr, n_fft, 500.0, 1500.0)
    spectral = {
        "alphaRatio": alpha,
        "hammarbergIndex": hammarberg,
        "slope0-500": slope_lo,
        "slope500-1500": slope_hi,
    }
    for name, v in spectral.items():
        out[f"{name}V_mean"], out[f"{name}V_std"] = _mean_std(_finite(v, voiced))
    out["spectralFluxV_mean"], out["spectralFluxV_cv"] = _mean_cv(
        _finite(flux, voiced & flux_valid)
    )
    for i in range(1, 5):
        out[f"mfcc{i}V_mean"], out[f"mfcc{i}V_std"] = _mean_std(_finite(mfcc[:, i], voiced))
    for name, v in spectral.items():
        out[f"{name}UV_mean"] = _mean_std(_finite(v, unvoiced))[0]
    out["spectralFluxUV_mean"] = _mean_std(_finite(flux, unvoiced & flux_valid))[0]

    # Temporal features.
    ptp = float(np.ptp(loudness)) if loudness.size else 0.0
    n_peaks = 0
    if ptp > 0 and loudness.size >= 3:
        n_peaks = find_peaks(loudness, prominence=0.1 * ptp)[0].size
    out["loudnessPeaksPerSec"] = n_peaks / duration
    starts, ends = _runs(voiced)
    v_len = (ends - starts) * step_s
    out["VoicedSegmentsPerSec"] = starts.size / duration
    out["MeanVoicedSegmentLengthSec"], out["StddevVoicedSegmentLengthSec"] = _mean_std(v_len)
    uv_len = (starts[1:] - ends[:-1]) * step_s if starts.size > 1 else np.zeros(0)
    out["MeanUnvoicedSegmentLength"], out["StddevUnvoicedSegmentLength"] = _mean_std(uv_len)
    out["equivalentSoundLevel_dB"] = float(
        10.0 * np.log10(np.mean(a["energy"]) + _POWER_FLOOR)
    )
    return out


def extract_mfcc_stats(x, *, sr):
    """The ``"mfcc_stats"`` features of one mono signal, as an ordered ``{name: value}``."""
    a = _analyse(x, sr)
    mfcc, _ = _mfcc(a["power"], sr, a["n_fft"], 13)
    if mfcc.shape[0] >= 3:
        padded = np.concatenate([mfcc[:1], mfcc, mfcc[-1:]])
        delta = 0.5 * (padded[2:] - padded[:-2])
    else:
        delta = np.zeros_like(mfcc)
    out = {}
    for i in range(13):
        out[f"mfcc{i}_mean"], out[f"mfcc{i}_std"] = _mean_std(mfcc[:, i])
    for i in range(13):
        out[f"delta_mfcc{i}_mean"], out[f"delta_mfcc{i}_std"] = _mean_std(delta[:, i])
    return out
