"""Scaling out on Dask: extraction throughput and MEA on a dask array, against local peers.

Extraction: ``AcousticFeatures(n_jobs=-1)`` on a ``LocalCluster`` of 1 and 2 worker
processes (one thread each) under ``joblib.parallel_config(backend="dask")``, against joblib's
loky backend with the same number of workers, on the same files (the first ``--n-files``
audio files found under ``--data``, sorted). Each run is preceded by a warm-up on a few files
(worker start-up and imports are not counted); the peers alternate for ``--rounds`` rounds
and the best and the median time of each are compared. Throughput is audio seconds per
wall-clock second.

MEA: ``MEATransformer(response="labels").fit`` on a dask array of ``--rows`` x ``--columns``
(row chunks of ``--chunk-rows``) with dask labels, made and kept on the workers of a
``LocalCluster`` (one worker process per core, one thread each), against ``fit`` on the same
data as numpy arrays in this process (BLAS on the same cores). Peak client memory of each
fit is traced (``tracemalloc``: numpy's allocations in this process) and the models are
compared. The two peers alternate for ``--rounds`` rounds; the best time of each is
compared. Then the dask fit alone at each of ``--memory-rows`` rows (same chunks), with the
labels as a dask array and as a numpy array, shows how client memory depends on n.

``--cli``: ``skser extract`` of the same files in this process (``--n-jobs 1``) against
``skser extract --scheduler`` on a cluster of 1 and 2 workers, alternating.

Usage::

    python benchmarks/bench_scale.py --data ../shared/data [--n-files 100] [--workers 1 2]
        [--rows 1000000] [--columns 200] [--chunk-rows 100000] [--memory-rows 200000 2000000]
        [--skip-extraction] [--skip-mea] [--cli]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per worker for both backends

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skser import MEATransformer  # noqa: E402
from skser.features import AcousticFeatures  # noqa: E402
from skser.features._audio_io import AUDIO_EXTENSIONS  # noqa: E402


def audio_files(root, n):
    files = sorted(str(p) for p in Path(root).rglob("*")
                   if p.suffix.lower() in AUDIO_EXTENSIONS and "noise" not in p.parts)
    return files[:n]


def extract(files, backend, workers, client=None):
    from joblib import parallel_config

    if backend == "loky":
        config = parallel_config(backend="loky", n_jobs=workers)
        n_jobs = workers
    else:
        config = parallel_config(backend="dask", client=client)
        n_jobs = -1
    with config:
        AcousticFeatures(n_jobs=n_jobs).fit_transform(files[:2 * workers])  # warm-up
        start = time.perf_counter()
        features = AcousticFeatures(n_jobs=n_jobs).fit_transform(files)
        return time.perf_counter() - start, features


def _local_cluster(workers, *, malloc_trim):
    """A LocalCluster of worker processes; ``malloc_trim=False`` starts its workers without
    Dask's ``MALLOC_TRIM_THRESHOLD_`` (which also switches off glibc's adaptive mmap
    threshold, so that every array over 128 KiB is mapped and faulted in afresh)."""
    import dask
    from distributed import LocalCluster

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not malloc_trim:
        environ["MALLOC_TRIM_THRESHOLD_"] = None  # None: not set in the workers
    before = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    # The nanny sets the variable in this process too; loky's workers must not inherit it.
    if before is None:
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return cluster


def bench_extraction(args):
    from distributed import Client

    files = audio_files(args.data, args.n_files)
    if not files:
        sys.exit(f"no audio files under {args.data}")
    seconds = sum(sf.info(f).duration for f in files)
    print(f"extraction: {len(files)} files, {seconds:.1f} s of audio; peers: loky, dask "
          f"(Dask's worker environment), dask-notrim (without MALLOC_TRIM_THRESHOLD_)")
    peers = ("loky", "dask", "dask-notrim")
    for workers in args.workers:
        walls, results = {peer: [] for peer in peers}, {}
        clusters = {"dask": _local_cluster(workers, malloc_trim=True),
                    "dask-notrim": _local_cluster(workers, malloc_trim=False)}
        clients = {name: Client(cluster) for name, cluster in clusters.items()}
        try:
            for round_ in range(args.rounds):  # rotating, so that load changes hit all
                shift = (workers + round_) % len(peers)
                for peer in peers[shift:] + peers[:shift]:
                    backend = "loky" if peer == "loky" else "dask"
                    wall, results[peer] = extract(files, backend, workers, clients.get(peer))
                    walls[peer].append(wall)
                    print(f"extract {peer:11s} workers={workers} round {round_}: {wall:6.1f} s, "
                          f"{seconds / wall:6.1f} audio s/s", flush=True)
        finally:
            for name in clients:
                clients[name].close()
                clusters[name].close()
        for stat, pick in (("best", min), ("median", np.median)):
            rates = {k: seconds / pick(v) for k, v in walls.items()}
            print(f"extract workers={workers} {stat}: " + ", ".join(
                f"{peer} {rates[peer]:.1f}" for peer in peers) + " audio s/s; dask/loky "
                f"{rates['dask'] / rates['loky']:.2f}, dask-notrim/loky "
                f"{rates['dask-notrim'] / rates['loky']:.2f} (target >= 0.9)", flush=True)
        same = all(np.array_equal(results[peer], results["loky"], equal_nan=True)
                   for peer in peers)
        print(f"extract workers={workers}: rows identical: {same}", flush=True)


def bench_cli(args):
    """``skser extract`` of the same files: in this process against ``--scheduler`` (a
    cluster of worker processes without ``MALLOC_TRIM_THRESHOLD_``), peers alternating."""
    import tempfile

    import pandas as pd
    from distributed import Client

    from skser.cli import main

    files = audio_files(args.data, args.n_files)
    seconds = sum(sf.info(f).duration for f in files)
    folder = tempfile.mkdtemp()
    manifest = f"{folder}/manifest.csv"
    pd.DataFrame({"path": files, "emotion": "neutral"}).to_csv(manifest, index=False)
    common = ["extract", manifest, "--layout", "csv", "-q", "--overwrite"]
    for workers in args.workers:
        cluster = _local_cluster(workers, malloc_trim=False)
        client = Client(cluster)
        address = cluster.scheduler_address
        try:
            main([*common, "-o", f"{folder}/warm.csv", "--scheduler", address])  # warm-up
            walls = {"here": [], "cluster": []}
            for round_ in range(args.rounds):
                order = ("here", "cluster") if round_ % 2 else ("cluster", "here")
                for peer in order:
                    extra = ["--scheduler", address] if peer == "cluster" else []
                    start = time.perf_counter()
                    main([*common, "-o", f"{folder}/{peer}.csv", *extra])
                    walls[peer].append(time.perf_counter() - start)
                    print(f"skser extract {peer:7s} workers={workers} round {round_}: "
                          f"{seconds / walls[peer][-1]:6.1f} audio s/s", flush=True)
        finally:
            client.close()
            cluster.close()
        same = pd.read_csv(f"{folder}/here.csv").equals(pd.read_csv(f"{folder}/cluster.csv"))
        best = {k: seconds / min(v) for k, v in walls.items()}
        print(f"skser extract workers={workers}: best here {best['here']:.1f}, best cluster "
              f"{best['cluster']:.1f} audio s/s, cluster/here {best['cluster'] / best['here']:.2f}"
              f"; same table: {same}", flush=True)


def _fit_traced(model, X, y):
    tracemalloc.start()
    start = time.perf_counter()
    model.fit(X, y)
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return wall, peak


def _dask_data(n, p, step):
    """X (n x p) and labels y (a tenth unlabelled), made in row chunks of ``step`` on the
    workers and kept there; nothing of size n is made in this process."""
    import dask.array as da
    from distributed import wait

    rng = da.random.default_rng(0)
    Xd = rng.standard_normal((n, p), chunks=(step, p)) + rng.standard_normal(
        (1, p), chunks=(1, p)) * 3
    labels = da.random.default_rng(1).integers(0, 4, size=n, chunks=step)
    yd = da.where(da.arange(n, chunks=step) % 10 == 0, -1, labels)
    Xd, yd = Xd.persist(), yd.persist()
    wait([Xd, yd])
    return Xd, yd


def bench_mea(args):
    from distributed import Client, LocalCluster

    n, p, step = args.rows, args.columns, args.chunk_rows
    cores = len(os.sched_getaffinity(0))
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        Xd, yd = _dask_data(n, p, step)
        data_mb, chunk_mb = n * p * 8 / 2**20, step * p * 8 / 2**20
        print(f"MEA: {n} x {p} float64 ({data_mb:.0f} MiB), chunks of {step} rows "
              f"({chunk_mb:.0f} MiB), {cores} worker processes x 1 thread; numpy in this "
              f"process", flush=True)
        X, y = Xd.compute(), yd.compute()
        walls = {"numpy": [], "dask": []}
        for round_ in range(args.rounds):  # alternating, so that load changes hit both
            for name, data, labels in (("numpy", X, y), ("dask", Xd, yd)):
                model = MEATransformer(response="labels")
                wall, peak = _fit_traced(model, data, labels)
                walls[name].append(wall)
                print(f"MEA fit {name:5s} round {round_}: {wall:6.1f} s, peak client memory "
                      f"(tracemalloc) {peak / 2**20:7.1f} MiB", flush=True)
                if name == "numpy":
                    numpy_model = model
                else:
                    diff = np.abs(model.x_rotations_ - numpy_model.x_rotations_).max()
        best = {k: min(v) for k, v in walls.items()}
        print(f"MEA dask/numpy time (best of {args.rounds}) {best['dask'] / best['numpy']:.2f} "
              f"(target <= 1.5); one chunk {chunk_mb:.0f} MiB, the data {data_mb:.0f} MiB; "
              f"max |rotation difference| {diff:.1e}", flush=True)
        del X, y, Xd, yd
        # Client memory against n: the same chunk size, labels as a dask array (never
        # gathered) and as a numpy array here (cut into views that travel with the tasks).
        for rows in args.memory_rows:
            Xd, yd = _dask_data(rows, p, step)
            y_here = yd.compute()
            for what, labels in (("dask y", yd), ("numpy y", y_here)):
                _, peak = _fit_traced(MEATransformer(response="labels"), Xd, labels)
                print(f"MEA fit dask, {rows:>9d} rows, {what:7s}: peak client memory "
                      f"(tracemalloc) {peak / 2**20:6.1f} MiB (labels here: "
                      f"{y_here.nbytes / 2**20:.1f} MiB)", flush=True)
            del Xd, yd, y_here


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared"
                                              / "data"))
    parser.add_argument("--n-files", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=200)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of each peer (extraction and MEA)")
    parser.add_argument("--memory-rows", type=int, nargs="+", default=[200_000, 2_000_000],
                        help="rows of the dask-only fits whose client memory is compared")
    parser.add_argument("--skip-extraction", action="store_true")
    parser.add_argument("--skip-mea", action="store_true")
    parser.add_argument("--cli", action="store_true",
                        help="also time skser extract here against --scheduler")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    if not args.skip_extraction:
        bench_extraction(args)
    if args.cli:
        bench_cli(args)
    if not args.skip_mea:
        bench_mea(args)


if __name__ == "__main__":
    main()
