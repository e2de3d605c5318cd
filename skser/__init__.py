"""skser: noise-robust and cross-corpus speech emotion recognition for scikit-learn.

The method is EDRL-MEA: :class:`EDRLTransformer` learns emotion-specific (intra-class) and
shared (inter-class) embeddings of utterance-level speech features, and
:class:`MEATransformer` aligns them with the original features by a closed-form multiblock
PLS. Both chain with any scikit-learn classifier::

    Pipeline([("edrl", EDRLTransformer()), ("mea", MEATransformer()), ("svc", SVC())])

Subpackages: :mod:`skser.features` (acoustic features), :mod:`skser.datasets` (corpus loaders
and a synthetic speech corpus), :mod:`skser.noise` (noise mixing at an SNR),
:mod:`skser.model_selection` (cross-corpus evaluation), :mod:`skser.plotting`.

:func:`save_model` and :func:`load_model` write and read model files that cannot run code
when they are loaded.

Unlabelled rows (label ``-1``, or NaN for float labels) follow scikit-learn's semi-supervised
convention: both transformers use them where no label is needed, and :class:`LabelledOnly`
fits the final classifier on the labelled rows only.
"""

from ._edrl import EDRLTransformer
from ._mea import MEATransformer
from ._persistence import load_model, save_model
from ._semisupervised import LabelledOnly, labelled_rows

__version__ = "0.1.0"

__all__ = [
    "EDRLTransformer",
    "LabelledOnly",
    "MEATransformer",
    "__version__",
    "labelled_rows",
    "load_model",
    "save_model",
]
