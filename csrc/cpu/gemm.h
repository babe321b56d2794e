// GEMM: C = act(alpha op(A) op(B) + beta C + bias), declared for every ISA.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

// The activation applied while C is stored (the fused epilogue).
enum class Activation : int { none = 0, relu, sigmoid, tanh, gelu };

// One product. op(A) is m x k with element (i, p) at a[i*a_rs + p*a_cs];
// op(B) is k x n with element (p, j) at b[p*b_rs + j*b_cs]. Strides are in
// elements and may be anything (a transposed view is just swapped strides),
// because the packing routines read through them. C is m x n, row-major with
// leading dimension ldc. beta == 0 means C is not read (it may hold garbage).
// bias is null or n values added to every row.
template <class T>
struct GemmProblem {
  int64_t m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t a_rs = 0, a_cs = 0;
  const T* b = nullptr;
  int64_t b_rs = 0, b_cs = 0;
  T* c = nullptr;
  int64_t ldc = 0;
  T alpha = 1, beta = 0;
  const T* bias = nullptr;
  Activation activation = Activation::none;
  // op(B) packed beforehand by pack_b_slivers(k, n, ...) (b is then not
  // read): a product repeated with the same B (the recurrent weights of an
  // RNN, once per time step) packs it once instead of on every call.
  const T* b_packed = nullptr;
};

// A stack of `batch` products sharing sizes and scalars; the pointers of
// product t are a + t*a_batch, b + t*b_batch, c + t*c_batch (a stride of 0
// shares one matrix across the stack).
struct BatchStrides {
  int64_t batch = 1, a_batch = 0, b_batch = 0, c_batch = 0;
};

}  // namespace rb::cpu

#define RB_GEMM_DECLARATIONS                                                        \
  template <class T>                                                                \
  void gemm(const ::rb::cpu::GemmProblem<T>& problem);                              \
  template <class T>                                                                \
  void batched_gemm(const ::rb::cpu::GemmProblem<T>& problem,                       \
                    const ::rb::cpu::BatchStrides& strides);                        \
  /* Rows of C one micro-kernel tile computes (MR): a caller splitting C by */     \
  /* rows keeps whole tiles by splitting at multiples of it. */                    \
  template <class T>                                                                \
  int64_t gemm_tile_rows();                                                         \
  /* Elements pack_b_slivers writes for a k x n op(B). */                          \
  template <class T>                                                                \
  int64_t packed_b_size(int64_t k, int64_t n);                                      \
  /* Packs op(B) (k x n, element (p, j) at b[p*b_rs + j*b_cs]) for b_packed. */      \
  template <class T>                                                                \
  void pack_b_slivers(int64_t k, int64_t n, const T* b, int64_t b_rs, int64_t b_cs, \
                      T* out);

RB_DECLARE_FOR_EACH_ISA(RB_GEMM_DECLARATIONS)
