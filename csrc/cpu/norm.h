// Normalization kernels: batch norm per channel of (N, C, S) arrays and layer
// norm per row of (M, K) arrays, forward and backward. Defined in
// cpu/norm.cpp, once per ISA. All arrays are C-contiguous.
#pragma once

#include <cstdint>

#include "common/simd.h"

#define RB_NORM_DECLS                                                                        \
  /* x (N, C, S) -> mean (C,), var (C,): the biased statistics of each channel. */          \
  template <class T>                                                                         \
  void batch_norm_stats(const T* x, int64_t n, int64_t c, int64_t s, T* mean, T* var);       \
  /* y = (x - mean[c]) * invstd[c] * weight[c] + bias[c]; weight, bias may be null. */       \
  template <class T>                                                                         \
  void batch_norm_forward(const T* x, int64_t n, int64_t c, int64_t s, const T* mean,        \
                          const T* invstd, const T* weight, const T* bias, T* y);            \
  /* dweight, dbias (C,) and dx (N, C, S) of batch_norm_forward; see norm.cpp. */            \
  template <class T>                                                                         \
  void batch_norm_backward(const T* g, const T* x, int64_t n, int64_t c, int64_t s,          \
                           const T* mean, const T* invstd, const T* weight, bool training,   \
                           T* dx, T* dweight, T* dbias);                                     \
  /* y = (x - mean_r) * rstd_r * weight + bias per row r of x (M, K); writes mean, rstd. */  \
  template <class T>                                                                         \
  void layer_norm_forward(const T* x, int64_t m, int64_t k, const T* weight, const T* bias,  \
                          T eps, T* y, T* mean, T* rstd);                                    \
  /* dx (M, K), dweight, dbias (K,) of layer_norm_forward; any output may be null. */        \
  template <class T>                                                                         \
  void layer_norm_backward(const T* g, const T* x, int64_t m, int64_t k, const T* mean,      \
                           const T* rstd, const T* weight, T* dx, T* dweight, T* dbias);

RB_DECLARE_FOR_EACH_ISA(RB_NORM_DECLS)

#undef RB_NORM_DECLS
