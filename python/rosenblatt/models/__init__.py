"""Model families, one file each, built from ``rosenblatt.nn`` and ``rosenblatt.functional``."""

from rosenblatt.models.attention import Attention, AttentionPooling
from rosenblatt.models.charlm import CharLM
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
from rosenblatt.models.hierarchical_attention import HierarchicalAttentionNetwork
from rosenblatt.models.logistic import LogisticRegression
from rosenblatt.models.mlp import MLPClassifier, MLPRegressor
from rosenblatt.models.perceptron import Perceptron
from rosenblatt.models.seq2seq import Seq2Seq

__all__ = [
    "BasicBlock", "ImageClassifier", "InceptionModule", "LeNet5", "ResNet", "SqueezeExcitation", "VGG",
    "to_fully_convolutional",
    "LogisticRegression", "MLPClassifier", "MLPRegressor", "Perceptron"]
__all__ += ["Attention", "AttentionPooling", "CharLM", "HierarchicalAttentionNetwork", "Seq2Seq"]
from rosenblatt.models.gpt import GPT
from rosenblatt.models.mlm import MaskedLanguageModel
from rosenblatt.models.transformer import Seq2SeqTransformer

__all__ += ["GPT", "MaskedLanguageModel", "Seq2SeqTransformer"]
