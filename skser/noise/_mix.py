"""Noise mixing at a chosen signal-to-noise ratio, and noisy copies of whole corpora."""

from __future__ import annotations

import numbers
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import load_audio
from ..features._audio_io import AUDIO_EXTENSIONS, to_float_signal
from ..utils._random import as_generator


def _check_signal(x, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        layout = ("(n_samples, n_channels), e.g. from soundfile.read: downmix with "
                  "x.mean(axis=1)" if x.ndim == 2 and x.shape[0] > x.shape[1] else
                  "(n_channels, n_samples), e.g. from librosa.load(mono=False): downmix with "
                  "x.mean(axis=0)")
        raise ValueError(f"{name} must be a 1-D signal; got shape {x.shape}"
                         + (f", which looks like multi-channel audio {layout}." if x.ndim == 2
                            else "."))
    if x.size == 0:
        raise ValueError(f"{name} is empty.")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise ValueError(f"{name} must hold real numbers; got dtype {x.dtype}.")
    # Integer PCM (scipy.io.wavfile.read) is scaled to [-1, 1] as soundfile does; the SNR does
    # not depend on it, but the mixture's level (and so every feature of it) does.
    x = to_float_signal(x)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite samples.")
    if not np.any(x):
        raise ValueError(f"{name} is silent (all zeros); its power is 0, so no SNR can be set.")
    return x


def _noise_segment(noise: np.ndarray, n: int, offset: int) -> np.ndarray:
    """n samples of noise from offset on, looping the noise when it is shorter than n."""
    return noise[(offset + np.arange(n)) % noise.size]


def mix_at_snr(speech, noise, snr_db, *, random_state=None, return_noise=False):
    """Add noise to speech at an exact signal-to-noise ratio.

    The noise is cut (from a random offset) or looped (from a random offset) to the speech
    length, then scaled so that ``10 * log10(mean(speech**2) / mean(scaled_noise**2))``
    equals ``snr_db`` (to float64 rounding, far below 0.01 dB).

    Parameters
    ----------
    speech : array-like of shape (n_samples,)
        Clean signal.
    noise : array-like of shape (n_noise_samples,)
        Noise recording, any length.
    snr_db : float
        Requested SNR in dB (finite; negative values give more noise than speech).
    random_state : int, numpy Generator or None, default=None
        Seed for the noise offset.
    return_noise : bool, default=False
        Also return the scaled noise segment that was added.

    Returns
    -------
    mixture : numpy.ndarray of shape (n_samples,), float64
        ``speech + scaled_noise``; not clipped, so the SNR stays exact (scale it down before
        writing to a fixed-point format if its peak exceeds 1).
    scaled_noise : numpy.ndarray of shape (n_samples,), float64
        Only when ``return_noise=True``.

    Raises
    ------
    ValueError
        For 2-D or empty input, non-finite samples, a silent speech or noise signal (or a
        silent noise stretch at the drawn offset), or a non-finite SNR.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> speech, noise = rng.standard_normal(16000), rng.standard_normal(5000)
    >>> mix, n = mix_at_snr(speech, noise, 10.0, random_state=0, return_noise=True)
    >>> float(round(10 * np.log10(np.mean(speech**2) / np.mean(n**2)), 6))
    10.0
    """
    speech = _check_signal(speech, "speech")
    noise = _check_signal(noise, "noise")
    if isinstance(snr_db, bool) or not isinstance(snr_db, numbers.Real | np.ndarray) or \
            np.ndim(snr_db) != 0:
        raise ValueError(f"snr_db must be a real number of dB; got {snr_db!r}.")
    snr_db = float(snr_db)
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite; got {snr_db}. For clean speech, do not mix.")
    offset = int(as_generator(random_state).integers(noise.size))
    mix, scaled = _mix(speech, noise, snr_db, offset)
    return (mix, scaled) if return_noise else mix


def _mix(speech, noise, snr_db, offset):
    """Mix validated float64 signals with the noise taken from a given offset."""
    seg = _noise_segment(noise, speech.size, offset)
    p_noise = np.mean(seg**2)
    if p_noise == 0.0:
        raise ValueError(f"the noise is silent over the {speech.size} samples taken from "
                         f"offset {offset}; trim silence from the noise or use another seed.")
    scaled = np.sqrt(np.mean(speech**2) / (p_noise * 10.0 ** (snr_db / 10.0))) * seg
    return speech + scaled, scaled


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def load_noises(folder, *, sr: int = 16000) -> dict:
    """Read every audio file of a folder as a noise signal.

    Parameters
    ----------
    folder : str or path-like
        Folder of WAV (or FLAC/OGG) files; not searched recursively.
    sr : int, default=16000
        Sample rate to resample to.

    Returns
    -------
    dict of str to numpy.ndarray
        File name (without folder) -> mono float64 signal, in natural order
        (``n2.wav`` before ``n10.wav``).

    Raises
    ------
    FileNotFoundError
        When the folder does not exist.
    ValueError
        When it holds no audio files.

    Examples
    --------
    >>> import tempfile, os, soundfile as sf
    >>> d = tempfile.mkdtemp()
    >>> sf.write(os.path.join(d, "n10.wav"), np.ones(100) * 0.1, 16000)
    >>> sf.write(os.path.join(d, "n2.wav"), np.ones(50) * 0.1, 16000)
    >>> {k: v.shape for k, v in load_noises(d).items()}
    {'n2.wav': (50,), 'n10.wav': (100,)}
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"noise folder {folder} does not exist.")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
             and p.suffix.lower() in AUDIO_EXTENSIONS]
    if not files:
        raise ValueError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) in the noise "
                         f"folder {folder}.")
    files.sort(key=lambda p: _natural_key(p.name))
    return {p.name: load_audio(p, sr=sr) for p in files}


def _as_noise_dict(noises, sr) -> dict:
    if isinstance(noises, str | os.PathLike):
        return load_noises(noises, sr=sr)
    if isinstance(noises, dict):
        out = {str(k): v for k, v in noises.items()}
    else:
        items = list(noises) if not isinstance(noises, np.ndarray) or noises.ndim != 1 \
            else [noises]
        out = {}
        for i, v in enumerate(items):
            if isinstance(v, str | os.PathLike):
                out[Path(v).name] = load_audio(v, sr=sr)
            else:
                out[f"noise{i}"] = v
    if not out:
        raise ValueError("noises is empty; give a folder, a list of arrays/files or a dict.")
    return {k: _check_signal(v, f"noise {k!r}") for k, v in out.items()}


def _snr_folder(snr: float) -> str:
    return f"{snr:g}dB"


def _atomic_write_wav(path: Path, data: np.ndarray, sr: int) -> None:
    import soundfile as sf

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(str(tmp), data.astype(np.float32), sr, format="WAV", subtype="FLOAT")
    os.replace(tmp, path)


def make_noisy_copies(signals, noises, snrs, *, output_dir=None, sr: int = 16000, names=None,
                      random_state=None):
    """Make noisy copies of a corpus at several SNRs, in memory or as WAV files.

    Each utterance gets one noise, drawn at random, and one random offset into it; the same
    noise stretch is used at every SNR, so results across SNRs differ only by the noise level.
    The draws depend only on ``random_state`` and the number of signals and noises, so a
    rerun (or a resumed run) gives the same copies.

    Parameters
    ----------
    signals : sequence of array-like or path
        Clean utterances (1-D arrays at ``sr``, or audio files read at ``sr``).
    noises : folder path, sequence of array-like or path, or dict of str to array-like
        Noise recordings (a folder is read with :func:`load_noises`).
    snrs : float or sequence of float
        SNRs in dB.
    output_dir : str or path-like, optional
        When given, write ``<output_dir>/<snr>dB/<name>.wav`` (32-bit float WAV, so that
        nothing is clipped) and ``<output_dir>/manifest.csv``. Each file is written under a
        temporary name and renamed, so an interrupted run leaves only complete files, and
        files that already exist are kept (a rerun resumes where it stopped).
    sr : int, default=16000
        Sample rate of arrays, of files read and of files written.
    names : sequence of str, optional
        File stems for the written copies; default: the stems of ``signals`` when they are
        paths, else ``"00000"``, ``"00001"``, ... (must be unique).
    random_state : int, numpy Generator or None, default=None
        Seed for the noise choices and offsets.

    Returns
    -------
    noisy : dict of float to list
        SNR -> list (one per signal) of float64 arrays, or of file paths (str) when
        ``output_dir`` is given.
    manifest : pandas.DataFrame
        One row per copy: ``index`` (of the signal), ``name``, ``snr_db``, ``noise`` (its
        name), ``noise_offset`` and, when written, ``path``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> clean = [rng.standard_normal(800), rng.standard_normal(1200)]
    >>> noisy, manifest = make_noisy_copies(clean, [rng.standard_normal(500)], [0, 10],
    ...                                     random_state=0)
    >>> sorted(noisy), [x.shape for x in noisy[10]]
    ([0.0, 10.0], [(800,), (1200,)])
    >>> manifest[["index", "snr_db", "noise"]].values.tolist()
    [[0, 0.0, 'noise0'], [1, 0.0, 'noise0'], [0, 10.0, 'noise0'], [1, 10.0, 'noise0']]
    """
    if isinstance(signals, np.ndarray) and signals.ndim == 1 and signals.dtype.kind in "biuf":
        raise ValueError(
            "signals is a single 1-D signal, but make_noisy_copies takes a sequence of "
            "utterances: pass [signal] (or use mix_at_snr for one signal)."
        )
    signals = list(signals)
    if not signals:
        raise ValueError("signals is empty; give at least one utterance.")
    snrs = [float(s) for s in np.atleast_1d(np.asarray(snrs, dtype=float))]
    if not snrs or not all(np.isfinite(snrs)):
        raise ValueError(f"snrs must be finite numbers of dB; got {snrs}.")
    if len(set(snrs)) != len(snrs):
        raise ValueError(f"snrs has repeated values: {snrs}.")
    noise_dict = _as_noise_dict(noises, sr)
    noise_names = list(noise_dict)
    if names is None:
        names = [Path(s).stem if isinstance(s, str | os.PathLike) else f"{i:05d}"
                 for i, s in enumerate(signals)]
    names = [str(n) for n in names]
    if len(names) != len(signals) or len(set(names)) != len(names):
        raise ValueError(f"names must be {len(signals)} unique strings, one per signal; got "
                         f"{len(names)} with {len(names) - len(set(names))} repeated.")

    rng = as_generator(random_state)
    choice = rng.integers(len(noise_names), size=len(signals))
    offsets = rng.random(len(signals))  # fraction of the chosen noise's length

    out_dir = None if output_dir is None else Path(output_dir)
    if out_dir is not None:
        for snr in snrs:
            (out_dir / _snr_folder(snr)).mkdir(parents=True, exist_ok=True)

    noisy = {snr: [] for snr in snrs}
    rows = []
    for i, sig in enumerate(signals):
        noise = noise_dict[noise_names[choice[i]]]
        offset = int(offsets[i] * noise.size)
        targets = None
        if out_dir is not None:
            targets = {snr: out_dir / _snr_folder(snr) / f"{names[i]}.wav" for snr in snrs}
        speech = None
        if targets is None or not all(p.is_file() for p in targets.values()):
            x = load_audio(sig, sr=sr) if isinstance(sig, str | os.PathLike) else sig
            try:
                speech = _check_signal(x, f"signal {i} ({names[i]})")
            except ValueError as exc:
                raise ValueError(f"{exc} Remove it from signals before mixing.") from exc
        for snr in snrs:
            row = {"index": i, "name": names[i], "snr_db": snr, "noise": noise_names[choice[i]],
                   "noise_offset": offset}
            if targets is not None:
                path = targets[snr]
                if not path.is_file():
                    mix = _mix(speech, noise, snr, offset)[0]
                    _atomic_write_wav(path, mix, sr)
                row["path"] = str(path)
                noisy[snr].append(str(path))
            else:
                noisy[snr].append(_mix(speech, noise, snr, offset)[0])
            rows.append(row)
    manifest = pd.DataFrame(rows).sort_values(["snr_db", "index"], kind="stable")
    manifest = manifest.reset_index(drop=True)
    if out_dir is not None:
        tmp = out_dir / f".manifest.csv.{os.getpid()}.tmp"
        manifest.to_csv(tmp, index=False)
        os.replace(tmp, out_dir / "manifest.csv")
    return noisy, manifest
