"""Placeholder: MEATransformer is being written."""
from sklearn.base import BaseEstimator, TransformerMixin


class MEATransformer(TransformerMixin, BaseEstimator):
    pass
