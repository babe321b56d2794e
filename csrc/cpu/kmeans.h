// Lloyd's k-means iterations in one native call. Defined in cpu/kmeans.cpp,
// once per ISA; the math is stated there.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb {

// What kmeans_lloyd reports besides the labels and centers it writes.
struct LloydResult {
  double inertia;   // sum_i ||x_i - c_{label_i}||^2 for the final labels and centers
  int64_t n_iter;   // iterations run (1 <= n_iter <= max_iter)
};

}  // namespace rb

#define RB_KMEANS_DECLS                                                                 \
  /* x: (n, d) C-contiguous, finite; centers: (k, d) C-contiguous, in: the initial   \
     centers, out: the final ones (1 <= k <= n); labels: (n,) out. See kmeans.cpp. */ \
  template <class T>                                                                    \
  ::rb::LloydResult kmeans_lloyd(const T* x, int64_t n, int64_t d, T* centers,         \
                                 int64_t k, int64_t* labels, int64_t max_iter,          \
                                 double tol);

RB_DECLARE_FOR_EACH_ISA(RB_KMEANS_DECLS)

#undef RB_KMEANS_DECLS
