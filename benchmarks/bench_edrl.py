"""Training throughput and peak memory of EDRLTransformer.

Fits ``EDRLTransformer`` with its default settings (early stopping off, so that every run does
the same number of epochs) on a synthetic 20,000 x 88 feature matrix with 4 classes and prints

* throughput in samples x epochs per second, from the whole ``fit`` (set-up included) and
  from the per-epoch times recorded in ``history_`` (training steps and validation only);
* peak Python-heap memory during ``fit`` (tracemalloc; numpy buffers are traced, torch's
  are not), the process's peak resident set size, and on CUDA the peak device memory.

The goal is at least 50,000 samples x epochs per second on a 2-core CPU.

Usage::

    python benchmarks/bench_edrl.py            # 20,000 x 88, 20 epochs, CPU
    python benchmarks/bench_edrl.py --quick    # 5,000 x 88, 3 epochs
    python benchmarks/bench_edrl.py --device cuda
    python benchmarks/bench_edrl.py --threads 1   # e.g. on a busy, shared machine
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc

import numpy as np


def make_data(n_samples, n_features, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_samples)
    centers = rng.normal(size=(n_classes, n_features))
    X = centers[y] + rng.normal(size=(n_samples, n_features))
    return X, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (5,000 rows, 3 epochs)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--features", type=int, default=88)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's own choice)")
    parser.add_argument("--repeats", type=int, default=1 if "--quick" in sys.argv else 3,
                        help="fits per measurement; the best is reported")
    args = parser.parse_args(argv)
    n_samples = args.samples or (5_000 if args.quick else 20_000)
    epochs = args.epochs or (3 if args.quick else 20)

    import torch

    from skser import EDRLTransformer

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()  # the estimator runs with exactly this many

    X, y = make_data(n_samples, args.features, args.classes)
    print(f"EDRLTransformer benchmark: {n_samples} x {args.features}, {args.classes} classes, "
          f"{epochs} epochs, device={args.device}")
    print(f"python {platform.python_version()}, torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, torch threads {threads}")

    # Warm-up: first-call costs (library loading, allocator) are not training throughput.
    EDRLTransformer(max_epochs=1, early_stopping=False, device=args.device,
                    n_threads=threads, random_state=0).fit(X[:2000], y[:2000])

    best_fit, best_epoch_rate, est = 0.0, 0.0, None
    for repeat in range(args.repeats):
        est = EDRLTransformer(max_epochs=epochs, early_stopping=False, device=args.device,
                              n_threads=threads, random_state=repeat)
        if args.device != "cpu" and torch.cuda.is_available():
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        est.fit(X, y)
        elapsed = time.perf_counter() - start
        fit_rate = n_samples * epochs / elapsed
        epoch_time = sum(rec["time"] for rec in est.history_)
        epoch_rate = n_samples * epochs / epoch_time
        print(f"  run {repeat + 1}: fit {elapsed:.2f} s -> {fit_rate:,.0f} samples x epochs/s "
              f"(per-epoch {epoch_time / epochs * 1000:.0f} ms -> {epoch_rate:,.0f}/s)")
        best_fit, best_epoch_rate = max(best_fit, fit_rate), max(best_epoch_rate, epoch_rate)

    tracemalloc.start()
    EDRLTransformer(max_epochs=min(epochs, 3), early_stopping=False, device=args.device,
                    random_state=0).fit(X, y)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_mib = rss_kib / 1024 if sys.platform != "darwin" else rss_kib / 2**20

    target = 50_000
    print(f"throughput (best of {args.repeats}, whole fit): {best_fit:,.0f} samples x epochs/s "
          f"(target >= {target:,}: {best_fit / target:.2f}x)")
    print(f"throughput (best, training epochs only):  {best_epoch_rate:,.0f} samples x epochs/s")
    print(f"peak traced Python/numpy memory during fit: {traced_peak / 2**20:.1f} MiB "
          f"(X itself: {X.nbytes / 2**20:.1f} MiB)")
    print(f"peak resident set size of the process: {rss_mib:.0f} MiB")
    if args.device != "cpu" and torch.cuda.is_available():
        print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**20:.1f} MiB")
    Z = est.transform(X[:1000])
    print(f"output: {Z.shape[1]} columns {est.block_sizes_}")


if __name__ == "__main__":
    main()
