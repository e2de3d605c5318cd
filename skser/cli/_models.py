"""The models that the command compares: two baselines and the EDRL-MEA pipeline."""

from __future__ import annotations

MODEL_LABELS = {"svc": "SVC", "pca-svc": "PCA+SVC", "edrl-mea": "EDRL-MEA"}


def make_model(name, *, random_state=0, quick=False):
    """Return the unfitted pipeline of a model name.

    Parameters
    ----------
    name : {"svc", "pca-svc", "edrl-mea"}
        ``"svc"``: standardisation and an RBF SVC; ``"pca-svc"``: standardisation, PCA keeping
        95 % of the variance and the SVC; ``"edrl-mea"``: the default EDRL-MEA pipeline
        ``EDRLTransformer -> MEATransformer -> SVC`` with the estimators' default parameters
        (with ``quick``, fewer EDRL epochs). Every SVC uses ``class_weight="balanced"``, the
        usual choice when models are selected by UAR.
    random_state : int, default=0
        Seed of the random parts (EDRL training).
    quick : bool, default=False
        Shorter EDRL training (for demos and tests).

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    svc = SVC(C=1.0, class_weight="balanced")
    if name == "svc":
        return Pipeline([("scale", StandardScaler()), ("svc", svc)])
    if name == "pca-svc":
        return Pipeline([
            ("scale", StandardScaler()),
            ("pca", PCA(n_components=0.95, svd_solver="full")),
            ("svc", svc),
        ])
    if name == "edrl-mea":
        from skser import EDRLTransformer, MEATransformer

        edrl = EDRLTransformer(random_state=random_state)
        if quick:
            edrl.set_params(max_epochs=40)
        return Pipeline([("edrl", edrl), ("mea", MEATransformer()), ("svc", svc)])
    raise ValueError(f"unknown model {name!r}; use one of {sorted(MODEL_LABELS)}")
