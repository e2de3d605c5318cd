"""Emotion dimensions: arousal and valence classes from emotion categories or from ratings.

Corpora disagree on their emotion categories but every category has a place on the two
dimensions all corpora share: **arousal** (activation: how energetic the speech is) and
**valence** (how pleasant the emotion is). Cross-corpus speech emotion recognition therefore
maps each corpus' categories onto binary arousal (low/high) and binary valence
(negative/positive) and reports the UAR of those two-class problems, following B. Schuller
et al., "Cross-Corpus Acoustic Emotion Recognition: Variances and Strategies", *IEEE
Transactions on Affective Computing* 1(2), 119-131, 2010. Corpora rated on continuous scales
(IEMOCAP: valence, activation and dominance from 1 to 5) can be binned into the same classes,
or kept as numbers and scored with the CCC (:func:`skser.metrics.ccc_score`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._labels import harmonize_label

DIMENSIONS = ("arousal", "valence", "dominance")

#: Class names of each dimension, for two and three levels, from low to high.
LEVELS = MappingProxyType({
    ("arousal", 2): ("low", "high"),
    ("arousal", 3): ("low", "medium", "high"),
    ("valence", 2): ("negative", "positive"),
    ("valence", 3): ("negative", "neutral", "positive"),
    ("dominance", 2): ("low", "high"),
    ("dominance", 3): ("low", "medium", "high"),
})

#: Binary arousal of each harmonised emotion (Schuller et al. 2010). Read-only.
#:
#: High: angry, happy, fearful, surprised. Low: sad, boredom, neutral, disgust, and calm.
#: Schuller et al. map each corpus' categories separately (their EMOD row is EmoDB); their
#: maps agree on every emotion skser harmonises, and this is their common map. Sources
#: disagree on disgust's arousal; it is low here, as in their EmoDB and eNTERFACE maps, so
#: that results compare with the cross-corpus literature (pass ``mapping=`` to place it
#: high). RAVDESS' calm is in no cross-corpus map; it goes with neutral (low), as skser's
#: 4-class mapping already treats it.
AROUSAL_MAP = MappingProxyType({
    "neutral": "low",
    "calm": "low",
    "happy": "high",
    "sad": "low",
    "angry": "high",
    "fearful": "high",
    "disgust": "low",
    "surprised": "high",
    "boredom": "low",
})

#: Binary valence of each harmonised emotion (Schuller et al. 2010). Read-only.
#:
#: Positive: happy, surprised, neutral, and calm. Negative: angry, sad, fearful, disgust,
#: boredom. A binary map must put neutral somewhere; Schuller et al. put it on the positive
#: side (their EmoDB and DES maps), and so does skser. Three-level valence gives neutral its
#: own class (:data:`VALENCE_MAP_3`). Surprise is positive as in their DES and eNTERFACE
#: maps (TESS names its class "pleasant surprise"). Calm goes with neutral.
VALENCE_MAP = MappingProxyType({
    "neutral": "positive",
    "calm": "positive",
    "happy": "positive",
    "sad": "negative",
    "angry": "negative",
    "fearful": "negative",
    "disgust": "negative",
    "surprised": "positive",
    "boredom": "negative",
})

#: Three-level arousal: neutral (and calm) form the middle class, every other emotion keeps
#: its binary class. Read-only.
#:
#: Three-class arousal adds the neutral state between the two binary classes, as in
#: B. Vlasenko and A. Wendemuth, "Location of an emotionally neutral region in
#: valence-arousal space: Two-class vs. three-class cross corpora emotion recognition
#: evaluations" (trained on VAM ratings, tested on EmoDB), and in S. E. Eskimez et al.,
#: "Emotion classification: how does an automated system compare to naive human coders?"
#: (active / neutral / passive).
AROUSAL_MAP_3 = MappingProxyType({
    **AROUSAL_MAP, "neutral": "medium", "calm": "medium",
})

#: Three-level valence: negative, neutral (neutral and calm), positive. Read-only.
#:
#: Same sources as :data:`AROUSAL_MAP_3` (Eskimez et al.: positive / neutral / negative).
VALENCE_MAP_3 = MappingProxyType({
    **VALENCE_MAP, "neutral": "neutral", "calm": "neutral",
})

_MAPS = {("arousal", 2): AROUSAL_MAP, ("valence", 2): VALENCE_MAP,
         ("arousal", 3): AROUSAL_MAP_3, ("valence", 3): VALENCE_MAP_3}

#: Default rating thresholds per number of levels, on IEMOCAP's 1-5 scale. Read-only.
#:
#: Two levels split at 3, the middle of the scale. Three levels are ``[1, 2]``, ``(2, 4)``,
#: ``[4, 5]``: a rating of 2 or less is low, 4 or more is high.
RATING_THRESHOLDS = MappingProxyType({2: (3.0,), 3: (2.0, 4.0)})


def _is_missing(value) -> bool:
    """None, NaN (of any float type), pandas.NA or NaT."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _check_dimension(dimension, allowed=("arousal", "valence")):
    if dimension not in allowed:
        hint = ""
        if dimension == "dominance":
            hint = (" No emotion category has an agreed dominance; bin dominance ratings with "
                    "bin_ratings or add_dimensions(..., source='ratings').")
        raise ValueError(f"dimension={dimension!r} is not one of {list(allowed)}.{hint}")


def _check_levels(levels):
    if isinstance(levels, bool) or levels not in (2, 3):
        raise ValueError(f"levels={levels!r}; use 2 (binary) or 3 (three levels).")


def _check_map(mapping, what):
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a dict of label -> class (str or None), got "
                        f"{type(mapping).__name__}.")
    bad = {k: v for k, v in mapping.items() if not (v is None or isinstance(v, str))}
    if bad:
        k, v = next(iter(bad.items()))
        raise TypeError(f"{what} maps {k!r} to {v!r}; classes must be str, or None to drop "
                        "the label.")
    return dict(mapping)


def _resolve_maps(dimension, levels, mapping):
    """Return (default map, {corpus: map}) from the ``mapping`` argument."""
    default = dict(_MAPS[dimension, levels])
    if mapping is None:
        return default, {}
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a dict of emotion -> class, or of corpus -> such a "
                        f"dict; got {type(mapping).__name__}.")
    nested = [isinstance(v, Mapping) for v in mapping.values()]
    if mapping and all(nested):
        return default, {str(c): _check_map(m, f"mapping[{c!r}]") for c, m in mapping.items()}
    if any(nested):
        raise TypeError("mapping mixes per-corpus maps (dict values) with emotion -> class "
                        "entries; give either one map or one map per corpus.")
    return _check_map(mapping, "mapping"), {}


def _lookup(label, table):
    """The class of ``label`` in ``table``; KeyError when neither it nor its harmonised name
    is a key."""
    if label in table:
        return table[label]
    key = str(label)
    if key in table:
        return table[key]
    harmonised = harmonize_label(label)
    if harmonised is not None and harmonised in table:
        return table[harmonised]
    raise KeyError(label)


def to_dimension(labels, dimension="arousal", *, levels=2, mapping=None, corpus=None):
    """Map emotion labels onto arousal or valence classes.

    The default maps (:data:`AROUSAL_MAP`, :data:`VALENCE_MAP` for two levels,
    :data:`AROUSAL_MAP_3`, :data:`VALENCE_MAP_3` for three) place every emotion of
    ``skser.datasets.EMOTIONS``; the binary ones follow the per-corpus maps of Schuller
    et al. (2010), which agree on all of them. Labels are looked up as given, then by their
    harmonised name (:func:`~skser.datasets.harmonize_label`), so ``"Anger"`` and ``"ang"``
    work as well as ``"angry"``.

    Parameters
    ----------
    labels : array-like or pandas.Series of str
        Emotion labels, usually the ``emotion`` column of :func:`load_corpus`. Missing values
        (None, NaN) stay missing.
    dimension : {"arousal", "valence"}, default="arousal"
        The dimension to map onto.
    levels : {2, 3}, default=2
        Two classes (``low``/``high`` arousal, ``negative``/``positive`` valence) or three
        (adding ``medium`` arousal and ``neutral`` valence for the neutral state): it picks
        the default map, which a single ``mapping`` replaces.
    mapping : dict, optional
        Your own map, instead of the default: ``{label: class}`` with ``None`` for labels to
        drop, e.g. ``{"angry": "high", "sad": "low", "neutral": None}``. Or one such map per
        corpus, ``{corpus: {label: class}}``, used for the rows of that corpus (see
        ``corpus``); rows of other corpora use the default map.
    corpus : str or array-like of str, optional
        The corpus of all labels (a str) or of each label (same length as ``labels``); it
        selects the per-corpus map of ``mapping``.

    Returns
    -------
    numpy.ndarray of object or pandas.Series
        The class of each label (str), or None where the label is missing or its map drops
        it. Same length as ``labels``; a Series keeps its index and name. Drop the missing
        rows with ``pandas.notna`` before fitting.

    Raises
    ------
    ValueError
        For an unknown dimension or number of levels, a ``corpus`` of the wrong length,
        per-corpus maps without ``corpus`` or none of whose keys is a corpus of the labels,
        or labels that the map does not know (the message names them).
    TypeError
        For a mapping that is not a dict of str (or None) values.

    Examples
    --------
    >>> from skser.datasets import to_dimension
    >>> to_dimension(["angry", "sad", "neutral", "happy"]).tolist()
    ['high', 'low', 'low', 'high']
    >>> to_dimension(["angry", "sad", "neutral", "happy"], "valence").tolist()
    ['negative', 'negative', 'positive', 'positive']
    >>> to_dimension(["neutral", "Anger", None], "valence", levels=3).tolist()
    ['neutral', 'negative', None]
    >>> to_dimension(["angry", "neutral"], mapping={"angry": "active", "neutral": None}).tolist()
    ['active', None]
    """
    _check_dimension(dimension)
    _check_levels(levels)
    default, per_corpus = _resolve_maps(dimension, levels, mapping)
    is_series = isinstance(labels, pd.Series)
    values = (labels.tolist() if isinstance(labels, (pd.Series, np.ndarray, pd.Index))
              else list(labels))
    if per_corpus and corpus is None:
        raise ValueError(f"mapping holds per-corpus maps ({sorted(per_corpus)}) but corpus is "
                         "not given; pass corpus= (one name, or one per label) or a single map.")
    if corpus is None or isinstance(corpus, str):
        corpora = [corpus] * len(values)
    else:
        corpora = corpus.tolist() if isinstance(corpus, (pd.Series, np.ndarray)) else list(corpus)
        if len(corpora) != len(values):
            raise ValueError(f"corpus has {len(corpora)} entries but labels has {len(values)}; "
                             "give one corpus name, or one per label.")
    if per_corpus and len(values) and not set(per_corpus) & {str(c) for c in corpora}:
        present = sorted({str(c) for c in corpora})
        raise ValueError(
            f"mapping has per-corpus maps for {sorted(per_corpus)} but no label's corpus is "
            f"one of them (corpora: {present[:10]}), so none would apply. Key each map by a "
            "name that corpus holds (names are compared as text, case included).")
    out, unknown = [], {}
    for value, c in zip(values, corpora):
        if _is_missing(value):
            out.append(None)
            continue
        table = per_corpus.get(str(c), default) if c is not None else default
        try:
            out.append(_lookup(value, table))
        except KeyError:
            unknown.setdefault(str(c) if c is not None else None, set()).add(str(value))
            out.append(None)
    if unknown:
        where = "; ".join(
            f"{sorted(labs)[:10]}" + (f" (corpus {c!r})" if c is not None else "")
            for c, labs in unknown.items())
        source = "the given mapping" if mapping is not None else f"the {dimension} map"
        raise ValueError(
            f"labels {where} are not in {source}, which knows "
            f"{sorted(set(default) | set().union(*map(set, per_corpus.values())))}. "
            "Harmonise corpus labels with skser.datasets.harmonize_labels, or pass "
            "mapping= with these labels (map a label to None to drop it)."
        )
    result = np.array(out, dtype=object)
    if is_series:
        return pd.Series(result, index=labels.index, name=labels.name, dtype=object)
    return result


def _check_thresholds(thresholds, levels, dimension):
    if thresholds is None:
        return RATING_THRESHOLDS[levels]
    cuts = tuple(thresholds) if not isinstance(thresholds, Real) else (thresholds,)
    if len(cuts) != levels - 1 or not all(
            isinstance(t, Real) and not isinstance(t, bool) and math.isfinite(t) for t in cuts):
        raise ValueError(f"thresholds={thresholds!r} for {dimension}: {levels} levels need "
                         f"{levels - 1} finite number(s), e.g. {list(RATING_THRESHOLDS[levels])}.")
    if levels == 3 and not cuts[0] < cuts[1]:
        raise ValueError(f"thresholds={list(cuts)} for {dimension} must increase: the low "
                         "threshold comes first.")
    return tuple(float(t) for t in cuts)


def bin_ratings(ratings, dimension="arousal", *, levels=2, thresholds=None):
    """Bin continuous arousal, valence or dominance ratings into classes.

    Two levels split at one threshold ``t`` (default 3, the middle of IEMOCAP's 1-5 scale).
    A rating exactly at ``t`` goes where the categorical maps put the neutral state, so that
    binned ratings and mapped categories agree on neutral speech: arousal and dominance
    ``low`` when ``rating <= t`` (neutral is low arousal in :data:`AROUSAL_MAP`), valence
    ``positive`` when ``rating >= t`` (neutral is positive in :data:`VALENCE_MAP`). Three
    levels use two thresholds ``(t1, t2)`` (default ``(2, 4)``): ``low`` (``negative``) when
    ``rating <= t1``, ``high`` (``positive``) when ``rating >= t2`` and ``medium``
    (``neutral``) in between, i.e. IEMOCAP's 1-5 scale cut into ``[1, 2]``, ``(2, 4)``,
    ``[4, 5]``.

    Parameters
    ----------
    ratings : array-like or pandas.Series of float
        Ratings, e.g. the ``arousal`` column of an IEMOCAP table from :func:`load_corpus`.
        NaN stays missing.
    dimension : {"arousal", "valence", "dominance"}, default="arousal"
        Which dimension the ratings are; it names the classes (see :data:`LEVELS`).
    levels : {2, 3}, default=2
        Number of classes.
    thresholds : float or sequence of float, optional
        One threshold for two levels, two increasing ones for three levels, on the scale of
        the ratings. Defaults to :data:`RATING_THRESHOLDS`.

    Returns
    -------
    numpy.ndarray of object or pandas.Series
        The class of each rating (str), None where the rating is missing. A Series keeps its
        index and name.

    Raises
    ------
    ValueError
        For an unknown dimension or number of levels, thresholds that do not fit the levels,
        or a rating that is infinite or not a number (the message names it).

    Examples
    --------
    >>> from skser.datasets import bin_ratings
    >>> bin_ratings([1.5, 3.0, 3.5], "arousal").tolist()
    ['low', 'low', 'high']
    >>> bin_ratings([1.5, 3.0, 3.5], "valence").tolist()
    ['negative', 'positive', 'positive']
    >>> bin_ratings([2.0, 2.5, 4.0, float("nan")], "arousal", levels=3).tolist()
    ['low', 'medium', 'high', None]
    """
    _check_dimension(dimension, DIMENSIONS)
    _check_levels(levels)
    cuts = _check_thresholds(thresholds, levels, dimension)
    names = LEVELS[dimension, levels]
    is_series = isinstance(ratings, pd.Series)
    raw = ratings.tolist() if isinstance(ratings, (pd.Series, np.ndarray)) else list(ratings)
    try:
        values = np.array([np.nan if _is_missing(r) else r for r in raw], dtype=float)
    except (TypeError, ValueError):
        bad = next(r for r in raw if not _is_missing(r) and not isinstance(r, Real))
        raise ValueError(f"rating {bad!r} is not a number; {dimension} ratings must be "
                         "numbers (NaN where missing).") from None
    if np.isinf(values).any():
        raise ValueError(f"rating {values[np.isinf(values)][0]} is infinite; {dimension} "
                         "ratings must be finite (NaN where missing).")
    if levels == 2:
        (t,) = cuts
        upper = values >= t if dimension == "valence" else values > t
        index = upper.astype(int)
    else:
        index = np.where(values <= cuts[0], 0, np.where(values >= cuts[1], 2, 1))
    out = np.array([None if np.isnan(v) else names[i] for v, i in zip(values, index)],
                   dtype=object)
    if is_series:
        return pd.Series(out, index=ratings.index, name=ratings.name, dtype=object)
    return out


def add_dimensions(table, dimensions=("arousal", "valence"), *, levels=2, mapping=None,
                   source="emotion", thresholds=None):
    """Add arousal and valence class columns to a corpus table.

    With ``source="emotion"`` each row's ``emotion`` is mapped with :func:`to_dimension`
    (the row's ``corpus`` selects a per-corpus ``mapping``). With ``source="ratings"`` the
    rating columns of the same names (``arousal``, ``valence``, ``dominance``, as the IEMOCAP
    loader adds them) are binned with :func:`bin_ratings`. The classes go in new columns
    ``<dimension>_level`` (``arousal_level``...), so the ratings themselves are kept.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`load_corpus` (or several concatenated): ``emotion`` (and
        ``corpus``) for ``source="emotion"``, the rating columns for ``source="ratings"``.
    dimensions : sequence of str, default=("arousal", "valence")
        Dimensions to add; ``"dominance"`` only from ratings.
    levels : {2, 3}, default=2
        Number of classes.
    mapping : dict, optional
        ``{dimension: map}`` where ``map`` is what :func:`to_dimension` takes (one map, or
        one per corpus); dimensions without an entry use the default maps.
    source : {"emotion", "ratings"}, default="emotion"
        Map the emotion categories or bin the ratings.
    thresholds : float, sequence or dict, optional
        For ``source="ratings"``: thresholds of :func:`bin_ratings`, for all dimensions or
        ``{dimension: thresholds}``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with one ``<dimension>_level`` column (object: str or None) per
        dimension, in the order given.

    Raises
    ------
    ValueError
        For a missing column (the message lists the columns present), an unknown source or
        dimension, or labels the maps do not know.

    Examples
    --------
    >>> import pandas as pd
    >>> from skser.datasets import add_dimensions
    >>> table = pd.DataFrame({"emotion": ["angry", "sad", None], "corpus": "emodb"})
    >>> add_dimensions(table)[["arousal_level", "valence_level"]].values.tolist()
    [['high', 'negative'], ['low', 'negative'], [None, None]]
    >>> rated = pd.DataFrame({"arousal": [4.5, 2.0], "valence": [1.5, 3.0]})
    >>> add_dimensions(rated, source="ratings", levels=3)["valence_level"].tolist()
    ['negative', 'neutral']
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame (e.g. from load_corpus), got "
                        f"{type(table).__name__}.")
    if source not in ("emotion", "ratings"):
        raise ValueError(f"source={source!r}; use 'emotion' (map the emotion column) or "
                         "'ratings' (bin the rating columns).")
    dimensions = [dimensions] if isinstance(dimensions, str) else list(dimensions)
    if not dimensions:
        raise ValueError("dimensions is empty; give e.g. ('arousal', 'valence').")
    for d in dimensions:
        _check_dimension(d, ("arousal", "valence") if source == "emotion" else DIMENSIONS)
    if mapping is not None and source == "ratings":
        raise ValueError("mapping applies to source='emotion'; with source='ratings' give "
                         "thresholds=.")
    if mapping is not None and (not isinstance(mapping, Mapping)
                                or not set(mapping) <= {"arousal", "valence"}):
        keys = list(mapping) if isinstance(mapping, Mapping) else type(mapping).__name__
        raise ValueError(f"mapping must be a dict keyed by dimension ('arousal', 'valence'), "
                         f"got {keys}; e.g. mapping={{'arousal': {{'angry': 'high', ...}}}}.")
    out = table.copy()
    if source == "emotion":
        if "emotion" not in table.columns:
            raise ValueError(f"table has no 'emotion' column (columns: {list(table.columns)}); "
                             "load it with load_corpus, or bin ratings with source='ratings'.")
        corpus = table["corpus"].astype(object) if "corpus" in table.columns else None
        for d in dimensions:
            maps = None if mapping is None else mapping.get(d)
            if corpus is None and maps is not None:
                per_corpus = _resolve_maps(d, levels, maps)[1]
                if per_corpus:
                    raise ValueError(
                        f"mapping[{d!r}] holds per-corpus maps ({sorted(per_corpus)}) but the "
                        f"table has no 'corpus' column (columns: {list(table.columns)}); add "
                        "one, or give a single map.")
            out[f"{d}_level"] = to_dimension(table["emotion"], d, levels=levels,
                                             mapping=None if mapping is None
                                             else mapping.get(d), corpus=corpus)
        return out
    missing = [d for d in dimensions if d not in table.columns]
    if missing:
        raise ValueError(f"table has no rating column {missing} (columns: "
                         f"{list(table.columns)}); IEMOCAP tables from load_corpus carry "
                         "them, categorical corpora need source='emotion'.")
    for d in dimensions:
        cut = thresholds.get(d) if isinstance(thresholds, Mapping) else thresholds
        out[f"{d}_level"] = bin_ratings(table[d], d, levels=levels, thresholds=cut)
    return out


#: What a model can be trained to recognise from emotion labels: the emotion categories
#: themselves, or the binary arousal or valence class they map onto.
TASKS = ("emotion", "arousal", "valence")


def _check_task(task, mapping=None):
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not one of {list(TASKS)}.")
    if task == "emotion" and mapping is not None:
        raise ValueError("mapping= maps emotions onto arousal or valence classes; it needs "
                         "task='arousal' or task='valence' (task='emotion' keeps the labels).")


def _task_labels(labels, task, *, mapping=None, corpus=None):
    """The labels of ``task`` for emotion ``labels``, and which rows have one.

    ``task="emotion"`` keeps the labels; ``"arousal"`` and ``"valence"`` map them with
    :func:`to_dimension` (two levels), ``corpus`` selecting per-corpus maps of ``mapping``.

    Returns ``(labels, keep)``: an object array with the task label of each row (None where
    the emotion is missing or its map drops it; the labels as given for ``"emotion"``) and a
    boolean mask of the rows that have one.
    """
    _check_task(task, mapping)
    values = np.asarray(labels, dtype=object)
    if task == "emotion":
        return np.asarray(labels), np.ones(len(values), dtype=bool)
    mapped = to_dimension(values, task, mapping=mapping, corpus=corpus)
    return mapped, pd.notna(mapped).astype(bool)
