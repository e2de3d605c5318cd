"""Arousal and valence: label maps, rating bins, the table helper and IEMOCAP's ratings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skser.datasets import (
    AROUSAL_MAP,
    AROUSAL_MAP_3,
    EMOTIONS,
    LEVELS,
    RATING_THRESHOLDS,
    VALENCE_MAP,
    VALENCE_MAP_3,
    add_dimensions,
    bin_ratings,
    harmonize_label,
    load_corpus,
    to_dimension,
)
from skser.datasets._loaders import (
    _CREMAD_EMOTION,
    _EMODB_EMOTION,
    _RAVDESS_EMOTION,
    _SAVEE_EMOTION,
    _URDU_EMOTION,
)

# ----------------------------------------------------------------------------- the maps

# The binary clustering of Schuller et al. (2010), written out by class.
HIGH_AROUSAL = {"angry", "happy", "fearful", "surprised"}
LOW_AROUSAL = {"sad", "boredom", "neutral", "disgust", "calm"}
POSITIVE = {"happy", "surprised", "neutral", "calm"}
NEGATIVE = {"angry", "sad", "fearful", "disgust", "boredom"}

MAPS = {("arousal", 2): AROUSAL_MAP, ("valence", 2): VALENCE_MAP,
        ("arousal", 3): AROUSAL_MAP_3, ("valence", 3): VALENCE_MAP_3}

# The categories of each supported corpus, as its own labels (loader code tables) or, for
# corpora whose codes are not English, as the category names of its documentation.
CORPUS_CATEGORIES = {
    "emodb": list(_EMODB_EMOTION.values()),
    "ravdess": list(_RAVDESS_EMOTION.values()),
    "crema-d": list(_CREMAD_EMOTION.values()),
    "tess": [harmonize_label(c) for c in
             ("angry", "disgust", "fear", "happy", "neutral", "ps", "sad")],
    "savee": list(_SAVEE_EMOTION.values()),
    "urdu": list(_URDU_EMOTION.values()),
    "iemocap": [harmonize_label(c) for c in
                ("neu", "hap", "exc", "ang", "sad", "fru", "fea", "sur", "dis", "oth", "xxx")],
    "emovo": [harmonize_label(c) for c in
              ("anger", "joy", "neutral", "sadness", "disgust", "fear", "surprise")],
    "ased": [harmonize_label(c) for c in ("neutral", "fearful", "happy", "sad", "angry")],
}


@pytest.mark.parametrize("key", list(MAPS), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_emotion_is_placed_or_dropped(key):
    mapping = MAPS[key]
    assert set(mapping) == set(EMOTIONS)
    assert {v for v in mapping.values() if v is not None} <= set(LEVELS[key])


def test_binary_maps_are_the_cited_clusters():
    assert {e for e, c in AROUSAL_MAP.items() if c == "high"} == HIGH_AROUSAL
    assert {e for e, c in AROUSAL_MAP.items() if c == "low"} == LOW_AROUSAL
    assert {e for e, c in VALENCE_MAP.items() if c == "positive"} == POSITIVE
    assert {e for e, c in VALENCE_MAP.items() if c == "negative"} == NEGATIVE


def test_three_levels_move_only_the_neutral_state_to_the_middle():
    for three, two, middle in [(AROUSAL_MAP_3, AROUSAL_MAP, "medium"),
                               (VALENCE_MAP_3, VALENCE_MAP, "neutral")]:
        changed = {e for e in EMOTIONS if three[e] != two[e]}
        assert changed == {"neutral", "calm"}
        assert three["neutral"] == three["calm"] == middle


@pytest.mark.parametrize("mapping", list(MAPS.values()))
def test_maps_are_read_only(mapping):
    with pytest.raises(TypeError):
        mapping["neutral"] = "high"
    assert AROUSAL_MAP["neutral"] == "low"


@pytest.mark.parametrize("corpus", list(CORPUS_CATEGORIES))
def test_every_corpus_category_maps(corpus):
    """Each category of each corpus gets a class, or None exactly when skser does not
    harmonise it (IEMOCAP's frustration, other, no agreement)."""
    emotions = CORPUS_CATEGORIES[corpus]
    for dimension in ("arousal", "valence"):
        for levels in (2, 3):
            out = to_dimension(emotions, dimension, levels=levels)
            for e, c in zip(emotions, out):
                assert (c is None) == (e is None), (corpus, e, c)
    if corpus == "iemocap":
        assert to_dimension(emotions).tolist().count(None) == 3  # fru, oth, xxx


# ----------------------------------------------------------------------------- to_dimension


def test_to_dimension_series_keeps_index_and_missing():
    s = pd.Series(["angry", None, np.nan, "boredom"], index=[10, 11, 12, 13], name="emotion")
    out = to_dimension(s, "valence")
    assert isinstance(out, pd.Series)
    assert out.index.tolist() == [10, 11, 12, 13] and out.name == "emotion"
    assert out.tolist() == ["negative", None, None, "negative"]


def test_to_dimension_reads_corpus_spellings():
    assert to_dimension(["Anger", "ang", "exc", "ps", "Happiness"]).tolist() == [
        "high", "high", "high", "high", "high"]
    assert to_dimension(np.array(["neu", "sadness"]), "valence", levels=3).tolist() == [
        "neutral", "negative"]


def test_to_dimension_unknown_label_is_named():
    with pytest.raises(ValueError, match=r"\['frustrated'\].*harmonize_labels"):
        to_dimension(["angry", "frustrated"])


def test_custom_map_replaces_the_default():
    mapping = {"angry": "active", "neutral": None, "fru": "active"}
    assert to_dimension(["angry", "neutral", "fru"], mapping=mapping).tolist() == [
        "active", None, "active"]
    with pytest.raises(ValueError, match=r"\['sad'\] are not in the given mapping"):
        to_dimension(["sad"], mapping=mapping)


def test_custom_map_values_are_checked():
    with pytest.raises(TypeError, match=r"'angry' to 1"):
        to_dimension(["angry"], mapping={"angry": 1})
    with pytest.raises(TypeError, match="mixes per-corpus maps"):
        to_dimension(["angry"], mapping={"emodb": {"angry": "high"}, "sad": "low"})


def test_per_corpus_maps_apply_to_their_rows_only():
    # e.g. a study that keeps disgust high-arousal in one corpus
    mapping = {"crema-d": {**AROUSAL_MAP, "disgust": "high"}}
    labels = ["disgust", "disgust", "disgust"]
    corpora = ["crema-d", "emodb", "ravdess"]
    assert to_dimension(labels, mapping=mapping, corpus=corpora).tolist() == [
        "high", "low", "low"]
    assert to_dimension(labels, mapping=mapping, corpus="crema-d").tolist() == ["high"] * 3
    with pytest.raises(ValueError, match=r"per-corpus maps \(\['crema-d'\]\) but corpus"):
        to_dimension(labels, mapping=mapping)  # not silently the default map
    with pytest.raises(ValueError, match="corpus has 2 entries but labels has 3"):
        to_dimension(labels, corpus=["emodb", "emodb"])


def test_per_corpus_map_unknown_label_names_the_corpus():
    with pytest.raises(ValueError, match=r"\['sad'\] \(corpus 'x'\)"):
        to_dimension(["sad", "angry"], mapping={"x": {"angry": "high"}}, corpus=["x", "x"])


@pytest.mark.parametrize("kwargs, match", [
    ({"dimension": "dominance"}, "bin_ratings"),
    ({"dimension": "power"}, "'power' is not one of"),
    ({"levels": 4}, "levels=4"),
    ({"levels": True}, "levels=True"),
])
def test_to_dimension_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        to_dimension(["angry"], **kwargs)


# ----------------------------------------------------------------------------- bin_ratings


def test_binary_threshold_ties_follow_the_neutral_state():
    below, above = np.nextafter(3.0, 0.0), np.nextafter(3.0, 9.0)
    r = [below, 3.0, above]
    assert bin_ratings(r, "arousal").tolist() == ["low", "low", "high"]
    assert bin_ratings(r, "dominance").tolist() == ["low", "low", "high"]
    assert bin_ratings(r, "valence").tolist() == ["negative", "positive", "positive"]
    # and the same tie as the categorical map of neutral speech
    assert bin_ratings([3.0], "arousal")[0] == AROUSAL_MAP["neutral"]
    assert bin_ratings([3.0], "valence")[0] == VALENCE_MAP["neutral"]


def test_three_levels_boundaries():
    t1, t2 = RATING_THRESHOLDS[3]
    assert (t1, t2) == (2.0, 4.0)
    r = [1.0, 2.0, np.nextafter(2.0, 3.0), 3.0, np.nextafter(4.0, 3.0), 4.0, 5.0]
    assert bin_ratings(r, "arousal", levels=3).tolist() == [
        "low", "low", "medium", "medium", "medium", "high", "high"]
    assert bin_ratings(r, "valence", levels=3).tolist() == [
        "negative", "negative", "neutral", "neutral", "neutral", "positive", "positive"]


def test_bin_ratings_matches_a_direct_comparison(rng):
    r = np.round(rng.uniform(1, 5, 200) * 3) / 3  # means of three integer ratings
    t1, t2 = 1.7, 3.3
    expected = ["low" if v <= t1 else "high" if v >= t2 else "medium" for v in r]
    assert bin_ratings(r, "arousal", levels=3, thresholds=(t1, t2)).tolist() == expected
    expected = ["positive" if v >= 2.5 else "negative" for v in r]
    assert bin_ratings(r, "valence", thresholds=2.5).tolist() == expected


def test_bin_ratings_missing_and_series():
    s = pd.Series([4.5, np.nan, None], index=["a", "b", "c"], name="arousal")
    out = bin_ratings(s)
    assert out.index.tolist() == ["a", "b", "c"] and out.name == "arousal"
    assert out.tolist() == ["high", None, None]
    assert bin_ratings(np.array([2.0, np.nan], dtype=np.float32)).tolist() == ["low", None]
    assert to_dimension([np.float32("nan"), pd.NA, "sad"]).tolist() == [None, None, "low"]


@pytest.mark.parametrize("ratings, kwargs, match", [
    ([1.0, np.inf], {}, "rating inf is infinite"),
    ([1.0, "high"], {}, "rating 'high' is not a number"),
    ([1.0], {"thresholds": (2.0, 4.0)}, r"2 levels need 1 finite number"),
    ([1.0], {"levels": 3, "thresholds": (4.0, 2.0)}, "must increase"),
    ([1.0], {"levels": 3, "thresholds": (2.0, np.nan)}, "need 2 finite"),
    ([1.0], {"dimension": "pleasure"}, "'pleasure' is not one of"),
])
def test_bin_ratings_errors(ratings, kwargs, match):
    with pytest.raises(ValueError, match=match):
        bin_ratings(ratings, **kwargs)


# ----------------------------------------------------------------------------- add_dimensions


def test_add_dimensions_from_emotions():
    table = pd.DataFrame({"emotion": ["neutral", "disgust", None, "surprised"],
                          "corpus": ["emodb", "crema-d", "iemocap", "ravdess"]})
    before = table.copy()
    out = add_dimensions(table, levels=3)
    pd.testing.assert_frame_equal(table, before)  # the input is not changed
    assert out.columns.tolist() == ["emotion", "corpus", "arousal_level", "valence_level"]
    assert out["arousal_level"].tolist() == ["medium", "low", None, "high"]
    assert out["valence_level"].tolist() == ["neutral", "negative", None, "positive"]


def test_add_dimensions_per_corpus_mapping_uses_the_corpus_column():
    table = pd.DataFrame({"emotion": ["disgust", "disgust"], "corpus": ["crema-d", "emodb"]})
    mapping = {"arousal": {"crema-d": {"disgust": "high"}}}
    out = add_dimensions(table, "arousal", mapping=mapping)
    assert out["arousal_level"].tolist() == ["high", "low"]
    assert "valence_level" not in out
    with pytest.raises(ValueError, match="the table has no .corpus. column"):
        add_dimensions(table.drop(columns="corpus"), "arousal", mapping=mapping)


def test_add_dimensions_from_ratings_keeps_the_ratings():
    table = pd.DataFrame({"valence": [1.5, 3.0, 4.5], "arousal": [4.0, 3.0, 2.0],
                          "dominance": [4.5, 3.0, 1.0]})
    out = add_dimensions(table, ("arousal", "valence", "dominance"), source="ratings")
    assert out["arousal"].tolist() == [4.0, 3.0, 2.0]
    assert out["arousal_level"].tolist() == ["high", "low", "low"]
    assert out["valence_level"].tolist() == ["negative", "positive", "positive"]
    assert out["dominance_level"].tolist() == ["high", "low", "low"]
    out = add_dimensions(table, source="ratings", thresholds={"arousal": 2.5, "valence": 4.0})
    assert out["arousal_level"].tolist() == ["high", "high", "low"]
    assert out["valence_level"].tolist() == ["negative", "negative", "positive"]


@pytest.mark.parametrize("table, kwargs, match", [
    (pd.DataFrame({"label": ["W"]}), {}, r"no 'emotion' column \(columns: \['label'\]\)"),
    (pd.DataFrame({"emotion": ["angry"]}), {"source": "ratings"},
     r"no rating column \['arousal', 'valence'\]"),
    (pd.DataFrame({"emotion": ["angry"]}), {"dimensions": ("dominance",)}, "bin_ratings"),
    (pd.DataFrame({"emotion": ["angry"]}), {"source": "labels"}, "source='labels'"),
    (pd.DataFrame({"emotion": ["angry"]}), {"mapping": {"angry": "high"}},
     r"keyed by dimension .* got \['angry'\]"),
    (pd.DataFrame({"emotion": ["angry"]}), {"dimensions": ()}, "dimensions is empty"),
    (pd.DataFrame({"emotion": ["grumpy"]}), {}, r"\['grumpy'\]"),
])
def test_add_dimensions_errors(table, kwargs, match):
    with pytest.raises(ValueError, match=match):
        add_dimensions(table, **kwargs)


def test_add_dimensions_needs_a_table():
    with pytest.raises(TypeError, match="pandas DataFrame"):
        add_dimensions(["angry"])


# ----------------------------------------------------------------------------- IEMOCAP ratings

# Header lines as IEMOCAP writes them (tab-separated), each followed by the evaluators'
# categorical (C-...) and dimensional (A-...) lines that are not the turn's labels.
EVALUATION = (
    "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
    "[6.2901 - 8.2357]\t{d}_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "C-E2:\tNeutral;\t()\nA-E3:\tval 3; act 2; dom  2;\t()\n\n"
    "[10.0100 - 11.3925]\t{d}_F001\texc\t[4.0000, 3.5000, 3.0000]\n"
    "C-E1:\tExcited;\t()\n\n"
    "[14.8872 - 18.0175]\t{d}_M000\tang\t[1.5000, 4.0000, 4.5000]\n"
    "A-E4:\tval 1; act 4; dom  5;\t(threatening)\n\n"
    "[19.2900 - 20.7875]\t{d}_M001\tfru\t[2.0000, 3.3333, 3.6667]\n\n"
    "[21.0000 - 22.0000]\t{d}_M002\tsad\t[2.0000, 2.0000, nan-ish]\n"
)

# (utterance suffix) -> (label, valence, arousal, dominance), read off the lines above
EXPECTED = {
    "F000": ("neu", 2.5, 2.5, 2.5),
    "F001": ("exc", 4.0, 3.5, 3.0),
    "M000": ("ang", 1.5, 4.0, 4.5),
    "M001": ("fru", 2.0, 3.3333, 3.6667),
    "M002": ("sad", np.nan, np.nan, np.nan),
}


def make_iemocap(root):
    for ses, dialog in [(1, "Ses01F_impro01"), (3, "Ses03M_script02_2")]:
        sess = root / f"Session{ses}"
        ev = sess / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
        ev.parent.mkdir(parents=True)
        ev.write_text(EVALUATION.format(d=dialog))
        wavs = sess / "sentences" / "wav" / dialog
        wavs.mkdir(parents=True)
        for u in EXPECTED:
            (wavs / f"{dialog}_{u}.wav").write_bytes(b"")
    return root


def test_iemocap_ratings_are_read(tmp_path):
    with pytest.warns(UserWarning, match=r"2 turns .* no readable .*Ses01F_impro01_M002"):
        df = load_corpus(make_iemocap(tmp_path), layout="iemocap")
    assert len(df) == 10
    assert df[["valence", "arousal", "dominance"]].dtypes.eq(float).all()
    for _, row in df.iterrows():
        label, v, a, d = EXPECTED[row["path"].rsplit("_", 1)[1][:-4]]
        assert row["label"] == label
        np.testing.assert_array_equal([row["valence"], row["arousal"], row["dominance"]],
                                      [v, a, d])
    # the shared columns are unchanged and come first
    assert df.columns.tolist() == ["path", "emotion", "speaker", "gender", "corpus", "label",
                                   "valence", "arousal", "dominance"]


def test_iemocap_ratings_to_classes(tmp_path):
    with pytest.warns(UserWarning, match="no readable"):
        df = load_corpus(make_iemocap(tmp_path), layout="iemocap")
    s1 = df[df["path"].str.contains("Ses01F_impro01")]
    rated = add_dimensions(s1, source="ratings")
    # arousal 2.5, 3.5, 4.0, 3.3333, NaN; valence 2.5, 4.0, 1.5, 2.0, NaN
    assert rated["arousal_level"].tolist() == ["low", "high", "high", "high", None]
    assert rated["valence_level"].tolist() == ["negative", "positive", "negative", "negative",
                                               None]
    mapped = add_dimensions(s1)
    # from the categories: neutral, excited (happy), angry, frustrated (not placed), sad
    assert mapped["arousal_level"].tolist() == ["low", "high", "high", None, "low"]
    assert mapped["valence_level"].tolist() == ["positive", "positive", "negative", None,
                                                "negative"]


# --------------------------------------------------------------------------- tasks


def test_task_labels_map_and_mask():
    from skser.datasets._dimensions import _task_labels

    labels = np.array(["angry", None, "neutral", "sad"], dtype=object)
    y, keep = _task_labels(labels, "valence",
                           mapping={"b": {"angry": "negative", "neutral": None, "sad": None}},
                           corpus=["a", "a", "b", "a"])
    assert y.tolist() == ["negative", None, None, "negative"]
    assert keep.tolist() == [True, False, False, True]
    y, keep = _task_labels(np.array([0, 1, 1]), "emotion")
    assert y.tolist() == [0, 1, 1] and keep.all()


@pytest.mark.parametrize("task, mapping, match", [
    ("mood", None, r"task='mood' is not one of \['emotion', 'arousal', 'valence'\]"),
    ("emotion", {"angry": "high"}, "needs task='arousal' or task='valence'"),
])
def test_task_labels_errors(task, mapping, match):
    from skser.datasets._dimensions import _task_labels

    with pytest.raises(ValueError, match=match):
        _task_labels(["angry"], task, mapping=mapping)


def test_per_corpus_maps_that_match_no_corpus_are_an_error():
    # "EmoDB" is not "emodb": the map would silently not apply to any row
    mapping = {"EmoDB": {**AROUSAL_MAP, "neutral": None}}
    with pytest.raises(ValueError, match=r"per-corpus maps for \['EmoDB'\] but no label.*"
                                         r"\['emodb', 'urdu'\]"):
        to_dimension(["neutral", "sad"], mapping=mapping, corpus=["emodb", "urdu"])
    # one map among several that applies is fine (a table of some of the corpora)
    two = {**mapping, "emodb": {**AROUSAL_MAP, "neutral": None}}
    assert to_dimension(["neutral", "neutral"], mapping=two, corpus=["emodb", "urdu"]).tolist() \
        == [None, "low"]


def test_add_dimensions_per_corpus_maps_need_the_corpus_column():
    table = pd.DataFrame({"emotion": ["angry", "sad"]})
    with pytest.raises(ValueError, match=r"per-corpus maps \(\['emodb'\]\) .* table has no "
                                         r"'corpus' column"):
        add_dimensions(table, mapping={"arousal": {"emodb": dict(AROUSAL_MAP)}})
