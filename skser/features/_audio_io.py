"""Reading audio: decode a file, downmix to mono and resample to the working rate.

Files are decoded with :mod:`soundfile` (libsndfile: WAV, FLAC, OGG, ...); formats it cannot
read (e.g. MP3 on an old libsndfile, M4A) fall back to :func:`librosa.load` (audioread /
ffmpeg where available). Multi-channel audio is averaged into one channel; other sample rates
are converted with a polyphase filter (:func:`scipy.signal.resample_poly`).
"""

from __future__ import annotations

import os
from math import gcd

import numpy as np
from scipy.signal import resample_poly

__all__ = ["AudioReadError", "load_audio", "to_mono", "resample"]


class AudioReadError(OSError):
    """An audio file could not be read (missing, unreadable or not audio).

    The message names the file and the reason reported by the decoders.
    """


def to_mono(signal):
    """Return ``signal`` as a 1-D float64 array, averaging channels if it has several.

    A 2-D array is read as ``(n_samples, n_channels)`` (the layout of :mod:`soundfile`) when
    it has more rows than columns and as ``(n_channels, n_samples)`` (the layout of
    :mod:`librosa`) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> to_mono(np.array([[1.0, 3.0], [2.0, 4.0], [0.0, 0.0]]))
    array([2., 3., 0.])
    """
    x = np.asarray(signal, dtype=np.float64)
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
        When neither :mod:`soundfile` nor :mod:`librosa` can decode the file; the message
        names the file.

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
    return resample(np.ascontiguousarray(signal), orig_sr=file_sr, target_sr=sr)
