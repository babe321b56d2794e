// The softmax family on the CPU: softmax, log-softmax and cross-entropy with
// its gradient fused in.
//
// Every row (the values along the softmax axis) follows one recipe: two
// passes over the input (the second one writes the output), then one pass
// over the output.
//   pass 1  m = max_j x_j
//   pass 2  u_j = x_j - m,  e_j = exp(u_j),  s = sum_j e_j
//           (softmax and cross-entropy store e_j, log-softmax stores u_j)
//   pass 3  softmax:       y_j = e_j / s
//           log-softmax:   y_j = u_j - log s
//           cross-entropy: g_j = scale * (e_j / s - q_j)
// Subtracting the maximum changes nothing mathematically
// (exp(x_j - m) / sum_k exp(x_k - m) = exp(x_j) / sum_k exp(x_k)) but keeps
// every exponent <= 0, so logits of any magnitude neither overflow nor lose
// the largest term.
//
// Vectorization: the float exponential is a polynomial (exp_approx in
// cpu/vmath.h) that GCC vectorizes at -O3, and the reductions are marked `omp simd reduction`,
// which allows the compiler to reorder the sum and max across SIMD lanes
// (without -ffast-math it may not reassociate floating-point additions).
#include "cpu/softmax.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/parallel.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

// Below this many elements a chunk of work stays on one thread.
constexpr int64_t kMinElementsPerThread = 1 << 14;

// Positions of the inner dimension processed side by side when the softmax
// axis is not the last one (see softmax_columns).
constexpr int64_t kLanes = 64;

// log in double precision for either type (the C library's log; one call per
// row, so its cost does not matter).
template <class T>
inline T log_of(T v) { return static_cast<T>(std::log(static_cast<double>(v))); }

template <class T>
inline T row_max(const T* x, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

// Softmax (Log = false) or log-softmax (Log = true) of one contiguous row:
// x (n,), y (n,).
template <class T, bool Log>
void softmax_row(const T* x, T* y, int64_t n) {
  const T m = row_max(x, n);
  T s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) {
    const T u = x[j] - m;
    const T e = exp_approx(u);
    y[j] = Log ? u : e;
    s += e;
  }
  if constexpr (Log) {
    const T log_s = log_of(s);
    for (int64_t j = 0; j < n; ++j) y[j] -= log_s;
  } else {
    const T inv_s = T(1) / s;
    for (int64_t j = 0; j < n; ++j) y[j] *= inv_s;
  }
}

// The same recipe when the axis is not the last one: `width` (<= kLanes)
// neighbouring positions of the contiguous inner dimension are softmaxed side
// by side, one running max and sum per position, so every inner loop runs
// over contiguous memory and vectorizes.
//   x: element (j, b) at x[j * x_axis_stride + b], j < n, b < width
//   y: element (j, b) at y[j * inner + b]
template <class T, bool Log>
void softmax_columns(const T* x, int64_t x_axis_stride, T* y, int64_t inner, int64_t n,
                     int64_t width) {
  T m[kLanes];
  T s[kLanes];
  for (int64_t b = 0; b < width; ++b) {
    m[b] = -std::numeric_limits<T>::infinity();
    s[b] = 0;
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * x_axis_stride;
    for (int64_t b = 0; b < width; ++b) m[b] = xj[b] > m[b] ? xj[b] : m[b];
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* xj = x + j * x_axis_stride;
    T* yj = y + j * inner;
    for (int64_t b = 0; b < width; ++b) {
      const T u = xj[b] - m[b];
      const T e = exp_approx(u);
      yj[b] = Log ? u : e;
      s[b] += e;
    }
  }
  // Reuse s for what pass 3 applies: log s, or 1 / s.
  for (int64_t b = 0; b < width; ++b) s[b] = Log ? log_of(s[b]) : T(1) / s[b];
  for (int64_t j = 0; j < n; ++j) {
    T* yj = y + j * inner;
    for (int64_t b = 0; b < width; ++b) {
      if constexpr (Log) yj[b] -= s[b];
      else yj[b] *= s[b];
    }
  }
}

// x: (outer, n, inner), element (o, j, i) at x[o * x_outer_stride + j * x_axis_stride + i]
//    (x_axis_stride == 1 when inner == 1)
// y: (outer, n, inner), C-contiguous
template <class T, bool Log>
void softmax_along_axis(const T* x, int64_t x_outer_stride, int64_t x_axis_stride, T* y,
                        int64_t outer, int64_t n, int64_t inner) {
  if (outer == 0 || n == 0 || inner == 0) return;
  if (inner == 1) {
    const int64_t grain = 1 + kMinElementsPerThread / n;
    parallel_for(0, outer, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) softmax_row<T, Log>(x + o * x_outer_stride, y + o * n, n);
    });
    return;
  }
  // One task per (outer index, block of kLanes inner positions).
  const int64_t blocks = (inner + kLanes - 1) / kLanes;
  const int64_t grain = 1 + kMinElementsPerThread / (n * kLanes);
  parallel_for(0, outer * blocks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / blocks;
      const int64_t i0 = (t % blocks) * kLanes;
      const int64_t width = inner - i0 < kLanes ? inner - i0 : kLanes;
      softmax_columns<T, Log>(x + o * x_outer_stride + i0, x_axis_stride,
                              y + o * n * inner + i0, inner, n, width);
    }
  });
}

}  // namespace

template <class T>
void softmax(const T* x, int64_t x_outer_stride, int64_t x_axis_stride, T* y, int64_t outer,
             int64_t n, int64_t inner) {
  softmax_along_axis<T, false>(x, x_outer_stride, x_axis_stride, y, outer, n, inner);
}

template <class T>
void log_softmax(const T* x, int64_t x_outer_stride, int64_t x_axis_stride, T* y,
                 int64_t outer, int64_t n, int64_t inner) {
  softmax_along_axis<T, true>(x, x_outer_stride, x_axis_stride, y, outer, n, inner);
}

// Cross-entropy of softmax(logits) against smoothed one-hot targets, with
// the gradient, one fused pass per row (the recipe at the top of the file).
//   logits: (rows, classes), classes >= 1, row r at
//           logits + r * logits_row_stride, classes contiguous
//   labels: (rows,), each in [0, classes) or equal to ignore_index (the
//           caller has checked this)
//   loss:   (rows,) per-row loss; grad: (rows, classes), C-contiguous
// With z a row, y its label, C = classes, eps = label_smoothing,
// p = softmax(z) and the target q = (1 - eps) onehot(y) + eps / C:
//   loss = -sum_c q_c log p_c
//        = log s - (1 - eps) (z_y - m) - eps (mean_c z_c - m),
//          where m = max_c z_c and s = sum_c exp(z_c - m)
//   grad = grad_scale * (p - q)   (d loss / d z, times grad_scale)
// Rows whose label is ignore_index get loss 0 and gradient 0.
// Returns the sum of the per-row losses, accumulated in double.
template <class T>
double cross_entropy(const T* logits, int64_t logits_row_stride, const int64_t* labels,
                     T* loss, T* grad, int64_t rows, int64_t classes, T label_smoothing,
                     int64_t ignore_index, T grad_scale) {
  const T eps = label_smoothing;
  const int64_t grain = 1 + kMinElementsPerThread / classes;
  parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* z = logits + r * logits_row_stride;
      T* g = grad + r * classes;
      const int64_t label = labels[r];
      if (label == ignore_index) {
        loss[r] = 0;
        for (int64_t c = 0; c < classes; ++c) g[c] = 0;
        continue;
      }
      // Pass 1: the maximum and the sum of the logits.
      T m = -std::numeric_limits<T>::infinity();
      T sum_z = 0;
#pragma omp simd reduction(max : m) reduction(+ : sum_z)
      for (int64_t c = 0; c < classes; ++c) {
        m = z[c] > m ? z[c] : m;
        sum_z += z[c];
      }
      // Pass 2: e_c = exp(z_c - m) into grad, and their sum s.
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t c = 0; c < classes; ++c) {
        const T e = exp_approx(z[c] - m);
        g[c] = e;
        s += e;
      }
      // The loss, in double. The smoothing term is skipped when eps == 0, so
      // that a -inf logit (probability 0) does not turn 0 * inf into NaN.
      double row_loss = std::log(static_cast<double>(s)) -
                        (1.0 - static_cast<double>(eps)) * (static_cast<double>(z[label]) - m);
      if (eps > 0)
        row_loss -= static_cast<double>(eps) *
                    (static_cast<double>(sum_z) / static_cast<double>(classes) - m);
      loss[r] = static_cast<T>(row_loss);
      // Pass 3: grad = scale * (e / s - eps / C), then -scale (1 - eps) at the label.
      const T scale_over_s = grad_scale / s;
      const T smooth = grad_scale * eps / static_cast<T>(classes);
#pragma omp simd
      for (int64_t c = 0; c < classes; ++c) g[c] = g[c] * scale_over_s - smooth;
      g[label] -= grad_scale * (T(1) - eps);
    }
  });
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) total += static_cast<double>(loss[r]);
  return total;
}

#define RB_INSTANTIATE(T)                                                                   \
  template void softmax<T>(const T*, int64_t, int64_t, T*, int64_t, int64_t, int64_t);     \
  template void log_softmax<T>(const T*, int64_t, int64_t, T*, int64_t, int64_t, int64_t); \
  template double cross_entropy<T>(const T*, int64_t, const int64_t*, T*, T*, int64_t,     \
                                   int64_t, T, int64_t, T);
RB_INSTANTIATE(float)
RB_INSTANTIATE(double)
#undef RB_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
