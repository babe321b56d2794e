// Lloyd's k-means iterations, fused into one native call (the algorithm of
// scikit-learn's _kmeans_single_lloyd / lloyd_iter_chunked_dense).
//
// Data: x (n, d), centers c (k, d), labels l (n,). One iteration:
//   assignment  l_i = argmin_j ||x_i - c_j||^2 = argmin_j (||c_j||^2 - 2 x_i.c_j)
//               (||x_i||^2 is the same for every j; ties go to the lower j)
//   update      s_j = sum_{i: l_i = j} x_i,  m_j = #{i: l_i = j},  c'_j = s_j / m_j
//   relocation  each empty cluster j (m_j = 0, in increasing order) takes the
//               point f with the next largest ||x_f - c_{l_f}||^2 (ties: lower
//               index), removed from its old cluster: s_{l_f} -= x_f,
//               m_{l_f} -= 1, s_j = x_f, m_j = 1. A cluster left with m = 0
//               keeps c' = s (scikit-learn's _relocate_empty_clusters_dense
//               and _average_centers, sample weights all 1).
//   shift       sum_j ||c'_j - c_j||^2, then c = c'
//   stop        the labels did not change (strict convergence: c' = c), or
//               shift <= tol, or max_iter iterations ran.
// Without strict convergence a last assignment makes the labels those of the
// final centers. The result's inertia is sum_i ||x_i - c_{l_i}||^2, computed
// directly in double (not through the expansion, which cancels digits).
//
// Layout of the work: the rows are split into a fixed number of slots (it
// depends on n, k and d, never on the thread count), each with its own
// double-precision center sums and counts, summed slot by slot in order
// after the pass; threads take the slots one at a time as they finish the
// previous one. So the result is the same on any number of threads.
// Within a slot, a register-blocked micro-kernel takes kRows rows at a time
// against blocks of kBlock centers packed transposed (block b holds, for
// p = 0..d-1, the kBlock values c_{b kBlock + j, p} contiguously, zero-padded,
// with squared norm +inf for padding so that it never wins): for each p it
// loads kBlock center values once and broadcasts x_{i, p} for each row, an
// R x kBlock block of dot products in vector registers, then the distances
// and the running argmin. The rows are then added into the slot's sums.
#include "cpu/kmeans.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "common/parallel.h"
#include "cpu/buffer.h"

namespace rb::cpu::RB_ISA {
namespace {

#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
#elif defined(__AVX2__)
constexpr int kVectorBytes = 32;
#else
constexpr int kVectorBytes = 16;
#endif

// Centers per packed block: one zmm of floats.
constexpr int kBlock = 16;

// Rows per micro-kernel call: 8 vector registers of accumulators.
template <class T>
constexpr int kRows = 8 * kVectorBytes / (kBlock * static_cast<int>(sizeof(T))) > 0
                          ? 8 * kVectorBytes / (kBlock * static_cast<int>(sizeof(T)))
                          : 1;

// Slots (see the top of the file): at most kMaxSlots, at least kSlotRows rows
// each, and at most kSlotElements doubles of center sums in all unless that
// leaves fewer than kMinSlots (then kMinSlots copies of the k x d sums).
constexpr int64_t kMaxSlots = 16;
constexpr int64_t kMinSlots = 4;
constexpr int64_t kSlotRows = 256;
constexpr int64_t kSlotElements = int64_t(1) << 21;

// A problem below this many multiply-adds per pass stays on one thread.
constexpr double kMinParallelWork = 1 << 17;

constexpr const char* kOverflow =
    "a squared center norm overflows its dtype; scale the data or use float64";

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// ||a - b||^2 of two rows of length d, in double.
template <class T>
inline double squared_distance(const T* a, const T* b, int64_t d) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t p = 0; p < d; ++p) {
    const double diff = static_cast<double>(a[p]) - static_cast<double>(b[p]);
    sum += diff * diff;
  }
  return sum;
}

template <class T>
class Lloyd {
 public:
  Lloyd(const T* x, int64_t n, int64_t d, T* centers, int64_t k, int64_t* labels)
      : x_(x), n_(n), d_(d), k_(k), centers_(centers), labels_(labels),
        blocks_(ceil_div(k, kBlock)),
        slots_(min64(min64(kMaxSlots, ceil_div(n, kSlotRows)),
                     kSlotElements / (k * d) > kMinSlots ? kSlotElements / (k * d) : kMinSlots)),
        grain_(static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(d) <
                       kMinParallelWork
                   ? slots_
                   : 1),
        packed_(blocks_ * kBlock * d, true), norms_(blocks_ * kBlock, true),
        slot_sums_(slots_ * k * d, true), slot_counts_(slots_ * k, true),
        slot_changed_(slots_, true), slot_inertia_(slots_, true), sums_(k * d, true),
        counts_(k, true), next_(k * d, true) {}

  LloydResult run(int64_t max_iter, double tol) {
    for (int64_t i = 0; i < n_; ++i) labels_[i] = -1;  // so the first pass changes every label
    int64_t iteration = 0;
    bool strict = false;
    while (iteration < max_iter) {
      ++iteration;
      const int64_t changed = assign(true);
      relocate_empty_clusters();
      const double shift = update_centers();
      if (changed == 0) {  // the sums came from unchanged labels: c' = c
        strict = true;
        break;
      }
      if (shift <= tol) break;
    }
    if (!strict) assign(false);
    return {inertia(), iteration};
  }

 private:
  // Labels from the current centers; with `update`, also the slot sums and
  // counts reduced into sums_ and counts_. Returns how many labels changed.
  int64_t assign(bool update) {
    pack_centers();
    int64_t* slot_counts = slot_counts_.get();
    double* slot_sums = slot_sums_.get();
    if (update) {
      std::memset(slot_sums, 0, sizeof(double) * slots_ * k_ * d_);
      std::memset(slot_counts, 0, sizeof(int64_t) * slots_ * k_);
    }
    for_each_slot([&](int64_t s) {
      slot_changed_.get()[s] = assign_rows(row_begin(s), row_begin(s + 1), update,
                                           slot_sums + s * k_ * d_, slot_counts + s * k_);
    });
    int64_t changed = 0;
    for (int64_t s = 0; s < slots_; ++s) changed += slot_changed_.get()[s];
    if (!update) return changed;
    double* sums = sums_.get();
    int64_t* counts = counts_.get();
    std::memcpy(sums, slot_sums, sizeof(double) * k_ * d_);
    std::memcpy(counts, slot_counts, sizeof(int64_t) * k_);
    for (int64_t s = 1; s < slots_; ++s) {
      const double* part = slot_sums + s * k_ * d_;
#pragma omp simd
      for (int64_t e = 0; e < k_ * d_; ++e) sums[e] += part[e];
      for (int64_t j = 0; j < k_; ++j) counts[j] += slot_counts[s * k_ + j];
    }
    return changed;
  }

  int64_t row_begin(int64_t slot) const { return n_ * slot / slots_; }

  // f(s) for every slot s, on the kernel's threads. Each thread takes the next
  // slot not yet taken (a thread slowed down by other work on its core does
  // fewer); a slot's result does not depend on which thread computed it.
  template <class F>
  void for_each_slot(const F& f) const {
    int64_t next = 0;
    parallel_for(0, slots_, grain_, [&](int64_t, int64_t) {
      for (int64_t s = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED); s < slots_;
           s = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED))
        f(s);
    });
  }

  // Transposed, zero-padded blocks of the centers and their squared norms
  // (+inf for padding), as the micro-kernel reads them.
  void pack_centers() {
    T* packed = packed_.get();
    T* norms = norms_.get();
    for (int64_t b = 0; b < blocks_; ++b)
      for (int64_t p = 0; p < d_; ++p)
        for (int64_t j = 0; j < kBlock; ++j) {
          const int64_t c = b * kBlock + j;
          packed[(b * d_ + p) * kBlock + j] = c < k_ ? centers_[c * d_ + p] : T(0);
        }
    for (int64_t c = 0; c < blocks_ * kBlock; ++c) {
      if (c >= k_) {
        norms[c] = std::numeric_limits<T>::infinity();
        continue;
      }
      const T* row = centers_ + c * d_;
      T sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t p = 0; p < d_; ++p) sum += row[p] * row[p];
      if (!std::isfinite(sum)) throw std::invalid_argument(kOverflow);
      norms[c] = sum;
    }
  }

  // Rows [lo, hi): labels, and with `update` their sums and counts.
  int64_t assign_rows(int64_t lo, int64_t hi, bool update, double* sums, int64_t* counts) const {
    constexpr int R = kRows<T>;
    int64_t best[R];
    int64_t changed = 0;
    for (int64_t i0 = lo; i0 < hi; i0 += R) {
      const int rows = static_cast<int>(min64(R, hi - i0));
      if (rows == R) nearest<R>(x_ + i0 * d_, best);
      else
        for (int r = 0; r < rows; ++r) nearest<1>(x_ + (i0 + r) * d_, best + r);
      for (int r = 0; r < rows; ++r) {
        const int64_t i = i0 + r;
        const int64_t label = best[r];
        changed += labels_[i] != label;
        labels_[i] = label;
        if (!update) continue;
        ++counts[label];
        const T* row = x_ + i * d_;
        double* sum = sums + label * d_;
#pragma omp simd
        for (int64_t p = 0; p < d_; ++p) sum[p] += static_cast<double>(row[p]);
      }
    }
    return changed;
  }

  // label[r] = argmin_j (||c_j||^2 - 2 x_r.c_j) for R consecutive rows at x.
  template <int R>
  void nearest(const T* x, int64_t* label) const {
    T best[R];
    for (int r = 0; r < R; ++r) {
      best[r] = std::numeric_limits<T>::infinity();
      label[r] = 0;
    }
    const int64_t d = d_;
    for (int64_t b = 0; b < blocks_; ++b) {
      const T* packed = packed_.get() + b * d * kBlock;
      T acc[R][kBlock] = {};
      for (int64_t p = 0; p < d; ++p) {
        const T* c = packed + p * kBlock;
        for (int r = 0; r < R; ++r) {
          const T v = x[r * d + p];
#pragma omp simd
          for (int j = 0; j < kBlock; ++j) acc[r][j] += v * c[j];
        }
      }
      // Per row: the block's smallest distance, then the first center with it
      // (two vector reductions, no branch per center).
      const T* norms = norms_.get() + b * kBlock;
      for (int r = 0; r < R; ++r) {
        T dist[kBlock];
        T low = std::numeric_limits<T>::infinity();
#pragma omp simd reduction(min : low)
        for (int j = 0; j < kBlock; ++j) {
          dist[j] = norms[j] - T(2) * acc[r][j];
          low = dist[j] < low ? dist[j] : low;
        }
        if (!(low < best[r])) continue;
        int first = kBlock;
#pragma omp simd reduction(min : first)
        for (int j = 0; j < kBlock; ++j) first = dist[j] == low && j < first ? j : first;
        best[r] = low;
        label[r] = b * kBlock + first;
      }
    }
  }

  // The relocation step of the top of the file, on sums_ and counts_ (the
  // centers are still the old ones).
  void relocate_empty_clusters() {
    int64_t* counts = counts_.get();
    int64_t empty = 0;
    for (int64_t j = 0; j < k_; ++j) empty += counts[j] == 0;
    if (empty == 0) return;
    Buffer<double> far(n_, true);
    double* dist = far.get();
    parallel_for(0, n_, 1 + (1 << 14) / d_, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        dist[i] = squared_distance(x_ + i * d_, centers_ + labels_[i] * d_, d_);
    });
    double* sums = sums_.get();
    for (int64_t j = 0; j < k_; ++j) {
      if (counts[j] != 0) continue;
      int64_t f = 0;
      for (int64_t i = 1; i < n_; ++i)
        if (dist[i] > dist[f]) f = i;
      dist[f] = -1;  // taken
      const int64_t old = labels_[f];
      const T* row = x_ + f * d_;
      for (int64_t p = 0; p < d_; ++p) {
        sums[old * d_ + p] -= static_cast<double>(row[p]);
        sums[j * d_ + p] = static_cast<double>(row[p]);
      }
      counts[old] -= 1;
      counts[j] = 1;
    }
  }

  // c' = s / m (s where m = 0) into the centers; returns sum_j ||c'_j - c_j||^2.
  double update_centers() {
    const double* sums = sums_.get();
    const int64_t* counts = counts_.get();
    T* next = next_.get();
    for (int64_t j = 0; j < k_; ++j) {
      const double scale = counts[j] > 0 ? 1.0 / static_cast<double>(counts[j]) : 1.0;
      for (int64_t p = 0; p < d_; ++p) next[j * d_ + p] = static_cast<T>(sums[j * d_ + p] * scale);
    }
    double shift = 0;
    for (int64_t j = 0; j < k_; ++j) shift += squared_distance(next + j * d_, centers_ + j * d_, d_);
    std::memcpy(centers_, next, sizeof(T) * k_ * d_);
    return shift;
  }

  double inertia() {
    double* part = slot_inertia_.get();
    for_each_slot([&](int64_t s) {
      double sum = 0;
      for (int64_t i = row_begin(s); i < row_begin(s + 1); ++i)
        sum += squared_distance(x_ + i * d_, centers_ + labels_[i] * d_, d_);
      part[s] = sum;
    });
    double total = 0;
    for (int64_t s = 0; s < slots_; ++s) total += part[s];
    return total;
  }

  const T* x_;
  int64_t n_, d_, k_;
  T* centers_;
  int64_t* labels_;
  int64_t blocks_, slots_, grain_;
  Buffer<T> packed_, norms_;
  Buffer<double> slot_sums_;
  Buffer<int64_t> slot_counts_, slot_changed_;
  Buffer<double> slot_inertia_, sums_;
  Buffer<int64_t> counts_;
  Buffer<T> next_;
};

}  // namespace

template <class T>
LloydResult kmeans_lloyd(const T* x, int64_t n, int64_t d, T* centers, int64_t k,
                         int64_t* labels, int64_t max_iter, double tol) {
  Lloyd<T> lloyd(x, n, d, centers, k, labels);
  return lloyd.run(max_iter, tol);
}

#define RB_INSTANTIATE(T)                                                                    \
  template LloydResult kmeans_lloyd<T>(const T*, int64_t, int64_t, T*, int64_t, int64_t*,  \
                                       int64_t, double);
RB_INSTANTIATE(float)
RB_INSTANTIATE(double)
#undef RB_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
