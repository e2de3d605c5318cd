"""Binary arousal and valence: which step of EDRL-MEA helps or hurts, on real speech.

Runs the multi-source leave-one-corpus-out protocol of ``robust_ser.py`` (its cached
features, conditions and paired bootstrap) for ``--task`` arousal and valence with variants
of the default pipeline, each against the SVC on the features:

* ``MEA+SVC``: MEA alone (for two classes its default is one labels-response component);
* ``MEA(3)+SVC`` and ``EDRL+MEA(3)+SVC``: three MEA components instead of one;
* ``EDRL+MEA [emotions]+SVC``: EDRL and MEA trained on the four emotion categories, only the
  SVC on the binary classes.

EDRL variants run with every seed of ``--seeds`` (the corpora of the training rows as
``groups``); a variant's UAR is the mean over them. Usage::

    python benchmarks/dimensional_ablations.py --data ../shared/data \\
        --output docs/dimensional_ablations.md
"""

from __future__ import annotations

import sys
import time

import numpy as np
import robust_ser as rs
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser.features import AcousticFeatures
from skser.metrics import uar_score


class FrontOnEmotions(ClassifierMixin, BaseEstimator):
    """``front`` fitted on the emotion categories, ``classifier`` on the task's classes.

    ``fit`` takes the task labels ``y`` and the emotions as ``emotions`` (a fit parameter).
    """

    def __init__(self, front, classifier):
        self.front = front
        self.classifier = classifier

    def fit(self, X, y, emotions, groups=None):
        self.front_ = clone(self.front)
        Z = self.front_.fit_transform(X, emotions, edrl__groups=groups)
        self.classifier_ = clone(self.classifier).fit(Z, y)
        self.classes_ = self.classifier_.classes_
        return self

    def predict(self, X):
        return self.classifier_.predict(self.front_.transform(X))


def variants():
    def edrl_mea(seed, k):
        return Pipeline([("edrl", EDRLTransformer(random_state=seed)),
                         ("mea", MEATransformer(n_components=k)), ("svc", SVC())])

    models = {"SVC": SVC(), "MEA+SVC": Pipeline([("mea", MEATransformer()), ("svc", SVC())]),
              "MEA(3)+SVC": Pipeline([("mea", MEATransformer(n_components=3)),
                                      ("svc", SVC())])}
    seeded = {"EDRL+MEA+SVC": lambda s: edrl_mea(s, None),
              "EDRL+MEA(3)+SVC": lambda s: edrl_mea(s, 3),
              "EDRL+MEA [emotions]+SVC": lambda s: FrontOnEmotions(
                  Pipeline([("edrl", EDRLTransformer(random_state=s)),
                            ("mea", MEATransformer())]), SVC())}
    return models, seeded


def run(data, emotions, seeds):
    """``{variant: [prediction keys]}`` and the predictions ``{(target, condition, key)}``."""
    models, seeded = variants()
    predictions, columns = {}, {name: [name] for name in models}
    for name in seeded:
        columns[name] = [f"{name} [{s}]" for s in seeds]
    for target in data:
        sources = [c for c in data if c != target]
        X = np.vstack([data[c]["X"]["clean"] for c in sources])
        y = np.concatenate([data[c]["y"] for c in sources])
        groups = np.concatenate([np.full(len(data[c]["y"]), c) for c in sources])
        fits = {name: clone(m).fit(X, y) for name, m in models.items()}
        for name, make in seeded.items():
            for s in seeds:
                model = make(s)
                if isinstance(model, FrontOnEmotions):
                    em = np.concatenate([emotions[c]["y"] for c in sources])
                    fits[f"{name} [{s}]"] = model.fit(X, y, emotions=em, groups=groups)
                else:
                    fits[f"{name} [{s}]"] = model.fit(X, y, edrl__groups=groups)
        for key, fitted in fits.items():
            for condition in rs.CONDITIONS:
                predictions[(target, condition, key)] = np.asarray(
                    fitted.predict(data[target]["X"][condition]), dtype=str)
    return columns, predictions


def main(argv=None):
    parser = rs.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(5)))
    parser.add_argument("--n-resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    command = rs.shown_command("dimensional_ablations.py",
                               argv if argv is not None else sys.argv[1:])
    feature_set = args.feature_sets[0]
    extractor = AcousticFeatures(feature_set=feature_set, n_jobs=args.n_jobs)
    emotions = rs.load_data(args.data, extractor, args.cache, False, task="emotion")
    lines = [f"### Binary arousal and valence, variants, feature set `{feature_set}`", "",
             f"Command: `{command}`.", "",
             "| task | variant | mean UAR | minus SVC | paired bootstrap 95% interval |",
             "|---|---|---|---|---|"]
    for task in ("arousal", "valence"):
        start = time.perf_counter()
        data = rs.load_data(args.data, extractor, args.cache, False, task=task)
        columns, predictions = run(data, emotions, args.seeds)
        for name, cols in columns.items():
            uar = np.mean([uar_score(data[t]["y"], predictions[(t, c, k)])
                           for t in data for c in rs.CONDITIONS for k in cols])
            if name == "SVC":
                lines.append(f"| {task} | SVC | {100 * uar:.1f} | | |")
                continue
            low, high, diff = rs.paired_bootstrap(data, predictions, cols, "SVC",
                                                  n_resamples=args.n_resamples)
            lines.append(f"| {task} | {name} | {100 * uar:.1f} | {100 * diff:+.1f} | "
                         f"[{100 * low:+.1f}, {100 * high:+.1f}] |")
        print("\n".join(lines[-len(columns):]), flush=True)
        print(f"{task}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    lines.append("")
    if args.output is not None:
        args.output.write_text("\n".join(lines))
        print(f"wrote {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
