"""EDRL: emotion-disentangled representation learning (intra-class and inter-class embeddings)."""

from __future__ import annotations

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_random_state,
    validate_data,
)

from ._layout import BlockLayout, LayoutArray, prefixed_feature_names
from .utils._semi import labelled_mask
from .utils._validation import (
    DefaultsForNewParams,
    check_finite_columns,
    check_row_labels,
    kept_on_failure,
    safe_scale,
)

_MODULE_ATTRS = ("intra_encoder_", "inter_encoder_", "intra_decoder_", "inter_decoder_")


def _seed_from(random_state) -> int:
    """A 63-bit seed from ``random_state`` that leaves numpy's global random state alone.

    ``None`` draws fresh entropy (not the global ``np.random`` stream, which a call to
    ``check_random_state(None)`` would advance); an int or a ``RandomState`` instance is used
    as scikit-learn does.
    """
    if random_state is None:
        return int(np.random.default_rng().integers(2**62))
    rs = check_random_state(random_state)
    return int(rs.randint(2**31 - 1)) * 2**31 + int(rs.randint(2**31 - 1))


def _stratified_validation_split(codes, fraction, rng):
    """Indices ``(train, validation)``: about ``fraction`` of every class held out.

    A class gives at most ``count - 2`` samples to validation, so every class keeps two
    training samples (an intra-class partner exists for each); classes with fewer than three
    samples stay whole in training. When the proportional share rounds to zero overall, one
    sample of the largest eligible class is held out.
    """
    n_classes = int(codes.max()) + 1
    train, val = [], []
    counts = np.bincount(codes, minlength=n_classes)
    n_val = np.minimum(np.floor(fraction * counts + 0.5).astype(int), np.maximum(counts - 2, 0))
    if n_val.sum() == 0 and counts.max() >= 3:
        n_val[int(np.argmax(counts))] = 1
    for k in range(n_classes):
        idx = rng.permutation(np.flatnonzero(codes == k))
        val.append(idx[: n_val[k]])
        train.append(idx[n_val[k]:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def _quantile_bins(y, n_bins):
    """Codes ``0 .. K-1`` of ``y`` in (at most) ``n_bins`` quantile bins, and the edges.

    Bin ``k`` holds ``edges[k-1] < y <= edges[k]`` (the first bin everything up to
    ``edges[0]``), the intervals of ``pandas.qcut``. Tied quantiles (many equal values) merge
    bins and empty bins are dropped, so ``K`` can be smaller than ``n_bins``; the codes stay
    ordinal. ``edges`` has ``K - 1`` entries. An edge at the maximum (ratings piled up at the
    top of the scale) would leave the last bin empty and merge the tie with the values below
    it; it moves down to the largest value below the maximum, so the tie is the last bin.
    """
    edges = np.unique(np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1]))
    top = y.max()
    if edges.size and edges[-1] >= top:
        below = y[y < top]
        edges = edges[edges < top]
        if below.size:
            edges = np.unique(np.append(edges, below.max()))
    codes = np.searchsorted(edges, y, side="left")
    used, codes = np.unique(codes, return_inverse=True)
    return codes.astype(np.int64).ravel(), edges[used[:-1]]


def _is_continuous(y):
    """Whether labelled ``y`` is a continuous target (floats that are not all integers)."""
    return y.dtype.kind == "f" and type_of_target(y) == "continuous"


def _group_validation_split(codes, groups, fraction, rng):
    """Indices ``(train, validation)`` where validation is made of whole groups, or ``None``.

    The groups (speakers or corpora) are visited in a random order; a group joins the
    validation set when every class still keeps at least two training samples without it
    (an intra-class partner exists for each), until the validation set holds at least
    ``fraction`` of the samples. With groups as large as corpora this is one group or more,
    whatever ``fraction``. Returns ``None`` when fewer than two groups exist or no group can
    be held out (the caller then falls back to the stratified split).
    """
    n_classes = int(codes.max()) + 1
    names = np.unique(groups)
    if len(names) < 2:
        return None
    left = np.bincount(codes, minlength=n_classes)
    target = fraction * len(codes)
    held = np.zeros(len(codes), dtype=bool)
    for g in rng.permutation(names):
        if held.sum() >= target:
            break
        rows = groups == g
        taken = np.bincount(codes[rows], minlength=n_classes)
        if np.all((taken == 0) | (left - taken >= 2)):
            held |= rows
            left -= taken
    if not held.any():
        return None
    return np.flatnonzero(~held), np.flatnonzero(held)


class EDRLTransformer(DefaultsForNewParams, TransformerMixin, BaseEstimator):
    """Emotion-disentangled representation learning (EDRL) of speech features.

    Learns two embeddings of utterance-level speech features in parallel: an *intra-class*
    embedding (what samples of the same emotion share: emotion-specific) and an *inter-class*
    embedding (what is shared across emotions), by class-conditioned cross-reconstruction. The
    output, ``[intra | inter | input]``, carries its block layout so that
    :class:`MEATransformer` with ``blocks="auto"`` finds the blocks on its own.

    Parameters
    ----------
    n_components : int, default=32
        Width of each embedding (intra and inter).
    hidden_layer_sizes : tuple of int, default=(128,)
        Hidden layer widths of each encoder; each decoder mirrors them. ``()`` gives linear
        encoders and decoders.
    passthrough : bool, default=True
        Append the input features (unchanged) as the ``input`` block, which
        :class:`MEATransformer` uses as its response.
    max_epochs : int, default=200
        Maximum number of passes over the training set.
    batch_size : int, default=256
        Minibatch size (capped at the number of training samples).
    learning_rate : float, default=1e-3
        AdamW learning rate.
    weight_decay : float, default=1e-4
        AdamW (decoupled) weight decay.
    input_noise : float in [0, 1], default=0.5
        Largest share of each standardised training row's variance that is replaced by
        Gaussian noise during training (denoising): every epoch, each row draws a share ``s``
        uniformly in ``[0, input_noise]`` and is encoded as ``sqrt(1 - s) x + sqrt(s) e``,
        ``e ~ N(0, I)``. The default spans clean rows down to rows that are half noise.
        ``0`` trains on the clean rows.
    partner_mixing : float in [0, 1], default=0.0
        Largest share by which each training row is moved towards another utterance of its
        own class before the corruption (drawn like the intra partner: from another group
        when ``groups`` are given and the class occurs in more than one group): every epoch
        each row draws ``m`` uniformly in ``[0, partner_mixing]`` and is encoded as
        ``(1 - m) x + m x'``. ``0`` (the default) does not mix. Any positive value draws
        extra random numbers, so even a tiny share gives a different fit for the same
        ``random_state``: compare settings over several seeds. See Notes, *Partner mixing*.
    early_stopping : bool, default=True
        Hold out part of the training set (see ``validation``), stop when its loss has not
        improved for ``n_iter_no_change`` epochs and restore the best weights. By default the
        held-out rows come from the training corpus; when the model will meet other corpora,
        a fixed short training (``False`` with ``max_epochs=30``) transferred better on the
        single-source robustness benchmark, and no differently (within the seed spread) when
        trained on three corpora and tested on a fourth (``docs/robustness.rst``), where
        holding out whole corpora or speakers (``validation="groups"``) did not help either.
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping: of each class with
        ``validation="stratified"``; at least this share, in whole groups, with
        ``validation="groups"``.
    validation : {"stratified", "groups"}, default="stratified"
        How early stopping picks its held-out rows. ``"stratified"``: a random
        ``validation_fraction`` of every class. ``"groups"``: whole groups of the ``groups``
        passed to ``fit`` (speakers or corpora), so that the kept epoch is the one that
        reconstructs best for a speaker or corpus never trained on; every class keeps at least
        two training rows. Without ``groups``, with a single group, or when no group can be
        held out without taking a class's last training rows, a ``UserWarning`` says so and
        the stratified split is used. See Notes, *Early stopping*.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    device : {"cpu", "cuda", "auto"} or str, default="cpu"
        torch device to train on (``"cuda:1"`` etc. work too). ``"auto"`` picks CUDA when
        available. Asking for CUDA where there is none raises a ``RuntimeError``.
    n_threads : int or None, default=1
        torch CPU threads used by ``fit`` and ``transform``; the caller's setting
        (``torch.get_num_threads()``) is restored afterwards. ``None`` uses the caller's
        setting. The default of one thread is the fastest for EDRL's small networks (see
        Notes, *Speed*); it also keeps parallel fits (``GridSearchCV(n_jobs=...)``, a cluster)
        from competing for cores. Raise it only for wide networks on an otherwise idle
        machine.
    unlabelled_weight : float >= 0, default=0.0
        Weight of a denoising reconstruction of the unlabelled rows (label ``-1`` or NaN)
        by both branches, added to the loss; ``0`` trains on the labelled rows only. See
        Notes, *Unlabelled rows*.
    target_bins : int >= 2, default=5
        For a continuous ``y`` (e.g. arousal or valence ratings): number of quantile bins
        that stand in for classes in the partner draw (see Notes, *Continuous targets*).
        Unused for class labels.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split, the shuffling, the noise and the
        partner draws (all through local generators; the global numpy and torch random states
        are never used or changed). The same int gives bit-identical output on the same
        machine and torch build.
    verbose : int, default=0
        ``1`` prints losses and time per epoch; ``0`` prints nothing.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (only when ``y`` holds class labels).
    bin_edges_ : ndarray of shape (n_bins - 1,)
        Inner edges of the quantile bins of a continuous ``y`` (only then): bin ``k`` holds
        ``bin_edges_[k-1] < y <= bin_edges_[k]``.
    block_sizes_ : dict
        ``{"intra": n_components, "inter": n_components, "input": n_features_in_}`` (no
        ``"input"`` when ``passthrough=False``): the layout of the output columns.
    intra_encoder_, inter_encoder_ : torch.nn.Sequential
        The trained encoders (on the CPU after unpickling; see Notes).
    intra_decoder_, inter_decoder_ : torch.nn.Sequential
        The trained decoders.
    mean_, scale_ : ndarray of shape (``n_features_in_``,)
        Standardisation statistics of all training rows, unlabelled ones included
        (``scale_`` is 1 for constant features).
    n_unlabelled_ : int
        Number of unlabelled rows (``-1`` or NaN labels) seen in ``fit``.
    history_ : list of dict
        One dict per epoch with keys ``epoch``, ``train_intra``, ``train_inter``,
        ``train_loss``, ``val_intra``, ``val_inter``, ``val_loss`` (``None`` without a
        validation split) and ``time`` (seconds). Losses are mean squared errors in
        standardised units; ``*_loss`` is the sum of both branches.
    n_iter_ : int
        Number of epochs run.
    best_epoch_ : int
        Epoch whose weights were kept (the last one without early stopping).
    device_ : str
        Device the fitted modules live on; ``transform`` runs there.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    MEATransformer : Multiblock PLS alignment of the EDRL blocks with the input.

    Notes
    -----
    The paper (Tiwari, Chakraborty & Kopparapu, arXiv 2510.09072, 2025) does not publish
    layers or losses. This implementation makes the following choices.

    *Objective.* The features are standardised with the training mean and standard
    deviation. Each training sample ``x`` of class ``c`` is corrupted (below) and encoded by
    both encoders. The intra decoder reconstructs a partner drawn uniformly among the
    *other* training samples of class ``c``; the inter decoder reconstructs a partner drawn
    uniformly among the training samples of *other* classes. Loss: mean squared error of
    each branch (standardised units), summed with equal weights, so one AdamW step trains
    both branches. Fresh partners and fresh noise are drawn every epoch.

    *Corruption.* Each row becomes ``sqrt(1 - s) x + sqrt(s) e`` with ``e ~ N(0, I)`` and a
    share ``s`` drawn per row, uniformly in ``[0, input_noise]``. This mimics what the
    encoders meet at test time: speech in noise, standardised per corpus and condition as
    usual, again has unit variance per feature, of which only a part, shrinking with the SNR
    and varying between utterances, still comes from the speech. The variance is kept (so
    the input scale never differs between training and test) and the share varies (so no
    single SNR is favoured); the default 0.5 ranges from clean rows to rows that are half
    noise. The noise goes into the input rather than the code so that its scale does not
    depend on the learnt code's scale. On real speech (``benchmarks/robust_ser.py``: EmoDB
    and URDU, cross-corpus and unseen speakers, clean and in noise at 20 to 0 dB, EDRL
    followed by :class:`MEATransformer` and an SVC) this replaced additive Gaussian noise of
    standard deviation 0.1 and raised the default EDRL-MEA pipeline's mean UAR over ten
    seeds by 0.6 points with both feature sets tested, with a smaller seed-to-seed spread; the other
    defaults (``n_components`` 8 or 64 against 32, linear networks, group-aware partners,
    training without early stopping) gave no change consistent across the two feature sets,
    so they were kept (see ``docs/robustness.rst``).

    *Groups.* With ``groups`` (speaker or corpus), intra partners come from another group of
    the same class whenever the class occurs in more than one group; otherwise from the same
    group (never the sample itself). Inter partners ignore groups. Trained on three corpora
    and tested on a fourth (``benchmarks/robust_ser.py``, four corpora in four languages),
    the corpora as groups, the speakers as groups and no groups gave the same mean UAR
    within the seed-to-seed spread.

    *Partner mixing* (``partner_mixing > 0``) is mixup (Zhang et al., "mixup: Beyond
    empirical risk minimization", ICLR 2018) restricted to one class: before the corruption,
    each training row is moved towards a second, independently drawn intra-class partner
    (from another group when the class occurs in several), by a share drawn per row and
    epoch. With corpora as groups the encoders then also see points between two corpora's
    renditions of one emotion, as in mixup across training domains for domain generalisation
    (Wang, Li and Kot, "Heterogeneous domain generalization via domain mixup", ICASSP 2020)
    and, with unlabelled target data, for domain adaptation (Xu et al., "Adversarial domain
    adaptation with domain mixup", AAAI 2020). Trained on three corpora and tested on a
    fourth (``benchmarks/robust_ser_ablations.py``, ten seeds), ``partner_mixing=1.0``
    raised the default pipeline's mean UAR by 0.8 points with skser's ``egemaps_like``
    features and left it unchanged (-0.0) with openSMILE's eGeMAPSv02, where it gained on
    URDU and lost on EmoDB and ASED; it is therefore off by default
    (``docs/robustness.rst``). Unlabelled rows are never mixed.

    *Partner sampling* is vectorised: the training samples are sorted once by (class,
    group), so the candidates of every sample are one contiguous run of that order with at
    most one run cut out; a whole epoch's partners are drawn with one uniform draw per
    sample, on the training device.

    *Continuous targets.* A float ``y`` whose values are not all integers (scikit-learn's
    ``type_of_target`` says ``"continuous"``), such as IEMOCAP's mean arousal ratings, has
    no classes to pair samples by. It is cut into ``target_bins`` quantile bins (equal
    counts, so every bin has partners; ties merge bins, and a tie at the maximum, such as
    ratings piled up at the top of the scale, is a bin of its own), which play the classes'
    part: the
    intra partner comes from the query's own bin (a sample of nearly the same arousal) and
    the inter partner from a *distant* bin, at least two bins away (with four or more
    bins), never from the two neighbouring bins, whose boundary values can be as close to
    the query's as its own bin's. With the default five bins a same-bin partner lies within
    a fifth of the rank range, an inter partner at least a fifth of the ranks away, and even
    the middle bin keeps two fifths of the samples as inter candidates (bins 1 and 5); three
    bins would leave the middle bin no distant partner, and many narrow bins give intra
    partners from fewer samples per bin with little change in their target. Groups,
    corruption, early stopping (stratified by bin) and unlabelled rows (NaN) work as for
    classes. Integer-valued floats (``1.0, 2.0, ...``) are classes, as in scikit-learn. On
    synthetic data (``benchmarks/edrl_regression.py``, five seeds) EDRL ->
    :class:`MEATransformer` -> SVR reached a CCC of 0.639 ± 0.041, against 0.617 for
    MEA -> SVR, 0.563 for SVR alone and -0.03 when fitted on shuffled targets; 3 or 10
    bins (0.630, 0.626) and inter partners from any other bin (0.640) were the same within
    the seed spread, so the distant-bin rule rests on the argument above, not on a measured
    gain (``docs/dimensional.rst``).

    *Networks.* Encoders ``n_features -> hidden_layer_sizes -> n_components`` with ReLU
    between layers and a linear code; decoders mirror them with a linear output. ReLU was
    chosen for speed: one forward and backward pass of both branches with the defaults
    (batch 256, 88 features) took 1.6 ms with ReLU, 1.7 ms with SiLU, 1.8 ms with tanh and
    2.0 ms with GELU on one CPU thread. The codes are linear so that MEA, which standardises
    its blocks, sees them unclipped. Weights are initialised as torch's
    ``nn.Linear`` does, from a local generator. Training runs in float32; ``transform`` runs
    the encoders in float64, so that a row's embedding agrees to float64 rounding (about
    1e-15; float32 would differ in the 7th digit) whatever other rows are transformed with it,
    and returns float64.

    *Single-sample classes.* A class with one training sample has no other same-class
    sample: a ``UserWarning`` names the class and the sample is its own intra target (a plain
    denoising autoencoder for it). Fewer than two classes is an error: inter-class partners
    would not exist.

    *Early stopping.* ``validation_fraction`` of every class with at least three samples is
    held out (each class keeps two training samples). The validation loss uses no noise and
    one fixed set of partners, drawn from the training samples once, so successive epochs
    are compared on the same pairs. With no sample to hold out (tiny data) training runs
    ``max_epochs`` epochs and ``val_*`` entries are ``None``.
    With ``validation="groups"`` the held-out rows are whole groups instead, drawn in a random
    order until they reach ``validation_fraction`` of the rows, skipping a group whose removal
    would leave a class with fewer than two training rows; their partners come from the
    training groups, so the validation loss measures reconstruction for an unseen speaker or
    corpus. With corpora as groups this holds out at least one corpus (a third of the rows
    when three corpora are pooled).

    *Output.* ``[intra | inter | input]`` in float64; the ``input`` block is ``X`` as given
    (not standardised). For numpy output the array is a
    :class:`~skser._layout.LayoutArray` carrying the layout; feature names are
    ``intra__<i>``, ``inter__<i>`` and ``input__<name>``.

    *Speed.* The training set lives on the device as one float32 tensor; each epoch draws
    one permutation, the partners and the noise for all rows at once, and minibatches are
    slices, so the per-batch Python work is the forward pass, the backward pass and one fused
    AdamW step. The work is dominated by small matrix products, which gain little from many
    threads and lose much when the cores are busy: on a 2-core machine whose cores were also
    running other work, fitting 739 x 88 features for 60 epochs took 8.1 s with one torch
    thread and 68 s with two; 20,000 x 88 for 10 epochs 9.0 s and 165 s; even a wide network
    (1024 features, two hidden layers of 1024, batch 1024) took 57 s and 113 s. Hence
    ``n_threads=1`` by default. The thread count is set for the duration of ``fit`` and
    ``transform`` only (torch's setting is process-wide; the caller's value is restored).

    *Devices and pickling.* ``transform`` runs on the device the fitted modules live on.
    Pickling stores CPU copies of the modules (the fitted estimator itself is unchanged), so a
    model fitted on a GPU unpickles and transforms on a CPU-only machine; an unpickled model
    transforms on the CPU.

    *Unlabelled rows.* Rows labelled ``-1`` (NaN for float labels; scikit-learn's
    semi-supervised convention), such as the target corpus's speech in a transductive
    evaluation, have no class, so they can be neither a query nor a partner of the
    class-conditioned cross-reconstruction: the networks train on the labelled rows only
    (early stopping holds out labelled rows only). The unlabelled rows enter the
    standardisation (``mean_`` and ``scale_`` over all rows), the one statistic that needs no
    label. With ``unlabelled_weight > 0`` every minibatch also draws as many unlabelled rows,
    corrupts them like the labelled ones, and adds ``unlabelled_weight`` times the error of
    both branches reconstructing each such row itself (a denoising autoencoder term). On the
    transductive benchmark (``benchmarks/transductive.py``: four corpora, leave one corpus
    out, clean and in noise; ``docs/adaptation.rst``) the all-row standardisation changed no
    prediction (the features were standardised per corpus already) and
    ``unlabelled_weight=1.0`` lowered the default pipeline's mean UAR by 1.2 points, hence the
    default 0.

    *Metadata routing.* ``fit`` accepts ``groups``; in a :class:`~sklearn.pipeline.Pipeline`
    pass it as ``edrl__groups=...``. With ``sklearn.set_config(enable_metadata_routing=True)``
    request it with ``EDRLTransformer().set_fit_request(groups=True)`` so that, e.g.,
    :class:`~sklearn.model_selection.GridSearchCV` passes its ``groups`` to both the splitter
    and EDRL.

    Examples
    --------
    >>> import numpy as np
    >>> from skser import EDRLTransformer
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1, 2], 20)
    >>> X = rng.normal(size=(60, 6)) + y[:, None]
    >>> edrl = EDRLTransformer(n_components=4, max_epochs=3, random_state=0)
    >>> Z = edrl.fit_transform(X, y)
    >>> Z.shape
    (60, 14)
    >>> edrl.block_sizes_
    {'intra': 4, 'inter': 4, 'input': 6}
    >>> edrl.get_feature_names_out()[[0, 4, 8]]
    array(['intra__0', 'inter__0', 'input__x0'], dtype=object)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like"],
        "passthrough": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "input_noise": [Interval(Real, 0, 1, closed="both")],
        "partner_mixing": [Interval(Real, 0, 1, closed="both")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation": [StrOptions({"stratified", "groups"})],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "unlabelled_weight": [Interval(Real, 0, None, closed="left")],
        "target_bins": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes=(128,),
        passthrough=True,
        max_epochs=200,
        batch_size=256,
        learning_rate=1e-3,
        weight_decay=1e-4,
        input_noise=0.5,
        partner_mixing=0.0,
        early_stopping=True,
        validation_fraction=0.1,
        validation="stratified",
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        unlabelled_weight=0.0,
        target_bins=5,
        random_state=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.passthrough = passthrough
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.input_noise = input_noise
        self.partner_mixing = partner_mixing
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation = validation
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.unlabelled_weight = unlabelled_weight
        self.target_bins = target_bins
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # ----------------------------------------------------------------------------------------

    def _hidden_sizes(self):
        sizes = np.asarray(self.hidden_layer_sizes).ravel()
        if sizes.size and (
            not np.issubdtype(sizes.dtype, np.integer) or np.any(sizes < 1)
        ):
            raise ValueError(
                "hidden_layer_sizes must be positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return tuple(int(s) for s in sizes)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Train the intra-class and inter-class encoders.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Utterance-level speech features.
        y : array-like of shape (n_samples,)
            Emotion labels (at least two classes), or a continuous target such as arousal
            ratings (at least two distinct values; see Notes, *Continuous targets*). Rows
            labelled ``-1`` (integer or object labels) or NaN (float labels and targets) are
            unlabelled: they enter the standardisation statistics only (see Notes,
            *Unlabelled rows*).
        groups : array-like of shape (n_samples,), default=None
            Speaker or corpus of each sample; intra-class partners then come from another
            group where the class has one.

        Raises
        ------
        ValueError
            If every row is unlabelled, the labelled rows hold fewer than two classes (or
            distinct target values), or a continuous target is infinite.

        Returns
        -------
        self : EDRLTransformer
            The fitted transformer.
        """
        from ._device import torch_threads

        with kept_on_failure(self), torch_threads(self.n_threads):
            return self._fit(X, y, groups)

    def _fit(self, X, y, groups):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
        check_finite_columns(X, getattr(self, "feature_names_in_", None))
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must hold one label per row of X ({X.shape[0]} rows), got shape {y.shape}."
            )
        labelled = labelled_mask(y)
        n_unlabelled = int((~labelled).sum())
        if not labelled.any():
            raise ValueError(
                f"All {len(y)} rows of y are unlabelled (-1 or NaN); EDRLTransformer's "
                "cross-reconstruction needs labelled rows of at least two classes."
            )
        y_lab = y[labelled]
        check_row_labels(y_lab, len(y_lab), "y")
        hidden = self._hidden_sizes()
        if y_lab.dtype.kind == "f" and not np.isfinite(y_lab).all():
            raise ValueError(f"y holds {y_lab[~np.isfinite(y_lab)][0]}; labels and continuous "
                             "targets must be finite (NaN marks an unlabelled row).")
        if _is_continuous(y_lab):
            return self._fit_codes(X, *self._bin_target(y_lab), labelled, groups, hidden)
        if type_of_target(y_lab) == "unknown":
            raise ValueError(
                f"Unknown label type: y is neither class labels nor numbers that scikit-learn "
                f"recognises (dtype {y_lab.dtype}, e.g. {y_lab[:3].tolist()}); convert it: "
                "np.asarray(y, dtype=float) for ratings, or strings or integers for classes."
            )
        check_classification_targets(y_lab)
        self.__dict__.pop("bin_edges_", None)
        self.classes_, codes = np.unique(y_lab, return_inverse=True)
        codes = codes.astype(np.int64)
        if len(self.classes_) < 2:
            hint = (
                f" The other {n_unlabelled} rows are unlabelled (-1 or NaN); if -1 is one of "
                "your classes, recode the labels (e.g. {-1, 1} to {0, 1})."
                if n_unlabelled else ""
            )
            raise ValueError(
                f"EDRLTransformer needs at least two classes, got 1 class "
                f"({self.classes_.tolist()[0]!r}): inter-class partners would not exist.{hint}"
            )
        return self._fit_codes(X, codes, 0, labelled, groups, hidden)

    def _bin_target(self, y_lab):
        """Bin codes of a continuous target and the inter-partner gap (see Notes)."""
        codes, self.bin_edges_ = _quantile_bins(y_lab, self.target_bins)
        self.__dict__.pop("classes_", None)
        n_bins = int(codes.max()) + 1
        if n_bins < 2:
            raise ValueError(
                f"y is a continuous target with a single value ({float(y_lab[0])!r}) over its "
                f"{len(y_lab)} labelled rows: inter partners (another bin) would not exist.")
        return codes, 1 if n_bins >= 4 else 0

    def _fit_codes(self, X, codes, inter_gap, labelled, groups, hidden):
        """Standardise and train on class (or bin) ``codes`` of the labelled rows."""
        from ._device import resolve_device

        n_unlabelled = int((~labelled).sum())
        group_codes = None
        if groups is not None:
            groups = check_row_labels(groups, X.shape[0], "groups")
            group_codes = (
                np.unique(groups[labelled], return_inverse=True)[1].astype(np.int64).ravel()
            )
        device = resolve_device(self.device)

        # Standardisation from every row, the unlabelled ones included (see Notes).
        with np.errstate(over="ignore", invalid="ignore"):
            self.mean_ = X.mean(axis=0)
        # 1 for constant columns (to rounding); columns that overflow float64 are an error.
        self.scale_ = safe_scale(X, self.mean_, names=getattr(self, "feature_names_in_", None),
                                 estimator="EDRLTransformer")
        self.n_unlabelled_ = n_unlabelled
        Xs = np.ascontiguousarray((X[labelled] - self.mean_) / self.scale_, dtype=np.float32)
        X_unlabelled = np.ascontiguousarray(
            (X[~labelled] - self.mean_) / self.scale_, dtype=np.float32
        )

        seed = _seed_from(self.random_state)
        rng = np.random.default_rng(seed)
        if self.early_stopping:
            split = None
            if self.validation == "groups":
                split = self._group_split(codes, group_codes, rng)
            if split is None:
                split = _stratified_validation_split(codes, self.validation_fraction, rng)
            train_idx, val_idx = split
        else:
            train_idx, val_idx = np.arange(len(codes)), np.empty(0, dtype=np.int64)

        from ._edrl_training import train_edrl

        net, history, n_iter, best_epoch, alone = train_edrl(
            Xs, codes, group_codes,
            train_idx=train_idx, val_idx=val_idx, n_components=self.n_components,
            hidden_layer_sizes=hidden, max_epochs=self.max_epochs, batch_size=self.batch_size,
            learning_rate=float(self.learning_rate), weight_decay=float(self.weight_decay),
            input_noise=float(self.input_noise), n_iter_no_change=self.n_iter_no_change,
            device=device, seed=int(rng.integers(2**62)), verbose=self.verbose,
            X_unlabelled=X_unlabelled, unlabelled_weight=float(self.unlabelled_weight),
            inter_gap=inter_gap, partner_mixing=float(self.partner_mixing),
        )
        if len(alone):
            named = hasattr(self, "classes_")
            names = (self.classes_[alone] if named else np.asarray(alone)).tolist()
            shown = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
            which = (f"Class(es) [{shown}]" if named else
                     f"Target bin(s) [{shown}] ({len(names)} of the {int(codes.max()) + 1} "
                     "quantile bins)")
            warnings.warn(
                f"{which} have a single training sample, so no other sample of the same "
                "class exists: each such sample is its own intra-class reconstruction target.",
                UserWarning,
            )
        self.intra_encoder_ = net.intra_encoder
        self.intra_decoder_ = net.intra_decoder
        self.inter_encoder_ = net.inter_encoder
        self.inter_decoder_ = net.inter_decoder
        self.history_ = history
        self.n_iter_ = n_iter
        self.best_epoch_ = best_epoch
        self.device_ = str(device)
        sizes = {"intra": self.n_components, "inter": self.n_components}
        if self.passthrough:
            sizes["input"] = X.shape[1]
        self.block_sizes_ = sizes
        return self

    def _group_split(self, codes, group_codes, rng):
        """The ``validation="groups"`` split, or ``None`` (with a warning) to fall back."""
        if group_codes is None:
            reason = "fit got no groups"
        else:
            # A copy of the generator: a fallback is then exactly the stratified split.
            split = _group_validation_split(
                codes, group_codes, self.validation_fraction, copy.deepcopy(rng)
            )
            if split is not None:
                if self.verbose:
                    n_held = len(np.unique(group_codes[split[1]]))
                    print(f"[EDRL] validation: {n_held} of {len(np.unique(group_codes))} "
                          f"groups held out ({len(split[1])} of {len(codes)} rows)", flush=True)
                return split
            n_groups = len(np.unique(group_codes))
            reason = (
                "the labelled rows hold a single group" if n_groups < 2 else
                f"none of the {n_groups} groups can be held out without leaving a class "
                "with fewer than two training rows"
            )
        warnings.warn(
            f"validation='groups' holds out whole groups for early stopping, but {reason}; "
            "the stratified split (validation_fraction of every class) is used instead. "
            "Pass the speaker or corpus of each row as groups (edrl__groups=... in a "
            "Pipeline), or set validation='stratified'.",
            UserWarning,
        )
        return None

    def transform(self, X):
        """Embed ``X``: ``[intra | inter | input]`` (``[intra | inter]`` without passthrough).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features with the columns seen in ``fit``.

        Returns
        -------
        Z : LayoutArray of shape (n_samples, 2 * n_components [+ n_features])
            float64 embedding; a numpy array carrying its block layout.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False, ensure_all_finite=False)
        check_finite_columns(X, getattr(self, "feature_names_in_", None))
        from ._device import torch_threads
        from ._edrl_training import encode

        Xs = (X - self.mean_) / self.scale_
        with torch_threads(self.n_threads):
            parts = [encode(self.intra_encoder_, Xs, self.device_),
                     encode(self.inter_encoder_, Xs, self.device_)]
        if self.passthrough:
            parts.append(X)
        return LayoutArray(np.hstack(parts).astype(np.float64, copy=False), self._layout())

    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``intra__<i>``, ``inter__<i>``, ``input__<name>``.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names; default ``feature_names_in_`` or ``x0 ... x(n-1)``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        return prefixed_feature_names(self._layout(), {"input": list(input_features)})

    def _layout(self):
        """The block layout of the output, from ``block_sizes_``."""
        return BlockLayout(tuple(self.block_sizes_), tuple(self.block_sizes_.values()))

    # ----------------------------------------------------------------------------------------
    # Pickling: store CPU copies of the torch modules.

    def __getstate__(self):
        state = super().__getstate__()
        if any(name in state for name in _MODULE_ATTRS):
            from ._edrl_training import module_to_cpu

            state = dict(state)
            for name in _MODULE_ATTRS:
                if name in state:
                    state[name] = module_to_cpu(state[name])
            if "device_" in state:
                state["device_"] = "cpu"
        return state
