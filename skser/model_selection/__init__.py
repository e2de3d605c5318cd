"""Cross-corpus model selection: corpus splitters and the evaluation table.

* :class:`LeaveOneCorpusOut`: train on all corpora but one, test on that one; ``cv=`` of
  ``GridSearchCV`` and ``cross_validate``, with the corpus labels as ``groups``.
* :class:`CorpusSplit` and :func:`train_test_corpus_split`: train on corpus A, test on B.
* :func:`cross_corpus_evaluate`: the tidy table of scores within and across corpora, clean and
  under named noise conditions; :func:`summarise` pivots it.

The SER metrics and their scorers (UAR, WA, macro-F1) are in :mod:`skser.metrics`.
"""

from ._evaluate import (
    FitFailedWarning,
    MissingClassesWarning,
    cross_corpus_evaluate,
    summarise,
)
from ._split import CorpusSplit, LeaveOneCorpusOut, train_test_corpus_split

__all__ = [
    "CorpusSplit",
    "FitFailedWarning",
    "MissingClassesWarning",
    "LeaveOneCorpusOut",
    "cross_corpus_evaluate",
    "summarise",
    "train_test_corpus_split",
]
