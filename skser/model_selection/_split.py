"""Cross-corpus splitters: leave one corpus out, and train on some corpora / test on others."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import BaseCrossValidator, LeaveOneGroupOut
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.validation import _num_samples

from ..utils._validation import check_row_labels


def _check_corpus(groups, n_samples, who):
    if groups is None:
        raise ValueError(
            f"{who} needs the corpus label of each row: pass it as groups=corpus "
            "(e.g. GridSearchCV(...).fit(X, y, groups=corpus))."
        )
    return check_row_labels(groups, n_samples, f"{who}: groups (corpus labels)")


def _as_list(corpora, name):
    if isinstance(corpora, (str, bytes)) or np.isscalar(corpora):
        return [corpora]
    corpora = list(corpora)
    if not corpora:
        raise ValueError(f"{name} is empty; name at least one corpus.")
    return corpora


class LeaveOneCorpusOut(LeaveOneGroupOut):
    """Leave-one-corpus-out cross-validation: train on all corpora but one, test on that one.

    One split per corpus. The corpus label of each row is given as ``groups`` to ``split``,
    ``cross_validate`` or ``GridSearchCV.fit``. Use it as ``cv=LeaveOneCorpusOut()``.

    This is :class:`~sklearn.model_selection.LeaveOneGroupOut` with the corpus as the group,
    a check that there are at least two corpora, and errors that name the corpus problem.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.model_selection import LeaveOneCorpusOut
    >>> corpus = np.array(["emodb", "emodb", "urdu", "urdu", "iemocap"])
    >>> cv = LeaveOneCorpusOut()
    >>> cv.get_n_splits(groups=corpus)
    3
    >>> for train, test in cv.split(np.zeros((5, 1)), groups=corpus):
    ...     print(sorted(set(corpus[test].tolist())), train)
    ['emodb'] [2 3 4]
    ['iemocap'] [0 1 2 3]
    ['urdu'] [0 1 4]
    """

    def _iter_test_masks(self, X, y, groups):
        groups = _check_corpus(groups, _num_samples(X), type(self).__name__)
        corpora = np.unique(groups)
        if len(corpora) < 2:
            raise ValueError(
                f"LeaveOneCorpusOut needs at least two corpora, got {len(corpora)}: "
                f"{corpora.tolist()}."
            )
        for corpus in corpora:
            yield groups == corpus

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits: the number of distinct corpora.

        Parameters
        ----------
        X : object
            Ignored.
        y : object
            Ignored.
        groups : array-like of shape (n_samples,)
            Corpus label of each row.

        Returns
        -------
        n_splits : int
            Number of corpora.
        """
        if groups is None:
            raise ValueError(
                "LeaveOneCorpusOut.get_n_splits needs the corpus labels as groups=corpus."
            )
        return len(np.unique(np.asarray(groups)))


class CorpusSplit(BaseCrossValidator):
    """One split that trains on some corpora and tests on others (train-on-A, test-on-B).

    Parameters
    ----------
    train : str or list of str
        Training corpus or corpora.
    test : str or list of str, default=None
        Test corpus or corpora. ``None`` tests on every corpus not in ``train``. Rows of
        corpora in neither list are left out of both sides.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.model_selection import CorpusSplit
    >>> corpus = np.array(["emodb", "emodb", "urdu", "urdu", "iemocap"])
    >>> cv = CorpusSplit(train="emodb", test="urdu")
    >>> [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros((5, 1)),
    ...                                                              groups=corpus)]
    [([0, 1], [2, 3])]
    """

    # The corpus labels arrive as ``groups``, also through metadata routing.
    __metadata_request__split = {"groups": True}

    def __init__(self, train, test=None):
        self.train = train
        self.test = test

    def _masks(self, n_samples, groups):
        groups = _check_corpus(groups, n_samples, type(self).__name__)
        present = set(np.unique(groups).tolist())
        train = _as_list(self.train, "train")
        test = None if self.test is None else _as_list(self.test, "test")
        for name, wanted in (("train", train), ("test", test or [])):
            missing = [c for c in wanted if c not in present]
            if missing:
                raise ValueError(
                    f"CorpusSplit: {name} corpora {missing} are not in groups; corpora present: "
                    f"{sorted(present, key=str)}."
                )
        train_mask = np.isin(groups, train)
        if test is None:
            test_mask = ~train_mask
        else:
            overlap = sorted(set(train) & set(test), key=str)
            if overlap:
                raise ValueError(f"CorpusSplit: corpora {overlap} are both in train and in test.")
            test_mask = np.isin(groups, test)
        if not test_mask.any():
            raise ValueError(
                f"CorpusSplit: no test rows; every corpus present ({sorted(present, key=str)}) "
                "is a training corpus."
            )
        return train_mask, test_mask

    def split(self, X, y=None, groups=None):
        """Yield the training and test row indices of the single split.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features (only their number of rows is used).
        y : object
            Ignored.
        groups : array-like of shape (n_samples,)
            Corpus label of each row.

        Yields
        ------
        train : ndarray
            Training row indices.
        test : ndarray
            Test row indices.
        """
        X, y, groups = indexable(X, y, groups)
        train_mask, test_mask = self._masks(_num_samples(X), groups)
        yield np.flatnonzero(train_mask), np.flatnonzero(test_mask)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splits, 1.

        Parameters
        ----------
        X : object
            Ignored.
        y : object
            Ignored.
        groups : object
            Ignored.

        Returns
        -------
        n_splits : int
            Always 1.
        """
        return 1


def train_test_corpus_split(*arrays, corpus, train, test=None):
    """Split arrays into a training part (some corpora) and a test part (other corpora).

    The cross-corpus counterpart of :func:`~sklearn.model_selection.train_test_split`.

    Parameters
    ----------
    *arrays : sequence of indexables with the same number of rows
        Lists, numpy arrays, scipy sparse matrices or pandas DataFrames.
    corpus : array-like of shape (n_samples,)
        Corpus label of each row.
    train : str or list of str
        Training corpus or corpora.
    test : str or list of str, default=None
        Test corpus or corpora; ``None`` means every corpus not in ``train``.

    Returns
    -------
    splitting : list of length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skser.model_selection import train_test_corpus_split
    >>> X, y = np.arange(10).reshape(5, 2), np.array([0, 1, 0, 1, 0])
    >>> corpus = ["a", "a", "b", "b", "c"]
    >>> X_tr, X_te, y_tr, y_te = train_test_corpus_split(X, y, corpus=corpus, train="a", test="b")
    >>> X_tr.tolist(), y_te.tolist()
    ([[0, 1], [2, 3]], [0, 1])
    """
    if not arrays:
        raise ValueError("train_test_corpus_split needs at least one array to split.")
    arrays = indexable(*arrays)
    train_idx, test_idx = next(CorpusSplit(train, test).split(arrays[0], groups=corpus))
    out = []
    for a in arrays:
        out.extend([_safe_indexing(a, train_idx), _safe_indexing(a, test_idx)])
    return out
