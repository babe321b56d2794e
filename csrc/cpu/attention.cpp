// Scaled dot-product attention, tiled with an online softmax (FlashAttention-2
// on the CPU): no Tq x Tk matrix is ever allocated.
//
// For one (batch, head), with S = scale Q K^T + bias (masked entries -inf),
// P = softmax(S) along the keys and O = P V:
//
// Forward. Queries are taken Br at a time (a query tile), keys Bc at a time
// (a key tile). Each query row i keeps a running max m_i, a running sum l_i
// and an unnormalized output row acc_i; for every key tile J
//   m'_i   = max(m_i, max_{j in J} S_ij)
//   alpha  = exp(m_i - m'_i)                       (rescales what came before)
//   P~_ij  = exp(S_ij - m'_i)
//   l_i    = alpha l_i + sum_{j in J} P~_ij
//   acc_i  = alpha acc_i + sum_{j in J} P~_ij V_j
//   m_i    = m'_i
// and at the end O_i = acc_i / l_i and the row statistic
// lse_i = m_i + log l_i (the log of the softmax's denominator) is saved.
//
// Backward. With dO given and D_i = sum_c dO_ic O_ic = rowsum(dO * O), every
// tile of P is recomputed from the saved statistic, P_ij = exp(S_ij - lse_i),
// and
//   dV_j += sum_i P_ij dO_i
//   dP_ij = dO_i . V_j
//   dS_ij = P_ij (dP_ij - D_i)
//   dQ_i += scale sum_j dS_ij K_j
//   dK_j += scale sum_i dS_ij Q_i
//
// Masks: a query row whose keys are all masked (all S_ij = -inf) has l_i = 0;
// its output is defined as 0 and lse_i = +inf, so that the backward's
// P_ij = exp(S_ij - lse_i) = 0 and the row contributes no gradient. While a row
// has seen only masked keys (m = -inf), exponents are taken against 0 instead
// of m, which keeps -inf - (-inf) = NaN out. Causal attention (key j masked for
// query i when j > i, top-left aligned) visits only the key tiles that start at
// or before the tile's last query.
//
// Layout: every tile product keeps the Br queries of a tile in the vector
// lanes, so each query's statistics (m, l, lse, D) are one vector and the
// softmax passes run down columns without horizontal reductions:
//   qt  (D, Br)  = scale Q^T of the query tile (packed once per tile)
//   s   (Bc, Br) = K_J qt             (S^T of the tile; then P^T in place)
//   acc (Dv, Br) += V_J^T P^T          (O^T of the tile)
// The products run in a register-blocked micro-kernel (MR rows x 2 vectors of
// accumulators, one broadcast of A and 2 FMAs per step, as the GEMM's) that
// reads A through any strides, so K, V and their transposes are used in place.
// Memory beyond the inputs and outputs: per thread O(Bc Br + (D + Dv) Br) in
// the forward and O(Tk (D + Dv)) in the backward (the dK, dV accumulators of
// one head) -- linear in the sequence length.
//
// Threads: the forward runs (batch * head, query tile) pairs in parallel; the
// backward runs one (batch, head) per task, which owns its dK, dV and dQ (so
// the backward of a single head runs on one thread).
#include "cpu/attention.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "common/parallel.h"
#include "cpu/buffer.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kTileRows = 14;  // 14 x 2 zmm accumulators + 2 B vectors + a broadcast <= 32
#elif defined(__AVX2__)
constexpr int kVectorBytes = 32;
constexpr int kTileRows = 6;   // 6 x 2 ymm accumulators + 2 + 1 <= 16
#else
constexpr int kVectorBytes = 16;
constexpr int kTileRows = 6;
#endif
constexpr int kBlockVectors = 2;  // vectors of C per micro-kernel row

template <class T>
struct Tiles {
  typedef T vec __attribute__((vector_size(kVectorBytes)));
  static constexpr int lanes = kVectorBytes / sizeof(T);
  static constexpr int64_t br = kBlockVectors * lanes;  // queries per tile (the lanes)
  static constexpr int64_t bc = kTileRows * (128 / kTileRows + 1);  // keys per tile (MR | Bc)
};

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();

// The A operand of a tile product, rows x kc: element (r, p) at
//   a[(r / MR) * block + (r % MR) * RS + p * cs]
// with the row stride RS fixed at compile time (1 or Br), so that the
// micro-kernel addresses its MR rows from one register. K and V rows, which
// have a run-time stride, are first packed into slivers of MR rows
// (RS = 1, cs = MR); transposed views (K^T, V^T) have RS = 1 as they are.
template <class T>
struct OperandA {
  const T* a;
  int64_t cs, block;
};

// C[r, 0:NV lanes] (+)= sum_{p < kc} A(r, p) B[p, 0:NV lanes] for r < R, with
// A(r, p) at a[r*RS + p*cs], B row p at b + p*ldb, C row r at c + r*ldc.
template <class T, int R, int NV, int RS>
void micro_kernel(int64_t kc, const T* __restrict a, int64_t cs, const T* __restrict b,
                  int64_t ldb, T* __restrict c, int64_t ldc, bool accumulate) {
  using vec = typename Tiles<T>::vec;
  constexpr int lanes = Tiles<T>::lanes;
  vec acc[R][NV];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (accumulate) std::memcpy(&acc[r][v], c + r * ldc + v * lanes, sizeof(vec));
      else acc[r][v] = vec{};
    }
  for (int64_t p = 0; p < kc; ++p, a += cs, b += ldb) {
    vec bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + v * lanes, sizeof(vec));
#pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const T ar = a[r * RS];  // broadcast by the vector-scalar product
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] += bv[v] * ar;
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) std::memcpy(c + r * ldc + v * lanes, &acc[r][v], sizeof(vec));
}

template <class T>
using MicroKernel = void (*)(int64_t, const T*, int64_t, const T*, int64_t, T*, int64_t, bool);

template <class T, int NV, int RS, int... R>
MicroKernel<T> micro_kernel_for(int64_t rows, std::integer_sequence<int, R...>) {
  static constexpr MicroKernel<T> table[] = {&micro_kernel<T, R + 1, NV, RS>...};
  return table[rows - 1];
}

// C (rows x width vectors) (+)= A (rows x kc) . B (kc x width vectors, row stride ldb); C
// has row stride ldc. accumulate = false overwrites C.
template <class T, int RS>
void tile_product(int64_t rows, int64_t width, int64_t kc, OperandA<T> a, const T* b,
                  int64_t ldb, T* c, int64_t ldc, bool accumulate) {
  constexpr int lanes = Tiles<T>::lanes;
  using Rows = std::make_integer_sequence<int, kTileRows>;
  for (int64_t v0 = 0; v0 < width; v0 += kBlockVectors) {
    const bool pair = width - v0 >= kBlockVectors;
    for (int64_t r0 = 0; r0 < rows; r0 += kTileRows) {
      const int64_t r = min64(kTileRows, rows - r0);
      MicroKernel<T> kernel = pair ? micro_kernel_for<T, kBlockVectors, RS>(r, Rows{})
                                   : micro_kernel_for<T, 1, RS>(r, Rows{});
      kernel(kc, a.a + r0 / kTileRows * a.block, a.cs, b + v0 * lanes, ldb,
             c + r0 * ldc + v0 * lanes, ldc, accumulate);
    }
  }
}

// out[s*MR*cols + p*MR + r] = x[(s*MR + r)*ld + p]: the rows of x (rows x cols, row
// stride ld) in slivers of MR rows, zero past the last row: the A operand of a
// product whose rows are x's rows.
template <class T>
void pack_slivers(const T* x, int64_t ld, int64_t rows, int64_t cols, T* out) {
  for (int64_t r0 = 0; r0 < rows; r0 += kTileRows, out += kTileRows * cols) {
    const int64_t n = min64(kTileRows, rows - r0);
    for (int64_t r = 0; r < kTileRows; ++r) {
      const T* src = x + (r0 + r) * ld;
      for (int64_t p = 0; p < cols; ++p) out[p * kTileRows + r] = r < n ? src[p] : T(0);
    }
  }
}

template <class T>
OperandA<T> packed_rows(const T* slivers, int64_t first_row, int64_t cols) {
  return {slivers + first_row * cols, kTileRows, kTileRows * cols};  // first_row % MR == 0
}

// A = X^T where X (kc x rows) has row stride ld: A(r, p) = x[p*ld + r].
template <class T>
OperandA<T> transposed(const T* x, int64_t ld) {
  return {x, ld, kTileRows};
}

// A = a (rows x kc) row-major with row stride Br (a tile of scratch).
template <class T>
OperandA<T> tile_rows(const T* x) {
  return {x, 1, kTileRows * Tiles<T>::br};
}

// The arrays of one (batch, head).
template <class T>
struct Head {
  const T *q, *k, *v, *bias, *key_bias;
};

template <class T>
Head<T> head_of(const AttentionProblem<T>& p, int64_t bh) {
  const int64_t b = bh / p.heads, h = bh % p.heads;
  return {p.q + b * p.q_sb + h * p.q_sh, p.k + b * p.k_sb + h * p.k_sh,
          p.v + b * p.v_sb + h * p.v_sh,
          p.bias ? p.bias + b * p.bias_sb + h * p.bias_sh : nullptr,
          p.key_bias ? p.key_bias + b * p.key_bias_sb : nullptr};
}

// qt[d, c] = scale q[c, d] for the `valid` queries of a tile (row stride q_st), 0 past them.
template <class T>
void pack_queries_transposed(const T* q, int64_t q_st, int64_t valid, int64_t d, T scale, T* qt) {
  constexpr int64_t br = Tiles<T>::br;
  for (int64_t e = 0; e < d; ++e) {
    T* row = qt + e * br;
    for (int64_t c = 0; c < valid; ++c) row[c] = scale * q[c * q_st + e];
    for (int64_t c = valid; c < br; ++c) row[c] = 0;
  }
}

// out[c, e] = scale x[c, e] for c < valid, e < d, zero-padded to (Br, ld).
template <class T>
void pack_rows_padded(const T* x, int64_t x_st, int64_t valid, int64_t d, T scale, T* out,
                      int64_t ld) {
  for (int64_t c = 0; c < Tiles<T>::br; ++c) {
    T* row = out + c * ld;
    for (int64_t e = 0; e < ld; ++e) row[e] = (c < valid && e < d) ? scale * x[c * x_st + e] : T(0);
  }
}

// The key tile's scores, transposed: s[j, c] (Bc x Br, row stride Br) for keys
// j0 + j (j < rows) and queries q0 + c:
//   s = (scale q) . k + bias(q0 + c, j0 + j) + key_bias(j0 + j),   -inf where causal-masked
// kp: the head's keys packed in slivers (pack_slivers).
template <class T>
void score_tile(const AttentionProblem<T>& p, const Head<T>& head, const T* kp, const T* qt,
                int64_t q0, int64_t valid, int64_t j0, int64_t rows, T* s) {
  constexpr int64_t br = Tiles<T>::br;
  tile_product<T, 1>(rows, br / Tiles<T>::lanes, p.d, packed_rows(kp, j0, p.d), qt, br, s, br,
                     false);
  if (head.bias) {
    for (int64_t j = 0; j < rows; ++j) {
      const T* b = head.bias + (j0 + j) * p.bias_sj + q0 * p.bias_si;
      T* sj = s + j * br;
      for (int64_t c = 0; c < valid; ++c) sj[c] += b[c * p.bias_si];
    }
  }
  if (head.key_bias) {
    for (int64_t j = 0; j < rows; ++j) {
      const T kb = head.key_bias[j0 + j];
      T* sj = s + j * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) sj[c] += kb;
    }
  }
  if (p.causal && j0 + rows - 1 > q0) {  // the tile crosses the diagonal
    for (int64_t j = 0; j < rows; ++j) {
      T* sj = s + j * br;
      // key j0 + j is masked for the queries q0 + c < j0 + j
      const int64_t masked = min64(br, j0 + j - q0);
      for (int64_t c = 0; c < masked; ++c) sj[c] = -kInf<T>;
    }
  }
}

// Keys a query tile [q0, q0 + valid) attends to: all, or with causal masking
// those up to its last query.
template <class T>
int64_t key_end(const AttentionProblem<T>& p, int64_t q0, int64_t valid) {
  return p.causal ? min64(p.tk, q0 + valid) : p.tk;
}

template <class T>
struct ForwardScratch {
  static constexpr int64_t br = Tiles<T>::br;
  T *kp, *qt, *s, *acc, *m, *l;
  static int64_t size(int64_t tk, int64_t d, int64_t dv) {
    return round_up(round_up(tk, kTileRows) * d, 16) + round_up(d * br, 16) +
           Tiles<T>::bc * br + round_up(dv * br, 16) + 2 * br;
  }
  ForwardScratch(T* base, int64_t tk, int64_t d, int64_t dv)
      : kp(base), qt(kp + round_up(round_up(tk, kTileRows) * d, 16)),
        s(qt + round_up(d * br, 16)), acc(s + Tiles<T>::bc * br),
        m(acc + round_up(dv * br, 16)), l(m + br) {}
};

// One query tile of the forward (the recurrence at the top of the file):
// o (valid x Dv, row stride Dv) and lse (valid).
template <class T>
void forward_tile(const AttentionProblem<T>& p, const Head<T>& head, int64_t q0, int64_t valid,
                  const ForwardScratch<T>& w, T* o, T* lse) {
  constexpr int64_t br = Tiles<T>::br;
  pack_queries_transposed(head.q + q0 * p.q_st, p.q_st, valid, p.d, p.scale, w.qt);
  for (int64_t c = 0; c < br; ++c) {
    w.m[c] = -kInf<T>;
    w.l[c] = 0;
  }
  std::memset(w.acc, 0, sizeof(T) * p.dv * br);
  const int64_t end = key_end(p, q0, valid);
  for (int64_t j0 = 0; j0 < end; j0 += Tiles<T>::bc) {
    const int64_t rows = min64(Tiles<T>::bc, end - j0);
    score_tile(p, head, w.kp, w.qt, q0, valid, j0, rows, w.s);
    T m_new[br], ref[br], alpha[br], sum[br];
    for (int64_t c = 0; c < br; ++c) m_new[c] = w.m[c];
    for (int64_t j = 0; j < rows; ++j) {
      const T* sj = w.s + j * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) m_new[c] = sj[c] > m_new[c] ? sj[c] : m_new[c];
    }
#pragma omp simd
    for (int64_t c = 0; c < br; ++c) {
      ref[c] = m_new[c] == -kInf<T> ? T(0) : m_new[c];  // only masked keys so far
      alpha[c] = exp_approx(w.m[c] - ref[c]);
      w.m[c] = m_new[c];
      sum[c] = 0;
    }
    for (int64_t j = 0; j < rows; ++j) {
      T* sj = w.s + j * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) {
        const T e = exp_approx(sj[c] - ref[c]);
        sj[c] = e;
        sum[c] += e;
      }
    }
#pragma omp simd
    for (int64_t c = 0; c < br; ++c) w.l[c] = alpha[c] * w.l[c] + sum[c];
    for (int64_t e = 0; e < p.dv; ++e) {
      T* row = w.acc + e * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) row[c] *= alpha[c];
    }
    // acc (Dv x Br) += V_J^T (Dv x rows) . P^T (rows x Br)
    tile_product<T, 1>(p.dv, br / Tiles<T>::lanes, rows, transposed(head.v + j0 * p.v_st, p.v_st),
                       w.s, br, w.acc, br, true);
  }
  for (int64_t c = 0; c < valid; ++c) {
    const T l = w.l[c];
    const T inv = l > 0 ? T(1) / l : T(0);
    for (int64_t e = 0; e < p.dv; ++e) o[c * p.dv + e] = w.acc[e * br + c] * inv;
    lse[c] = l > 0 ? w.m[c] + static_cast<T>(std::log(static_cast<double>(l))) : kInf<T>;
  }
}

template <class T>
struct BackwardScratch {
  static constexpr int64_t br = Tiles<T>::br, bc = Tiles<T>::bc;
  int64_t dp_ld, dvp_ld;  // padded widths of the D and Dv rows
  T *kp, *vp, *qt, *q_rows, *dot, *do_rows, *dqt, *s, *ds, *lse, *di, *dk_acc, *dv_acc;
  static int64_t size(int64_t tk, int64_t d, int64_t dv) {
    const int64_t dp = round_up(d, Tiles<T>::lanes), dvp = round_up(dv, Tiles<T>::lanes);
    const int64_t tkr = round_up(tk, kTileRows);
    return round_up(tkr * d, 16) + round_up(tkr * dv, 16) + 2 * round_up(d * br, 16) +
           br * dp + round_up(dv * br, 16) + br * dvp + 2 * bc * br + 2 * br +
           round_up(tk * dp, 16) + round_up(tk * dvp, 16);
  }
  BackwardScratch(T* base, int64_t tk, int64_t d, int64_t dv)
      : dp_ld(round_up(d, Tiles<T>::lanes)), dvp_ld(round_up(dv, Tiles<T>::lanes)) {
    const int64_t tkr = round_up(tk, kTileRows);
    kp = base;
    vp = kp + round_up(tkr * d, 16);
    qt = vp + round_up(tkr * dv, 16);
    dqt = qt + round_up(d * br, 16);
    q_rows = dqt + round_up(d * br, 16);
    dot = q_rows + br * dp_ld;
    do_rows = dot + round_up(dv * br, 16);
    s = do_rows + br * dvp_ld;
    ds = s + bc * br;
    lse = ds + bc * br;
    di = lse + br;
    dk_acc = di + br;
    dv_acc = dk_acc + round_up(tk * dp_ld, 16);
  }
};

// One query tile of the backward: adds its terms to w.dk_acc and w.dv_acc (the head's
// accumulators, padded rows) and writes dq (valid x D, row stride D).
template <class T>
void backward_tile(const AttentionProblem<T>& p, const Head<T>& head, const T* o, const T* d_o,
                   const T* lse, int64_t q0, int64_t valid, const BackwardScratch<T>& w, T* dq) {
  constexpr int64_t br = Tiles<T>::br;
  constexpr int64_t nv = br / Tiles<T>::lanes;
  pack_queries_transposed(head.q + q0 * p.q_st, p.q_st, valid, p.d, p.scale, w.qt);
  pack_rows_padded(head.q + q0 * p.q_st, p.q_st, valid, p.d, p.scale, w.q_rows, w.dp_ld);
  pack_queries_transposed(d_o, p.dv, valid, p.dv, T(1), w.dot);
  pack_rows_padded(d_o, p.dv, valid, p.dv, T(1), w.do_rows, w.dvp_ld);
  for (int64_t c = 0; c < br; ++c) {  // D = rowsum(dO * O), summed in double
    double di = 0;
    if (c < valid)
      for (int64_t e = 0; e < p.dv; ++e)
        di += static_cast<double>(d_o[c * p.dv + e]) * static_cast<double>(o[c * p.dv + e]);
    w.di[c] = static_cast<T>(di);
    w.lse[c] = c < valid ? lse[c] : kInf<T>;  // padding queries get P = 0
  }
  std::memset(w.dqt, 0, sizeof(T) * p.d * br);
  const int64_t end = key_end(p, q0, valid);
  for (int64_t j0 = 0; j0 < end; j0 += Tiles<T>::bc) {
    const int64_t rows = min64(Tiles<T>::bc, end - j0);
    score_tile(p, head, w.kp, w.qt, q0, valid, j0, rows, w.s);
    for (int64_t j = 0; j < rows; ++j) {  // P^T = exp(S^T - lse)
      T* sj = w.s + j * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) sj[c] = exp_approx(sj[c] - w.lse[c]);
    }
    // dP^T (rows x Br) = V_J (rows x Dv) . dO^T (Dv x Br)
    tile_product<T, 1>(rows, nv, p.dv, packed_rows(w.vp, j0, p.dv), w.dot, br, w.ds, br, false);
    for (int64_t j = 0; j < rows; ++j) {  // dS^T = P^T (dP^T - D)
      const T* sj = w.s + j * br;
      T* dsj = w.ds + j * br;
#pragma omp simd
      for (int64_t c = 0; c < br; ++c) dsj[c] = sj[c] * (dsj[c] - w.di[c]);
    }
    // dQ^T (D x Br) += K_J^T (D x rows) . dS^T (rows x Br)
    tile_product<T, 1>(p.d, nv, rows, transposed(head.k + j0 * p.k_st, p.k_st), w.ds, br, w.dqt,
                       br, true);
    // dK_J (rows x D) += dS^T (rows x Br) . (scale Q) (Br x D)
    tile_product<T, br>(rows, w.dp_ld / Tiles<T>::lanes, br, tile_rows(w.ds), w.q_rows, w.dp_ld,
                        w.dk_acc + j0 * w.dp_ld, w.dp_ld, true);
    // dV_J (rows x Dv) += P^T (rows x Br) . dO (Br x Dv)
    tile_product<T, br>(rows, w.dvp_ld / Tiles<T>::lanes, br, tile_rows(w.s), w.do_rows,
                        w.dvp_ld, w.dv_acc + j0 * w.dvp_ld, w.dvp_ld, true);
  }
  for (int64_t c = 0; c < valid; ++c)
    for (int64_t e = 0; e < p.d; ++e) dq[c * p.d + e] = p.scale * w.dqt[e * br + c];
}

}  // namespace

template <class T>
int64_t attention_scratch_per_thread(bool backward, int64_t tk, int64_t d, int64_t dv) {
  return backward ? BackwardScratch<T>::size(tk, d, dv) : ForwardScratch<T>::size(tk, d, dv);
}

template <class T>
void attention_forward(const AttentionProblem<T>& p, T* o, T* lse) {
  constexpr int64_t br = Tiles<T>::br;
  const int64_t heads = p.batch * p.heads;
  const int64_t tiles = (p.tq + br - 1) / br;
  if (heads == 0 || tiles == 0) return;
  const int64_t threads = kernel_threads();
  const int64_t per_thread = ForwardScratch<T>::size(p.tk, p.d, p.dv);
  Buffer<T> scratch(threads * per_thread);  // before the parallel region: bad_alloc is reported
  parallel_for(0, heads * tiles, 1, [&](int64_t lo, int64_t hi) {
    // slot 0 when serial: a caller inside a parallel region runs this on one thread
    const int64_t slot = threads > 1 ? thread_index() : 0;
    const ForwardScratch<T> w(scratch.get() + slot * per_thread, p.tk, p.d, p.dv);
    int64_t packed = -1;  // the head whose keys w.kp holds
    for (int64_t t = lo; t < hi; ++t) {
      // Within a head the tiles go first, last, second, second to last, ...: with causal
      // masking a tile's cost grows with its index, and so any contiguous range of tasks
      // a thread gets mixes cheap and dear tiles.
      const int64_t bh = t / tiles, r = t % tiles;
      const int64_t q0 = (r % 2 == 0 ? r / 2 : tiles - 1 - r / 2) * br;
      const int64_t valid = min64(br, p.tq - q0);
      const Head<T> head = head_of(p, bh);
      if (bh != packed) {
        pack_slivers(head.k, p.k_st, p.tk, p.d, w.kp);
        packed = bh;
      }
      forward_tile(p, head, q0, valid, w, o + (bh * p.tq + q0) * p.dv, lse + bh * p.tq + q0);
    }
  });
}

template <class T>
void attention_backward(const AttentionProblem<T>& p, const T* o, const T* d_o, const T* lse,
                        T* dq, T* dk, T* dv) {
  constexpr int64_t br = Tiles<T>::br;
  const int64_t heads = p.batch * p.heads;
  if (heads == 0) return;
  const int64_t threads = kernel_threads();
  const int64_t per_thread = BackwardScratch<T>::size(p.tk, p.d, p.dv);
  Buffer<T> scratch(threads * per_thread);
  parallel_for(0, heads, 1, [&](int64_t lo, int64_t hi) {
    // slot 0 when serial: a caller inside a parallel region runs this on one thread
    const int64_t slot = threads > 1 ? thread_index() : 0;
    const BackwardScratch<T> w(scratch.get() + slot * per_thread, p.tk, p.d, p.dv);
    for (int64_t bh = lo; bh < hi; ++bh) {
      const Head<T> head = head_of(p, bh);
      pack_slivers(head.k, p.k_st, p.tk, p.d, w.kp);
      pack_slivers(head.v, p.v_st, p.tk, p.dv, w.vp);
      std::memset(w.dk_acc, 0, sizeof(T) * p.tk * w.dp_ld);
      std::memset(w.dv_acc, 0, sizeof(T) * p.tk * w.dvp_ld);
      for (int64_t q0 = 0; q0 < p.tq; q0 += br) {
        const int64_t valid = min64(br, p.tq - q0);
        const int64_t row = bh * p.tq + q0;
        backward_tile(p, head, o + row * p.dv, d_o + row * p.dv, lse + row, q0, valid, w,
                      dq + row * p.d);
      }
      for (int64_t j = 0; j < p.tk; ++j) {
        std::memcpy(dk + (bh * p.tk + j) * p.d, w.dk_acc + j * w.dp_ld, sizeof(T) * p.d);
        std::memcpy(dv + (bh * p.tk + j) * p.dv, w.dv_acc + j * w.dvp_ld, sizeof(T) * p.dv);
      }
    }
  });
}

#define RB_INSTANTIATE(T)                                                                   \
  template void attention_forward<T>(const AttentionProblem<T>&, T*, T*);                   \
  template void attention_backward<T>(const AttentionProblem<T>&, const T*, const T*,       \
                                      const T*, T*, T*, T*);                                \
  template int64_t attention_scratch_per_thread<T>(bool, int64_t, int64_t, int64_t);
RB_INSTANTIATE(float)
RB_INSTANTIATE(double)
#undef RB_INSTANTIATE

}  // namespace rb::cpu::RB_ISA
