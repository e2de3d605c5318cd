"""Find every public estimator of skser, so that common tests need no hand-kept list."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

# Subpackages that need optional dependencies or only hold plotting and command-line code.
_SKIP_MODULES = ("skser.plotting", "skser.cli")


def all_estimators():
    """Return ``(name, class)`` for every public estimator, sorted by name.

    A class counts when it derives from :class:`sklearn.base.BaseEstimator` and is exported in
    the ``__all__`` of ``skser`` or of one of its public subpackages.

    Examples
    --------
    >>> from skser.utils import all_estimators
    >>> "MEATransformer" in dict(all_estimators())
    True
    """
    import skser

    found = {}
    modules = [skser]
    for info in pkgutil.walk_packages(skser.__path__, prefix="skser."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts) or info.name.startswith(_SKIP_MODULES):
            continue
        modules.append(importlib.import_module(info.name))
    for module in modules:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator) and not name.startswith("_"):
                found[name] = obj
    return sorted(found.items())
