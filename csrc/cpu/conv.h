// 2-D convolution by im2col + our GEMM: forward, input gradient (col2im) and
// weight/bias gradient. Defined in cpu/conv.cpp, once per ISA.
//
// Buffers are C-contiguous, with G = groups, Cg = C / G, Og = O / G:
//   x (N, C, H, W)   weight (O, Cg, kh, kw)   bias (O)   y (N, O, Ho, Wo)
//
//   y[n, o, oh, ow] = bias[o] + sum_{c < Cg, i < kh, j < kw} weight[o, c, i, j]
//                     * x[n, g Cg + c, oh sh + i dh - pad_top, ow sw + j dw - pad_left]
//
// with g = o / Og and x read as 0 outside [0, H) x [0, W). Any output size is
// allowed (the bottom and right padding are implied by it), which also makes
// conv2d_input_grad the transposed convolution.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

struct Conv2dShape {
  int64_t batch = 0, in_channels = 0, in_h = 0, in_w = 0;
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0, out_h = 0, out_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  int64_t dilation_h = 1, dilation_w = 1, groups = 1;
};

}  // namespace rb::cpu

#define RB_CONV_DECLS                                                                     \
  /* y = conv(x, weight) + bias; bias may be null. */                                     \
  template <class T>                                                                      \
  void conv2d_forward(const ::rb::cpu::Conv2dShape& s, const T* x, const T* weight,       \
                      const T* bias, T* y);                                               \
  /* The gradients of the forward given dy: dx = col2im(W^T dy), dweight = sum_n dy[n]   \
     im2col(x[n])^T, dbias[o] = sum_{n, oh, ow} dy, each computed when its pointer is     \
     non-null and then overwritten (x may be null without dweight, weight without dx). */ \
  template <class T>                                                                      \
  void conv2d_backward(const ::rb::cpu::Conv2dShape& s, const T* dy, const T* x,          \
                       const T* weight, T* dx, T* dweight, T* dbias);

RB_DECLARE_FOR_EACH_ISA(RB_CONV_DECLS)

#undef RB_CONV_DECLS
