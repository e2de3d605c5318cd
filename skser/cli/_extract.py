"""``skser extract``: resumable feature extraction of a corpus folder, with noisy copies.

How the extraction survives interruptions
-----------------------------------------
The output ``FEATURES.csv`` is written only once, at the end, by an atomic rename of
``FEATURES.csv.partial``. Rows are appended to the partial file in chunks; each chunk is one
``write`` followed by ``flush`` and ``fsync``, so after a crash or a kill the partial file holds
every finished chunk and at most one torn last line. A rerun with the same options checks the
settings saved next to it (``FEATURES.csv.partial.json``), checks every row already there
(a torn last line, a line of NUL bytes left by a power cut, a short or unparsable row, a
repeated row, a lost header) and rewrites the partial file with the good rows only, skips every
(file, condition) already written and computes the rest. Noise choices and offsets are seeded
per file (the same noise stretch at every SNR), so a resumed run writes the same numbers as an
uninterrupted one.

Only one run may write an output at a time: ``FEATURES.csv.lock`` holds the process id, host
and start time of the run that owns it; a second run refuses and names it. A lock left by a
run that died (same host, process gone) is taken over.

A file that fails at any stage (reading, checking, mixing, features) is skipped and listed at
the end (``--on-error skip``, the default) or stops the run (``--on-error raise``); every
message names the file. Empty, too short (under 0.1 s) and silent recordings are such failures:
their features would look like any other row.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import sys
import time
import warnings
import zlib
from itertools import groupby
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import UsageError

#: Metadata columns written before the features, in this order.
META_COLUMNS = ("path", "emotion", "speaker", "gender", "corpus", "label", "condition", "noise",
                "snr_db")
CLEAN = "clean"
# Items (file x condition) per task on a cluster, at least: a task costs the scheduler a few
# milliseconds (about 9 ms on a loaded 2-core machine), a 3 s file about 70 ms of features.
_ITEMS_PER_TASK = 4
# Hidden, for tests of resumability: exit abruptly (as a crash would) after this many rows.
_STOP_AFTER_ENV = "SKSER_EXTRACT_STOP_AFTER"


def condition_name(noise, snr_db):
    """Name of a noisy condition, e.g. ``"babble 10 dB"``."""
    return f"{noise} {snr_db:g} dB"


def noise_seed(key, noise, random_state):
    """A seed for the noise offset of one file: the same noise stretch at every SNR."""
    text = f"{key}|{noise}|{int(random_state)}"
    return zlib.crc32(text.encode("utf-8"))


def pick_noise(key, names, random_state):
    """The noise of one file in ``--noise-mode random``: a seeded draw among ``names``."""
    text = f"{key}|pick|{int(random_state)}"
    return names[zlib.crc32(text.encode("utf-8")) % len(names)]


def feature_extractor(feature_set, sr, n_jobs=None):
    """Return an unfitted :class:`skser.features.AcousticFeatures` with these settings."""
    from skser.features import AcousticFeatures

    return AcousticFeatures(feature_set=feature_set, sr=sr, n_jobs=n_jobs)


def check_feature_set(feature_set):
    """Raise a :class:`UsageError` when ``feature_set`` is unknown to skser.features."""
    from skser.features import feature_names

    try:
        names = feature_names(feature_set)
    except (ValueError, KeyError) as exc:
        raise UsageError(f"unknown --feature-set {feature_set!r}: {exc}") from None
    except (OSError, ImportError) as exc:  # an hf: model that cannot be found or loaded
        raise UsageError(f"--feature-set {feature_set!r}: {exc}") from None
    return list(names)


def compute_features(signals, feature_set, sr, n_jobs=None):
    """Features of a list of 1-D signals at ``sr``: ``(array (n_kept, d), names, kept, errors)``.

    A signal whose features cannot be computed is left out: ``kept`` holds the indices of the
    rows returned and ``errors`` maps the index of every other signal to its message.
    """
    extractor = feature_extractor(feature_set, sr, n_jobs).set_params(on_error="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the caller reports every failure
        X, kept, errors = extractor.extract(list(signals))
    names = list(extractor.get_feature_names_out())
    return (np.asarray(X, dtype=np.float64), names, [int(k) for k in kept],
            {int(i): msg for i, _, msg in errors})


def read_audio(path, sr):
    """Read one file (or fsspec URL) as a mono float64 signal at ``sr``.

    Raises an OSError naming the file if it is unreadable.
    """
    from skser._parallel import is_url, load_audio_url
    from skser.features import load_audio

    return load_audio_url(path, sr=sr) if is_url(path) else load_audio(path, sr=sr)


def load_noise_folder(folder, sr):
    """``{name: signal}`` of the audio files of a noise folder (name = file stem)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"--noise-dir {folder} is not a folder")
    from skser.noise import load_noises

    try:
        items = list(load_noises(folder, sr=sr).items())
    except ValueError as exc:  # no audio files in the folder
        raise UsageError(f"--noise-dir {folder}: {exc}") from None
    stems = [Path(str(name)).stem for name, _ in items]
    names = stems if len(set(stems)) == len(stems) else [str(name) for name, _ in items]
    return {n: np.asarray(sig, dtype=np.float32) for n, (_, sig) in zip(names, items)}


def noisy_signal(clean, noise, snr_db, seed):
    """``clean`` mixed with ``noise`` at ``snr_db`` (noise looped or cut, seeded offset)."""
    from skser.noise import mix_at_snr

    return np.asarray(mix_at_snr(clean, noise, snr_db, random_state=seed), dtype=np.float32)


def _settings(args, audio_dir, noises):
    return {
        "feature_set": args.feature_set,
        "sr": int(args.sr),
        "layout": args.layout,
        "audio_dir": str(Path(audio_dir).resolve()),
        "noises": sorted(noises) if noises else [],
        "noise_mode": args.noise_mode if noises else None,
        "snrs": [float(s) for s in args.snrs] if args.snrs else [],
        "random_state": int(args.random_state),
    }


def _write_json_atomic(path, obj):
    tmp = Path(f"{path}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path):
    try:
        fd = os.open(str(Path(path).parent or "."), os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory file descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _header_line(columns):
    return pd.DataFrame(columns=list(columns)).to_csv(index=False, lineterminator="\n")


def _row_ok(fields, columns, n_meta):
    """True when one parsed CSV row is a complete row of this extraction."""
    if len(fields) != len(columns):
        return False
    meta = dict(zip(columns[:n_meta], fields[:n_meta]))
    if not meta.get("path") or not meta.get("condition"):
        return False
    try:
        for value in [meta.get("snr_db", "")] + fields[n_meta:]:
            if value != "":
                float(value)
        return all(v != "" for v in fields[n_meta:])
    except ValueError:
        return False


def _recover_partial(partial, columns):
    """The (path, condition) keys of the good rows of ``partial``, which is cleaned in place.

    A row is kept when it is complete (every column, parseable numbers, a path and a
    condition) and its (path, condition) was not written before; a torn last line, NUL bytes,
    short, unparsable and repeated rows are dropped (so they are computed again), and a lost
    header is put back. When anything was dropped the partial file is rewritten atomically.
    Returns ``(keys, n_dropped)``.
    """
    with open(partial, "rb") as fh:
        data = fh.read()
    header = _header_line(columns)
    lines = data.split(b"\n")
    torn = lines.pop()  # after the last newline: empty, or a torn line
    n_meta = len(META_COLUMNS)
    good, keys, seen, dropped = [], [], set(), int(bool(torn))
    body = lines
    if lines and lines[0].decode("utf-8", "replace") + "\n" == header:
        body = lines[1:]
    else:
        dropped += 1  # the header is missing (or damaged): write it again
    for raw in body:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            dropped += 1
            continue
        fields = next(csv.reader([text]), []) if "\x00" not in text else []
        if not _row_ok(fields, columns, n_meta):
            dropped += 1
            continue
        key = (fields[0], fields[columns.index("condition")])
        if key in seen:
            dropped += 1
            continue
        seen.add(key)
        keys.append(key)
        good.append(text + "\n")
    if dropped:
        tmp = Path(f"{partial}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(header)
            fh.writelines(good)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, partial)
        _fsync_dir(partial)
    return keys, dropped - int(bool(torn))


class _RunLock:
    """An exclusive lock file beside the output: one writing run per output.

    The file is created with ``O_EXCL`` and holds the owner's process id, host and start time,
    so that a second run can say which run holds the output. A lock whose owner ran on this
    host and no longer exists (a run killed or crashed) is stale and is taken over.
    """

    def __init__(self, path):
        self.path = Path(path)
        self.owned = False

    def _owner(self):
        try:
            with open(self.path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def _stale(self, owner):
        if owner is None:  # unreadable: being written right now, or left half-written
            try:
                return time.time() - self.path.stat().st_mtime > 10
            except OSError:
                return True
        if owner.get("host") != socket.gethostname():
            return False  # another machine's process: cannot tell, so it is not stale
        try:
            os.kill(int(owner.get("pid", -1)), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError, OverflowError):
            return False
        return False

    def acquire(self, output):
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if self._stale(owner):
                    self.path.unlink(missing_ok=True)
                    continue
                who = ("another run" if owner is None else
                       f"another run (process {owner.get('pid')} on {owner.get('host')}, "
                       f"started {owner.get('started')})")
                raise UsageError(
                    f"{output} is being written by {who}; wait for it to finish, or, if that "
                    f"run is gone, delete the lock file {self.path}"
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me, fh)
                fh.flush()
                os.fsync(fh.fileno())
            self.owned = True
            return self
        raise UsageError(f"cannot take the lock {self.path}; delete it and rerun")

    def release(self):
        if self.owned:
            self.path.unlink(missing_ok=True)
            self.owned = False


def read_table(path):
    """Read a features table, with a clear error when it is missing or not a CSV table."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"features table {path} does not exist")
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} as a CSV table: {_first_line(exc)}") from None
    if table.empty:
        raise UsageError(f"features table {path} has no rows")
    return table


def read_tables(paths):
    """Read and stack features tables (e.g. one per corpus) that share their columns."""
    tables = [read_table(p) for p in paths]
    for path, table in zip(paths[1:], tables[1:]):
        if list(table.columns) != list(tables[0].columns):
            raise UsageError(f"{path} does not have the columns of {paths[0]}; stack tables "
                             "made with the same feature set")
    return tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)


def _first_line(exc):
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class _Progress:
    def __init__(self, total, already, quiet):
        self.total, self.done, self.start_done = total, already, already
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def update(self, n):
        self.done += n
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.t0
        rate = (self.done - self.start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        msg = (f"extract: {self.done}/{self.total} rows ({100 * self.done / self.total:.0f}%), "
               f"{rate:.1f} rows/s, about {eta:.0f} s left")
        print(("\r" + msg) if self.tty else msg, end="" if self.tty else "\n", file=sys.stderr,
              flush=True)

    def close(self):
        if self.tty and not self.quiet:
            print(file=sys.stderr)


def run_extract(args):
    """Run ``skser extract`` (see the module docstring)."""
    from skser.datasets import load_corpus

    audio_dir = Path(args.audio_dir)
    output = Path(args.output)
    if not audio_dir.exists():
        raise UsageError(f"audio folder {audio_dir} does not exist")
    if bool(args.noise_dir) != bool(args.snrs):
        raise UsageError("--noise-dir and --snrs go together: give both or neither")
    if output.exists() and not args.overwrite:
        raise UsageError(f"{output} already exists; pass --overwrite to replace it")
    if not output.parent.exists():
        raise UsageError(f"the folder of --output, {output.parent}, does not exist")
    check_feature_set(args.feature_set)

    corpus = load_corpus(audio_dir, layout=args.layout).reset_index(drop=True)
    noises = load_noise_folder(args.noise_dir, args.sr) if args.noise_dir else {}
    settings = _settings(args, audio_dir, noises)
    lock = _RunLock(f"{output}.lock").acquire(output)
    try:
        if getattr(args, "scheduler", None):
            return _extract_on_cluster(args, audio_dir, output, corpus, noises, settings)
        return _extract_locked(args, audio_dir, output, corpus, noises, settings)
    finally:
        lock.release()


def _extract_on_cluster(args, audio_dir, output, corpus, noises, settings):
    """``_extract_locked`` with every file read and its features computed on a Dask cluster."""
    from skser._parallel import require_dask

    try:
        require_dask("skser extract --scheduler")
        from distributed import Client

        client = Client(args.scheduler, timeout="20s")
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # no scheduler at that address
        raise UsageError(f"--scheduler {args.scheduler}: cannot connect ({exc})") from None
    try:
        return _extract_locked(args, audio_dir, output, corpus, noises, settings,
                               client=client)
    finally:
        client.close()


def _pieces_on_cluster(client, args, tasks, noises):
    """Results of ``chunk_features`` for every task, in order, computed on the workers.

    A task is one or more whole files with their conditions still to do: the worker reads
    the files (paths on a shared disk or URLs) itself, so no audio travels from here. The
    noises are sent to every worker once. At most two tasks per worker thread are in
    flight, so results are written as they come back and a large corpus does not queue in
    the scheduler. A task whose worker dies is run again by the scheduler on another worker.
    """
    from collections import deque

    noise_data = client.scatter([noises], broadcast=True, hash=False)[0] if noises else {}
    window = max(2, 2 * sum(client.nthreads().values()))
    pending, queued = deque(), iter(tasks)
    settings = dict(sr=args.sr, feature_set=args.feature_set, random_state=args.random_state)

    def submit():
        for specs in queued:
            pending.append(client.submit(chunk_features, specs, noises=noise_data,
                                         pure=False, **settings))
            if len(pending) >= window:
                return

    try:
        submit()
        while pending:
            piece = pending.popleft().result()
            submit()
            yield piece
    finally:
        client.cancel(list(pending))


def chunk_features(specs, *, sr, feature_set, noises, random_state, n_jobs=None, cache=None):
    """Features of a list of work items, here or on a cluster worker.

    ``specs``: ``(path, key, condition, noise, snr_db)`` per item; ``noise`` is ``""`` for
    the clean recording and None for a noise drawn per file (``--noise-mode random``).
    ``cache`` (a dict) keeps the last file read, so that the conditions of one file are
    read once when they span two calls. Returns ``(kept, X, names, failures)``: ``(index
    into specs, noise name)`` of every row of ``X``, the feature names, and ``(what,
    why)`` of every item or file that failed, in order (read and mixing failures first).
    """
    from skser.features._audio_io import speech_problem

    cache = {} if cache is None else cache
    signals, picked, labels, failures = [], [], [], []
    for j, (path, key, cond, noise, snr) in enumerate(specs):
        if cache.get("path") != path:  # the conditions of a file are consecutive
            cache["path"], cache["clean"] = path, None
            try:
                clean = read_audio(path, sr)
                problem = speech_problem(clean, sr)
                if problem is not None:
                    raise ValueError(f"{problem}: no emotion can be judged from it")
                cache["clean"] = clean
            except Exception as exc:  # noqa: BLE001 - any failure of one file
                failures.append((path, _first_line(exc)))
        clean = cache["clean"]
        if clean is None:
            continue
        if noise is None or noise:
            if noise is None:
                noise = pick_noise(key, sorted(noises), random_state)
            try:
                sig = noisy_signal(clean, noises[noise], snr,
                                   noise_seed(key, noise, random_state))
            except ValueError as exc:  # e.g. a silent file: no SNR can be set
                failures.append((f"{path} [{cond}]", _first_line(exc)))
                continue
        else:
            sig = clean
        signals.append(sig)
        picked.append((j, noise))
        labels.append(path if cond == CLEAN else f"{path} [{cond}]")
    if not signals:
        return [], None, None, failures
    X, names, kept, errors = compute_features(signals, feature_set, sr, n_jobs)
    failures += [(labels[j], _first_line(message)) for j, message in errors.items()]
    return [picked[j] for j in kept], X, names, failures


def _fail(args, skipped, what, why):
    """One failed file (or file and condition): stop (``--on-error raise``) or note it."""
    if args.on_error == "raise":
        raise ValueError(f"{what}: {why} (pass --on-error skip to go on without it)")
    skipped[what] = why


def _report_skipped(skipped):
    if skipped:
        print(f"extract: {len(skipped)} file(s) skipped:", file=sys.stderr)
        for what, why in skipped.items():
            print(f"  {what}: {why}", file=sys.stderr)


def _append_rows(partial, partial_json, frame, columns, settings):
    """Append ``frame``'s rows to the partial file (one write, flushed and synced).

    The first rows of a new partial file also write its header and its settings file.
    Returns the columns of the partial file.
    """
    if columns is None or not partial.exists():
        columns = list(frame.columns)
        _write_json_atomic(partial_json, {"settings": settings, "columns": columns})
        with open(partial, "w", encoding="utf-8", newline="") as fh:
            fh.write(_header_line(columns))
            fh.flush()
            os.fsync(fh.fileno())
    elif list(frame.columns) != columns:  # pragma: no cover - the feature set is fixed
        raise UsageError("the feature columns changed during the extraction")
    buf = io.StringIO()
    frame.to_csv(buf, header=False, index=False, lineterminator="\n")
    with open(partial, "a", encoding="utf-8", newline="") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    return columns


def _extract_locked(args, audio_dir, output, corpus, noises, settings, client=None):
    partial = Path(f"{output}.partial")
    partial_json = Path(f"{output}.partial.json")
    final_json = Path(f"{output}.json")

    # Work items: every file clean, then in every noise (mode "each") or in one noise drawn
    # per file (mode "random", noise None until the file is processed) at every SNR.
    conditions = [(CLEAN, "", float("nan"))]
    if args.noise_mode == "each":
        conditions += [(condition_name(n, s), n, float(s))
                       for n in sorted(noises) for s in args.snrs]
    elif noises:
        label = Path(args.noise_dir).resolve().name or "noise"
        conditions += [(condition_name(label, s), None, float(s)) for s in args.snrs]
    items = [(i, cond) for i in range(len(corpus)) for cond in conditions]

    if args.restart:
        for p in (partial, partial_json):
            p.unlink(missing_ok=True)
    done_keys = set()
    columns = None
    if partial.exists():
        if not partial_json.exists():
            raise UsageError(f"{partial} exists without its settings file; rerun with --restart")
        with open(partial_json, encoding="utf-8") as fh:
            saved = json.load(fh)
        if saved.get("settings") != settings:
            raise UsageError(
                f"an unfinished extraction with other options is in {partial}; rerun with the "
                "same options to resume it, or with --restart to start over"
            )
        columns = saved["columns"]
        keys, dropped = _recover_partial(partial, columns)
        done_keys = set(keys)
        if not args.quiet:
            extra = (f"; {dropped} damaged or repeated row(s) dropped, to be computed again"
                     if dropped else "")
            print(f"extract: resuming {partial}: {len(keys)} rows already done{extra}",
                  file=sys.stderr)

    todo = [(i, c) for i, c in items if (str(corpus.at[i, "path"]), c[0]) not in done_keys]
    progress = _Progress(len(items), len(items) - len(todo), args.quiet)
    stop_after = int(os.environ.get(_STOP_AFTER_ENV, "0") or 0)
    written = 0
    skipped = {}

    def spec(i, cond, noise, snr):
        path = str(corpus.at[i, "path"])
        key = os.path.relpath(path, audio_dir) if audio_dir.is_dir() else path
        return path, key, cond, noise, snr

    if client is None:  # chunks of --chunk-size items, computed here
        tasks = [todo[start:start + args.chunk_size]
                 for start in range(0, len(todo), args.chunk_size)]
        cache = {}
        pieces = (chunk_features([spec(i, *c) for i, c in task], sr=args.sr,
                                 feature_set=args.feature_set, noises=noises,
                                 random_state=args.random_state, n_jobs=args.n_jobs,
                                 cache=cache)
                  for task in tasks)
    else:  # whole files per task, on the workers; written --chunk-size items at a time
        tasks, task = [], []
        for _, group in groupby(todo, key=lambda item: item[0]):
            task += group
            if len(task) >= min(_ITEMS_PER_TASK, args.chunk_size):
                tasks.append(task)
                task = []
        tasks += [task] if task else []
        pieces = _pieces_on_cluster(client, args, [[spec(i, *c) for i, c in task]
                                                   for task in tasks], noises)

    frames, n_items = [], 0
    for n_task, (task, (kept, X, names, failures)) in enumerate(zip(tasks, pieces), 1):
        for what, why in failures:
            _fail(args, skipped, what, why)
        if kept:
            rows = []
            for j, noise in kept:
                i, (cond, _, snr) = task[j]
                row = {c: corpus.at[i, c] if c in corpus.columns else None
                       for c in META_COLUMNS[:6]}
                row.update(condition=cond, noise=noise, snr_db=snr)
                rows.append(row)
            frames.append(pd.concat([pd.DataFrame(rows, columns=list(META_COLUMNS)),
                                     pd.DataFrame(X, columns=names)], axis=1))
        n_items += len(task)
        if n_items < args.chunk_size and n_task < len(tasks):
            continue
        if frames:
            frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            columns = _append_rows(partial, partial_json, frame, columns, settings)
            written += len(frame)
        progress.update(n_items)
        frames, n_items = [], 0
        if stop_after and written >= stop_after:
            os._exit(75)  # simulate a crash (tests of resumability only)
    progress.close()

    if columns is None or not partial.exists():
        _report_skipped(skipped)
        raise UsageError(f"no audio file of {audio_dir} could be read; nothing was written")
    os.replace(partial, output)
    _fsync_dir(output)
    with open(output, encoding="utf-8") as fh:
        n_rows = sum(1 for _ in fh) - 1
    _write_json_atomic(final_json, {"settings": settings, "columns": columns, "n_rows": n_rows})
    partial_json.unlink(missing_ok=True)
    _report_skipped(skipped)
    if not args.quiet:
        print(f"extract: wrote {n_rows} rows x {len(columns) - len(META_COLUMNS)} features to "
              f"{output}", file=sys.stderr)
    return 0


def load_settings(features_path):
    """Feature settings saved next to a features table by ``skser extract`` (or ``None``)."""
    path = Path(f"{features_path}.json")
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh).get("settings")
    except (OSError, ValueError):
        return None
