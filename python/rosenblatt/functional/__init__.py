"""Differentiable ops on Tensors (``import rosenblatt.functional as F``).

Grouped like the kernels: elementwise, reduce, shape, linalg, activation,
loss, norm, dropout, regularization and embedding.
"""

from rosenblatt.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    maxout,
    prelu,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)
from rosenblatt.functional.distillation import distillation_loss
from rosenblatt.functional.attention import scaled_dot_product_attention
from rosenblatt.functional.conv import conv1d, conv2d, conv_transpose2d
from rosenblatt.functional.dropout import dropout, dropout2d
from rosenblatt.functional.embedding import embedding
from rosenblatt.functional.elementwise import (
    abs,
    add,
    clamp,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from rosenblatt.functional.linalg import linear, matmul
from rosenblatt.functional.norm import batch_norm, layer_norm
from rosenblatt.functional.recurrent import gru_cell, lstm_cell, rnn, rnn_cell, rnn_sequence
from rosenblatt.functional.pooling import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from rosenblatt.functional.reduce import logsumexp, max, mean, min, std, sum, var
from rosenblatt.functional.regularization import l1_penalty, l2_penalty
from rosenblatt.functional.shape import (
    cat,
    chunk,
    concat,
    expand,
    flatten,
    gather,
    pad,
    permute,
    reshape,
    scatter_add,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from rosenblatt.functional.upsampling import interpolate
from rosenblatt.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
)
