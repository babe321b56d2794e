// GEMM, C = act(alpha op(A) op(B) + beta C + bias), in the manner of BLIS /
// GotoBLAS:
//
//   for jc over n in steps of NC:            B panel  (KC x NC)  -> L2
//     for pc over k in steps of KC:          pack op(B)[pc:pc+KC, jc:jc+NC]
//       for ic over m in steps of MC:        pack op(A)[ic:ic+MC, pc:pc+KC]
//         for ir over MC in steps of MR:     A sliver (MR x KC)  -> L1
//           for jr over NC in steps of NR:   B sliver (KC x NR) streams from L2
//             C[ir:ir+MR, jr:jr+NR] (+)= A sliver . B sliver   (micro-kernel)
//
// The micro-kernel keeps the MR x NR tile of C in registers and does one
// rank-1 update per k: NV vector loads of the B row, then for each of the MR
// rows a broadcast of A(i, p) and NV fused multiply-adds. It is written once
// with GCC vector extensions; each ISA compiles it with its own vector width
// and tile shape (MR rows x NV vectors sized to the register file). Packing
// reads A and B through arbitrary strides, so transposed and strided views
// need no copy. The bias is added in registers as the last k block is
// stored; the activation runs on each tile right after, while it is still in
// L1.
//
// Threads: C is split into a tm x tn grid of rectangles (tm tn = threads,
// chosen to balance whole tiles); each thread packs and computes its own
// rectangle, so no barriers are needed.
//
// Products of a few rows (m <= kFewRows: one token at a time through a
// layer, as in cached generation) skip packing: packing op(B) would read and
// write all of B to use each element m times. They run as m matrix-vector
// products straight from B's layout instead (few_rows_product).
#include "cpu/gemm.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "common/parallel.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kTileRows = 14;  // 14 x 2 zmm accumulators + 2 B vectors + 1 broadcast <= 32 registers
#elif defined(__AVX2__)
constexpr int kVectorBytes = 32;
constexpr int kTileRows = 6;   // 6 x 2 ymm accumulators + 2 + 1 <= 16 registers
#else
constexpr int kVectorBytes = 16;
constexpr int kTileRows = 6;   // 6 x 2 xmm accumulators + 2 + 1 <= 16 registers
#endif

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <class T>
struct Blocking {
  typedef T vec __attribute__((vector_size(kVectorBytes)));
  static constexpr int lanes = kVectorBytes / sizeof(T);
  static constexpr int mr = kTileRows;
  static constexpr int nv = 2;
  static constexpr int nr = nv * lanes;
  static constexpr int64_t kc = 256;                          // A sliver MR x KC fits L1
  static constexpr int64_t mc = 16 * mr;                      // A block MC x KC
  static constexpr int64_t nc = (512 * 1024 / (kc * sizeof(T))) / nr * nr;  // B panel ~512 KiB, in L2
};

// A 64-byte aligned scratch buffer that only grows (reserve returns null when
// the allocation fails).
struct ScratchBuffer {
  void* data = nullptr;
  size_t bytes = 0;
  ~ScratchBuffer() { std::free(data); }
  void* reserve(size_t want) {
    if (want > bytes) {
      std::free(data);
      bytes = (want + 63) / 64 * 64;
      data = std::aligned_alloc(64, bytes);
      if (data == nullptr) bytes = 0;
    }
    return data;
  }
};

// Elements of one thread's packing space: a B panel (KC x NC), then an A
// block (KC x MC). Both sizes are multiples of 16, so both parts stay
// 64-byte aligned.
template <class T>
constexpr int64_t packing_space() {
  return Blocking<T>::kc * (Blocking<T>::nc + Blocking<T>::mc);
}

// Packing spaces for `threads` threads, owned by the calling thread and kept
// between calls, so packing pays for allocation and page faults only once.
// They are taken before any parallel region, where a failure can still be
// reported: std::bad_alloc (MemoryError in Python).
template <class T>
T* team_packing_space(int64_t threads) {
  thread_local ScratchBuffer buffer;
  void* space = buffer.reserve(static_cast<size_t>(threads * packing_space<T>()) * sizeof(T));
  if (space == nullptr) throw std::bad_alloc();
  return static_cast<T*>(space);
}

// dst[q*dst_stride + j] = src[j*src_stride + q] for q, j < 4: a 4 x 4 block
// transposed in registers (four loads of 4, eight shuffles, four stores of 4).
// Packing uses it wherever the packed order runs across the source's rows.
template <class T>
inline void transpose4x4(const T* src, int64_t src_stride, T* dst, int64_t dst_stride) {
  typedef T quad __attribute__((vector_size(4 * sizeof(T))));
  typedef std::conditional_t<sizeof(T) == 8, int64_t, int32_t> lane_index;
  typedef lane_index index __attribute__((vector_size(4 * sizeof(lane_index))));
  quad r[4];
  for (int q = 0; q < 4; ++q) std::memcpy(&r[q], src + q * src_stride, sizeof(quad));
  const quad t0 = __builtin_shuffle(r[0], r[1], index{0, 4, 1, 5});
  const quad t1 = __builtin_shuffle(r[0], r[1], index{2, 6, 3, 7});
  const quad t2 = __builtin_shuffle(r[2], r[3], index{0, 4, 1, 5});
  const quad t3 = __builtin_shuffle(r[2], r[3], index{2, 6, 3, 7});
  const quad out[4] = {__builtin_shuffle(t0, t2, index{0, 1, 4, 5}),
                       __builtin_shuffle(t0, t2, index{2, 3, 6, 7}),
                       __builtin_shuffle(t1, t3, index{0, 1, 4, 5}),
                       __builtin_shuffle(t1, t3, index{2, 3, 6, 7})};
  for (int q = 0; q < 4; ++q) std::memcpy(dst + q * dst_stride, &out[q], sizeof(quad));
}

// out[p*Rows + r] = src[r*stride + p] for r < Rows, p < kc: Rows source
// lines contiguous along p, interleaved into the packed order. Four lines at a
// time go through 4 x 4 register transposes (four read streams, so the lines
// do not fight over one L1 set when the stride is a multiple of 4 KiB).
template <int Rows, class T>
void interleave_lines(int64_t kc, const T* src, int64_t stride, T* out) {
  constexpr int whole = Rows / 4 * 4;
  const int64_t kc4 = kc / 4 * 4;
  for (int r = 0; r < whole; r += 4) {
    const T* lines = src + r * stride;
    for (int64_t p = 0; p < kc4; p += 4) transpose4x4(lines + p, stride, out + p * Rows + r, Rows);
    for (int64_t p = kc4; p < kc; ++p)
      for (int q = 0; q < 4; ++q) out[p * Rows + r + q] = lines[q * stride + p];
  }
  if constexpr (whole < Rows) {
    for (int r = whole; r < Rows; ++r)
      for (int64_t p = 0; p < kc; ++p) out[p * Rows + r] = src[r * stride + p];
  }
}

// Packs op(A)[0:mc, 0:kc] (element (i, p) at a[i*rs + p*cs]) into slivers of
// MR rows: sliver s holds, for p = 0..kc-1, the MR values A(s*MR + r, p)
// contiguously; rows past mc are zero.
template <class T>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* out) {
  constexpr int mr = Blocking<T>::mr;
  if (rs == 1) {  // columns are contiguous (op(A) = X^T): copy runs of them
    // Column p is read once, front to back, for every sliver: sliver by
    // sliver instead would revisit each column mc / MR times, and columns
    // a multiple of 4 KiB apart evict one another from L1 in between.
    for (int64_t p = 0; p < kc; ++p) {
      const T* column = a + p * cs;
      for (int64_t i0 = 0; i0 < mc; i0 += mr) {
        const int64_t rows = min64(mr, mc - i0);
        T* dst = out + i0 * kc + p * mr;
        if (rows == mr) {  // a constant size: a few vector moves
          std::memcpy(dst, column + i0, mr * sizeof(T));
        } else {
          std::memcpy(dst, column + i0, rows * sizeof(T));
          for (int64_t r = rows; r < mr; ++r) dst[r] = T(0);
        }
      }
    }
    return;
  }
  for (int64_t i0 = 0; i0 < mc; i0 += mr, out += mr * kc) {
    const int64_t rows = min64(mr, mc - i0);
    const T* src = a + i0 * rs;
    if (rows == mr && cs == 1) {  // rows are contiguous (row-major A)
      interleave_lines<mr>(kc, src, rs, out);
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int r = 0; r < mr; ++r) out[p * mr + r] = r < rows ? src[r * rs + p * cs] : T(0);
    }
  }
}

// Packs op(B)[0:kc, 0:nc] (element (p, j) at b[p*rs + j*cs]) into slivers of
// NR columns: sliver s holds, for p = 0..kc-1, the NR values B(p, s*NR + c)
// contiguously; columns past nc are zero. (Sliver by sliver: the slivers lie
// KC NR elements apart, a multiple of 4 KiB, so writing all of them row by
// row, as pack_a does, would make them evict one another from L1.)
template <class T>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* out) {
  constexpr int nr = Blocking<T>::nr;
  for (int64_t j0 = 0; j0 < nc; j0 += nr, out += nr * kc) {
    const int64_t cols = min64(nr, nc - j0);
    const T* src = b + j0 * cs;
    if (cols == nr && cs == 1) {  // rows of the sliver are contiguous: copy them
      for (int64_t p = 0; p < kc; ++p) std::memcpy(out + p * nr, src + p * rs, nr * sizeof(T));
    } else if (cols == nr && rs == 1) {  // columns are contiguous (op(B) = W^T)
      interleave_lines<nr>(kc, src, cs, out);
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int c = 0; c < nr; ++c) out[p * nr + c] = c < cols ? src[p * rs + c * cs] : T(0);
    }
  }
}

// C[0:R, 0:NR] = alpha * (A sliver . B sliver)[0:R] + beta * C + bias, C
// not read when beta == 0, bias (NR values added to every row) null or given
// with the last k block only. R = MR for whole slivers; an edge sliver of
// fewer rows computes only those.
template <class T, int R>
void micro_kernel(int64_t kc, const T* __restrict ap, const T* __restrict bp, T* __restrict c,
                  int64_t ldc, T alpha, T beta, const T* __restrict bias) {
  using K = Blocking<T>;
  using vec = typename K::vec;
  constexpr int nv = K::nv, lanes = K::lanes;
  vec acc[R][nv];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) acc[r][v] = vec{};
  vec add[nv] = {};
  if (bias != nullptr) {
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) std::memcpy(&add[v], bias + v * lanes, sizeof(vec));
  }
  for (int64_t p = 0; p < kc; ++p, ap += K::mr, bp += K::nr) {
    vec b[nv];
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) std::memcpy(&b[v], bp + v * lanes, sizeof(vec));
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const T a = ap[r];  // broadcast by the vector-scalar product
#pragma GCC unroll 4
      for (int v = 0; v < nv; ++v) acc[r][v] += b[v] * a;
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) {
      T* dst = c + r * ldc + v * lanes;
      vec out = alpha * acc[r][v];
      if (bias != nullptr) out += add[v];
      if (beta != T(0)) {
        vec old;
        std::memcpy(&old, dst, sizeof old);
        out += beta * old;
      }
      std::memcpy(dst, &out, sizeof out);
    }
  }
}

template <class T>
using MicroKernel = void (*)(int64_t, const T*, const T*, T*, int64_t, T, T, const T*);

// The micro-kernel computing `rows` rows, 1 <= rows <= MR.
template <class T, int... R>
MicroKernel<T> micro_kernel_for(int64_t rows, std::integer_sequence<int, R...>) {
  static constexpr MicroKernel<T> table[] = {&micro_kernel<T, R + 1>...};
  return table[rows - 1];
}

// c[r, j] = f(c[r, j] + bias[j]) over a rows x cols tile (bias may be null).
template <class T, class F>
void map_tile(T* c, int64_t ldc, int64_t rows, int64_t cols, const T* bias, F f) {
  for (int64_t r = 0; r < rows; ++r) {
    T* row = c + r * ldc;
    if (bias)
      for (int64_t j = 0; j < cols; ++j) row[j] = f(row[j] + bias[j]);
    else
      for (int64_t j = 0; j < cols; ++j) row[j] = f(row[j]);
  }
}

// The fused epilogue: c = activation(c + bias) on one tile.
template <class T>
void epilogue(T* c, int64_t ldc, int64_t rows, int64_t cols, const T* bias, Activation act) {
  switch (act) {
    case Activation::none:
      if (bias) map_tile(c, ldc, rows, cols, bias, [](T x) { return x; });
      break;
    case Activation::relu:  // NaN propagates, as in torch.relu
      map_tile(c, ldc, rows, cols, bias, [](T x) { return x < T(0) ? T(0) : x; });
      break;
    case Activation::sigmoid:
      map_tile(c, ldc, rows, cols, bias, [](T x) { return sigmoid(x); });
      break;
    case Activation::tanh:
      map_tile(c, ldc, rows, cols, bias, [](T x) { return tanh_approx(x); });
      break;
    case Activation::gelu:
      map_tile(c, ldc, rows, cols, bias, [](T x) { return gelu(x); });
      break;
  }
}

// One thread's share, C[m0:m1, n0:n1], packed in its own `space`.
template <class T>
void gemm_rectangle(const GemmProblem<T>& pr, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                    T* space) {
  using K = Blocking<T>;
  constexpr int mr = K::mr, nr = K::nr;
  T* bpack = space;
  T* apack = space + K::kc * K::nc;
  alignas(64) T edge[mr * nr];
  for (int64_t jc = n0; jc < n1; jc += K::nc) {
    const int64_t nc = min64(K::nc, n1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += K::kc) {
      const int64_t kc = min64(K::kc, pr.k - pc);
      const T beta = pc == 0 ? pr.beta : T(1);
      const bool last = pc + kc == pr.k;
      if (pr.b_packed == nullptr)
        pack_b(kc, nc, pr.b + pc * pr.b_rs + jc * pr.b_cs, pr.b_rs, pr.b_cs, bpack);
      for (int64_t ic = m0; ic < m1; ic += K::mc) {
        const int64_t mc = min64(K::mc, m1 - ic);
        pack_a(mc, kc, pr.a + ic * pr.a_rs + pc * pr.a_cs, pr.a_rs, pr.a_cs, apack);
        for (int64_t ir = 0; ir < mc; ir += mr) {
          const int64_t rows = min64(mr, mc - ir);
          for (int64_t jr = 0; jr < nc; jr += nr) {
            const int64_t cols = min64(nr, nc - jr);
            T* c = pr.c + (ic + ir) * pr.ldc + jc + jr;
            const T* ap = apack + ir * kc;
            // Prepacked B (pack_b_slivers): sliver s holds all k rows, block pc at s k NR + pc NR.
            const T* bp = pr.b_packed ? pr.b_packed + (jc + jr) / nr * (pr.k * nr) + pc * nr
                                      : bpack + jr * kc;
            // The bias is added as the last k block is stored, the activation right after.
            const T* bias = last && pr.bias ? pr.bias + jc + jr : nullptr;
            if (rows == mr && cols == nr) {
              micro_kernel<T, mr>(kc, ap, bp, c, pr.ldc, pr.alpha, beta, bias);
            } else if (cols == nr) {  // a short sliver: only its rows
              micro_kernel_for<T>(rows, std::make_integer_sequence<int, mr>{})(
                  kc, ap, bp, c, pr.ldc, pr.alpha, beta, bias);
            } else {  // a narrow tile: compute it whole, store the valid columns
              micro_kernel_for<T>(rows, std::make_integer_sequence<int, mr>{})(
                  kc, ap, bp, edge, nr, pr.alpha, T(0), nullptr);
              for (int64_t r = 0; r < rows; ++r)
                for (int64_t j = 0; j < cols; ++j) {
                  T& dst = c[r * pr.ldc + j];
                  const T v = edge[r * nr + j] + (bias ? bias[j] : T(0));
                  dst = beta != T(0) ? v + beta * dst : v;
                }
            }
            if (last && pr.activation != Activation::none)
              epilogue<T>(c, pr.ldc, rows, cols, nullptr, pr.activation);
          }
        }
      }
    }
  }
}

// C = act(beta C + bias) when k == 0 (the product is empty).
template <class T>
void gemm_empty_k(const GemmProblem<T>& pr) {
  for (int64_t i = 0; i < pr.m; ++i) {
    T* row = pr.c + i * pr.ldc;
    for (int64_t j = 0; j < pr.n; ++j) row[j] = pr.beta != T(0) ? pr.beta * row[j] : T(0);
  }
  epilogue(pr.c, pr.ldc, pr.m, pr.n, pr.bias, pr.activation);
}

// Rows up to which a product runs as matrix-vector products (no packing).
constexpr int64_t kFewRows = 4;
// Columns of C per block of the few-row path (its m x block of C stays in L1).
constexpr int64_t kFewRowsBlock = 512;

// c[i, j0:j1] = alpha sum_p a[i, p] op(B)[p, j] (+ beta c) for i < m, then the
// epilogue; a's rows are contiguous (a_cs == 1). Two layouts of op(B):
//   b_rs == 1 (op(B) = W^T, W (n, k) row-major): each c[i, j] is a dot product
//     of a's row i with W's row j, both contiguous;
//   b_cs == 1 (B (k, n) row-major): c[i, :] accumulates a[i, p] * B[p, :]
//     over p, a contiguous axpy per row of B.
template <class T>
void few_rows_product(const GemmProblem<T>& pr, int64_t j0, int64_t j1) {
  const int64_t m = pr.m, k = pr.k;
  for (int64_t jb = j0; jb < j1; jb += kFewRowsBlock) {
    const int64_t je = min64(j1, jb + kFewRowsBlock), cols = je - jb;
    T acc[kFewRows][kFewRowsBlock];
    if (pr.b_rs == 1) {
      for (int64_t j = jb; j < je; ++j) {
        const T* w = pr.b + j * pr.b_cs;
        for (int64_t i = 0; i < m; ++i) {
          const T* a = pr.a + i * pr.a_rs;
          T dot = 0;
#pragma omp simd reduction(+ : dot)
          for (int64_t p = 0; p < k; ++p) dot += a[p] * w[p];
          acc[i][j - jb] = dot;
        }
      }
    } else {
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < cols; ++j) acc[i][j] = 0;
      for (int64_t p = 0; p < k; ++p) {
        const T* brow = pr.b + p * pr.b_rs + jb;
        for (int64_t i = 0; i < m; ++i) {
          const T a = pr.a[i * pr.a_rs + p];
          T* out = acc[i];
#pragma omp simd
          for (int64_t j = 0; j < cols; ++j) out[j] += a * brow[j];
        }
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      T* c = pr.c + i * pr.ldc + jb;
      if (pr.beta != T(0)) {
        for (int64_t j = 0; j < cols; ++j) c[j] = pr.alpha * acc[i][j] + pr.beta * c[j];
      } else {
        for (int64_t j = 0; j < cols; ++j) c[j] = pr.alpha * acc[i][j];
      }
    }
    epilogue(pr.c + jb, pr.ldc, m, cols, pr.bias ? pr.bias + jb : nullptr, pr.activation);
  }
}

template <class T>
bool takes_few_rows_path(const GemmProblem<T>& pr) {
  return pr.m <= kFewRows && pr.k > 0 && pr.b_packed == nullptr && pr.a_cs == 1 &&
         (pr.b_rs == 1 || pr.b_cs == 1);
}

// Threads worth using for one product: small ones stay on one thread, where
// waking a team would cost more than it saves.
template <class T>
int64_t product_threads(const GemmProblem<T>& pr) {
  return 2.0 * pr.m * pr.n * pr.k < 2.0e6 ? 1 : kernel_threads();
}

// One product on `threads` threads, thread t packing in space + t * packing_space.
template <class T>
void gemm_on(const GemmProblem<T>& pr, int64_t threads, T* space) {
  using K = Blocking<T>;
  if (pr.m == 0 || pr.n == 0) return;
  if (pr.k == 0) return gemm_empty_k(pr);
  if (takes_few_rows_path(pr)) {
    parallel_for(0, ceil_div(pr.n, K::nr), threads > 1 ? 1 : ceil_div(pr.n, K::nr),
                 [&](int64_t lo, int64_t hi) {
                   few_rows_product(pr, lo * K::nr, min64(pr.n, hi * K::nr));
                 });
    return;
  }

  // Split C into a tm x tn grid of whole tiles, one rectangle per thread,
  // picking the grid whose largest rectangle is smallest (ties: split m).
  const int64_t tiles_m = ceil_div(pr.m, K::mr), tiles_n = ceil_div(pr.n, K::nr);
  int64_t tm = 1, tn = 1, best = -1;
  for (int64_t d = threads; d >= 1; --d) {
    if (threads % d != 0 || d > tiles_m || threads / d > tiles_n) continue;
    const int64_t cost = ceil_div(tiles_m, d) * ceil_div(tiles_n, threads / d);
    if (best < 0 || cost < best) best = cost, tm = d, tn = threads / d;
  }
  if (tm * tn == 1) return gemm_rectangle(pr, 0, pr.m, 0, pr.n, space);
#ifdef _OPENMP
#pragma omp parallel num_threads(static_cast<int>(tm * tn))
  {
    const int64_t t = omp_get_thread_num();
    const int64_t ti = t / tn, tj = t % tn;
    const int64_t m0 = tiles_m * ti / tm * K::mr, m1 = min64(pr.m, tiles_m * (ti + 1) / tm * K::mr);
    const int64_t n0 = tiles_n * tj / tn * K::nr, n1 = min64(pr.n, tiles_n * (tj + 1) / tn * K::nr);
    if (m0 < m1 && n0 < n1) gemm_rectangle(pr, m0, m1, n0, n1, space + t * packing_space<T>());
  }
#endif
}

}  // namespace

template <class T>
void gemm(const GemmProblem<T>& pr) {
  const int64_t threads = product_threads(pr);
  gemm_on(pr, threads, team_packing_space<T>(threads));
}

template <class T>
void batched_gemm(const GemmProblem<T>& pr, const BatchStrides& s) {
  auto product = [&](int64_t t) {
    GemmProblem<T> q = pr;
    q.a += t * s.a_batch;
    q.b += t * s.b_batch;
    q.c += t * s.c_batch;
    return q;
  };
  // Many products: one thread per product, each packing in its own space.
  // Few: one after another, each using every thread.
  const int64_t threads = kernel_threads();
  if (threads > 1 && (s.batch % threads == 0 || s.batch >= 4 * threads)) {
    T* space = team_packing_space<T>(threads);
    parallel_for(0, s.batch, 1, [&](int64_t lo, int64_t hi) {
      T* mine = space + thread_index() * packing_space<T>();
      for (int64_t t = lo; t < hi; ++t) gemm_on(product(t), 1, mine);
    });
  } else {
    for (int64_t t = 0; t < s.batch; ++t) gemm(product(t));
  }
}

template <class T>
int64_t gemm_tile_rows() {
  return Blocking<T>::mr;
}

// The prepacked layout: op(B) in slivers of NR columns (the last one padded
// with zero columns), sliver s holding its k rows of NR values contiguously
// at out + s k NR, so that its part for any k block [pc, pc + KC) is the
// contiguous run pack_b would have produced for that block.
template <class T>
int64_t packed_b_size(int64_t k, int64_t n) {
  constexpr int nr = Blocking<T>::nr;
  return ceil_div(n, nr) * nr * k;
}

template <class T>
void pack_b_slivers(int64_t k, int64_t n, const T* b, int64_t b_rs, int64_t b_cs, T* out) {
  constexpr int nr = Blocking<T>::nr;
  for (int64_t j0 = 0; j0 < n; j0 += nr)
    for (int64_t pc = 0; pc < k; pc += Blocking<T>::kc)
      pack_b(min64(Blocking<T>::kc, k - pc), min64(nr, n - j0), b + pc * b_rs + j0 * b_cs, b_rs,
             b_cs, out + j0 * k + pc * nr);
}

template void gemm<float>(const GemmProblem<float>&);
template void gemm<double>(const GemmProblem<double>&);
template void batched_gemm<float>(const GemmProblem<float>&, const BatchStrides&);
template void batched_gemm<double>(const GemmProblem<double>&, const BatchStrides&);
template int64_t gemm_tile_rows<float>();
template int64_t gemm_tile_rows<double>();
template int64_t packed_b_size<float>(int64_t, int64_t);
template int64_t packed_b_size<double>(int64_t, int64_t);
template void pack_b_slivers<float>(int64_t, int64_t, const float*, int64_t, int64_t, float*);
template void pack_b_slivers<double>(int64_t, int64_t, const double*, int64_t, int64_t, double*);

}  // namespace rb::cpu::RB_ISA
