"""Benchmark MEATransformer's fit against its floor and against other PLS implementations.

Prints, in one run:

1. A grid over rows n (1e3 to 1e6) and columns p (100 to 5,000): MEA's fit time divided
   by the floor, the least any cross-product method must do (centre the data and form
   ``XᵀX``: ``Xc = X - X.mean(0); Xc.T @ Xc``); MEA with numpy and with torch on the CPU;
   MEA's peak extra memory over the data (numpy allocations traced by ``tracemalloc``)
   against the target of 10% of the data plus the ``p x p`` float64 statistics. The columns
   are two X blocks of 45% each and a response block of 10%, 10 components. Targets: MEA
   within 1.2x of the floor from 10,000 rows up; torch on the CPU within 1.2x of numpy.
2. Peers at a few shapes: ``ikpls`` (numpy, improved kernel PLS algorithm 2; installed by
   the ``bench`` extra, skipped without it) and scikit-learn's ``PLSRegression``.
3. One block as its own response (MEA without a layout) against
   ``PCA(svd_solver="covariance_eigh")`` of the same size.
4. Wide data (fewer rows than columns): 60 x 12,000 and 200 x 30,000 against
   ``PLSRegression``.

All timings are measured in this run, on this machine (best of a few repeats); nothing is
asserted.

Usage::

    python benchmarks/bench_mea.py            # full run, about 10 minutes on 2 cores
    python benchmarks/bench_mea.py --quick    # smaller sizes, under a minute
    python benchmarks/bench_mea.py --device cuda   # also time the torch CUDA path
    python benchmarks/bench_mea.py --blas-threads 1 --sections grid   # busy machine
"""

from __future__ import annotations

import argparse
import contextlib
import time
import tracemalloc
from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA

from skser import MEATransformer, _mea

N_COMPONENTS = 10


def make_data(n, p, seed=0):
    """``n x p`` rows sharing a 10-dimensional latent structure; widths 45/45/10% of p."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 10))
    Z = latent @ rng.normal(size=(10, p))
    Z += rng.normal(size=(n, p))
    x = int(0.45 * p)
    return Z, [x, x, p - 2 * x]


def best_time(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def floor(Z):
    centred = Z - Z.mean(0)
    return centred.T @ centred


@contextlib.contextmanager
def torch_cpu():
    """MEA's torch code path on the CPU (as on a GPU, with the CPU as the device)."""
    import torch

    original = _mea._resolve_engine
    _mea._resolve_engine = lambda device: torch.device("cpu")
    try:
        yield
    finally:
        _mea._resolve_engine = original


def fit_clone(estimator, X):
    """Fit an unfitted copy: the memory of a first fit, with no earlier model held."""
    return clone(estimator).fit(X)


def peak_extra_bytes(func):
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def grid(shapes, device):
    print("\n1. MEA against the floor (centre + XᵀX); two X blocks 45%/45%, response 10%, "
          f"{N_COMPONENTS} components")
    header = (f"{'n':>9}{'p':>6}{'floor [s]':>11}{'MEA [s]':>9}{'MEA/floor':>10}"
              f"{'torch [s]':>10}{'torch/np':>9}{'peak/data':>10}{'target':>8}")
    if device != "cpu":
        header += f"{device + ' [s]':>10}"
    print(header)
    for n, p in shapes:
        Z, widths = make_data(n, p)
        repeat = 1 if n * p * p > 4e10 else 3
        mea = MEATransformer(N_COMPONENTS, blocks=widths)
        t_floor = best_time(partial(floor, Z), repeat)
        t_mea = best_time(partial(mea.fit, Z), repeat)
        with torch_cpu():
            t_torch = best_time(partial(mea.fit, Z), repeat)
        peak = peak_extra_bytes(partial(fit_clone, mea, Z))  # a first fit: no model held
        target = 0.1 * Z.nbytes + 8 * p * p
        line = (f"{n:>9}{p:>6}{t_floor:>11.3f}{t_mea:>9.3f}{t_mea / t_floor:>10.2f}"
                f"{t_torch:>10.3f}{t_torch / t_mea:>9.2f}{peak / Z.nbytes:>10.3f}"
                f"{target / Z.nbytes:>8.3f}")
        if device != "cpu":
            gpu = MEATransformer(N_COMPONENTS, blocks=widths, device=device)
            gpu.fit(Z[:1000])  # warm-up: CUDA context, kernels
            line += f"{best_time(partial(gpu.fit, Z), repeat):>10.3f}"
        print(line, flush=True)
    print("peak/data: MEA's peak extra memory over the data; target: 10% of the data plus "
          "the p x p float64 statistics, over the data.")


def peers(shapes):
    try:
        from ikpls.numpy import PLS as IKPLS
    except ImportError:
        IKPLS = None
        print("\n(ikpls not installed: pip install 'skser[bench]' to time it)")
    print(f"\n2. Peers ({N_COMPONENTS} components; X = the two X blocks, Y = the response "
          "block; each once)")
    print(f"{'n':>9}{'p':>6}{'MEA [s]':>9}{'ikpls [s]':>10}{'PLSRegr. [s]':>13}"
          f"{'ikpls/MEA':>10}{'PLSR/MEA':>9}")
    for n, p in shapes:
        Z, widths = make_data(n, p)
        X, Y = Z[:, : -widths[-1]], Z[:, -widths[-1]:]
        t_mea = best_time(partial(MEATransformer(N_COMPONENTS, blocks=widths).fit, Z), 2)
        t_ik = np.nan
        if IKPLS is not None:
            t_ik = best_time(partial(IKPLS(algorithm=2).fit, X, Y, N_COMPONENTS), 1)
        t_pls = best_time(partial(PLSRegression(N_COMPONENTS).fit, X, Y), 1)
        print(f"{n:>9}{p:>6}{t_mea:>9.3f}{t_ik:>10.3f}{t_pls:>13.3f}{t_ik / t_mea:>10.2f}"
              f"{t_pls / t_mea:>9.2f}", flush=True)


def single_block(shapes):
    print(f"\n3. One block as its own response against PCA ({N_COMPONENTS} components)")
    print(f"{'n':>9}{'p':>6}{'MEA [s]':>9}{'PCA [s]':>9}{'MEA/PCA':>9}{'floor [s]':>11}")
    for n, p in shapes:
        Z, _ = make_data(n, p)
        t_mea = best_time(partial(MEATransformer(N_COMPONENTS).fit, Z), 2)
        pca = PCA(N_COMPONENTS, svd_solver="covariance_eigh")
        t_pca = best_time(partial(pca.fit, Z), 2)
        t_floor = best_time(partial(floor, Z), 2)
        print(f"{n:>9}{p:>6}{t_mea:>9.3f}{t_pca:>9.3f}{t_mea / t_pca:>9.2f}{t_floor:>11.3f}",
              flush=True)


def wide(shapes):
    print(f"\n4. Wide data (n < p; {N_COMPONENTS} components): one X block and an 88-column "
          "response, and the X block alone as its own response")
    print(f"{'n':>9}{'p':>7}{'MEA [s]':>9}{'PLSRegr. [s]':>13}{'PLSR/MEA':>9}"
          f"{'MEA self [s]':>13}{'peak/data':>10}")
    for n, p in shapes:
        X, _ = make_data(n, p)
        Y, _ = make_data(n, 88, seed=1)
        Z = np.hstack([X, Y])
        mea = MEATransformer(N_COMPONENTS, blocks=[p, 88])
        t_mea = best_time(partial(mea.fit, Z), 2)
        t_pls = best_time(partial(PLSRegression(N_COMPONENTS).fit, X, Y), 1)
        t_self = best_time(partial(MEATransformer(N_COMPONENTS).fit, X), 2)
        peak = peak_extra_bytes(partial(fit_clone, mea, Z))
        print(f"{n:>9}{p:>7}{t_mea:>9.3f}{t_pls:>13.3f}{t_pls / t_mea:>9.2f}{t_self:>13.3f}"
              f"{peak / Z.nbytes:>10.2f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--device", default="cpu", help="also time this torch device")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="BLAS threads for the floor and MEA alike (default: BLAS's own); "
                             "1 compares both fairly on a machine other jobs keep busy")
    parser.add_argument("--sections", nargs="+", default=["grid", "peers", "single", "wide"],
                        choices=["grid", "peers", "single", "wide"], help="what to run")
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads, user_api="blas"):
        run(args)


def run(args):
    sections = {"grid": lambda shapes: grid(shapes, args.device), "peers": peers,
                "single": single_block, "wide": wide}
    if args.quick:
        shapes = {"grid": [(1_000, 100), (10_000, 100), (10_000, 500)],
                  "peers": [(10_000, 200)], "single": [(5_000, 300)], "wide": [(60, 3_000)]}
    else:
        shapes = {"grid": [(1_000, 100), (1_000, 500),
                           (10_000, 100), (10_000, 500), (10_000, 2_000), (10_000, 5_000),
                           (100_000, 100), (100_000, 300), (100_000, 1_000),
                           (1_000_000, 100)],
                  "peers": [(10_000, 500), (30_000, 500)],
                  "single": [(10_000, 1_000), (10_000, 3_000)],
                  "wide": [(60, 12_000), (200, 30_000)]}
    for name in args.sections:
        sections[name](shapes[name])


if __name__ == "__main__":
    main()
