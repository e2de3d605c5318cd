"""Model selection across corpora: GridSearchCV over EDRL and MEA with leave-one-corpus-out.

Each candidate is trained on all corpora but one and scored (UAR) on the held-out corpus, so the
selected parameters are the ones that generalise to an unseen corpus. The grid covers both
steps of the default EDRL-MEA pipeline (``edrl__n_components``, ``mea__n_components``).

Run ``python examples/grid_search_leave_one_corpus_out.py``; ``--quick`` (or
``SKSER_EXAMPLE_QUICK=1``) uses a smaller corpus, a smaller grid and shorter training.
"""

import argparse
import os

import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.datasets import make_speech_corpus
from skser.features import AcousticFeatures
from skser.metrics import SCORERS
from skser.model_selection import LeaveOneCorpusOut
from skser.preprocessing import standardize_per_group

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="small data, small grid")
args = parser.parse_args()
quick = args.quick or os.environ.get("SKSER_EXAMPLE_QUICK") == "1"

signals, meta = make_speech_corpus(
    n_corpora=3,
    n_speakers=2 if quick else 4,
    n_utterances=2 if quick else 4,
    duration=(0.6, 0.9) if quick else (1.0, 1.5),
    random_state=1,
)
X = AcousticFeatures().fit_transform(signals)
y, corpus = meta["emotion"].to_numpy(), meta["corpus"].to_numpy()
# Per-corpus standardisation uses each corpus's own (unlabelled) features; see the user guide.
X = standardize_per_group(X, corpus)

pipe = Pipeline([
    ("edrl", EDRLTransformer(max_epochs=25 if quick else 100, random_state=0)),
    ("mea", MEATransformer()),
    ("svc", SVC(class_weight="balanced")),
])
grid = {
    "edrl__n_components": [8] if quick else [8, 16, 32],
    "mea__n_components": [2, 4] if quick else [4, 8, 12],
}
search = GridSearchCV(pipe, grid, cv=LeaveOneCorpusOut(), scoring=SCORERS, refit="uar")
search.fit(X, y, groups=corpus)

results = pd.DataFrame(search.cv_results_)
columns = ["param_edrl__n_components", "param_mea__n_components", "mean_test_uar",
           "std_test_uar", "mean_test_wa"]
print(results[columns].sort_values("mean_test_uar", ascending=False).to_string(index=False))
print(f"best parameters (by leave-one-corpus-out UAR): {search.best_params_}, "
      f"UAR = {search.best_score_:.3f}")
