"""Scaling out on Dask: extraction throughput and MEA on a dask array, against local peers.

Extraction: ``AcousticFeatures(n_jobs=-1)`` on a ``LocalCluster`` of 1 and 2 worker
processes (one thread each) under ``joblib.parallel_config(backend="dask")``, against joblib's
loky backend with the same number of workers, on the same files (the first ``--n-files``
audio files found under ``--data``, sorted). Each run is preceded by a warm-up on a few files
(worker start-up and imports are not counted), and the order of the peers alternates.
Throughput is audio seconds per wall-clock second.

MEA: ``MEATransformer(response="labels").fit`` on a dask array of ``--rows`` x ``--columns``
(row chunks of ``--chunk-rows``), made and kept on the workers of a ``LocalCluster`` (one
worker process per core, one thread each), against ``fit`` on the same data as one numpy
array in this process (BLAS on the same cores). Peak client memory of each fit is traced
(``tracemalloc``: numpy's allocations in this process) and the models are compared. The
two peers alternate for ``--rounds`` rounds; the best time of each is compared.

Usage::

    python benchmarks/bench_scale.py --data ../shared/data [--n-files 100] [--workers 1 2]
        [--rows 1000000] [--columns 200] [--chunk-rows 100000] [--skip-extraction]
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
        config = parallel_config(backend="dask")
        n_jobs = -1
    with config:
        AcousticFeatures(n_jobs=n_jobs).fit_transform(files[:2 * workers])  # warm-up
        start = time.perf_counter()
        features = AcousticFeatures(n_jobs=n_jobs).fit_transform(files)
        return time.perf_counter() - start, features


def bench_extraction(args):
    from distributed import Client, LocalCluster

    files = audio_files(args.data, args.n_files)
    if not files:
        sys.exit(f"no audio files under {args.data}")
    seconds = sum(sf.info(f).duration for f in files)
    print(f"extraction: {len(files)} files, {seconds:.1f} s of audio")
    for workers in args.workers:
        rates = {}
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            order = ("dask", "loky") if workers % 2 else ("loky", "dask")
            results = {}
            for backend in order:
                wall, results[backend] = extract(files, backend, workers, client)
                rates[backend] = seconds / wall
                print(f"extract {backend:4s} workers={workers}: {wall:6.1f} s, "
                      f"{rates[backend]:6.1f} audio s/s", flush=True)
        same = np.array_equal(results["dask"], results["loky"], equal_nan=True)
        print(f"extract workers={workers}: dask/loky throughput {rates['dask'] / rates['loky']:.2f}"
              f" (target >= 0.9); rows identical: {same}")


def _fit_traced(model, X, y):
    tracemalloc.start()
    start = time.perf_counter()
    model.fit(X, y)
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return wall, peak


def bench_mea(args):
    import dask.array as da
    from distributed import Client, LocalCluster, wait

    n, p, step = args.rows, args.columns, args.chunk_rows
    cores = len(os.sched_getaffinity(0))
    with LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        rng = da.random.default_rng(0)
        Xd = rng.standard_normal((n, p), chunks=(step, p)) + rng.standard_normal(
            (1, p), chunks=(1, p)) * 3
        Xd = client.persist(Xd)
        wait(Xd)
        y = np.random.default_rng(1).integers(0, 4, size=n)
        y[::10] = -1  # a tenth unlabelled
        data_mb, chunk_mb = n * p * 8 / 2**20, step * p * 8 / 2**20
        print(f"MEA: {n} x {p} float64 ({data_mb:.0f} MiB), chunks of {step} rows "
              f"({chunk_mb:.0f} MiB), {cores} worker processes x 1 thread; numpy in this "
              f"process", flush=True)
        X = Xd.compute()
        walls = {"numpy": [], "dask": []}
        for round_ in range(args.rounds):  # alternating, so that load changes hit both
            for name, data in (("numpy", X), ("dask", Xd)):
                model = MEATransformer(response="labels")
                wall, peak = _fit_traced(model, data, y)
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
              f"max |rotation difference| {diff:.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared"
                                              / "data"))
    parser.add_argument("--n-files", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=200)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="MEA fits of each peer")
    parser.add_argument("--skip-extraction", action="store_true")
    parser.add_argument("--skip-mea", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (shared machine)")
    if not args.skip_extraction:
        bench_extraction(args)
    if not args.skip_mea:
        bench_mea(args)


if __name__ == "__main__":
    main()
