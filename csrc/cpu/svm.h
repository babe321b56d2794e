// The SMO solver of the soft-margin SVM dual. Defined in cpu/svm.cpp, once
// per ISA; the math is stated there.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb {

// What smo_solve reports besides the multipliers it writes.
struct SmoResult {
  double bias;      // b in f(x) = sum_i alpha_i y_i K(x_i, x) + b
  int64_t n_iter;   // SMO steps taken (pairs updated)
  bool converged;   // the maximal violation fell below tol
};

}  // namespace rb

#define RB_SVM_DECLS                                                                    \
  /* K: (n, n) C-contiguous symmetric kernel matrix; y: (n,) labels in {-1, +1}.     \
     Writes alpha (n,) and uses grad (n,) as the dual gradient; see svm.cpp. */     \
  ::rb::SmoResult smo_solve(const double* K, const double* y, int64_t n, double C,     \
                            double tol, int64_t max_iter, double* alpha, double* grad);

RB_DECLARE_FOR_EACH_ISA(RB_SVM_DECLS)

#undef RB_SVM_DECLS
