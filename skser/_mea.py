"""MEATransformer: Multiblock Embedding Alignment, a closed-form multiblock PLS."""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from threadpoolctl import threadpool_limits

from . import _mbpls
from ._device import resolve_device, torch_dtype
from ._layout import find_layout
from .utils._validation import check_row_labels, kept_on_failure

RESPONSES = ("auto", "input", "labels", "input+labels")
# Components kept by n_components=None with the input as the response.
DEFAULT_INPUT_COMPONENTS = 10


# ------------------------------------------------------------------------- pure helpers
def _resolve_engine(device):
    """None for the numpy path, else the ``torch.device`` to compute on."""
    if device == "cpu":
        return None
    torch_device = resolve_device(device)
    return None if torch_device.type == "cpu" else torch_device


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


def _resolve_response(response, y, classes):
    """The response used: ``"auto"`` is ``"labels"`` when y (or ``classes``) holds at least two
    classes, else ``"input"``."""
    if response != "auto":
        return response
    labels = classes if classes is not None else y
    if labels is None:
        return "input"
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(np.unique(labels)) < 2:
        return "input"
    return "labels"


def _response_index(response, names, from_layout):
    """Index of the response block among ``names`` (None for ``"labels"``)."""
    if response == "labels":
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


def _one_hot(y, classes):
    y = np.asarray(y)
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(f"y has labels {unknown.tolist()} not in classes {classes.tolist()}.")
    return (y[:, None] == classes[None, :]).astype(np.float64)


# ------------------------------------------------------------------------------ estimator
class MEATransformer(TransformerMixin, BaseEstimator):
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

    response : {"auto", "input", "labels", "input+labels"} or int, default="auto"
        Which block is the response Y; its columns are in X at transform time too but do not
        enter the scores.

        - ``"auto"``: ``"labels"`` when ``fit`` gets a ``y`` with at least two classes (as
          inside a classification :class:`~sklearn.pipeline.Pipeline`), otherwise
          ``"input"``. In :meth:`partial_fit` it is ``"labels"`` when the first call gets
          ``classes`` (with at least two), otherwise ``"input"``. The choice made is
          ``response_type_``.

        - ``"input"``: the block named ``input`` of the layout; with explicit blocks, the last
          block; with a single block, that block itself (Y = X).
        - int: index into the blocks.
        - ``"labels"``: the one-hot encoded ``y`` (every block is then an X block). Inside a
          :class:`~sklearn.pipeline.Pipeline`, ``y`` comes from ``fit``. For
          :meth:`partial_fit`, the first call needs ``classes``.
        - ``"input+labels"``: the input block and the one-hot ``y`` together.

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
        Precision of the computation and of :meth:`transform`'s output. ``"float32"`` halves
        memory and is faster on GPUs; the statistics are still merged in float64 and the
        fitted attributes are stored in float64.

    copy : bool, default=True
        If False, :meth:`fit` centres a floating-point X of the right dtype in place instead of
        copying it (X is then overwritten).

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
        only.

    x_blocks_ : list of int
        Indices into ``blocks_`` of the X blocks. X features below are these blocks' columns
        concatenated in this order (``n_x_features`` in all).

    classes_ : ndarray of shape (n_classes,)
        Class labels of the one-hot response; only with ``response`` using labels.

    n_samples_seen_ : int
        Number of rows the statistics hold.

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
    raised the card pipeline's mean UAR over the 20 cells from 52.8 to 54.5 with
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
        X : array-like of shape (n_samples, n_features)
            All blocks side by side (the response block included).
        y : array-like of shape (n_samples,), default=None
            Class labels; used only when ``response`` uses labels.

        Returns
        -------
        self : MEATransformer
            The fitted transformer.
        """
        with kept_on_failure(self):
            for name in ("n_samples_seen_", "_statistics", "classes_"):
                self.__dict__.pop(name, None)
            return self._update(X, y, classes=None, first=True, final=True)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, classes=None):
        """Add the rows of X to the statistics and refit; exact for any split into chunks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of rows, with the same columns on every call.
        y : array-like of shape (n_samples,), default=None
            Class labels of the chunk; needed when ``response`` uses labels.
        classes : array-like of shape (n_classes,), default=None
            All class labels; required on the first call when ``response`` uses labels.

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
        dtype = np.dtype(self.dtype)
        layout = find_layout(X) if first and isinstance(self.blocks, str) else None
        engine = _resolve_engine(self.device)
        X = validate_data(
            self, X, reset=first, dtype=dtype, copy=self.copy, ensure_all_finite=False,
            ensure_min_samples=2 if final else 1,
        )
        _check_finite(X, getattr(self, "feature_names_in_", None))
        y = self._check_labels(y, X.shape[0])
        if first:
            # In partial_fit a chunk's labels may miss classes: "auto" needs ``classes`` there.
            self.response_type_ = _resolve_response(
                self.response, y if final else None, classes
            )
            self._set_blocks(layout)
        self._set_n_components(y, classes, check=first)
        self.normalize_ = self._resolve_normalize()
        Z = self._stack_response(X, y, classes, infer_classes=final)
        if not Z.flags.writeable:
            Z = Z.copy()
        chunk = self._chunk_statistics(Z, engine)
        self._statistics = chunk if first else self._statistics.merge(chunk)
        self.n_samples_seen_ = self._statistics.n
        self._solve_if_possible(engine, final)
        return self

    def _check_labels(self, y, n_samples):
        """y as a 1-D array when the response may use it (else as given: it is ignored)."""
        if y is None or self.response == "input" or _is_integer(self.response):
            return y
        return check_row_labels(column_or_1d(y, warn=True), n_samples, "y")

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

    def _set_n_components(self, y, classes, *, check):
        n_x = len(self._x_columns)
        names = self.block_names_
        self.n_components_ = self._resolve_n_components(y, classes, n_x)
        if check and self.n_components_ > n_x:
            raise ValueError(
                f"n_components={self.n_components_} is larger than the number of X features "
                f"({n_x}, in blocks {[names[i] for i in self.x_blocks_]}); "
                f"n_components must be <= min(n_samples - 1, {n_x})."
            )

    def _resolve_n_components(self, y, classes, n_x):
        """``n_components``, or with None: n_classes - 1 for a labels response, else 10.

        Both are capped at the number of X features.
        """
        if self.n_components is not None:
            return int(self.n_components)
        if self._uses_labels():
            labels = getattr(self, "classes_", classes if classes is not None else y)
            n_classes = len(np.unique(np.asarray(labels))) if labels is not None else 2
            return max(1, min(n_classes - 1, n_x))
        return min(DEFAULT_INPUT_COMPONENTS, n_x)

    def _resolve_normalize(self):
        """``normalize``, or with "auto": unit-length rows for a labels response only."""
        if self.normalize == "auto":
            return self._uses_labels() and self.n_components_ >= 2
        return bool(self.normalize)

    def _uses_labels(self):
        return self.response_type_ in ("labels", "input+labels")

    def _stack_response(self, X, y, classes, *, infer_classes):
        response_columns = [] if self.response_ is None else [self.blocks_[self.response_]]
        if not self._uses_labels():
            self._y_columns = response_columns[0]
            return X
        if y is None:
            raise ValueError(f"response={self.response!r} needs y, got y=None.")
        if not hasattr(self, "classes_"):
            if classes is None and not infer_classes:
                raise ValueError(
                    f"partial_fit with response={self.response!r} needs classes= (all class "
                    f"labels) on its first call."
                )
            self.classes_ = np.unique(np.asarray(y) if classes is None else np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"response={self.response!r} needs at least two classes, y has one: "
                    f"{self.classes_.tolist()}."
                )
        labels = _one_hot(y, self.classes_).astype(X.dtype)
        n = X.shape[1]
        self._y_columns = np.concatenate(
            response_columns + [np.arange(n, n + len(self.classes_))]
        )
        return np.hstack([X, labels])

    def _chunk_statistics(self, Z, engine):
        if engine is None:
            return _mbpls.chunk_statistics(Z)
        import torch

        return _mbpls.chunk_statistics(torch.as_tensor(Z, device=engine))

    def _solve_if_possible(self, engine, final):
        n = self._statistics.n
        bound = min(n - 1, len(self._x_columns))
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
        divisors = _mbpls.column_divisors(
            stats, [self.blocks_[i] for i in self.x_blocks_], scale=self.scale,
            block_scaling=self.block_scaling,
        )
        xtx, xty, yty_diag = _mbpls.scaled_cross_products(stats, xc, yc, divisors)
        result = self._kernel_pls(xtx, xty, engine)
        if result.n_extracted < self.n_components_:
            warnings.warn(
                f"Only {result.n_extracted} of n_components={self.n_components_} components "
                f"carry covariance with the response; the remaining ones are zero.",
                UserWarning,
            )
        self.x_mean_, self.x_scale_ = stats.mean[xc], divisors[xc]
        self._set_components(result, np.trace(xtx), yty_diag.sum())

    def _kernel_pls(self, xtx, xty, engine):
        if engine is None:
            dtype = np.dtype(self.dtype)
            # Small matrices: BLAS threads cost more in start-up than they save.
            with threadpool_limits(1, user_api="blas"):
                result = _mbpls.kernel_pls(
                    xtx.astype(dtype), xty.astype(dtype), self.n_components_
                )
        else:
            import torch

            def tensor(a):
                return torch.as_tensor(a, dtype=torch_dtype(self.dtype), device=engine)

            result = _mbpls.kernel_pls(tensor(xtx), tensor(xty), self.n_components_)
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
    def _scaled_x(self, X):
        check_is_fitted(self, "n_samples_seen_")
        if not hasattr(self, "x_rotations_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                f"MEATransformer has seen {self.n_samples_seen_} rows; n_components="
                f"{self.n_components_} needs more than {self.n_components_}. Call partial_fit "
                f"with more rows first."
            )
        dtype = np.dtype(self.dtype)
        X = validate_data(self, X, reset=False, dtype=dtype, ensure_all_finite=False)
        _check_finite(X, getattr(self, "feature_names_in_", None))
        Xx = X[:, self._x_columns]
        Xx -= self.x_mean_.astype(dtype)
        Xx /= self.x_scale_.astype(dtype)
        return Xx

    def transform(self, X):
        """Super scores of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            All blocks side by side, laid out as in :meth:`fit` (the response block's columns
            are present but unused).

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Super scores, scaled to unit length per row when ``normalize_`` (float32 when
            ``dtype="float32"``).
        """
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
        tags.target_tags.required = self.response in ("labels", "input+labels")
        tags.transformer_tags.preserves_dtype = ["float64"] if self.dtype == "float64" else []
        return tags
