"""The :class:`AcousticFeatures` transformer and :func:`extract_features` for one signal."""

from __future__ import annotations

import os
import sys
import time
import warnings
from contextlib import nullcontext
from functools import lru_cache
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from joblib import Memory, Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import validate_data

from .._device import native_threads
from ..utils._validation import DefaultsForNewParams
from ._audio_io import (
    MIN_SAMPLE_RATE,
    AudioReadError,
    load_audio,
    resample,
    to_float_signal,
    to_mono,
)
from ._descriptors import extract_egemaps_like, extract_mfcc_stats
from ._hf_spec import HF_FEATURE_SET, hf_feature_names, is_hf_feature_set

_EXTRACTORS = {"egemaps_like": extract_egemaps_like, "mfcc_stats": extract_mfcc_stats}
_OPENSMILE_SETS = ("eGeMAPSv02", "GeMAPSv01b", "ComParE_2016")
FEATURE_SETS = tuple(_EXTRACTORS) + tuple(f"opensmile:{name}" for name in _OPENSMILE_SETS)


# --------------------------------------------------------------------------------------
# One signal
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _smile(name):
    try:
        import opensmile
    except ImportError as exc:
        raise ImportError(
            f"feature_set='opensmile:{name}' needs the optional 'opensmile' package, which is "
            "not installed; install it with `pip install opensmile` (or `pip install "
            "skser[opensmile]`), or use feature_set='egemaps_like'"
        ) from exc
    return opensmile.Smile(
        feature_set=getattr(opensmile.FeatureSet, name),
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def _extract_dict(signal, sr, feature_set):
    if feature_set.startswith("opensmile:"):
        smile = _smile(feature_set.split(":", 1)[1])
        x = signal if signal.size >= sr // 10 else np.pad(signal, (0, sr // 10 - signal.size))
        frame = smile.process_signal(x.astype(np.float32), sr)
        return dict(zip(frame.columns, frame.to_numpy(dtype=np.float64)[0]))
    return _EXTRACTORS[feature_set](signal, sr=sr)


@validate_params(
    {
        "signal": ["array-like", str, os.PathLike],
        "sr": [Interval(Integral, MIN_SAMPLE_RATE, None, closed="left")],
        "feature_set": [StrOptions(set(FEATURE_SETS)), HF_FEATURE_SET],
    },
    prefer_skip_nested_validation=True,
)
def extract_features(signal, *, sr=16000, feature_set="egemaps_like"):
    """Utterance-level acoustic features of one signal.

    Parameters
    ----------
    signal : array-like of shape (n_samples,) or (n_samples, n_channels), or path
        Audio samples at ``sr`` Hz, nominally in [-1, 1]; several channels are averaged and
        integer PCM (e.g. from :func:`scipy.io.wavfile.read`) is scaled by its full scale.
        Any length is accepted (shorter than one 25 ms frame: zero-padded to one frame).
        A path (str or path-like) is read with :func:`load_audio` and resampled to ``sr``,
        as openSMILE's ``process_file`` does.
    sr : int, default=16000
        Sample rate of ``signal`` in Hz, at least 8000 (for a path: the rate to analyse at).
    feature_set : {"egemaps_like", "mfcc_stats", "opensmile:eGeMAPSv02", \
"opensmile:GeMAPSv01b", "opensmile:ComParE_2016"}, default="egemaps_like"
        Which features; see :mod:`skser.features`. The ``opensmile:`` sets need the optional
        ``opensmile`` package, the ``hf:`` sets (self-supervised embeddings, see
        :class:`SSLEmbeddings`) the optional ``transformers`` package.

    Returns
    -------
    features : ndarray of shape (n_features,)
        float64 values in the order of :func:`feature_names`.

    Raises
    ------
    ValueError
        If the signal holds NaN or infinite samples.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.features import extract_features, feature_names
    >>> sr = 16000
    >>> tone = np.sin(2 * np.pi * 220 * np.arange(sr) / sr)
    >>> f = extract_features(tone, sr=sr)
    >>> f.shape == (len(feature_names("egemaps_like")),)
    True
    >>> round(float(f[0]), 2)  # mean F0 in semitones re 27.5 Hz: 12 * log2(220 / 27.5)
    36.0

    A file is read and resampled first:

    >>> import os, tempfile, soundfile as sf
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> sf.write(path, tone, 8000)  # the same samples played at 8 kHz: F0 = 110 Hz
    >>> round(float(extract_features(path, sr=sr)[0]), 1)  # 12 * log2(110 / 27.5)
    24.0
    """
    if isinstance(signal, str | os.PathLike):
        signal = load_audio(signal, sr=int(sr))
    x = to_mono(signal)
    if not np.all(np.isfinite(x)):
        raise ValueError(
            f"the signal holds {int(np.sum(~np.isfinite(x)))} NaN or infinite samples; "
            "audio must be finite"
        )
    if is_hf_feature_set(feature_set):
        from ._ssl import SSLEmbeddings

        ssl = SSLEmbeddings._from_feature_set(feature_set, sr=int(sr), device="auto")
        return ssl.transform([x])[0]
    return np.fromiter(_extract_dict(x, int(sr), feature_set).values(), dtype=np.float64)


@lru_cache(maxsize=8)
def _names(feature_set, sr=16000):
    t = np.arange(sr // 4) / sr
    probe = 0.1 * np.sin(2 * np.pi * 150 * t)
    return tuple(_extract_dict(probe, sr, feature_set).keys())


@validate_params(
    {"feature_set": [StrOptions(set(FEATURE_SETS)), HF_FEATURE_SET]},
    prefer_skip_nested_validation=True,
)
def feature_names(feature_set="egemaps_like"):
    """Names of the features of ``feature_set``, in column order.

    Parameters
    ----------
    feature_set : str, default="egemaps_like"
        One of the feature sets of :func:`extract_features`.

    Returns
    -------
    names : list of str

    Examples
    --------
    >>> from skser.features import feature_names
    >>> len(feature_names("egemaps_like")), len(feature_names("mfcc_stats"))
    (88, 52)
    >>> feature_names("egemaps_like")[:2]
    ['F0semitone_mean', 'F0semitone_cv']
    """
    if is_hf_feature_set(feature_set):
        return hf_feature_names(feature_set)  # from the model's configuration
    return list(_names(feature_set))


# --------------------------------------------------------------------------------------
# One item (a file or an array) in a worker
# --------------------------------------------------------------------------------------


def _extract_path(path, sr, feature_set, stamp=None):
    # ``stamp`` (size, mtime) only keys the cache, so an edited file is extracted again.
    if "://" in path:  # s3://, gs://, memory://...: read through fsspec (skser[dask])
        from .._parallel import is_url, load_audio_url

        if is_url(path):
            signal = load_audio_url(path, sr=sr)
            return extract_features(signal, sr=sr, feature_set=feature_set)
    return extract_features(load_audio(path, sr=sr), sr=sr, feature_set=feature_set)


def _extract_array(signal, sr, feature_set):
    return extract_features(signal, sr=sr, feature_set=feature_set)


def _work(item, sr, feature_set, memory):
    """Extract one item; returns ``(row, None)`` or ``(None, exception)`` (never raises)."""
    try:
        if isinstance(item, str):
            fn = _extract_path if memory is None else memory.cache(_extract_path)
            stamp = None
            if memory is not None and os.path.isfile(item):
                st = os.stat(item)
                stamp = (st.st_size, st.st_mtime_ns)
            return fn(item, sr, feature_set, stamp), None
        fn = _extract_array if memory is None else memory.cache(_extract_array)
        return fn(item, sr, feature_set), None
    except Exception as exc:  # noqa: BLE001 - reported or re-raised by the caller
        return None, exc


def _describe(item, index):
    return repr(item) if isinstance(item, str) else f"signal at index {index}"


# --------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------


def _is_path(obj):
    return isinstance(obj, (str, os.PathLike))


def _as_items(X, sr=16000):
    """Split ``X`` into per-utterance items, or return None for a 2-D numeric array."""
    if sp.issparse(X):
        return None  # rejected with a clear message by validate_data
    if hasattr(X, "iloc") and getattr(X, "ndim", 1) == 2:  # DataFrame of one path column
        if X.shape[1] == 1 and all(_is_path(v) for v in X.iloc[:, 0]):
            return [os.fspath(v) for v in X.iloc[:, 0]]
        if "path" in X.columns and all(_is_path(v) for v in X["path"]):
            return [os.fspath(v) for v in X["path"]]  # a corpus table (load_corpus)
        return None
    if isinstance(X, np.ndarray):
        is_column = X.ndim == 2 and X.dtype.kind in "OUS" and X.shape[1] == 1 and X.size
        if is_column and all(_is_path(v) for v in X[:, 0]):
            return [os.fspath(v) for v in X[:, 0]]
        if X.ndim == 1 and X.dtype.kind in "biuf":
            _one_signal()
        if X.ndim == 2 and X.dtype.kind in "biuf":
            _check_not_channels(X)
        if X.ndim == 1 and X.dtype.kind in "OUS":
            pass  # a vector of paths or of arrays: handled below
        else:
            return None
    if _is_path(X):
        raise ValueError(
            f"X must be a sequence of audio files or signals, not one path ({X!r}); "
            "wrap it in a list: [path]"
        )
    try:
        seq = list(X)
    except TypeError:
        return None
    if not seq:
        raise ValueError("X is empty: found 0 audio files or signals, a minimum of 1 is required")
    if len(seq) == 2 and _is_rate(seq[1]) and np.ndim(seq[0]) >= 1 and not _is_path(seq[0]):
        raise ValueError(
            f"X looks like one (signal, sample_rate) pair (rate {seq[1]!r}); AcousticFeatures "
            "takes a sequence of utterances: pass [(signal, sr)]."
        )
    items = []
    for i, v in enumerate(seq):
        if _is_path(v):
            items.append(os.fspath(v))
            continue
        if isinstance(v, tuple) and len(v) == 2 and _is_rate(v[1]) and not _is_path(v[0]):
            items.append(_at_rate(v[0], v[1], sr, i))  # (signal, sr), e.g. from librosa.load
            continue
        arr = np.asarray(v)
        if i == 0 and arr.ndim == 0 and arr.dtype.kind in "biuf":
            _one_signal()  # a flat list of numbers
        if arr.ndim == 0 or arr.dtype.kind not in "biuf":
            _bad_item(i, v)
        items.append(arr)
    return items


def _scaled_pcm(X):
    """A 2-D integer PCM array scaled to [-1, 1] (other inputs unchanged)."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "iu":
        return to_float_signal(X)
    return X


def _is_rate(v):
    return isinstance(v, Integral | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_
    )


def _at_rate(signal, rate, sr, i):
    """A ``(signal, rate)`` item as a mono float signal at the working rate ``sr``."""
    if not float(rate).is_integer() or rate < MIN_SAMPLE_RATE:
        raise ValueError(
            f"item {i} of X is a (signal, sample rate) pair with rate {rate!r}; the rate must "
            f"be a whole number of Hz, at least {MIN_SAMPLE_RATE}"
        )
    x = to_mono(signal)
    return resample(x, orig_sr=int(rate), target_sr=sr)


def _check_not_channels(X):
    """Refuse a 2-D numeric X that is one multi-channel recording, not rows of signals."""
    n_rows, n_cols = X.shape
    if n_cols <= 8 and n_rows >= 1000:
        raise ValueError(
            f"X has shape {X.shape}: {n_rows} rows of {n_cols} sample(s) each. AcousticFeatures "
            "reads a 2-D array as one signal per row, so this would be "
            f"{n_rows} utterances of {n_cols} sample(s); it looks like one recording with "
            f"{n_cols} channel(s) in soundfile's (n_samples, n_channels) layout. For one "
            "recording pass [signal] (channels are averaged) or [(signal, sr)], or use "
            "skser.features.extract_features(signal, sr=sr)."
        )


def _one_signal():
    # scikit-learn's generic advice, X.reshape(-1, 1), would make every audio sample an
    # utterance of its own: say what works for one signal instead.
    raise ValueError(
        "X is a single 1-D signal, but AcousticFeatures takes a sequence of utterances. "
        "Reshape your data: pass [signal] or signal[None, :], or use "
        "skser.features.extract_features(signal, sr=sr)."
    )


def _bad_item(i, v):
    raise ValueError(
        f"item {i} of X is neither an audio path nor a numeric signal: {type(v).__name__} "
        f"{str(v)[:60]!r}"
    )


class AcousticFeatures(DefaultsForNewParams, TransformerMixin, BaseEstimator):
    """Utterance-level acoustic features of audio files or signals.

    A stateless transformer: every row of the output is the feature vector of one utterance,
    computed independently (so it parallelises over files with joblib and caches per file).
    The feature sets are described in :mod:`skser.features`.

    Parameters
    ----------
    feature_set : {"egemaps_like", "mfcc_stats", "opensmile:eGeMAPSv02", \
"opensmile:GeMAPSv01b", "opensmile:ComParE_2016"}, default="egemaps_like"
        ``"egemaps_like"``: 88 features after the eGeMAPS families, computed by skser.
        ``"mfcc_stats"``: mean and standard deviation of 13 MFCCs and their deltas (52).
        ``"opensmile:..."``: the openSMILE functionals through the optional ``opensmile``
        package (an ImportError explains how to install it).
        ``"hf:<model>[,layer=<layers>][,pooling=mean|mean_std]"``: pooled hidden layers of a
        self-supervised speech model (wav2vec 2.0, HuBERT, WavLM) through the optional
        ``transformers`` package, run as :class:`SSLEmbeddings` with ``device="auto"``
        (see :func:`parse_hf_feature_set`).
    sr : int, default=16000
        Working sample rate in Hz, at least 8000. Files at other rates are resampled to it;
        arrays must already be at ``sr``.
    n_jobs : int, default=None
        Number of joblib workers over utterances (``None``: 1, ``-1``: all cores). Not used
        by the ``hf:`` sets, whose model uses the cores within each forward pass.
    on_error : {"raise", "skip", "nan"}, default="raise"
        What to do with an utterance that cannot be processed (unreadable file, NaN samples).
        ``"raise"``: raise an error naming the file (with ``memory`` set, files already done
        stay cached, so a rerun resumes). ``"skip"``: drop its row (the output then has fewer
        rows than X; with ``set_output(transform="pandas")`` and a pandas X, the rows keep the
        index labels of the kept items). ``"nan"``: a row of NaN (e.g. for a ``Pipeline``
        with an imputer).
        Failed items are always reported by a warning naming them; :meth:`extract` returns
        the kept row indices and the errors, and :meth:`fit_transform` records them in
        ``kept_indices_`` and ``errors_`` (``transform`` leaves the estimator unchanged).
    memory : str, joblib.Memory or None, default=None
        Cache features per utterance (keyed on the path, its size and modification time, or
        on the array content, and on ``feature_set`` and ``sr``).
    verbose : int, default=0
        Print progress to stderr when > 0.

    Attributes
    ----------
    n_features_in_ : int
        Only when fitted on a 2-D numeric array: its number of columns (samples per signal).
        ``transform`` then requires the same width for 2-D arrays.
    feature_names_ : ndarray of str
        Output feature names (also :meth:`get_feature_names_out`).
    kept_indices_ : ndarray of int
        Set by :meth:`fit_transform`: indices of the items of X whose rows were returned.
    errors_ : list of tuple
        Set by :meth:`fit_transform`: ``(index, item, message)`` of every failed item.

    Notes
    -----
    Input ``X`` may be a sequence (list, tuple, pandas Series, 1-D object array) of file
    paths, ``(signal, sample_rate)`` pairs and/or 1-D (or channels x samples) numeric arrays
    at ``sr``; a DataFrame or (n, 1) array holding one column of paths; a corpus table of
    :func:`skser.datasets.load_corpus` (its ``path`` column is read); or a 2-D numeric array
    whose rows are signals of equal length. A single 1-D numeric array is rejected (use
    :func:`extract_features`, or ``X[None, :]``), and so is a 2-D array of at most 8 columns
    and 1,000 rows or more, which is one multi-channel recording rather than rows of signals.
    Integer arrays are PCM and are scaled by their full scale (int16 / 32768), as
    :mod:`soundfile` does when reading a file.

    **Sample rates.** A bare array carries no sample rate, so it is taken to be at ``sr``
    (16 kHz by default). ``librosa.load(path)`` resamples to 22,050 Hz unless told
    otherwise: pass its result as a pair, ``[(y, sr_y)]``, which is resampled to ``sr``, or
    call ``librosa.load(path, sr=16000)``. Analysing a 22.05 kHz array as 16 kHz would read
    every pitch 1.38 times too low (5.6 semitones) with no error.

    With ``set_output(transform="pandas")`` the rows of a list of files are indexed by the
    file path (index name ``"file"``); a pandas X keeps its own index.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.features import AcousticFeatures
    >>> sr = 16000
    >>> t = np.arange(sr // 2) / sr
    >>> signals = [np.sin(2 * np.pi * f0 * t) for f0 in (110.0, 220.0)]
    >>> X = AcousticFeatures().fit_transform(signals)
    >>> X.shape
    (2, 88)
    >>> AcousticFeatures().get_feature_names_out()[0]
    'F0semitone_mean'
    >>> np.round(X[:, 0], 1)  # mean F0 in semitones: 24 and 36
    array([24., 36.])
    """

    _parameter_constraints: dict = {
        "feature_set": [StrOptions(set(FEATURE_SETS)), HF_FEATURE_SET],
        "sr": [Interval(Integral, MIN_SAMPLE_RATE, None, closed="left")],
        "n_jobs": [Integral, None],
        "on_error": [StrOptions({"raise", "skip", "nan"})],
        "memory": [None, str, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        feature_set="egemaps_like",
        *,
        sr=16000,
        n_jobs=None,
        on_error="raise",
        memory=None,
        verbose=0,
    ):
        self.feature_set = feature_set
        self.sr = sr
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.memory = memory
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and X; nothing is learned.

        Parameters
        ----------
        X : sequence of paths or signals, or array-like of shape (n_signals, n_samples)
            The utterances (see the class Notes).
        y : None
            Ignored.

        Returns
        -------
        self : AcousticFeatures
        """
        items = _as_items(X, self.sr)
        if items is None:
            validate_data(self, _scaled_pcm(X), dtype=np.float64)
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.feature_names_ = np.asarray(self.get_feature_names_out(), dtype=object)
        return self

    def transform(self, X):
        """Extract the features of every utterance of X.

        Parameters
        ----------
        X : sequence of paths or signals, or array-like of shape (n_signals, n_samples)
            The utterances (see the class Notes).

        Returns
        -------
        features : ndarray of shape (n_kept, n_features)
            float64; ``n_kept`` is the number of items of X unless ``on_error="skip"``
            dropped some.
        """
        self._validate_params()
        items = self._items(X)
        features, kept, _ = self._extract(items)
        return self._labelled(features, X, kept, items)

    def fit_transform(self, X, y=None):
        """Validate X and extract its features; records ``kept_indices_`` and ``errors_``.

        Parameters
        ----------
        X : sequence of paths or signals, or array-like of shape (n_signals, n_samples)
            The utterances (see the class Notes).
        y : None
            Ignored.

        Returns
        -------
        features : ndarray of shape (n_kept, n_features)
        """
        self.fit(X, y)
        items = self._items(X)
        features, self.kept_indices_, self.errors_ = self._extract(items)
        return self._labelled(features, X, self.kept_indices_, items)

    def _labelled(self, features, X, kept, items):
        """``features``, or a DataFrame with the right row labels for pandas output.

        With ``set_output(transform="pandas")`` scikit-learn labels the output rows with X's
        index, which no longer fits once ``on_error="skip"`` dropped rows; a DataFrame that
        already carries the kept labels is left with them. When X has no row labels of its own
        (a list of files), the rows are labelled by file path (index name ``"file"``), as
        openSMILE does, so that the features join to a corpus table on its path column.
        """
        if _get_output_config("transform", self)["dense"] != "pandas":
            return features
        import pandas as pd

        index = getattr(X, "index", None)
        if index is None or callable(index):  # a list's .index method, not row labels
            if len(kept) and all(isinstance(items[i], str) for i in kept):
                labels = pd.Index([items[i] for i in kept], name="file")
                return pd.DataFrame(features, index=labels, columns=self.get_feature_names_out())
            return features
        if len(kept) == len(index):
            return features
        return pd.DataFrame(features, index=index[kept], columns=self.get_feature_names_out())

    def _items(self, X):
        """The utterances of X: paths and signals, or the rows of a validated 2-D array."""
        items = _as_items(X, self.sr)
        if items is None:
            items = list(validate_data(self, _scaled_pcm(X), dtype=np.float64, reset=False))
        return items

    def extract(self, X):
        """Extract features and report which items failed, without changing the estimator.

        Parameters
        ----------
        X : sequence of paths or signals, or array-like of shape (n_signals, n_samples)
            The utterances (see the class Notes).

        Returns
        -------
        features : ndarray of shape (n_kept, n_features)
            As :meth:`transform`.
        kept_indices : ndarray of int
            Index in X of every returned row.
        errors : list of tuple
            ``(index, item, message)`` of every item that could not be processed.

        Examples
        --------
        >>> import numpy as np
        >>> from skser.features import AcousticFeatures
        >>> import warnings
        >>> fe = AcousticFeatures(on_error="skip")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # the failure is also reported by a warning
        ...     F, kept, errors = fe.extract([np.zeros(800), "missing.wav"])
        >>> F.shape, kept, errors[0][1]
        ((1, 88), array([0]), 'missing.wav')
        """
        self._validate_params()
        return self._extract(self._items(X))

    def _extract(self, items):
        names = self.get_feature_names_out()
        memory = self.memory
        if isinstance(memory, str):
            memory = Memory(memory, verbose=0)
        n = len(items)
        results, context = self._results(items, memory)
        with context:
            rows, kept, errors = self._collect(results, items, memory)
        kept = np.asarray(kept, dtype=np.intp)
        if errors:
            shown = "; ".join(f"{_describe(it, i)}: {m}" for i, it, m in errors[:5])
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            action = "dropped" if self.on_error == "skip" else "set to NaN"
            warnings.warn(
                f"{len(errors)} of {n} items could not be processed and their rows were "
                f"{action}: {shown}{more}",
                UserWarning,
                stacklevel=3,
            )
        if not rows:
            return np.zeros((0, len(names))), kept, errors
        return np.vstack(rows).astype(np.float64, copy=False), kept, errors

    def _results(self, items, memory):
        """``(row, exception)`` per item, in order, and the context to consume them in."""
        if is_hf_feature_set(self.feature_set):
            from ._ssl import SSLEmbeddings

            ssl = SSLEmbeddings._from_feature_set(
                self.feature_set, sr=self.sr, device="auto", on_error=self.on_error
            )
            return ssl._results(items, memory)
        n_jobs = 1 if self.n_jobs is None else self.n_jobs
        if n_jobs == 1 or len(items) == 1:
            # Items are consumed one by one, so a failure with on_error="raise" stops at once;
            # one BLAS thread: the per-frame products are small and threads only contend.
            results = (_work(item, self.sr, self.feature_set, memory) for item in items)
            context = native_threads(1, user_api=None)
        else:
            tasks = (delayed(_work)(item, self.sr, self.feature_set, memory) for item in items)
            results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
            context = nullcontext()
        return results, context

    def _collect(self, results, items, memory):
        """Gather rows in order; raise, skip or fill NaN for failures; print progress."""
        n = len(items)
        n_features = len(self.get_feature_names_out())
        rows, kept, errors = [], [], []
        start = time.perf_counter()
        every = max(1, n // 20)
        for i, (row, exc) in enumerate(results):
            if exc is not None:
                what = _describe(items[i], i)
                if self.on_error == "raise":
                    hint = (
                        f" (item {i} of {n}). Pass on_error='skip' or 'nan' to continue past "
                        "failing items"
                        + ("; items already extracted are cached in `memory`" if memory else "")
                        + "."
                    )
                    if isinstance(exc, AudioReadError):  # its message names the file
                        raise AudioReadError(f"{exc}{hint}") from exc
                    cls = ValueError if isinstance(exc, ValueError) else RuntimeError
                    raise cls(f"{what}: {exc}{hint}") from exc
                errors.append((i, items[i] if isinstance(items[i], str) else i, str(exc)))
                if self.on_error == "nan":
                    rows.append(np.full(n_features, np.nan))
                    kept.append(i)
            else:
                rows.append(row)
                kept.append(i)
            if self.verbose and ((i + 1) % every == 0 or i + 1 == n):
                print(
                    f"[{type(self).__name__}] {i + 1}/{n} items, {len(errors)} failed, "
                    f"{time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                )
        return rows, kept, errors

    def get_feature_names_out(self, input_features=None):
        """Output feature names.

        Parameters
        ----------
        input_features : None
            Ignored (the output names do not depend on the input).

        Returns
        -------
        names : ndarray of str
        """
        return np.asarray(feature_names(self.feature_set), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = False
        return tags
