"""MEATransformer: Multiblock Embedding Alignment, a closed-form multiblock PLS."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from . import _mbpls, _parallel
from ._device import native_threads, resolve_device, torch_dtype
from ._layout import find_layout
from .utils._semi import check_classes_labelled, labelled_mask
from .utils._validation import DefaultsForNewParams, check_row_labels, kept_on_failure

RESPONSES = ("auto", "input", "labels", "input+labels", "target")
CLASS_RESPONSES = ("labels", "input+labels")
# Kinds of y (``sklearn.utils.multiclass.type_of_target``) read as class labels; any other
# numeric kind is a regression target.
CLASS_TARGETS = ("binary", "multiclass")
REGRESSION_TARGETS = (
    "continuous", "continuous-multioutput", "multilabel-indicator", "multiclass-multioutput"
)
# Components kept by n_components=None with the input as the response.
DEFAULT_INPUT_COMPONENTS = 10


# ------------------------------------------------------------------------- pure helpers
def _resolve_engine(device):
    """None for the numpy path, else the ``torch.device`` to compute on."""
    if device == "cpu":
        return None
    torch_device = resolve_device(device)
    return None if torch_device.type == "cpu" else torch_device


@contextmanager
def _one_torch_thread(engine):
    """One torch CPU thread inside the block (the caller's setting is restored after)."""
    if engine is None or engine.type != "cpu":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _check_finite(X, feature_names):
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(X.sum()):  # one fast pass; locate the culprits only when needed
            return
    bad = ~np.isfinite(X)
    if bad.any():
        columns = np.flatnonzero(bad.any(axis=0))
        named = [str(feature_names[c]) if feature_names is not None else int(c) for c in columns]
        raise ValueError(
            f"Input contains NaN or inf in {bad.sum()} value(s), in column(s) {named[:10]}"
            f"{' ...' if len(named) > 10 else ''}. Impute or drop them before MEATransformer."
        )


def _is_integer(value) -> bool:
    return isinstance(value, Integral | np.integer) and not isinstance(value, bool | np.bool_)


def _blocks_from_widths(widths, n_features):
    widths = [int(w) for w in widths]
    if any(w < 1 for w in widths):
        raise ValueError(f"Block widths must be positive, got {widths}.")
    if sum(widths) != n_features:
        raise ValueError(
            f"Block widths {widths} cover {sum(widths)} columns, X has {n_features}. "
            f"The widths must add up to the number of columns."
        )
    stops = np.cumsum(widths)
    return [np.arange(stop - w, stop) for w, stop in zip(widths, stops)]


def _block_indices(block, n_features, feature_names, position):
    block = np.asarray(block).ravel()
    if block.size == 0:
        raise ValueError(f"Block {position} is empty; every block needs at least one column.")
    if block.dtype.kind in "OUS":
        if feature_names is None:
            raise ValueError(
                f"Block {position} names columns {list(block[:3])}..., but X has no column "
                f"names; pass a pandas DataFrame or give column indices."
            )
        lookup = {str(name): i for i, name in enumerate(feature_names)}
        missing = [str(name) for name in block if str(name) not in lookup]
        if missing:
            raise ValueError(f"Block {position} names unknown columns {missing[:10]}.")
        return np.array([lookup[str(name)] for name in block])
    if block.dtype.kind not in "iu":
        raise ValueError(f"Block {position} must hold column indices or names, got {block}.")
    outside = block[(block < 0) | (block >= n_features)]
    if outside.size:
        raise ValueError(
            f"Block {position} has column indices {outside[:10].tolist()} outside "
            f"[0, {n_features - 1}] (X has {n_features} columns)."
        )
    return block.astype(np.intp)


def _check_partition(blocks, n_features):
    owner = np.full(n_features, -1)
    for position, block in enumerate(blocks):
        taken = block[owner[block] >= 0]
        if taken.size or len(np.unique(block)) != len(block):
            column = int(taken[0]) if taken.size else int(block[0])
            raise ValueError(
                f"Blocks overlap: column {column} is in block {position} and in block "
                f"{int(owner[column]) if owner[column] >= 0 else position} (or twice in one "
                f"block). Every column must be in exactly one block."
            )
        owner[block] = position
    uncovered = np.flatnonzero(owner < 0)
    if uncovered.size:
        raise ValueError(
            f"Columns {uncovered[:10].tolist()}{' ...' if uncovered.size > 10 else ''} "
            f"({uncovered.size} of {n_features}) are in no block; the blocks must cover all "
            f"{n_features} columns of X."
        )


def _parse_blocks(blocks, n_features, feature_names):
    """Column indices of every explicit block (widths, index arrays or column names)."""
    blocks = list(blocks)
    if not blocks:
        raise ValueError("blocks must name at least one block.")
    if all(_is_integer(b) for b in blocks):
        return _blocks_from_widths(blocks, n_features)
    indices = [_block_indices(b, n_features, feature_names, i) for i, b in enumerate(blocks)]
    _check_partition(indices, n_features)
    return indices


def _kind_of_y(y):
    """``"classes"``, ``"target"`` or None (nothing usable) for the labelled rows of y."""
    if y is None or len(y) == 0:
        return None
    kind = type_of_target(y, input_name="y")
    if kind == "unknown":
        raise ValueError(
            f"Unknown label type: y is neither class labels nor numbers that scikit-learn "
            f"recognises (dtype {np.asarray(y).dtype}, e.g. {np.asarray(y)[:3].tolist()}); "
            "convert it: "
            "np.asarray(y, dtype=float) for ratings, or strings or integers for classes."
        )
    if kind in CLASS_TARGETS:
        return "classes"
    return "target" if kind in REGRESSION_TARGETS else None


def _resolve_response(response, y, labelled, classes, *, final):
    """The response used.

    ``"auto"``: ``"labels"`` when the labelled rows of y are class labels (binary or
    multiclass, at least two classes; in ``partial_fit``, when ``classes`` are given),
    ``"target"`` when they are numeric and continuous or 2-D, else ``"input"``.
    """
    kind = _kind_of_y(None if y is None else y[labelled])
    if response in CLASS_RESPONSES and kind == "target":
        raise ValueError(
            f"response={response!r} needs class labels, but y is "
            f"{type_of_target(y[labelled], input_name='y')!r} (e.g. {y[labelled][:3].tolist()}"
            f"); use response='target' to regress on it."
        )
    if response != "auto":
        return response
    if classes is not None:
        return "labels" if len(np.unique(np.asarray(classes))) >= 2 else "input"
    if kind == "target":
        return "target"
    if kind == "classes" and final and len(np.unique(y[labelled])) >= 2:
        return "labels"
    return "input"


def _response_index(response, names, from_layout):
    """Index of the response block among ``names`` (None for ``"labels"`` and ``"target"``)."""
    if response in ("labels", "target"):
        return None
    if _is_integer(response):
        if response >= len(names):
            raise ValueError(
                f"response={response} but there are only {len(names)} blocks {names}."
            )
        return int(response)
    if not from_layout:
        return len(names) - 1
    if "input" not in names:
        raise ValueError(
            f"response={response!r} looks for a block named 'input', but the block layout of X "
            f"has blocks {names}. Pass response=<index of the response block> (0 to "
            f"{len(names) - 1}), response='labels', or explicit blocks=."
        )
    return names.index("input")


def _one_hot(y, labelled, classes):
    """One-hot rows of the labelled rows of y; unlabelled rows are zero (and unused)."""
    y = np.asarray(y)
    unknown = np.setdiff1d(np.unique(y[labelled]), classes)
    if unknown.size:
        raise ValueError(f"y has labels {unknown.tolist()} not in classes {classes.tolist()}.")
    onehot = np.zeros((len(y), len(classes)))
    onehot[labelled] = y[labelled][:, None] == classes[None, :]
    return onehot


def _check_y(y, n_samples, *, targets):
    """y as an array with one row per sample: 1-D for labels, 1-D or 2-D for targets.

    A dask array is checked by its shape and stays lazy (not computed).
    """
    lazy = _parallel.is_dask_array(y)
    if not lazy:
        y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2) or y.shape[0] != n_samples or (not targets and y.ndim != 1):
        raise ValueError(
            f"y must hold one {'row of targets' if targets else 'label'} per row of X "
            f"({n_samples} rows), got {'a dask array of ' if lazy else ''}shape {y.shape}."
        )
    return y


# ------------------------------------------------------- labels of a dask fit, per chunk
@contextmanager
def _rows_from(offset):
    """Row numbers in the ValueErrors of a chunk's checks count from the chunk's first row."""
    try:
        yield
    except ValueError as exc:
        if offset:
            raise ValueError(f"{exc} (rows counted from row {offset} of y)") from None
        raise


def _chunk_labels(y, offset, *, targets):
    """One row chunk of y checked as ``_check_labels`` checks the whole y; and its mask."""
    with _rows_from(offset):
        y = _check_y(y, len(y), targets=targets)
        if y.dtype.kind not in "fc" and y.ndim == 1:
            check_row_labels(y, len(y), "y")
        return y, labelled_mask(y)


def _label_summary(y, offset, *, targets):
    """What a fit needs to know of one chunk of labels before building its response columns.

    Runs on a worker. Returns a sample of y: the chunk's distinct labelled values for class
    labels, else its first labelled values (with a non-integer one, so that
    ``type_of_target`` of the samples of all chunks is that of the whole y), followed by one
    unlabelled row when the chunk has any. Its size does not grow with the chunk's rows (but
    with its classes).
    """
    y, labelled = _chunk_labels(y, offset, targets=targets)
    values = y[labelled]
    with _rows_from(offset):
        kind = _kind_of_y(values)
    if kind == "classes":
        sample = np.unique(values)
    elif values.ndim == 1 and values.dtype.kind == "f":
        fractional = np.flatnonzero(values != np.round(values))[:1]
        sample = np.concatenate([values[:3], values[fractional]])
    else:
        sample = values[:3]
    return np.concatenate([sample, y[~labelled][:1]])


def _chunk_response(y, offset, *, targets, response_type, classes):
    """The response columns of one row chunk and its labelled mask (runs on a worker).

    One-hot columns of ``classes`` for class labels, else the float64 targets (zero on the
    unlabelled rows), as ``MEATransformer._stack_response`` builds them for a whole y.
    """
    y, labelled = _chunk_labels(y, offset, targets=targets)
    with _rows_from(offset):
        if response_type != "target":
            return _one_hot(y, labelled, classes), labelled
        values = np.array(y, dtype=np.float64).reshape(len(y), -1)
        if not np.isfinite(values[labelled]).all():
            raise ValueError("y holds inf in labelled rows; drop or clip those targets.")
        values[~labelled] = 0.0
        return values, labelled


# ------------------------------------------------------------------------------ estimator
class MEATransformer(DefaultsForNewParams, TransformerMixin, BaseEstimator):
    """Multiblock Embedding Alignment: closed-form multiblock PLS super scores.

    MEA is a multiblock partial least squares (MB-PLS) model. Its X blocks (by default the
    ``intra`` and ``inter`` embeddings of :class:`EDRLTransformer`) are projected onto a joint
    latent subspace of maximal covariance with a response block (by default the original
    ``input`` features). :meth:`transform` returns the super scores (inside a classification
    pipeline, their directions: rows of unit length), which feed any classifier.
    The model is solved in closed form from cross-products, so :meth:`partial_fit` is exact.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of latent components (super scores). At most
        ``min(n_samples - 1, n_x_features)``. None: ``n_classes - 1`` when the response
        uses the labels (the rank of the between-class scatter, as in linear discriminant
        analysis), else 10; both capped at the number of X features. The number used is
        ``n_components_``.

    blocks : "auto" or sequence, default="auto"
        How the columns of X form blocks.

        - ``"auto"``: the block layout that X carries (an EDRL output: a ``LayoutArray`` or
          DataFrame columns named ``<block>__<name>``). Without one, all columns form a single
          block whose response is that same block (a PCA-like solution).
        - a sequence of ints: widths of consecutive column blocks covering every column;
        - a sequence of column-index arrays, or, for DataFrames, of lists of column names,
          covering every column exactly once.

    response : {"auto", "input", "labels", "input+labels", "target"} or int, default="auto"
        Which block is the response Y; its columns are in X at transform time too but do not
        enter the scores.

        - ``"auto"``: decided from the labelled rows of ``y``
          (:func:`sklearn.utils.multiclass.type_of_target`): ``"labels"`` for class labels
          (binary or multiclass) with at least two classes, as inside a classification
          :class:`~sklearn.pipeline.Pipeline`; ``"target"`` for a continuous or 2-D numeric
          ``y``, as inside a regression pipeline (e.g. arousal and valence ratings before
          :class:`~sklearn.linear_model.Ridge`): a pipeline that passes ``y`` gets a
          supervised subspace either way; otherwise (no ``y``, one class, all rows
          unlabelled) ``"input"``; a ``y`` scikit-learn cannot read as either (numbers in
          an object array) is an error, never ignored. Integer-valued float ratings (1.0,
          2.0, ...) read as classes: pass ``response="target"`` for them. In
          :meth:`partial_fit` it is ``"labels"`` when the first call gets ``classes`` (with
          at least two), ``"target"`` for a continuous ``y``, otherwise ``"input"``. The
          choice made is ``response_type_``.

        - ``"input"``: the block named ``input`` of the layout; with explicit blocks, the last
          block; with a single block, that block itself (Y = X).
        - int: index into the blocks.
        - ``"labels"``: the one-hot encoded ``y`` (every block is then an X block). Inside a
          :class:`~sklearn.pipeline.Pipeline`, ``y`` comes from ``fit``. For
          :meth:`partial_fit`, the first call needs ``classes``.
        - ``"input+labels"``: the input block and the one-hot ``y`` together.
        - ``"target"``: the numeric ``y`` itself, of shape (n_samples,) or (n_samples,
          n_targets), standardised like every column (PLS regression on the ratings).

        With ``y``, rows labelled ``-1`` (integer or object labels) or NaN (floating-point
        labels and targets; a 2-D row all NaN) are unlabelled (scikit-learn's
        semi-supervised convention): they enter the X statistics but not the response's; see
        Notes. A class named ``-1`` is therefore impossible; ``classes`` holding it is an
        error.

    normalize : "auto" or bool, default="auto"
        Whether :meth:`transform` scales each row of super scores to unit Euclidean length,
        so that the output is the row's direction in the latent space (rows of zeros stay
        zero). ``"auto"``: True when the response uses the labels and there are at least two
        components (a discriminant subspace, where the direction carries the class; see
        Notes), else False, which keeps the raw super scores of the paper's unsupervised
        alignment. With one component a direction is only a sign. The choice made is
        ``normalize_``. :meth:`block_transform` is never normalised.

    block_scaling : {"sqrt", "frobenius", "none"}, default="sqrt"
        Divides each X block by the square root of its width, by its Frobenius norm (of the
        centred block, divided by ``sqrt(n_samples)`` so that the factor does not depend on
        the number of rows; this changes all scores by one common factor only), or not at all.
        Blocks are scaled after ``scale``.

    scale : bool, default=True
        Standardise every column (population standard deviation); constant columns are
        centred only, never divided by zero.

    device : {"cpu", "cuda", "auto"}, default="cpu"
        ``"cpu"`` computes with numpy; ``"cuda"`` runs the same algebra with torch on the GPU
        and returns numpy; ``"auto"`` uses CUDA when it is available. Asking for CUDA where
        there is none raises an error. A fitted model holds numpy arrays only, so one fitted
        on a GPU unpickles anywhere; ``set_params(device="cpu")`` to use it without CUDA.

    dtype : {"float64", "float32"}, default="float64"
        Precision of the solve and of :meth:`transform`'s output (``"float32"`` is faster on
        GPUs). The statistics (means, cross-products) are always accumulated in float64,
        from float32 or float64 X as given (X is not cast), and the fitted attributes are
        stored in float64; :meth:`transform` centres in float64 unless both X and ``dtype``
        are float32.

    copy : bool, default=True
        Kept for compatibility; it changes nothing. :meth:`fit` never writes into X nor copies
        it whole (see Notes, *Memory and time*).

    Attributes
    ----------
    n_components_ : int
        Number of components computed (``n_components`` resolved).

    response_type_ : {"input", "labels", "input+labels"} or int
        The response used (``response`` with ``"auto"`` resolved).

    normalize_ : bool
        Whether :meth:`transform` returns unit-length rows (``normalize`` resolved).

    blocks_ : list of ndarray of int
        Column indices of every block, the response block included, in order.

    block_names_ : list of str
        Name of every block (from the layout, else ``block0``, ``block1``, ...).

    response_ : int or None
        Index into ``blocks_`` of the response block; None when the response is the labels
        or the target only.

    x_blocks_ : list of int
        Indices into ``blocks_`` of the X blocks. X features below are these blocks' columns
        concatenated in this order (``n_x_features`` in all).

    classes_ : ndarray of shape (n_classes,)
        Class labels of the one-hot response; only with ``response`` using labels.

    n_samples_seen_ : int
        Number of rows the statistics hold.

    n_labelled_seen_ : int
        Number of rows behind the response statistics: the labelled rows with a labels or
        target response, every row otherwise.

    x_mean_ : ndarray of shape (n_x_features,)
        Mean of each X feature.

    x_scale_ : ndarray of shape (n_x_features,)
        What each centred X feature is divided by (standard deviation times block factor).

    x_weights_ : ndarray of shape (n_x_features, n_components)
        Super weights W (unit columns): the weights of PLS on the concatenated scaled blocks.

    x_rotations_ : ndarray of shape (n_x_features, n_components)
        Rotations R; the super scores are ``X_scaled @ R``.

    x_loadings_ : ndarray of shape (n_x_features, n_components)
        X loadings P.

    y_loadings_ : ndarray of shape (n_y_features, n_components)
        Y loadings Q.

    block_weights_ : list of ndarray of shape (n_block_features, n_components)
        Block weights (unit columns) of each X block.

    block_loadings_ : list of ndarray of shape (n_block_features, n_components)
        Block loadings of each X block.

    block_importances_ : ndarray of shape (n_x_blocks, n_components)
        Squared norm of each block's part of the super weight; each column sums to 1.

    x_explained_variance_ratio_ : ndarray of shape (n_components,)
        Fraction of the scaled X variance explained by each component.

    y_explained_variance_ratio_ : ndarray of shape (n_components,)
        Fraction of the scaled Y variance explained by each component.

    vip_ : ndarray of shape (n_x_features,)
        Variable importance in projection of each X feature.

    n_features_in_ : int
        Number of columns of X seen in :meth:`fit`.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names of X, when it has string column names.

    See Also
    --------
    sklearn.cross_decomposition.PLSRegression : Single-block, iterative PLS.
    EDRLTransformer : Produces the intra, inter and input blocks MEA aligns.

    Notes
    -----
    The fit accumulates the row count, the column means and the centred cross-products of
    ``[X | Y]`` (one pass, merged across :meth:`partial_fit` chunks by the pairwise update of
    Chan, Golub & LeVeque, so chunked and one-shot fits agree to rounding). Standardisation
    and block scaling are applied to these statistics. With every X block scaled, MB-PLS
    with super-score deflation (Westerhuis, Kourti & MacGregor 1998) gives the same super
    scores as PLS2 on the concatenated blocks: its block weight of block b is the normalised
    block-b part of the PLS2 weight, its super weight entry for b is the norm of that part,
    and block importance is its square. PLS2 is solved from ``XᵀX`` and ``XᵀY`` with the
    improved kernel algorithm of Dayal & MacGregor (1997): per component, the dominant left
    singular vector of the deflated ``XᵀY`` (from the eigendecomposition of a small matrix),
    its rotation, and a rank-one deflation of ``XᵀY``. There are no iterations, tolerances or
    iteration caps. The sign of each component makes the largest-magnitude entry of its super
    weight positive, so numpy and torch (CPU or GPU) agree, signs included, and the scores do
    not depend on the order of the X blocks.

    If the response covariance is exhausted before ``n_components`` (for example with
    collinear columns), a warning is issued and the remaining components are zero.

    *Unlabelled rows* (semi-supervised MB-PLS). With a labels or target response, let ``L``
    be the labelled rows (``n_L`` of them) among all ``n``. The model is solved from
    covariances: ``Sxx = (1/n) Σ_all (x - x̄)(x - x̄)ᵀ`` with ``x̄`` the mean over all rows,
    and ``Sxy = (1/n_L) Σ_L (x - x̄)(y - ȳ_L)ᵀ`` with ``ȳ_L`` the mean of y over the labelled
    rows. Since ``Σ_L (y - ȳ_L) = 0``, ``Sxy`` does not depend on how x is centred: it
    equals the labelled rows' own cross-covariance. X columns are standardised with their
    all-row standard deviation, target columns with their labelled-row one, and the input
    block of ``"input+labels"`` (a block of X) uses all rows. Without unlabelled rows this
    is the supervised model exactly (the covariances are the cross-products divided by
    ``n``, which changes no weight, rotation or score). Each of the three sets of
    statistics (X over all rows; X with y and y with itself over the labelled rows) merges
    by the pairwise update, so :meth:`partial_fit` stays exact over any chunking, including
    chunks without a single labelled row. The unlabelled rows thus shape the X space (its
    scaling and its covariance ``Sxx``, hence the rotations and loadings), e.g. the test
    corpus in a transductive evaluation, while only labelled rows say which directions
    matter.

    *Precision.* The statistics (row counts, means, cross-products) are accumulated in
    float64 whatever ``dtype``: ``dtype`` governs the solve and :meth:`transform` only.
    The centred cross-product is the raw one minus ``n`` times the outer product of the
    means, except for the columns whose mean exceeds 10 standard deviations: those are
    recomputed from centred values, so columns with a large mean and a small spread
    (1e6 ± 1) keep their variance (every entry within about 1e-11 of its scale, tested
    against extended precision). A column is
    constant when its variance is below the rounding error of its mean (the bound of
    :class:`~sklearn.preprocessing.StandardScaler`); it is then centred and not scaled.

    *Memory and time.* ``fit`` forms the raw cross-product with one symmetric rank-k
    update (BLAS ``syrk``) that reads a C- or Fortran-contiguous float64 X in place; any
    other X (float32, a strided view) is converted in float64 row blocks that fill half of
    the CPU's largest cache, stay within 5% of the data and hold at least 64 rows. The
    update uses one BLAS thread when it is small, and no more threads than the machine has
    idle cores (the caller's setting is restored after). Extra memory is the ``p x p``
    cross-product of the ``p`` columns of X, plus one block when X is converted (plus
    ``p x k`` for ``k`` one-hot or target columns, and a scaled ``p x p`` copy when one
    block is its own response); X is never copied whole. The cost is then that of forming
    ``XᵀX`` (at most 1.13 times centring X and forming ``XᵀX`` from 10,000 rows up, except
    1.7 to 1.9 times at 10,000 x 100, where the solve's fixed cost shows; see the
    benchmarks page). The solve uses ``XᵀX`` as an operator on the statistics (one product per
    component) and, for one block that is its own response, a single top-``k``
    eigendecomposition (as PCA). With fewer rows than columns (``n < p``)
    the model keeps the rows themselves (``n x p`` float64) instead of the ``p x p``
    cross-product and solves from the ``n x n`` kernel ``X Xᵀ`` ("wide" kernel PLS:
    Lindgren, Geladi & Wold 1993; Rännar, Lindgren, Geladi & Wold 1994), so time and memory
    grow with the smaller dimension; :meth:`partial_fit` keeps rows until they reach the
    number of columns and then switches to the cross-product, computed from those rows and
    merged exactly. Both forms give the same model to rounding.

    *Default response and size.* The paper aligns the embeddings with the input features
    (``response="input"``). With a labels response, every block (``intra``, ``inter`` and
    ``input``) is an X block and the super scores are the directions of the joint space of
    maximal covariance with the one-hot emotion labels: a multiblock PLS-DA. Since
    ``n_classes - 1`` directions span the between-class differences, that many components
    are kept; further ones only add within-class (speaker, corpus, noise) variation for the
    classifier to overfit. On the robustness benchmark (``benchmarks/robust_ser.py``: EmoDB
    and URDU, training on clean speech, testing cross-corpus and on unseen speakers, clean and
    with noise at 20 to 0 dB SNR; 20 cells), ``EDRLTransformer() -> MEATransformer() -> SVC()``
    reached a mean UAR over the cells (mean ± standard deviation over EDRL seeds 0 to 4, raw
    super scores, EDRL with its earlier additive input noise) of 52.8 ± 1.2 with skser's
    ``egemaps_like`` features and 51.7 ± 0.8 with openSMILE's eGeMAPSv02 with this
    response (the labels, 3 components for the 4 emotions), against 51.7 ± 1.0 and
    49.9 ± 0.6 with the paper's (``response="input"``, 10 components). With unit-length rows
    (below), ten labels-response components lose the gain (50.3 and 51.0) and
    ``"input+labels"`` with 3 components stays lower (53.5 and 52.0, against 54.5 and
    53.1); see ``docs/robustness.rst`` and ``benchmarks/robust_ser_ablations.py``. Without a ``y``,
    ``"auto"`` keeps the paper's input response, so MEA alone stays unsupervised.

    *Directions* (``normalize``). In that discriminant subspace the direction of a row's
    super-score vector carries its emotion; its length also depends on how strongly the
    discriminant features stand out from everything else in the utterance, which varies with
    the speaker's expressiveness and with noise. Additive noise, after the usual per-corpus
    (and per-condition) standardisation, adds variance to every feature, so the discriminant
    part of each standardised row shrinks and the scores move towards the origin, where a
    classifier trained on clean speech has its boundaries between classes. Scaling each row
    to unit length is exactly invariant to such shrinkage (the tests check it) and uses no
    statistics of the test set: every row is still transformed on its own. On the robustness
    benchmark (mean over EDRL seeds 0 to 4, EDRL with its earlier additive input noise) it
    raised the default EDRL-MEA pipeline's mean UAR over the 20 cells from 52.8 to 54.5 with
    ``egemaps_like`` and from 51.7 to 53.1 with eGeMAPSv02,
    and MEA + SVC without EDRL from 50.2 to 53.3 and from 52.1 to 53.9. The gains are in the
    speaker-independent cells (URDU's at every SNR, +3.0 to +6.0 points; EmoDB's at 10 dB and
    below, up to +7.3); the cross-corpus cells move by -1.2 to +1.6, and clean EmoDB speakers
    lose 3.4 points with ``egemaps_like``. Unit-length rows of the 88 input features instead
    (no discriminant subspace) lower the SVC baseline from 51.9 to 50.5.

    References
    ----------
    .. [1] Westerhuis, Kourti & MacGregor (1998). Analysis of multiblock and hierarchical PCA
       and PLS models. Journal of Chemometrics 12, 301-321.
    .. [2] Dayal & MacGregor (1997). Improved PLS algorithms. Journal of Chemometrics 11,
       73-85.
    .. [3] Chan, Golub & LeVeque (1979). Updating formulae and a pairwise algorithm for
       computing sample variances. Stanford CS report STAN-CS-79-773.
    .. [4] Rännar, Lindgren, Geladi & Wold (1994). A PLS kernel algorithm for data sets
       with many variables and fewer objects. Part 1: theory and algorithm. Journal of
       Chemometrics 8, 111-125.

    Examples
    --------
    >>> import numpy as np
    >>> from skser import MEATransformer
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.normal(size=(100, 2))
    >>> intra = latent @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(100, 6))
    >>> inter = latent @ rng.normal(size=(2, 4)) + 0.1 * rng.normal(size=(100, 4))
    >>> speech = latent @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(100, 8))
    >>> X = np.hstack([intra, inter, speech])
    >>> mea = MEATransformer(n_components=2, blocks=[6, 4, 8]).fit(X)
    >>> mea.transform(X).shape
    (100, 2)
    >>> mea.get_feature_names_out()
    array(['mea0', 'mea1'], dtype=object)
    >>> mea.block_importances_.sum(axis=0)
    array([1., 1.])
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "blocks": [StrOptions({"auto"}), "array-like"],
        "response": [StrOptions(set(RESPONSES)), Interval(Integral, 0, None, closed="left")],
        "normalize": [StrOptions({"auto"}), "boolean"],
        "block_scaling": [StrOptions(set(_mbpls.BLOCK_SCALINGS))],
        "scale": ["boolean"],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "dtype": [StrOptions({"float32", "float64"})],
        "copy": ["boolean"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        blocks="auto",
        response="auto",
        normalize="auto",
        block_scaling="sqrt",
        scale=True,
        device="cpu",
        dtype="float64",
        copy=True,
    ):
        self.n_components = n_components
        self.blocks = blocks
        self.response = response
        self.normalize = normalize
        self.block_scaling = block_scaling
        self.scale = scale
        self.device = device
        self.dtype = dtype
        self.copy = copy

    # ------------------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model on all rows of X.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            All blocks side by side (the response block included). A
            :class:`dask.array.Array` is not gathered: the statistics of each row chunk are
            computed on the workers and merged exactly (needs ``skser[dask]``; see
            "Scaling out" in the user guide).
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Class labels, or numeric targets for ``response="target"``; ignored with a
            response block of X. Unlabelled rows (``-1``, or NaN for floats) enter the X
            statistics only. With a dask X, y may be a numpy or dask array (of any row
            chunks): it is cut to X's row chunks and the response columns of every chunk are
            built on the worker that holds it; only the distinct classes (or a few target
            values) reach the client.

        Returns
        -------
        self : MEATransformer
            The fitted transformer.
        """
        with kept_on_failure(self):
            for name in ("n_samples_seen_", "_statistics", "classes_", "_n_targets"):
                self.__dict__.pop(name, None)
            return self._update(X, y, classes=None, first=True, final=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, classes=None):
        """Add the rows of X to the statistics and refit; exact for any split into chunks.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            A chunk of rows, with the same columns on every call (a dask array is summed on
            the workers, as in :meth:`fit`).
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Class labels (or numeric targets) of the chunk; needed when ``response`` uses
            them. Unlabelled rows (``-1``, or NaN for floats) enter the X statistics only; a
            chunk may be all unlabelled.
        classes : array-like of shape (n_classes,), default=None
            All class labels; required on the first call when ``response`` uses labels.
            ``-1`` and NaN mark unlabelled rows and cannot be classes.

        Returns
        -------
        self : MEATransformer
            The updated transformer. Until more than ``n_components`` rows have been seen the
            components cannot be computed and :meth:`transform` raises.
        """
        first = not hasattr(self, "n_samples_seen_")
        # A chunk that fails (bad labels, wrong width) leaves the rows seen so far intact.
        with kept_on_failure(self):
            return self._update(X, y, classes=classes, first=first, final=False)

    def _update(self, X, y, *, classes, first, final):
        layout = find_layout(X) if first and isinstance(self.blocks, str) else None
        engine = _resolve_engine(self.device)
        if _parallel.is_dask_array(X):  # checked here, summed on the workers chunk by chunk
            X = self._check_dask_X(X, reset=first, min_samples=2 if final else 1)
            return self._update_dask(X, y, classes=classes, first=first, final=final,
                                     layout=layout, engine=engine)
        # The statistics are summed in float64 (in place or in row blocks): X is neither cast
        # nor copied, and its finiteness is read from the statistics.
        X = validate_data(
            self, X, reset=first, dtype=(np.float64, np.float32), copy=False,
            ensure_all_finite=False, ensure_min_samples=2 if final else 1,
        )
        y, labelled = self._check_labels(y, X.shape[0])
        if first:
            self._start(y, labelled, classes, final=final, layout=layout)
        targets = self._stack_response(y, labelled, classes, infer_classes=final)
        self._set_n_components(check=first)
        self.normalize_ = self._resolve_normalize()
        chunk = _mbpls.chunk_statistics(X, targets, labelled, engine=engine)
        self._check_finite_statistics(chunk, X)
        return self._add_statistics(chunk, engine, first=first, final=final)

    def _start(self, y, labelled, classes, *, final, layout):
        """On the first chunk: the response type (from y, or its summary) and the blocks."""
        if classes is not None:
            check_classes_labelled(classes)
        self.response_type_ = _resolve_response(self.response, y, labelled, classes, final=final)
        self._set_blocks(layout)

    def _add_statistics(self, chunk, engine, *, first, final):
        self._statistics = chunk if first else self._statistics.merge(chunk)
        self.n_samples_seen_ = self._statistics.n
        self.n_labelled_seen_ = self._statistics.n_labelled
        self._solve_if_possible(engine, final)
        return self

    def _check_finite_statistics(self, chunk, X):
        """Raise on NaN or inf in X, or on values so large that float64 overflows.

        A NaN or inf in any row makes its column's mean one, so a finite X costs no extra
        pass. Finite values whose sums or squares overflow (|x| near 1e154) leave an
        infinite mean or variance. A dask X had its chunks checked for NaN and inf on the
        workers; only the overflow is left to see here.
        """
        p = X.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):
            fine = np.isfinite(chunk.mean()[:p]) & np.isfinite(chunk.variance()[:p])
        if fine.all():
            return
        names = getattr(self, "feature_names_in_", None)
        if not _parallel.is_dask_array(X):
            _check_finite(X, names)  # names the NaN or inf, if that is what it is
        columns = np.flatnonzero(~fine)
        named = [str(names[c]) if names is not None else int(c) for c in columns[:10]]
        raise ValueError(
            f"X's column(s) {named}{' ...' if columns.size > 10 else ''} hold values so large "
            "that their sums or squares overflow float64 (|values| near 1e154 or more); "
            "rescale them before MEATransformer."
        )

    def _update_dask(self, X, y, *, classes, first, final, layout, engine):
        """``_update`` for a dask X: the labels are summarised, then one-hot, per chunk.

        Only small summaries of the labels reach the client (the distinct classes, a few
        target values, the labelled count); the response columns of every row chunk are
        built on the worker that sums the chunk's statistics, from y cut to X's row chunks.
        """
        targets = self.response in ("auto", "target")
        parts = None
        if self._may_use_y() and y is not None:
            y = _check_y(y, X.shape[0], targets=targets)
            parts = _parallel.row_parts(X, y)
            sample = np.concatenate(_parallel.map_parts(
                partial(_label_summary, targets=targets), parts, X.chunks[0]))
            y, labelled = sample, labelled_mask(sample)
        else:
            y = labelled = None
        if first:
            self._start(y, labelled, classes, final=final, layout=layout)
        response = None
        if self._stack_response(y, labelled, classes, infer_classes=final,
                                n_rows=X.shape[0]) is not None:
            response = partial(
                _chunk_response, targets=targets, response_type=self.response_type_,
                classes=getattr(self, "classes_", None),
            )
        self._set_n_components(check=first)
        self.normalize_ = self._resolve_normalize()
        chunk = _parallel.dask_statistics(X, parts, response)
        self._check_finite_statistics(chunk, X)
        return self._add_statistics(chunk, engine, first=first, final=final)

    def _may_use_y(self):
        return not (self.response == "input" or _is_integer(self.response))

    def _check_dask_X(self, X, *, reset, min_samples):
        """Check a dask array's shape and dtype without computing it."""
        from sklearn.utils.validation import _check_feature_names, _check_n_features

        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D dask array (n_samples, n_features), got shape {X.shape}."
            )
        if X.dtype.kind not in "biuf":
            raise ValueError(f"X must hold numbers, the dask array holds {X.dtype}.")
        if np.isnan(X.shape[0]):
            raise ValueError(
                "The dask array has unknown chunk sizes (e.g. after boolean indexing); call "
                "X.compute_chunk_sizes() before MEATransformer."
            )
        _check_feature_names(self, X, reset=reset)
        _check_n_features(self, X, reset=reset)
        if X.shape[0] < min_samples:
            raise ValueError(
                f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a minimum "
                f"of {min_samples} is required by MEATransformer."
            )
        return X

    def _check_labels(self, y, n_samples):
        """y as an array and its labelled-row mask, when the response may use y."""
        if y is None or not self._may_use_y():
            return None, None
        y = _check_y(y, n_samples, targets=self.response in ("auto", "target"))
        if y.dtype.kind not in "fc" and y.ndim == 1:
            # None or NaN among labels is a missing label (an error naming its rows), not
            # the unlabelled marker (-1).
            check_row_labels(y, n_samples, "y")
        return y, labelled_mask(y)

    def _set_blocks(self, layout):
        n = self.n_features_in_
        if isinstance(self.blocks, str):
            blocks = layout.indices() if layout is not None else [np.arange(n)]
            names = list(layout.names) if layout is not None else ["block0"]
        else:
            blocks = _parse_blocks(self.blocks, n, getattr(self, "feature_names_in_", None))
            names = [f"block{i}" for i in range(len(blocks))]
        self.blocks_, self.block_names_ = blocks, names
        self.response_ = _response_index(self.response_type_, names, layout is not None)
        others = [i for i in range(len(blocks)) if i != self.response_]
        self.x_blocks_ = others or [self.response_]
        self._x_columns = np.concatenate([blocks[i] for i in self.x_blocks_])

    def _set_n_components(self, *, check):
        n_x = len(self._x_columns)
        names = self.block_names_
        self.n_components_ = self._resolve_n_components(n_x)
        if check and self.n_components_ > n_x:
            raise ValueError(
                f"n_components={self.n_components_} is larger than the number of X features "
                f"({n_x}, in blocks {[names[i] for i in self.x_blocks_]}); "
                f"n_components must be <= min(n_samples - 1, {n_x})."
            )

    def _resolve_n_components(self, n_x):
        """``n_components``, or with None: n_classes - 1 for a labels response, else 10.

        Both are capped at the number of X features.
        """
        if self.n_components is not None:
            return int(self.n_components)
        if self._uses_classes():
            return max(1, min(len(self.classes_) - 1, n_x))
        return min(DEFAULT_INPUT_COMPONENTS, n_x)

    def _resolve_normalize(self):
        """``normalize``, or with "auto": unit-length rows for a labels response only."""
        if self.normalize == "auto":
            return self._uses_classes() and self.n_components_ >= 2
        return bool(self.normalize)

    def _uses_classes(self):
        return self.response_type_ in CLASS_RESPONSES

    def _uses_y(self):
        return self._uses_classes() or self.response_type_ == "target"

    def _stack_response(self, y, labelled, classes, *, infer_classes, n_rows=None):
        """The target columns (one-hot labels or targets; None for a response block of X).

        Also sets ``_y_columns``: the response's columns among the data columns followed by
        the target columns. ``n_rows``: the rows y stands for, when it is a summary (a dask
        fit), for the messages.
        """
        n = self.n_features_in_
        response_columns = [] if self.response_ is None else [self.blocks_[self.response_]]
        if not self._uses_y():
            self._y_columns = response_columns[0]
            return None
        if y is None:
            raise ValueError(f"response={self.response!r} needs y, got y=None.")
        if infer_classes and not labelled.any():
            raise ValueError(
                f"response={self.response_type_!r} needs labelled rows, but all "
                f"{len(y) if n_rows is None else n_rows} rows "
                f"of y are unlabelled (-1 or NaN). Pass labelled rows, or use "
                f"response='input' to fit without labels."
            )
        if self.response_type_ == "target":
            targets = self._check_targets(y, labelled)
        else:
            targets = self._check_classes(y, labelled, classes, infer_classes)
        self._y_columns = np.concatenate(
            response_columns + [np.arange(n, n + targets.shape[1])]
        )
        return targets

    def _check_classes(self, y, labelled, classes, infer_classes):
        if not hasattr(self, "classes_"):
            if classes is None and not infer_classes:
                raise ValueError(
                    f"partial_fit with response={self.response!r} needs classes= (all class "
                    f"labels) on its first call."
                )
            self.classes_ = np.unique(
                np.asarray(y[labelled]) if classes is None else np.asarray(classes)
            )
            if len(self.classes_) < 2:
                raise ValueError(
                    f"response={self.response!r} needs at least two classes, y has "
                    f"{'one' if len(self.classes_) == 1 else len(self.classes_)}: "
                    f"{self.classes_.tolist()}."
                )
        return _one_hot(y, labelled, self.classes_)

    def _check_targets(self, y, labelled):
        try:
            targets = np.array(y, dtype=np.float64).reshape(len(y), -1)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"response='target' needs numeric targets, y holds {y[:3].tolist()}...; "
                f"use response='labels' for class labels."
            ) from exc
        if not np.isfinite(targets[labelled]).all():
            raise ValueError("y holds inf in labelled rows; drop or clip those targets.")
        expected = getattr(self, "_n_targets", targets.shape[1])
        if targets.shape[1] != expected:
            raise ValueError(
                f"y has {targets.shape[1]} target column(s), the model was fitted on "
                f"{expected}."
            )
        self._n_targets = expected
        targets[~labelled] = 0.0
        return targets

    def _solve_if_possible(self, engine, final):
        n = self._statistics.n
        bound = min(n - 1, len(self._x_columns))
        if self._uses_y() and self._statistics.n_labelled < 2:
            if final:
                raise ValueError(
                    f"response={self.response_type_!r} needs at least 2 labelled rows, y has "
                    f"{self._statistics.n_labelled}. Pass more labelled rows, or use "
                    f"response='input' to fit without labels."
                )
            return
        if self.n_components_ <= bound:
            self._solve(engine)
        elif final or self.n_components_ > len(self._x_columns):
            raise ValueError(
                f"n_components={self.n_components_} is larger than the rank bound "
                f"min(n_samples - 1, n_x_features) = min({n - 1}, {len(self._x_columns)}) "
                f"= {bound}. Use n_components <= {bound}."
            )

    def _x_slices(self):
        """Index arrays into X features (concatenated X blocks) of each X block."""
        stops = np.cumsum([len(self.blocks_[i]) for i in self.x_blocks_])
        return [np.arange(stop - len(self.blocks_[i]), stop)
                for i, stop in zip(self.x_blocks_, stops)]

    def _solve(self, engine):
        stats, xc, yc = self._statistics, self._x_columns, self._y_columns
        var, mean = stats.variance(), stats.mean()
        constant = _mbpls.constant_columns(var, mean, stats.row_counts())
        divisors = _mbpls.column_divisors(
            var, constant, [self.blocks_[i] for i in self.x_blocks_], scale=self.scale,
            block_scaling=self.block_scaling,
        )
        problem = _mbpls.scaled_problem(stats, xc, yc, divisors, constant)
        result = self._kernel_pls(problem, engine)
        if result.n_extracted < self.n_components_:
            warnings.warn(
                f"Only {result.n_extracted} of n_components={self.n_components_} components "
                f"carry covariance with the response; the remaining ones are zero.",
                UserWarning,
            )
        self.x_mean_, self.x_scale_ = mean[xc], divisors[xc]
        self._set_components(result, problem.x_total, problem.yty_diag.sum())

    def _kernel_pls(self, problem, engine):
        if engine is None:
            dtype = np.dtype(self.dtype)

            def convert(a):
                return a.astype(dtype, copy=False)
        else:
            import torch

            def convert(a):
                return torch.as_tensor(a, dtype=torch_dtype(self.dtype), device=engine)

        xtx = None
        if problem.xtx is not None:
            gram = problem.xtx
            xtx = _mbpls.Gram(convert(gram.m2), convert(gram.divisors), gram.n)
        xty = xtx if problem.xty is problem.xtx else (
            None if problem.xty is None else convert(problem.xty))
        x_rows = None if problem.x_rows is None else convert(problem.x_rows)
        # Small matrices: BLAS (and torch's) threads cost more in start-up than they save.
        with native_threads(1, user_api=None), _one_torch_thread(engine):
            # XᵀY is ours (made by scaled_problem): the solver may deflate it in place.
            result = _mbpls.kernel_pls(
                xtx, xty, self.n_components_, x_rows=x_rows, overwrite_xty=True
            )
        for name in ("weights", "rotations", "x_loadings", "y_loadings", "score_norms"):
            setattr(result, name, _mbpls._as_float64(getattr(result, name)))
        return result

    def _set_components(self, result, x_total, y_total):
        W, P, Q, tt = result.weights, result.x_loadings, result.y_loadings, result.score_norms
        self.x_weights_, self.x_rotations_, self.x_loadings_, self.y_loadings_ = (
            W, result.rotations, P, Q)
        self._score_norms = tt
        slices = self._x_slices()
        norms = [np.linalg.norm(W[s], axis=0) for s in slices]
        self.block_weights_ = [W[s] / np.where(nb > 0, nb, 1.0) for s, nb in zip(slices, norms)]
        self.block_loadings_ = [P[s] for s in slices]
        self.block_importances_ = np.array([nb**2 for nb in norms])
        self.x_explained_variance_ratio_ = tt * np.sum(P**2, axis=0) / max(x_total, 1e-300)
        self.y_explained_variance_ratio_ = tt * np.sum(Q**2, axis=0) / max(y_total, 1e-300)
        self.vip_ = _mbpls.vip(W, tt, Q)

    # ------------------------------------------------------------------------ transform
    def _check_solved(self):
        check_is_fitted(self, "n_samples_seen_")
        if not hasattr(self, "x_rotations_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"MEATransformer has seen {self.n_samples_seen_} rows; n_components="
                f"{self.n_components_} needs more than {self.n_components_}. Call partial_fit "
                f"with more rows first."
            )

    def _scaled_x(self, X):
        self._check_solved()
        dtype = np.dtype(self.dtype)
        X = validate_data(
            self, X, reset=False, dtype=(np.float64, np.float32), ensure_all_finite=False
        )
        _check_finite(X, getattr(self, "feature_names_in_", None))
        # Centred in the wider of X's dtype and ``dtype``, then cast: float32 output of data
        # far from zero keeps the precision of the centred values.
        Xx = X[:, self._x_columns].astype(np.result_type(X.dtype, dtype), copy=False)
        Xx -= self.x_mean_.astype(Xx.dtype)
        Xx /= self.x_scale_.astype(Xx.dtype)
        return Xx.astype(dtype, copy=False)

    def transform(self, X):
        """Super scores of X.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            All blocks side by side, laid out as in :meth:`fit` (the response block's columns
            are present but unused).

        Returns
        -------
        X_new : ndarray or dask array of shape (n_samples, n_components)
            Super scores, scaled to unit length per row when ``normalize_`` (float32 when
            ``dtype="float32"``). For a dask X, a lazy dask array with X's row chunks.
        """
        if _parallel.is_dask_array(X):  # lazy: every row chunk is scored on the workers
            self._check_solved()
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has shape {X.shape}, but MEATransformer is expecting "
                    f"{self.n_features_in_} features as input."
                )
            return _parallel.dask_map_rows(
                X, self.transform, self.n_components_, np.dtype(self.dtype))
        Xx = self._scaled_x(X)
        R = self.x_rotations_.astype(Xx.dtype)
        engine = _resolve_engine(self.device)
        if engine is None:
            scores = Xx @ R
            if self.normalize_:
                norms = np.linalg.norm(scores, axis=1, keepdims=True)
                scores /= np.where(norms > 0, norms, 1)
            return scores
        import torch

        scores = torch.as_tensor(Xx, device=engine) @ torch.as_tensor(R, device=engine)
        if self.normalize_:
            norms = torch.linalg.vector_norm(scores, dim=1, keepdim=True)
            scores /= torch.where(norms > 0, norms, 1)
        return scores.cpu().numpy()

    def block_transform(self, X):
        """Block scores of every X block.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            As for :meth:`transform`.

        Returns
        -------
        block_scores : list of ndarray of shape (n_samples, n_components)
            One array per X block (in ``x_blocks_`` order): the block scored on its deflated
            versions, as in NIPALS MB-PLS.
        """
        Xx = self._scaled_x(X)
        T = Xx @ self.x_rotations_.astype(Xx.dtype)
        return [
            _mbpls.block_scores(Xx[:, s], T, w.astype(Xx.dtype), p.astype(Xx.dtype))
            for s, w, p in zip(self._x_slices(), self.block_weights_, self.block_loadings_)
        ]

    def get_feature_names_out(self, input_features=None):
        """Names of the super scores: ``mea0``, ``mea1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the names seen in :meth:`fit`.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``mea0`` to ``mea<n_components - 1>``.
        """
        check_is_fitted(self, "n_samples_seen_")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray([f"mea{i}" for i in range(self.n_components_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.response in (*CLASS_RESPONSES, "target")
        tags.transformer_tags.preserves_dtype = ["float64"] if self.dtype == "float64" else []
        return tags
