// 2-D pooling, forward and backward: max (with argmax indices), average and
// adaptive average. Defined in cpu/pool.cpp, once per ISA.
//
// Buffers are C-contiguous; x (P, H, W) and y (P, Ho, Wo) hold P = N C planes
// pooled independently. Window (oh, ow) covers input rows
// oh sh - ph + i dh (i < kh) and columns ow sw - pw + j dw (j < kw); only
// pixels inside [0, H) x [0, W) take part (the output sizes, PyTorch's, keep
// every window overlapping the input).
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

struct Pool2dShape {
  int64_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
};

}  // namespace rb::cpu

#define RB_POOL_DECLS                                                                     \
  /* y = the window maximum (NaN wins, a later NaN over an earlier one, as PyTorch);      \
     indices = its h W + w within the plane. */                                           \
  template <class T>                                                                      \
  void max_pool2d_forward(const ::rb::cpu::Pool2dShape& s, const T* x, T* y,              \
                          int64_t* indices);                                              \
  /* dx[p, indices[p, o]] += dy[p, o]; dx overwritten. indices must be in [0, H W). */    \
  template <class T>                                                                      \
  void max_pool2d_backward(const ::rb::cpu::Pool2dShape& s, const T* dy,                  \
                           const int64_t* indices, T* dx);                                \
  /* y = window sum / divisor: divisor_override when > 0, else the window clipped to the  \
     padded input (count_include_pad) or to the input. Dilation must be 1. */             \
  template <class T>                                                                      \
  void avg_pool2d_forward(const ::rb::cpu::Pool2dShape& s, bool count_include_pad,        \
                          int64_t divisor_override, const T* x, T* y);                    \
  /* dx[window] += dy / divisor; dx overwritten. */                                       \
  template <class T>                                                                      \
  void avg_pool2d_backward(const ::rb::cpu::Pool2dShape& s, bool count_include_pad,       \
                           int64_t divisor_override, const T* dy, T* dx);                 \
  /* Adaptive windows: rows floor(oh H / Ho) .. ceil((oh + 1) H / Ho), likewise columns;  \
     y = their mean (only planes, in/out sizes of s are read). */                         \
  template <class T>                                                                      \
  void adaptive_avg_pool2d_forward(const ::rb::cpu::Pool2dShape& s, const T* x, T* y);    \
  template <class T>                                                                      \
  void adaptive_avg_pool2d_backward(const ::rb::cpu::Pool2dShape& s, const T* dy, T* dx);

RB_DECLARE_FOR_EACH_ISA(RB_POOL_DECLS)

#undef RB_POOL_DECLS
