"""Emotion label harmonisation across corpora."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

#: The harmonised emotion names used by every loader.
EMOTIONS = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
    "boredom",
)

# Spellings seen in corpus distributions (lower-cased) -> harmonised name.
_SYNONYMS = {
    "neutral": "neutral",
    "neu": "neutral",
    "n": "neutral",
    "calm": "calm",
    "happy": "happy",
    "happiness": "happy",
    "hap": "happy",
    "joy": "happy",
    "excited": "happy",
    "exc": "happy",
    "sad": "sad",
    "sadness": "sad",
    "angry": "angry",
    "anger": "angry",
    "ang": "angry",
    "fearful": "fearful",
    "fear": "fearful",
    "fea": "fearful",
    "afraid": "fearful",
    "disgust": "disgust",
    "dis": "disgust",
    "disgusted": "disgust",
    "surprised": "surprised",
    "surprise": "surprised",
    "sur": "surprised",
    "ps": "surprised",
    "pleasant_surprise": "surprised",
    "pleasant_surprised": "surprised",
    "boredom": "boredom",
    "bored": "boredom",
}

#: Default mapping of harmonised emotions onto the common 4-class set.
DEFAULT_COMMON_MAPPING = {
    "neutral": "neutral",
    "calm": "neutral",
    "happy": "happy",
    "sad": "sad",
    "angry": "angry",
}


def harmonize_label(label) -> str | None:
    """Return the harmonised emotion name of one corpus label, or None when unknown.

    Parameters
    ----------
    label : str
        A corpus' own label, e.g. ``"Angry"``, ``"ANG"``, ``"hap"`` or ``"ps"``.

    Returns
    -------
    str or None
        One of :data:`EMOTIONS`, or None when the label is not recognised.

    Examples
    --------
    >>> harmonize_label("Anger"), harmonize_label("exc"), harmonize_label("frustrated")
    ('angry', 'happy', None)
    """
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return None
    key = str(label).strip().lower().replace("-", "_").replace(" ", "_")
    return _SYNONYMS.get(key)


def harmonize_labels(labels: Iterable, *, warn: bool = True) -> list:
    """Harmonise many labels; unknown labels become None (with one warning listing them).

    Parameters
    ----------
    labels : iterable of str
        Corpus labels.
    warn : bool, default=True
        Warn once, naming the unrecognised labels, when some are unknown.

    Returns
    -------
    list of str or None

    Examples
    --------
    >>> harmonize_labels(["Sad", "NEU", "sadness"])
    ['sad', 'neutral', 'sad']
    """
    labels = list(labels)
    out = [harmonize_label(lab) for lab in labels]
    if warn:
        # A missing label (None, NaN: an empty cell) is not an unknown name: it is not listed.
        unknown = sorted({str(lab) for lab, h in zip(labels, out)
                          if h is None and not (lab is None or (pd.api.types.is_scalar(lab)
                                                                and pd.isna(lab)))})
        if unknown:
            warnings.warn(
                f"labels {unknown[:10]} are not emotion names skser knows "
                f"(known: {', '.join(EMOTIONS)}); their emotion is left missing.",
                UserWarning,
                stacklevel=2,
            )
    return out


def to_common_classes(
    emotions,
    classes=("neutral", "happy", "sad", "angry"),
    mapping: Mapping[str, str] | None = None,
):
    """Map harmonised emotions onto a common class set; other emotions become missing.

    The default mapping sends ``neutral`` and ``calm`` to ``"neutral"`` (RAVDESS' calm is a
    low-arousal neutral delivery), ``happy``, ``sad`` and ``angry`` to themselves, and drops
    ``fearful``, ``disgust``, ``surprised`` and ``boredom`` (they become missing values), the
    4-class set most cross-corpus SER work uses. IEMOCAP's ``exc`` (excited) is already
    harmonised to ``happy`` by :func:`load_corpus`.

    Parameters
    ----------
    emotions : array-like or pandas.Series of str
        Harmonised emotion names (missing values stay missing).
    classes : sequence of str, default=("neutral", "happy", "sad", "angry")
        The common classes to keep; a mapped emotion outside it becomes missing.
    mapping : mapping of str to str, optional
        Emotion -> common class. Defaults to the mapping above (identity for the 4 classes,
        plus ``calm -> neutral``).

    Returns
    -------
    numpy.ndarray of object or pandas.Series
        Same length (a Series keeps its index); missing entries are ``NaN``. Drop them with
        ``pandas.notna`` before fitting.

    Examples
    --------
    >>> to_common_classes(["calm", "angry", "fearful", "happy"]).tolist()
    ['neutral', 'angry', nan, 'happy']
    >>> to_common_classes(["boredom", "sad"], mapping={"boredom": "sad", "sad": "sad"}).tolist()
    ['sad', 'sad']
    """
    classes = tuple(classes)
    if not classes:
        raise ValueError("classes is empty; give at least one common class name.")
    if mapping is None:
        mapping = DEFAULT_COMMON_MAPPING
    mapping = dict(mapping)
    if not any(v in classes for v in mapping.values()):
        raise ValueError(f"mapping targets {sorted(set(map(str, mapping.values())))} but classes "
                         f"is {[str(c) for c in classes]}; no emotion would be kept.")

    def _map(e):
        if e is None or (isinstance(e, float) and np.isnan(e)) or e is pd.NA:
            return np.nan
        target = mapping.get(str(e))
        return target if target in classes else np.nan

    if isinstance(emotions, pd.Series):
        return pd.Series([_map(e) for e in emotions], index=emotions.index, name=emotions.name,
                         dtype=object)
    values = emotions.tolist() if isinstance(emotions, np.ndarray) else list(emotions)
    return np.array([_map(e) for e in values], dtype=object)
