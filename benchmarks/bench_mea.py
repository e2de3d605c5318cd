"""Benchmark MEATransformer's fit against PLSRegression and against its floor.

The floor is one product ``[X Y]ᵀ[X Y]`` on the same data: MEA's closed form needs these
cross-products and little else, so its fit time should stay within 2x of the floor, and at least
20x below the iterative ``PLSRegression`` (n=10,000 rows, two X blocks of 500 columns, 88
response columns, 20 components). Also prints how fit time grows with the number of rows and of
columns. All timings are measured in this run, on this machine; nothing is asserted.

Usage::

    python benchmarks/bench_mea.py            # full run (PLSRegression takes a while)
    python benchmarks/bench_mea.py --quick    # smaller sizes, a few seconds
    python benchmarks/bench_mea.py --device cuda   # also time the torch CUDA path
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.cross_decomposition import PLSRegression

from skser import MEATransformer

N_Y = 88


def make_data(n, block_width, n_blocks=2, n_y=N_Y, seed=0):
    """Blocks sharing a 10-dimensional latent structure, stacked as ``[X blocks | Y]``."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 10))
    widths = [block_width] * n_blocks + [n_y]
    parts = [latent @ rng.normal(size=(10, w)) + rng.normal(size=(n, w)) for w in widths]
    return np.hstack(parts), widths


def best_time(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def floor_time(Z, repeat):
    return best_time(lambda: Z.T @ Z, repeat)


def mea_time(Z, widths, n_components, repeat, device="cpu"):
    mea = MEATransformer(n_components, blocks=widths, device=device)
    return best_time(lambda: mea.fit(Z), repeat)


def headline(n, width, n_components, repeat, device):
    Z, widths = make_data(n, width)
    X, Y = Z[:, : -N_Y], Z[:, -N_Y:]
    floor = floor_time(Z, repeat)
    mea = mea_time(Z, widths, n_components, repeat)
    pls = best_time(lambda: PLSRegression(n_components).fit(X, Y), 1)
    print(f"\nHeadline: n={n}, X blocks {widths[:-1]}, {N_Y} response columns, "
          f"{n_components} components (best of {repeat}; PLSRegression once)")
    print(f"{'method':<34}{'fit [s]':>10}{'vs MEA':>10}")
    print(f"{'PLSRegression(' + str(n_components) + ')':<34}{pls:>10.3f}{pls / mea:>9.1f}x")
    print(f"{'floor [X Y]ᵀ[X Y]':<34}{floor:>10.3f}{floor / mea:>9.2f}x")
    print(f"{'MEATransformer (numpy)':<34}{mea:>10.3f}{1:>9.2f}x")
    if device != "cpu":
        mea_time(Z[:100], widths, n_components, 1, device)  # warm-up: CUDA context, kernels
        gpu = mea_time(Z, widths, n_components, repeat, device)
        print(f"{'MEATransformer (torch ' + device + ')':<34}{gpu:>10.3f}{gpu / mea:>9.2f}x")
    print(f"speed-up vs PLSRegression: {pls / mea:.1f}x (target >= 20x); "
          f"MEA / floor: {mea / floor:.2f} (target <= 2)")


def scaling(rows, widths_list, n_components, repeat):
    print(f"\nScaling in rows (two X blocks of 500 columns, {N_Y} response columns)")
    print(f"{'n':>8}{'MEA [s]':>10}{'floor [s]':>11}{'MEA/floor':>11}")
    for n in rows:
        Z, widths = make_data(n, 500)
        mea, floor = mea_time(Z, widths, n_components, repeat), floor_time(Z, repeat)
        print(f"{n:>8}{mea:>10.3f}{floor:>11.3f}{mea / floor:>11.2f}")
    print(f"\nScaling in columns (n=10000, two X blocks, {N_Y} response columns)")
    print(f"{'columns':>8}{'MEA [s]':>10}{'floor [s]':>11}{'MEA/floor':>11}")
    for width in widths_list:
        Z, widths = make_data(10_000, width)
        mea, floor = mea_time(Z, widths, n_components, repeat), floor_time(Z, repeat)
        print(f"{Z.shape[1]:>8}{mea:>10.3f}{floor:>11.3f}{mea / floor:>11.2f}")


def single_block(n, width, n_components, repeat):
    """One block without a layout: its own response, so the solve is p x p per component."""
    Z, _ = make_data(n, width, n_blocks=1, n_y=0)
    floor = floor_time(Z, repeat)
    mea = best_time(lambda: MEATransformer(n_components).fit(Z), repeat)
    print(f"\nOne block of {width} columns as its own response (n={n}, {n_components} components)")
    print(f"{'MEA [s]':>10}{'floor [s]':>11}{'MEA/floor':>11}")
    print(f"{mea:>10.3f}{floor:>11.3f}{mea / floor:>11.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--device", default="cpu", help="also time this torch device")
    args = parser.parse_args(argv)
    if args.quick:
        headline(2_000, 250, 20, 2, args.device)
        scaling([1_000, 3_000, 10_000], [100, 250], 20, 2)
        single_block(1_000, 300, 10, 2)
    else:
        headline(10_000, 500, 20, 3, args.device)
        scaling([1_000, 3_000, 10_000, 30_000, 100_000], [100, 250, 500, 1000], 20, 3)
        single_block(3_000, 1000, 10, 3)


if __name__ == "__main__":
    main()
