"""Neural-network building blocks (``rb.nn``) with PyTorch's names, arguments and layouts.

Module, Parameter, containers (Sequential, ModuleList, ModuleDict), layers
(Linear, Identity, Flatten, activations, Dropout, BatchNorm1d, BatchNorm2d,
LayerNorm, Embedding),
initialization (``rb.nn.init``) and gradient clipping (``rb.nn.utils``).
"""

from rosenblatt.nn import init, prune, utils
from rosenblatt.nn.activation import (
    ELU,
    GELU,
    SELU,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from rosenblatt.nn.attention import MultiheadAttention
from rosenblatt.nn.containers import ModuleDict, ModuleList, Sequential
from rosenblatt.nn.conv import Conv1d, Conv2d, ConvTranspose2d
from rosenblatt.nn.dropout import Dropout, Dropout2d
from rosenblatt.nn.linear import Flatten, Identity, Linear
from rosenblatt.nn.lora import LoRALinear, apply_lora, count_parameters, merge_lora, unmerge_lora
from rosenblatt.nn.module import Module
from rosenblatt.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from rosenblatt.nn.parameter import Parameter
from rosenblatt.nn.pooling import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from rosenblatt.nn.prompt import PromptTuned, SoftPrompt
from rosenblatt.nn.quantized import QuantizedLinear, quantize_linear_layers
from rosenblatt.nn.sparse import Embedding
from rosenblatt.nn.positional import LearnedPositionalEmbedding, PositionalEncoding
from rosenblatt.nn.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from rosenblatt.nn.upsampling import Upsample
from rosenblatt.nn.rnn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LeakyRNN,
    LSTMCell,
    PeepholeLSTM,
    RNNCell,
)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "Conv1d", "Conv2d", "ConvTranspose2d",
    "Dropout2d", "MaxPool1d", "MaxPool2d", "Upsample",
    "ELU", "GELU", "SELU", "BatchNorm1d", "BatchNorm2d", "Dropout", "Embedding", "Flatten", "Identity", "LayerNorm",
    "LeakyReLU", "Linear", "LogSoftmax", "Maxout", "Module", "ModuleDict", "ModuleList",
    "PReLU", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Softplus", "Tanh",
    "init", "utils",
    "LoRALinear", "PromptTuned", "QuantizedLinear", "SoftPrompt", "apply_lora",
    "count_parameters", "merge_lora", "prune", "quantize_linear_layers", "unmerge_lora",
    "LearnedPositionalEmbedding", "MultiheadAttention", "PositionalEncoding", "Transformer",
    "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
    "TransformerEncoderLayer",
    "GRU", "GRUCell", "LSTM", "LSTMCell", "LeakyRNN", "PeepholeLSTM", "RNN", "RNNCell",
]
