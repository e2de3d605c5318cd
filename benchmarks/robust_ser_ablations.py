"""Ablations of the EDRL -> MEA -> SVC pipeline on the robustness benchmark.

Uses the protocol, cells and cached features of ``robust_ser.py`` (run that first so that the
features are cached). ``--protocol multi`` (the default) is the multi-source
leave-one-corpus-out protocol: trained on the clean speech of three corpora, scored on the
fourth, clean and at 20, 10, 5 and 0 dB SNR (20 cells). ``--protocol single`` is the
single-source one: two cross-corpus directions and two within-corpus speaker-independent
settings (20 cells). Variants that train EDRL are run with several ``random_state`` values;
the table gives the mean and standard deviation over them of

* the mean UAR over the 20 cells,
* its ratio to the mean UAR of the best baseline (SVC, PCA+SVC, PLS-DA+SVC),
* the worst cell: the lowest difference to the best baseline of that cell, in UAR points,
* the worst target corpus (multi-source: mean over its 5 conditions, minus that of its best
  baseline) or, single-source, the mean UAR of the 10 cross-corpus cells,
* the mean UAR of the clean cells and of the 0 dB cells,
* multi-source only: the mean UAR of each held-out corpus over its 5 conditions.

The multi-source variants include three ways of choosing EDRL's training length for
transfer: early stopping on whole held-out training corpora or speakers
(``EDRLTransformer(validation="groups")``), the same choice of epoch followed by a refit on
all rows (``RefitEDRL``), and the length chosen by leave-one-training-corpus-out UAR
(``EpochsByHeldOutUAR``); and two ways of keeping the later steps from learning on
embeddings fitted to the training corpora: intra-class mixing of the inputs across corpora
(``EDRLTransformer(partner_mixing=...)``) and out-of-fold embeddings (``CrossFittedEDRL``).

Usage::

    python benchmarks/robust_ser_ablations.py --data ../shared/data \\
        --output docs/robustness_ablations.md
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time

import numpy as np
import robust_ser as rs
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer
from sklearn.svm import SVC

from skser import EDRLTransformer, MEATransformer
from skser._layout import BlockLayout, LayoutArray, find_layout

CROSS = ("emodb->urdu", "urdu->emodb")


class KeepBlocks(TransformerMixin, BaseEstimator):
    """Keep the named blocks of an EDRL output (an intra-only or inter-only ablation).

    The intra and inter branches share no parameters and their losses are summed, so the
    gradient of one branch does not depend on the other: dropping a block after training is
    the same as training that branch alone (up to the shared early-stopping epoch).
    """

    def __init__(self, keep=("intra", "input")):
        self.keep = keep

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        layout = find_layout(X)
        names = [name for name in layout.names if name in self.keep]
        indices = dict(zip(layout.names, layout.indices()))
        columns = np.concatenate([indices[name] for name in names])
        sizes = tuple(layout.as_dict()[name] for name in names)
        return LayoutArray(np.asarray(X)[:, columns], BlockLayout(tuple(names), sizes))


class RefitEDRL(EDRLTransformer):
    """EDRL whose number of epochs is chosen on held-out groups, then refitted on all rows.

    The first fit stops early on whole held-out groups (``validation="groups"``); the second
    trains on every row, without early stopping, for the epoch count the first one kept.
    """

    def fit(self, X, y, groups=None):
        probe = EDRLTransformer(**{**self.get_params(), "validation": "groups"})
        epochs = probe.fit(X, y, groups=groups).best_epoch_
        params = {**self.get_params(), "early_stopping": False, "max_epochs": epochs}
        fitted = EDRLTransformer(**params).fit(X, y, groups=groups)
        self.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
        return self


class EpochsByHeldOutUAR(EDRLTransformer):
    """EDRL whose training length is chosen by the UAR on held-out groups, then refitted.

    For every group in turn (leave one group out), EDRL is trained without early stopping on
    the other groups for each length in ``lengths``, an SVC is trained on its output and
    scored (UAR) on the held-out group; the length with the best mean UAR over the groups is
    then trained on every row. This chooses the training length by what the pipeline needs,
    emotion recognition on a corpus (or speaker) not trained on, rather than by
    reconstruction.
    """

    lengths = (10, 30, 100)

    def fit(self, X, y, groups=None):
        from sklearn.metrics import balanced_accuracy_score

        X, y, groups = np.asarray(X), np.asarray(y), np.asarray(groups)
        params = {**self.get_params(), "early_stopping": False}
        scores = np.zeros(len(self.lengths))
        for g in np.unique(groups):
            held = groups == g
            for i, epochs in enumerate(self.lengths):
                edrl = EDRLTransformer(**{**params, "max_epochs": epochs})
                Z = edrl.fit_transform(X[~held], y[~held], groups=groups[~held])
                svc = SVC().fit(Z, y[~held])
                scores[i] += balanced_accuracy_score(y[held], svc.predict(edrl.transform(X[held])))
        self.chosen_epochs_ = self.lengths[int(np.argmax(scores))]
        fitted = EDRLTransformer(**{**params, "max_epochs": self.chosen_epochs_}).fit(
            X, y, groups=groups)
        self.__dict__.update({k: v for k, v in vars(fitted).items() if k.endswith("_")})
        return self


class CrossFittedEDRL(EDRLTransformer):
    """EDRL whose ``fit_transform`` returns out-of-fold embeddings (cross-fitting).

    ``fit`` trains on every row, as usual, and ``transform`` uses that fit. In a
    ``Pipeline``, the steps after EDRL are trained on ``fit_transform``'s output instead: the
    rows of each group (training corpus) are embedded by an EDRL trained on the other groups
    only, the way scikit-learn's ``TargetEncoder`` and ``StackingClassifier`` keep a later
    step from learning on values fitted to its own rows. MEA and the SVC then see embeddings
    of a corpus the encoders never trained on, as at test time.
    """

    def fit_transform(self, X, y, groups=None):
        X, y = np.asarray(X), np.asarray(y)
        self.fit(X, y, groups=groups)
        full = self.transform(X)
        out = np.array(full, copy=True)
        groups = np.asarray(groups)
        for k, group in enumerate(np.unique(groups)):
            held = groups == group
            params = {**self.get_params(), "random_state": 1000 * (self.random_state or 0) + k}
            fold = EDRLTransformer(**params).fit(X[~held], y[~held], groups=groups[~held])
            out[held] = fold.transform(X[held])
        return LayoutArray(out, find_layout(full))


# A folder for Pipeline(memory=...): variants that differ only after EDRL (MEA settings, no
# MEA) reuse its fit for the same seed, training data and groups.
MEMORY = {"folder": None}


def _edrl_mea(seed, edrl=None, mea=None, clf=None, keep=None, edrl_class=EDRLTransformer):
    steps = [("edrl", edrl_class(random_state=seed, **(edrl or {})))]
    if keep is not None:
        steps.append(("keep", KeepBlocks(keep)))
    steps += [("mea", MEATransformer(**(mea or {}))), ("clf", clf if clf is not None else SVC())]
    return Pipeline(steps, memory=MEMORY["folder"])


class SeedEnsemble(ClassifierMixin, BaseEstimator):
    """``n_members`` default pipelines with consecutive EDRL seeds, voting by the mean of
    their SVCs' one-vs-rest decision functions (bagging over EDRL's random initialisation,
    partners and noise; every member sees every training row)."""

    def __init__(self, random_state=0, n_members=5):
        self.random_state = random_state
        self.n_members = n_members

    def fit(self, X, y, edrl__groups=None):
        first = self.random_state * self.n_members
        self.members_ = [_edrl_mea(seed).fit(X, y, edrl__groups=edrl__groups)
                         for seed in range(first, first + self.n_members)]
        self.classes_ = self.members_[0].classes_
        return self

    def predict(self, X):
        votes = np.mean([m.decision_function(X) for m in self.members_], axis=0)
        return self.classes_[np.argmax(votes, axis=1)]


def variants():
    """name -> (factory(seed) -> pipeline, uses EDRL, fit parameter for speaker groups)."""
    paper_mea = {"response": "input", "n_components": 10}
    return {
        "default pipeline (MEA: labels, n_classes-1 components, unit-length rows; EDRL "
        "input_noise=0.5)":
            (lambda s: _edrl_mea(s), True, None),
        "MEA normalize=False (raw super scores; the default before)":
            (lambda s: _edrl_mea(s, mea={"normalize": False}), True, None),
        "MEA as in the paper (response input, 10 components, raw scores)":
            (lambda s: _edrl_mea(s, mea=paper_mea), True, None),
        "MEA response labels, 10 components": (
            lambda s: _edrl_mea(s, mea={"response": "labels", "n_components": 10}), True, None),
        "MEA response input+labels, n_classes-1 components": (
            lambda s: _edrl_mea(s, mea={"response": "input+labels"}), True, None),
        "MEA response input, n_classes-1 components": (
            lambda s: _edrl_mea(s, mea={"response": "input", "n_components": 3}), True, None),
        "no MEA (EDRL+SVC)": (
            lambda s: Pipeline([("edrl", EDRLTransformer(random_state=s)), ("svc", SVC())]),
            True, None),
        "no EDRL (MEA+SVC, MEA defaults)": (
            lambda s: Pipeline([("mea", MEATransformer()), ("svc", SVC())]), False, None),
        "no EDRL, MEA normalize=False": (
            lambda s: Pipeline([("mea", MEATransformer(normalize=False)), ("svc", SVC())]),
            False, None),
        "intra only (+ input block)": (
            lambda s: _edrl_mea(s, keep=("intra", "input")), True, None),
        "inter only (+ input block)": (
            lambda s: _edrl_mea(s, keep=("inter", "input")), True, None),
        "embeddings only (no input block in MEA)": (
            lambda s: _edrl_mea(s, keep=("intra", "inter")), True, None),
        "intra partners from other speakers (edrl__groups)": (
            lambda s: _edrl_mea(s), True, "edrl__groups"),
        "early stopping on held-out speakers (validation='groups', edrl__groups)": (
            lambda s: _edrl_mea(s, edrl={"validation": "groups"}), True, "edrl__groups"),
        "input_noise=0 (no corruption)": (
            lambda s: _edrl_mea(s, edrl={"input_noise": 0.0}), True, None),
        "input_noise=0.25": (lambda s: _edrl_mea(s, edrl={"input_noise": 0.25}), True, None),
        "input_noise=0.9": (lambda s: _edrl_mea(s, edrl={"input_noise": 0.9}), True, None),
        "EDRL n_components=8": (lambda s: _edrl_mea(s, edrl={"n_components": 8}), True, None),
        "EDRL n_components=64": (lambda s: _edrl_mea(s, edrl={"n_components": 64}), True, None),
        "EDRL linear (hidden_layer_sizes=())": (
            lambda s: _edrl_mea(s, edrl={"hidden_layer_sizes": ()}), True, None),
        **{
            f"EDRL {epochs} epochs, no early stopping": (
                lambda s, epochs=epochs: _edrl_mea(
                    s, edrl={"early_stopping": False, "max_epochs": epochs}
                ),
                True, None,
            )
            for epochs in (15, 30, 60, 100)
        },
        "classifier LogisticRegression": (
            lambda s: _edrl_mea(s, clf=LogisticRegression(max_iter=1000)), True, None),
        "classifier SVC(class_weight='balanced')": (
            lambda s: _edrl_mea(s, clf=SVC(class_weight="balanced")), True, None),
        "baseline LogisticRegression (no EDRL, no MEA)": (
            lambda s: Pipeline([("lr", LogisticRegression(max_iter=1000))]), False, None),
        "baseline SVC(class_weight='balanced')": (
            lambda s: Pipeline([("svc", SVC(class_weight="balanced"))]), False, None),
        "baseline Normalizer+SVC (unit-length rows of the 88 features)": (
            lambda s: Pipeline([("norm", Normalizer()), ("svc", SVC())]), False, None),
    }


PROTOCOL = {"name": "multi"}


def multi_variants():
    """Variants for the multi-source protocol; the third element is the group labels EDRL
    gets: None, ``"edrl__groups"`` (the training corpora) or ``("edrl__groups", "speaker")``.
    """
    corpus, speaker = "edrl__groups", ("edrl__groups", "speaker")
    return {
        "default pipeline, corpus groups (as in the benchmark)": (
            lambda s: _edrl_mea(s), True, corpus),
        "default pipeline, no groups": (lambda s: _edrl_mea(s), True, None),
        "default pipeline, speaker groups": (lambda s: _edrl_mea(s), True, speaker),
        "early stopping on held-out training corpora (validation='groups'), corpus groups": (
            lambda s: _edrl_mea(s, edrl={"validation": "groups"}), True, corpus),
        "early stopping on held-out speakers (validation='groups'), speaker groups": (
            lambda s: _edrl_mea(s, edrl={"validation": "groups"}), True, speaker),
        "epochs chosen on held-out training corpora, then refit on all rows, corpus groups": (
            lambda s: _edrl_mea(s, edrl_class=RefitEDRL), True, corpus),
        "epochs chosen on held-out speakers, then refit on all rows, speaker groups": (
            lambda s: _edrl_mea(s, edrl_class=RefitEDRL), True, speaker),
        "training length (10, 30 or 100 epochs) chosen by leave-one-training-corpus-out "
        "UAR, corpus groups": (lambda s: _edrl_mea(s, edrl_class=EpochsByHeldOutUAR), True, corpus),
        "EDRL 30 epochs, no early stopping, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"early_stopping": False, "max_epochs": 30}), True, corpus),
        "EDRL 100 epochs, no early stopping, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"early_stopping": False, "max_epochs": 100}), True,
            corpus),
        "partner_mixing=1.0 (intra-class mixup across corpora), corpus groups": (
            lambda s: _edrl_mea(s, edrl={"partner_mixing": 1.0}), True, corpus),
        "partner_mixing=0.5, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"partner_mixing": 0.5}), True, corpus),
        "out-of-fold embeddings for MEA and the SVC (cross-fitted by training corpus), "
        "corpus groups": (lambda s: _edrl_mea(s, edrl_class=CrossFittedEDRL), True, corpus),
        "5 default pipelines (EDRL seeds 5s to 5s+4) voting, corpus groups": (
            lambda s: SeedEnsemble(random_state=s), True, corpus),
        "MEA as in the paper (response input, 10 components, raw scores), corpus groups": (
            lambda s: _edrl_mea(s, mea={"response": "input", "n_components": 10,
                                    "normalize": False}), True, corpus),
        "input_noise=0.9, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"input_noise": 0.9}), True, corpus),
        "EDRL n_components=8, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"n_components": 8}), True, corpus),
        "EDRL linear (hidden_layer_sizes=()), corpus groups": (
            lambda s: _edrl_mea(s, edrl={"hidden_layer_sizes": ()}), True, corpus),
        "EDRL n_components=64, corpus groups": (
            lambda s: _edrl_mea(s, edrl={"n_components": 64}), True, corpus),
        "MEA 10 components, raw super scores, corpus groups": (
            lambda s: _edrl_mea(s, mea={"n_components": 10, "normalize": False}), True, corpus),
        "classifier SVC(class_weight='balanced'), corpus groups": (
            lambda s: _edrl_mea(s, clf=SVC(class_weight="balanced")), True, corpus),
        "MEA normalize=False (raw super scores), corpus groups": (
            lambda s: _edrl_mea(s, mea={"normalize": False}), True, corpus),
        "MEA response input+labels, corpus groups": (
            lambda s: _edrl_mea(s, mea={"response": "input+labels"}), True, corpus),
        "intra only (+ input block), corpus groups": (
            lambda s: _edrl_mea(s, keep=("intra", "input")), True, corpus),
        "no MEA (EDRL+SVC), corpus groups": (
            lambda s: Pipeline([("edrl", EDRLTransformer(random_state=s)), ("svc", SVC())],
                               memory=MEMORY["folder"]),
            True, corpus),
        "no EDRL (MEA+SVC, MEA defaults)": (
            lambda s: Pipeline([("mea", MEATransformer()), ("svc", SVC())]), False, None),
    }


def evaluate(models, data, group_params=None):
    if PROTOCOL["name"] == "multi":
        rows = rs.multi_source_cells(models, data, group_params=group_params)
    else:
        rows = rs.cross_corpus_cells(models, data, group_params=group_params)
        rows += rs.within_corpus_cells(models, data, group_params=group_params)
    return rs.results_table(rows).drop(index=("mean", "all cells"))


def summaries(cells, baselines):
    """Per column of ``cells``: mean, ratio to the best baseline, worst cell, worst target
    corpus (multi-source) or cross-corpus mean (single-source), clean mean, 0 dB mean."""
    best = max(rs.BASELINES, key=lambda b: baselines[b].mean())
    best_per_cell = baselines[list(rs.BASELINES)].max(axis=1)
    setting = cells.index.get_level_values("setting")
    condition = cells.index.get_level_values("condition")
    best_per_target = (baselines[list(rs.BASELINES)].groupby(level="setting").mean()
                       .max(axis=1))
    out = {}
    for column in cells.columns:
        per_target = ()
        if PROTOCOL["name"] == "multi":
            targets = cells[column].groupby(level="setting", sort=False).mean()
            fourth = 100 * (targets - best_per_target[targets.index]).min()
            per_target = tuple(100 * targets)
        else:
            fourth = 100 * cells[column][setting.isin(CROSS)].mean()
        out[column] = (
            100 * cells[column].mean(),
            cells[column].mean() / baselines[best].mean(),
            100 * (cells[column] - best_per_cell).min(),
            fourth,
            100 * cells[column][condition == "clean"].mean(),
            100 * cells[column][condition == "0 dB"].mean(),
        ) + per_target
    return out


def run(data, seeds, only=None):
    """Markdown rows (one per variant) and the baselines' own row."""
    baselines = evaluate({k: v for k, v in rs.pipelines().items() if k in rs.BASELINES}, data)
    rows = []
    for name, stats in summaries(baselines, baselines).items():
        rows.append((f"baseline {name}", [stats]))
    chosen = multi_variants() if PROTOCOL["name"] == "multi" else variants()
    for name, (factory, uses_edrl, group_param) in chosen.items():
        if only and not any(word in name for word in only):
            continue
        start = time.perf_counter()
        run_seeds = seeds if uses_edrl else seeds[:1]
        models = {f"{name} [{s}]": factory(s) for s in run_seeds}
        params = {k: group_param for k in models} if group_param else None
        stats = list(summaries(evaluate(models, data, params), baselines).values())
        rows.append((name, stats))
        print(f"{name}: {np.mean([s[0] for s in stats]):.1f} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    return rows


def markdown(rows, feature_set, n_seeds, targets=None):
    def cell(values, fmt):
        values = np.asarray(values)
        if len(values) == 1:
            return fmt.format(values[0])
        spread = fmt.replace("+", "")
        return (fmt + " ± " + spread).format(values.mean(), values.std(ddof=1))

    multi = PROTOCOL["name"] == "multi"
    targets = [f"-> {t}" for t in (targets or ())] if multi else []
    lines = [
        f"### Ablations ({PROTOCOL['name']}-source protocol), feature set `{feature_set}`",
        "",
        f"Mean ± standard deviation over {n_seeds} EDRL seeds (one run for variants without "
        "EDRL). Worst cell: lowest difference to the best baseline of that cell."
        + (" `-> corpus`: mean UAR of that held-out corpus over its 5 conditions."
           if targets else ""),
        "",
        "| variant | mean UAR | / best baseline | worst cell | "
        + ("worst target corpus" if multi else "cross-corpus")
        + " | clean | 0 dB |" + "".join(f" {t} |" for t in targets),
        "|---|---|---|---|---|---|---|" + "---|" * len(targets),
    ]
    fourth = "{:+.1f}" if multi else "{:.1f}"
    for name, stats in rows:
        columns = list(zip(*stats))
        lines.append(
            f"| {name} | {cell(columns[0], '{:.1f}')} | {cell(columns[1], '{:.3f}')} | "
            f"{cell(columns[2], '{:+.1f}')} | {cell(columns[3], fourth)} | "
            f"{cell(columns[4], '{:.1f}')} | {cell(columns[5], '{:.1f}')} |"
            + "".join(f" {cell(c, '{:.1f}')} |" for c in columns[6:6 + len(targets)])
        )
    return "\n".join(lines + [""])


def main(argv=None):
    parser = rs.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(5)))
    parser.add_argument("--protocol", choices=("multi", "single"), default="multi",
                        help="multi-source leave-one-corpus-out, or single-source")
    parser.add_argument("--only", nargs="+", default=None,
                        help="run only the variants whose name contains one of these words")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # small networks: one thread is faster on a busy machine

    PROTOCOL["name"] = args.protocol
    corpora = None if args.protocol == "multi" else rs.SINGLE_SOURCE

    def section(data, feature_set):
        MEMORY["folder"] = str(args.memory or tempfile.mkdtemp(prefix="robust_ser_ablations-"))
        rows = run(data, args.seeds, args.only)
        if args.memory is None:
            shutil.rmtree(MEMORY["folder"], ignore_errors=True)
        return markdown(rows, feature_set, len(args.seeds), list(data))

    rs.write_sections(args, "robust_ser_ablations.py", argv, section, corpora=corpora)


if __name__ == "__main__":
    main()
