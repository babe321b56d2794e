// Batch normalization and layer normalization on the CPU.
//
// Both normalize x over a set of m values that share one statistic:
//   mu = (1/m) sum x,  var = (1/m) sum (x - mu)^2  (biased),
//   xhat = (x - mu) * rstd,  rstd = 1 / sqrt(var + eps),
//   y = weight * xhat + bias.
// With g = dL/dy and dxhat = g * weight, the gradients are
//   dweight = sum g * xhat,  dbias = sum g   (over every value sharing the parameter),
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
// when the statistics come from x itself, and dx = rstd * dxhat when they are
// constants (batch norm in evaluation, with the running statistics).
//
// Batch norm: x is (N, C, S) (S = 1, L or H*W); the statistics are per
// channel over N*S values. Threads take whole channels, so every sum is
// accumulated in one fixed order, whatever the thread count.
// Layer norm: x is (M, K); the statistics are per row over K values. Threads
// take whole rows; dweight and dbias are summed per block of kRowBlock rows
// into fixed slots and the slots are added in order (again independent of the
// thread count).
// Sums are accumulated in double: a float32 sum of 10^5 values would lose
// about three digits.
#include "cpu/norm.h"

#include <cmath>
#include <cstdint>

#include "common/parallel.h"
#include "cpu/buffer.h"

namespace rb::cpu::RB_ISA {
namespace {

// Below this many elements a chunk of work stays on one thread.
constexpr int64_t kMinElementsPerThread = 1 << 14;
// Rows per slot of layer norm's parameter-gradient partial sums.
constexpr int64_t kRowBlock = 32;

// Threads' grain in units of `unit` elements each.
inline int64_t grain_for(int64_t unit) {
  return unit >= kMinElementsPerThread ? 1 : kMinElementsPerThread / (unit > 0 ? unit : 1);
}

// (sum x, sum x^2) of x[0..len) around `shift` (shifted sums keep the
// variance E[(x-shift)^2] - E[x-shift]^2 accurate when |mean| >> std).
template <class T>
inline void shifted_sums(const T* x, int64_t len, double shift, double& s1, double& s2) {
  double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
  for (int64_t i = 0; i < len; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    a += d;
    b += d * d;
  }
  s1 += a;
  s2 += b;
}

}  // namespace

template <class T>
void batch_norm_stats(const T* x, int64_t n, int64_t c, int64_t s, T* mean, T* var) {
  const double count = static_cast<double>(n) * static_cast<double>(s);
  parallel_for(0, c, grain_for(n * s), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      const double shift = static_cast<double>(x[ch * s]);
      double s1 = 0, s2 = 0;
      for (int64_t i = 0; i < n; ++i) shifted_sums(x + (i * c + ch) * s, s, shift, s1, s2);
      const double mu = s1 / count;
      const double v = s2 / count - mu * mu;
      mean[ch] = static_cast<T>(shift + mu);
      var[ch] = static_cast<T>(v > 0 ? v : 0);
    }
  });
}

template <class T>
void batch_norm_forward(const T* x, int64_t n, int64_t c, int64_t s, const T* mean,
                        const T* invstd, const T* weight, const T* bias, T* y) {
  // y = x * a + b per channel, a = invstd * weight, b = bias - mean * a.
  parallel_for(0, n * c, grain_for(s), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t ch = row % c;
      const T a = invstd[ch] * (weight ? weight[ch] : T(1));
      const T b = (bias ? bias[ch] : T(0)) - mean[ch] * a;
      const T* xr = x + row * s;
      T* yr = y + row * s;
#pragma omp simd
      for (int64_t i = 0; i < s; ++i) yr[i] = xr[i] * a + b;
    }
  });
}

template <class T>
void batch_norm_backward(const T* g, const T* x, int64_t n, int64_t c, int64_t s,
                         const T* mean, const T* invstd, const T* weight, bool training,
                         T* dx, T* dweight, T* dbias) {
  const double count = static_cast<double>(n) * static_cast<double>(s);
  parallel_for(0, c, grain_for(n * s), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      const T mu = mean[ch], r = invstd[ch], w = weight ? weight[ch] : T(1);
      // sum_g = sum g, sum_gxhat = sum g * xhat over the channel.
      double sum_g = 0, sum_gx = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T* gr = g + (i * c + ch) * s;
        const T* xr = x + (i * c + ch) * s;
        double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t j = 0; j < s; ++j) {
          a += static_cast<double>(gr[j]);
          b += static_cast<double>(gr[j]) * static_cast<double>((xr[j] - mu) * r);
        }
        sum_g += a;
        sum_gx += b;
      }
      if (dweight) dweight[ch] = static_cast<T>(sum_gx);
      if (dbias) dbias[ch] = static_cast<T>(sum_g);
      if (!dx) continue;
      // dx = w r (g - sum_g/m - xhat sum_gx/m) in training, w r g in evaluation.
      const T k = w * r;
      const T mean_g = training ? static_cast<T>(sum_g / count) : T(0);
      const T mean_gx_r = training ? static_cast<T>(sum_gx / count) * r : T(0);
      for (int64_t i = 0; i < n; ++i) {
        const T* gr = g + (i * c + ch) * s;
        const T* xr = x + (i * c + ch) * s;
        T* dr = dx + (i * c + ch) * s;
#pragma omp simd
        for (int64_t j = 0; j < s; ++j) dr[j] = k * (gr[j] - mean_g - (xr[j] - mu) * mean_gx_r);
      }
    }
  });
}

template <class T>
void layer_norm_forward(const T* x, int64_t m, int64_t k, const T* weight, const T* bias,
                        T eps, T* y, T* mean, T* rstd) {
  if (k == 0) {  // empty rows: statistics of an empty set taken as mean 0, variance 0
    for (int64_t row = 0; row < m; ++row) {
      mean[row] = T(0);
      rstd[row] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(eps)));
    }
    return;
  }
  parallel_for(0, m, grain_for(k), [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const T* xr = x + row * k;
      T* yr = y + row * k;
      double s1 = 0, s2 = 0;
      shifted_sums(xr, k, static_cast<double>(xr[0]), s1, s2);
      const double mu_shifted = s1 / static_cast<double>(k);
      const double var = s2 / static_cast<double>(k) - mu_shifted * mu_shifted;
      const T mu = static_cast<T>(static_cast<double>(xr[0]) + mu_shifted);
      const T r = static_cast<T>(1.0 / std::sqrt((var > 0 ? var : 0) + static_cast<double>(eps)));
      mean[row] = mu;
      rstd[row] = r;
      if (weight && bias) {
#pragma omp simd
        for (int64_t j = 0; j < k; ++j) yr[j] = (xr[j] - mu) * r * weight[j] + bias[j];
      } else if (weight) {
#pragma omp simd
        for (int64_t j = 0; j < k; ++j) yr[j] = (xr[j] - mu) * r * weight[j];
      } else {
        const T b0 = T(0);
#pragma omp simd
        for (int64_t j = 0; j < k; ++j) yr[j] = (xr[j] - mu) * r + (bias ? bias[j] : b0);
      }
    }
  });
}

template <class T>
void layer_norm_backward(const T* g, const T* x, int64_t m, int64_t k, const T* mean,
                         const T* rstd, const T* weight, T* dx, T* dweight, T* dbias) {
  const bool param_grads = dweight != nullptr || dbias != nullptr;
  const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
  // Per block of rows: sum g * xhat (slot 0) and sum g (slot 1), in double.
  Buffer<double> partial(param_grads ? blocks * 2 * k : 1, true);
  parallel_for(0, blocks, grain_for(kRowBlock * k), [&](int64_t lo, int64_t hi) {
    for (int64_t blk = lo; blk < hi; ++blk) {
      double* pw = partial.get() + blk * 2 * k;
      double* pb = pw + k;
      const int64_t row_end = (blk + 1) * kRowBlock < m ? (blk + 1) * kRowBlock : m;
      for (int64_t row = blk * kRowBlock; row < row_end; ++row) {
        const T* gr = g + row * k;
        const T* xr = x + row * k;
        const T mu = mean[row], r = rstd[row];
        if (param_grads) {
#pragma omp simd
          for (int64_t j = 0; j < k; ++j) {
            pw[j] += static_cast<double>(gr[j]) * static_cast<double>((xr[j] - mu) * r);
            pb[j] += static_cast<double>(gr[j]);
          }
        }
        if (!dx) continue;
        // dx = r (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = g * weight.
        double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (int64_t j = 0; j < k; ++j) {
          const double d = static_cast<double>(weight ? gr[j] * weight[j] : gr[j]);
          a += d;
          b += d * static_cast<double>((xr[j] - mu) * r);
        }
        const T mean_d = static_cast<T>(a / static_cast<double>(k));
        const T mean_dx = static_cast<T>(b / static_cast<double>(k));
        T* dr = dx + row * k;
#pragma omp simd
        for (int64_t j = 0; j < k; ++j) {
          const T d = weight ? gr[j] * weight[j] : gr[j];
          dr[j] = r * (d - mean_d - (xr[j] - mu) * r * mean_dx);
        }
      }
    }
  });
  if (!param_grads) return;
  for (int64_t j = 0; j < k; ++j) {
    double sw = 0, sb = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      sw += partial.get()[blk * 2 * k + j];
      sb += partial.get()[blk * 2 * k + k + j];
    }
    if (dweight) dweight[j] = static_cast<T>(sw);
    if (dbias) dbias[j] = static_cast<T>(sb);
  }
}

#define RB_INSTANTIATE(T)                                                                    \
  template void batch_norm_stats<T>(const T*, int64_t, int64_t, int64_t, T*, T*);           \
  template void batch_norm_forward<T>(const T*, int64_t, int64_t, int64_t, const T*,        \
                                      const T*, const T*, const T*, T*);                    \
  template void batch_norm_backward<T>(const T*, const T*, int64_t, int64_t, int64_t,       \
                                       const T*, const T*, const T*, bool, T*, T*, T*);     \
  template void layer_norm_forward<T>(const T*, int64_t, int64_t, const T*, const T*, T, T*, \
                                      T*, T*);                                              \
  template void layer_norm_backward<T>(const T*, const T*, int64_t, int64_t, const T*,      \
                                       const T*, const T*, T*, T*, T*);
RB_INSTANTIATE(float)
RB_INSTANTIATE(double)
#undef RB_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
