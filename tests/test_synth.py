"""The synthetic emotional speech corpus."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skser.datasets import EMOTIONS, make_speech_corpus


@pytest.fixture(scope="module")
def default_corpus():
    return make_speech_corpus(random_state=0)


def test_shapes_and_metadata(default_corpus):
    signals, meta = default_corpus
    assert len(signals) == len(meta) == 2 * 6 * 4 * 4
    assert list(meta.columns) == ["emotion", "speaker", "corpus", "gender"]
    assert meta.attrs["sr"] == 16000
    for x in signals:
        assert x.dtype == np.float32 and x.shape == (24000,)
        assert np.isfinite(x).all() and np.abs(x).max() <= 1.0 and np.abs(x).max() > 0.01
    assert sorted(meta["corpus"].unique()) == ["synth0", "synth1"]
    assert meta.groupby("corpus")["speaker"].nunique().tolist() == [6, 6]
    assert meta["speaker"].str.match(r"^synth[01]:\d\d$").all()
    # every speaker says every emotion n_utterances times, and has one gender
    counts = meta.groupby(["speaker", "emotion"]).size()
    assert len(counts) == 12 * 4 and (counts == 4).all()
    assert (meta.groupby("speaker")["gender"].nunique() == 1).all()
    assert (meta.groupby("corpus")["gender"].nunique() == 2).all()


def test_deterministic():
    a, meta_a = make_speech_corpus(n_speakers=2, n_utterances=1, duration=0.5, random_state=3)
    b, meta_b = make_speech_corpus(n_speakers=2, n_utterances=1, duration=0.5, random_state=3)
    c, _ = make_speech_corpus(n_speakers=2, n_utterances=1, duration=0.5,
                              random_state=np.random.default_rng(4))
    pd.testing.assert_frame_equal(meta_a, meta_b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert all(not np.array_equal(x, z) for x, z in zip(a, c) if x.shape == z.shape)


def test_options():
    signals, meta = make_speech_corpus(n_corpora=3, n_speakers=1, n_utterances=2,
                                       emotions=EMOTIONS, duration=(0.3, 0.8), sr=8000,
                                       random_state=0)
    assert len(signals) == 3 * 1 * 9 * 2
    assert set(meta["emotion"]) == set(EMOTIONS)
    assert meta["corpus"].nunique() == 3
    lengths = np.array([x.size for x in signals])
    assert lengths.min() >= 0.3 * 8000 and lengths.max() <= 0.8 * 8000
    assert len(set(lengths)) > 10


@pytest.mark.parametrize("kwargs,match", [
    ({"n_corpora": 0}, "n_corpora"),
    ({"n_speakers": 1.5}, "n_speakers"),
    ({"n_utterances": -1}, "n_utterances"),
    ({"emotions": ("happy", "joyful")}, "emotions"),
    ({"emotions": ("happy", "happy")}, "emotions"),
    ({"emotions": ()}, "emotions"),
    ({"duration": 0.1}, "duration"),
    ({"duration": (1.0, 0.5)}, "duration"),
    ({"duration": np.nan}, "duration"),
    ({"sr": 4000}, "sr"),
    ({"random_state": "seed"}, "random_state"),
])
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_speech_corpus(**kwargs)


def test_emotion_acoustics_go_the_expected_way(default_corpus):
    """Angry speech is louder than sad speech for every speaker."""
    signals, meta = default_corpus
    level = pd.Series([10 * np.log10(np.mean(x.astype(float) ** 2)) for x in signals])
    by = level.groupby([meta["speaker"], meta["emotion"]]).mean().unstack()
    assert (by["angry"] > by["sad"]).all()
    assert (by["angry"] > by["neutral"]).mean() > 0.8


def _simple_features(signals, sr=16000):
    """Utterance-level features computed here, independent of skser.features."""
    import librosa

    feats = []
    for x in signals:
        spec = np.abs(librosa.stft(x, n_fft=512, hop_length=256))
        mfcc = librosa.feature.mfcc(S=librosa.amplitude_to_db(spec), sr=sr, n_mfcc=13)
        level = 20 * np.log10(librosa.feature.rms(S=spec, frame_length=512)[0] + 1e-6)
        f0 = librosa.yin(x, fmin=60, fmax=500, sr=sr, frame_length=1024, hop_length=512)
        feats.append(np.r_[mfcc.mean(1), mfcc.std(1), level.max(), level.std(),
                           np.median(np.log(f0)), np.std(np.log(f0))])
    return np.array(feats)


def test_learnable_and_corpora_differ(default_corpus):
    signals, meta = default_corpus
    try:
        from skser.features import AcousticFeatures

        X = AcousticFeatures(feature_set="egemaps_like").fit_transform(signals)
    except ImportError:  # pragma: no cover - the features subpackage ships with skser
        X = _simple_features(signals)
    model = make_pipeline(StandardScaler(), SVC())
    # speaker-independent emotion recognition, chance = 0.25
    emotion = cross_val_score(model, X, meta["emotion"], groups=meta["speaker"],
                              cv=GroupKFold(3), scoring="balanced_accuracy").mean()
    assert emotion > 0.6
    # the corpus is predictable from the audio, chance = 0.5
    corpus = cross_val_score(model, X, meta["corpus"],
                             cv=StratifiedKFold(3, shuffle=True, random_state=0),
                             scoring="balanced_accuracy").mean()
    assert corpus > 0.85


def test_learnable_with_simple_features():
    signals, meta = make_speech_corpus(n_speakers=4, n_utterances=3, random_state=1)
    X = _simple_features(signals)
    model = make_pipeline(StandardScaler(), SVC())
    score = cross_val_score(model, X, meta["emotion"], groups=meta["speaker"],
                            cv=GroupKFold(4), scoring="balanced_accuracy").mean()
    assert score > 0.45
