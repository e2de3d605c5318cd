"""The ``"hf:<model>[,layer=...][,pooling=...]"`` feature sets: parsing, layers and names.

Kept apart from :mod:`._ssl` (the model code) so that :mod:`._acoustic` can accept these
feature sets without importing ``transformers`` or torch; only :func:`hf_feature_names`
reads the model's configuration (a small file), never its weights.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from numbers import Integral

from sklearn.utils._param_validation import StrOptions, validate_params

__all__ = ["HF_FEATURE_SET", "hf_feature_names", "is_hf_feature_set", "parse_hf_feature_set"]

PREFIX = "hf:"
POOLINGS = ("mean", "mean_std")
LAYER_WORDS = ("middle", "last", "all")


def is_hf_feature_set(value):
    """Whether ``value`` is a string ``"hf:<something>"``."""
    return isinstance(value, str) and value.startswith(PREFIX) and len(value) > len(PREFIX)


class _HFFeatureSet(StrOptions):
    """Parameter constraint of scikit-learn's validation: an ``"hf:..."`` feature set.

    A :class:`StrOptions` so that scikit-learn's validation accepts it as a constraint.
    """

    def __init__(self):
        super().__init__({PREFIX})

    def is_satisfied_by(self, val):
        return is_hf_feature_set(val)

    def __str__(self):
        return "a str 'hf:<model id or folder>[,layer=<layers>][,pooling=mean|mean_std]'"


HF_FEATURE_SET = _HFFeatureSet()


def import_transformers():
    """``transformers``, or an ImportError that says how to install it."""
    try:
        import transformers
    except ImportError as exc:
        raise ImportError(
            "self-supervised speech embeddings need the optional 'transformers' package, "
            "which is not installed; install it with `pip install skser[ssl]` (or `pip "
            "install transformers`), or use one of skser's own feature sets such as "
            "'egemaps_like'"
        ) from exc
    return transformers


def _parse_layer(text, where):
    text = text.strip()
    if text in LAYER_WORDS:
        return text
    try:
        if "+" in text:
            return [int(p) for p in text.split("+")]
        m = re.fullmatch(r"(\d+)-(\d+)", text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise ValueError
            return list(range(lo, hi + 1))
        return int(text)
    except ValueError:
        raise ValueError(
            f"layer={text!r} in {where} is not a layer: use an index such as 6 (negative "
            "counts from the last), several averaged such as 4+6+8 or a range 4-8, or one of "
            "'middle', 'last', 'all'"
        ) from None


@validate_params({"feature_set": [HF_FEATURE_SET]}, prefer_skip_nested_validation=True)
def parse_hf_feature_set(feature_set):
    """Split an ``"hf:..."`` feature set into the model and the options it names.

    The string is ``"hf:<model>"`` optionally followed by comma-separated ``key=value``
    options: ``layer`` (an index such as ``6``, averaged indices ``4+6+8``, a range ``4-8``,
    or ``middle``, ``last``, ``all``; default ``middle``) and ``pooling`` (``mean`` or
    ``mean_std``; default ``mean``). ``<model>`` is a model id of the Hugging Face hub or a
    local folder written by ``save_pretrained``.

    Parameters
    ----------
    feature_set : str
        E.g. ``"hf:microsoft/wavlm-base-plus,layer=6,pooling=mean_std"``.

    Returns
    -------
    settings : dict
        ``{"model": str, "layer": int or list of int or str, "pooling": str}``: parameters
        of :class:`skser.features.SSLEmbeddings`.

    Raises
    ------
    ValueError
        When an option is unknown or its value is not valid; the message names it.

    Examples
    --------
    >>> from skser.features import parse_hf_feature_set
    >>> parse_hf_feature_set("hf:facebook/wav2vec2-base")
    {'model': 'facebook/wav2vec2-base', 'layer': 'middle', 'pooling': 'mean'}
    >>> parse_hf_feature_set("hf:microsoft/wavlm-base-plus,layer=4-6,pooling=mean_std")
    {'model': 'microsoft/wavlm-base-plus', 'layer': [4, 5, 6], 'pooling': 'mean_std'}
    """
    model, *options = feature_set[len(PREFIX):].split(",")
    settings = {"model": model.strip(), "layer": "middle", "pooling": "mean"}
    if not settings["model"]:
        raise ValueError(f"feature set {feature_set!r} names no model after 'hf:'")
    for option in options:
        key, sep, value = option.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in ("layer", "pooling"):
            raise ValueError(
                f"unknown option {option!r} in feature set {feature_set!r}; the options are "
                "layer=<layers> and pooling=mean|mean_std, e.g. 'hf:facebook/wav2vec2-base,"
                "layer=6,pooling=mean_std'"
            )
        if key == "pooling" and value not in POOLINGS:
            raise ValueError(
                f"pooling={value!r} in feature set {feature_set!r}: use 'mean' or 'mean_std'"
            )
        settings[key] = _parse_layer(value, repr(feature_set)) if key == "layer" else value
    return settings


def resolve_layers(layer, n_layers):
    """``(groups, labels)``: each group is a tuple of hidden-state indices to average."""
    n_states = n_layers + 1
    if isinstance(layer, str):
        if layer == "all":
            return [(k,) for k in range(n_states)], [str(k) for k in range(n_states)]
        index = n_layers // 2 if layer == "middle" else n_layers
        return [(index,)], [str(index)]
    indices = [layer] if isinstance(layer, Integral) else list(layer)
    if not indices:
        raise ValueError("layer=[] names no layer; give at least one index")
    resolved = []
    for k in indices:
        if isinstance(k, bool) or not isinstance(k, Integral) or not -n_states <= k < n_states:
            raise ValueError(
                f"layer {k!r} is out of range: this model has hidden layers 0..{n_layers} "
                f"(0: input of the first transformer layer; negative indices count from the "
                f"last, -1 = {n_layers})"
            )
        resolved.append(int(k) % n_states)
    return [tuple(resolved)], ["+".join(str(k) for k in resolved)]


def layer_key(layer):
    """A hashable form of a ``layer`` parameter."""
    return layer if isinstance(layer, (str, Integral)) else tuple(layer)


def short_name(model):
    """The last part of a model id or folder, e.g. ``"wav2vec2-base"``."""
    return os.path.basename(os.path.normpath(str(model))) or str(model)


@lru_cache(maxsize=8)
def model_config(model):
    """The ``transformers`` configuration of ``model`` (hub id or folder)."""
    transformers = import_transformers()
    try:
        return transformers.AutoConfig.from_pretrained(model)
    except (OSError, ValueError) as exc:
        raise OSError(
            f"could not load the configuration of model {model!r}: {exc}. Give a model id of "
            "the Hugging Face hub (downloaded once, then cached), such as "
            "'facebook/wav2vec2-base', or a local folder written by save_pretrained"
        ) from exc


@lru_cache(maxsize=32)
def feature_names_of(model, layer, pooling):
    """Column names ``"<model>_layer<k>_<mean|std>_<i>"``, in (layer, statistic, i) order."""
    config = model_config(model)
    if not hasattr(config, "num_hidden_layers") or not hasattr(config, "hidden_size"):
        raise ValueError(f"model {model!r} ({type(config).__name__}) is not a speech encoder")
    _, labels = resolve_layers(layer, int(config.num_hidden_layers))
    stats = ("mean",) if pooling == "mean" else ("mean", "std")
    short = short_name(model)
    return tuple(
        f"{short}_layer{label}_{stat}_{i}"
        for label in labels
        for stat in stats
        for i in range(int(config.hidden_size))
    )


def hf_feature_names(feature_set):
    """Feature names of an ``"hf:..."`` feature set (reads the model's configuration only)."""
    s = parse_hf_feature_set(feature_set)
    return list(feature_names_of(s["model"], layer_key(s["layer"]), s["pooling"]))
