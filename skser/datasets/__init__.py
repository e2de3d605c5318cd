"""Speech emotion corpora: loaders for real corpus layouts and a synthetic corpus.

:func:`load_corpus` reads EmoDB, RAVDESS, CREMA-D, TESS, SAVEE, URDU, EMOVO, ASED, IEMOCAP, a
folder-per-class layout or a CSV manifest into one table with harmonised emotion names;
:func:`to_common_classes` maps those onto a common 4-class set; :func:`to_dimension`,
:func:`add_dimensions` and :func:`bin_ratings` map emotions or ratings onto arousal and
valence classes; :func:`make_speech_corpus` synthesises emotional speech from several
speakers and corpora for demos and tests.
"""

from ._dimensions import (
    AROUSAL_MAP,
    AROUSAL_MAP_3,
    LEVELS,
    RATING_THRESHOLDS,
    VALENCE_MAP,
    VALENCE_MAP_3,
    add_dimensions,
    bin_ratings,
    to_dimension,
)
from ._labels import EMOTIONS, harmonize_label, harmonize_labels, to_common_classes
from ._loaders import LAYOUTS, detect_layout, load_corpus
from ._synth import make_speech_corpus

__all__ = [
    "AROUSAL_MAP",
    "AROUSAL_MAP_3",
    "EMOTIONS",
    "LAYOUTS",
    "LEVELS",
    "RATING_THRESHOLDS",
    "VALENCE_MAP",
    "VALENCE_MAP_3",
    "add_dimensions",
    "bin_ratings",
    "detect_layout",
    "harmonize_label",
    "harmonize_labels",
    "load_corpus",
    "make_speech_corpus",
    "to_common_classes",
    "to_dimension",
]
