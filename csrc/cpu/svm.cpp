// The soft-margin SVM dual, solved by sequential minimal optimization (SMO)
// with libsvm's second-order working-set selection.
//
// For samples x_i with labels y_i in {-1, +1}, a kernel K_ij = K(x_i, x_j)
// and Q_ij = y_i y_j K_ij, the dual is
//
//   min_a  f(a) = 1/2 a^T Q a - e^T a   s.t.  0 <= a_i <= C,  y^T a = 0,
//
// and the classifier is f(x) = sum_i a_i y_i K(x_i, x) + b.
//
// Optimality (KKT). With the gradient G = Q a - e and the index sets
//   I_up(a)  = {t : a_t < C, y_t = +1  or  a_t > 0, y_t = -1}
//   I_low(a) = {t : a_t < C, y_t = -1  or  a_t > 0, y_t = +1}
// a is optimal iff m(a) = max_{t in I_up} -y_t G_t <= M(a) = min_{t in I_low} -y_t G_t.
// SMO stops at a tol-approximate solution: m(a) - M(a) < tol.
//
// One step (Fan, Chen & Lin, JMLR 2005, "WSS 2"):
//   i = argmax_{t in I_up} -y_t G_t                       (so m(a) = -y_i G_i)
//   j = argmin_{t in I_low, -y_t G_t < m(a)} -b_it^2 / a_it,
//       b_it = m(a) + y_t G_t > 0,  a_it = K_ii + K_tt - 2 K_it (tau = 1e-12 if <= 0)
// i.e. j is the partner whose two-variable subproblem decreases f the most
// to second order. Then a_i, a_j move along the constraint y_i d_i + y_j d_j = 0
// to the minimum of f on that line, clipped to the box [0, C]^2 (libsvm's
// update, with its two cases y_i == y_j and y_i != y_j), and the gradient is
// kept exact:
//
//   G_t += Q_ti d_i + Q_tj d_j = y_t (y_i d_i K_it + y_j d_j K_jt)   for all t.
//
// That O(n) update (two contiguous rows of the symmetric K) is the hot loop;
// it is a plain fused multiply-add over arrays and vectorizes. The selection
// scans are O(n) too; K is precomputed, so no kernel cache is needed.
//
// Bias (libsvm's rule): for a free support vector (0 < a_t < C) KKT gives
// y_t G_t = -b exactly, so -b is the mean of y_t G_t over the free vectors;
// when there is none, -b is the midpoint of the interval the bounded ones
// leave, (ub + lb) / 2 with
//   ub = min {y_t G_t : a_t = C, y_t = -1  or  a_t = 0, y_t = +1}
//   lb = max {y_t G_t : a_t = C, y_t = +1  or  a_t = 0, y_t = -1}.
#include "cpu/svm.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace rb::cpu::RB_ISA {
namespace {

constexpr double kTau = 1e-12;  // curvature floor for a non-positive-definite K
constexpr double kInf = std::numeric_limits<double>::infinity();

// G_t += y_t (ci K_i[t] + cj K_j[t]) for t < n, with ci = y_i d_i, cj = y_j d_j.
void update_gradient(double* G, const double* y, const double* Ki, const double* Kj, double ci,
                     double cj, int64_t n) {
#pragma omp simd
  for (int64_t t = 0; t < n; ++t) G[t] += y[t] * (ci * Ki[t] + cj * Kj[t]);
}

// Second-order working-set selection. Returns false when a is tol-optimal
// (m(a) - M(a) < tol) or no partner j decreases f.
bool select_working_set(const double* K, const double* y, const double* a, const double* G,
                        int64_t n, double C, double tol, int64_t& i_out, int64_t& j_out) {
  // i: the maximal -y_t G_t over I_up.
  double g_max = -kInf;
  int64_t i = -1;
  for (int64_t t = 0; t < n; ++t) {
    const bool up = y[t] > 0 ? a[t] < C : a[t] > 0;
    const double v = -y[t] * G[t];
    if (up && v >= g_max) {
      g_max = v;
      i = t;
    }
  }
  if (i < 0) return false;
  // j: the best second-order decrease over I_low; g_max2 = -M(a) on the way.
  const double* Ki = K + i * n;
  const double Kii = Ki[i];
  double g_max2 = -kInf;
  double best = kInf;
  int64_t j = -1;
  for (int64_t t = 0; t < n; ++t) {
    const bool low = y[t] > 0 ? a[t] > 0 : a[t] < C;
    if (!low) continue;
    const double yG = y[t] * G[t];
    if (yG >= g_max2) g_max2 = yG;
    const double b = g_max + yG;
    if (b > 0) {
      const double curvature = Kii + K[t * n + t] - 2.0 * Ki[t];
      const double decrease = -(b * b) / (curvature > 0 ? curvature : kTau);
      if (decrease <= best) {
        best = decrease;
        j = t;
      }
    }
  }
  if (g_max + g_max2 < tol || j < 0) return false;
  i_out = i;
  j_out = j;
  return true;
}

// Moves (a_i, a_j) to the minimum of f on the constraint line, clipped to
// [0, C]^2 (libsvm's two cases).
void update_pair(const double* K, const double* y, double* a, const double* G, int64_t n,
                 double C, int64_t i, int64_t j) {
  const double curvature_raw = K[i * n + i] + K[j * n + j] - 2.0 * K[i * n + j];
  const double curvature = curvature_raw > 0 ? curvature_raw : kTau;
  if (y[i] != y[j]) {
    // a_i - a_j stays constant.
    const double delta = (-G[i] - G[j]) / curvature;
    const double diff = a[i] - a[j];
    a[i] += delta;
    a[j] += delta;
    if (diff > 0) {
      if (a[j] < 0) { a[j] = 0; a[i] = diff; }
    } else {
      if (a[i] < 0) { a[i] = 0; a[j] = -diff; }
    }
    if (diff > 0) {
      if (a[i] > C) { a[i] = C; a[j] = C - diff; }
    } else {
      if (a[j] > C) { a[j] = C; a[i] = C + diff; }
    }
  } else {
    // a_i + a_j stays constant.
    const double delta = (G[i] - G[j]) / curvature;
    const double sum = a[i] + a[j];
    a[i] -= delta;
    a[j] += delta;
    if (sum > C) {
      if (a[i] > C) { a[i] = C; a[j] = sum - C; }
    } else {
      if (a[j] < 0) { a[j] = 0; a[i] = sum; }
    }
    if (sum > C) {
      if (a[j] > C) { a[j] = C; a[i] = sum - C; }
    } else {
      if (a[i] < 0) { a[i] = 0; a[j] = sum; }
    }
  }
}

// b by libsvm's rule (see the top of the file).
double bias_of(const double* y, const double* a, const double* G, int64_t n, double C) {
  double ub = kInf, lb = -kInf, sum_free = 0;
  int64_t free = 0;
  for (int64_t t = 0; t < n; ++t) {
    const double yG = y[t] * G[t];
    if (a[t] >= C) {
      if (y[t] < 0) ub = yG < ub ? yG : ub;
      else lb = yG > lb ? yG : lb;
    } else if (a[t] <= 0) {
      if (y[t] > 0) ub = yG < ub ? yG : ub;
      else lb = yG > lb ? yG : lb;
    } else {
      ++free;
      sum_free += yG;
    }
  }
  double r;
  if (free > 0) r = sum_free / static_cast<double>(free);
  else if (std::isinf(ub)) r = lb;  // one side unbounded: the other end is the
  else if (std::isinf(lb)) r = ub;  // closest feasible value
  else r = 0.5 * (ub + lb);
  return -r;
}

}  // namespace

// K: (n, n), row t at K + t * n, symmetric; y: (n,), each -1 or +1, both
// present; C > 0; tol > 0; max_iter < 0 means no limit.
// alpha: (n,) output multipliers; grad: (n,) workspace, left holding G = Q a - e.
SmoResult smo_solve(const double* K, const double* y, int64_t n, double C, double tol,
                    int64_t max_iter, double* alpha, double* grad) {
  for (int64_t t = 0; t < n; ++t) {
    alpha[t] = 0;
    grad[t] = -1;  // G = Q 0 - e
  }
  int64_t iter = 0;
  bool converged = false;
  while (max_iter < 0 || iter < max_iter) {
    int64_t i = 0, j = 0;
    if (!select_working_set(K, y, alpha, grad, n, C, tol, i, j)) {
      converged = true;
      break;
    }
    const double old_i = alpha[i], old_j = alpha[j];
    update_pair(K, y, alpha, grad, n, C, i, j);
    update_gradient(grad, y, K + i * n, K + j * n, y[i] * (alpha[i] - old_i),
                    y[j] * (alpha[j] - old_j), n);
    ++iter;
  }
  // converged stays false when max_iter steps ran out before the stopping
  // test passed (even if the last step happened to reach tol).
  return {bias_of(y, alpha, grad, n, C), iter, converged};
}

}  // namespace rb::cpu::RB_ISA
