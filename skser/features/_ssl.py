"""Self-supervised speech embeddings (wav2vec 2.0, HuBERT, WavLM, data2vec) per utterance.

:class:`SSLEmbeddings` runs a pretrained speech model of the ``transformers`` library over
audio files or signals and pools the frames of one (or several) of its hidden layers into one
vector per utterance. ``AcousticFeatures(feature_set="hf:<model>")`` is the same computation
behind the common front door (see :func:`parse_hf_feature_set`).

How the embeddings are made (each step is what makes a batch give the embeddings of one file
at a time):

1. Audio is read at the model's sample rate (16 kHz for every public checkpoint) and, when the
   checkpoint's preprocessor asks for it (``do_normalize``), scaled to zero mean and unit
   variance over the whole utterance: ``(x - mean) / sqrt(var + 1e-7)``, as
   ``Wav2Vec2FeatureExtractor`` does. Clips shorter than the first frame (400 samples, 25 ms)
   are zero-padded to it.
2. Utterances longer than ``window_seconds`` are cut into windows that overlap by
   ``window_overlap_seconds``; each window is a separate forward pass, and of the frames of two
   neighbouring windows each keeps those nearer its own centre (the cut is in the middle of the
   overlap), so every frame of the utterance is pooled once and has at least half the overlap
   of context on either side. Memory then grows with the window, not with the file.
3. Windows are sorted by length and packed into batches of at most ``batch_seconds`` of
   (padded) audio. Models whose convolutional front end has a layer norm per frame
   (``feat_extract_norm="layer"``: wav2vec2-large-lv60, HuBERT large, WavLM large) take an
   attention mask, so padding does not reach the valid frames. Models with a group norm over
   time in their first convolution (``feat_extract_norm="group"``: wav2vec2-base, HuBERT base,
   WavLM base and base-plus) see the padding whatever the mask, so they are only batched with
   windows of exactly the same length (every full window of a long file; fixed-length clips)
   and otherwise run one at a time, never padded.
4. The frames of the chosen hidden layers are pooled over the valid frames only (their number
   comes from the model's ``_get_feat_extract_output_lengths``): ``"mean"``, or ``"mean_std"``
   (mean and population standard deviation). A list of layers is averaged frame by frame
   before pooling; ``"all"`` pools every layer separately.

Layer ``0`` is the input of the first transformer layer (the projected convolutional features
plus the convolutional position embedding); layer ``k`` (1..L) is the output of transformer
layer ``k``; the last layer is taken after the encoder's final layer norm in models that have
one (``do_stable_layer_norm``). These are the ``hidden_states`` of ``transformers``. The
forward pass stops after the deepest layer asked for, so a middle layer costs about half of the
transformer.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._acoustic import MIN_SAMPLE_RATE, AcousticFeatures, _as_items
from ._audio_io import load_audio, resample, to_mono
from ._hf_spec import (
    LAYER_WORDS,
    POOLINGS,
    PREFIX,
    feature_names_of,
    import_transformers,
    layer_key,
    model_config,
    parse_hf_feature_set,
    resolve_layers,
)

__all__ = ["SSLEmbeddings"]

_DTYPES = ("float32", "float64", "float16", "bfloat16")
_NORM_EPS = 1e-7  # as Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm
# Bumped whenever the numbers of the same settings change, so that cached rows are not reused.
_CACHE_VERSION = 1


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------


@dataclass
class _Backbone:
    """A loaded speech model and what the extraction needs to know of it."""

    model: object
    device: object
    dtype: object
    sr: int
    do_normalize: bool
    uses_mask: bool
    stable_layer_norm: bool
    n_layers: int
    receptive_field: int
    stride: int

    def n_frames(self, n_samples):
        """Valid frames of ``n_samples`` input samples (``_get_feat_extract_output_lengths``)."""
        return max(int(self.model._get_feat_extract_output_lengths(int(n_samples))), 0)


@contextmanager
def _quiet(transformers):
    """No progress bars or info messages from ``transformers`` while loading (restored)."""
    logging = transformers.utils.logging
    bars, level = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


@lru_cache(maxsize=1)
def _load(model, device, dtype):
    """Load ``model`` on ``device`` in ``dtype``; the last one is kept for the next call."""
    import torch

    from .._device import resolve_device

    transformers = import_transformers()
    config = model_config(model)
    if not hasattr(config, "feat_extract_norm") or not hasattr(config, "conv_stride"):
        raise ValueError(
            f"model {model!r} ({type(config).__name__}) is not a wav2vec 2.0-style speech "
            "encoder; SSLEmbeddings takes wav2vec 2.0, HuBERT, WavLM and data2vec-audio models"
        )
    torch_device = resolve_device(device)
    with _quiet(transformers):
        try:
            net = transformers.AutoModel.from_pretrained(model)
        except (OSError, ValueError) as exc:
            raise OSError(f"could not load the weights of model {model!r}: {exc}") from exc
    if not hasattr(net, "_get_feat_extract_output_lengths") or not hasattr(net, "encoder"):
        raise ValueError(f"model {model!r} ({type(net).__name__}) is not a speech encoder")
    net = net.to(device=torch_device, dtype=getattr(torch, dtype)).eval()
    do_normalize, sr = True, 16000
    try:
        with _quiet(transformers):
            pre = transformers.AutoFeatureExtractor.from_pretrained(model)
        do_normalize = bool(getattr(pre, "do_normalize", True))
        sr = int(getattr(pre, "sampling_rate", 16000))
    except (OSError, ValueError):
        pass  # no preprocessor file: the wav2vec 2.0 defaults (normalised input, 16 kHz)
    receptive, jump = 1, 1
    for k, s in zip(config.conv_kernel, config.conv_stride):
        receptive += (int(k) - 1) * jump
        jump *= int(s)
    return _Backbone(
        model=net,
        device=torch_device,
        dtype=getattr(torch, dtype),
        sr=sr,
        do_normalize=do_normalize,
        uses_mask=config.feat_extract_norm == "layer",
        stable_layer_norm=bool(getattr(config, "do_stable_layer_norm", False)),
        n_layers=len(net.encoder.layers),
        receptive_field=receptive,
        stride=jump,
    )


class _Stop(Exception):
    """Raised by a hook once the deepest layer needed is captured: ends the forward pass."""


def _forward(backbone, signals, wanted):
    """Hidden states ``{index: tensor (B, T, H)}`` of the signals, padded on the right.

    Hooks on the encoder's layers capture the states (the same in every ``transformers``
    version) and stop the pass after the deepest layer in ``wanted``.
    """
    import torch

    net = backbone.model
    lengths = np.asarray([s.size for s in signals])
    longest = int(lengths.max())
    padded = bool((lengths < longest).any())
    if padded and not backbone.uses_mask:  # pragma: no cover - _batches never does this
        raise AssertionError("a group-norm model must not be given padded input")
    np_dtype = np.float64 if backbone.dtype == torch.float64 else np.float32
    batch = np.zeros((len(signals), longest), dtype=np_dtype)
    for i, s in enumerate(signals):
        batch[i, : s.size] = s
    x = torch.from_numpy(batch).to(device=backbone.device, dtype=backbone.dtype)
    mask = None
    if padded:
        valid = np.arange(longest)[None, :] < lengths[:, None]
        mask = torch.from_numpy(valid).to(device=backbone.device, dtype=torch.long)
    layers = net.encoder.layers
    deepest = max(wanted)
    captured = {}

    def first(_module, args, kwargs):
        captured[0] = args[0] if args else kwargs["hidden_states"]
        if deepest == 0:
            raise _Stop

    def after(k):
        def hook(_module, _args, output):
            h = output[0] if isinstance(output, tuple) else output
            if k == len(layers) and backbone.stable_layer_norm:
                h = net.encoder.layer_norm(h)
            captured[k] = h
            if k == deepest:
                raise _Stop

        return hook

    handles = []
    if 0 in wanted:
        handles.append(layers[0].register_forward_pre_hook(first, with_kwargs=True))
    handles += [layers[k - 1].register_forward_hook(after(k)) for k in wanted if k > 0]
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # WavLM's attention mixes a boolean padding mask with a float position bias,
            # which torch deprecates; the result is right, the warning is not for users.
            warnings.filterwarnings("ignore", message="Support for mismatched key_padding_mask")
            net(x, attention_mask=mask)
    except _Stop:
        pass
    finally:
        for handle in handles:
            handle.remove()
    return captured


@dataclass
class _Unit:
    """One forward-pass input: a whole utterance or a window of it; pools frames lo:hi."""

    item: int
    signal: np.ndarray
    lo: int = 0
    hi: int | None = None


def _windows(item, x, stride, window, overlap):
    """Cut one prepared signal into units (see the module docstring, step 2)."""
    if window is None or x.size <= window:
        return [_Unit(item, x)]
    hop = window - overlap
    keep_from = overlap // 2 // stride  # frames of the overlap that the left side keeps
    keep_to = (window - overlap // 2) // stride
    units, start = [], 0
    while True:
        last = start + window >= x.size
        units.append(_Unit(item, x[start:start + window], 0 if start == 0 else keep_from,
                           None if last else keep_to))
        if last:
            return units
        start += hop


def _batches(units, batch_samples, same_length_only):
    """Pack units, longest first, into batches of at most ``batch_samples`` padded samples."""
    order = sorted(range(len(units)), key=lambda i: -units[i].signal.size)
    batch, longest = [], 0
    for i in order:
        n = units[i].signal.size
        if batch and ((len(batch) + 1) * longest > batch_samples
                      or (same_length_only and n != longest)):
            yield [units[j] for j in batch]
            batch = []
        if not batch:
            longest = n
        batch.append(i)
    if batch:
        yield [units[j] for j in batch]


def _unit_stats(backbone, units, groups, wanted):
    """``(sum, sum of squares, n_frames)`` in float64 of the kept frames of each unit.

    ``sum`` and ``sum of squares`` have shape ``(n_groups, hidden_size)``; the frames of a
    group of several layers are averaged first.
    """
    import torch

    states = _forward(backbone, [u.signal for u in units], wanted)
    out = []
    for b, u in enumerate(units):
        n = backbone.n_frames(u.signal.size)
        hi = n if u.hi is None else min(u.hi, n)
        sums, squares = [], []
        for group in groups:
            frames = torch.stack([states[k][b, u.lo:hi] for k in group]).to(torch.float64)
            frames = frames.mean(dim=0)
            sums.append(frames.sum(dim=0))
            squares.append((frames * frames).sum(dim=0))
        out.append((torch.stack(sums).cpu().numpy(), torch.stack(squares).cpu().numpy(),
                    max(hi - u.lo, 0)))
    return out


def _cached_row(key, settings, row):
    """Identity on ``row``, memoised by ``memory`` on ``(key, settings)`` only."""
    return row


# --------------------------------------------------------------------------------------
# The transformer
# --------------------------------------------------------------------------------------


class SSLEmbeddings(AcousticFeatures):
    """Utterance embeddings from a self-supervised speech model (wav2vec 2.0, HuBERT, WavLM).

    Runs a pretrained model of the ``transformers`` library (optional: ``pip install
    skser[ssl]``) over audio files or signals and pools one or several of its hidden layers
    over time into one vector per utterance; the steps are described in
    :mod:`skser.features._ssl` and in the feature-sets page of the documentation. A stateless
    transformer with the input forms, ``on_error`` handling and ``memory`` caching of
    :class:`AcousticFeatures`; ``AcousticFeatures(feature_set="hf:<model>,layer=..,
    pooling=..")`` gives the same numbers (on ``device="auto"``).

    Self-supervised embeddings: Baevski et al. 2020 (wav2vec 2.0, arXiv 2006.11477), Hsu et al.
    2021 (HuBERT, arXiv 2106.07447), Chen et al. 2022 (WavLM, arXiv 2110.13900). Pooled middle
    layers for emotion: Pepino, Riera & Ferrer 2021 (arXiv 2104.03502); Li et al. 2022 (arXiv
    2210.02595).

    Parameters
    ----------
    model : str, default="facebook/wav2vec2-base"
        A model id of the Hugging Face hub (downloaded on first use and cached by
        ``transformers``) or a local folder written by ``save_pretrained``. Its preprocessor
        file, when present, says whether the input is normalised and at which sample rate.
    layer : int, list of int, {"middle", "last", "all"}, default="middle"
        Hidden layer(s) to pool: an index 0..L (0: input of the first transformer layer,
        negative counts from the last), a list of indices averaged frame by frame, ``"middle"``
        (``L // 2``, e.g. 6 of 12), ``"last"`` (L) or ``"all"`` (every layer pooled
        separately, side by side: ``(L + 1) * hidden_size`` columns per statistic).
    pooling : {"mean", "mean_std"}, default="mean"
        Statistics over the valid frames: the mean, or the mean and the population standard
        deviation.
    sr : int, default=16000
        Sample rate in Hz of array inputs, at least 8000; they are resampled to the model's
        rate (files are read at the model's rate directly).
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when available).
    dtype : {"float32", "float64", "float16", "bfloat16"}, default="float32"
        Precision of the model; statistics are summed in float64. Half precision is for GPUs.
    batch_seconds : float, default=40.0
        Most (padded) audio per forward pass, in seconds: bounds memory, larger is faster on
        a GPU. A window longer than it runs alone.
    window_seconds : float or None, default=20.0
        Utterances longer than this are processed in overlapping windows of this length, so
        memory does not grow with the file (``None``: never cut; attention memory then grows
        with the square of the duration).
    window_overlap_seconds : float, default=2.0
        Overlap of consecutive windows, less than ``window_seconds``; each side keeps the
        frames of its half of the overlap (rounded to whole frames).
    on_error : {"raise", "skip", "nan"}, default="raise"
        As in :class:`AcousticFeatures`: unreadable or non-finite audio raises, drops the row
        or gives a row of NaN (with a warning naming the items).
    memory : str, joblib.Memory or None, default=None
        Cache one row per utterance, keyed on the file (path, size, modification time) or the
        array, and on every setting here except ``device``, ``batch_seconds`` and
        ``verbose``. The model is named by its id or folder, not its weights: clear the cache
        after retraining a model saved in the same folder.
    verbose : int, default=0
        Print progress to stderr when > 0.

    Attributes
    ----------
    n_features_in_ : int
        Only when fitted on a 2-D numeric array: its number of columns (samples per signal).
    feature_names_ : ndarray of str
        Output feature names, ``"<model>_layer<k>_<mean|std>_<i>"`` (``k`` like ``6`` or
        ``4+5+6`` for averaged layers).
    kept_indices_ : ndarray of int
        Set by :meth:`fit_transform`: indices of the items of X whose rows were returned.
    errors_ : list of tuple
        Set by :meth:`fit_transform`: ``(index, item, message)`` of every failed item.

    Raises
    ------
    ImportError
        When ``transformers`` is not installed (the message names the ``ssl`` extra).
    OSError
        When the model can be neither found locally nor downloaded.

    Notes
    -----
    A batch gives the embeddings of one utterance at a time to float rounding (about 1e-6 in
    float32), whichever the model. The loaded model is kept for the next call in the same
    process (one model at a time). ``n_jobs`` of :class:`AcousticFeatures` does not apply:
    torch uses the cores within each forward pass.

    Examples
    --------
    A tiny randomly initialised model, saved to a folder as a downloaded checkpoint would be:

    >>> import tempfile
    >>> import numpy as np
    >>> from transformers import Wav2Vec2Config, Wav2Vec2Model
    >>> from skser.features import SSLEmbeddings
    >>> folder = tempfile.mkdtemp()
    >>> config = Wav2Vec2Config(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
    ...                         intermediate_size=32, conv_dim=(8,) * 7,
    ...                         num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    >>> Wav2Vec2Model(config).save_pretrained(folder)
    >>> rng = np.random.default_rng(0)
    >>> signals = [rng.normal(size=16000), rng.normal(size=12000)]  # 1 s and 0.75 s
    >>> emb = SSLEmbeddings(folder, layer=1, pooling="mean_std")
    >>> X = emb.fit_transform(signals)
    >>> X.shape  # mean and std of 16 dimensions
    (2, 32)
    >>> str(emb.get_feature_names_out()[16]).split("_layer")[1]  # model, layer, statistic
    '1_std_0'
    >>> bool(np.allclose(X[1], emb.transform([signals[1]])[0], atol=1e-5))
    True
    """

    _parameter_constraints: dict = {
        "model": [str, os.PathLike],
        "layer": [Integral, list, tuple, StrOptions(set(LAYER_WORDS))],
        "pooling": [StrOptions(set(POOLINGS))],
        "sr": [Interval(Integral, MIN_SAMPLE_RATE, None, closed="left")],
        "device": [str],
        "dtype": [StrOptions(set(_DTYPES))],
        "batch_seconds": [Interval(Real, 0, None, closed="neither")],
        "window_seconds": [Interval(Real, 0, None, closed="neither"), None],
        "window_overlap_seconds": [Interval(Real, 0, None, closed="left")],
        "on_error": [StrOptions({"raise", "skip", "nan"})],
        "memory": [None, str, HasMethods(["cache"])],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        model="facebook/wav2vec2-base",
        *,
        layer="middle",
        pooling="mean",
        sr=16000,
        device="cpu",
        dtype="float32",
        batch_seconds=40.0,
        window_seconds=20.0,
        window_overlap_seconds=2.0,
        on_error="raise",
        memory=None,
        verbose=0,
    ):
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.sr = sr
        self.device = device
        self.dtype = dtype
        self.batch_seconds = batch_seconds
        self.window_seconds = window_seconds
        self.window_overlap_seconds = window_overlap_seconds
        self.on_error = on_error
        self.memory = memory
        self.verbose = verbose

    @classmethod
    def _from_feature_set(cls, feature_set, **params):
        """The transformer an ``"hf:..."`` feature set of :class:`AcousticFeatures` names."""
        return cls(**parse_hf_feature_set(feature_set), **params)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and X, and read the model's configuration.

        Nothing is learned; the weights are loaded at the first :meth:`transform`.

        Parameters
        ----------
        X : sequence of paths or signals, or array-like of shape (n_signals, n_samples)
            The utterances (see :class:`AcousticFeatures`).
        y : None
            Ignored.

        Returns
        -------
        self : SSLEmbeddings
        """
        self._check_window()
        if _as_items(X) is None:
            validate_data(self, X, dtype=np.float64)
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.feature_names_ = self.get_feature_names_out()
        return self

    def _check_window(self):
        if self.window_seconds is not None and self.window_overlap_seconds >= self.window_seconds:
            raise ValueError(
                f"window_overlap_seconds={self.window_overlap_seconds} must be less than "
                f"window_seconds={self.window_seconds}"
            )

    def get_feature_names_out(self, input_features=None):
        """Output feature names, ``"<model>_layer<k>_<mean|std>_<i>"``.

        Parameters
        ----------
        input_features : None
            Ignored (the output names do not depend on the input).

        Returns
        -------
        names : ndarray of str
        """
        names = feature_names_of(os.fspath(self.model), layer_key(self.layer), self.pooling)
        return np.asarray(names, dtype=object)

    @property
    def feature_set(self):
        """The ``feature_set`` of :class:`AcousticFeatures` that gives the same features."""
        layer = self.layer
        if not isinstance(layer, str):
            layer = "+".join(str(int(k)) for k in np.atleast_1d(layer))
        return f"{PREFIX}{os.fspath(self.model)},layer={layer},pooling={self.pooling}"

    # -- extraction ---------------------------------------------------------------------

    def _results(self, items, memory):
        """``(row, exception)`` per item, in order, and the context to consume them in."""
        self._check_window()
        return self._generate(items, memory), nullcontext()

    def _settings(self):
        return (os.fspath(self.model), layer_key(self.layer), self.pooling, int(self.sr),
                self.dtype, self.window_seconds, self.window_overlap_seconds, _CACHE_VERSION)

    def _generate(self, items, memory):
        """Rows in order, computed in chunks of about four batches (so errors stop early)."""
        cached = None if memory is None else memory.cache(_cached_row, ignore=["row"])
        settings = self._settings()
        chunk_samples = 4 * self.batch_seconds * 16000
        backbone = None
        start = 0
        while start < len(items):
            stop, total = start, 0
            while stop < len(items) and (stop == start or total < chunk_samples):
                total += _approx_samples(items[stop])
                stop += 1
            chunk = items[start:stop]
            keys = [_cache_key(item) for item in chunk]
            rows, errors = [None] * len(chunk), [None] * len(chunk)
            todo = []
            for j, key in enumerate(keys):
                if cached is not None and cached.check_call_in_cache(key, settings, None):
                    rows[j] = cached(key, settings, None)
                else:
                    todo.append(j)
            if todo:
                if backbone is None:
                    backbone = _load(os.fspath(self.model), str(self.device), self.dtype)
                self._compute(backbone, chunk, todo, rows, errors)
                if cached is not None:
                    for j in todo:
                        if errors[j] is None:
                            cached(keys[j], settings, rows[j])
            yield from zip(rows, errors)
            start = stop

    def _prepare(self, item, backbone):
        """One utterance at the model's rate, normalised as the model expects (float64)."""
        if isinstance(item, str):
            x = load_audio(item, sr=backbone.sr)
        else:
            x = to_mono(item)
        bad = int(np.sum(~np.isfinite(x)))
        if bad:
            raise ValueError(f"the signal holds {bad} NaN or infinite samples; audio must be "
                             "finite")
        if not isinstance(item, str):
            x = resample(x, orig_sr=int(self.sr), target_sr=backbone.sr)
        if backbone.do_normalize and x.size:
            x = (x - x.mean()) / np.sqrt(x.var() + _NORM_EPS)
        if x.size < backbone.receptive_field:
            x = np.pad(x, (0, backbone.receptive_field - x.size))
        return x

    def _window_sizes(self, backbone):
        """Window and overlap in samples: whole frames, the overlap at least two frames."""
        if self.window_seconds is None:
            return None, None
        stride, two = backbone.stride, 2 * backbone.stride
        window = int(self.window_seconds * backbone.sr) // stride * stride
        window = max(window, backbone.receptive_field + two + stride)
        overlap = int(np.ceil(self.window_overlap_seconds * backbone.sr / two)) * two
        overlap = min(max(overlap, two), (window - stride) // two * two)
        return window, overlap

    def _compute(self, backbone, chunk, todo, rows, errors):
        """Fill ``rows[j]`` (or ``errors[j]``) for every ``j`` in ``todo``."""
        groups, _ = resolve_layers(self.layer, backbone.n_layers)
        wanted = sorted({k for g in groups for k in g})
        window, overlap = self._window_sizes(backbone)
        units = []
        for j in todo:
            try:
                x = self._prepare(chunk[j], backbone)
            except Exception as exc:  # noqa: BLE001 - reported or re-raised by the caller
                errors[j] = exc
                continue
            units += _windows(j, x, backbone.stride, window, overlap)
        totals = {}
        batch_samples = int(self.batch_seconds * backbone.sr)
        for batch in _batches(units, batch_samples, same_length_only=not backbone.uses_mask):
            try:
                stats = _unit_stats(backbone, batch, groups, wanted)
            except Exception as exc:  # noqa: BLE001 - retried one by one to name the item
                if len(batch) == 1:
                    errors[batch[0].item] = exc
                    continue
                stats = [self._alone(backbone, u, groups, wanted, errors) for u in batch]
            for u, st in zip(batch, stats):
                if st is not None:
                    prev = totals.get(u.item)
                    totals[u.item] = st if prev is None else tuple(a + b
                                                                   for a, b in zip(prev, st))
        for j in todo:
            if errors[j] is not None:
                continue
            s, q, n = totals[j]
            mean = s / max(n, 1)
            parts = [mean]
            if self.pooling == "mean_std":
                parts.append(np.sqrt(np.maximum(q / max(n, 1) - mean * mean, 0.0)))
            # (layer group, statistic, dimension): the order of the feature names
            rows[j] = np.stack(parts, axis=1).reshape(-1)

    @staticmethod
    def _alone(backbone, unit, groups, wanted, errors):
        try:
            return _unit_stats(backbone, [unit], groups, wanted)[0]
        except Exception as exc:  # noqa: BLE001 - reported or re-raised by the caller
            errors[unit.item] = exc
            return None


def _approx_samples(item):
    """About how many samples an item holds (16-bit files: half their size in bytes)."""
    if isinstance(item, str):
        return os.path.getsize(item) // 2 if os.path.isfile(item) else 0
    return int(np.size(item))


def _cache_key(item):
    if isinstance(item, str):
        stamp = None
        if os.path.isfile(item):
            st = os.stat(item)
            stamp = (st.st_size, st.st_mtime_ns)
        return ("file", item, stamp)
    return ("array", np.asarray(item))
