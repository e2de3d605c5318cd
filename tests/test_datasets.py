"""Corpus loaders and label harmonisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skser.datasets import (
    EMOTIONS,
    LAYOUTS,
    detect_layout,
    harmonize_label,
    harmonize_labels,
    load_corpus,
    to_common_classes,
)

COLUMNS = ["path", "emotion", "speaker", "gender", "corpus", "label"]


def touch(root, *names):
    """Create empty files (the loaders read names, not audio)."""
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    return root


def check_frame(df):
    assert list(df.columns) == COLUMNS
    assert df["path"].tolist() == sorted(df["path"].tolist())
    assert set(df["emotion"].dropna()) <= set(EMOTIONS)
    assert set(df["gender"].dropna()) <= {"male", "female"}
    assert df.index.tolist() == list(range(len(df)))


# ----------------------------------------------------------------------------- real corpora


def corpus_dir(real_data, name):
    """A corpus folder of the real speech data; skips when this copy lacks it."""
    path = real_data / name
    if not path.is_dir():
        pytest.skip(f"the real speech data has no {name}/ folder")
    return path


@pytest.mark.realdata
def test_emodb_real(real_data):
    df = load_corpus(real_data / "emodb")
    check_frame(df)
    assert len(df) == 339
    assert df["emotion"].value_counts().to_dict() == {
        "angry": 127, "neutral": 79, "happy": 71, "sad": 62}
    assert df["speaker"].nunique() == 10
    assert set(df["speaker"]) == {f"emodb:{s}" for s in
                                  ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]}
    assert (df["corpus"] == "emodb").all()
    assert df["gender"].notna().all()
    assert set(df.loc[df["gender"] == "male", "speaker"]) == {
        "emodb:03", "emodb:10", "emodb:11", "emodb:12", "emodb:15"}
    assert set(df["label"]) == {"W", "F", "N", "T"}
    assert detect_layout(real_data / "emodb" / "wav") == "emodb"


@pytest.mark.realdata
def test_urdu_real(real_data):
    df = load_corpus(real_data / "urdu")
    check_frame(df)
    assert len(df) == 400
    assert df["emotion"].value_counts().to_dict() == {
        "angry": 100, "happy": 100, "neutral": 100, "sad": 100}
    assert df["speaker"].nunique() == 29
    assert df["speaker"].str.match(r"^urdu:S[MF]\d+$").all()
    # the gender letter is part of the speaker id
    assert ((df["gender"] == "male") == df["speaker"].str.startswith("urdu:SM")).all()
    assert set(df["label"]) == {"Angry", "Happy", "Neutral", "Sad"}
    # the emotion letter in the file name agrees with the class folder
    letter = df["path"].str.extract(r"_([AHNS])\d+\.wav$")[0]
    assert (letter == df["emotion"].str[0].str.upper()).all()
    assert detect_layout(real_data / "urdu") == "urdu"


@pytest.mark.realdata
def test_emovo_real(real_data):
    df = load_corpus(corpus_dir(real_data, "emovo"))
    assert list(df.columns) == COLUMNS + ["sentence"]
    check_frame(df[COLUMNS])
    assert len(df) == 336
    assert df["emotion"].value_counts().to_dict() == {
        "angry": 84, "happy": 84, "neutral": 84, "sad": 84}
    assert set(df["speaker"]) == {f"emovo:{g}{i}" for g in "fm" for i in (1, 2, 3)}
    assert ((df["gender"] == "male") == df["speaker"].str.startswith("emovo:m")).all()
    # the speaker folder agrees with the speaker field of the file name
    folder = df["path"].map(lambda p: Path(p).parent.name)
    assert (("emovo:" + folder) == df["speaker"]).all()
    assert set(df["label"]) == {"rab", "gio", "neu", "tri"}
    assert df["sentence"].nunique() == 14
    assert detect_layout(real_data / "emovo") == "emovo"


@pytest.mark.realdata
def test_ased_real(real_data):
    df = load_corpus(corpus_dir(real_data, "ased"))
    assert list(df.columns) == COLUMNS + ["sentence", "repetition"]
    check_frame(df[COLUMNS])
    assert len(df) == 556
    assert df["emotion"].value_counts().to_dict() == {
        "neutral": 160, "happy": 140, "angry": 136, "sad": 120}
    assert df["speaker"].nunique() == 20
    # the class folder (01Neutral, 03Happy, ...) agrees with the letter of the file name
    folder = df["path"].map(lambda p: Path(p).parent.name[2:].lower())
    assert (folder == df["emotion"]).all()
    # a speaker has one gender code in the file names, except one file of speaker 09 (as
    # released: 15 files say female, 1 says male); the loader reports names as they are
    mixed = df.groupby("speaker")["gender"].nunique()
    assert mixed[mixed > 1].index.tolist() == ["ased:09"]
    assert df.loc[df["speaker"] == "ased:09", "gender"].value_counts().to_dict() == {
        "female": 15, "male": 1}
    assert detect_layout(real_data / "ased") == "ased"


# ----------------------------------------------------------------------------- fixtures


def write_wavs(root, *names, sr=16000):
    """Write tiny real WAV files (a 10 ms tone each)."""
    import soundfile as sf

    tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(sr // 100) / sr)
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        sf.write(p, tone, sr, subtype="PCM_16")
    return root


def test_emovo_fixture_all_seven_emotions(tmp_path):
    names = ["f1/dis-f1-b1.wav", "f2/gio-f2-l3.wav", "m1/neu-m1-n5.wav", "m2/pau-m2-d1.wav",
             "m3/rab-m3-b2.wav", "f3/sor-f3-l1.wav", "m1/tri-m1-b3.wav"]
    write_wavs(tmp_path, *names)
    assert detect_layout(tmp_path) == "emovo"
    df = load_corpus(tmp_path)
    assert df.equals(load_corpus(tmp_path, layout="emovo"))
    assert list(df.columns) == COLUMNS + ["sentence"]
    check_frame(df[COLUMNS])
    df = df.set_index(df["path"].map(lambda p: Path(p).relative_to(tmp_path).as_posix()))
    assert df.loc[names, "emotion"].tolist() == [
        "disgust", "happy", "neutral", "fearful", "angry", "surprised", "sad"]
    assert df.loc[names, "speaker"].tolist() == [
        "emovo:f1", "emovo:f2", "emovo:m1", "emovo:m2", "emovo:m3", "emovo:f3", "emovo:m1"]
    assert df.loc[names, "gender"].tolist() == ["female", "female", "male", "male", "male",
                                                "female", "male"]
    assert df.loc[names, "label"].tolist() == ["dis", "gio", "neu", "pau", "rab", "sor", "tri"]
    assert df.loc[names, "sentence"].tolist() == ["b1", "l3", "n5", "d1", "b2", "l1", "b3"]
    assert (df["corpus"] == "emovo").all()
    # the full corpus' extra classes fall outside the common 4 classes
    common = to_common_classes(df.loc[names, "emotion"])
    assert common.tolist()[1:3] == ["happy", "neutral"]
    assert common.tolist()[4] == "angry" and common.tolist()[6] == "sad"
    assert common.iloc[[0, 3, 5]].isna().all()


def test_ased_fixture_all_five_emotions(tmp_path):
    names = ["01Neutral/n1-01-01-01-01.wav", "02Fearful/f2-05-02-02-12.wav",
             "03Happy/h3-10-03-01-07.wav", "04Sad/s4-02-01-02-50.wav",
             "05Angry/a5-03-01-02-50.wav"]
    write_wavs(tmp_path, *names)
    assert detect_layout(tmp_path) == "ased"
    df = load_corpus(tmp_path)
    assert df.equals(load_corpus(tmp_path, layout="ased"))
    assert list(df.columns) == COLUMNS + ["sentence", "repetition"]
    check_frame(df[COLUMNS])
    assert df["emotion"].tolist() == ["neutral", "fearful", "happy", "sad", "angry"]
    assert df["speaker"].tolist() == ["ased:01", "ased:12", "ased:07", "ased:50", "ased:50"]
    assert df["gender"].tolist() == ["female", "male", "female", "male", "male"]
    assert df["label"].tolist() == ["n", "f", "h", "s", "a"]
    assert df["sentence"].tolist() == ["01", "05", "10", "02", "03"]
    assert df["repetition"].tolist() == ["01", "02", "03", "01", "01"]
    common = to_common_classes(df["emotion"])
    assert common.tolist()[0] == "neutral" and common.tolist()[2:] == ["happy", "sad", "angry"]
    assert pd.isna(common[1])


def test_extra_columns_only_where_names_carry_them(tmp_path):
    # a layout without sentence/repetition fields keeps the common columns only
    touch(tmp_path / "emodb", "03a01Wa.wav")
    assert list(load_corpus(tmp_path / "emodb").columns) == COLUMNS
    # EMOVO and ASED names that do not parse are skipped with a warning naming the layout
    write_wavs(tmp_path / "ased", "05Angry/a5-03-01-02-50.wav", "05Angry/a5-03-01-03-50.wav")
    with pytest.warns(UserWarning, match="1 of 2 .* ased naming"):
        assert len(load_corpus(tmp_path / "ased", layout="ased")) == 1
    write_wavs(tmp_path / "emovo", "m1/rab-m1-b2.wav", "m1/xyz-m1-b2.wav")
    with pytest.warns(UserWarning, match="1 of 2 .* emovo naming"):
        assert len(load_corpus(tmp_path / "emovo", layout="emovo")) == 1


def test_emodb_fixture_all_seven_emotions(tmp_path):
    touch(tmp_path, ".trash/03a01Wb.wav", "._03a01Wa.wav", "03a01Wa.wav", "03a01La.wav",
          "08a02Ea.wav", "08a02Ab.wav", "16b10Fc.wav", "16b10Td.wav", "10a05Na.wav")
    df = load_corpus(tmp_path, layout="emodb")
    check_frame(df)
    assert df.set_index("label")["emotion"].to_dict() == {
        "W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy",
        "T": "sad", "N": "neutral"}
    assert df.set_index("speaker")["gender"].to_dict() == {
        "emodb:03": "male", "emodb:08": "female", "emodb:16": "female", "emodb:10": "male"}


def test_ravdess(tmp_path):
    names = [f"Actor_{a:02d}/03-01-{e:02d}-01-01-01-{a:02d}.wav" for a in (1, 2, 24)
             for e in range(1, 9)]
    touch(tmp_path, *names)
    df = load_corpus(tmp_path)
    check_frame(df)
    assert len(df) == 24
    assert (df["corpus"] == "ravdess").all()
    assert set(df["speaker"]) == {"ravdess:01", "ravdess:02", "ravdess:24"}
    assert df.groupby("speaker")["gender"].first().to_dict() == {
        "ravdess:01": "male", "ravdess:02": "female", "ravdess:24": "female"}
    first = df[df["speaker"] == "ravdess:01"]
    assert first["emotion"].tolist() == ["neutral", "calm", "happy", "sad", "angry", "fearful",
                                         "disgust", "surprised"]
    assert first["label"].tolist() == [f"{e:02d}" for e in range(1, 9)]


def test_cremad_with_and_without_demographics(tmp_path):
    touch(tmp_path, "AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1001_IEO_HAP_HI.wav",
          "AudioWAV/1002_DFA_SAD_XX.wav", "AudioWAV/1091_TIE_NEU_XX.wav",
          "AudioWAV/1002_ITS_FEA_LO.wav", "AudioWAV/1002_ITS_DIS_MD.wav")
    df = load_corpus(tmp_path / "AudioWAV")
    check_frame(df)
    assert (df["corpus"] == "crema-d").all()
    assert df["emotion"].tolist() == ["angry", "happy", "sad", "disgust", "fearful", "neutral"]
    assert df["label"].tolist() == ["ANG", "HAP", "SAD", "DIS", "FEA", "NEU"]
    assert df["gender"].isna().all()
    assert set(df["speaker"]) == {"crema-d:1001", "crema-d:1002", "crema-d:1091"}
    pd.DataFrame({"ActorID": [1001, 1002, 1091], "Age": [51, 21, 29],
                  "Sex": ["Male", "Female", "Female"]}).to_csv(
        tmp_path / "VideoDemographics.csv", index=False)
    df = load_corpus(tmp_path / "AudioWAV", layout="crema-d")
    assert df.groupby("speaker")["gender"].first().to_dict() == {
        "crema-d:1001": "male", "crema-d:1002": "female", "crema-d:1091": "female"}


def test_tess(tmp_path):
    touch(tmp_path, "OAF_angry/OAF_back_angry.wav", "OAF_Pleasant_surprise/OAF_back_ps.wav",
          "YAF_sad/YAF_dog_sad.wav", "YAF_fear/YAF_dog_fear.wav",
          "YAF_neutral/YAF_chain_neutral.wav", "OAF_disgust/OAF_bite_disgust.wav",
          "OAF_happy/OAF_bite_happy.wav")
    df = load_corpus(tmp_path)
    check_frame(df)
    assert (df["corpus"] == "tess").all()
    assert set(df["speaker"]) == {"tess:OAF", "tess:YAF"}
    assert (df["gender"] == "female").all()
    got = dict(zip(df["label"], df["emotion"]))
    assert got == {"angry": "angry", "ps": "surprised", "sad": "sad", "fear": "fearful",
                   "neutral": "neutral", "disgust": "disgust", "happy": "happy"}


@pytest.mark.parametrize("nested", [False, True])
def test_savee(tmp_path, nested):
    codes = ["a01", "d02", "f03", "h04", "n05", "sa06", "su07"]
    names = [f"{s}/{c}.wav" if nested else f"{s}_{c}.wav" for s in ("DC", "KL") for c in codes]
    touch(tmp_path, *names)
    df = load_corpus(tmp_path)
    check_frame(df)
    assert len(df) == 14
    assert set(df["speaker"]) == {"savee:DC", "savee:KL"}
    assert (df["gender"] == "male").all()
    assert dict(zip(df["label"], df["emotion"])) == {
        "a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral",
        "sa": "sad", "su": "surprised"}


def test_urdu_fixture(tmp_path):
    touch(tmp_path, "Angry/SM1_F10_A010.wav", "Happy/SF3_F2_H002.wav",
          "Neutral/SM12_F1_N001.wav", "Sad/SF3_F5_S005.wav")
    df = load_corpus(tmp_path, layout="urdu")
    check_frame(df)
    assert df["emotion"].tolist() == ["angry", "happy", "neutral", "sad"]
    assert df["speaker"].tolist() == ["urdu:SM1", "urdu:SF3", "urdu:SM12", "urdu:SF3"]
    assert df["gender"].tolist() == ["male", "female", "male", "female"]


EMO_EVAL = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[6.2901 - 8.2357]\t{d}_F000\tneu\t[2.5000, 2.5000, 2.5000]
C-E2:\tNeutral;\t()
A-E3:\tval 3; act 2; dom  2;\t()

[10.0100 - 11.3925]\t{d}_M000\tang\t[2.0000, 3.5000, 3.5000]
C-E2:\tAnger;\t()

[14.8872 - 18.0175]\t{d}_F001\texc\t[3.5000, 3.0000, 3.0000]

[19.2900 - 20.7875]\t{d}_M001\tfru\t[2.0000, 3.0000, 3.0000]

[21.0000 - 22.0000]\t{d}_M002\tsad\t[2.0000, 2.0000, 2.0000]
"""


def make_iemocap(root, with_missing=False):
    for ses, dialog in [(1, "Ses01F_impro01"), (2, "Ses02M_script01_1")]:
        sess = root / f"Session{ses}"
        ev = sess / "dialog" / "EmoEvaluation" / f"{dialog}.txt"
        ev.parent.mkdir(parents=True)
        ev.write_text(EMO_EVAL.format(d=dialog))
        # sub-folders of EmoEvaluation hold per-evaluator files that are not the labels
        (ev.parent / "Categorical").mkdir()
        (ev.parent / "Categorical" / f"{dialog}_e1_cat.txt").write_text("x :Neutral; ()\n")
        utts = ["F000", "M000", "F001", "M001", "M002"]
        if with_missing:
            utts = utts[:-1]
        touch(sess / "sentences" / "wav" / dialog, *[f"{dialog}_{u}.wav" for u in utts])
    return root


def test_iemocap(tmp_path):
    df = load_corpus(make_iemocap(tmp_path))
    check_frame(df.drop(columns=["valence", "arousal", "dominance"]))  # see test_dimensions
    assert len(df) == 10
    assert (df["corpus"] == "iemocap").all()
    s1 = df[df["path"].str.contains("Ses01F_impro01")]
    assert s1["label"].tolist() == ["neu", "exc", "ang", "fru", "sad"]
    assert s1["emotion"].tolist()[:3] == ["neutral", "happy", "angry"]
    assert pd.isna(s1["emotion"].iloc[3])  # frustration is not harmonised
    assert s1["speaker"].tolist() == ["iemocap:01F", "iemocap:01F", "iemocap:01M",
                                      "iemocap:01M", "iemocap:01M"]
    assert s1["gender"].tolist() == ["female", "female", "male", "male", "male"]
    assert set(df["speaker"]) == {"iemocap:01F", "iemocap:01M", "iemocap:02F", "iemocap:02M"}


def test_iemocap_missing_wav_warns(tmp_path):
    with pytest.warns(UserWarning, match="2 utterances"):
        df = load_corpus(make_iemocap(tmp_path, with_missing=True), layout="iemocap")
    assert len(df) == 8


def test_generic_folders(tmp_path):
    touch(tmp_path / "mycorpus", "Angry/a.wav", "Angry/sub/b.wav", "neutral/c.flac",
          "Happiness/d.wav", ".hidden/e.wav", "sad/._f.wav")
    df = load_corpus(tmp_path / "mycorpus")
    check_frame(df)
    assert df["label"].tolist() == ["Angry", "Angry", "Happiness", "neutral"]
    assert df["emotion"].tolist() == ["angry", "angry", "happy", "neutral"]
    assert (df["corpus"] == "mycorpus").all()
    assert df["speaker"].isna().all() and df["gender"].isna().all()


def test_generic_folders_unknown_class_warns(tmp_path):
    touch(tmp_path, "angry/a.wav", "frustrated/b.wav")
    with pytest.warns(UserWarning, match="frustrated"):
        df = load_corpus(tmp_path, layout="folders")
    assert df["emotion"].isna().tolist() == [False, True]


def test_csv_manifest(tmp_path):
    touch(tmp_path, "audio/x1.wav", "audio/x2.wav", "audio/x3.wav")
    pd.DataFrame({"path": ["audio/x2.wav", "audio/x1.wav", str(tmp_path / "audio/x3.wav")],
                  "Label": ["ANG", "Neutral", "calm"], "speaker": ["p1", "p2", "p1"],
                  "gender": ["F", "m", None]}).to_csv(tmp_path / "study.csv", index=False)
    df = load_corpus(tmp_path / "study.csv")
    check_frame(df)
    assert df["emotion"].tolist() == ["neutral", "angry", "calm"]
    assert df["label"].tolist() == ["Neutral", "ANG", "calm"]
    assert df["speaker"].tolist() == ["study:p2", "study:p1", "study:p1"]
    assert df["gender"].tolist()[:2] == ["male", "female"] and pd.isna(df["gender"].iloc[2])
    assert (df["corpus"] == "study").all()


def test_csv_errors(tmp_path):
    pd.DataFrame({"file": ["a.wav"], "label": ["sad"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(ValueError, match="'path' column"):
        load_corpus(tmp_path / "m.csv")
    pd.DataFrame({"path": ["gone.wav"], "emotion": ["sad"]}).to_csv(tmp_path / "m.csv",
                                                                     index=False)
    with pytest.raises(FileNotFoundError, match="gone.wav"):
        load_corpus(tmp_path / "m.csv", layout="csv")


# ----------------------------------------------------------------------------- detection, errors


@pytest.mark.parametrize("layout,names", [
    ("emodb", ["03a01Wa.wav", "09b03Nb.wav"]),
    ("ravdess", ["Actor_01/03-01-05-01-01-01-01.wav"]),
    ("crema-d", ["1001_DFA_ANG_XX.wav"]),
    ("tess", ["OAF_angry/OAF_back_angry.wav"]),
    ("savee", ["JE_sa01.wav", "JE_su02.wav"]),
    ("urdu", ["Angry/SM1_F10_A010.wav"]),
    ("emovo", ["m1/rab-m1-b2.wav", "f2/neu-f2-n1.wav"]),
    ("ased", ["05Angry/a5-03-01-02-50.wav", "04Sad/s4-01-01-01-01.wav"]),
    ("folders", ["happy/x.wav", "sad/y.wav"]),
])
def test_detect_layout(tmp_path, layout, names):
    touch(tmp_path, *names)
    assert detect_layout(tmp_path) == layout
    assert len(load_corpus(tmp_path)) == len(names)


def test_detect_iemocap_and_csv(tmp_path):
    make_iemocap(tmp_path / "IEMOCAP")
    assert detect_layout(tmp_path / "IEMOCAP") == "iemocap"
    touch(tmp_path, "a.wav")
    (tmp_path / "m.csv").write_text("path,label\na.wav,sad\n")
    assert detect_layout(tmp_path / "m.csv") == "csv"


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_corpus(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no audio files"):
        load_corpus(tmp_path)
    with pytest.raises(ValueError, match="no audio files"):
        load_corpus(tmp_path, layout="emodb")
    with pytest.raises(ValueError, match="unknown layout 'emo'"):
        load_corpus(tmp_path, layout="emo")
    touch(tmp_path, "recording1.wav", "recording2.wav")
    with pytest.raises(ValueError, match="cannot tell the layout") as err:
        load_corpus(tmp_path)
    for layout in LAYOUTS:
        assert layout in str(err.value)
    with pytest.raises(ValueError, match="follows the emodb naming"):
        load_corpus(tmp_path, layout="emodb")
    with pytest.raises(ValueError, match="no class folders"):
        load_corpus(tmp_path, layout="folders")
    with pytest.raises(ValueError, match="EmoEvaluation"):
        load_corpus(tmp_path, layout="iemocap")
    with pytest.raises(ValueError, match="needs a manifest file"):
        load_corpus(tmp_path, layout="csv")


def test_mismatching_files_are_skipped_with_warning(tmp_path):
    touch(tmp_path, "03a01Wa.wav", "notes.wav")
    with pytest.warns(UserWarning, match="1 of 2"):
        df = load_corpus(tmp_path, layout="emodb")
    assert len(df) == 1


# ----------------------------------------------------------------------------- labels


def test_harmonize():
    assert harmonize_label(" Happiness ") == "happy"
    assert harmonize_label("pleasant surprise") == "surprised"
    assert harmonize_label("xxx") is None
    assert harmonize_label(None) is None
    for e in EMOTIONS:
        assert harmonize_label(e.upper()) == e
    with pytest.warns(UserWarning, match="oth"):
        assert harmonize_labels(["neu", "oth"]) == ["neutral", None]


def test_to_common_classes():
    emotions = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised",
                "boredom", None]
    out = to_common_classes(emotions)
    assert isinstance(out, np.ndarray)
    assert out[:5].tolist() == ["neutral", "neutral", "happy", "sad", "angry"]
    assert pd.isna(out[5:]).all()
    s = pd.Series(emotions[:3], index=[10, 11, 12], name="emotion")
    res = to_common_classes(s, classes=("neutral", "happy"))
    assert isinstance(res, pd.Series) and res.index.tolist() == [10, 11, 12]
    assert res.tolist() == ["neutral", "neutral", "happy"]
    res = to_common_classes(["boredom", "calm"], mapping={"boredom": "neutral"})
    assert res[0] == "neutral" and pd.isna(res[1])
    with pytest.raises(ValueError, match="no emotion would be kept"):
        to_common_classes(["sad"], classes=("a", "b"), mapping={"sad": "low"})
    with pytest.raises(ValueError, match="empty"):
        to_common_classes(["sad"], classes=())


@pytest.mark.realdata
def test_common_classes_on_real_corpora(real_data):
    df = pd.concat([load_corpus(corpus_dir(real_data, name))[COLUMNS]
                    for name in ("emodb", "urdu", "emovo", "ased")])
    common = to_common_classes(df["emotion"])
    assert common.notna().all()
    assert df["speaker"].nunique() == 39 + 6 + 20  # speakers never collide across corpora


def test_classes_without_a_target_are_named_as_plain_strings():
    from skser.datasets import to_common_classes

    with pytest.raises(ValueError, match=r"classes is \['x', 'y'\]; no emotion would be kept"):
        to_common_classes(["angry"], classes=np.array(["x", "y"]))


def test_csv_manifest_empty_emotion_is_counted_not_called_an_unknown_label(tmp_path):
    """An empty emotion cell used to be listed as an unknown label 'nan'."""
    import warnings

    touch(tmp_path, "a.wav", "b.wav", "c.wav")
    (tmp_path / "m.csv").write_text("path,emotion\na.wav,angry\nb.wav,\nc.wav,Frust\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = load_corpus(tmp_path / "m.csv")
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2, messages
    assert messages[0] == (f"1 of 3 rows of the manifest {tmp_path / 'm.csv'} have an empty "
                           "'emotion' cell, e.g. ['b.wav']; their emotion is left missing, and "
                           "evaluations leave them out.")
    assert messages[1].startswith("labels ['Frust'] are not emotion names skser knows")
    assert df["emotion"].isna().tolist() == [False, True, True]


def test_csv_manifest_empty_corpus_cell_is_an_error(tmp_path):
    """It used to become a corpus of its own, 'nan'."""
    touch(tmp_path, "a.wav", "b.wav")
    (tmp_path / "m.csv").write_text("path,emotion,corpus\na.wav,angry,x\nb.wav,sad,\n")
    with pytest.raises(ValueError, match=r"^1 rows of the manifest .*m\.csv have an empty "
                                         r"'corpus' cell, e\.g\. \['b\.wav'\]; give every row "
                                         r"its corpus, or drop the column"):
        load_corpus(tmp_path / "m.csv")
