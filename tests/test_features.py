"""Tests of skser.features: values on known signals, edge-case audio, errors, jobs, caching."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from skser.features import AcousticFeatures, AudioReadError, extract_features, feature_names
from skser.features._acoustic import _smile

SR = 16000
NAMES = feature_names("egemaps_like")


def _feat(x, sr=SR, feature_set="egemaps_like"):
    values = extract_features(x, sr=sr, feature_set=feature_set)
    return dict(zip(feature_names(feature_set), values))


def _tone(f0, seconds=1.0, sr=SR, harmonics=(1.0, 0.5, 0.25)):
    t = np.arange(int(seconds * sr)) / sr
    return 0.3 * sum(a * np.sin(2 * np.pi * f0 * (k + 1) * t) for k, a in enumerate(harmonics))


def _pulses(period, n=SR, jitter=0.0, rng=None):
    """Impulse train with the given period in samples (optionally jittered periods)."""
    x = np.zeros(n)
    pos = 0.0
    while pos < n:
        x[int(pos)] = 1.0
        step = period if rng is None else period * (1 + jitter * rng.standard_normal())
        pos += step
    return x


# ------------------------------------------------------------------- known values


def test_feature_set_sizes_and_names():
    assert len(NAMES) == 88 and len(set(NAMES)) == 88
    assert len(feature_names("mfcc_stats")) == 52
    X = AcousticFeatures().fit_transform([_tone(200.0)])
    assert X.shape == (1, 88) and X.dtype == np.float64
    fe = AcousticFeatures(feature_set="mfcc_stats")
    assert fe.fit_transform([_tone(200.0)]).shape[1] == len(fe.get_feature_names_out())


@pytest.mark.parametrize("f0", [110.0, 220.0, 330.0])
def test_f0_of_harmonic_tone_within_one_percent(f0):
    f = _feat(_tone(f0))
    est = 27.5 * 2 ** (f["F0semitone_mean"] / 12)
    assert abs(est - f0) / f0 < 0.01
    assert f["F0semitone_range20_80"] < 0.1
    assert f["VoicedSegmentsPerSec"] == pytest.approx(1 / 0.99, rel=0.05)  # one voiced run
    assert f["HNRdBACF_mean"] > 20


def test_semitone_conversion():
    # 440 Hz is 4 octaves above 27.5 Hz: 48 semitones; 27.5 * 2**(31/12) Hz: 31 semitones.
    assert _feat(_tone(440.0))["F0semitone_mean"] == pytest.approx(48.0, abs=0.15)
    assert _feat(_tone(27.5 * 2 ** (31 / 12)))["F0semitone_mean"] == pytest.approx(31.0, abs=0.15)


def test_loudness_monotone_in_gain_and_level_in_db():
    x = _tone(180.0) + 0.01 * np.random.default_rng(0).standard_normal(SR)
    feats = [_feat(g * x) for g in (0.01, 0.1, 0.5, 1.0)]
    loud = [f["loudness_mean"] for f in feats]
    assert all(a < b for a, b in zip(loud, loud[1:]))
    # The equivalent sound level follows the gain exactly: 20 dB per factor of 10.
    assert feats[1]["equivalentSoundLevel_dB"] - feats[0]["equivalentSoundLevel_dB"] == (
        pytest.approx(20.0, abs=1e-6)
    )
    # Spectral shape does not depend on the gain.
    assert feats[0]["alphaRatioV_mean"] == pytest.approx(feats[3]["alphaRatioV_mean"], abs=1e-3)


def test_jitter_zero_for_periodic_pulse_train_and_grows_with_jitter():
    clean = _feat(_pulses(80))  # 200 Hz
    assert clean["F0semitone_mean"] == pytest.approx(12 * np.log2(200 / 27.5), abs=0.05)
    assert clean["jitterLocal_mean"] < 1e-3
    assert clean["shimmerLocaldB_mean"] < 0.05
    # Glottal-like (smoothed) pulses: jitter grows with the period perturbation.
    glottal = np.hanning(40)
    jit = [
        _feat(np.convolve(_pulses(80, jitter=j, rng=np.random.default_rng(0)), glottal))[
            "jitterLocal_mean"
        ]
        for j in (0.0, 0.01, 0.03)
    ]
    assert jit[0] < 1e-3 and jit[0] < jit[1] < jit[2]


def test_formants_of_a_resonator():
    # Pulses through two resonators at 500 and 1500 Hz: F1, F2 found near them.
    from scipy.signal import lfilter

    x = _pulses(125)  # 128 Hz
    for fc, bw in ((500.0, 80.0), (1500.0, 100.0), (2500.0, 120.0)):
        r = np.exp(-np.pi * bw / SR)
        x = lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * fc / SR), r * r], x)
    f = _feat(x / np.abs(x).max())
    assert f["F1frequency_mean"] == pytest.approx(500, rel=0.15)
    assert f["F2frequency_mean"] == pytest.approx(1500, rel=0.1)


# ------------------------------------------------------------------- edge-case audio


EDGE = {
    "silence": np.zeros(SR),
    "empty": np.zeros(0),
    "one_sample": np.array([0.3]),
    "shorter_than_frame": 0.5 * np.sin(np.arange(100)),
    "clipped": np.clip(4 * _tone(150.0), -1, 1),
    "dc": np.full(SR, 0.5),
    "white_noise": 0.3 * np.random.default_rng(1).standard_normal(SR),
    "huge_values": 1e6 * _tone(150.0),
    "tiny_values": 1e-9 * _tone(150.0),
}


@pytest.mark.parametrize("feature_set", ["egemaps_like", "mfcc_stats"])
@pytest.mark.parametrize("case", list(EDGE))
def test_edge_case_audio_gives_finite_features(case, feature_set):
    v = extract_features(EDGE[case], sr=SR, feature_set=feature_set)
    assert v.shape == (len(feature_names(feature_set)),)
    assert np.all(np.isfinite(v)), [n for n, x in zip(feature_names(feature_set), v) if not
                                    np.isfinite(x)]


def test_documented_values_for_silence_and_noise():
    f = _feat(np.zeros(SR))
    assert f["loudness_mean"] == 0.0
    assert f["equivalentSoundLevel_dB"] == pytest.approx(-120.0)
    voiced = [n for n in NAMES if n.startswith(("F0", "jitter", "shimmer", "HNR", "F1"))]
    assert all(f[n] == 0.0 for n in voiced)
    # White noise is aperiodic: (almost) no voiced frames.
    assert _feat(EDGE["white_noise"])["VoicedSegmentsPerSec"] < 3


def test_dc_offset_is_not_voiced():
    f = _feat(EDGE["dc"])
    assert f["F0semitone_mean"] == 0.0 and np.isfinite(f["loudness_mean"])


def test_nan_signal_raises():
    x = np.ones(1000)
    x[10] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        extract_features(x, sr=SR)


# ------------------------------------------------------------------- files


@pytest.fixture
def wav_files(tmp_path):
    tone = _tone(220.0, seconds=0.5)
    mono = tmp_path / "mono.wav"
    sf.write(mono, tone, SR)
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.stack([tone, 0.5 * tone], axis=1), SR)
    t44 = tmp_path / "tone44k.flac"
    sf.write(t44, _tone(220.0, seconds=0.5, sr=44100), 44100)
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"RIFF\x00\x00not really audio" * 10)
    return {"mono": mono, "stereo": stereo, "44k": t44, "bad": bad, "dir": tmp_path}


def test_stereo_is_downmixed_and_other_rates_resampled(wav_files):
    fe = AcousticFeatures()
    X = fe.fit_transform([wav_files["mono"], str(wav_files["stereo"]), wav_files["44k"]])
    assert np.all(np.isfinite(X))
    stereo_ref = extract_features(sf.read(wav_files["stereo"])[0].mean(axis=1), sr=SR)
    np.testing.assert_allclose(X[1], stereo_ref, rtol=1e-6, atol=1e-6)
    f0_44k = 27.5 * 2 ** (X[2, 0] / 12)
    assert f0_44k == pytest.approx(220.0, rel=0.01)


def test_path_containers(wav_files):
    paths = [str(wav_files["mono"]), str(wav_files["stereo"])]
    ref = AcousticFeatures().transform(paths)
    np.testing.assert_array_equal(AcousticFeatures().transform(pd.Series(paths)), ref)
    np.testing.assert_array_equal(AcousticFeatures().transform(pd.DataFrame({"p": paths})), ref)
    np.testing.assert_array_equal(AcousticFeatures().transform(np.array(paths)[:, None]), ref)


def test_unreadable_file_raise_names_the_file(wav_files):
    items = [wav_files["mono"], wav_files["bad"]]
    with pytest.raises(AudioReadError, match=r"corrupt\.wav.*item 1 of 2.*on_error"):
        AcousticFeatures().fit_transform(items)
    with pytest.raises(AudioReadError, match="no such file"):
        AcousticFeatures().transform([wav_files["dir"] / "missing.wav"])


def test_raise_stops_at_the_failing_file_and_keeps_cached_work(wav_files, tmp_path, monkeypatch):
    import skser.features._acoustic as acoustic

    calls = []
    work = acoustic._work
    monkeypatch.setattr(acoustic, "_work", lambda item, *a: calls.append(item) or work(item, *a))
    cache = tmp_path / "cache"
    items = [wav_files["mono"], wav_files["stereo"], wav_files["bad"], wav_files["44k"]]
    with pytest.raises(AudioReadError, match=r"corrupt\.wav.*item 2 of 4.*cached"):
        AcousticFeatures(memory=str(cache)).transform(items)
    assert len(calls) == 3  # the file after the failing one was never started
    assert len(list(cache.rglob("output.pkl"))) == 2  # the work done before it is saved


def test_unreadable_file_skip_and_nan(wav_files):
    items = [wav_files["mono"], wav_files["bad"], wav_files["stereo"]]
    fe = AcousticFeatures(on_error="skip")
    with pytest.warns(UserWarning, match=r"1 of 3 items.*dropped.*corrupt\.wav"):
        X = fe.fit_transform(items)
    assert X.shape == (2, 88)
    np.testing.assert_array_equal(fe.kept_indices_, [0, 2])
    assert fe.errors_[0][0] == 1 and "corrupt.wav" in fe.errors_[0][2]
    with pytest.warns(UserWarning, match="set to NaN"):
        Xn, kept, errors = AcousticFeatures(on_error="nan").extract(items)
    assert Xn.shape == (3, 88) and np.isnan(Xn[1]).all() and np.isfinite(Xn[[0, 2]]).all()
    np.testing.assert_array_equal(kept, [0, 1, 2])
    np.testing.assert_array_equal(Xn[[0, 2]], X)


def test_skip_with_pandas_output_keeps_the_labels_of_the_kept_rows(wav_files):
    items = pd.Series([str(wav_files["mono"]), str(wav_files["bad"]), str(wav_files["stereo"])],
                      index=["u0", "u1", "u2"])
    ref = AcousticFeatures().transform([wav_files["mono"], wav_files["stereo"]])
    fe = AcousticFeatures(on_error="skip").set_output(transform="pandas")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for out in (fe.fit_transform(items), fe.transform(items)):
            assert isinstance(out, pd.DataFrame)
            assert list(out.index) == ["u0", "u2"]
            assert list(out.columns) == list(fe.get_feature_names_out())
            np.testing.assert_array_equal(out.to_numpy(), ref)
        # Default output stays an array; pandas output without dropped rows keeps every label.
        assert isinstance(AcousticFeatures(on_error="skip").transform(items), np.ndarray)
        full = fe.transform(items.drop("u1"))
    assert list(full.index) == ["u0", "u2"]


def test_bad_array_item_is_reported_with_on_error():
    x = np.ones(500)
    x[3] = np.inf
    with pytest.raises(ValueError, match="signal at index 1"):
        AcousticFeatures().transform([np.zeros(500), x])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = AcousticFeatures(on_error="skip").transform([np.zeros(500), x])
    assert X.shape == (1, 88)


# ------------------------------------------------------------------- estimator behaviour


def test_two_d_array_rows_are_signals():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 4000))
    fe = AcousticFeatures().fit(X)
    assert fe.n_features_in_ == 4000
    F = fe.transform(X)
    np.testing.assert_array_equal(F[1], extract_features(X[1], sr=SR))
    with pytest.raises(ValueError, match="4000 features"):
        fe.transform(X[:, :100])
    # Fitted on a sequence, any lengths are accepted.
    fe.fit([X[0], X[1, :100]])
    assert not hasattr(fe, "n_features_in_")


def test_bad_inputs_are_rejected():
    # One 1-D signal: the advice names what works, not scikit-learn's reshape(-1, 1), which
    # would turn every audio sample into an utterance.
    for one_signal in (np.zeros(1000), [0.0] * 1000):
        with pytest.raises(ValueError, match=r"single 1-D signal.*\[signal\] or signal\[None, :\]"):
            AcousticFeatures().fit_transform(one_signal)
    with pytest.raises(ValueError, match="wrap it in a list"):
        AcousticFeatures().fit_transform("a.wav")
    with pytest.raises(ValueError, match="empty"):
        AcousticFeatures().fit_transform([])
    with pytest.raises(ValueError, match="feature_set"):
        AcousticFeatures(feature_set="gemaps").fit_transform([np.zeros(100)])


def test_n_jobs_two_equals_one(wav_files):
    items = [wav_files["mono"], _tone(150.0, 0.3), wav_files["44k"], EDGE["white_noise"]]
    X1 = AcousticFeatures(n_jobs=1).transform(items)
    X2 = AcousticFeatures(n_jobs=2).transform(items)
    np.testing.assert_array_equal(X1, X2)


def test_memory_caching(wav_files, tmp_path, capsys):
    cache = tmp_path / "cache"
    items = [wav_files["mono"], _tone(150.0, 0.3)]
    fe = AcousticFeatures(memory=str(cache), verbose=1)
    X1 = fe.transform(items)
    assert "[AcousticFeatures] 2/2 items" in capsys.readouterr().err
    assert any(cache.rglob("output.pkl"))
    n_cached = len(list(cache.rglob("output.pkl")))
    np.testing.assert_array_equal(fe.transform(items), X1)
    assert len(list(cache.rglob("output.pkl"))) == n_cached  # no new entries: cache hits
    # A file rewritten with other audio is extracted again.
    sf.write(wav_files["mono"], _tone(300.0, seconds=0.5), SR)
    X3 = fe.transform(items)
    assert X3[0, 0] != X1[0, 0]
    np.testing.assert_array_equal(X3[1], X1[1])


def test_opensmile_backend_or_clear_import_error(monkeypatch):
    try:
        import opensmile  # noqa: F401
    except ImportError:
        opensmile = None
    if opensmile is not None:
        X = AcousticFeatures(feature_set="opensmile:eGeMAPSv02").fit_transform([_tone(200.0)])
        assert X.shape == (1, 88)
    _smile.cache_clear()
    monkeypatch.setitem(sys.modules, "opensmile", None)
    with pytest.raises(ImportError, match="pip install opensmile"):
        extract_features(_tone(200.0), sr=SR, feature_set="opensmile:eGeMAPSv02")
    _smile.cache_clear()


# ------------------------------------------------------------------- real speech


@pytest.mark.realdata
def test_real_emodb_files(real_data):
    files = sorted((real_data / "emodb" / "wav").glob("*.wav"))[:4]
    if not files:
        pytest.skip("no EmoDB files")
    fe = AcousticFeatures()
    X = fe.fit_transform(files)
    assert X.shape == (len(files), 88) and np.all(np.isfinite(X))
    f = dict(zip(NAMES, X.mean(axis=0)))
    # Adult speech: mean F0 between 70 and 400 Hz, with voiced and unvoiced stretches.
    assert 27.5 * 2 ** (f["F0semitone_mean"] / 12) == pytest.approx(200, rel=0.65)
    assert 1 < f["VoicedSegmentsPerSec"] < 10
    assert 100 < f["F1frequency_mean"] < 1200


# ------------------------------------------------------------------- audio in every natural form


def test_integer_pcm_is_scaled_like_soundfile(wav_files, tmp_path):
    from scipy.io import wavfile

    tone = _tone(220.0, seconds=0.5)
    pcm = np.round(tone * 32767).astype(np.int16)
    path = tmp_path / "pcm16.wav"
    wavfile.write(path, SR, pcm)
    sr, data = wavfile.read(path)  # int16, as users get it
    assert data.dtype == np.int16
    from_file = AcousticFeatures().fit_transform([path])[0]
    for X in ([data], data[None, :], [(data, sr)]):
        np.testing.assert_allclose(AcousticFeatures().fit_transform(X)[0], from_file,
                                   rtol=1e-9, atol=1e-9)
    # uint8 is centred, int32 scaled by 2**31
    u8 = np.round(tone * 127 + 128).astype(np.uint8)
    i32 = np.round(tone * (2**31 - 1)).astype(np.int32)
    level = NAMES.index("equivalentSoundLevel_dB")
    ref = _feat(tone)["equivalentSoundLevel_dB"]
    assert extract_features(u8, sr=SR)[level] == pytest.approx(ref, abs=0.1)
    assert extract_features(i32, sr=SR)[level] == pytest.approx(ref, abs=1e-3)


def test_multichannel_array_is_refused_with_advice():
    stereo = np.stack([_tone(220.0), _tone(220.0)], axis=1)  # soundfile.read layout
    with pytest.raises(ValueError, match=r"shape \(16000, 2\).*one recording with 2 "
                       r"channel\(s\).*pass \[signal\]"):
        AcousticFeatures().fit_transform(stereo)
    # As one item of a list, it is one stereo recording (channels averaged).
    np.testing.assert_allclose(AcousticFeatures().fit_transform([stereo])[0],
                               extract_features(_tone(220.0), sr=SR))


def test_signal_and_rate_pairs_are_resampled():
    import librosa

    sr_lib = 22050
    y = _tone(220.0, seconds=0.5, sr=sr_lib)  # what librosa.load(wav) returns
    X = AcousticFeatures().fit_transform([(y, sr_lib), (y, sr_lib)])
    f0 = 27.5 * 2 ** (X[0, 0] / 12)
    assert f0 == pytest.approx(220.0, rel=0.01)
    ref = extract_features(librosa.resample(y, orig_sr=sr_lib, target_sr=SR), sr=SR)
    assert X[0, 0] == pytest.approx(ref[0], abs=0.1)
    # A bare array is taken to be at sr: the pitch is read 22050 / 16000 too low.
    bare = AcousticFeatures().fit_transform([y])[0, 0]
    assert 27.5 * 2 ** (bare / 12) == pytest.approx(220.0 * SR / sr_lib, rel=0.01)
    with pytest.raises(ValueError, match=r"one \(signal, sample_rate\) pair.*\[\(signal, sr\)\]"):
        AcousticFeatures().fit_transform((y, sr_lib))
    with pytest.raises(ValueError, match="at least 8000"):
        AcousticFeatures().fit_transform([(y, 100)])


def test_corpus_table_is_accepted_through_its_path_column(wav_files):
    from skser.datasets import load_corpus

    root = wav_files["dir"] / "corpus"
    for emotion in ("angry", "sad"):
        (root / emotion).mkdir(parents=True)
        sf.write(root / emotion / "a.wav", _tone(220.0 if emotion == "sad" else 330.0, 0.5), SR)
    table = load_corpus(root, layout="folders")
    X = AcousticFeatures().fit_transform(table)
    np.testing.assert_array_equal(X, AcousticFeatures().fit_transform(list(table["path"])))
    fe = AcousticFeatures().set_output(transform="pandas")
    out = fe.fit_transform(table)
    assert list(out.index) == list(table.index)  # joins to the table on its index


def test_pandas_output_of_files_is_indexed_by_path(wav_files):
    paths = [str(wav_files["mono"]), str(wav_files["44k"])]
    out = AcousticFeatures().set_output(transform="pandas").fit_transform(paths)
    assert out.index.name == "file" and list(out.index) == paths
    assert list(out.columns) == NAMES
    meta = pd.DataFrame({"path": paths, "emotion": ["sad", "angry"]})
    joined = meta.join(out, on="path")
    assert joined["F0semitone_mean"].notna().all()


def test_extract_features_accepts_a_path(wav_files):
    ref = extract_features(sf.read(wav_files["mono"])[0], sr=SR)
    np.testing.assert_array_equal(extract_features(wav_files["mono"], sr=SR), ref)
    np.testing.assert_array_equal(extract_features(str(wav_files["mono"])), ref)
    f0 = 27.5 * 2 ** (extract_features(wav_files["44k"])[0] / 12)  # resampled to 16 kHz
    assert f0 == pytest.approx(220.0, rel=0.01)


def test_load_audio_refuses_rates_below_the_floor_and_nan_samples(tmp_path):
    from skser.features import load_audio

    sf.write(tmp_path / "onehz.wav", np.full(6000, 0.1), 1, subtype="PCM_16")
    with pytest.raises(AudioReadError, match=r"onehz\.wav.*sample rate of 1 Hz.*8000"):
        load_audio(tmp_path / "onehz.wav")
    x = _tone(220.0, 0.5)
    x[10] = np.nan
    sf.write(tmp_path / "nan.wav", x, SR, subtype="FLOAT")
    with pytest.raises(AudioReadError, match=r"nan\.wav.*1 NaN or infinite"):
        load_audio(tmp_path / "nan.wav")
    with pytest.raises(AudioReadError, match=r"nan\.wav"):
        AcousticFeatures().fit_transform([tmp_path / "nan.wav"])


def test_one_list_of_audio_extensions_for_every_reader(tmp_path):
    from skser.datasets import load_corpus
    from skser.features._audio_io import AUDIO_EXTENSIONS
    from skser.noise import load_noises

    assert ".mp3" in AUDIO_EXTENSIONS
    (tmp_path / "happy").mkdir()
    sf.write(tmp_path / "happy" / "a.mp3", _tone(220.0, 0.5), SR, format="MP3")
    sf.write(tmp_path / "happy" / "b.wav", _tone(220.0, 0.5), SR)
    table = load_corpus(tmp_path, layout="folders")
    assert sorted(p.rsplit("/", 1)[-1] for p in table["path"]) == ["a.mp3", "b.wav"]
    assert sorted(load_noises(tmp_path / "happy")) == ["a.mp3", "b.wav"]


def test_speech_problem_flags_empty_short_and_silent():
    from skser.features._audio_io import speech_problem

    assert speech_problem(np.zeros(0), SR) == "empty"
    assert speech_problem(_tone(220.0, 0.05), SR).startswith("too short")
    assert speech_problem(np.full(SR, 1e-6), SR) == "silent (peak -120.0 dBFS)"
    assert speech_problem(_tone(220.0, 0.5), SR) is None
