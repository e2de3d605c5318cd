"""Scaling out on Dask: MEA on dask arrays, extraction and model search on a cluster.

The clusters are ``LocalCluster`` s in this process (``processes=False``) unless a test needs
the scheduler from another process (the command line).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skser import MEATransformer

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


def _env(**extra):
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"})
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def tcp_cluster():
    """A cluster that another process (the command) can reach by its address."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       protocol="tcp", dashboard_address=":0")
    yield cluster
    cluster.close()


def _data(n=49, p=12, seed=0, unlabelled=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) @ rng.normal(size=(p, p)) + 5.0
    y = rng.integers(0, 3, size=n)
    if unlabelled:
        y[::7] = -1
    return X, y


CHUNKINGS = [
    (49,),                       # one chunk
    (12, 12, 12, 13),            # even
    (1, 20, 3, 18, 7),           # ragged, with a one-row chunk
    (1,) * 49,                   # one row per chunk: kept rows merged into moments
]


def _assert_same_model(a, b):
    for name in ("x_mean_", "x_scale_", "x_rotations_", "x_weights_", "y_loadings_",
                 "block_importances_", "x_explained_variance_ratio_"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-11,
                                   err_msg=name)
    assert a.n_samples_seen_ == b.n_samples_seen_
    assert a.n_labelled_seen_ == b.n_labelled_seen_


# ---------------------------------------------------------------------------------- MEA
@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["one", "even", "ragged", "rows"])
@pytest.mark.parametrize("response", ["labels", "input"])
def test_mea_dask_fit_equals_numpy(client, chunks, response):
    X, y = _data()
    kwargs = dict(blocks=[4, 4, 4], response=response)
    if response == "input":
        kwargs["response"] = 2  # the third block is the response
    ref = MEATransformer(**kwargs).fit(X, y)
    got = MEATransformer(**kwargs).fit(da.from_array(X, chunks=(chunks, 5)), y)
    _assert_same_model(got, ref)
    if response == "labels":
        np.testing.assert_array_equal(got.classes_, ref.classes_)


def test_mea_dask_fit_with_dask_y_and_pca_like_default(client):
    X, y = _data(n=60, p=8, unlabelled=False)
    Xd = da.from_array(X, chunks=17)
    yd = da.from_array(y, chunks=17)
    _assert_same_model(MEATransformer(blocks=[4, 4], response="labels").fit(Xd, yd),
                       MEATransformer(blocks=[4, 4], response="labels").fit(X, y))
    _assert_same_model(MEATransformer(n_components=3).fit(Xd),
                       MEATransformer(n_components=3).fit(X))


def _on_worker():
    try:
        distributed.get_worker()
    except ValueError:
        return False
    return True


_BUILT = []  # (offset, rows, on a worker) of every chunk response built


def _spy_chunk_response(part, offset, **kwargs):
    # module level: the in-process workers get this very function (pickled by reference)
    from skser._mea import _chunk_labels, _one_hot

    _BUILT.append((offset, len(part), _on_worker()))
    part, labelled = _chunk_labels(part, offset, targets=kwargs["targets"])
    return _one_hot(part, labelled, kwargs["classes"]), labelled


def test_mea_dask_labels_are_one_hot_on_the_workers_only(client, monkeypatch):
    """No column with one row per row of X is made on the client: y is never gathered, and
    the one-hot columns of every chunk are built on a worker, a chunk at a time."""
    from skser import _mea

    X, y = _data(n=60, p=8)
    Xd = da.from_array(X, chunks=((7, 20, 1, 32), 8))
    yd = da.from_array(y, chunks=13)  # not X's row chunks: rechunked on the workers

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a dask array of shape {self.shape} was gathered on the client")

    ref = MEATransformer(blocks=[4, 4], response="labels").fit(X, y)
    _BUILT.clear()
    with monkeypatch.context() as patch:
        patch.setattr(_mea, "_chunk_response", _spy_chunk_response)
        patch.setattr(da.Array, "compute", refuse)
        patch.setattr(da.Array, "__array__", refuse)
        got = MEATransformer(blocks=[4, 4], response="labels").fit(Xd, yd)
    _assert_same_model(got, ref)
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    # the statistics equal numpy's: the same sums of the same one-hot rows
    np.testing.assert_allclose(got._statistics.mean(), ref._statistics.mean(), rtol=1e-12)
    assert sorted(_BUILT) == [(0, 7, True), (7, 20, True), (27, 1, True), (28, 32, True)]


@pytest.mark.parametrize("kind", ["strings", "targets-2d", "binary-floats"])
def test_mea_dask_y_of_every_kind_equals_numpy(client, kind):
    X, labels = _data(n=50, p=8)
    kwargs = dict(blocks=[4, 4])
    if kind == "strings":
        y = np.array(["ang", "hap", "sad", "neu"], dtype=object)[labels % 4]
        y[labels < 0] = -1  # unlabelled object labels
        kwargs["response"] = "labels"
    elif kind == "targets-2d":
        y = np.random.default_rng(3).normal(size=(50, 2))
        y[labels < 0] = np.nan
        kwargs.update(response="target", n_components=2)
    else:  # auto: float labels 0./1. are classes, NaN unlabelled
        y = (labels % 2).astype(float)
        y[labels < 0] = np.nan
    ref = MEATransformer(**kwargs).fit(X, y)
    got = MEATransformer(**kwargs).fit(
        da.from_array(X, chunks=((1, 24, 25), 8)),
        da.from_array(y, chunks=(10,) + y.shape[1:]))
    assert got.response_type_ == ref.response_type_
    _assert_same_model(got, ref)
    if hasattr(ref, "classes_"):
        np.testing.assert_array_equal(got.classes_, ref.classes_)


def test_mea_dask_continuous_y_in_a_later_chunk_is_a_target(client):
    """type_of_target of the whole y, not of the first chunk: integers then one fraction."""
    X, _ = _data(n=40, p=6)
    y = np.arange(40) % 3 * 1.0
    y[35] = 0.5
    ref = MEATransformer(blocks=[3, 3], n_components=1).fit(X, y)
    got = MEATransformer(blocks=[3, 3], n_components=1).fit(
        da.from_array(X, chunks=10), da.from_array(y, chunks=10))
    assert ref.response_type_ == got.response_type_ == "target"
    _assert_same_model(got, ref)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
def test_mea_dask_label_errors_name_rows_of_the_whole_y(client):
    X, labels = _data(n=40, p=6, unlabelled=False)
    y = np.array(["a", "b", "c"], dtype=object)[labels]
    y[33] = None
    with pytest.raises(ValueError, match=r"missing label.*row\(s\) \[3\].*from row 30 of y"):
        MEATransformer(blocks=[3, 3], response="labels").fit(
            da.from_array(X, chunks=10), da.from_array(y, chunks=10))
    with pytest.raises(ValueError, match=r"y has labels \['d'\] not in classes"):
        MEATransformer(blocks=[3, 3], response="labels").partial_fit(
            da.from_array(X, chunks=10), np.where(np.arange(40) == 12, "d", "a"),
            classes=["a", "b"])
    with pytest.raises(ValueError, match=r"one label per row of X \(40 rows\).*\(39,\)"):
        MEATransformer(blocks=[3, 3], response="labels").fit(
            da.from_array(X, chunks=10), da.from_array(labels[:39], chunks=10))
    with pytest.raises(ValueError, match="all 40 rows of y are unlabelled"):
        MEATransformer(blocks=[3, 3], response="labels").fit(
            da.from_array(X, chunks=10), da.from_array(np.full(40, -1), chunks=10))
    t = np.random.default_rng(0).normal(size=40)
    t[21] = np.inf
    with pytest.raises(ValueError, match="inf"):
        MEATransformer(blocks=[3, 3], response="target", n_components=1).fit(
            da.from_array(X, chunks=10), t)


def test_mea_dask_fit_float32_and_regression_targets(client):
    X, _ = _data(n=80, p=10)
    X = X.astype(np.float32)
    rng = np.random.default_rng(1)
    t = rng.normal(size=(80, 2))
    t[5] = np.nan  # an unlabelled row
    kwargs = dict(blocks=[5, 5], response="target", n_components=2)
    ref = MEATransformer(**kwargs).fit(X, t)
    got = MEATransformer(**kwargs).fit(da.from_array(X, chunks=(13, 10)), t)
    _assert_same_model(got, ref)
    assert got.n_labelled_seen_ == 79


def test_mea_dask_fit_without_a_client_uses_local_threads():
    X, y = _data()
    ref = MEATransformer(blocks=[6, 6]).fit(X, y)
    _assert_same_model(MEATransformer(blocks=[6, 6]).fit(da.from_array(X, chunks=15), y), ref)


def test_mea_dask_partial_fit_equals_fit(client):
    X, y = _data()
    kwargs = dict(blocks=[6, 6], response="labels")
    model = MEATransformer(**kwargs)
    model.partial_fit(da.from_array(X[:30], chunks=9), y[:30], classes=[0, 1, 2])
    model.partial_fit(X[30:], y[30:])
    _assert_same_model(model, MEATransformer(**kwargs).fit(X, y))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mea_lazy_transform_equals_numpy(client, dtype):
    X, y = _data()
    model = MEATransformer(blocks=[6, 6], dtype=dtype).fit(X, y)
    Xd = da.from_array(X, chunks=((1, 24, 24), (7, 5)))
    scores = model.transform(Xd)
    assert isinstance(scores, da.Array)  # nothing computed yet
    assert scores.chunks == ((1, 24, 24), (model.n_components_,))
    assert scores.dtype == np.dtype(dtype)
    computed = scores.compute()
    np.testing.assert_allclose(computed, model.transform(X),
                               rtol=1e-5 if dtype == "float32" else 1e-12)
    # fit_transform on a dask array: fitted on the workers, scored lazily
    lazy = MEATransformer(blocks=[6, 6], dtype=dtype).fit_transform(Xd, y)
    np.testing.assert_allclose(np.asarray(lazy), computed, rtol=1e-5, atol=1e-6)


def test_mea_dask_errors_name_what_is_wrong(client):
    X, y = _data()
    X[30, 3] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf in 1 value.*column\(s\) \[3\].*row 30"):
        MEATransformer(blocks=[6, 6]).fit(da.from_array(X, chunks=25), y)
    X, y = _data()
    model = MEATransformer(blocks=[6, 6]).fit(X, y)
    with pytest.raises(ValueError, match="expecting 12 features"):
        model.transform(da.from_array(X[:, :10], chunks=25))
    unknown = da.from_array(X, chunks=25)[da.from_array(y, chunks=25) >= 0]
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        MEATransformer(blocks=[6, 6]).fit(unknown, y[y >= 0])
    with pytest.raises(ValueError, match="X has 13 features, but MEATransformer is expecting 12"):
        MEATransformer(blocks=[6, 6]).fit(X, y).partial_fit(
            da.from_array(np.c_[X, X[:, :1]], chunks=25), y)


@pytest.mark.parametrize("value", [1.5e308, 1e160])  # sums overflow; only squares do
def test_mea_dask_values_that_overflow_float64_are_named_like_numpy(client, value):
    X, y = _data()
    X[:, 4] = value
    with pytest.raises(ValueError, match=r"column\(s\) \[4\] hold values so large"):
        MEATransformer(blocks=[6, 6]).fit(X, y)
    with pytest.raises(ValueError, match=r"column\(s\) \[4\] hold values so large"):
        MEATransformer(blocks=[6, 6]).fit(da.from_array(X, chunks=25), y)


def test_missing_dask_names_the_extra(monkeypatch):
    from skser import _parallel

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"pip install skser\[dask\]"):
        _parallel.require_dask("MEATransformer on a dask array")
    with pytest.raises(ImportError, match=r"MEATransformer on a dask array.*pip install skser"):
        MEATransformer(n_components=1).fit(da.from_array(np.eye(4, 3), chunks=2))


def test_import_skser_does_not_import_dask():
    code = ("import sys, skser, skser.cli._main; "
            "print([m for m in ('dask', 'distributed', 'fsspec') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=_env())
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- extraction
@pytest.fixture(scope="module")
def wav_files(tmp_path_factory):
    import soundfile as sf

    from skser.datasets import make_speech_corpus

    root = tmp_path_factory.mktemp("wavs")
    signals, _ = make_speech_corpus(n_corpora=1, n_speakers=2, n_utterances=2, duration=0.4,
                                    random_state=0)
    paths = []
    for i, x in enumerate(signals):
        path = root / f"u{i:02d}.wav"
        sf.write(path, x, 16000)
        paths.append(str(path))
    return paths


def test_extraction_on_cluster_equals_serial(client, wav_files):
    from joblib import parallel_config

    from skser.features import AcousticFeatures

    serial = AcousticFeatures().fit_transform(wav_files)
    with parallel_config(backend="dask"):
        on_cluster = AcousticFeatures(n_jobs=-1).fit_transform(wav_files)
    np.testing.assert_array_equal(on_cluster, serial)  # row for row, bit for bit


def test_extraction_reads_fsspec_urls(client, wav_files):
    fsspec = pytest.importorskip("fsspec")
    from joblib import parallel_config

    from skser.features import AcousticFeatures, AudioReadError

    memory = fsspec.filesystem("memory")
    urls = []
    for path in wav_files[:3]:
        url = f"memory://skser-test/{os.path.basename(path)}"
        with open(path, "rb") as source, memory.open(url, "wb") as target:
            target.write(source.read())
        urls.append(url)
    serial = AcousticFeatures().fit_transform(wav_files[:3])
    # in-process workers share the memory filesystem with the client
    with parallel_config(backend="dask"):
        from_urls = AcousticFeatures(n_jobs=2).fit_transform(urls)
    np.testing.assert_array_equal(from_urls, serial)
    with pytest.raises(AudioReadError, match="memory://skser-test/missing.wav"):
        AcousticFeatures().fit_transform(["memory://skser-test/missing.wav"])
    with memory.open("memory://skser-test/bad.wav", "wb") as target:
        target.write(b"not audio")
    with pytest.raises(AudioReadError, match="memory://skser-test/bad.wav"):
        AcousticFeatures().fit_transform(["memory://skser-test/bad.wav"])


def _corpus_folder(root, wav_files):
    rows = []
    for i, path in enumerate(wav_files):
        rows.append({"path": path, "emotion": ["angry", "happy", "sad", "neutral"][i % 4],
                     "speaker": f"s{i % 2}", "corpus": "c0"})
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    return root / "manifest.csv"


def _skser(*args, cwd, env=None):
    cmd = [sys.executable, "-m", "skser.cli", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=env or _env(), capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_cli_extract_on_cluster_resumes_to_the_serial_table(tcp_cluster, wav_files, tmp_path,
                                                            monkeypatch):
    from skser.cli import main

    manifest = _corpus_folder(tmp_path, wav_files)
    monkeypatch.chdir(tmp_path)
    common = ["extract", str(manifest), "--layout", "csv", "--chunk-size", "3", "-q"]
    assert main([*common, "-o", "serial.csv"]) == 0
    address = tcp_cluster.scheduler_address
    # A client killed after the first chunk: its rows are on disk, the rerun does the rest.
    res = _skser(*common, "-o", "cluster.csv", "--scheduler", address, cwd=tmp_path,
                 env=_env(SKSER_EXTRACT_STOP_AFTER="3"))
    assert res.returncode == 75, res.stderr
    assert len(pd.read_csv(tmp_path / "cluster.csv.partial")) == 3
    assert main([*common, "-o", "cluster.csv", "--scheduler", address]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cluster.csv"),
                                  pd.read_csv(tmp_path / "serial.csv"))


def _noise_folder(root):
    import soundfile as sf

    folder = root / "noise"
    folder.mkdir()
    rng = np.random.default_rng(7)
    for name in ("babble", "hum"):
        sf.write(folder / f"{name}.wav", rng.normal(scale=0.1, size=16000), 16000)
    return folder


@pytest.mark.slow
def test_cli_extract_on_cluster_workers_read_urls(client, wav_files, tmp_path, monkeypatch):
    """With --scheduler every file is read by a worker (here a file:// URL, as s3:// would
    be), the noises travel once, and the table equals the serial one row for row."""
    from skser.cli import _extract, main

    manifest = _corpus_folder(tmp_path, [Path(p).as_uri() for p in wav_files])
    noise = _noise_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    common = ["extract", str(manifest), "--layout", "csv", "--chunk-size", "4", "-q",
              "--noise-dir", str(noise), "--snrs", "5", "--noise-mode", "random"]
    assert main([*common, "-o", "serial.csv"]) == 0
    reads, real = [], _extract.read_audio

    def spy(path, sr):
        reads.append((path, _on_worker()))
        return real(path, sr)

    monkeypatch.setattr(_extract, "read_audio", spy)
    assert main([*common, "-o", "cluster.csv", "--scheduler", client.scheduler.address]) == 0
    serial, cluster = pd.read_csv("serial.csv"), pd.read_csv("cluster.csv")
    assert serial["path"].str.startswith("file://").all()
    assert len(serial) == 2 * len(wav_files)
    pd.testing.assert_frame_equal(cluster, serial)
    assert sorted(reads) == sorted((Path(p).as_uri(), True) for p in wav_files)


def _crash_on_first_read(name, marker):
    """Make this worker process exit (as a lost machine would) when it first reads ``name``."""
    from skser.cli import _extract

    real = _extract.read_audio

    def read_audio(path, sr):
        if path.endswith(name) and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
        return real(path, sr)

    _extract.read_audio = read_audio


@pytest.mark.slow
def test_cli_extract_survives_a_lost_worker(wav_files, tmp_path, monkeypatch):
    """A worker process dies in the middle of a file: the scheduler runs that file again on
    a live worker, and the table equals the serial one."""
    import cloudpickle

    from skser.cli import main

    manifest = _corpus_folder(tmp_path, wav_files)
    monkeypatch.chdir(tmp_path)
    common = ["extract", str(manifest), "--layout", "csv", "--chunk-size", "2", "-q"]
    assert main([*common, "-o", "serial.csv"]) == 0
    marker = tmp_path / "crashed"
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers lack this module
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, \
                distributed.Client(cluster) as c:
            c.run(_crash_on_first_read, os.path.basename(wav_files[5]), str(marker))
            assert main([*common, "-o", "cluster.csv", "--scheduler",
                         cluster.scheduler_address]) == 0
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists()  # a worker did die
    pd.testing.assert_frame_equal(pd.read_csv("cluster.csv"), pd.read_csv("serial.csv"))


def test_cli_extract_scheduler_without_dask(tmp_path, wav_files, monkeypatch, capsys):
    from skser.cli import main

    manifest = _corpus_folder(tmp_path, wav_files)
    monkeypatch.setitem(sys.modules, "distributed", None)
    code = main(["extract", str(manifest), "--layout", "csv", "-o", str(tmp_path / "f.csv"),
                 "--scheduler", "tcp://127.0.0.1:1", "-q"])
    assert code != 0
    assert "pip install skser[dask]" in capsys.readouterr().err
    assert not (tmp_path / "f.csv.lock").exists()  # the lock is released


# ------------------------------------------------------------------------- model search
@pytest.mark.slow
def test_grid_search_on_cluster_equals_n_jobs_1(client):
    from joblib import parallel_config
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from skser import EDRLTransformer
    from skser.model_selection import LeaveOneCorpusOut

    rng = np.random.default_rng(0)
    n = 90
    y = np.tile([0, 1, 2], n // 3)
    corpus = np.repeat(["a", "b", "c"], n // 3)
    X = rng.normal(size=(n, 10)) + y[:, None] * 0.8 + (corpus == "b")[:, None] * 0.5
    pipe = Pipeline([
        ("edrl", EDRLTransformer(n_components=4, hidden_layer_sizes=(8,), max_epochs=3,
                                 early_stopping=False, random_state=0)),
        ("mea", MEATransformer()),
        ("svc", SVC()),
    ])
    grid = {"svc__C": [0.1, 1.0], "edrl__n_components": [3, 4]}
    serial = GridSearchCV(pipe, grid, cv=LeaveOneCorpusOut(), n_jobs=1).fit(
        X, y, groups=corpus)
    with parallel_config(backend="dask"):
        on_cluster = GridSearchCV(pipe, grid, cv=LeaveOneCorpusOut(), n_jobs=-1).fit(
            X, y, groups=corpus)
    for key in serial.cv_results_:
        if "time" in key:
            continue
        a, b = serial.cv_results_[key], on_cluster.cv_results_[key]
        if key.startswith("param"):
            assert list(a) == list(b), key
        else:
            np.testing.assert_array_equal(a, b, err_msg=key)
    assert serial.best_params_ == on_cluster.best_params_


def test_manifest_keeps_urls_and_still_refuses_missing_files(tmp_path):
    from skser.datasets import load_corpus

    manifest = tmp_path / "manifest.csv"
    pd.DataFrame({"path": ["s3://bucket/a.wav", "gs://bucket/b.wav"],
                  "emotion": ["angry", "sad"]}).to_csv(manifest, index=False)
    corpus = load_corpus(manifest, layout="csv")
    assert sorted(corpus["path"]) == ["gs://bucket/b.wav", "s3://bucket/a.wav"]
    pd.DataFrame({"path": ["s3://bucket/a.wav", "here/missing.wav"],
                  "emotion": ["angry", "sad"]}).to_csv(manifest, index=False)
    with pytest.raises(FileNotFoundError, match=r"1 files listed.*missing\.wav"):
        load_corpus(manifest, layout="csv")
