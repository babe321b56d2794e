// Pairwise distances, k-nearest selection and kernel matrices between two
// sets of points (csrc/cpu/distance.cpp), declared for every ISA.
//
// Both sets are row-major and contiguous: X is n x d (row i at x + i*d), Y is
// m x d. `same` says that Y is X itself, so that the diagonal of the result
// is exact (distance 0, RBF kernel 1) rather than a rounded
// ||x||^2 + ||x||^2 - 2 x.x. The binding has checked the shapes, d >= 1 and
// that every value is finite; results are row-major n x m (or n x k). The
// expansion-based metrics and kernels throw std::invalid_argument (ValueError)
// before writing anything when a squared row norm overflows the dtype.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

enum class Metric : int {
  euclidean = 0,  // sqrt(max(||x||^2 + ||y||^2 - 2 x.y, 0))          (GEMM)
  sqeuclidean,    // max(||x||^2 + ||y||^2 - 2 x.y, 0)                (GEMM)
  cosine,         // clip(1 - x.y / (||x|| ||y||), 0, 2); a zero vector has
                  // similarity 0 with everything (distance 1)         (GEMM)
  manhattan,      // sum_p |x_p - y_p|
  chebyshev,      // max_p |x_p - y_p|
  minkowski,      // (sum_p |x_p - y_p|^p)^(1/p), 1 < p < inf, p != 2
  hamming,        // (number of p with x_p != y_p) / d
};

enum class Kernel : int {
  linear = 0,  // x.y
  poly,        // (gamma x.y + coef0)^degree
  rbf,         // exp(-gamma max(||x||^2 + ||y||^2 - 2 x.y, 0))
  sigmoid,     // tanh(gamma x.y + coef0)
};

template <class T>
struct PointSets {
  const T* x = nullptr;
  int64_t n = 0;
  const T* y = nullptr;
  int64_t m = 0;
  int64_t d = 0;
  bool same = false;
};

struct KernelParams {
  Kernel kernel = Kernel::linear;
  double gamma = 1, coef0 = 0;
  int64_t degree = 1;
};

}  // namespace rb::cpu

#define RB_DISTANCE_DECLS                                                                     \
  /* Index of the first value of v[0:count] that is NaN or +-inf, or -1. */                  \
  template <class T>                                                                          \
  int64_t first_non_finite(const T* v, int64_t count);                                        \
  /* out (n x m): out[i, j] = metric(X[i], Y[j]); p is used by Metric::minkowski only. */    \
  template <class T>                                                                          \
  void pairwise_distances(const ::rb::cpu::PointSets<T>& sets, ::rb::cpu::Metric metric,     \
                          double p, T* out);                                                  \
  /* For each row i of X the k nearest rows of Y (1 <= k <= m): distances (n x k) ascending, \
     indices (n x k); ties go to the lower index of Y. The distances are exactly those of     \
     pairwise_distances(sets, metric, p). */                                                  \
  template <class T>                                                                          \
  void kneighbors(const ::rb::cpu::PointSets<T>& sets, ::rb::cpu::Metric metric, double p,   \
                  int64_t k, T* distances, int64_t* indices);                                 \
  /* out (n x m): out[i, j] = kernel(X[i], Y[j]). */                                          \
  template <class T>                                                                          \
  void kernel_matrix(const ::rb::cpu::PointSets<T>& sets, const ::rb::cpu::KernelParams& params, \
                     T* out);

RB_DECLARE_FOR_EACH_ISA(RB_DISTANCE_DECLS)

#undef RB_DISTANCE_DECLS
