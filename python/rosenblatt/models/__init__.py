"""Model families, one file each, built from ``rosenblatt.nn`` and ``rosenblatt.functional``."""

from rosenblatt.models.logistic import LogisticRegression
from rosenblatt.models.mlp import MLPClassifier, MLPRegressor
from rosenblatt.models.perceptron import Perceptron

__all__ = ["LogisticRegression", "MLPClassifier", "MLPRegressor", "Perceptron"]
