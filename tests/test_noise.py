"""Noise mixing at an exact SNR and noisy copies of corpora."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from skser.noise import load_noises, make_noisy_copies, mix_at_snr


def snr_of(speech, noise_part):
    return 10 * np.log10(np.mean(np.asarray(speech, float) ** 2) / np.mean(noise_part**2))


@settings(max_examples=60, deadline=None)
@given(
    snr=st.floats(-30, 60, allow_nan=False),
    n_speech=st.integers(1, 3000),
    n_noise=st.integers(1, 3000),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_snr_is_exact(snr, n_speech, n_noise, seed, dtype):
    rng = np.random.default_rng(seed)
    speech = (rng.standard_normal(n_speech) * rng.uniform(0.01, 2)).astype(dtype)
    noise = (rng.standard_normal(n_noise) * rng.uniform(0.01, 2) + 0.1).astype(dtype)
    mix, scaled = mix_at_snr(speech, noise, snr, random_state=seed, return_noise=True)
    assert mix.shape == speech.shape and mix.dtype == np.float64
    assert abs(snr_of(speech, scaled) - snr) < 0.01
    # the mixture is exactly speech + the scaled noise that the SNR refers to
    assert abs(snr_of(speech, mix - speech.astype(float)) - snr) < 0.01


@settings(max_examples=30, deadline=None)
@given(n_speech=st.integers(1, 500), n_noise=st.integers(1, 500), seed=st.integers(0, 10**6))
def test_noise_is_a_looped_or_cut_stretch(n_speech, n_noise, seed):
    """The added noise is the noise read circularly from one offset, scaled."""
    rng = np.random.default_rng(seed)
    speech = rng.standard_normal(n_speech)
    noise = rng.standard_normal(n_noise)
    _, scaled = mix_at_snr(speech, noise, 5.0, random_state=seed, return_noise=True)
    gain = np.sqrt(np.mean(scaled**2) / 1.0)
    matches = [
        np.allclose(scaled / gain, noise[(o + np.arange(n_speech)) % n_noise] /
                    np.sqrt(np.mean(noise[(o + np.arange(n_speech)) % n_noise] ** 2)))
        for o in range(n_noise)
    ]
    assert any(matches)


def test_random_offset_is_seeded():
    rng = np.random.default_rng(0)
    speech, noise = rng.standard_normal(1000), rng.standard_normal(5000)
    a = mix_at_snr(speech, noise, 0, random_state=1)
    b = mix_at_snr(speech, noise, 0, random_state=1)
    c = mix_at_snr(speech, noise, 0, random_state=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # lower SNR -> more noise
    assert np.mean((mix_at_snr(speech, noise, -5, random_state=1) - speech) ** 2) > \
        np.mean((mix_at_snr(speech, noise, 5, random_state=1) - speech) ** 2)


def test_mix_errors():
    x = np.ones(100)
    with pytest.raises(ValueError, match="silent"):
        mix_at_snr(x, np.zeros(50), 0)
    with pytest.raises(ValueError, match="speech is silent"):
        mix_at_snr(np.zeros(100), x, 0)
    with pytest.raises(ValueError, match="silent over"):  # the drawn stretch is silent
        mix_at_snr(np.ones(3), np.r_[np.zeros(1000), 1.0], 0, random_state=0)
    for bad in (np.inf, -np.inf, np.nan):
        with pytest.raises(ValueError, match="finite"):
            mix_at_snr(x, x, bad)
    with pytest.raises(ValueError, match="real number"):
        mix_at_snr(x, x, "10")
    with pytest.raises(ValueError, match="empty"):
        mix_at_snr(np.array([]), x, 0)
    with pytest.raises(ValueError, match="noise is empty"):
        mix_at_snr(x, [], 0)
    with pytest.raises(ValueError, match="1-D"):
        mix_at_snr(np.ones((100, 2)), x, 0)
    with pytest.raises(ValueError, match="1-D"):
        mix_at_snr(x, np.ones((100, 2)), 0)
    with pytest.raises(ValueError, match="NaN or infinite"):
        mix_at_snr(np.r_[x, np.nan], x, 0)


@pytest.mark.realdata
def test_load_noises_real(real_data):
    noises = load_noises(real_data / "noise")
    assert len(noises) == 100
    assert list(noises)[:3] == ["n1.wav", "n2.wav", "n3.wav"]
    assert list(noises)[-1] == "n100.wav"
    for x in noises.values():
        assert x.ndim == 1 and x.size > 0 and np.isfinite(x).all()
    speech = np.random.default_rng(0).standard_normal(16000 * 3)
    mix, scaled = mix_at_snr(speech, noises["n7.wav"], 5, random_state=0, return_noise=True)
    assert abs(snr_of(speech, scaled) - 5) < 0.01


def test_load_noises_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_noises(tmp_path / "none")
    with pytest.raises(ValueError, match="no audio files"):
        load_noises(tmp_path)


@pytest.fixture
def corpus():
    rng = np.random.default_rng(3)
    signals = [rng.standard_normal(n) * 0.1 for n in (800, 1600, 400, 1200)]
    noises = {"hum": np.sin(np.arange(300) / 3.0), "hiss": rng.standard_normal(900)}
    return signals, noises


def test_noisy_copies_in_memory(corpus):
    signals, noises = corpus
    noisy, manifest = make_noisy_copies(signals, noises, [-5, 0, 10], random_state=0)
    assert sorted(noisy) == [-5.0, 0.0, 10.0]
    assert len(manifest) == 12
    assert set(manifest.columns) >= {"index", "name", "snr_db", "noise", "noise_offset"}
    for snr, copies in noisy.items():
        assert len(copies) == len(signals)
        rows = manifest[manifest["snr_db"] == snr].sort_values("index")
        for x, clean, (_, row) in zip(copies, signals, rows.iterrows()):
            assert x.shape == clean.shape
            assert abs(snr_of(clean, x - clean) - snr) < 0.01
            stretch = noises[row["noise"]][(row["noise_offset"] + np.arange(clean.size))
                                           % noises[row["noise"]].size]
            added = x - clean
            gain = added @ stretch / (stretch @ stretch)
            assert gain > 0 and np.allclose(added, gain * stretch)
    # the same noise stretch at every SNR, and the same draws for the same seed
    per_snr = manifest.groupby("index")[["noise", "noise_offset"]].nunique()
    assert (per_snr == 1).all().all()
    again, manifest2 = make_noisy_copies(signals, noises, [-5, 0, 10], random_state=0)
    pd.testing.assert_frame_equal(manifest, manifest2)
    np.testing.assert_array_equal(noisy[0.0][1], again[0.0][1])
    other = make_noisy_copies(signals, noises, [0], random_state=1)[1]
    assert not other[["noise", "noise_offset"]].equals(
        manifest[manifest["snr_db"] == 0][["noise", "noise_offset"]].reset_index(drop=True))


def test_noisy_copies_from_files(tmp_path, corpus):
    signals, noises = corpus
    (tmp_path / "noise").mkdir()
    for name, x in noises.items():
        sf.write(tmp_path / "noise" / f"{name}.wav", x * 0.5, 16000, subtype="FLOAT")
    paths = []
    for i, x in enumerate(signals):
        paths.append(tmp_path / f"utt{i}.wav")
        sf.write(paths[-1], x, 16000, subtype="FLOAT")
    noisy, manifest = make_noisy_copies(paths, tmp_path / "noise", 5, random_state=0)
    assert set(manifest["noise"]) <= {"hum.wav", "hiss.wav"}
    assert manifest["name"].tolist() == ["utt0", "utt1", "utt2", "utt3"]
    for x, clean in zip(noisy[5.0], signals):
        assert abs(snr_of(clean, x - clean) - 5) < 0.01


def test_noisy_copies_written_and_resumed(tmp_path, corpus):
    signals, noises = corpus
    out = tmp_path / "noisy"
    fresh, fresh_manifest = make_noisy_copies(signals, noises, [0, 7.5], random_state=0)

    # an interrupted run: the third utterance is broken, so the job stops there
    broken = [*signals[:2], np.zeros(400), signals[3]]
    with pytest.raises(ValueError, match="signal 2"):
        make_noisy_copies(broken, noises, [0, 7.5], output_dir=out, random_state=0)
    done = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.wav"))
    assert done == ["0dB/00000.wav", "0dB/00001.wav", "7.5dB/00000.wav", "7.5dB/00001.wav"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}

    paths, manifest = make_noisy_copies(signals, noises, [0, 7.5], output_dir=out,
                                        random_state=0)
    for p, t in before.items():  # work already done is kept, not redone
        assert p.stat().st_mtime_ns == t
    assert sorted(paths) == [0.0, 7.5]
    assert paths[7.5][3] == str(out / "7.5dB" / "00003.wav")
    written = pd.read_csv(out / "manifest.csv")
    assert written["path"].tolist() == manifest["path"].tolist()
    pd.testing.assert_frame_equal(manifest.drop(columns="path"), fresh_manifest)
    for snr in (0.0, 7.5):
        for p, x, clean in zip(paths[snr], fresh[snr], signals):
            y, sr = sf.read(p, dtype="float64")
            assert sr == 16000
            np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-6)
            assert abs(snr_of(clean, y - clean) - snr) < 0.01


def test_noisy_copies_errors(corpus):
    signals, noises = corpus
    with pytest.raises(ValueError, match="signals is empty"):
        make_noisy_copies([], noises, [0])
    with pytest.raises(ValueError, match=r"single 1-D signal.*pass \[signal\]"):
        make_noisy_copies(np.zeros(16000), noises, [0])
    with pytest.raises(ValueError, match="noises is empty"):
        make_noisy_copies(signals, {}, [0])
    with pytest.raises(ValueError, match="finite"):
        make_noisy_copies(signals, noises, [0, np.inf])
    with pytest.raises(ValueError, match="repeated"):
        make_noisy_copies(signals, noises, [0, 0])
    with pytest.raises(ValueError, match="unique"):
        make_noisy_copies(signals, noises, [0], names=["a", "a", "b", "c"])
    with pytest.raises(ValueError, match="silent"):
        make_noisy_copies(signals, [np.zeros(10)], [0])


def test_integer_pcm_speech_and_noise_are_scaled_like_soundfile():
    rng = np.random.default_rng(0)
    speech = np.round(np.sin(np.arange(8000) * 0.05) * 0.3 * 32767).astype(np.int16)
    noise = np.round(rng.normal(size=8000) * 0.05 * 32767).astype(np.int16)
    mixed = mix_at_snr(speech, noise, 10.0, random_state=0)
    ref = mix_at_snr(speech / 32768.0, noise / 32768.0, 10.0, random_state=0)
    np.testing.assert_allclose(mixed, ref, rtol=1e-12, atol=1e-15)
    assert np.abs(mixed).max() < 1.0  # in [-1, 1], not at int16 scale


def test_multichannel_signal_gets_layout_advice():
    stereo = np.zeros((16000, 2)) + 0.1
    with pytest.raises(ValueError, match=r"shape \(16000, 2\).*\(n_samples, n_channels\).*"
                       r"x\.mean\(axis=1\)"):
        mix_at_snr(stereo, np.ones(100), 10.0)
    with pytest.raises(ValueError, match=r"\(n_channels, n_samples\).*x\.mean\(axis=0\)"):
        mix_at_snr(np.ones(100), stereo.T, 10.0)
