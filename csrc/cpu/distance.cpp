// Pairwise distances, k-nearest selection and kernel matrices between the rows
// of X (n x d) and Y (m x d).
//
// Every result is produced tile by tile: a block of rows of X against a block
// of at most kBlockCols rows of Y, written into a row-major tile (up to 1 MiB)
// that stays in L2 while it is finished. Two tile producers cover all the
// metrics and kernels:
//
// - GemmTiles: metrics and kernels that are functions of the dot product,
//     ||x - y||^2 = ||x||^2 + ||y||^2 - 2 x.y
//     cos(x, y)   = x.y / (||x|| ||y||)
//   The tile is alpha X_blk Y_blk^T from our GEMM, then one fused elementwise
//   pass turns it into the result with the row and column norms (computed
//   once, before the tiles). The squared distance is clamped at 0, because the
//   expansion can round a tiny distance to a small negative number.
// - ReduceTiles: metrics that reduce per coordinate, acc = sum_p |x_p - y_p|
//   (or max, or sum of |.|^p, or the count of x_p != y_p). Y is packed once
//   into slivers of NR rows stored column by column (sliver s holds, for
//   p = 0..d-1, the NR values Y[s NR + c, p] contiguously), and a
//   register-blocked micro-kernel keeps an R x NR block of accumulators in
//   vector registers: for each p it loads the NR values of Y, broadcasts
//   X[i, p] for each of its R rows, and folds |X[i, p] - Y[j, p]| into the
//   accumulators. No horizontal reductions, and the finishing step (root,
//   division by d) is applied as the block is stored.
//
// pairwise_distances and kernel_matrix split the result into tiles and hand
// contiguous runs of them to the threads. kneighbors gives each thread blocks
// of query rows; a block walks over Y tile by tile, and each row of a tile is
// offered to that query row's bounded max-heap of the k best (distance, index)
// pairs, which lives in the output rows themselves. A vector of values at a
// time is compared with the heap's worst entry, and only the lanes of the
// resulting mask are tried, so most values cost a fraction of a comparison.
// Columns arrive in increasing index order, so a value equal to the worst one
// already kept loses: ties go to the lower index.
// No n x m matrix is allocated, and no row is sorted whole (only the k kept
// entries, by heapsort at the end).
#include "cpu/distance.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "common/parallel.h"
#include "cpu/buffer.h"
#include "cpu/gemm.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kTileRows = 8;  // 8 x 2 zmm accumulators + 2 Y vectors + temporaries <= 32 registers
#elif defined(__AVX2__)
constexpr int kVectorBytes = 32;
constexpr int kTileRows = 4;  // 4 x 2 ymm accumulators + 2 Y vectors + temporaries <= 16 registers
#else
constexpr int kVectorBytes = 16;
constexpr int kTileRows = 4;
#endif

// Rows of Y per tile: a multiple of every NR, and the GEMM's NC for float,
// so that one call packs each block of X once.
constexpr int64_t kBlockCols = 512;

// Index of an empty heap slot: loses every comparison with a real candidate.
constexpr int64_t kNoIndex = std::numeric_limits<int64_t>::max();

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// parallel_for for bodies that call the GEMM, which takes its packing buffers
// on first use in each thread and may throw std::bad_alloc there. An exception
// must not leave an OpenMP region, so it is caught inside and rethrown after.
template <class F>
void parallel_for_gemm(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int failed = 0;
  parallel_for(begin, end, grain, [&](int64_t lo, int64_t hi) {
    try {
      f(lo, hi);
    } catch (...) {
#pragma omp atomic write
      failed = 1;
    }
  });
  if (failed) throw std::bad_alloc();
}

// Rows of X per tile: as many as a 1 MiB tile holds (the GEMM then packs
// each block of Y once for that many rows), fewer when that would leave a
// thread without a block.
template <class T>
int64_t block_rows(int64_t n) {
  constexpr int64_t most = (1 << 20) / (kBlockCols * static_cast<int64_t>(sizeof(T)));
  const int64_t share = ceil_div(ceil_div(n, kernel_threads()), 16) * 16;
  return share < 16 ? 16 : share < most ? share : most;
}

// Tiles worth a thread each: a problem of less than about a million
// multiply-adds stays on one thread.
inline int64_t tile_grain(int64_t tiles, int64_t n, int64_t m, int64_t d) {
  return static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d) < 1.0e6 ? tiles
                                                                                          : 1;
}

// ---------------------------------------------------------------------------
// GEMM-based tiles

// What a GEMM tile g = alpha x.y becomes, with a_i and b_j the per-row terms.
enum class Form : int {
  sqeuclidean,  // alpha = -2, a = ||x||^2, b = ||y||^2:  max(a_i + b_j + g, 0)
  euclidean,    //   ... sqrt(max(a_i + b_j + g, 0))
  rbf,          //   ... exp(-gamma max(a_i + b_j + g, 0))
  cosine,       // alpha = 1, a = 1/||x||, b = 1/||y||:    clip(1 - a_i b_j g, 0, 2)
  linear,       // alpha = 1:                              g
  poly,         // alpha = gamma:                          (g + coef0)^degree
  sigmoid,      // alpha = gamma:                          tanh(g + coef0)
};

// (Constant messages: kernel files build no strings, see common/simd.h.)
constexpr const char* kOverflowX =
    "a squared row norm of X overflows its dtype; scale the data or use float64";
constexpr const char* kOverflowY =
    "a squared row norm of Y overflows its dtype; scale the data or use float64";

// The tiles of a result built on the dot product: the GEMM writes
// alpha X_blk Y_blk^T into the tile, finish_row maps it in place. The row
// and column terms (squared norms, or inverse norms for the cosine) are
// computed once, when the producer is made.
template <class T>
class GemmTiles {
 public:
  GemmTiles(const PointSets<T>& s, Form form, const KernelParams& kp = KernelParams{})
      : s_(s), form_(form), gamma_(static_cast<T>(kp.gamma)), coef0_(static_cast<T>(kp.coef0)),
        degree_(kp.degree), terms_(norm_terms() ? s.n + (s.same ? 0 : s.m) : 0) {
    alpha_ = form == Form::poly || form == Form::sigmoid ? gamma_
             : form == Form::cosine || form == Form::linear ? T(1)
                                                            : T(-2);
    if (!norm_terms()) return;
    row_terms_ = terms_.get();
    col_terms_ = s.same ? row_terms_ : row_terms_ + s.n;
    fill_terms(s.x, s.n, terms_.get(), kOverflowX);
    if (!s.same) fill_terms(s.y, s.m, terms_.get() + s.n, kOverflowY);
  }

  // out[0:rows, 0:cols] (leading dimension ldo) = the result for rows
  // i0..i0+rows of X and j0..j0+cols of Y.
  void operator()(int64_t i0, int64_t rows, int64_t j0, int64_t cols, T* out,
                  int64_t ldo) const {
    GemmProblem<T> pr;
    pr.m = rows, pr.n = cols, pr.k = s_.d;
    pr.a = s_.x + i0 * s_.d, pr.a_rs = s_.d, pr.a_cs = 1;
    pr.b = s_.y + j0 * s_.d, pr.b_rs = 1, pr.b_cs = s_.d;  // op(B) = Y_blk^T
    pr.c = out, pr.ldc = ldo, pr.alpha = alpha_;
    gemm(pr);
    for (int64_t r = 0; r < rows; ++r)
      finish_row(out + r * ldo, cols, norm_terms() ? row_terms_[i0 + r] : T(0),
                 norm_terms() ? col_terms_ + j0 : nullptr);
    if (!s_.same || !norm_terms()) return;
    // The diagonal, exact: distance 0 (similarity 1 for the RBF kernel).
    const T diagonal = form_ == Form::rbf ? T(1) : T(0);
    for (int64_t i = i0 > j0 ? i0 : j0; i < i0 + rows && i < j0 + cols; ++i)
      out[(i - i0) * ldo + (i - j0)] = diagonal;
  }

 private:
  bool norm_terms() const {
    return form_ != Form::linear && form_ != Form::poly && form_ != Form::sigmoid;
  }

  // terms[i] = ||v_i||^2, or for the cosine 1 / ||v_i|| (1 when ||v_i|| is
  // below 10 eps: such a vector is left unscaled, as scikit-learn's
  // normalize does, so its similarity with everything is about 0). A squared
  // norm that overflows would turn the expansion into inf - inf: ValueError.
  void fill_terms(const T* v, int64_t count, T* terms, const char* overflow_message) const {
    const int64_t d = s_.d;
    parallel_for(0, count, 1 + (1 << 14) / d, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const T* row = v + i * d;
        T sum = 0;
#pragma omp simd reduction(+ : sum)
        for (int64_t p = 0; p < d; ++p) sum += row[p] * row[p];
        terms[i] = sum;
      }
    });
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(terms[i])) throw std::invalid_argument(overflow_message);
    if (form_ != Form::cosine) return;
    for (int64_t i = 0; i < count; ++i) {
      const T norm = std::sqrt(terms[i]);
      terms[i] = norm < 10 * std::numeric_limits<T>::epsilon() ? T(1) : T(1) / norm;
    }
  }

  // The elementwise pass over one tile row g[0:cols], in place; a is the
  // row's term, b the columns' terms.
  void finish_row(T* g, int64_t cols, T a, const T* b) const {
    switch (form_) {
      case Form::sqeuclidean:
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
          const T sq = a + b[j] + g[j];
          g[j] = sq > T(0) ? sq : T(0);
        }
        break;
      case Form::euclidean:
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
          const T sq = a + b[j] + g[j];
          g[j] = std::sqrt(sq > T(0) ? sq : T(0));
        }
        break;
      case Form::rbf:
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
          const T sq = a + b[j] + g[j];
          g[j] = exp_approx(-gamma_ * (sq > T(0) ? sq : T(0)));
        }
        break;
      case Form::cosine:
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) {
          const T dist = T(1) - a * b[j] * g[j];
          g[j] = dist < T(0) ? T(0) : (dist > T(2) ? T(2) : dist);
        }
        break;
      case Form::linear:
        break;
      case Form::poly: {
        // (g + coef0)^degree by repeated squaring, one vectorized pass per step.
        T base[kBlockCols];  // cols <= kBlockCols
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) base[j] = g[j] + coef0_, g[j] = T(1);
        for (int64_t e = degree_; e > 0; e >>= 1) {
          if (e & 1) {
#pragma omp simd
            for (int64_t j = 0; j < cols; ++j) g[j] *= base[j];
          }
          if (e > 1) {
#pragma omp simd
            for (int64_t j = 0; j < cols; ++j) base[j] *= base[j];
          }
        }
        break;
      }
      case Form::sigmoid:
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) g[j] = tanh_approx(g[j] + coef0_);
        break;
    }
  }

  const PointSets<T>& s_;
  Form form_;
  T alpha_ = 1, gamma_ = 1, coef0_ = 0;
  int64_t degree_ = 1;
  Buffer<T> terms_;
  const T* row_terms_ = nullptr;
  const T* col_terms_ = nullptr;
};

// ---------------------------------------------------------------------------
// Per-coordinate reductions

template <class T>
struct Vector {
  typedef T vec __attribute__((vector_size(kVectorBytes)));
  static constexpr int lanes = kVectorBytes / sizeof(T);
  static constexpr int nv = 2;
  static constexpr int nr = nv * lanes;  // Y rows per sliver
  static constexpr int mr = kTileRows;   // X rows per micro-kernel call
};

// |v| by clearing the sign bits.
template <class vec>
inline vec vabs(vec v) {
  typedef decltype(v < v) bits;  // the integer vector of the same shape
  const bits sign = reinterpret_cast<bits>(-vec{});  // -0.0 in every lane: only the sign bit
  return reinterpret_cast<vec>(reinterpret_cast<bits>(v) & ~sign);
}

// Each metric is a step acc <- step(acc, x_p - y_p) from acc = 0, then a
// finishing map of acc, both on whole vectors.
template <class T>
struct Manhattan {  // sum_p |x_p - y_p|
  using vec = typename Vector<T>::vec;
  vec step(vec acc, vec diff) const { return acc + vabs(diff); }
  vec finish(vec acc) const { return acc; }
};

template <class T>
struct Chebyshev {  // max_p |x_p - y_p|
  using vec = typename Vector<T>::vec;
  vec step(vec acc, vec diff) const {
    const vec a = vabs(diff);
    return acc < a ? a : acc;
  }
  vec finish(vec acc) const { return acc; }
};

template <class T>
struct Hamming {  // (number of p with x_p != y_p) / d
  using vec = typename Vector<T>::vec;
  T d;
  vec step(vec acc, vec diff) const { return acc + (diff != T(0) ? vec{} + T(1) : vec{}); }
  vec finish(vec acc) const { return acc / d; }
};

template <class T>
struct Minkowski {  // (sum_p |x_p - y_p|^p)^(1/p)
  using vec = typename Vector<T>::vec;
  T p, inv_p;
  int64_t whole_p;  // p when it is a whole number (up to 64), else 0
  vec step(vec acc, vec diff) const {
    vec a = vabs(diff);
    if (whole_p > 0) {  // |d|^p by repeated squaring, on whole vectors
      vec power = vec{} + T(1);
      for (int64_t e = whole_p; e > 0; e >>= 1, a *= a)
        if (e & 1) power *= a;
      return acc + power;
    }
    for (int l = 0; l < Vector<T>::lanes; ++l) acc[l] += std::pow(a[l], p);  // the C library's
    return acc;
  }
  vec finish(vec acc) const {
    for (int l = 0; l < Vector<T>::lanes; ++l) acc[l] = std::pow(acc[l], inv_p);
    return acc;
  }
};

// out[r, c] = finish(fold_p step(acc, x[r*d + p] - ys[p*NR + c])) for r < R,
// c < cols (cols <= NR; the sliver is zero-padded past the last row of Y).
//   x:   R rows of X, row r at x + r*d;  ys: one packed sliver (d x NR)
template <class T, int R, class Op>
void reduce_micro_kernel(int64_t d, const T* __restrict x, const T* __restrict ys,
                         T* __restrict out, int64_t ldo, int64_t cols, const Op& op) {
  using V = Vector<T>;
  using vec = typename V::vec;
  vec acc[R][V::nv];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V::nv; ++v) acc[r][v] = vec{};
  for (int64_t p = 0; p < d; ++p, ys += V::nr) {
    vec y[V::nv];
#pragma GCC unroll 4
    for (int v = 0; v < V::nv; ++v) std::memcpy(&y[v], ys + v * V::lanes, sizeof(vec));
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const T xr = x[r * d + p];
#pragma GCC unroll 4
      for (int v = 0; v < V::nv; ++v) acc[r][v] = op.step(acc[r][v], xr - y[v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    alignas(64) T row[V::nr];
#pragma GCC unroll 4
    for (int v = 0; v < V::nv; ++v) {
      const vec result = op.finish(acc[r][v]);
      std::memcpy(row + v * V::lanes, &result, sizeof(vec));
    }
    if (cols == V::nr)  // a whole sliver: a fixed-size copy, inlined into vector stores
      std::memcpy(out + r * ldo, row, sizeof row);
    else
      for (int64_t c = 0; c < cols; ++c) out[r * ldo + c] = row[c];
  }
}

template <class T, class Op>
using ReduceKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, int64_t, const Op&);

// The micro-kernel for `rows` rows, 1 <= rows <= MR.
template <class T, class Op, int... R>
ReduceKernel<T, Op> reduce_kernel_for(int64_t rows, std::integer_sequence<int, R...>) {
  static constexpr ReduceKernel<T, Op> table[] = {&reduce_micro_kernel<T, R + 1, Op>...};
  return table[rows - 1];
}

template <class T, class Op>
class ReduceTiles {
  using V = Vector<T>;

 public:
  ReduceTiles(const PointSets<T>& s, Op op)
      : s_(s), op_(op), packed_(ceil_div(s.m, V::nr) * V::nr * s.d) {
    // packed[s*d*NR + p*NR + c] = Y[s*NR + c, p], 0 past the last row.
    const int64_t d = s.d, m = s.m;
    const T* y = s.y;
    T* packed = packed_.get();
    parallel_for(0, ceil_div(m, V::nr), 1 + (1 << 14) / (d * V::nr), [&](int64_t lo, int64_t hi) {
      for (int64_t sl = lo; sl < hi; ++sl) {
        T* out = packed + sl * d * V::nr;
        for (int c = 0; c < V::nr; ++c) {
          const int64_t row = sl * V::nr + c;
          if (row < m)
            for (int64_t p = 0; p < d; ++p) out[p * V::nr + c] = y[row * d + p];
          else
            for (int64_t p = 0; p < d; ++p) out[p * V::nr + c] = T(0);
        }
      }
    });
  }

  // Same contract as GemmTiles::operator(); j0 is a multiple of kBlockCols.
  void operator()(int64_t i0, int64_t rows, int64_t j0, int64_t cols, T* out,
                  int64_t ldo) const {
    const int64_t d = s_.d;
    for (int64_t ir = 0; ir < rows; ir += V::mr) {
      const int64_t r = min64(V::mr, rows - ir);
      const ReduceKernel<T, Op> kernel =
          r == V::mr ? &reduce_micro_kernel<T, V::mr, Op>
                     : reduce_kernel_for<T, Op>(r, std::make_integer_sequence<int, V::mr>{});
      const T* x = s_.x + (i0 + ir) * d;
      for (int64_t jr = 0; jr < cols; jr += V::nr)
        kernel(d, x, packed_.get() + (j0 + jr) * d, out + ir * ldo + jr, ldo,
               min64(V::nr, cols - jr), op_);
    }
  }

 private:
  const PointSets<T>& s_;
  Op op_;
  Buffer<T> packed_;
};

// Calls f(tiles) with the tile producer of `metric`.
template <class T, class F>
void with_metric_tiles(const PointSets<T>& s, Metric metric, double p, const F& f) {
  switch (metric) {
    case Metric::euclidean:
      return f(GemmTiles<T>(s, Form::euclidean));
    case Metric::sqeuclidean:
      return f(GemmTiles<T>(s, Form::sqeuclidean));
    case Metric::cosine:
      return f(GemmTiles<T>(s, Form::cosine));
    case Metric::manhattan:
      return f(ReduceTiles<T, Manhattan<T>>(s, {}));
    case Metric::chebyshev:
      return f(ReduceTiles<T, Chebyshev<T>>(s, {}));
    case Metric::hamming:
      return f(ReduceTiles<T, Hamming<T>>(s, {static_cast<T>(s.d)}));
    case Metric::minkowski: {
      const int64_t whole = p == std::floor(p) && p <= 64 ? static_cast<int64_t>(p) : 0;
      return f(ReduceTiles<T, Minkowski<T>>(
          s, {static_cast<T>(p), static_cast<T>(1.0 / p), whole}));
    }
  }
}

// out (n x m) filled tile by tile, runs of tiles per thread.
template <class T, class Tiles>
void fill_matrix(const Tiles& tiles, const PointSets<T>& s, T* out) {
  const int64_t rows = block_rows<T>(s.n);
  const int64_t col_blocks = ceil_div(s.m, kBlockCols);
  const int64_t count = ceil_div(s.n, rows) * col_blocks;
  parallel_for_gemm(0, count, tile_grain(count, s.n, s.m, s.d), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t i0 = t / col_blocks * rows, j0 = t % col_blocks * kBlockCols;
      tiles(i0, min64(rows, s.n - i0), j0, min64(kBlockCols, s.m - j0),
            out + i0 * s.m + j0, s.m);
    }
  });
}

// ---------------------------------------------------------------------------
// k-nearest selection

// A max-heap of k (distance, index) pairs in dist[0:k], index[0:k], ordered
// lexicographically, so the root is the worst pair kept.
template <class T>
inline bool worse(T da, int64_t ia, T db, int64_t ib) {
  return (da > db) | ((da == db) & (ia > ib));  // no short circuit: no branches
}

// Moves the pair (v, j) down from the root position `pos` of the heap of
// size `size` until the heap order holds.
template <class T>
void sift_down(T* dist, int64_t* index, int64_t size, int64_t pos, T v, int64_t j) {
  for (;;) {
    int64_t child = 2 * pos + 1;
    if (child >= size) break;
    if (child + 1 < size && worse(dist[child + 1], index[child + 1], dist[child], index[child]))
      ++child;
    if (!worse(dist[child], index[child], v, j)) break;
    dist[pos] = dist[child], index[pos] = index[child];
    pos = child;
  }
  dist[pos] = v, index[pos] = j;
}

// Bit c of the result is set when v[c] <= bound, for the Vector<T>::lanes
// values at v (one compare and a mask move).
template <class T>
inline uint32_t lanes_at_most(const T* v, T bound) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 4)
    return _mm512_cmp_ps_mask(_mm512_loadu_ps(v), _mm512_set1_ps(bound), _CMP_LE_OQ);
  else
    return _mm512_cmp_pd_mask(_mm512_loadu_pd(v), _mm512_set1_pd(bound), _CMP_LE_OQ);
#elif defined(__AVX2__)
  if constexpr (sizeof(T) == 4)
    return _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(v), _mm256_set1_ps(bound), _CMP_LE_OQ));
  else
    return _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(v), _mm256_set1_pd(bound), _CMP_LE_OQ));
#elif defined(__SSE2__)
  if constexpr (sizeof(T) == 4)
    return _mm_movemask_ps(_mm_cmple_ps(_mm_loadu_ps(v), _mm_set1_ps(bound)));
  else
    return _mm_movemask_pd(_mm_cmple_pd(_mm_loadu_pd(v), _mm_set1_pd(bound)));
#else
  uint32_t mask = 0;
  for (int c = 0; c < Vector<T>::lanes; ++c) mask |= static_cast<uint32_t>(v[c] <= bound) << c;
  return mask;
#endif
}

// Offers v[0:cols], the distances to rows j0.. of Y, to the heap of k pairs.
// One vector of columns at a time is compared with the root, and only the
// columns at or below it are tried; an equal value then loses to the index
// rule (a later column has a higher index) unless the root is an empty slot.
template <class T>
void offer_row(const T* v, int64_t cols, int64_t j0, int64_t k, T* dist, int64_t* index) {
  if (k == 1) {  // the nearest only (the k-means assignment): a vectorized minimum
    T low = std::numeric_limits<T>::infinity();
#pragma omp simd reduction(min : low)
    for (int64_t j = 0; j < cols; ++j) low = v[j] < low ? v[j] : low;
    if (low < dist[0] || (low == dist[0] && index[0] == kNoIndex)) {
      int64_t first = cols;  // the first column holding the minimum, also vectorized
#pragma omp simd reduction(min : first)
      for (int64_t j = 0; j < cols; ++j) first = v[j] == low && j < first ? j : first;
      dist[0] = low, index[0] = j0 + first;
    }
    return;
  }
  auto offer = [&](int64_t j) {
    if (worse(dist[0], index[0], v[j], j0 + j)) sift_down(dist, index, k, 0, v[j], j0 + j);
  };
  constexpr int lanes = Vector<T>::lanes;
  int64_t c0 = 0;
  for (; c0 + lanes <= cols; c0 += lanes)
    for (uint32_t mask = lanes_at_most(v + c0, dist[0]); mask != 0; mask &= mask - 1)
      offer(c0 + __builtin_ctz(mask));
  for (; c0 < cols; ++c0) offer(c0);
}

// Sorts a heap of k pairs ascending (heapsort: the root goes to the end).
template <class T>
void sort_heap(T* dist, int64_t* index, int64_t k) {
  for (int64_t end = k - 1; end > 0; --end) {
    const T v = dist[end];
    const int64_t j = index[end];
    dist[end] = dist[0], index[end] = index[0];
    sift_down(dist, index, end, 0, v, j);
  }
}

template <class T, class Tiles>
void select_nearest(const Tiles& tiles, const PointSets<T>& s, int64_t k, T* dist,
                    int64_t* index) {
  const int64_t block = block_rows<T>(s.n);
  const int64_t tile_size = block * kBlockCols;
  const int64_t threads = kernel_threads();
  Buffer<T> scratch(threads * tile_size);
  const int64_t blocks = ceil_div(s.n, block);
  // At most `threads` chunks, so a thread count changed meanwhile (another
  // Python thread calling set_num_threads) cannot index past the scratch.
  const int64_t even = ceil_div(blocks, threads);
  const int64_t grain = tile_grain(blocks, s.n, s.m, s.d) > even ? blocks : even;
  parallel_for_gemm(0, blocks, grain, [&](int64_t lo, int64_t hi) {
    T* tile = scratch.get() + (threads > 1 ? thread_index() : 0) * tile_size;
    for (int64_t b = lo; b < hi; ++b) {
      const int64_t i0 = b * block, rows = min64(block, s.n - i0);
      T* bd = dist + i0 * k;
      int64_t* bi = index + i0 * k;
      for (int64_t e = 0; e < rows * k; ++e) {
        bd[e] = std::numeric_limits<T>::infinity();
        bi[e] = kNoIndex;
      }
      for (int64_t j0 = 0; j0 < s.m; j0 += kBlockCols) {
        const int64_t cols = min64(kBlockCols, s.m - j0);
        tiles(i0, rows, j0, cols, tile, cols);  // dense: a narrow tile spans few cache sets
        for (int64_t r = 0; r < rows; ++r)
          offer_row(tile + r * cols, cols, j0, k, bd + r * k, bi + r * k);
      }
      for (int64_t r = 0; r < rows; ++r) sort_heap(bd + r * k, bi + r * k, k);
    }
  });
}

// True when no value of v[0:count] is NaN or +-inf (|v| <= max, false for NaN).
template <class T>
bool all_finite(const T* __restrict v, int64_t count) {
  const T big = std::numeric_limits<T>::max();
  int bad = 0;
#pragma omp simd reduction(| : bad)
  for (int64_t i = 0; i < count; ++i) bad |= !(v[i] >= -big && v[i] <= big);
  return bad == 0;
}

}  // namespace

template <class T>
int64_t first_non_finite(const T* v, int64_t count) {
  // Each thread scans its share in chunks (one vectorized test per chunk)
  // and stops at its first bad value; the lowest one found is the answer.
  int64_t first = count;
  parallel_for(0, count, 1 << 16, [&](int64_t lo, int64_t hi) {
    constexpr int64_t kChunk = 1024;
    for (int64_t c0 = lo; c0 < hi; c0 += kChunk) {
      const int64_t c1 = min64(hi, c0 + kChunk);
      if (all_finite(v + c0, c1 - c0)) continue;
      int64_t i = c0;
      while (std::isfinite(v[i])) ++i;
#pragma omp critical(rb_first_non_finite)
      first = i < first ? i : first;
      return;
    }
  });
  return first < count ? first : -1;
}

template <class T>
void pairwise_distances(const PointSets<T>& s, Metric metric, double p, T* out) {
  if (s.n == 0 || s.m == 0) return;
  with_metric_tiles(s, metric, p, [&](const auto& tiles) { fill_matrix(tiles, s, out); });
}

template <class T>
void kneighbors(const PointSets<T>& s, Metric metric, double p, int64_t k, T* dist,
                int64_t* index) {
  if (s.n == 0) return;
  with_metric_tiles(s, metric, p,
                    [&](const auto& tiles) { select_nearest(tiles, s, k, dist, index); });
}

template <class T>
void kernel_matrix(const PointSets<T>& s, const KernelParams& kp, T* out) {
  if (s.n == 0 || s.m == 0) return;
  const Form form = kp.kernel == Kernel::linear ? Form::linear
                    : kp.kernel == Kernel::poly ? Form::poly
                    : kp.kernel == Kernel::rbf  ? Form::rbf
                                                : Form::sigmoid;
  fill_matrix(GemmTiles<T>(s, form, kp), s, out);
}

#define RB_INSTANTIATE(T)                                                                   \
  template int64_t first_non_finite<T>(const T*, int64_t);                                  \
  template void pairwise_distances<T>(const PointSets<T>&, Metric, double, T*);             \
  template void kneighbors<T>(const PointSets<T>&, Metric, double, int64_t, T*, int64_t*);  \
  template void kernel_matrix<T>(const PointSets<T>&, const KernelParams&, T*);
RB_INSTANTIATE(float)
RB_INSTANTIATE(double)
#undef RB_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
