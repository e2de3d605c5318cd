"""Running skser's costly steps on a Dask cluster (optional extra ``skser[dask]``).

Three steps split naturally over many machines:

- feature extraction is independent per file: :class:`~skser.features.AcousticFeatures`
  hands its items to :class:`joblib.Parallel`, which runs them on a cluster under
  ``joblib.parallel_config(backend="dask")``; ``skser extract --scheduler`` submits one
  task per file, read by the worker itself (a shared path or a URL, :func:`load_audio_url`);
- MEA's statistics are sums over rows: :func:`dask_statistics` computes the statistics of
  every row chunk of a :class:`dask.array.Array` on the workers and merges them by the exact
  pairwise update in a tree, so only statistics (``O(p^2)``) travel to the client;
- a grid search is independent per candidate: scikit-learn's searches use joblib too.

Nothing here imports dask at module level: ``import skser`` must stay free of it.
"""

from __future__ import annotations

import sys

import numpy as np

from . import _mbpls

INSTALL_HINT = "pip install skser[dask]"


def require_dask(what):
    """Import and return ``dask``, or raise an ImportError naming ``what`` and the extra."""
    try:
        import dask
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{what} needs dask and distributed, which are not installed ({exc}). "
            f"Install them with: {INSTALL_HINT}"
        ) from exc
    return dask


def is_dask_array(X) -> bool:
    """True when ``X`` is a :class:`dask.array.Array` (dask is not imported to tell)."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(X, module.Array)


# ----------------------------------------------------------------------- MEA statistics
def _check_chunk_finite(A, offset):
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(A.sum()):
            return
    rows, columns = np.nonzero(~np.isfinite(A))
    if rows.size == 0:  # finite values whose sum overflows: the fit names their columns
        return
    raise ValueError(
        f"Input contains NaN or inf in {rows.size} value(s), in column(s) "
        f"{np.unique(columns)[:10].tolist()} (first at row {int(rows[0]) + offset}). "
        f"Impute or drop them before MEATransformer."
    )


def _chunk_statistics(A, y, offset, response):
    """Statistics of one row chunk (run on a worker); ``response`` builds its target columns."""
    A = np.asarray(A)
    _check_chunk_finite(A, offset)
    targets, labelled = (None, None) if response is None else response(y, offset)
    return _mbpls.chunk_statistics(A, targets, labelled)


def _merge(*parts):
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _check_row_chunks(X):
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            "The dask array has unknown chunk sizes (e.g. after boolean indexing); call "
            "X.compute_chunk_sizes() before MEATransformer."
        )


def row_parts(X, y):
    """``y`` cut into the row chunks of the dask array ``X``: one part per row chunk.

    A dask ``y`` is rechunked to X's row chunks (on the workers) and its parts are delayed
    objects, never gathered here; a numpy ``y`` is cut into views that travel with the tasks.
    ``y`` must have one row per row of ``X`` (checked by the caller).
    """
    dask = require_dask("MEATransformer on a dask array")
    _check_row_chunks(X)
    if is_dask_array(y):
        if any(np.isnan(c) for c in y.chunks[0]):
            raise ValueError(
                "y is a dask array with unknown chunk sizes (e.g. after boolean indexing); call "
                "y.compute_chunk_sizes() before MEATransformer."
            )
        y = y.rechunk((X.chunks[0],) + tuple((size,) for size in y.shape[1:]))
        return list(y.to_delayed().ravel())
    stops = np.cumsum(X.chunks[0])
    return [dask.delayed(y[stop - rows:stop], traverse=False)
            for rows, stop in zip(X.chunks[0], stops)]


def map_parts(func, parts, rows):
    """``[func(part, offset) for part in parts]`` computed on the workers, gathered here.

    ``rows``: the row count of every part (``X.chunks[0]``); ``offset`` is the first row of
    the part, for error messages. Meant for small per-part results (label summaries).
    """
    dask = require_dask("MEATransformer on a dask array")
    stops = np.cumsum(rows)
    tasks = [dask.delayed(func, pure=True)(part, int(stop - count))
             for part, count, stop in zip(parts, rows, stops)]
    return list(dask.compute(*tasks))


def dask_statistics(X, y_parts=None, response=None, *, split_every=8):
    """:class:`~skser._mbpls.SufficientStatistics` of the rows of the dask array ``X``.

    Every row chunk's statistics are computed where the chunk lives (the columns of a row
    chunk are joined first). With ``response`` (a picklable ``f(y_part, offset) ->
    (targets, labelled)``), the target columns of each chunk (one-hot labels or regression
    targets, and the labelled-row mask) are built on the worker from that chunk's part of
    ``y_parts`` (:func:`row_parts`), so no column with one row per row of ``X`` is ever
    made on the client. The chunk statistics merge in order by the exact pairwise update,
    ``split_every`` at a time, in a tree on the workers; only the final statistics reach the
    client. The result equals :func:`~skser._mbpls.chunk_statistics` on the whole array to
    rounding. Runs on the active Dask scheduler (a :class:`distributed.Client` when one is
    open).
    """
    dask = require_dask("MEATransformer on a dask array")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D dask array, got {X.ndim} dimension(s).")
    _check_row_chunks(X)
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    X = X.rechunk({1: -1})
    blocks = X.to_delayed().ravel()
    if y_parts is None:
        y_parts = [None] * len(blocks)
    leaves, start = [], 0
    for block, part, rows in zip(blocks, y_parts, X.chunks[0]):
        leaves.append(dask.delayed(_chunk_statistics, pure=True)(block, part, start, response))
        start += rows
    while len(leaves) > 1:
        leaves = [dask.delayed(_merge, pure=True)(*leaves[i:i + split_every])
                  for i in range(0, len(leaves), split_every)]
    (stats,) = dask.compute(leaves[0])
    return stats


def dask_map_rows(X, func, n_columns, dtype):
    """``func`` applied to every row chunk of the dask array ``X``, lazily.

    ``func`` maps a numpy ``(m, n_features)`` chunk to an ``(m, n_columns)`` array of
    ``dtype``; the result is a dask array with the row chunks of ``X``.
    """
    require_dask("MEATransformer.transform on a dask array")
    X = X.rechunk({1: -1})
    return X.map_blocks(
        func, dtype=dtype, chunks=(X.chunks[0], (n_columns,)),
        meta=np.empty((0, n_columns), dtype=dtype),
    )


# ------------------------------------------------------------------------ audio by URL
def is_url(path) -> bool:
    """True for a URL that fsspec reads (``s3://``, ``gs://``, ``file://``...), not a path."""
    return isinstance(path, str) and "://" in path


def load_audio_url(url, *, sr):
    """:func:`~skser.features.load_audio` of a file that fsspec reaches by ``url``.

    Workers rarely share a disk with the client: corpora on object stores are read by URL.
    The bytes are copied to a local temporary file (same extension) and decoded there with
    every check of ``load_audio``; error messages name the URL.
    """
    import os
    import tempfile

    from .features._audio_io import AudioReadError, load_audio

    try:
        import fsspec
    except ImportError as exc:
        raise ImportError(
            f"Reading audio from {url!r} needs fsspec. Install it with: {INSTALL_HINT}"
        ) from exc
    suffix = os.path.splitext(url)[1]
    try:
        with fsspec.open(url, "rb") as source:
            data = source.read()
    except (OSError, ValueError) as exc:
        raise AudioReadError(f"could not read audio file {url!r}: {exc}") from exc
    handle, local = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as target:
            target.write(data)
        try:
            return load_audio(local, sr=sr)
        except AudioReadError as exc:
            raise AudioReadError(str(exc).replace(repr(local), repr(url))) from None
    finally:
        os.unlink(local)
