"""Closed-form multiblock PLS: streaming sufficient statistics and the kernel PLS solver.

Everything here is a pure function of arrays. The two array libraries in use (numpy on the
CPU, torch on the GPU) share one implementation: the few operations whose spelling differs
(allocating, the top eigenpairs, ``outer``) go through tiny helpers that dispatch on the array
type, so the algebra is the same on both, and signs are fixed by one rule.

The statistics are those of two column sets: the data columns ``A`` (every block of X) on
every row, and the target columns ``B`` (one-hot labels or regression targets) on the
labelled rows only. They are row counts, column means and centred cross-products, always
accumulated in float64. Statistics of two row sets merge exactly with the pairwise update of
Chan, Golub & LeVeque (1979), so a model fitted chunk by chunk equals one fitted on all
rows. Within one array the raw cross-product is formed in place (float64 arrays BLAS can
read) or in converted row blocks, and centred afterwards, with the columns the subtraction
would round badly recomputed from centred values; memory stays ``O(block x p + p^2)``.
While a model has seen fewer rows than data columns it keeps the rows themselves instead of
the ``p x p`` cross-product (the "wide" form) and the solver works with the ``n x n``
kernel. Standardisation and block scaling act on the statistics only, and
the solver (Dayal & MacGregor 1997, improved kernel PLS) needs nothing else than ``XᵀX``
(or the scaled rows) and ``XᵀY``.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ._device import native_threads

BLOCK_SCALINGS = ("sqrt", "frobenius", "none")

# Row blocks for the statistics (see ``block_rows``). At least this many rows, so that the
# rank-k update runs at BLAS speed (measured: 64-row blocks cost 1.2 to 1.6 times the
# floor, 256 rows and more 0.8 to 1.2 times).
MIN_BLOCK_ROWS = 64
# Rank-k updates smaller than this (rows x p^2 multiply-adds) run on one BLAS thread:
# starting threads costs more than they save.
SMALL_UPDATE_FLOPS = 5e7
# Symmetric matrices up to this size are decomposed fully by numpy (measured at 4 to 10
# columns: 16 us against 50 us for scipy's subset call, whose set-up dominates).
SMALL_EIGH = 16
# Columns whose mean exceeds this many standard deviations would lose more than about
# eps * (1 + 10)² ~ 3e-14 of their scale when the centred cross-product is formed from the
# raw one; :func:`data_moments` recomputes them from centred values (standardised features
# never need it; raw pitch or energy functionals sometimes do).
CANCELLATION_RATIO = 10.0


# --------------------------------------------------------------------------- array helpers
def _is_numpy(a) -> bool:
    return isinstance(a, np.ndarray)


def _zeros(like, shape):
    return np.zeros(shape, dtype=like.dtype) if _is_numpy(like) else like.new_zeros(shape)


def _top_eigenpairs(a, k, *, overwrite=False):
    """The ``k`` largest eigenvalues of the symmetric ``a`` (descending) and eigenvectors.

    numpy asks LAPACK for those pairs only (2 to 3.5 times faster than the full
    decomposition at a few hundred to a few thousand columns) except on matrices of at most
    ``SMALL_EIGH`` columns, where the full decomposition costs a third of scipy's call;
    torch has no such option and decomposes fully, once.
    """
    if _is_numpy(a):
        import scipy.linalg

        n = a.shape[0]
        if n <= SMALL_EIGH:
            vals, vecs = np.linalg.eigh(a)
            return vals[::-1][:k].copy(), vecs[:, ::-1][:, :k].copy()
        vals, vecs = scipy.linalg.eigh(a, subset_by_index=[n - k, n - 1], overwrite_a=overwrite)
        return vals[::-1].copy(), vecs[:, ::-1].copy()
    import torch

    vals, vecs = torch.linalg.eigh(a)
    return torch.flip(vals[-k:], (0,)), torch.flip(vecs[:, -k:], (1,))


def _subtract_outer(S, alpha, a, b):
    """``S -= alpha * outer(a, b)`` in place (BLAS ``ger`` on a Fortran-ordered numpy
    ``S``; ``addr_`` in torch), without a temporary of the size of ``S``."""
    if not _is_numpy(S):
        return S.addr_(a, b, alpha=-alpha)
    if not S.flags.f_contiguous:
        S -= alpha * np.outer(a, b)
        return S
    from scipy.linalg import blas

    ger = blas.get_blas_funcs("ger", (S,))
    return ger(-alpha, a, b, a=S, overwrite_a=1)


def _eps(a) -> float:
    if _is_numpy(a):
        return float(np.finfo(a.dtype).eps)
    import torch

    return float(torch.finfo(a.dtype).eps)


def _as_float64(a) -> np.ndarray:
    if not _is_numpy(a):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


@lru_cache(maxsize=1)
def cache_bytes() -> int:
    """Size of the CPU's largest cache (Linux sysfs; 32 MiB where it cannot be read)."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(path) as file:
                text = file.read().strip().upper()
        except OSError:
            continue
        unit = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * unit)
    return max(sizes) if sizes else 32 * 2**20


def block_rows(n_rows, n_columns, itemsize=8) -> int:
    """Rows per block when summing statistics.

    The float64 buffer of one block fills half of the CPU's largest cache (the block is
    read twice, to centre it and in the rank-k update, and the other half holds the part
    of the cross-product being updated), its buffer stays within 5% of the data
    (``n_rows x n_columns x itemsize`` bytes; half of the 10% allowance, the other half is
    left to the solve's vectors and the model), and it has at least ``MIN_BLOCK_ROWS`` rows.
    """
    by_cache = cache_bytes() // 2 // (8 * max(n_columns, 1))
    by_memory = n_rows * itemsize // 160
    return int(max(MIN_BLOCK_ROWS, min(by_cache, by_memory)))


def blas_threads(rows, n_columns) -> int | None:
    """BLAS threads for a rank-k update of ``rows`` rows: 1 when it is small, else None
    (the caller's setting) unless the machine is busy: then the cores left idle (at least 1),
    never more than the caller's own BLAS limit (a joblib worker's, ``threadpool_limits``).

    Measured on a 2-core machine shared with other jobs (load average 10 to 16): two
    threads made the statistics 2 to 16 times slower than one at 100 to 1,000 columns.
    """
    if rows * n_columns**2 < SMALL_UPDATE_FLOPS:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
        # This process is one of the running tasks the load average counts: only the rest
        # is other work (on an idle 2-core machine the fit alone reads as a load of ~1).
        others = max(0.0, os.getloadavg()[0] - 1.0)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return None
    idle = cores - others
    if idle >= cores - 0.5:
        return None
    return max(1, min(int(idle), _caller_blas_threads()))


def _caller_blas_threads() -> int:
    """The smallest thread count of the loaded BLAS libraries now (about 12 us)."""
    from ._device import _threadpool_controller

    libs = _threadpool_controller().select(user_api="blas").lib_controllers
    return min((lib.num_threads for lib in libs), default=os.cpu_count() or 1)


# ------------------------------------------------------------------ sufficient statistics
@dataclass
class Moments:
    """Row count, column means and centred cross-products of two column sets on one row set.

    ``m2 = Σ (a - mean_a)(b - mean_b)ᵀ`` over the rows; with ``a`` and ``b`` the same
    columns it is the scatter matrix. numpy float64.
    """

    n: int
    mean_a: np.ndarray
    mean_b: np.ndarray
    m2: np.ndarray

    @classmethod
    def empty(cls, pa, pb):
        return cls(0, np.zeros(pa), np.zeros(pb), np.zeros((pa, pb)))

    def merge(self, other: Moments) -> Moments:
        """Moments of the union of both row sets (Chan, Golub & LeVeque's pairwise update).

        >>> rng = np.random.default_rng(0)
        >>> Z = rng.normal(size=(10, 3))
        >>> a, b = data_moments(Z[:4]), data_moments(Z[4:])
        >>> bool(np.allclose(a.merge(b).m2, data_moments(Z).m2))
        True
        """
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        # Overflowed (infinite) statistics stay non-finite; the caller names their columns.
        with np.errstate(over="ignore", invalid="ignore"):
            da, db = other.mean_a - self.mean_a, other.mean_b - self.mean_b
            m2 = self.m2 + other.m2 + np.outer(da, db) * (self.n * other.n / n)
        return Moments(n, self.mean_a + da * (other.n / n), self.mean_b + db * (other.n / n),
                       m2)


def data_moments(A, *, engine=None) -> Moments:
    """Moments of the rows of ``A`` (any floating dtype; never modified), in float64.

    One pass forms the raw cross-product ``AᵀA`` by a symmetric rank-k update and the column
    sums; the centred cross-product is then ``AᵀA - n mean meanᵀ``. A float64 array that
    is C- or Fortran-contiguous is read in place, in one product (no copy, the floor's own
    cost without its centred copy); any other array is converted in row blocks
    (:func:`block_rows`). The subtraction loses about ``eps (1 + |mean| / std)²`` of a
    column's scale, so the columns whose mean exceeds ``CANCELLATION_RATIO`` standard
    deviations (constant columns among them) are recomputed in a second pass from their
    centred values. Extra memory: the ``p x p`` result, plus one block when ``A`` is
    converted. ``engine``: a ``torch.device`` other than the CPU to compute on (the rows
    travel block by block).
    """
    n, p = A.shape
    if engine is not None and engine.type != "cpu":
        return _data_moments_torch(A, engine)
    step = block_rows(n, p, A.dtype.itemsize)
    rows = n if _in_place(A) else min(step, n)
    with native_threads(blas_threads(rows, p)):
        return _data_moments_numpy(A, step)


def _in_place(A) -> bool:
    """Whether BLAS can read ``A`` as it is: float64, C- or Fortran-contiguous."""
    return A.dtype == np.float64 and (A.flags.c_contiguous or A.flags.f_contiguous)


def _float64_blocks(A, step):
    """``(start, block)`` over the rows of ``A`` in float64: ``A`` itself in one piece when
    BLAS can read it in place, else contiguous float64 copies of ``step`` rows."""
    if _in_place(A):
        yield 0, A
        return
    for start in range(0, A.shape[0], step):
        yield start, np.ascontiguousarray(A[start:start + step], dtype=np.float64)


def _add_gram(block, c):
    """``c += blockᵀ block`` on the upper triangle of the Fortran-ordered float64 ``c``."""
    from scipy.linalg import blas

    if block.flags.f_contiguous and not block.flags.c_contiguous:
        return blas.dsyrk(1.0, block, beta=1.0, c=c, trans=1, lower=0, overwrite_c=1)
    # A C-ordered (m, p) block: its transpose is Fortran-ordered (p, m) for BLAS.
    return blas.dsyrk(1.0, block.T, beta=1.0, c=c, trans=0, lower=0, overwrite_c=1)


def _data_moments_numpy(A, step):
    from scipy.linalg import blas

    n, p = A.shape
    m2 = np.zeros((p, p), order="F")
    total = np.zeros(p)
    for _, block in _float64_blocks(A, step):
        m2 = _add_gram(block, m2)
        total += block.sum(0)
    mean = total / n
    raw_diagonal = m2.diagonal().copy()
    # The symmetric rank-1 update keeps m2 exactly symmetric (ger's two triangles round
    # differently).
    m2 = blas.dsyr(-float(n), mean, a=m2, lower=0, overwrite_a=1)
    _fill_lower(m2)
    # |mean| / std > R  <=>  n mean² > R² / (1 + R²) * Σ a² (exact arithmetic).
    ratio = CANCELLATION_RATIO**2
    cancelled = np.flatnonzero(n * mean**2 > ratio / (1.0 + ratio) * raw_diagonal)
    if cancelled.size:
        _recompute_centred(A, cancelled, mean, m2, step)
    return Moments(int(n), mean, mean, m2)


def _recompute_centred(A, columns, mean, m2, step):
    """Recompute the rows and columns ``columns`` of ``m2`` from centred values, in place.

    ``C = A[:, columns] - mean[columns]``: ``m2[:, columns] = AᵀC - mean (Σ C)ᵀ`` (the
    second term removes the rounding left in the column sums of ``C``, so the error is
    linear, not quadratic, in ``|mean| / std``) and ``m2[columns, columns] = CᵀC``, whose
    constant columns come out as the rounding of their mean, as with centred blocks.
    """
    n, p = A.shape
    k = columns.size
    cross, square, residual = np.zeros((p, k)), np.zeros((k, k)), np.zeros(k)
    for start in range(0, n, step):
        block = np.asarray(A[start:start + step], dtype=np.float64)
        centred = block[:, columns] - mean[columns]
        cross += block.T @ centred
        square += centred.T @ centred
        residual += centred.sum(0)
    cross -= np.outer(mean, residual)
    m2[:, columns] = cross
    m2[columns, :] = cross.T
    m2[np.ix_(columns, columns)] = square


def _fill_lower(m2, step=256):
    """Copy the upper triangle of the square ``m2`` onto its lower one, in place."""
    p = m2.shape[0]
    for start in range(0, p, step):
        stop = min(start + step, p)
        m2[stop:, start:stop] = m2[start:stop, stop:].T
        diagonal = m2[start:stop, start:stop]
        diagonal[...] = np.triu(diagonal) + np.triu(diagonal, 1).T


def _data_moments_torch(A, engine):
    import torch

    n, p = A.shape
    m2 = torch.zeros((p, p), dtype=torch.float64, device=engine)
    mean, seen = torch.zeros(p, dtype=torch.float64, device=engine), 0
    step = block_rows(n, p, A.dtype.itemsize)
    for start in range(0, n, step):
        block = torch.as_tensor(A[start:start + step]).to(engine, torch.float64)
        m = block.shape[0]
        block_mean = block.mean(0)
        block -= block_mean
        m2.addmm_(block.T, block)
        if seen:
            delta = block_mean - mean
            m2.add_(delta[:, None] * delta[None, :], alpha=seen * m / (seen + m))
            mean += delta * (m / (seen + m))
        else:
            mean = block_mean
        seen += m
    mean = _as_float64(mean)
    return Moments(int(n), mean, mean, _as_float64(m2))


def cross_moments(A, B, labelled, spread) -> tuple[Moments, Moments]:
    """Moments of ``A`` with ``B`` and of ``B`` with itself, over the ``labelled`` rows.

    ``B`` (classes or targets: few columns) is centred on the labelled rows, and its
    unlabelled rows are set to zero, so ``Aᵀ B_centred`` sums over the labelled rows
    without a copy or a centring of ``A`` (read like in :func:`data_moments`); the rounding
    left in the sums of the centred ``B`` is removed with the labelled mean of ``A``. That
    leaves an error of about ``eps |mean| / spread`` of a column's scale, so the columns of
    ``A`` whose labelled mean exceeds ``CANCELLATION_RATIO`` times their ``spread``
    (standard deviations, any rows) are recomputed from centred values.
    """
    n, pa = A.shape
    pb = B.shape[1]
    labelled = np.asarray(labelled, dtype=bool)
    m = int(labelled.sum())
    if m == 0:
        return Moments.empty(pa, pb), Moments.empty(pb, pb)
    B = np.asarray(B, dtype=np.float64)
    mean_b = B[labelled].mean(0)
    centred_b = np.where(labelled[:, None], B - mean_b, 0.0)
    weights = labelled.astype(np.float64)
    step = block_rows(n, pa, A.dtype.itemsize)
    product, total = np.zeros((pa, pb)), np.zeros(pa)
    for start, block in _float64_blocks(A, step):
        stop = start + block.shape[0]
        product += block.T @ centred_b[start:stop]
        total += weights[start:stop] @ block
    mean_a = total / m
    product -= np.outer(mean_a, centred_b.sum(0))
    far = np.flatnonzero(np.abs(mean_a) > CANCELLATION_RATIO * np.asarray(spread))
    if far.size:
        product[far] = 0.0
        for start in range(0, n, step):
            block = np.asarray(A[start:start + step, far], dtype=np.float64) - mean_a[far]
            product[far] += block.T @ centred_b[start:start + step]
    labelled_b = centred_b[labelled]
    return (Moments(m, mean_a, mean_b, product),
            Moments(m, mean_b, mean_b, labelled_b.T @ labelled_b))


@dataclass
class SufficientStatistics:
    """Everything the solver needs from the rows seen, exactly mergeable.

    ``data``: moments of the data columns ``A`` on every row, or None while ``rows`` (the
    data rows themselves, float64) are kept because there are fewer rows than columns.
    ``cross`` and ``target``: moments of ``A`` with the target columns ``B`` and of ``B``
    with itself, on the labelled rows; None without target columns.
    """

    data: Moments | None
    rows: np.ndarray | None = None
    cross: Moments | None = None
    target: Moments | None = None

    @property
    def n(self) -> int:
        return self.data.n if self.rows is None else int(self.rows.shape[0])

    @property
    def n_labelled(self) -> int:
        return self.n if self.cross is None else self.cross.n

    @property
    def n_data_columns(self) -> int:
        return self.rows.shape[1] if self.rows is not None else len(self.data.mean_a)

    def data_moments(self) -> Moments:
        return self.data if self.rows is None else data_moments(self.rows)

    def mean(self) -> np.ndarray:
        """Means of the ``A`` columns (all rows), then of the ``B`` columns (labelled)."""
        mean_a = self.data.mean_a if self.rows is None else self.rows.mean(0)
        return mean_a if self.target is None else np.concatenate([mean_a, self.target.mean_a])

    def variance(self) -> np.ndarray:
        """Population variances, in the column order of :meth:`mean`."""
        if self.rows is None:
            var_a = np.diag(self.data.m2) / self.n
        else:
            var_a = np.var(self.rows, axis=0)
        if self.target is None:
            return var_a
        return np.concatenate([var_a, np.diag(self.target.m2) / max(self.target.n, 1)])

    def row_counts(self) -> np.ndarray:
        """Rows behind each column's statistics, in the column order of :meth:`mean`."""
        counts = np.full(self.n_data_columns, self.n)
        if self.target is None:
            return counts
        return np.concatenate([counts, np.full(len(self.target.mean_a), self.target.n)])

    def merge(self, other: SufficientStatistics) -> SufficientStatistics:
        """Statistics of both row sets; rows stay kept while fewer than the data columns."""
        if self.rows is not None and other.rows is not None and (
            self.rows.shape[0] + other.rows.shape[0] < self.rows.shape[1]
        ):
            data, rows = None, np.concatenate([self.rows, other.rows])
        else:
            data, rows = self.data_moments().merge(other.data_moments()), None
        cross = target = None
        if self.cross is not None:
            cross, target = self.cross.merge(other.cross), self.target.merge(other.target)
        return SufficientStatistics(data, rows, cross, target)


def chunk_statistics(A, B=None, labelled=None, *, engine=None, keep_rows=None
                     ) -> SufficientStatistics:
    """Statistics of the rows of ``A`` (numpy; not modified) and of ``B`` on ``labelled``.

    ``keep_rows`` (default: with fewer rows than columns) keeps the rows (a float64 copy)
    instead of the ``p x p`` cross-product.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # NaN, inf: the caller reports them
        if keep_rows is None:
            keep_rows = A.shape[0] < A.shape[1]
        return _chunk_statistics(A, B, labelled, engine, keep_rows)


def _chunk_statistics(A, B, labelled, engine, keep_rows):
    n = A.shape[0]
    if keep_rows:
        stats = SufficientStatistics(None, np.array(A, dtype=np.float64))
        spread = stats.rows.std(0)
    else:
        stats = SufficientStatistics(data_moments(A, engine=engine))
        spread = np.sqrt(np.diag(stats.data.m2) / n)
    if B is not None:
        if labelled is None:
            labelled = np.ones(n, dtype=bool)
        stats.cross, stats.target = cross_moments(A, B, labelled, spread)
    return stats


# ---------------------------------------------------------------------------- scaling
def constant_columns(var, mean, n) -> np.ndarray:
    """Mask of columns whose variance is zero up to the rounding of their mean.

    The bound of scikit-learn's ``StandardScaler`` (``_is_constant_feature``, issues #17794
    and #19788): with ``n`` rows the float64 mean of a constant column is off by up to about
    ``n * eps * |mean|``, which leaves a variance of that order squared. The statistics are
    float64 whatever the input's dtype, so the float64 ``eps`` applies.
    """
    eps = np.finfo(np.float64).eps
    var, mean, n = np.asarray(var), np.asarray(mean), np.asarray(n, dtype=np.float64)
    bound = n * eps * var + (n * mean * eps) ** 2
    return var <= bound


def column_divisors(var, constant, x_slices, *, scale: bool, block_scaling: str) -> np.ndarray:
    """What every column of the statistics is divided by before the solve.

    Each column by its standard deviation (``scale``; ``constant`` columns by 1), then every
    X block (``x_slices``: index arrays into the statistics' columns) by its block factor:
    the square root of its width (``"sqrt"``), the square root of its total variance after
    standardisation, i.e. its Frobenius norm divided by ``sqrt(n)`` (``"frobenius"``;
    constant columns count as zero variance, and a block of constant columns gets 1), or 1.
    """
    var = np.where(constant, 0.0, var)
    divisors = np.ones_like(var)
    if scale:
        divisors = np.where(constant, 1.0, np.sqrt(var))
    divisors = divisors.copy()
    for columns in x_slices:
        if block_scaling == "sqrt":
            factor = np.sqrt(len(columns))
        elif block_scaling == "frobenius":
            factor = np.sqrt(np.sum(var[columns] / divisors[columns] ** 2))
            factor = factor if factor > 0 else 1.0
        else:
            factor = 1.0
        divisors[columns] = divisors[columns] * factor
    return divisors


class Gram:
    """``XᵀX / n`` of the scaled data without forming it: ``M / outer(d, d) / n``.

    ``m2`` is the scatter matrix of the unscaled columns (usually a view into the
    statistics, which stay untouched) and ``divisors`` the column divisors (inf for a
    column that must count as zero). ``gram @ r`` costs one matrix-vector product and no
    ``p x p`` memory; :meth:`dense` makes the scaled copy when a decomposition needs it.
    Works on numpy arrays and torch tensors alike.
    """

    def __init__(self, m2, divisors, n):
        self.m2, self.divisors, self.n = m2, divisors, n
        self.shape, self.dtype = m2.shape, m2.dtype

    def __matmul__(self, r):
        return (self.m2 @ (r / self.divisors)) / (self.divisors * self.n)

    def diagonal(self):
        return self.m2.diagonal() / (self.divisors**2 * self.n)

    def dense(self):
        scaled = self.m2 / self.divisors[:, None]
        scaled /= self.divisors[None, :] * self.n
        return scaled


@dataclass
class ScaledProblem:
    """The PLS problem on centred, scaled data, as covariances (divided by the row counts).

    ``xtx``: ``XᵀX / n`` as a :class:`Gram` (dense form) or None; ``x_rows``: the rows
    ``X / sqrt(n)`` (wide form) or None; ``xty``: ``XᵀY`` (the labelled rows'
    cross-covariance for target columns), ``xtx`` itself (dense form) or None (wide form)
    when the response is X itself; ``yty_diag``: the variance of each scaled Y column;
    ``x_total``: the total variance of the scaled X.
    """

    xtx: Gram | None
    x_rows: np.ndarray | None
    xty: object
    yty_diag: np.ndarray
    x_total: float


def _square_block(m2, columns):
    """``m2[columns][:, columns]``: a view when the columns are a contiguous range."""
    columns = np.asarray(columns)
    first = int(columns[0])
    if np.array_equal(columns, np.arange(first, first + len(columns))):
        return m2[first:first + len(columns), first:first + len(columns)]
    return m2[np.ix_(columns, columns)]


def scaled_problem(stats: SufficientStatistics, x_columns, y_columns, divisors,
                   constant=None) -> ScaledProblem:
    """The covariances of the centred data divided column by column by ``divisors``.

    ``x_columns`` are data columns; ``y_columns`` index data columns and target columns
    (which follow the data columns). When they are the same columns, Y is X. Columns marked
    ``constant`` (see :func:`constant_columns`) are exactly zero: what their statistics hold
    is the rounding of their mean, not a spread (they are divided by inf here).
    """
    n, n_data = stats.n, stats.n_data_columns
    y_columns = np.asarray(y_columns)
    var = stats.variance()
    if constant is not None and constant.any():
        divisors = np.where(constant, np.inf, divisors)
        var = np.where(constant, 0.0, var)
    dx, dy = divisors[x_columns], divisors[y_columns]
    self_response = np.array_equal(y_columns, x_columns)
    xtx = x_rows = xty = None
    if stats.rows is None:
        xtx = Gram(_square_block(stats.data.m2, x_columns), dx, n)
    else:
        mean = stats.rows.mean(0)
        x_rows = (stats.rows[:, x_columns] - mean[x_columns]) / (dx * np.sqrt(n))
    if self_response:
        xty = xtx  # None in the wide form: Y is X
    else:
        y_data = y_columns[y_columns < n_data]
        y_target = y_columns[y_columns >= n_data] - n_data
        if stats.rows is None:
            # m2 is symmetric: the transpose of its (y, x) part is a Fortran-ordered (x, y)
            # part, which the solver deflates in place.
            xty_data = stats.data.m2[np.ix_(y_data, x_columns)].T
            xty_data /= n
        else:  # Xᵀ Y / n with X = x_rows * dx * sqrt(n)
            y_rows = (stats.rows[:, y_data] - mean[y_data]) / np.sqrt(n)
            xty_data = (y_rows.T @ x_rows).T * np.where(np.isinf(dx), 0.0, dx)[:, None]
        xty = xty_data
        if y_target.size:
            target = stats.cross.m2[np.ix_(x_columns, y_target)] / stats.cross.n
            xty = np.asfortranarray(np.hstack([xty, target]))
        xty /= dx[:, None]  # in place: XᵀY may be a tenth of the p x p statistics or more
        xty /= dy[None, :]
    yty_diag = var[y_columns] / np.where(np.isinf(dy), 1.0, dy) ** 2
    x_total = float(np.sum(var[x_columns] / np.where(np.isinf(dx), 1.0, dx) ** 2))
    return ScaledProblem(xtx, x_rows, xty, yty_diag, x_total)


# ----------------------------------------------------------------------------- solver
@dataclass
class KernelPLSResult:
    """Output of :func:`kernel_pls`, in the array library of its inputs.

    ``weights`` (W), ``rotations`` (R, scores are ``X @ R``), ``x_loadings`` (P),
    ``y_loadings`` (Q) have one column per component; ``score_norms`` holds ``tᵀt``;
    ``n_extracted`` counts the components that carry covariance (later ones are zero).
    """

    weights: object
    rotations: object
    x_loadings: object
    y_loadings: object
    score_norms: object
    n_extracted: int


def dominant_left_singular_vector(S):
    """Unit dominant left singular vector of ``S`` and its singular value.

    Computed from the top eigenpair of the smaller of ``SᵀS`` and ``SSᵀ``. The sign is
    chosen so that the entry of largest magnitude is positive (deterministic across devices).
    """
    p, q = S.shape
    if q == 1:
        w = S[:, 0]
        sigma = float((w @ w) ** 0.5)
    elif q < p:
        _, v = _top_eigenpairs(S.T @ S, 1)
        w = S @ v[:, 0]
        sigma = float((w @ w) ** 0.5)
    else:
        val, w = _top_eigenpairs(S @ S.T, 1)
        return _flip_sign(w[:, 0]), max(float(val[0]), 0.0) ** 0.5
    if sigma == 0.0:
        return w, sigma
    return _flip_sign(w / sigma), sigma


def _flip_sign(w):
    return w if float(w[int(abs(w).argmax())]) >= 0 else -w


def _principal_directions(xtx, k):
    """Dominant vectors of ``XᵀY`` and singular values for Y = X: the top eigenpairs of XᵀX.

    With Y = X the deflated ``XᵀY`` after ``a`` components is ``XᵀX`` minus its top ``a``
    eigen-terms, so one decomposition gives every component (PLS on X itself is PCA).
    """
    if isinstance(xtx, Gram):  # a scaled copy of our own, which LAPACK may overwrite
        vals, vecs = _top_eigenpairs(xtx.dense(), k, overwrite=True)
    else:
        vals, vecs = _top_eigenpairs(xtx, k)
    return [(_flip_sign(vecs[:, a]), max(float(vals[a]), 0.0)) for a in range(k)]


def _principal_directions_wide(x_rows, k):
    """As :func:`_principal_directions` from the ``n x n`` kernel ``X Xᵀ`` (n < p)."""
    vals, vecs = _top_eigenpairs(x_rows @ x_rows.T, k)
    directions = []
    for a in range(k):
        val = max(float(vals[a]), 0.0)
        w = x_rows.T @ vecs[:, a]
        norm = float((w @ w) ** 0.5)
        directions.append((_flip_sign(w / norm) if norm > 0 else w, val))
    return directions


def kernel_pls(xtx, xty, n_components: int, *, x_rows=None, overwrite_xty=False
               ) -> KernelPLSResult:
    """PLS2 from the cross-products only (Dayal & MacGregor 1997, algorithm 2).

    For each component: ``w`` is the dominant left singular vector of the deflated ``XᵀY``;
    the rotation ``r = w - R (Pᵀ w)`` gives the scores ``t = X r`` on the original ``X``;
    ``tᵀt = rᵀ XᵀX r``, ``p = XᵀX r / tᵀt``, ``q = (XᵀY)ᵀ r / tᵀt``; then
    ``XᵀY -= tᵀt p qᵀ``. Works on numpy arrays and torch tensors alike.

    ``xtx`` is an array or a :class:`Gram`. ``xty`` may be ``xtx`` itself (Y = X: one
    eigendecomposition gives every component) or, with ``x_rows`` (the ``n x p`` rows of X,
    ``n < p``) instead of ``xtx``, None (Y = X in the wide form). With ``x_rows``,
    ``XᵀX r`` is ``Xᵀ(X r)`` and for Y = X the directions come from the ``n x n`` kernel
    ``X Xᵀ`` (Lindgren, Geladi & Wold 1993; Rännar et al. 1994), so nothing of size
    ``p x p`` is formed. All forms give the same result to rounding. ``overwrite_xty``:
    the deflation may overwrite ``xty`` instead of a copy.

    >>> rng = np.random.default_rng(0)
    >>> X, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 2))
    >>> X, Y = X - X.mean(0), Y - Y.mean(0)
    >>> res = kernel_pls(X.T @ X, X.T @ Y, 2)
    >>> T = X @ res.rotations
    >>> bool(abs(T[:, 0] @ T[:, 1]) < 1e-10)
    True
    """
    if x_rows is not None:
        like = x_rows
        p = x_rows.shape[1]
        diag_max = float((x_rows * x_rows).sum(0).max())

        def gram(r):
            return x_rows.T @ (x_rows @ r)

        directions = _principal_directions_wide(x_rows, n_components) if xty is None else None
    else:
        like = xtx.m2 if isinstance(xtx, Gram) else xtx
        p = xtx.shape[0]
        diag_max = float(abs(xtx.diagonal()).max())

        def gram(r):
            return xtx @ r

        directions = _principal_directions(xtx, n_components) if xty is xtx else None
    q = p if xty is None else xty.shape[1]
    W, R, P = (_zeros(like, (p, n_components)) for _ in range(3))
    Q = _zeros(like, (q, n_components))
    tts = _zeros(like, (n_components,))
    S = None
    if directions is None:
        if _is_numpy(xty):
            # A Fortran-ordered XᵀY the caller hands over is deflated in place.
            S = xty if overwrite_xty and xty.flags.f_contiguous else np.array(xty, order="F")
        else:
            S = xty if overwrite_xty else xty.clone()
    tol = 10 * max(p, q) * _eps(like)
    sigma0, n_extracted = None, 0
    for a in range(n_components):
        w, sigma = dominant_left_singular_vector(S) if S is not None else directions[a]
        sigma0 = sigma if sigma0 is None else sigma0
        if sigma <= tol * sigma0 or sigma == 0.0:
            break
        r = w - R[:, :a] @ (P[:, :a].T @ w)
        xr = gram(r)
        tt = float(r @ xr)
        if tt <= tol * diag_max * float(r @ r):
            break
        W[:, a], R[:, a], P[:, a], tts[a] = w, r, xr / tt, tt
        if S is None:
            Q[:, a] = xr / tt  # Y = X: the Y loadings are the X loadings
        else:
            Q[:, a] = S.T @ r / tt
            S = _subtract_outer(S, tt, P[:, a], Q[:, a])
        n_extracted = a + 1
    return KernelPLSResult(W, R, P, Q, tts, n_extracted)


def block_scores(Xb, T, weights_b, loadings_b):
    """Block scores of one X block: ``Xb`` scored on its deflated versions.

    ``t_b[:, a] = X_b,a w_b,a`` with ``X_b,a = X_b - Σ_{j<a} t_j p_b,jᵀ``, in closed form:
    ``X_b W_b - T triu(P_bᵀ W_b, 1)``.
    """
    return Xb @ weights_b - T @ np.triu(loadings_b.T @ weights_b, 1)


def vip(weights, score_norms, y_loadings) -> np.ndarray:
    """Variable importance in projection of each X column (unit-norm weight columns)."""
    ssy = score_norms * np.sum(y_loadings**2, axis=0)
    total = ssy.sum()
    if total <= 0:
        return np.zeros(weights.shape[0])
    return np.sqrt(weights.shape[0] * (weights**2 @ ssy) / total)
