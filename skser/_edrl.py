"""Placeholder: EDRLTransformer is being written."""
from sklearn.base import BaseEstimator, TransformerMixin


class EDRLTransformer(TransformerMixin, BaseEstimator):
    pass
