"""Model files that cannot run code when loaded: :func:`save_model` and :func:`load_model`.

A pickle (``joblib.dump``) rebuilds objects by calling functions named in the file, so opening a
model file from someone else runs whatever they put in it. skser's model files are instead

* a ZIP archive holding ``skser-model.json`` (format, library versions, the caller's metadata and
  a SHA-256 checksum) and ``model.skops``;
* ``model.skops`` is written by :mod:`skops.io`, which stores objects as data (class names,
  attribute values, ``.npy`` arrays without pickles) and, when loading, refuses every class that
  is not on an explicit list of trusted types;
* torch modules (the encoders and decoders of :class:`~skser.EDRLTransformer`) are stored as
  their layer list and CPU weights (numpy arrays) and rebuilt layer by layer, so a model
  trained on a GPU loads on a machine without one.

A legacy pickle (the format of skser 0.1's ``skser fit``) loads only when the caller opts in
(``trusted_pickle=True``; ``skser predict --trust-pickle``), with a warning.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import warnings
import zipfile
from pathlib import Path

__all__ = ["save_model", "load_model", "UntrustedModelError"]

FORMAT = "skser-model-2"
_HEADER = "skser-model.json"
_PAYLOAD = "model.skops"
_SPEC_KEY = "skser_torch_module"

# Classes of skser (and the helpers of this module) that a model file may hold, beyond the
# scikit-learn, numpy and builtin types that skops trusts by default. Nothing outside this
# list (and the caller's ``trusted``) is ever instantiated from a file.
TRUSTED_TYPES = (
    "skser._edrl.EDRLTransformer",
    "skser._mea.MEATransformer",
    "skser.preprocessing.GroupStandardScaler",
    "skser._mbpls.SufficientStatistics",
    "skser._mbpls.Moments",
    "skser._semisupervised.LabelledOnly",
    "skser._mbpls.KernelPLSResult",
    "skser._layout.BlockLayout",
    "skser._persistence.TorchModuleState",
    "skser.features._acoustic.AcousticFeatures",
    "skser.model_selection._split.LeaveOneCorpusOut",
    "skser.model_selection._split.CorpusSplit",
    # private parts of scikit-learn's CalibratedClassifierCV ('skser fit' stores one)
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    # what a fitted GridSearchCV holds: skser's scores, scikit-learn's scorer objects and
    # the usual splitters (plain classes holding parameters; skops trusts estimators only)
    "skser.metrics.uar_score",
    "skser.metrics.wa_score",
    "skser.metrics.macro_f1_score",
    "skser.metrics.ccc_score",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.model_selection._split.KFold",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.GroupKFold",
    "sklearn.model_selection._split.StratifiedGroupKFold",
    "sklearn.model_selection._split.LeaveOneGroupOut",
    "sklearn.model_selection._split.ShuffleSplit",
    "sklearn.model_selection._split.StratifiedShuffleSplit",
    "sklearn.model_selection._split.GroupShuffleSplit",
)

# Layers that a stored torch module may use: rebuilt from their sizes, never from code.
_LAYERS = ("Linear", "ReLU", "Tanh", "Sigmoid", "GELU", "LeakyReLU", "ELU", "Identity", "Dropout")


class UntrustedModelError(ValueError):
    """A model file that skser refuses to load (unknown types, a pickle, a bad checksum).

    The message names the file and what was found in it.
    """


class TorchModuleState:
    """A torch ``nn.Sequential`` as data: its layers and CPU weights (numpy arrays).

    What a model file holds in place of a torch module; :func:`load_model` turns it back into
    the module. It has no behaviour of its own (``parameters()`` is empty, so code that moves
    modules to the CPU before pickling leaves it alone).

    Parameters
    ----------
    layers : list of list
        ``["Linear", in_features, out_features, has_bias]`` or ``[name]`` per layer.
    weights : dict of str to ndarray
        The module's ``state_dict`` as float arrays.
    """

    def __init__(self, layers, weights):
        self.layers = layers
        self.weights = weights

    def parameters(self):
        return iter(())

    @classmethod
    def from_module(cls, module):
        """Describe ``module`` (an ``nn.Sequential`` of known layers)."""
        from torch import nn

        if not isinstance(module, nn.Sequential):
            raise TypeError(
                f"cannot save a torch module of type {type(module).__name__} in a skser model "
                f"file; only nn.Sequential stacks of {', '.join(_LAYERS)} are supported"
            )
        layers = []
        for layer in module:
            name = type(layer).__name__
            if name not in _LAYERS or type(layer).__module__.split(".")[0] != "torch":
                raise TypeError(
                    f"cannot save the torch layer {type(layer).__module__}.{name} in a skser "
                    f"model file; supported layers: {', '.join(_LAYERS)}"
                )
            if name == "Linear":
                layers.append([name, int(layer.in_features), int(layer.out_features),
                               layer.bias is not None])
            else:
                layers.append([name])
        weights = {k: v.detach().cpu().numpy().copy() for k, v in module.state_dict().items()}
        return cls(layers, weights)

    def to_module(self):
        """Rebuild the ``nn.Sequential`` on the CPU (no torch random draws)."""
        import numpy as np
        import torch
        from torch import nn

        layers = []
        for spec in self.layers:
            name = spec[0] if isinstance(spec, list | tuple) and spec else None
            if name not in _LAYERS:
                raise UntrustedModelError(f"unknown torch layer {name!r} in the model file")
            if name == "Linear":
                _, n_in, n_out, bias = spec
                layers.append(torch.nn.utils.skip_init(nn.Linear, int(n_in), int(n_out),
                                                       bias=bool(bias)))
            else:
                layers.append(getattr(nn, name)())
        module = nn.Sequential(*layers)
        state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in self.weights.items()}
        module.load_state_dict(state, strict=True)
        return module.eval()


# --------------------------------------------------------------------------------------------
# Object graph: torch modules out (saving) and back in (loading)
# --------------------------------------------------------------------------------------------


def _is_module(obj):
    torch = sys.modules.get("torch")  # no torch imported: the model holds no torch module
    return torch is not None and isinstance(obj, torch.nn.Module)


def _strip_modules(obj, memo):
    """``obj`` with every torch module replaced by a :class:`TorchModuleState`.

    Objects are copied (shallowly) only on the way to a module, so the caller's model is never
    changed and a model without torch modules is saved as it is.
    """
    key = id(obj)
    if key in memo:
        return memo[key]
    out = obj
    if _is_module(obj):
        out = TorchModuleState.from_module(obj)
    elif isinstance(obj, list | tuple):
        items = [_strip_modules(v, memo) for v in obj]
        if any(a is not b for a, b in zip(items, obj)):
            out = type(obj)(items) if isinstance(obj, list) else tuple(items)
    elif isinstance(obj, dict):
        items = {k: _strip_modules(v, memo) for k, v in obj.items()}
        if any(items[k] is not obj[k] for k in obj):
            out = items
    elif hasattr(obj, "__dict__") and not isinstance(obj, type) and _is_estimator(obj):
        state = vars(obj)
        items = {k: _strip_modules(v, memo) for k, v in state.items()}
        if any(items[k] is not state[k] for k in state):
            out = copy.copy(obj)
            vars(out).update(items)
    memo[key] = out
    return out


def _is_estimator(obj):
    from sklearn.base import BaseEstimator

    return isinstance(obj, BaseEstimator)


def _restore_modules(obj, seen):
    """Replace, in place, every :class:`TorchModuleState` of a loaded model by its module."""
    if id(obj) in seen:
        return obj
    seen.add(id(obj))
    if isinstance(obj, TorchModuleState):
        return obj.to_module()
    if isinstance(obj, list):
        obj[:] = [_restore_modules(v, seen) for v in obj]
    elif isinstance(obj, tuple):
        return tuple(_restore_modules(v, seen) for v in obj)
    elif isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _restore_modules(obj[k], seen)
    elif hasattr(obj, "__dict__") and _is_estimator(obj):
        for k, v in list(vars(obj).items()):
            new = _restore_modules(v, seen)
            if new is not v:
                setattr(obj, k, new)
    return obj


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _versions():
    import numpy
    import sklearn
    import skops

    from skser import __version__

    out = {"skser": __version__, "python": sys.version.split()[0], "numpy": numpy.__version__,
           "scikit-learn": sklearn.__version__, "skops": skops.__version__}
    if "torch" in sys.modules:
        out["torch"] = sys.modules["torch"].__version__
    return out


def _checksum(payload, header):
    body = json.dumps({k: v for k, v in header.items() if k != "sha256"}, sort_keys=True)
    return hashlib.sha256(payload + body.encode("utf-8")).hexdigest()


def _import_skops():
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise ImportError(
            "skser model files need the 'skops' package; install it with `pip install skops`"
        ) from exc
    return sio


def _refused(found, trusted=()):
    """The types among ``found`` that neither skser nor the caller's ``trusted`` trusts."""
    return sorted(set(found) - set(TRUSTED_TYPES) - {str(t) for t in trusted})


def _warn_untrusted(sio, payload, path):
    """Say at save time what ``load_model`` will refuse without ``trusted=``."""
    refused = _refused(sio.get_untrusted_types(data=payload))
    if refused:
        warnings.warn(
            f"{path}: the model holds types that load_model trusts only when named: "
            f"{', '.join(refused)}. Load it with load_model(..., trusted=[...]) and these "
            "names, or save the fitted estimator alone (e.g. a search's best_estimator_).",
            UserWarning, stacklevel=3)


def save_model(model, path, *, metadata=None):
    """Save a fitted model to a file that cannot run code when it is loaded.

    The file is a ZIP archive: the model as :mod:`skops.io` data (no pickle), torch modules as
    their layers and CPU weights, and a JSON header with the library versions, ``metadata``
    and a SHA-256 checksum. It is written to ``<path>.tmp`` and renamed into place, so an
    interrupted save never leaves a half-written model under ``path``.

    Parameters
    ----------
    model : estimator
        A (fitted) scikit-learn estimator or pipeline built from scikit-learn and skser
        classes, e.g. ``Pipeline([EDRLTransformer(), MEATransformer(), SVC()])``.
    path : str or path-like
        Output file (conventionally ``*.skser``). Its folder must exist.
    metadata : dict, default=None
        JSON-serialisable information stored next to the model (feature settings, class
        names, training data...); returned by ``load_model(path, return_metadata=True)``.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If ``metadata`` is not JSON-serialisable, or the model holds a torch module that is
        not a stack of standard layers.
    FileNotFoundError
        If the folder of ``path`` does not exist.

    Warns
    -----
    UserWarning
        If the model holds types (a user's own classes, say) that :func:`load_model` loads
        only when they are named in its ``trusted`` argument; the warning names them.

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from skser import save_model, load_model
    >>> X, y = load_iris(return_X_y=True)
    >>> model = SVC().fit(X, y)
    >>> path = save_model(model, os.path.join(tempfile.mkdtemp(), "iris.skser"),
    ...                   metadata={"classes": [0, 1, 2]})
    >>> loaded, meta = load_model(path, return_metadata=True)
    >>> bool((loaded.predict(X) == model.predict(X)).all()), meta["classes"]
    (True, [0, 1, 2])
    """
    sio = _import_skops()
    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot save the model to {path}: folder {path.parent} "
                                "does not exist")
    metadata = {} if metadata is None else metadata
    try:
        json.dumps(metadata)
    except TypeError as exc:
        raise TypeError(f"metadata must be JSON-serialisable (str, numbers, lists, dicts): "
                        f"{exc}") from None
    payload = sio.dumps(_strip_modules(model, {}))
    _warn_untrusted(sio, payload, path)
    header = {"format": FORMAT, "versions": _versions(), "metadata": metadata,
              "model_type": f"{type(model).__module__}.{type(model).__qualname__}"}
    header["sha256"] = _checksum(payload, header)
    tmp = Path(f"{path}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_HEADER, json.dumps(header, indent=2, sort_keys=True))
        zf.writestr(_PAYLOAD, payload)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _read_archive(path):
    """``(header, payload)`` of a skser model file, after checking format and checksum."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if not {_HEADER, _PAYLOAD} <= names:
                raise UntrustedModelError(
                    f"{path} is a ZIP archive but not a skser model file (no {_HEADER})"
                )
            header = json.loads(zf.read(_HEADER).decode("utf-8"))
            payload = zf.read(_PAYLOAD)
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, UntrustedModelError):
            raise
        raise UntrustedModelError(f"{path} is a damaged skser model file: {exc}") from None
    found = header.get("format") if isinstance(header, dict) else None
    if found != FORMAT:
        raise UntrustedModelError(f"{path} has model format {found!r}; this skser reads "
                                  f"{FORMAT!r}")
    if _checksum(payload, header) != header.get("sha256"):
        raise UntrustedModelError(
            f"the checksum of {path} does not match its content: the file was changed or "
            "damaged after it was saved; save the model again"
        )
    return header, payload


def _looks_like_pickle(path):
    with open(path, "rb") as fh:
        head = fh.read(2)
    # Pickle protocol 2+ starts with 0x80; joblib compresses with zlib (0x78), gzip (0x1f8b),
    # bz2 ("BZ"), xz (0xfd) or lzma.
    return head[:1] in (b"\x80", b"\x78", b"\xfd", b"\x5d") or head in (b"\x1f\x8b", b"BZ")


def load_model(path, *, trusted=(), trusted_pickle=False, return_metadata=False):
    """Load a model saved by :func:`save_model` (or ``skser fit``) without running its code.

    Parameters
    ----------
    path : str or path-like
        A model file.
    trusted : sequence of str, default=()
        Extra class names (``"module.Class"``) to allow, for models that hold classes outside
        scikit-learn and skser (e.g. your own transformer). Check them before you add them:
        loading a class runs its code.
    trusted_pickle : bool, default=False
        Also load a legacy pickle (joblib) model file, the format of skser 0.1. A pickle runs
        any code its author put in it: set this only for files from a source you trust.
    return_metadata : bool, default=False
        Also return the ``metadata`` given to :func:`save_model`.

    Returns
    -------
    model : estimator
        The fitted model; torch modules are rebuilt on the CPU.
    metadata : dict
        Only with ``return_metadata``; it also holds the library versions the model was saved
        with under ``"versions"`` (an empty dict for a legacy pickle).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UntrustedModelError
        (a ValueError) If the file is a pickle and ``trusted_pickle`` is False, is damaged, its
        checksum does not match, or it holds types that are not trusted (they are named).

    Warns
    -----
    UserWarning
        When a legacy pickle is loaded with ``trusted_pickle=True``.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skser import save_model, load_model
    >>> X, y = load_iris(return_X_y=True)
    >>> path = save_model(LogisticRegression(max_iter=500).fit(X, y),
    ...                   os.path.join(tempfile.mkdtemp(), "m.skser"))
    >>> load_model(path).predict(X[:3])
    array([0, 0, 0])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist")
    if not zipfile.is_zipfile(path):
        if not _looks_like_pickle(path):
            raise UntrustedModelError(f"{path} is not a skser model file")
        if not trusted_pickle:
            raise UntrustedModelError(
                f"{path} is a pickle file (the model format of skser 0.1). Loading a pickle "
                "runs any code its author put in it, so skser does not load it by default. If "
                "you trust where the file comes from, load it with trusted_pickle=True "
                "('skser predict --trust-pickle') and save it again with save_model "
                "('skser fit') to get a safe model file."
            )
        import joblib

        warnings.warn(
            f"loading the pickle file {path}: this runs any code it holds; save the model "
            "again with skser.save_model to get a file that cannot",
            UserWarning,
            stacklevel=2,
        )
        model = joblib.load(path)
        meta = {}
        if isinstance(model, dict) and "pipeline" in model:  # a 'skser fit' bundle of 0.1
            meta = {k: v for k, v in model.items() if k != "pipeline"}
            model = model["pipeline"]
        return (model, meta) if return_metadata else model

    sio = _import_skops()
    header, payload = _read_archive(path)
    try:
        found = sio.get_untrusted_types(data=payload)
    except Exception as exc:  # noqa: BLE001 - a damaged payload; the checksum passed
        raise UntrustedModelError(f"{path}: cannot read the stored model: {exc}") from None
    refused = _refused(found, trusted)
    if refused:
        raise UntrustedModelError(
            f"{path} holds types that skser does not trust: {', '.join(refused)}. If you know "
            "and trust them (loading a class runs its code), pass "
            "load_model(..., trusted=[...]) with these names."
        )
    model = sio.loads(payload, trusted=sorted(set(found)))
    model = _restore_modules(model, set())
    if return_metadata:
        meta = dict(header.get("metadata") or {})
        meta.setdefault("versions", header.get("versions", {}))
        return model, meta
    return model
