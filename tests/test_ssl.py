"""Self-supervised speech embeddings: SSLEmbeddings and the "hf:" feature sets.

Tiny randomly initialised models (tests/_tiny_ssl.py) stand in for downloaded checkpoints;
references are computed here with ``transformers`` directly.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
import torch  # noqa: E402
from _tiny_ssl import KINDS, save_tiny_model  # noqa: E402

from skser.features import (  # noqa: E402
    AcousticFeatures,
    SSLEmbeddings,
    _ssl,  # noqa: E402
    extract_features,
    feature_names,
    parse_hf_feature_set,
)

SR = 16000


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """``{kind: folder}`` of the three tiny models."""
    root = tmp_path_factory.mktemp("tiny-ssl")
    return {kind: save_tiny_model(kind, str(root / kind)) for kind in KINDS}


@pytest.fixture(scope="module")
def signals():
    rng = np.random.default_rng(0)
    # unequal lengths, two of them equal (a bucket), one shorter than the 400-sample front end
    return [0.1 * rng.normal(size=n) for n in (16000, 12345, 16000, 5000, 300, 9001)]


def _hf_reference(folder, signal, layer, stats=("mean",)):
    """Pooled hidden_states of one unpadded signal, straight from transformers (float64)."""
    model = transformers.AutoModel.from_pretrained(folder).eval().double()
    pre = transformers.AutoFeatureExtractor.from_pretrained(folder)
    x = pre(signal, sampling_rate=SR, return_tensors="pt")["input_values"].double()
    # the extractor's output in float64 (it rounds to float32)
    exact = signal
    if pre.do_normalize:
        exact = (signal - signal.mean()) / np.sqrt(signal.var() + 1e-7)
    np.testing.assert_allclose(x[0].numpy(), exact, rtol=0, atol=1e-5)
    x = torch.from_numpy(exact)[None]
    with torch.inference_mode():
        h = model(x, output_hidden_states=True).hidden_states[layer][0]
    out = [h.mean(0)] + ([h.std(0, unbiased=False)] if "std" in stats else [])
    return torch.cat(out).numpy()


# --------------------------------------------------------------------------------------
# Exact references and batch invariance
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_file_matches_transformers_reference(tiny, signals, kind):
    emb = SSLEmbeddings(tiny[kind], layer=1, pooling="mean_std", dtype="float64")
    for signal in signals[:2]:
        got = emb.fit_transform([signal])[0]
        np.testing.assert_allclose(got, _hf_reference(tiny[kind], signal, 1, ("mean", "std")),
                                   rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_gives_the_embeddings_of_one_file_at_a_time(tiny, signals, kind, dtype):
    emb = SSLEmbeddings(tiny[kind], layer="all", pooling="mean_std", dtype=dtype)
    batched = emb.fit_transform(signals)
    alone = np.vstack([emb.transform([s]) for s in signals])
    np.testing.assert_allclose(batched, alone, rtol=0, atol=1e-5)
    # and the batch order does not matter
    np.testing.assert_allclose(emb.transform(signals[::-1])[::-1], batched, rtol=0, atol=1e-5)


def test_naive_padding_would_change_the_embeddings(tiny, signals):
    """What the batching avoids: padding a group-norm model, or pooling padded frames."""
    a, b = signals[0], signals[3]
    for kind, use_mask in (("wav2vec2", False), ("wavlm", True)):
        folder = tiny[kind]
        model = transformers.AutoModel.from_pretrained(folder).eval()
        pre = transformers.AutoFeatureExtractor.from_pretrained(folder)
        batch = pre([a, b], sampling_rate=SR, padding=True, return_tensors="pt")
        mask = batch["attention_mask"] if use_mask else None
        with torch.inference_mode():
            h = model(batch["input_values"], attention_mask=mask,
                      output_hidden_states=True).hidden_states[1]
        naive = h[1].mean(0).numpy()  # all frames of the padded row
        ours = SSLEmbeddings(folder, layer=1).fit_transform([a, b])[1]
        assert np.abs(naive - ours).max() > 1e-3


def test_equal_lengths_are_batched_for_group_norm_models(tiny, monkeypatch):
    """A group-norm model runs windows of the same length together, others one by one."""
    sizes = []
    real = _ssl._forward

    def spy(backbone, sigs, wanted):
        sizes.append(sorted(s.size for s in sigs))
        return real(backbone, sigs, wanted)

    monkeypatch.setattr(_ssl, "_forward", spy)
    rng = np.random.default_rng(1)
    sigs = [rng.normal(size=n) for n in (8000, 8000, 6000, 8000)]
    SSLEmbeddings(tiny["wav2vec2"]).fit_transform(sigs)
    assert sorted(sizes) == [[6000], [8000, 8000, 8000]]
    sizes.clear()
    SSLEmbeddings(tiny["wavlm"]).fit_transform(sigs)
    assert sizes == [[6000, 8000, 8000, 8000]]
    sizes.clear()
    SSLEmbeddings(tiny["wavlm"], batch_seconds=1.0).fit_transform(sigs)  # 16000 samples
    assert sorted(map(len, sizes)) == [2, 2]


# --------------------------------------------------------------------------------------
# Layers and pooling
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_layers_are_transformers_hidden_states(tiny, signals, kind):
    """Every layer 0..L (the run stops after the deepest asked for) and averaged lists."""
    folder, x = tiny[kind], signals[1]
    full = SSLEmbeddings(folder, layer="all", dtype="float64").fit_transform([x])[0]
    per_layer = full.reshape(3, 32)
    for k in range(3):
        one = SSLEmbeddings(folder, layer=k, dtype="float64").fit_transform([x])[0]
        np.testing.assert_allclose(one, per_layer[k], rtol=1e-10, atol=1e-12)
        if k < 2 or not KINDS[kind][2]["do_stable_layer_norm"]:
            np.testing.assert_allclose(one, _hf_reference(folder, x, k), rtol=1e-9, atol=1e-9)
    # a list is averaged frame by frame: for the mean, the mean of the layer means
    avg = SSLEmbeddings(folder, layer=[0, 2], dtype="float64").fit_transform([x])[0]
    np.testing.assert_allclose(avg, per_layer[[0, 2]].mean(0), rtol=1e-10, atol=1e-12)
    assert SSLEmbeddings(folder, layer="middle").fit([x]).get_feature_names_out()[0] == \
        f"{kind}_layer1_mean_0"
    np.testing.assert_allclose(SSLEmbeddings(folder, layer=-1, dtype="float64")
                               .fit_transform([x])[0], per_layer[2], rtol=1e-10, atol=1e-12)


def test_last_layer_of_a_stable_layer_norm_model_is_normalised(tiny, signals):
    """Layer L is the encoder's output (after its final norm), as in transformers 4.x."""
    folder, x = tiny["hubert"], signals[0]
    model = transformers.AutoModel.from_pretrained(folder).eval().double()
    assert transformers.AutoFeatureExtractor.from_pretrained(folder).do_normalize
    inp = torch.from_numpy((x - x.mean()) / np.sqrt(x.var() + 1e-7))[None]
    with torch.inference_mode():
        last = model(inp).last_hidden_state[0].mean(0).numpy()
    got = SSLEmbeddings(folder, layer="last", dtype="float64").fit_transform([x])[0]
    np.testing.assert_allclose(got, last, rtol=1e-9, atol=1e-9)


def test_mean_std_of_averaged_layers_and_names(tiny, signals):
    folder, x = tiny["wavlm"], signals[0]
    model = transformers.AutoModel.from_pretrained(folder).eval().double()
    with torch.inference_mode():
        hs = model(torch.from_numpy(x)[None], output_hidden_states=True).hidden_states
    frames = (hs[0][0] + hs[1][0]) / 2
    ref = np.concatenate([frames.mean(0).numpy(), frames.std(0, unbiased=False).numpy()])
    emb = SSLEmbeddings(folder, layer=[0, 1], pooling="mean_std", dtype="float64")
    np.testing.assert_allclose(emb.fit_transform([x])[0], ref, rtol=1e-9, atol=1e-9)
    names = list(emb.get_feature_names_out())
    assert names[0] == "wavlm_layer0+1_mean_0" and names[32] == "wavlm_layer0+1_std_0"
    assert len(names) == 64


def test_bad_layers_are_named(tiny):
    with pytest.raises(ValueError, match=r"layer 3 is out of range.*0\.\.2"):
        SSLEmbeddings(tiny["wavlm"], layer=3).fit([np.zeros(800)])
    with pytest.raises(ValueError, match="layer=.* names no layer"):
        SSLEmbeddings(tiny["wavlm"], layer=[]).fit([np.zeros(800)])
    with pytest.raises(ValueError, match="must be less than window_seconds"):
        SSLEmbeddings(tiny["wavlm"], window_seconds=1, window_overlap_seconds=1).fit([[0.0]])


# --------------------------------------------------------------------------------------
# Long files: windows
# --------------------------------------------------------------------------------------


def _stitched_reference(folder, x, window, overlap, layer):
    """Frames of each window, each keeping its side of the overlap cut in the middle."""
    model = transformers.AutoModel.from_pretrained(folder).eval().double()
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    kept, start = [], 0
    while True:
        seg = torch.from_numpy(x[start:start + window])[None]
        with torch.inference_mode():
            h = model(seg, output_hidden_states=True).hidden_states[layer][0]
        first = start // 320 + (0 if start == 0 else overlap // 2 // 320)
        stop = (start + window - overlap // 2) // 320
        g = np.arange(h.shape[0]) + start // 320  # global frame index of each frame
        last = start + window >= x.size
        sel = (g >= first) & ((g < stop) | last)
        kept.append(h.numpy()[sel])
        if last:
            break
        start += window - overlap
    frames = np.vstack(kept)
    return frames.mean(0), frames.shape[0]


def test_long_files_are_cut_into_overlapping_windows(tiny):
    rng = np.random.default_rng(3)
    x = 0.1 * rng.normal(size=int(3.3 * SR))
    folder = tiny["wav2vec2"]
    emb = SSLEmbeddings(folder, layer=1, dtype="float64", window_seconds=1.0,
                        window_overlap_seconds=0.2)
    ref, n_frames = _stitched_reference(folder, x, 16000, 3200, 1)  # 0.2 s: 10 frames
    np.testing.assert_allclose(emb.fit_transform([x])[0], ref, rtol=1e-9, atol=1e-9)
    # every frame of the file once: as many frames as the whole file would give, or fewer
    assert int(3.3 * SR) // 320 - 4 <= n_frames <= int(3.3 * SR) // 320
    # a file shorter than the window is not cut
    short = x[:15000]
    np.testing.assert_allclose(emb.transform([short]),
                               SSLEmbeddings(folder, layer=1, dtype="float64",
                                             window_seconds=None).fit_transform([short]),
                               rtol=0, atol=1e-12)


def test_windows_bound_the_forward_pass(tiny, monkeypatch):
    sizes = []
    real = _ssl._forward
    monkeypatch.setattr(_ssl, "_forward", lambda b, s, w: sizes.append(
        max(x.size for x in s)) or real(b, s, w))
    x = np.random.default_rng(0).normal(size=10 * SR)
    SSLEmbeddings(tiny["wavlm"], window_seconds=2.0, window_overlap_seconds=0.4,
                  batch_seconds=2.0).fit_transform([x])
    # windows start every 1.6 s: at 0, 1.6, ..., 8.0 (the last one reaches the end)
    assert max(sizes) == 2 * SR and len(sizes) == 6


# --------------------------------------------------------------------------------------
# Inputs, errors, caching, the front door
# --------------------------------------------------------------------------------------


def test_files_arrays_and_sample_rates(tiny, tmp_path, signals):
    import soundfile as sf

    path = tmp_path / "a.wav"
    sf.write(path, signals[0], SR, subtype="DOUBLE")
    emb = SSLEmbeddings(tiny["hubert"], dtype="float64")
    from_file = emb.fit_transform([str(path)])
    np.testing.assert_allclose(from_file, emb.transform([signals[0]]), rtol=0, atol=1e-12)
    # arrays at another rate are resampled to the model's 16 kHz
    from skser.features._audio_io import resample

    x8 = signals[0][::2]
    np.testing.assert_allclose(
        SSLEmbeddings(tiny["hubert"], sr=8000, dtype="float64").fit_transform([x8]),
        emb.transform([resample(x8, orig_sr=8000, target_sr=SR)]), rtol=0, atol=1e-12)
    # stereo is averaged; a 2-D array holds one signal per row
    stereo = np.stack([signals[0], signals[0]], axis=1)
    np.testing.assert_allclose(emb.transform([stereo]), from_file, rtol=0, atol=1e-12)
    X2 = np.stack([signals[0], signals[2]])
    assert emb.fit_transform(X2).shape == (2, 32) and emb.n_features_in_ == 16000


def test_on_error_and_resumable_cache(tiny, tmp_path, signals, monkeypatch):
    emb = SSLEmbeddings(tiny["wav2vec2"], on_error="skip", memory=str(tmp_path / "cache"))
    bad = np.array([0.0, np.nan] * 500)
    with pytest.warns(UserWarning, match=r"2 of 4 items.*missing\.wav.*signal at index 2"):
        X, kept, errors = emb.extract([signals[0], "missing.wav", bad, signals[1]])
    assert X.shape == (2, 32) and list(kept) == [0, 3] and len(errors) == 2
    with pytest.raises(ValueError, match="NaN or infinite samples.*on_error='skip'"):
        SSLEmbeddings(tiny["wav2vec2"]).fit_transform([bad])
    with pytest.warns(UserWarning):
        nan_rows = SSLEmbeddings(tiny["wav2vec2"], on_error="nan").fit_transform(
            [bad, signals[0]])
    assert np.isnan(nan_rows[0]).all() and np.isfinite(nan_rows[1]).all()
    # the rows computed above are cached: no model is run for them again
    def no_model_run(*args):
        raise AssertionError("the model ran")

    monkeypatch.setattr(_ssl, "_forward", no_model_run)
    np.testing.assert_array_equal(
        SSLEmbeddings(tiny["wav2vec2"], memory=str(tmp_path / "cache")).transform(
            [signals[1], signals[0]]), X[::-1])
    # other settings are other cache entries
    with pytest.raises(RuntimeError, match="the model ran"):
        SSLEmbeddings(tiny["wav2vec2"], layer=0, memory=str(tmp_path / "cache")).transform(
            [signals[0]])


def test_hf_feature_set_is_the_same_computation(tiny, signals):
    folder = tiny["wavlm"]
    spec = f"hf:{folder},layer=0+2,pooling=mean_std"
    assert parse_hf_feature_set(spec) == {"model": folder, "layer": [0, 2],
                                          "pooling": "mean_std"}
    ssl = SSLEmbeddings(folder, layer=[0, 2], pooling="mean_std")
    assert ssl.feature_set == spec
    front = AcousticFeatures(feature_set=spec)
    np.testing.assert_allclose(front.fit_transform(signals[:3]), ssl.fit_transform(signals[:3]),
                               rtol=0, atol=1e-6)
    assert list(front.get_feature_names_out()) == list(ssl.get_feature_names_out())
    assert feature_names(spec) == list(ssl.get_feature_names_out())
    np.testing.assert_allclose(extract_features(signals[0], feature_set=spec),
                               ssl.transform([signals[0]])[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("spec, message", [
    ("hf:m,layers=3", "unknown option 'layers=3'"),
    ("hf:m,pooling=max", "pooling='max'.*'mean' or 'mean_std'"),
    ("hf:m,layer=a", "layer='a'.*is not a layer"),
    ("hf:m,layer=6-4", "layer='6-4'"),
    ("hf: ,layer=1", "names no model"),
])
def test_bad_hf_feature_sets_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_hf_feature_set(spec)


def test_missing_model_and_missing_transformers_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(OSError, match="could not load the configuration of model"):
        SSLEmbeddings(str(tmp_path / "nowhere")).fit([np.zeros(800)])
    monkeypatch.setitem(sys.modules, "transformers", None)
    from skser.features import _hf_spec

    _hf_spec.model_config.cache_clear()
    with pytest.raises(ImportError, match=r"pip install skser\[ssl\]"):
        SSLEmbeddings(str(tmp_path / "other")).fit([np.zeros(800)])


def test_cuda_requested_without_cuda_is_an_error(tiny):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        SSLEmbeddings(tiny["wavlm"], device="cuda").fit_transform([np.zeros(800)])


@pytest.mark.cuda
def test_cuda_matches_cpu(tiny, signals):
    cpu = SSLEmbeddings(tiny["wavlm"], dtype="float64").fit_transform(signals)
    gpu = SSLEmbeddings(tiny["wavlm"], dtype="float64", device="cuda").fit_transform(signals)
    np.testing.assert_allclose(gpu, cpu, rtol=0, atol=1e-6)


def test_nothing_prints_and_no_warnings(tiny, signals, capfd):
    _ssl._load.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SSLEmbeddings(tiny["wavlm"]).fit_transform(signals)  # padded, with a mask
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_import_and_help_do_not_import_transformers():
    code = ("import sys, skser, skser.features, skser.cli; "
            "from skser.cli._main import build_parser; build_parser(); "
            "print('transformers' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False False"


# --------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_skser_extract_hf_is_resumable(tiny, tmp_path):
    import os

    import pandas as pd
    import soundfile as sf

    rng = np.random.default_rng(5)
    rows = []
    (tmp_path / "audio").mkdir()
    for i, n in enumerate((8000, 12000, 5000)):
        path = f"audio/u{i}.wav"
        sf.write(tmp_path / path, 0.1 * rng.normal(size=n), SR, subtype="DOUBLE")
        rows.append({"path": path, "emotion": ["angry", "sad"][i % 2], "speaker": f"s{i}",
                     "corpus": "c"})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    spec = f"hf:{tiny['hubert']},layer=1,pooling=mean_std"
    env = dict(os.environ, OMP_NUM_THREADS="1")

    def run(output, **extra):
        cmd = [sys.executable, "-m", "skser.cli", "extract", "manifest.csv", "--layout", "csv",
               "-o", output, "--features", spec, "--chunk-size", "2", "-q"]
        return subprocess.run(cmd, cwd=tmp_path, env={**env, **extra}, capture_output=True,
                              text=True, timeout=300)

    res = run("stopped.csv", SKSER_EXTRACT_STOP_AFTER="2")
    assert res.returncode == 75, res.stderr
    assert len(pd.read_csv(tmp_path / "stopped.csv.partial")) == 2
    res = run("stopped.csv")
    assert res.returncode == 0, res.stderr
    whole = pd.read_csv(tmp_path / "stopped.csv")  # the resumed table
    assert list(whole["path"]) == [r["path"] for r in rows]
    names = list(SSLEmbeddings(tiny["hubert"], layer=1, pooling="mean_std")
                 .get_feature_names_out())
    assert list(whole.columns[-64:]) == names
    expected = SSLEmbeddings(tiny["hubert"], layer=1, pooling="mean_std").fit_transform(
        [str(tmp_path / r["path"]) for r in rows])
    np.testing.assert_allclose(whole[names].to_numpy(), expected, rtol=0, atol=1e-5)


def test_skser_extract_names_a_missing_model(tmp_path, capsys):
    from skser.cli import main

    (tmp_path / "a").mkdir()
    status = main(["extract", str(tmp_path / "a"), "-o", str(tmp_path / "f.csv"),
                   "--features", f"hf:{tmp_path / 'no-model'}"])
    err = capsys.readouterr().err
    assert status == 2
    assert "could not load the configuration of model" in err and "no-model" in err
