"""Model families, one file each, built from ``rosenblatt.nn`` and ``rosenblatt.functional``."""

from rosenblatt.models.cnn import (
    VGG,
    BasicBlock,
    ImageClassifier,
    InceptionModule,
    LeNet5,
    ResNet,
    SqueezeExcitation,
    to_fully_convolutional,
)
from rosenblatt.models.logistic import LogisticRegression
from rosenblatt.models.mlp import MLPClassifier, MLPRegressor
from rosenblatt.models.perceptron import Perceptron

__all__ = [
    "BasicBlock", "ImageClassifier", "InceptionModule", "LeNet5", "ResNet", "SqueezeExcitation", "VGG",
    "to_fully_convolutional",
    "LogisticRegression", "MLPClassifier", "MLPRegressor", "Perceptron"]
