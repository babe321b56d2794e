"""The kernel API: rosenblatt's native kernels on NumPy arrays.

Every function takes float32 or float64 ``numpy.ndarray`` arguments, checks
them before touching memory (a bad argument raises ValueError or TypeError
naming it), releases the GIL while the kernel runs, and uses
``rosenblatt.get_num_threads()`` threads.

- GEMM: :func:`gemm`, :func:`batched_gemm`
- Softmax family: :func:`softmax`, :func:`log_softmax`, :func:`cross_entropy`
- Fused in-place optimizer steps: :func:`sgd_`, :func:`adagrad_`,
  :func:`adadelta_`, :func:`rmsprop_`, :func:`adam_`, :func:`adamw_`
- Distances and kernels between point sets: :func:`pairwise_distances`,
  :func:`kneighbors`, :func:`kernel_matrix`
- SVM: :func:`smo_solve` (the soft-margin dual by SMO)
- k-means: :func:`kmeans_lloyd` (Lloyd's iterations in one native call)
- Convolution: :func:`conv2d`, :func:`conv2d_backward`, :func:`conv2d_input_grad`,
  :func:`conv2d_weight_grad`
- Pooling: :func:`max_pool2d`, :func:`avg_pool2d`, :func:`adaptive_avg_pool2d` and
  their ``*_backward``
- Normalization: :func:`batch_norm_forward`, :func:`batch_norm_backward`,
  :func:`layer_norm_forward`, :func:`layer_norm_backward`
- Recurrent sequences: :func:`rnn_forward`, :func:`rnn_backward` (fused LSTM / GRU / RNN
  layer over a whole sequence, backpropagation through time)
- Attention: :func:`attention_forward`, :func:`attention_backward` (flash-style scaled
  dot-product attention, online softmax, no T x T matrix)
"""

from rosenblatt.kernels.conv import (
    conv2d,
    conv2d_backward,
    conv2d_input_grad,
    conv2d_weight_grad,
)
from rosenblatt.kernels.attention import attention_backward, attention_forward
from rosenblatt.kernels.distance import kernel_matrix, kneighbors, pairwise_distances
from rosenblatt.kernels.kmeans import LloydResult, kmeans_lloyd
from rosenblatt.kernels.matmul import batched_gemm, gemm
from rosenblatt.kernels.norm import (
    batch_norm_backward,
    batch_norm_forward,
    layer_norm_backward,
    layer_norm_forward,
)
from rosenblatt.kernels.rnn import RnnForward, RnnGradients, rnn_backward, rnn_forward
from rosenblatt.kernels.optim import adadelta_, adagrad_, adam_, adamw_, rmsprop_, sgd_
from rosenblatt.kernels.pool import (
    adaptive_avg_pool2d,
    adaptive_avg_pool2d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    max_pool2d,
    max_pool2d_backward,
)
from rosenblatt.kernels.softmax_ops import cross_entropy, log_softmax, softmax
from rosenblatt.kernels.svm import SMOResult, smo_solve

__all__ = [
    "attention_backward",
    "attention_forward",
    "adadelta_",
    "adagrad_",
    "adam_",
    "adamw_",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool2d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm_backward",
    "batch_norm_forward",
    "batched_gemm",
    "conv2d",
    "conv2d_backward",
    "conv2d_input_grad",
    "conv2d_weight_grad",
    "cross_entropy",
    "gemm",
    "kernel_matrix",
    "kmeans_lloyd",
    "kneighbors",
    "layer_norm_backward",
    "layer_norm_forward",
    "LloydResult",
    "log_softmax",
    "max_pool2d",
    "max_pool2d_backward",
    "pairwise_distances",
    "rmsprop_",
    "rnn_backward",
    "rnn_forward",
    "RnnForward",
    "RnnGradients",
    "sgd_",
    "smo_solve",
    "SMOResult",
    "softmax",
]
