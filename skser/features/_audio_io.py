"""Reading audio: decode a file, downmix to mono and resample to the working rate.

Files are decoded with :mod:`soundfile` (libsndfile: WAV, FLAC, OGG, MP3, ...); formats it
cannot read (e.g. MP3 on an old libsndfile, M4A) fall back to :func:`librosa.load` (audioread /
ffmpeg where available). Multi-channel audio is averaged into one channel; other sample rates
are converted with a polyphase filter (:func:`scipy.signal.resample_poly`). Integer PCM arrays
(e.g. from :func:`scipy.io.wavfile.read`) are scaled to [-1, 1] by their full scale, as
:mod:`soundfile` does.
"""

from __future__ import annotations

import os
from math import gcd

import numpy as np

__all__ = ["AUDIO_EXTENSIONS", "AudioReadError", "MIN_SAMPLE_RATE", "load_audio", "to_mono",
           "to_float_signal", "resample", "speech_problem"]

#: File extensions (lower case) that skser treats as audio: every command and corpus loader
#: looks for these, and :func:`load_audio` reads them.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")

# Telephone-band speech; below it even the F0 and formant ranges would be cut off (bands that
# reach above sr / 2, such as 2-5 kHz, are truncated at the Nyquist frequency).
MIN_SAMPLE_RATE = 8000

#: Shortest recording (seconds) that :func:`speech_problem` accepts as speech.
MIN_DURATION = 0.1
#: Peak level below which a recording counts as silent: one step of 16-bit PCM (-90 dBFS).
SILENCE_PEAK = 1.0 / 32768


class AudioReadError(OSError):
    """An audio file could not be read (missing, unreadable or not audio).

    The message names the file and the reason reported by the decoders.
    """


def to_float_signal(signal):
    """Return ``signal`` as float64 samples, scaling integer PCM to [-1, 1].

    Integer arrays are PCM at their type's full scale, as :func:`scipy.io.wavfile.read` returns
    them: ``int16`` is divided by 32768, ``int32`` by 2**31 (``int8``, ``int64`` alike), and
    unsigned types are centred first (``uint8``: ``(x - 128) / 128``), which is what
    :mod:`soundfile` does when it reads such files. Without it an int16 recording would be
    analysed 32768 times too loud (+90 dB). Float arrays are returned unscaled.

    Parameters
    ----------
    signal : array-like
        Samples of any shape.

    Returns
    -------
    samples : ndarray of float64, same shape

    Raises
    ------
    ValueError
        If the samples are not real numbers (booleans, strings, complex).

    Examples
    --------
    >>> import numpy as np
    >>> to_float_signal(np.array([-32768, 0, 16384], dtype=np.int16))
    array([-1. ,  0. ,  0.5])
    >>> to_float_signal(np.array([0, 128, 255], dtype=np.uint8))
    array([-1.       ,  0.       ,  0.9921875])
    """
    x = np.asarray(signal)
    kind = x.dtype.kind
    if kind == "i":
        return x.astype(np.float64) / float(2 ** (8 * x.dtype.itemsize - 1))
    if kind == "u":
        half = float(2 ** (8 * x.dtype.itemsize - 1))
        return (x.astype(np.float64) - half) / half
    if kind != "f":
        raise ValueError(f"audio samples must be real numbers (float or integer PCM); got "
                         f"dtype {x.dtype}")
    return x.astype(np.float64, copy=False)


def to_mono(signal):
    """Return ``signal`` as a 1-D float64 array, averaging channels if it has several.

    A 2-D array is read as ``(n_samples, n_channels)`` (the layout of :mod:`soundfile`) when
    it has more rows than columns and as ``(n_channels, n_samples)`` (the layout of
    :mod:`librosa`) otherwise. Integer PCM is scaled by :func:`to_float_signal`.

    Examples
    --------
    >>> import numpy as np
    >>> to_mono(np.array([[1.0, 3.0], [2.0, 4.0], [0.0, 0.0]]))
    array([2., 3., 0.])
    >>> to_mono(np.array([16384, -16384], dtype=np.int16))
    array([ 0.5, -0.5])
    """
    x = to_float_signal(signal)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[0] >= x.shape[1] else x.mean(axis=0)
    elif x.ndim != 1:
        raise ValueError(f"an audio signal must be 1-D (or 2-D with channels); got shape {x.shape}")
    return np.ascontiguousarray(x)


def resample(signal, *, orig_sr, target_sr):
    """Resample a 1-D signal from ``orig_sr`` to ``target_sr`` with a polyphase filter.

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.ones(441), orig_sr=44100, target_sr=16000).shape
    (160,)
    """
    from scipy.signal import resample_poly

    orig_sr, target_sr = int(orig_sr), int(target_sr)
    if orig_sr == target_sr or signal.size == 0:
        return signal
    g = gcd(orig_sr, target_sr)
    return resample_poly(signal, target_sr // g, orig_sr // g).astype(np.float64, copy=False)


def load_audio(path, *, sr=16000):
    """Read an audio file as mono float64 samples at ``sr`` Hz.

    Parameters
    ----------
    path : str or path-like
        The audio file.
    sr : int, default=16000
        Sample rate of the returned signal; the file is resampled when it differs.

    Returns
    -------
    signal : ndarray of shape (n_samples,)
        Samples in [-1, 1] (integer PCM is scaled by :mod:`soundfile`).

    Raises
    ------
    AudioReadError
        When neither :mod:`soundfile` nor :mod:`librosa` can decode the file, when its sample
        rate is below ``MIN_SAMPLE_RATE`` (8000 Hz: below telephone band the features are
        meaningless, and a damaged header can claim e.g. 1 Hz, which resampling would turn
        into millions of invented samples), or when it holds NaN or infinite samples (a
        damaged float file). The message names the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, soundfile as sf
    >>> path = os.path.join(tempfile.mkdtemp(), "stereo.wav")
    >>> sf.write(path, np.zeros((8000, 2)), 8000)
    >>> load_audio(path, sr=16000).shape
    (16000,)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise AudioReadError(f"could not read audio file {path!r}: no such file")
    try:
        import soundfile as sf

        data, file_sr = sf.read(path, dtype="float64", always_2d=True)
        signal = data.mean(axis=1)
    except Exception as sf_error:  # noqa: BLE001 - any decoder failure falls back to librosa
        try:
            import warnings

            import librosa

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data, file_sr = librosa.load(path, sr=None, mono=True, dtype=np.float64)
            signal = np.asarray(data, dtype=np.float64)
        except Exception as lr_error:  # noqa: BLE001
            raise AudioReadError(
                f"could not read audio file {path!r}: soundfile said "
                f"'{sf_error}'; librosa said '{type(lr_error).__name__}: {lr_error}'"
            ) from lr_error
    if int(file_sr) < MIN_SAMPLE_RATE:
        raise AudioReadError(
            f"audio file {path!r} has a sample rate of {file_sr} Hz, below the lowest rate "
            f"skser analyses ({MIN_SAMPLE_RATE} Hz): the file is damaged or not speech audio; "
            "resample it to at least 8000 Hz if it is real audio"
        )
    bad = int(np.count_nonzero(~np.isfinite(signal)))
    if bad:
        raise AudioReadError(
            f"audio file {path!r} holds {bad} NaN or infinite samples (a damaged float file); "
            "repair or drop it"
        )
    return resample(np.ascontiguousarray(signal), orig_sr=file_sr, target_sr=sr)


def speech_problem(signal, sr):
    """Why a signal cannot be judged as speech, or ``None`` when it can.

    Empty and near-empty recordings (shorter than ``MIN_DURATION``, 0.1 s) and all-silent
    ones (peak below one step of 16-bit PCM, -90 dBFS) give feature vectors that look like
    any other, so a classifier would name an emotion for them: callers flag or skip them.

    Parameters
    ----------
    signal : ndarray of shape (n_samples,)
        Float samples in [-1, 1].
    sr : int
        Sample rate in Hz.

    Returns
    -------
    problem : str or None
        ``"empty"``, ``"too short (0.03 s < 0.1 s)"``, ``"silent (peak -120.0 dBFS)"``, or None.

    Examples
    --------
    >>> import numpy as np
    >>> speech_problem(np.zeros(16000), 16000)
    'silent (all samples are 0)'
    >>> speech_problem(np.ones(800) * 0.1, 16000)
    'too short (0.05 s < 0.1 s)'
    >>> speech_problem(0.1 * np.sin(np.arange(16000)), 16000) is None
    True
    """
    x = np.asarray(signal)
    if x.size == 0:
        return "empty"
    duration = x.size / float(sr)
    if duration < MIN_DURATION:
        return f"too short ({duration:.2g} s < {MIN_DURATION:g} s)"
    peak = float(np.max(np.abs(x)))
    if peak == 0.0:
        return "silent (all samples are 0)"
    if peak < SILENCE_PEAK:
        return f"silent (peak {20 * np.log10(peak):.1f} dBFS)"
    return None
