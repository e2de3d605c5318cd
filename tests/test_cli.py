"""End-to-end tests of the ``skser`` command, run through its real entry points."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

SCRIPT = Path(sys.executable).parent / ("skser.exe" if os.name == "nt" else "skser")
N_SPEAKERS, N_EMOTIONS, N_CORPORA = 2, 4, 2
N_FILES = N_SPEAKERS * N_EMOTIONS * N_CORPORA  # one utterance per speaker and emotion
SNRS = ("10", "0")
N_ROWS = N_FILES * (1 + len(SNRS))  # clean + one noise (drawn per file) at each SNR


def _env(**extra):
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"})
    env.pop("SKSER_DEBUG", None)
    env.update(extra)
    return env


def skser(*args, cwd, env=None, script=False, timeout=300):
    """Run the command (``python -m skser.cli`` or the installed script) and capture it."""
    cmd = [str(SCRIPT)] if script else [sys.executable, "-m", "skser.cli"]
    return subprocess.run(cmd + [str(a) for a in args], cwd=cwd, env=env or _env(),
                          capture_output=True, text=True, timeout=timeout)


def _extract_args(output, *extra):
    return ("extract", "manifest.csv", "--layout", "csv", "-o", output, "--noise-dir", "noise",
            "--snrs", *SNRS, *extra)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """A tiny two-corpus folder of synthetic WAVs with a CSV manifest and a noise folder."""
    import soundfile as sf

    from skser.datasets import make_speech_corpus

    root = tmp_path_factory.mktemp("corpus")
    signals, meta = make_speech_corpus(n_corpora=N_CORPORA, n_speakers=N_SPEAKERS,
                                       n_utterances=1, duration=0.5, random_state=0)
    (root / "audio").mkdir()
    (root / "noise").mkdir()
    rows = []
    for i, (x, r) in enumerate(zip(signals, meta.itertuples())):
        path = f"audio/u{i:03d}.wav"
        sf.write(root / path, x, 16000)
        rows.append({"path": path, "emotion": r.emotion, "speaker": r.speaker,
                     "corpus": r.corpus, "gender": r.gender})
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    noise = np.random.default_rng(1).normal(size=16000) * 0.1
    sf.write(root / "noise" / "white.wav", noise, 16000)
    hum = 0.1 * np.sin(2 * np.pi * 50 * np.arange(12000) / 16000) + noise[:12000] * 0.01
    sf.write(root / "noise" / "hum.wav", hum, 16000)
    return root


@pytest.fixture(scope="module")
def features(corpus_dir):
    """An uninterrupted extraction (the reference for the resumability tests)."""
    res = skser(*_extract_args("features.csv", "--chunk-size", "5"), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    return corpus_dir / "features.csv"


def _one_error_line(res):
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    return lines[0]


def test_help_lists_every_command(tmp_path):
    res = skser("--help", cwd=tmp_path, script=SCRIPT.exists())
    assert res.returncode == 0
    for command in ("demo", "extract", "evaluate", "fit", "predict"):
        assert command in res.stdout


def test_demo_quick(tmp_path):
    res = skser("demo", "--quick", "--output", "out", "--random-state", "3", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    assert "UAR" in res.stdout
    for name in ("SVC", "PCA+SVC", "EDRL-MEA", "babble 0 dB", "pink 10 dB"):
        assert name in res.stdout
    table = pd.read_csv(out / "results.csv")
    assert set(table["pipeline"]) == {"SVC", "PCA+SVC", "EDRL-MEA"}
    assert set(table["condition"]) == {"clean", "babble 10 dB", "babble 0 dB", "pink 10 dB",
                                       "pink 0 dB"}
    assert (table["train"] != table["test"]).all()  # trained on one corpus, tested on the other
    assert set(table["metric"]) == {"uar", "wa", "macro_f1"}
    assert table["value"].between(0, 1).all()
    assert "| cross corpus | clean |" in (out / "results.md").read_text()
    for png in ("uar_vs_snr", "confusion_matrices", "block_importances", "embedding_features",
                "embedding_edrl_mea"):
        assert (out / f"{png}.png").stat().st_size > 1000


def test_extract_writes_clean_and_noisy_rows(features):
    table = pd.read_csv(features)
    assert len(table) == N_ROWS
    assert list(table.columns[:9]) == ["path", "emotion", "speaker", "gender", "corpus",
                                       "label", "condition", "noise", "snr_db"]
    assert table.shape[1] == 9 + 88  # egemaps_like
    counts = table["condition"].value_counts()
    assert counts.to_dict() == {"clean": N_FILES, "noise 10 dB": N_FILES, "noise 0 dB": N_FILES}
    # One noise file drawn per audio file, the same at every SNR, both files in use.
    noisy = table[table["condition"] != "clean"]
    assert set(noisy["noise"]) == {"white", "hum"}
    assert (noisy.groupby("path")["noise"].nunique() == 1).all()
    assert set(noisy["snr_db"]) == {10.0, 0.0} and table["snr_db"].isna().sum() == N_FILES
    assert np.isfinite(table.iloc[:, 9:].to_numpy()).all()
    # The noisy copies really differ from the clean audio, more at 0 dB than at 10 dB.
    feats = table.set_index(["condition", "path"]).iloc[:, 7:]
    d10 = np.abs(feats.loc["noise 10 dB"] - feats.loc["clean"]).to_numpy().mean()
    d0 = np.abs(feats.loc["noise 0 dB"] - feats.loc["clean"]).to_numpy().mean()
    assert 0 < d10 < d0
    assert (features.parent / "features.csv.json").exists()
    assert not (features.parent / "features.csv.partial").exists()


def test_extract_noise_mode_each(corpus_dir, tmp_path):
    out = tmp_path / "each.csv"
    res = skser("extract", "manifest.csv", "--layout", "csv", "-o", out, "--noise-dir", "noise",
                "--snrs", "0", "--noise-mode", "each", "--quiet", cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # --quiet
    table = pd.read_csv(out)
    assert table["condition"].value_counts().to_dict() == {
        "clean": N_FILES, "hum 0 dB": N_FILES, "white 0 dB": N_FILES}


def test_extract_resumes_after_a_crash(features, corpus_dir):
    # A crash after 8 rows, and a torn half-written line at the end of the partial file.
    res = skser(*_extract_args("resumed.csv", "--chunk-size", "4"), cwd=corpus_dir,
                env=_env(SKSER_EXTRACT_STOP_AFTER="8"))
    assert res.returncode == 75
    partial = corpus_dir / "resumed.csv.partial"
    assert not (corpus_dir / "resumed.csv").exists()
    assert len(pd.read_csv(partial)) == 8
    with open(partial, "a") as fh:
        fh.write("audio/u099.wav,angry,synth0:00,ma")

    # Other options refuse to resume and leave the partial file alone.
    res = skser("extract", "manifest.csv", "--layout", "csv", "-o", "resumed.csv",
                cwd=corpus_dir)
    assert "other options" in _one_error_line(res)
    assert partial.exists()

    res = skser(*_extract_args("resumed.csv", "--chunk-size", "4"), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert "8 rows already done" in res.stderr
    assert not partial.exists()
    pd.testing.assert_frame_equal(pd.read_csv(corpus_dir / "resumed.csv"), pd.read_csv(features))


def test_extract_resumes_after_kill(features, corpus_dir):
    args = [sys.executable, "-m", "skser.cli", *_extract_args("killed.csv", "--chunk-size", "2")]
    proc = subprocess.Popen(args, cwd=corpus_dir, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    partial = corpus_dir / "killed.csv.partial"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if partial.exists() and partial.read_text().count("\n") >= 5:
            break
        time.sleep(0.02)
    if proc.poll() is not None:
        pytest.skip("the extraction finished before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (corpus_dir / "killed.csv").exists()
    n_done = len(pd.read_csv(partial))
    assert 4 <= n_done < N_ROWS

    res = skser(*_extract_args("killed.csv", "--chunk-size", "2"), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert f"{n_done} rows already done" in res.stderr
    pd.testing.assert_frame_equal(pd.read_csv(corpus_dir / "killed.csv"), pd.read_csv(features))


def test_evaluate_table_and_files(features, tmp_path):
    res = skser("evaluate", features, "--models", "svc", "pca-svc", "--output", "ev",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "within corpus" in res.stdout and "cross corpus" in res.stdout
    table = pd.read_csv(tmp_path / "ev" / "results.csv")
    assert list(table.columns) == ["pipeline", "train", "test", "condition", "metric", "value",
                                   "n", "ci_low", "ci_high"]
    assert set(table["pipeline"]) == {"SVC", "PCA+SVC"}
    assert set(table["condition"]) == {"clean", "noise 10 dB", "noise 0 dB"}
    pairs = set(zip(table["train"], table["test"]))
    assert pairs == {(a, b) for a in ("synth0", "synth1") for b in ("synth0", "synth1")}
    assert table["value"].between(0, 1).all()
    assert (table["n"] == N_FILES // N_CORPORA).all()
    assert (tmp_path / "ev" / "results.md").exists()
    assert (tmp_path / "ev" / "uar_vs_snr.png").exists()

    # --snrs keeps only the conditions at those SNRs.
    res = skser("evaluate", features, "--models", "svc", "--snrs", "0", "--scoring", "uar",
                "--no-plots", "--output", "ev0", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "ev0" / "results.csv")
    assert set(table["condition"]) == {"clean", "noise 0 dB"}
    assert set(table["metric"]) == {"uar"}


def test_evaluate_transductive(features, tmp_path):
    res = skser("evaluate", features, "--models", "pca-svc", "--snrs", "0", "--scoring", "uar",
                "--no-plots", "--transductive", "--output", "ev", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "with the unlabelled test speech" in res.stdout
    table = pd.read_csv(tmp_path / "ev" / "results.csv")
    assert set(table["condition"]) == {"clean", "noise 0 dB"}
    assert table["value"].between(0, 1).all()
    assert "Transductive" in (tmp_path / "ev" / "results.md").read_text()


def test_fit_then_predict(features, corpus_dir, tmp_path):
    from skser import load_model

    model = tmp_path / "model.skser"
    res = skser("fit", features, "-o", model, "--quick", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    saved, bundle = load_model(model, return_metadata=True)
    bundle.update(saved)
    assert bundle["features"] == {"feature_set": "egemaps_like", "sr": 16000}

    files = [corpus_dir / "audio" / f"u{i:03d}.wav" for i in (0, 5, 9)]
    res = skser("predict", model, *files, "-o", "pred.csv", cwd=tmp_path,
                script=SCRIPT.exists())
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "path,emotion"
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert pred["path"].tolist() == [str(f) for f in files]
    assert len(lines) == 4 and set(pred["emotion"]) <= set(bundle["classes"])
    # The same predictions as the saved pipeline on the table's features of those files.
    table = pd.read_csv(features)
    clean = table[table["condition"] == "clean"].set_index("path")
    X = clean.loc[[f"audio/{f.name}" for f in files], bundle["feature_columns"]].to_numpy()
    assert pred["emotion"].tolist() == list(bundle["pipeline"].predict(X))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("evaluate", "missing.csv"), "does not exist"),
        (("evaluate", "bad.csv"), "cannot read bad.csv"),
        (("evaluate", "nolabel.csv"), "no 'emotion' column"),
        (("fit", "missing.csv", "-o", "m.joblib"), "does not exist"),
        (("extract", "no_such_dir", "-o", "f.csv"), "does not exist"),
        (("extract", ".", "-o", "f.csv", "--snrs", "10"), "--noise-dir and --snrs"),
        (("predict", "missing.joblib", "x.wav"), "does not exist"),
        (("predict", "bad.csv", "x.wav"), "cannot load bad.csv as a skser model"),
        (("fit", "nan.csv", "-o", "m.skser"), "column(s) 'f1' (rows [1])"),
        (("demo", "--random-state", "abc"), "invalid int value"),
        (("evaluate", "--models", "lstm", "x.csv"), "invalid choice"),
        (("no-such-command",), "invalid choice"),
        (("extract", ".", "-o", "f.csv", "--sr", "100"), "at least 8000 Hz, got '100'"),
    ],
)
def test_user_mistakes_give_one_line_and_nonzero_exit(tmp_path, args, needle):
    (tmp_path / "bad.csv").write_text('a,b\n1,2,3,4\n"unterminated\n')
    (tmp_path / "nolabel.csv").write_text("corpus,f1\na,1.0\nb,2.0\n")
    (tmp_path / "nan.csv").write_text("emotion,f0,f1\na,1.0,1.0\nb,2.0,nan\na,1,2\nb,3,4\n")
    line = _one_error_line(skser(*args, cwd=tmp_path))
    assert line.startswith("skser")
    assert needle in line


def test_main_returns_the_status_of_a_usage_error_instead_of_exiting(capsys):
    from skser.cli import main

    assert main(["evaluate", "--models", "lstm", "x.csv"]) == 2
    assert "invalid choice: 'lstm'" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "Run 'skser COMMAND --help'" in capsys.readouterr().out


def test_debug_shows_the_traceback(tmp_path):
    res = skser("--debug", "evaluate", "missing.csv", cwd=tmp_path)
    assert res.returncode != 0
    assert "Traceback" in res.stderr


def test_summary_table_keeps_a_failed_pair_visible():
    from skser.cli._report import summary_table

    rows = [
        # pipeline, train, test, condition, metric, value, n
        ("A", "c0", "c1", "clean", "uar", 0.50, 10),
        ("A", "c1", "c0", "clean", "uar", np.nan, 10),  # this fit failed
        ("B", "c0", "c1", "clean", "uar", 0.40, 10),
        ("B", "c1", "c0", "clean", "uar", 0.60, 10),
        ("A", "c0", "c0", "clean", "uar", 0.70, 10),
        ("B", "c0", "c0", "clean", "uar", 0.80, 10),
    ]
    table = pd.DataFrame(rows, columns=["pipeline", "train", "test", "condition", "metric",
                                        "value", "n"])
    wide = summary_table(table)
    assert list(wide.columns) == ["A", "B"]
    assert list(wide.index) == [("within corpus", "clean"), ("cross corpus", "clean")]
    # A's cross-corpus average is not the one pair that ran (50.0) but NaN.
    assert np.isnan(wide.loc[("cross corpus", "clean"), "A"])
    np.testing.assert_allclose(wide.loc[("cross corpus", "clean"), "B"], 50.0)
    np.testing.assert_allclose(wide.loc[("within corpus", "clean")].to_numpy(), [70.0, 80.0])


def test_evaluate_pairs_intervals_and_warnings_in_cli_style(features, tmp_path):
    # A clean-only table stacked with a noisy one: the noisy conditions lack the clean-only
    # corpus's files and are left out, said in one CLI-style line, not Python's
    # "file:line: UserWarning" and source line for each condition.
    table = pd.read_csv(features)
    synth0 = table["corpus"] == "synth0"
    table[synth0 & (table["condition"] == "clean")].to_csv(tmp_path / "clean0.csv", index=False)
    table[~synth0].to_csv(tmp_path / "noisy1.csv", index=False)
    res = skser("evaluate", "clean0.csv", "noisy1.csv", "--models", "svc", "--no-plots",
                "--n-bootstrap", "200", "-o", "ev", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    warning = [line for line in res.stderr.splitlines() if "warning" in line]
    n_clean = N_FILES // N_CORPORA
    assert warning == [
        f"skser evaluate: warning: 2 noisy condition(s) ('noise 10 dB', 'noise 0 dB') lack "
        f"{n_clean} of the {N_FILES} clean files (corpus 'synth0') and are left out; to score "
        "them, extract every table with the same --noise-dir and --snrs"]
    assert "UserWarning" not in res.stderr and "warnings.warn" not in res.stderr
    # The per-pair breakdown with intervals, in the terminal and in results.md.
    assert "UAR (%) per train -> test with 95% bootstrap intervals" in res.stdout
    results = pd.read_csv(tmp_path / "ev" / "results.csv")
    row = results.query("train == 'synth0' and test == 'synth1' and condition == 'clean' "
                        "and metric == 'uar'").iloc[0]
    cell = f"{100 * row.value:.1f} [{100 * row.ci_low:.1f}, {100 * row.ci_high:.1f}]"
    assert "synth0 -> synth1  clean" in res.stdout and cell in res.stdout
    md = (tmp_path / "ev" / "results.md").read_text()
    assert "### UAR (%) per train -> test" in md
    assert f"| synth0 -> synth1 | clean | {cell} |" in md
    assert "pooled out-of-fold predictions" in md


def test_speaker_normalisation_warns_when_speakers_carry_one_emotion(features, tmp_path):
    table = pd.read_csv(features)
    # In synth0 every "speaker" says one emotion only; synth1 keeps its real speakers.
    confounded = table["corpus"] == "synth0"
    table.loc[confounded, "speaker"] = "s-" + table.loc[confounded, "emotion"]
    table.to_csv(tmp_path / "confounded.csv", index=False)
    res = skser("evaluate", "confounded.csv", "--models", "svc", "--normalise", "speaker",
                "--no-plots", "--n-bootstrap", "0", "--snrs", "0", "-o", "ev", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    warnings = [line for line in res.stderr.splitlines() if "warning" in line]
    assert any("corpus 'synth0'" in w and "Cramér's V 1.00" in w for w in warnings), warnings
    assert not any("synth1" in w for w in warnings)


def test_speaker_emotion_association_reference_values():
    from skser.cli._evaluate import speaker_emotion_association

    # Cramér's V by hand: table [[10, 0], [0, 10]] -> chi2 = n = 20, V = sqrt(20 / 20) = 1.
    spk = np.repeat(["a", "b"], 10)
    assert speaker_emotion_association(spk, np.repeat(["x", "y"], 10)) == pytest.approx(1.0)
    # Every speaker says every emotion equally often: independent, V = 0.
    assert speaker_emotion_association(spk, np.tile(["x", "y"], 10)) == pytest.approx(0.0)
    assert np.isnan(speaker_emotion_association(spk, np.repeat("x", 20)))


def test_library_advice_is_given_as_command_line_flags(tmp_path):
    import soundfile as sf

    from skser.cli._main import in_cli_terms

    (tmp_path / "odd").mkdir()
    for name in ("first take.wav", "second take.wav"):
        sf.write(tmp_path / "odd" / name, np.zeros(1600), 16000)
    line = _one_error_line(skser("extract", "odd", "-o", "f.csv", cwd=tmp_path))
    assert "cannot tell the layout" in line and "pass --layout one of" in line
    assert "layout=" not in line
    # A command without the option gets what to do with that command instead.
    text = "cannot read x.wav (item 0 of 1). Pass on_error='skip' or 'nan' to continue."
    out = in_cli_terms(text, "predict", {"--output", "--n-jobs"})
    assert "on_error" not in out and "Remove that file from the command line" in out
    assert "--on-error skip" in in_cli_terms(text, "extract", {"--on-error"})


def test_predict_with_a_table_instead_of_a_model_says_what_to_give(tmp_path):
    (tmp_path / "emodb.csv").write_text("path,emotion\na.wav,angry\n")
    line = _one_error_line(skser("predict", "emodb.csv", "x.wav", cwd=tmp_path))
    assert "cannot load emodb.csv as a skser model: emodb.csv is not a skser model file" in line
    assert "a model file written by 'skser fit -o MODEL.skser'" in line


# --------------------------------------------------------------------------------------------
# Model files, predict --proba, closed pipes, files that cannot be judged
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def svc_model(features, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "svc.skser"
    res = skser("fit", features, "-o", path, "--model", "svc", cwd=path.parent)
    assert res.returncode == 0, res.stderr
    return path


class _Marker:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "pwned"))


def test_predict_refuses_a_pickle_model_and_never_runs_it(corpus_dir, tmp_path):
    marker = tmp_path / "marker.txt"
    joblib.dump({"format": "skser-model-1", "pipeline": _Marker(marker)}, tmp_path / "m.joblib")
    res = skser("predict", "m.joblib", corpus_dir / "audio" / "u000.wav", cwd=tmp_path)
    line = _one_error_line(res)
    assert "m.joblib is a pickle file" in line and "--trust-pickle" in line
    assert res.returncode == 2
    assert not marker.exists()


def test_predict_loads_a_legacy_pickle_only_with_trust_pickle(features, corpus_dir, tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from skser.features import feature_names

    table = pd.read_csv(features)
    cols = feature_names("egemaps_like")
    pipe = Pipeline([("s", StandardScaler()), ("svc", SVC())])
    pipe.fit(table[cols].to_numpy(), table["emotion"].astype(str))
    joblib.dump({"format": "skser-model-1", "pipeline": pipe, "feature_columns": cols,
                 "features": {"feature_set": "egemaps_like", "sr": 16000},
                 "classes": sorted(set(table["emotion"]))}, tmp_path / "old.joblib")
    wav = corpus_dir / "audio" / "u000.wav"
    res = skser("predict", "old.joblib", wav, "--trust-pickle", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "warning" in res.stderr and "runs any code" in res.stderr
    assert res.stdout.splitlines()[1].startswith(f"{wav},")


def test_tampered_model_file_is_refused_naming_it(svc_model, corpus_dir, tmp_path):
    import zipfile

    with zipfile.ZipFile(svc_model) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["skser-model.json"] = parts["skser-model.json"].replace(b'"svc"', b'"pca-svc"')
    with zipfile.ZipFile(tmp_path / "t.skser", "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    res = skser("predict", "t.skser", corpus_dir / "audio" / "u000.wav", cwd=tmp_path)
    line = _one_error_line(res)
    assert "checksum of t.skser does not match" in line


def test_predict_proba_columns(svc_model, corpus_dir, tmp_path):
    from skser import load_model

    files = [corpus_dir / "audio" / f"u{i:03d}.wav" for i in (0, 3)]
    res = skser("predict", svc_model, *files, "--proba", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(io.StringIO(res.stdout))
    bundle = load_model(svc_model)
    classes = [str(c) for c in bundle["confidence"].classes_]
    assert list(table.columns) == (["path", "emotion", "confidence", "atypical_features"]
                                   + [f"p_{c}" for c in classes])
    probs = table[[f"p_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    for _, row in table.iterrows():  # the confidence is the probability of the emotion shown
        assert row["confidence"] == pytest.approx(row[f"p_{row['emotion']}"])
    # The emotions are those printed without --proba.
    plain = skser("predict", svc_model, *files, cwd=tmp_path)
    assert pd.read_csv(io.StringIO(plain.stdout))["emotion"].tolist() == \
        table["emotion"].tolist()


def test_predict_flags_audio_unlike_the_training_speech(svc_model, corpus_dir, tmp_path):
    import soundfile as sf

    loud = np.random.default_rng(0).uniform(-0.9, 0.9, size=16000)  # pure loud noise
    sf.write(tmp_path / "noise.wav", loud, 16000)
    speech = corpus_dir / "audio" / "u000.wav"
    res = skser("predict", svc_model, speech, "noise.wav", "--proba", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(io.StringIO(res.stdout))
    n_speech, n_noise = table["atypical_features"].tolist()
    assert n_noise > 8.8 >= n_speech  # a tenth of the 88 features
    assert "noise.wav is unlike the training speech" in res.stderr
    assert "u000.wav is unlike" not in res.stderr


def test_predict_to_a_closed_pipe_exits_quietly(svc_model, corpus_dir, tmp_path):
    cmd = [sys.executable, "-m", "skser.cli", "predict", str(svc_model),
           str(corpus_dir / "audio")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before the first line (as 'head' after a line)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_predict_cannot_judge_silent_or_empty_files(svc_model, corpus_dir, tmp_path):
    import soundfile as sf

    sf.write(tmp_path / "silent.wav", np.zeros(16000), 16000)
    sf.write(tmp_path / "empty.wav", np.zeros(0), 16000)
    good = corpus_dir / "audio" / "u000.wav"
    res = skser("predict", svc_model, "silent.wav", "empty.wav", good, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = [line.split(",") for line in res.stdout.strip().splitlines()[1:]]
    assert rows[0] == ["silent.wav", ""] and rows[1] == ["empty.wav", ""]
    assert rows[2][1] != ""
    assert "cannot judge silent.wav: silent" in res.stderr
    assert "cannot judge empty.wav: empty" in res.stderr


# --------------------------------------------------------------------------------------------
# extract: bad files, damaged partial files, concurrent runs
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def bad_corpus(corpus_dir, tmp_path):
    """A 'folders' corpus: two good files, one with a NaN sample, one at 1 Hz, one silent,
    one empty and one MP3."""
    import shutil

    import soundfile as sf

    root = tmp_path / "corpus"
    for emotion in ("angry", "sad"):
        (root / emotion).mkdir(parents=True)
    shutil.copy(corpus_dir / "audio" / "u000.wav", root / "angry" / "good1.wav")
    shutil.copy(corpus_dir / "audio" / "u001.wav", root / "sad" / "good2.wav")
    x, _ = sf.read(corpus_dir / "audio" / "u002.wav")
    nan = x.copy()
    nan[100] = np.nan
    sf.write(root / "sad" / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(root / "sad" / "onehz.wav", x[:6000], 1, subtype="PCM_16")
    sf.write(root / "angry" / "silent.wav", np.zeros(8000), 16000)
    sf.write(root / "angry" / "empty.wav", np.zeros(0), 16000)
    sf.write(root / "angry" / "speech.mp3", x, 16000, format="MP3")
    return root


def test_extract_skips_every_bad_file_and_names_it(bad_corpus, tmp_path):
    res = skser("extract", bad_corpus, "-o", "f.csv", "--layout", "folders", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    table = pd.read_csv(tmp_path / "f.csv")
    names = sorted(Path(p).name for p in table["path"])
    assert names == ["good1.wav", "good2.wav", "speech.mp3"]  # the MP3 is found and read
    err = res.stderr
    for name, why in [("nan.wav", "NaN"), ("onehz.wav", "1 Hz"), ("silent.wav", "silent"),
                      ("empty.wav", "empty")]:
        line = next(ln for ln in err.splitlines() if name in ln)
        assert why in line, line
    assert "4 file(s) skipped" in err


def test_extract_on_error_raise_stops_naming_the_file(bad_corpus, tmp_path):
    (bad_corpus / "angry" / "silent.wav").unlink()
    (bad_corpus / "angry" / "empty.wav").unlink()
    (bad_corpus / "sad" / "onehz.wav").unlink()
    res = skser("extract", bad_corpus, "-o", "f.csv", "--layout", "folders", "--on-error",
                "raise", cwd=tmp_path)
    line = _one_error_line(res)
    assert "nan.wav" in line and "NaN" in line
    assert not (tmp_path / "f.csv").exists()


def _partial_from(features, output, lines):
    """A .partial (given lines of the reference table) and its settings beside ``output``."""
    import json

    saved = json.loads(Path(f"{features}.json").read_text())
    Path(f"{output}.partial.json").write_text(json.dumps({"settings": saved["settings"],
                                                          "columns": saved["columns"]}))
    Path(f"{output}.partial").write_bytes(b"".join(lines))


def _same_table(a, b):
    key = ["path", "condition"]
    a = pd.read_csv(a).sort_values(key).reset_index(drop=True)
    b = pd.read_csv(b).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_extract_resume_with_an_empty_partial_writes_the_header(features, corpus_dir):
    out = corpus_dir / "empty_partial.csv"
    _partial_from(features, out, [])  # the disk filled while the header was written
    res = skser(*_extract_args(out.name), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert out.read_text().splitlines()[0].startswith("path,emotion,")
    _same_table(out, features)


def test_extract_resume_drops_and_recomputes_damaged_rows(features, corpus_dir):
    out = corpus_dir / "damaged.csv"
    lines = features.read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    damaged = [header, rows[0], rows[1], rows[0],  # a repeated row
               b"\x00" * 40 + b"\n",  # NUL bytes left by a power cut
               rows[2][: len(rows[2]) // 2] + b"\n",  # a short row
               rows[3], b"\x00" * 10]  # and a torn last line
    _partial_from(features, out, damaged)
    res = skser(*_extract_args(out.name), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert "3 rows already done" in res.stderr and "3 damaged or repeated" in res.stderr
    _same_table(out, features)


def test_extract_refuses_an_output_locked_by_a_live_run(corpus_dir, tmp_path):
    import json
    import socket

    out = tmp_path / "locked.csv"
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "started": "2026-01-01 00:00"}
    Path(f"{out}.lock").write_text(json.dumps(owner))
    res = skser(*_extract_args(str(out)), cwd=corpus_dir)
    line = _one_error_line(res)
    assert f"process {os.getpid()}" in line and "being written by another run" in line
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_extract_takes_over_a_stale_lock(corpus_dir, tmp_path):
    import json
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "stale.csv"
    Path(f"{out}.lock").write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(),
                                               "started": "2026-01-01 00:00"}))
    res = skser("extract", "manifest.csv", "--layout", "csv", "-o", str(out), cwd=corpus_dir)
    assert res.returncode == 0, res.stderr
    assert len(pd.read_csv(out)) == N_FILES
    assert not Path(f"{out}.lock").exists()


def test_help_does_not_import_the_progress_bar_library(tmp_path):
    code = ("import sys; from skser.cli import main; main(['evaluate', '--help']); "
            "print('tqdm' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "--n-bootstrap" in res.stdout and res.stdout.strip().endswith("False")


def test_fit_shows_its_stages_as_progress(features, tmp_path, monkeypatch):
    import skser.cli._fit_predict as fit_predict
    from skser.cli import main

    shown = []

    class Recorder:
        def __init__(self, total, **kwargs):
            shown.append(("total", total))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            shown.append(("closed",))

        def set_postfix_str(self, text):
            shown.append(("stage", text.split(" ")[0]))

        def update(self, n):
            shown.append(("update", n))

    monkeypatch.setattr(fit_predict, "progress_bar", Recorder)
    assert main(["fit", str(features), "-o", str(tmp_path / "m.skser"), "--model", "svc"]) == 0
    assert shown == [("total", 3), ("stage", "training"), ("update", 1), ("stage", "calibrating"),
                     ("update", 1), ("stage", "saving"), ("update", 1), ("closed",)]
    assert (tmp_path / "m.skser").is_file()


# --------------------------------------------------------------------------------------------
# --task: binary arousal and valence
# --------------------------------------------------------------------------------------------

AROUSAL = {"neutral": "low", "sad": "low", "happy": "high", "angry": "high"}
VALENCE = {"neutral": "positive", "happy": "positive", "sad": "negative", "angry": "negative"}


def test_evaluate_task_arousal_is_evaluate_on_mapped_labels(features, tmp_path):
    """--task arousal gives the same results as the emotions replaced by hand (Schuller et
    al.'s map) in the table."""
    table = pd.read_csv(features)
    table["emotion"] = table["emotion"].map(AROUSAL)
    table.to_csv(tmp_path / "by_hand.csv", index=False)
    common = ("--models", "svc", "--scoring", "uar", "--no-plots", "--n-bootstrap", "0")
    res = skser("evaluate", features, *common, "--task", "arousal", "-o", "task", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "UAR (%) of binary arousal" in res.stdout
    assert "task arousal" in res.stderr
    ref = skser("evaluate", "by_hand.csv", *common, "-o", "hand", cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    got = pd.read_csv(tmp_path / "task" / "results.csv")
    want = pd.read_csv(tmp_path / "hand" / "results.csv")
    pd.testing.assert_frame_equal(got, want)
    assert "binary arousal (high, low)" in (tmp_path / "task" / "results.md").read_text()


def test_fit_task_valence_then_predict_prints_valence(features, corpus_dir, tmp_path):
    from skser import load_model

    model = tmp_path / "valence.skser"
    res = skser("fit", features, "-o", model, "--model", "svc", "--task", "valence",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "task valence (negative, positive)" in res.stderr
    saved, meta = load_model(model, return_metadata=True)
    assert meta["task"] == "valence" and meta["classes"] == ["negative", "positive"]
    files = [corpus_dir / "audio" / f"u{i:03d}.wav" for i in range(4)]
    res = skser("predict", model, *files, "--proba", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    pred = pd.read_csv(io.StringIO(res.stdout))
    assert list(pred.columns[:2]) == ["path", "valence"]
    assert {"p_negative", "p_positive"} <= set(pred.columns)
    table = pd.read_csv(features)
    clean = table[table["condition"] == "clean"].set_index("path")
    X = clean.loc[[f"audio/{f.name}" for f in files], meta["feature_columns"]].to_numpy()
    assert pred["valence"].tolist() == list(saved["pipeline"].predict(X))
    # the classifier was trained on mapped labels: same as fitting it on them directly
    from sklearn.base import clone

    y = clean[meta["feature_columns"] + ["emotion"]]
    ref = clone(saved["pipeline"]).fit(y[meta["feature_columns"]].to_numpy(),
                                       y["emotion"].map(VALENCE).to_numpy())
    assert pred["valence"].tolist() == list(ref.predict(X))


@pytest.mark.parametrize("command", [("evaluate", "--no-plots"), ("fit", "-o", "m.skser")])
def test_task_with_an_unmapped_emotion_is_one_line(features, tmp_path, command):
    table = pd.read_csv(features)
    table.loc[table["emotion"] == "sad", "emotion"] = "frustrated"
    table.to_csv(tmp_path / "odd.csv", index=False)
    res = skser(command[0], "odd.csv", *command[1:], "--task", "arousal", cwd=tmp_path)
    line = _one_error_line(res)
    assert ("--task arousal: the emotion(s) ['frustrated'] of column 'emotion' have no arousal "
            "class; the arousal map knows angry, boredom, calm") in line


def test_task_choices_are_the_library_tasks():
    from skser.cli._main import TASKS
    from skser.datasets._dimensions import TASKS as LIBRARY_TASKS

    assert TASKS == LIBRARY_TASKS


@pytest.mark.parametrize("command", [("evaluate", "--no-plots"), ("fit", "-o", "m.skser")])
def test_task_with_one_class_left_names_it_plainly(features, tmp_path, command):
    """Angry and sad are both negative valence: the message shows the class as text."""
    table = pd.read_csv(features)
    table = table[table["emotion"].isin(["angry", "sad"])]
    table.to_csv(tmp_path / "negative.csv", index=False)
    res = skser(command[0], "negative.csv", *command[1:], "--task", "valence", cwd=tmp_path)
    line = _one_error_line(res)
    assert line.endswith("['negative']"), line


def test_evaluate_task_names_the_task_in_the_snr_plot(features, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    import skser.plotting
    from skser.cli import main

    titles = []
    original = skser.plotting.plot_uar_vs_snr

    def recording(*args, **kwargs):
        titles.append(kwargs["title"])
        return original(*args, **kwargs)

    monkeypatch.setattr(skser.plotting, "plot_uar_vs_snr", recording)
    assert main(["evaluate", str(features), "--models", "svc", "--task", "arousal",
                 "--n-bootstrap", "0", "-o", str(tmp_path / "ev"), "--quiet"]) == 0
    plt.close("all")
    assert titles == ["UAR of binary arousal against SNR, trained on clean speech"]


# --------------------------------------------------------------------------------------------
# Rows without an emotion, single-class corpora, --mapping (in process, on a table made here)
# --------------------------------------------------------------------------------------------

QUICK = ("--models", "svc", "--scoring", "uar", "--no-plots", "--n-bootstrap", "0", "--quiet")


def _table(path, n_per_corpus=24, corpora=("a", "b", "c")):
    """A features table like the one ``skser extract`` writes: 4 emotions, 3 speakers."""
    rng = np.random.default_rng(0)
    emotions = np.array(["angry", "sad", "happy", "neutral"])
    rows = []
    for c in corpora:
        for i in range(n_per_corpus):
            e = emotions[i % 4]
            rows.append({"path": f"{c}/u{i:02d}.wav", "emotion": e, "speaker": f"{c}:s{i % 3}",
                         "corpus": c, "label": e, "condition": "clean"})
    table = pd.DataFrame(rows)
    codes = np.unique(table["emotion"], return_inverse=True)[1]
    for k in range(4):
        table[f"f{k}"] = rng.normal(size=len(table)) + (codes == k) * 2.0
    table.to_csv(path, index=False)
    return table


def _stderr_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _evaluate_quick(table_csv, out, *args):
    """``skser evaluate TABLE`` in process with the QUICK options; its results table."""
    from skser.cli import main

    assert main(["evaluate", str(table_csv), *QUICK, *args, "-o", str(out)]) == 0
    return pd.read_csv(out / "results.csv")


def test_evaluate_counts_rows_without_an_emotion_per_corpus(tmp_path, capsys):
    """Empty emotion cells used to vanish without a word; the results equal the table
    without those rows."""

    table = _table(tmp_path / "all.csv")
    table.loc[[0, 1, 2, 30], "emotion"] = np.nan     # 3 in corpus a, 1 in corpus b
    table.loc[[1, 2], "label"] = ["frustrated", "bored?"]
    table.to_csv(tmp_path / "holes.csv", index=False)
    table.dropna(subset=["emotion"]).to_csv(tmp_path / "kept.csv", index=False)
    got = _evaluate_quick(tmp_path / "holes.csv", tmp_path / "h")
    assert _stderr_lines(capsys) == [
        "skser evaluate: warning: 4 of 72 clean rows have no emotion (4 with an empty 'emotion' "
        "cell) and are left out (a: 3, b: 1); their 'label' column holds 'bored?', "
        "'frustrated', which skser does not know as an emotion: give those files their "
        "emotions (an 'emotion' column of angry, happy, sad, neutral, ... in the manifest) and "
        "extract again"]
    pd.testing.assert_frame_equal(got, _evaluate_quick(tmp_path / "kept.csv", tmp_path / "k"))
    assert got.loc[got["test"] == "a", "n"].iloc[0] == 21


def test_fit_counts_rows_without_an_emotion_per_corpus(tmp_path, capsys):
    from skser import load_model
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table.loc[[5, 60], "emotion"] = np.nan
    table.to_csv(tmp_path / "holes.csv", index=False)
    assert main(["fit", str(tmp_path / "holes.csv"), "--model", "svc",
                 "-o", str(tmp_path / "m.skser")]) == 0
    assert ("skser fit: warning: 2 of 72 clean rows have no emotion (2 with an empty 'emotion' "
            "cell) and are left out (a: 1, c: 1)") in _stderr_lines(capsys)
    _, meta = load_model(tmp_path / "m.skser", return_metadata=True)
    assert meta["n_train"] == 70 and meta["mapping"] is None


@pytest.mark.parametrize("command", [("evaluate", *QUICK), ("fit", "--model", "svc")])
def test_a_corpus_without_any_emotion_is_an_error_naming_it(tmp_path, capsys, command):
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table.loc[table["corpus"] == "b", "emotion"] = np.nan
    table.loc[table["corpus"] == "b", "label"] = "Zorn"
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main([command[0], str(tmp_path / "t.csv"), *command[1:],
                 "-o", str(tmp_path / "out")]) == 2
    (line,) = _stderr_lines(capsys)
    assert line == (
        f"skser {command[0]}: error: corpus 'b': none of its 24 clean rows has an emotion (an "
        "empty 'emotion' cell on every row), so it can be neither trained nor tested on; their "
        "'label' column holds 'Zorn', which skser does not know as an emotion. Give those files "
        "their emotions (an 'emotion' column of angry, happy, sad, neutral, ... in the "
        "manifest) and extract again, or leave its table out")


def test_evaluate_empty_corpus_cell_is_an_error(tmp_path, capsys):
    """It used to make a corpus named 'nan'."""
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table.loc[[4, 7], "corpus"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["evaluate", str(tmp_path / "t.csv"), *QUICK, "-o", str(tmp_path / "o")]) == 2
    assert _stderr_lines(capsys) == [
        "skser evaluate: error: 2 of 72 clean rows have an empty 'corpus' cell, first "
        "'a/u04.wav'; give every row its corpus (or choose the column with --corpus-column)"]


@pytest.mark.parametrize("task, emotions, message", [
    ("emotion", ["angry"], "holds a single emotion, 'angry', in its 24 clean rows: every "
                           "corpus is trained on in turn"),
    ("arousal", ["angry", "happy"], "holds a single arousal class, 'high', in its 24 clean rows "
                                    "(the arousal map puts all its emotions, angry, happy, in "
                                    "'high')"),
])
def test_evaluate_single_class_corpus_is_an_error_before_any_fit(tmp_path, capsys, monkeypatch,
                                                                 task, emotions, message):
    """It used to fit every model, give NaN for that corpus and warn of failed fits."""
    import skser.model_selection
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    b = table["corpus"] == "b"
    table.loc[b, "emotion"] = np.resize(emotions, int(b.sum()))
    table.to_csv(tmp_path / "t.csv", index=False)
    calls = []
    monkeypatch.setattr(skser.model_selection, "cross_corpus_evaluate",
                        lambda *a, **k: calls.append(k))
    assert main(["evaluate", str(tmp_path / "t.csv"), *QUICK, "--task", task,
                 "-o", str(tmp_path / "o")]) == 2
    (line,) = _stderr_lines(capsys)
    assert line.startswith(f"skser evaluate: error: corpus 'b' {message}"), line
    assert line.endswith("or leave its table out")
    assert calls == [] and not (tmp_path / "o").exists()


MAP_FILE = "emotion,class\nangry,high\nhappy,\nsad,low\nneutral,high\n"
BY_HAND = {"angry": "high", "sad": "low", "neutral": "high"}   # neutral is low by default


def test_evaluate_mapping_file_equals_the_emotions_mapped_by_hand(tmp_path, capsys):

    table = _table(tmp_path / "t.csv")
    (tmp_path / "map.csv").write_text(MAP_FILE)
    by_hand = table[table["emotion"] != "happy"].copy()
    by_hand["emotion"] = by_hand["emotion"].map(BY_HAND)
    by_hand.to_csv(tmp_path / "hand.csv", index=False)
    got = _evaluate_quick(tmp_path / "t.csv", tmp_path / "m", "--task", "arousal",
                          "--mapping", str(tmp_path / "map.csv"))
    assert _stderr_lines(capsys) == [
        "skser evaluate: warning: --task arousal: 18 of 72 clean rows have no arousal class "
        "(18 with an emotion the --mapping file leaves out (an empty class)) and are left out "
        "(a: 6, b: 6, c: 6)"]
    pd.testing.assert_frame_equal(got, _evaluate_quick(tmp_path / "hand.csv", tmp_path / "h"))
    assert "binary arousal (high, low) mapped from the emotions by map.csv" in (
        tmp_path / "m" / "results.md").read_text()


def test_fit_mapping_file_is_used_and_saved(tmp_path, capsys):
    from skser import load_model
    from skser.cli import main

    table = _table(tmp_path / "t.csv")
    (tmp_path / "map.csv").write_text(MAP_FILE)
    assert main(["fit", str(tmp_path / "t.csv"), "--model", "svc", "--task", "arousal",
                 "--mapping", str(tmp_path / "map.csv"), "-o", str(tmp_path / "m.skser")]) == 0
    model, meta = load_model(tmp_path / "m.skser", return_metadata=True)
    assert meta["mapping"] == {"angry": "high", "happy": None, "sad": "low", "neutral": "high"}
    assert meta["n_train"] == 54 and meta["classes"] == ["high", "low"]
    kept = table[table["emotion"] != "happy"]
    X = kept[[f"f{k}" for k in range(4)]].to_numpy()
    from sklearn.base import clone

    ref = clone(model["pipeline"]).fit(X, kept["emotion"].map(BY_HAND).to_numpy())
    np.testing.assert_array_equal(model["pipeline"].predict(X), ref.predict(X))


@pytest.mark.parametrize("content, task, message", [
    (None, "arousal", "--mapping {path}: the file does not exist; give a CSV file of "
                      "'emotion,class' lines"),
    ("", "arousal", "--mapping {path}: the file is empty; give a header and one line per "
                    "emotion, e.g. 'emotion,class' then 'angry,high'"),
    ("angry,high\n", "valence", "--mapping {path}, line 1: the header must be 'emotion,class' "
                                "(or 'emotion,valence'), got 'angry,high'; e.g. 'emotion,class' "
                                "then 'angry,negative'"),
    ("emotion,arousal\nangry,high\n\nsad,low,x\n", "arousal",
     "--mapping {path}, line 4: expected 2 fields 'emotion,class', got 3: 'sad,low,x'"),
    ("emotion,class\n,high\n", "arousal",
     "--mapping {path}, line 2: the emotion is empty: ',high'"),
    ("emotion,class\nangry,high\nangry,low\n", "arousal",
     "--mapping {path}, line 3: emotion 'angry' is given the class 'low' here and 'high' on "
     "line 2; keep one"),
    ("emotion,class\n", "arousal", "--mapping {path}: no emotion line after the header; e.g. "
                                   "'emotion,class' then 'angry,high'"),
    ("emotion,class\nangry,high\nhappy,high\n", "arousal",
     "--task arousal: the emotion(s) ['neutral', 'sad'] of column 'emotion' have no arousal "
     "class; the --mapping file {path} knows angry, happy. Add a line for each to the "
     "--mapping file (an empty class leaves their rows out)"),
    (MAP_FILE + "angyr,high\n", "arousal",
     "--mapping {path}, line 6: 'angyr' is no emotion of column 'emotion' (angry, happy, "
     "neutral, sad) nor one skser knows; correct its spelling or remove the line"),
    (MAP_FILE, "emotion", "--mapping maps emotions onto arousal or valence classes; it needs "
                          "--task arousal or --task valence"),
])
@pytest.mark.parametrize("command", [("evaluate", *QUICK), ("fit", "--model", "svc")])
def test_mapping_file_mistakes_are_one_line(tmp_path, capsys, content, task, message, command):
    from skser.cli import main

    _table(tmp_path / "t.csv")
    path = tmp_path / "map.csv"
    if content is not None:
        path.write_text(content)
    assert main([command[0], str(tmp_path / "t.csv"), *command[1:], "--task", task,
                 "--mapping", str(path), "-o", str(tmp_path / "out")]) == 2
    assert _stderr_lines(capsys) == [
        f"skser {command[0]}: error: {message.format(path=path)}"]


def test_mapping_is_documented_in_the_help(capsys):
    from skser.cli import main

    for command in ("evaluate", "fit"):
        assert main([command, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "--mapping FILE" in text and "header is 'emotion,class'" in text


def test_evaluate_says_when_folds_are_not_speaker_independent(tmp_path, capsys):
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table.loc[[3, 40], "speaker"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["evaluate", str(tmp_path / "t.csv"), *QUICK, "-o", str(tmp_path / "o")]) == 0
    (line,) = _stderr_lines(capsys)
    assert line.startswith("skser evaluate: warning: 2 of 72 clean rows have an empty 'speaker' "
                           "cell (a: 1, b: 1), so the within-corpus folds are stratified by "
                           "emotion, not speaker-independent"), line
    note = (tmp_path / "o" / "results.md").read_text()
    assert "folds stratified by emotion (not speaker-independent" in note
    assert "speaker-independent folds;" not in note


def test_integer_emotion_codes_with_an_empty_cell_stay_whole_numbers(tmp_path):
    from skser.cli._evaluate import task_rows

    clean = pd.DataFrame({"emotion": [1, 2, None, 3], "corpus": ["a"] * 4})
    with pytest.warns(UserWarning, match=r"1 of 4 clean rows have no emotion .*\(a: 1\)"):
        y, keep = task_rows(clean, label_column="emotion", task="emotion",
                            corpus=clean["corpus"].to_numpy())
    assert y.tolist() == ["1", "2", "3"] and keep.tolist() == [True, True, False, True]


def test_evaluate_says_when_a_single_speaker_skips_within_corpus_folds(tmp_path, capsys):
    """Within-corpus results used to vanish for every corpus without a word."""
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table.loc[table["corpus"] == "c", "speaker"] = "c:s0"
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["evaluate", str(tmp_path / "t.csv"), *QUICK, "-o", str(tmp_path / "o")]) == 0
    assert _stderr_lines(capsys) == [
        "skser evaluate: warning: corpus 'c' has a single speaker, so no speaker-independent "
        "folds can be made: the within-corpus evaluation is skipped for every corpus and only "
        "cross-corpus results are given. Leave that corpus out to get within-corpus results "
        "for the others"]
    results = pd.read_csv(tmp_path / "o" / "results.csv")
    assert (results["train"] != results["test"]).all()


def _with_noise(table):
    """The table with a noisy condition: each file's features plus its own offset."""
    noisy = table.copy()
    noisy["condition"] = "hum 0 dB"
    shift = np.arange(len(table)) % 7 * 0.3
    for k in range(4):
        noisy[f"f{k}"] = noisy[f"f{k}"] + shift
    return pd.concat([table, noisy], ignore_index=True)


def test_evaluate_matches_noisy_rows_by_corpus_and_path(tmp_path):
    """Tables of two corpora may share relative paths: each corpus keeps its own noisy rows
    (corpus b's used to be replaced by corpus a's)."""
    from skser.cli import main

    table = _table(tmp_path / "all.csv", corpora=("a", "b"))
    distinct = _with_noise(table)
    shared = distinct.copy()
    shared["path"] = shared["path"].str.replace(r"^[ab]/", "audio/", regex=True)
    distinct.to_csv(tmp_path / "distinct.csv", index=False)
    shared.to_csv(tmp_path / "shared.csv", index=False)
    for name in ("distinct", "shared"):
        assert main(["evaluate", str(tmp_path / f"{name}.csv"), *QUICK,
                     "-o", str(tmp_path / name)]) == 0
    got = pd.read_csv(tmp_path / "shared" / "results.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(tmp_path / "distinct" / "results.csv"))
    assert "hum 0 dB" in set(got["condition"])


def test_evaluate_refuses_a_table_stacked_twice(tmp_path, capsys):
    from skser.cli import main

    _table(tmp_path / "t.csv")
    assert main(["evaluate", str(tmp_path / "t.csv"), str(tmp_path / "t.csv"), *QUICK,
                 "-o", str(tmp_path / "o")]) == 2
    assert _stderr_lines(capsys) == [
        "skser evaluate: error: 72 clean rows repeat a file (first 'a/u00.wav' of corpus 'a'): "
        "the same utterance would be trained and tested on, and its noisy rows matched to "
        "either. Stack each table once"]


def test_evaluate_single_class_training_fold_is_an_error_before_any_fit(tmp_path, capsys):
    """Speakers that each carry one arousal class: the first fold trains on one class."""
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    a = table["corpus"] == "a"
    high = table["emotion"].isin(["angry", "happy"])
    table.loc[a & high, "speaker"] = "a:s0"
    table.loc[a & ~high, "speaker"] = "a:s1"
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["evaluate", str(tmp_path / "t.csv"), *QUICK, "--task", "arousal",
                 "-o", str(tmp_path / "o")]) == 2
    (line,) = _stderr_lines(capsys)
    assert line.startswith("skser evaluate: error: corpus 'a': the training part of "
                           "speaker-independent fold 1 of 2 holds a single class, "), line
    assert line.endswith("or leave its table out") and not (tmp_path / "o").exists()


def test_a_feature_column_with_text_cells_is_left_out_with_a_warning(tmp_path, capsys):
    """A stray text cell turns a feature column into text: it used to vanish silently."""
    from skser.cli import main

    table = _table(tmp_path / "all.csv")
    table["f2"] = table["f2"].astype(object)
    table.loc[[3, 9], "f2"] = "n/a"
    table["transcript"] = "words"                     # text columns are no features: no warning
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["fit", str(tmp_path / "t.csv"), "--model", "svc",
                 "-o", str(tmp_path / "m.skser")]) == 0
    lines = _stderr_lines(capsys)
    assert ("skser fit: warning: column 'f2' holds numbers but also text ('n/a', in 2 of 72 "
            "rows), so it is not used as a feature; fix those cells (or extract the table "
            "again) to use it") in lines
    assert not any("transcript" in line for line in lines)
