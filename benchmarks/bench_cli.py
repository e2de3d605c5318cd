"""Wall time of ``skser evaluate``, ``skser demo`` and ``skser extract`` in their settings.

Runs each command in a fresh Python process (imports included, as a user runs it), in two
settings alternately within one run, and prints the times and their ratio:

* ``evaluate`` and ``demo`` with EDRL's torch threads at torch's default (the former
  behaviour: ``EDRLTransformer(n_threads=None)`` in a process with two torch threads) and at
  the current default (``n_threads=1``);
* ``extract`` on a subset of a corpus folder with ``--n-jobs 1`` (the default) and
  ``--n-jobs -1``.

Speed on a shared machine varies from minute to minute: compare the ratios of one run, not
times across runs, and repeat with ``--repeat``.

Usage::

    # features tables made beforehand, outside the repository:
    skser extract DATA/emodb -o /tmp/emodb.csv --noise-dir DATA/noise --snrs 20 10 5 0
    skser extract DATA/urdu -o /tmp/urdu.csv --noise-dir DATA/noise --snrs 20 10 5 0
    python benchmarks/bench_cli.py --tables /tmp/emodb.csv /tmp/urdu.csv --audio DATA/emodb
    python benchmarks/bench_cli.py ... --full       # full EDRL training (slow), all SNRs
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

# Runs one command in-process, optionally with EDRL as it was: torch's default thread count
# (2 threads, the default on a 2-core machine) and n_threads=None (leave torch's setting).
RUNNER = """
import sys
old = sys.argv[1] == "old"
if old:
    import torch
    torch.set_num_threads(2)
    import skser.cli._models as models
    make = models.make_model
    def make_old(name, **kw):
        pipe = make(name, **kw)
        if "edrl" in pipe.named_steps:
            pipe.set_params(edrl__n_threads=None)
        return pipe
    models.make_model = make_old
    import skser.cli._evaluate as ev, skser.cli._demo as demo
    ev.make_model = demo.make_model = make_old
from skser.cli import main
sys.exit(main(sys.argv[2:]))
"""


def run(mode, argv, env):
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", RUNNER, mode, *argv], env=env,
                         capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({mode}):\n{res.stderr[-2000:]}")
    return elapsed


def compare(name, argv_of, env, repeat, modes=("old", "new")):
    times = {m: [] for m in modes}
    for _ in range(repeat):
        for mode in modes:  # alternate, so that load changes hit both alike
            times[mode].append(run("old" if mode == "old" else "new", argv_of(mode), env))
    best = {m: min(t) for m, t in times.items()}
    a, b = modes
    print(f"{name:<44} {a}: {best[a]:7.1f} s   {b}: {best[b]:7.1f} s   "
          f"{a}/{b}: {best[a] / best[b]:5.2f}x", flush=True)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", nargs="+", required=True, help="features tables (skser extract)")
    ap.add_argument("--audio", help="a corpus folder for the extract comparison")
    ap.add_argument("--n-files", type=int, default=60, help="files of --audio to extract")
    ap.add_argument("--full", action="store_true",
                    help="full EDRL training and every SNR (default: --quick and 0 dB only)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("OMP_NUM_THREADS", None)  # as a user's shell: torch and BLAS pick their defaults
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} (a shared machine: compare ratios, not times)")
    with tempfile.TemporaryDirectory() as tmp:
        quick = [] if args.full else ["--quick", "--snrs", "0"]
        evaluate = ["evaluate", *args.tables, "--models", "edrl-mea", "--no-plots",
                    "--n-bootstrap", "0", "-q", *quick]
        compare("evaluate edrl-mea (EDRL threads: old vs new)",
                lambda m: [*evaluate, "-o", f"{tmp}/ev-{m}"], env, args.repeat)
        demo = ["demo", "--no-plots", *([] if args.full else ["--quick"])]
        compare("demo (EDRL threads: old vs new)",
                lambda m: [*demo, "-o", f"{tmp}/demo-{m}"], env, args.repeat)
        if args.audio:
            from skser.datasets import load_corpus

            meta = load_corpus(args.audio)
            step = max(1, len(meta) // args.n_files)  # spread over speakers and emotions
            meta = meta.iloc[::step].head(args.n_files)
            manifest = Path(tmp) / "manifest.csv"
            meta[["path", "emotion", "speaker", "corpus"]].to_csv(manifest, index=False)
            for chunk in ("64", "1000"):
                def argv(mode, chunk=chunk):
                    jobs = "1" if mode == "serial" else "-1"
                    return ["extract", str(manifest), "--layout", "csv", "-q", "--overwrite",
                            "--n-jobs", jobs, "--chunk-size", chunk, "-o",
                            f"{tmp}/x-{mode}-{chunk}.csv"]
                compare(f"extract {len(meta)} files, chunk {chunk} (-1 vs 1 job)",
                        argv, env, args.repeat, modes=("parallel", "serial"))
                a = pd.read_csv(f"{tmp}/x-serial-{chunk}.csv")
                b = pd.read_csv(f"{tmp}/x-parallel-{chunk}.csv")
                pd.testing.assert_frame_equal(a, b)  # the same table either way


if __name__ == "__main__":
    main()
