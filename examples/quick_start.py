"""Quick start: the default EDRL-MEA pipeline (EDRL -> MEA -> SVC), trained on one corpus,
tested on another.

The data are synthetic emotional speech from :func:`skser.datasets.make_speech_corpus` (two
"corpora" with different speakers and microphones), turned into utterance-level
``egemaps_like`` features by :class:`skser.features.AcousticFeatures`.

Run ``python examples/quick_start.py``; ``--quick`` (or ``SKSER_EXAMPLE_QUICK=1``) uses a
smaller corpus and shorter training.
"""

import argparse
import os

import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.datasets import make_speech_corpus
from skser.features import AcousticFeatures
from skser.metrics import uar_score
from skser.model_selection import train_test_corpus_split
from skser.preprocessing import standardize_per_group

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, short training")
args = parser.parse_args()
quick = args.quick or os.environ.get("SKSER_EXAMPLE_QUICK") == "1"

# 1. Synthetic speech of two corpora, and its acoustic features.
signals, meta = make_speech_corpus(
    n_corpora=2,
    n_speakers=3 if quick else 6,
    n_utterances=2 if quick else 4,
    duration=(0.6, 0.9) if quick else (1.0, 1.5),
    random_state=0,
)
X = AcousticFeatures(feature_set="egemaps_like").fit_transform(signals)
y, corpus = meta["emotion"].to_numpy(), meta["corpus"].to_numpy()
print(f"{X.shape[0]} utterances x {X.shape[1]} features; corpora {sorted(set(corpus))}")

# 2. Per-corpus standardisation (each corpus with its own statistics: the field's protocol).
X = standardize_per_group(X, corpus)

# 3. Train on synth0, test on synth1.
X_train, X_test, y_train, y_test = train_test_corpus_split(
    X, y, corpus=corpus, train="synth0", test="synth1"
)

# 4. The default EDRL-MEA pipeline: no block configuration needed, MEA finds the EDRL blocks itself.
pipe = Pipeline([
    ("edrl", EDRLTransformer(n_components=16, max_epochs=40 if quick else 150, random_state=0)),
    ("mea", MEATransformer(n_components=4 if quick else 10)),
    ("svc", SVC(class_weight="balanced")),
])
pipe.fit(X_train, y_train)
uar = uar_score(y_test, pipe.predict(X_test))
print(f"EDRL-MEA + SVC, trained on synth0, tested on synth1: UAR = {uar:.3f} "
      f"(chance {1 / len(set(y)):.3f})")

# 5. What MEA learned: the share of each EDRL block (intra, inter) in every component.
mea = pipe.named_steps["mea"]
x_block_names = [mea.block_names_[i] for i in mea.x_blocks_]  # e.g. ['intra', 'inter']
importances = pd.DataFrame(
    mea.block_importances_,
    index=pd.Index(x_block_names, name="X block"),
    columns=[f"comp {k + 1}" for k in range(mea.block_importances_.shape[1])],
)
print("block importances (intra: emotion-specific EDRL embedding, inter: shared one):")
print(importances.round(2).to_string())
