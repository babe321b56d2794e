// Flash-style scaled dot-product attention, forward and backward, declared for
// every ISA (defined in cpu/attention.cpp).
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

// One attention problem over a (batch, heads) grid. Strides are in elements.
//   q: (B, H, Tq, D),  element (b, h, i, d) at q[b*q_sb + h*q_sh + i*q_st + d]
//   k: (B, H, Tk, D),  likewise with k_*
//   v: (B, H, Tk, Dv), likewise with v_*
//   bias:     null, or an additive bias broadcast to (B, H, Tq, Tk), element
//             (b, h, i, j) at bias[b*bias_sb + h*bias_sh + i*bias_si + j*bias_sj]
//             (a stride of 0 broadcasts a dimension; masks arrive as 0 / -inf)
//   key_bias: null, or an additive (B, Tk) bias, element (b, j) at
//             key_bias[b*key_bias_sb + j] (a key padding mask)
//   causal:   key j is masked for query i when j > i (top-left aligned)
//   scale:    multiplies Q K^T
template <class T>
struct AttentionProblem {
  int64_t batch = 0, heads = 0, tq = 0, tk = 0, d = 0, dv = 0;
  const T* q = nullptr;
  int64_t q_sb = 0, q_sh = 0, q_st = 0;
  const T* k = nullptr;
  int64_t k_sb = 0, k_sh = 0, k_st = 0;
  const T* v = nullptr;
  int64_t v_sb = 0, v_sh = 0, v_st = 0;
  const T* bias = nullptr;
  int64_t bias_sb = 0, bias_sh = 0, bias_si = 0, bias_sj = 0;
  const T* key_bias = nullptr;
  int64_t key_bias_sb = 0;
  bool causal = false;
  T scale = 1;
};

}  // namespace rb::cpu

#define RB_ATTENTION_DECLS                                                                \
  /* o: (B, H, Tq, Dv) and lse: (B, H, Tq), C-contiguous; see attention.cpp */           \
  template <class T>                                                                      \
  void attention_forward(const ::rb::cpu::AttentionProblem<T>& p, T* o, T* lse);          \
  /* o, d_o: (B, H, Tq, Dv) and lse: (B, H, Tq), C-contiguous (from the forward);     */ \
  /* dq: (B, H, Tq, D), dk: (B, H, Tk, D), dv: (B, H, Tk, Dv), C-contiguous, written  */ \
  template <class T>                                                                      \
  void attention_backward(const ::rb::cpu::AttentionProblem<T>& p, const T* o,           \
                          const T* d_o, const T* lse, T* dq, T* dk, T* dv);              \
  /* elements of T of scratch one thread of the forward / backward allocates */          \
  template <class T>                                                                      \
  int64_t attention_scratch_per_thread(bool backward, int64_t tk, int64_t d, int64_t dv);

RB_DECLARE_FOR_EACH_ISA(RB_ATTENTION_DECLS)

#undef RB_ATTENTION_DECLS
