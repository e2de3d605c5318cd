"""Utilities: estimator discovery."""

from ._discovery import all_estimators

__all__ = ["all_estimators"]
