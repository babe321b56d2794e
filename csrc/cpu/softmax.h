// The softmax family: softmax, log-softmax and fused cross-entropy (loss and
// gradient in one pass per row). Defined in cpu/softmax.cpp, once per ISA.
//
// Softmax along an axis treats its input as a 3-D array (outer, n, inner):
// `n` is the length of the softmax axis, `outer` the product of the dimensions
// before it, `inner` the product of those after it. The input may be strided
// in the first two dimensions (strides in elements); the inner dimension is
// contiguous, and when inner == 1 the axis itself must be (x_axis_stride == 1).
// The output is C-contiguous (outer, n, inner).
#pragma once

#include <cstdint>

#include "common/simd.h"

#define RB_SOFTMAX_DECLS                                                              \
  /* y[o, j, i] = exp(x[o, j, i] - max_j x) / sum_j exp(x[o, j, i] - max_j x) */      \
  template <class T>                                                                  \
  void softmax(const T* x, int64_t x_outer_stride, int64_t x_axis_stride, T* y,       \
               int64_t outer, int64_t n, int64_t inner);                              \
  /* y[o, j, i] = x[o, j, i] - max_j x - log sum_j exp(x[o, j, i] - max_j x) */       \
  template <class T>                                                                  \
  void log_softmax(const T* x, int64_t x_outer_stride, int64_t x_axis_stride, T* y,   \
                   int64_t outer, int64_t n, int64_t inner);                          \
  /* Cross-entropy with label smoothing, loss and gradient fused; see softmax.cpp. */ \
  template <class T>                                                                  \
  double cross_entropy(const T* logits, int64_t logits_row_stride, const int64_t* labels, \
                       T* loss, T* grad, int64_t rows, int64_t classes,               \
                       T label_smoothing, int64_t ignore_index, T grad_scale);

RB_DECLARE_FOR_EACH_ISA(RB_SOFTMAX_DECLS)

#undef RB_SOFTMAX_DECLS
