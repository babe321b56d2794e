// Fused recurrent sequences on the CPU: LSTM, GRU and Elman / leaky RNN over
// a whole sequence in one call, and backpropagation through time in one call.
//
// One step, with a = W_ih x_t + b_ih and r = W_hh h + b_hh (G gates of H
// units, PyTorch's gate orders):
//   LSTM  i = s(a_i + r_i + p_i c)   f = s(a_f + r_f + p_f c)   g = tanh(a_g + r_g)
//         c' = f c + i g             o = s(a_o + r_o + p_o c')  h' = o tanh(c')
//         (p = 0 without peepholes; s is the logistic sigmoid)
//   GRU   r = s(a_r + r_r)   z = s(a_z + r_z)   n = tanh(a_n + r (W_hn h + b_hn))
//         h' = (1 - z) n + z h
//   RNN   h' = leak h + (1 - leak) act(a + r),  act = tanh or relu
// A sequence b only takes its steps t < lengths[b] (in reverse order when
// `reverse`): on the others its state is held and its output is 0.
//
// Forward:  per step, the pre-activations P = x_t W_ih^T + bias + h W_hh^T
//           (two GEMMs into one buffer, with b_hh folded into the bias
//           wherever it is not multiplied by r; the GRU keeps the two sides
//           apart), then one fused gate pass that writes the activations the
//           backward pass needs into the saved row.
// Backward: per step (in reverse) one fused gate pass giving dA (d pre-
//           activations of the input side) and dR (of the recurrent side;
//           equal to dA except GRU's n gate, where dR_n = dA_n * r), then the
//           GEMM dh = dh_direct + dR W_hh. After the loop, over all steps at
//           once: dX = dA W_ih, dW_ih = dA^T X, dW_hh = dR^T H_prev (one GEMM
//           each), db_ih = colsum dA, db_hh = colsum dR.
// Padded rows get dA = dR = 0, so the all-step products add nothing for them.
//
// Threads: the per-step work is small (B = 32 rows) and latency-bound, so the
// time loop runs inside ONE parallel region, each thread owning a slice of
// hidden units [j0, j1) (of every gate). Forward, a thread computes the
// columns of P for its units (its rows of W_ih and W_hh of every gate, packed
// for the GEMM once per call, so each step's products run on weights already
// in its cache) and the gate pass of its units, writing the next state into
// the other of two state buffers; one barrier per step makes the whole next
// state visible. The input side is computed step by step rather than for all
// steps at once (the same FLOPs) so that it is read back from L1, not from
// the megabytes of a (T, B, G) buffer. Backward, the gate pass of its units
// needs only its own columns of dh and dc; a barrier, then its columns of
// dh += dR W_hh (its columns of W_hh packed once). Each GEMM inside the
// region runs on its calling thread.
#include "cpu/rnn.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>

#include "common/parallel.h"
#include "cpu/buffer.h"
#include "cpu/gemm.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

// Units per slice boundary (a whole number of SIMD vectors), and the least
// work (B * G * H multiply-adds per step) worth a second thread.
constexpr int64_t kUnitAlign = 16;
constexpr int64_t kMinStepWorkPerThread = 1 << 16;

template <class T>
inline T relu(T v) { return v > T(0) ? v : T(0); }

template <class T>
bool live(const RnnProblem<T>& p, int64_t t, int64_t b) {
  return p.lengths == nullptr || t < p.lengths[b];
}

// C (m x n, ldc) = op(A) op(B) (+ C when accumulate) (+ bias), through our GEMM.
template <class T>
void product(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, int64_t a_cs,
             const T* b, int64_t b_rs, int64_t b_cs, T* c, int64_t ldc, bool accumulate,
             const T* bias = nullptr) {
  GemmProblem<T> g;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.a_rs = a_rs, g.a_cs = a_cs;
  g.b = b, g.b_rs = b_rs, g.b_cs = b_cs;
  g.c = c, g.ldc = ldc;
  g.beta = accumulate ? T(1) : T(0);
  g.bias = bias;
  gemm<T>(g);
}

// C (m x n, ldc) = A op(B) (+ C when accumulate) (+ bias) with op(B)
// prepacked by pack_b_slivers.
template <class T>
void product_packed(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, const T* b_packed,
                    T* c, int64_t ldc, bool accumulate, const T* bias = nullptr) {
  GemmProblem<T> g;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.a_rs = a_rs, g.a_cs = 1;
  g.b_packed = b_packed;
  g.c = c, g.ldc = ldc;
  g.beta = accumulate ? T(1) : T(0);
  g.bias = bias;
  gemm<T>(g);
}

// Elements of per-thread scratch rounded up to whole 128-byte lines, so
// every thread's part of one buffer stays aligned for the packed panels.
template <class T>
int64_t aligned_count(int64_t n) {
  constexpr int64_t line = 128 / sizeof(T);
  return (n + line - 1) / line * line;
}

// The units [j0, j1) of thread i of n (whole kUnitAlign blocks; the last
// thread's slice may be shorter or empty).
inline void unit_slice(int64_t H, int64_t i, int64_t n, int64_t& j0, int64_t& j1) {
  const int64_t blocks = (H + kUnitAlign - 1) / kUnitAlign;
  j0 = blocks * i / n * kUnitAlign;
  j1 = blocks * (i + 1) / n * kUnitAlign;
  j0 = j0 < H ? j0 : H;
  j1 = j1 < H ? j1 : H;
}

// The most units any of n threads owns.
inline int64_t widest_slice(int64_t H, int64_t n) {
  int64_t widest = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t j0, j1;
    unit_slice(H, i, n, j0, j1);
    widest = j1 - j0 > widest ? j1 - j0 : widest;
  }
  return widest;
}

// Threads for the time loop: each owns >= kUnitAlign units and enough work.
template <class T>
int64_t loop_threads(const RnnProblem<T>& p) {
  const int64_t work = p.batch * rnn_gates(p.mode) * p.hidden * p.hidden;
  int64_t team = kernel_threads();
  const int64_t by_units = (p.hidden + kUnitAlign - 1) / kUnitAlign;
  const int64_t by_work = 1 + work / kMinStepWorkPerThread;
  if (team > by_units) team = by_units;
  if (team > by_work) team = by_work;
  return team < 1 ? 1 : team;
}

inline void team_barrier() {
#ifdef _OPENMP
#pragma omp barrier
#endif
}

// f(i, j0, j1) on `team` threads, thread i owning the units [j0, j1) of
// unit_slice (a barrier inside f synchronizes the team; with one thread it
// is a no-op). Each thread first takes its GEMM packing space (a 1 x 1
// product reserves it): an allocation failing there is reported after the
// region as std::bad_alloc (MemoryError), with every thread skipping f, so
// no exception leaves a parallel region and no thread waits at a barrier
// the others never reach.
template <class T, class F>
void run_team(int64_t team, int64_t H, const F& f) {
  int failed = 0;
  auto call = [&](int64_t i) {
    int64_t j0, j1;
    unit_slice(H, i, team, j0, j1);
    try {
      T one = T(0), result;
      product<T>(1, 1, 1, &one, 1, 1, &one, 1, 1, &result, 1, false);
    } catch (...) {
#pragma omp atomic write
      failed = 1;
    }
    team_barrier();
    int any_failed;
#pragma omp atomic read
    any_failed = failed;
    if (!any_failed) f(i, j0, j1);
  };
  if (team <= 1) {
    call(0);
  } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(static_cast<int>(team))
    call(omp_get_thread_num());
#else
    for (int64_t i = 0; i < team; ++i) call(i);  // unreachable: kernel_threads() is 1
#endif
  }
  if (failed) throw std::bad_alloc();
}

template <class T>
void copy_units(T* dst, const T* src, int64_t j0, int64_t j1) {
  std::memcpy(dst + j0, src + j0, (j1 - j0) * sizeof(T));
}

template <class T>
void zero_units(T* dst, int64_t j0, int64_t j1) {
  std::memset(dst + j0, 0, (j1 - j0) * sizeof(T));
}

// ---- forward gate passes: units [j0, j1) of sequence b at one step ----------------------
// pre: the summed pre-activations (x_t W_ih^T + bias + h W_hh^T), gate q of
// unit j at pre[q * ps + j] (the GRU gets its input side xp and recurrent
// side rec apart, both laid out so); s: the saved row, written with Keep
// only (training); h: the state entering the step, h_next: the state
// leaving it, c: the LSTM cell (updated in place), y: the output row.

template <class T, bool Peephole, bool Keep>
void lstm_forward_units(const RnnProblem<T>& p, const T* pre, int64_t ps, T* s, const T* h,
                        T* h_next, T* c, T* y, bool is_live, int64_t j0, int64_t j1) {
  const int64_t H = p.hidden;
  if constexpr (Keep) {
    copy_units(s + 5 * H, c, j0, j1);
    copy_units(s + 6 * H, h, j0, j1);
  }
  if (!is_live) {
    if constexpr (Keep) {
      for (int64_t q = 0; q < 4; ++q) zero_units(s + q * H, j0, j1);
      copy_units(s + 4 * H, c, j0, j1);
    }
    copy_units(h_next, h, j0, j1);
    zero_units(y, j0, j1);
    return;
  }
  const T* pc = p.w_ch;
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T cj = c[j];
    T ai = pre[j], af = pre[ps + j];
    if constexpr (Peephole) ai += pc[j] * cj, af += pc[H + j] * cj;
    const T i = sigmoid_rational(ai), f = sigmoid_rational(af);
    const T g = tanh_rational(pre[2 * ps + j]);
    const T cn = f * cj + i * g;
    T ao = pre[3 * ps + j];
    if constexpr (Peephole) ao += pc[2 * H + j] * cn;
    const T o = sigmoid_rational(ao);
    const T hn = o * tanh_rational(cn);
    if constexpr (Keep) {
      s[j] = i, s[H + j] = f, s[2 * H + j] = g, s[3 * H + j] = o;
      s[4 * H + j] = cn;
    }
    c[j] = cn, h_next[j] = hn, y[j] = hn;
  }
}

// b_hn: the n gate's recurrent bias (zeros when the layer has none: a load
// under a condition in a vectorized loop may become a masked load, which an
// emulator can fault on even where the mask is empty).
template <class T, bool Keep>
void gru_forward_units(const RnnProblem<T>& p, const T* xp, const T* rec, int64_t ps, T* s,
                       const T* h, const T* b_hn, T* h_next, T* y, bool is_live, int64_t j0,
                       int64_t j1) {
  const int64_t H = p.hidden;
  if constexpr (Keep) copy_units(s + 4 * H, h, j0, j1);
  if (!is_live) {
    if constexpr (Keep)
      for (int64_t q = 0; q < 4; ++q) zero_units(s + q * H, j0, j1);
    copy_units(h_next, h, j0, j1);
    zero_units(y, j0, j1);
    return;
  }
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T r = sigmoid_rational(xp[j] + rec[j]);
    const T z = sigmoid_rational(xp[ps + j] + rec[ps + j]);
    const T ghn = rec[2 * ps + j] + b_hn[j];
    const T n = tanh_rational(xp[2 * ps + j] + r * ghn);
    const T hn = (T(1) - z) * n + z * h[j];
    if constexpr (Keep) s[j] = r, s[H + j] = z, s[2 * H + j] = n, s[3 * H + j] = ghn;
    h_next[j] = hn, y[j] = hn;
  }
}

template <class T, bool Keep>
void rnn_forward_units(const RnnProblem<T>& p, const T* pre, T* s, const T* h, T* h_next, T* y,
                       bool is_live, int64_t j0, int64_t j1) {
  const int64_t H = p.hidden;
  if constexpr (Keep) copy_units(s + H, h, j0, j1);
  if (!is_live) {
    if constexpr (Keep) zero_units(s, j0, j1);
    copy_units(h_next, h, j0, j1);
    zero_units(y, j0, j1);
    return;
  }
  const T leak = p.leak, keep = T(1) - p.leak;
  const bool use_tanh = p.mode == RnnMode::rnn_tanh;
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T a = use_tanh ? tanh_rational(pre[j]) : relu(pre[j]);
    const T hn = leak * h[j] + keep * a;
    if constexpr (Keep) s[j] = a;
    h_next[j] = hn, y[j] = hn;
  }
}

// ---- backward gate passes: units [j0, j1) of sequence b at one step ---------------------
// d_out: dL/dout row; dh / dc: dL/d(state leaving the step) on entry; on
// return dh holds the direct part of dL/d(state entering) (the W_hh part is
// added by the step's GEMM) and dc all of it; da / dr: the pre-activation
// gradients of the input and recurrent sides (dr == da except for the GRU).

template <class T, bool Peephole>
void lstm_backward_units(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* dc,
                         T* da, bool is_live, int64_t j0, int64_t j1) {
  const int64_t H = p.hidden;
  if (!is_live) {
    for (int64_t q = 0; q < 4; ++q) zero_units(da + q * H, j0, j1);
    return;
  }
  const T* cn_s = s + 4 * H;
  const T* c_s = s + 5 * H;
  const T* pc = p.w_ch;
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T i = s[j], f = s[H + j], g = s[2 * H + j], o = s[3 * H + j];
    const T d = dh[j] + d_out[j];
    const T tc = tanh_rational(cn_s[j]);
    const T dpo = d * tc * o * (T(1) - o);
    T dcn = dc[j] + d * o * (T(1) - tc * tc);
    if constexpr (Peephole) dcn += dpo * pc[2 * H + j];
    const T dpi = dcn * g * i * (T(1) - i);
    const T dpf = dcn * c_s[j] * f * (T(1) - f);
    const T dpg = dcn * i * (T(1) - g * g);
    T dc_prev = dcn * f;
    if constexpr (Peephole) dc_prev += dpi * pc[j] + dpf * pc[H + j];
    da[j] = dpi, da[H + j] = dpf, da[2 * H + j] = dpg, da[3 * H + j] = dpo;
    dc[j] = dc_prev;
    dh[j] = T(0);
  }
}

template <class T>
void gru_backward_units(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* da,
                        T* dr, bool is_live, int64_t j0, int64_t j1) {
  const int64_t H = p.hidden;
  if (!is_live) {
    for (int64_t q = 0; q < 3; ++q) zero_units(da + q * H, j0, j1), zero_units(dr + q * H, j0, j1);
    return;
  }
  const T* ghn_s = s + 3 * H;
  const T* h_s = s + 4 * H;
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T r = s[j], z = s[H + j], n = s[2 * H + j];
    const T d = dh[j] + d_out[j];
    const T dpn = d * (T(1) - z) * (T(1) - n * n);
    const T dpr = dpn * ghn_s[j] * r * (T(1) - r);
    const T dpz = d * (h_s[j] - n) * z * (T(1) - z);
    da[j] = dpr, da[H + j] = dpz, da[2 * H + j] = dpn;
    dr[j] = dpr, dr[H + j] = dpz, dr[2 * H + j] = dpn * r;
    dh[j] = d * z;
  }
}

template <class T>
void rnn_backward_units(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* da,
                        bool is_live, int64_t j0, int64_t j1) {
  if (!is_live) {
    zero_units(da, j0, j1);
    return;
  }
  const T leak = p.leak, keep = T(1) - p.leak;
  const bool use_tanh = p.mode == RnnMode::rnn_tanh;
#pragma omp simd
  for (int64_t j = j0; j < j1; ++j) {
    const T a = s[j];
    const T d = dh[j] + d_out[j];
    const T deriv = use_tanh ? T(1) - a * a : (a > T(0) ? T(1) : T(0));
    da[j] = d * keep * deriv;
    dh[j] = d * leak;
  }
}

// sums[g] = sum_r m[r * ld + g] for g < n over `rows` rows (column sums).
template <class T>
void column_sums(const T* m, int64_t rows, int64_t n, int64_t ld, T* sums) {
  parallel_for(0, n, 64, [&](int64_t lo, int64_t hi) {
    for (int64_t g = lo; g < hi; ++g) sums[g] = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = m + r * ld;
#pragma omp simd
      for (int64_t g = lo; g < hi; ++g) sums[g] += row[g];
    }
  });
}

// Scratch of one thread of the forward loop, for w units (w_pad columns per
// gate once padded for the GEMM): its rows of W_hh and of W_ih, packed, its
// bias columns, and the pre-activations of one block of rows, (rows, gates *
// w_pad) with gate q at column q w_pad (the GRU: twice, input and recurrent
// sides apart). Offsets in elements from the start; `size` is the whole.
struct ForwardSlice {
  int64_t packed_ih, bias, pre, pre_x, size;
};

template <class T>
ForwardSlice forward_slice(const RnnProblem<T>& p, int64_t w) {
  const int64_t n = rnn_gates(p.mode) * packed_b_size<T>(1, w);
  const int64_t block = aligned_count<T>(gemm_tile_rows<T>() * n);
  ForwardSlice f;
  f.packed_ih = aligned_count<T>(n * p.hidden);  // packed W_hh first, at 0
  f.bias = f.packed_ih + aligned_count<T>(n * p.input_size);
  f.pre = f.bias + aligned_count<T>(n);
  f.pre_x = p.mode == RnnMode::gru ? f.pre + block : f.pre;
  f.size = f.pre_x + block;
  return f;
}

// The forward time loop on the units [j0, j1) of one thread; bias: the G
// values added to the input side.
template <class T, bool Peephole, bool Keep>
void forward_loop(const RnnProblem<T>& p, const T* x, const T* bias, T* const state[2], T* c,
                  const T* b_hn, T* space, T* out, T* saved, int64_t j0, int64_t j1) {
  const int64_t T_ = p.steps, B = p.batch, H = p.hidden, I = p.input_size;
  const int64_t gates = rnn_gates(p.mode);
  const int64_t S = rnn_saved_width(p.mode, H);
  const int64_t w = j1 - j0, w_pad = packed_b_size<T>(1, w), n = gates * w_pad;
  const int64_t rows = gemm_tile_rows<T>();
  const bool gru = p.mode == RnnMode::gru;
  const ForwardSlice layout = forward_slice(p, w);
  T* packed_hh = space;
  T* packed_ih = space + layout.packed_ih;
  T* bias_units = space + layout.bias;
  T* pre = space + layout.pre;
  T* pre_x = space + layout.pre_x;  // the GRU's input side, apart (else pre itself)
  // op(B) of gate q: W[q*H + j0 : q*H + j1, :]^T, packed once for all steps.
  for (int64_t q = 0; q < gates && w > 0; ++q) {
    pack_b_slivers<T>(H, w, p.w_hh + (q * H + j0) * H, 1, H, packed_hh + q * w_pad * H);
    pack_b_slivers<T>(I, w, p.w_ih + (q * H + j0) * I, 1, I, packed_ih + q * w_pad * I);
    for (int64_t j = 0; j < w_pad; ++j)
      bias_units[q * w_pad + j] = j < w ? bias[q * H + j0 + j] : T(0);
  }
  for (int64_t k = 0; k < T_; ++k) {
    const int64_t t = p.reverse ? T_ - 1 - k : k;
    const T* h = state[k % 2];
    T* h_next = state[(k + 1) % 2];
    // P (B, gates * w_pad) in blocks of the GEMM's row tile, each still in L1
    // when its gate pass reads it: x_t W_ih^T + bias, then + h W_hh^T.
    for (int64_t b0 = 0; b0 < B && w > 0; b0 += rows) {
      const int64_t b1 = b0 + rows < B ? b0 + rows : B;
      product_packed<T>(b1 - b0, n, I, x + (t * B + b0) * I, I, packed_ih, pre_x, n, false,
                        bias_units);
      product_packed<T>(b1 - b0, n, H, h + b0 * H, H, packed_hh, pre, n, !gru);
      for (int64_t b = b0; b < b1; ++b) {
        T* s = Keep ? saved + (t * B + b) * S : nullptr;
        const T* pb = pre + (b - b0) * n - j0;  // gate q of unit j at pb[q * w_pad + j]
        T* y = out + (t * B + b) * H;
        const bool on = live(p, t, b);
        if (p.mode == RnnMode::lstm)
          lstm_forward_units<T, Peephole, Keep>(p, pb, w_pad, s, h + b * H, h_next + b * H,
                                                c + b * H, y, on, j0, j1);
        else if (gru)
          gru_forward_units<T, Keep>(p, pre_x + (b - b0) * n - j0, pb, w_pad, s, h + b * H, b_hn,
                                     h_next + b * H, y, on, j0, j1);
        else
          rnn_forward_units<T, Keep>(p, pb, s, h + b * H, h_next + b * H, y, on, j0, j1);
      }
    }
    team_barrier();  // the whole next state is written before any thread reads it
  }
}

// The backward time loop on the units [j0, j1) of one thread; `packed`
// receives its columns of W_hh, packed once for all steps.
template <class T, bool Peephole>
void backward_loop(const RnnProblem<T>& p, const T* saved, const T* dout, const T* zeros,
                   T* dh, T* dc, T* da, T* dr, T* packed, int64_t j0, int64_t j1) {
  const int64_t T_ = p.steps, B = p.batch, H = p.hidden;
  const int64_t G = rnn_gates(p.mode) * H;
  const int64_t S = rnn_saved_width(p.mode, H);
  // op(B) = W_hh[:, j0:j1] (G x w)
  if (j0 < j1) pack_b_slivers<T>(G, j1 - j0, p.w_hh + j0, H, 1, packed);
  for (int64_t k = T_ - 1; k >= 0; --k) {
    const int64_t t = p.reverse ? T_ - 1 - k : k;
    for (int64_t b = 0; b < B && j0 < j1; ++b) {
      const int64_t row = t * B + b;
      const T* s = saved + row * S;
      const T* d_out = dout ? dout + row * H : zeros;
      const bool on = live(p, t, b);
      if (p.mode == RnnMode::lstm)
        lstm_backward_units<T, Peephole>(p, s, d_out, dh + b * H, dc + b * H, da + row * G, on,
                                         j0, j1);
      else if (p.mode == RnnMode::gru)
        gru_backward_units(p, s, d_out, dh + b * H, da + row * G, dr + row * G, on, j0, j1);
      else
        rnn_backward_units(p, s, d_out, dh + b * H, da + row * G, on, j0, j1);
    }
    team_barrier();  // every unit's dR_t is written
    // dh[:, j0:j1] += dR_t W_hh[:, j0:j1]  (padded rows have dR = 0: dh passes through)
    if (j0 < j1) product_packed<T>(B, j1 - j0, G, dr + t * B * G, G, packed, dh + j0, H, true);
  }
}

}  // namespace

template <class T>
void rnn_forward(const RnnProblem<T>& p, const T* x, const T* h0, const T* c0, T* out, T* h_n,
                 T* c_n, T* saved) {
  const int64_t T_ = p.steps, B = p.batch, H = p.hidden;
  const int64_t G = rnn_gates(p.mode) * H;
  const bool lstm = p.mode == RnnMode::lstm;
  if (B > 0) {
    std::memcpy(h_n, h0, B * H * sizeof(T));
    if (lstm) std::memcpy(c_n, c0, B * H * sizeof(T));
  }
  if (T_ == 0 || B == 0) return;
  // The bias of the input side: b_ih plus b_hh wherever b_hh is added, not
  // multiplied (all of it, except the GRU's b_hn).
  Buffer<T> bias(G, true);
  const int64_t folded = p.mode == RnnMode::gru ? 2 * H : G;
  for (int64_t g = 0; g < G; ++g) {
    if (p.b_ih) bias.get()[g] += p.b_ih[g];
    if (p.b_hh && g < folded) bias.get()[g] += p.b_hh[g];
  }
  Buffer<T> other(B * H);
  // The state alternates between h_n and `other`; start so that it ends in h_n.
  T* state[2] = {h_n, other.get()};
  if (T_ % 2 == 1) {
    std::memcpy(other.get(), h0, B * H * sizeof(T));
    state[0] = other.get(), state[1] = h_n;
  }
  // Each thread's scratch: as large as the widest slice needs.
  const int64_t team = loop_threads(p);
  const int64_t per_thread = forward_slice(p, widest_slice(H, team)).size;
  Buffer<T> space(team * per_thread);
  Buffer<T> no_bias(p.b_hh ? 1 : H, true);
  const T* b_hn = p.b_hh ? p.b_hh + 2 * H : no_bias.get();  // read by the GRU only
  const bool peephole = p.w_ch != nullptr;
  run_team<T>(team, H, [&](int64_t i, int64_t j0, int64_t j1) {
    T* mine = space.get() + i * per_thread;
    const T* b = bias.get();
    if (peephole && p.keep_saved)
      forward_loop<T, true, true>(p, x, b, state, c_n, b_hn, mine, out, saved, j0, j1);
    else if (peephole)
      forward_loop<T, true, false>(p, x, b, state, c_n, b_hn, mine, out, saved, j0, j1);
    else if (p.keep_saved)
      forward_loop<T, false, true>(p, x, b, state, c_n, b_hn, mine, out, saved, j0, j1);
    else
      forward_loop<T, false, false>(p, x, b, state, c_n, b_hn, mine, out, saved, j0, j1);
  });
}

template <class T>
void rnn_backward(const RnnProblem<T>& p, const T* x, const T* saved, const T* dout,
                  const T* dh_n, const T* dc_n, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh,
                  T* db_ih, T* db_hh, T* dw_ch) {
  const int64_t T_ = p.steps, B = p.batch, H = p.hidden, I = p.input_size;
  const int64_t G = rnn_gates(p.mode) * H;
  const int64_t S = rnn_saved_width(p.mode, H);
  const bool lstm = p.mode == RnnMode::lstm, gru = p.mode == RnnMode::gru;
  if (dh_n) std::memcpy(dh0, dh_n, B * H * sizeof(T));
  else std::memset(dh0, 0, B * H * sizeof(T));
  if (lstm) {
    if (dc_n) std::memcpy(dc0, dc_n, B * H * sizeof(T));
    else std::memset(dc0, 0, B * H * sizeof(T));
  }
  // dA (T, B, G): d pre-activations, input side; dR: recurrent side (GRU only
  // differs, in its n gate).
  Buffer<T> da_buffer(T_ * B * G);
  Buffer<T> dr_buffer(gru ? T_ * B * G : 1);
  Buffer<T> zeros(dout ? 1 : H, true);  // the output gradient when none is given
  T* da = da_buffer.get();
  T* dr = gru ? dr_buffer.get() : da;
  if (B > 0) {
    const int64_t team = loop_threads(p);
    const int64_t per_thread = aligned_count<T>(packed_b_size<T>(G, widest_slice(H, team)));
    Buffer<T> packed(team * per_thread);
    const bool peephole = p.w_ch != nullptr;
    run_team<T>(team, H, [&](int64_t i, int64_t j0, int64_t j1) {
      T* mine = packed.get() + i * per_thread;
      if (peephole)
        backward_loop<T, true>(p, saved, dout, zeros.get(), dh0, dc0, da, dr, mine, j0, j1);
      else
        backward_loop<T, false>(p, saved, dout, zeros.get(), dh0, dc0, da, dr, mine, j0, j1);
    });
  }
  const int64_t rows = T_ * B;
  if (dx) product<T>(rows, I, G, da, G, 1, p.w_ih, I, 1, dx, I, false);
  if (dw_ih) product<T>(G, I, rows, da, 1, G, x, I, 1, dw_ih, I, false);
  if (dw_hh) product<T>(G, H, rows, dr, 1, G, saved + (S - H), S, 1, dw_hh, H, false);
  if (db_ih) column_sums(da, rows, G, G, db_ih);
  if (db_hh && db_ih && dr == da) std::memcpy(db_hh, db_ih, G * sizeof(T));
  else if (db_hh) column_sums(dr, rows, G, G, db_hh);
  if (dw_ch) {
    // d p_i = sum dA_i c,  d p_f = sum dA_f c,  d p_o = sum dA_o c'
    parallel_for(0, H, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t j = lo; j < hi; ++j) dw_ch[j] = dw_ch[H + j] = dw_ch[2 * H + j] = T(0);
      for (int64_t r = 0; r < rows; ++r) {
        const T* a = da + r * G;
        const T* s = saved + r * S;
#pragma omp simd
        for (int64_t j = lo; j < hi; ++j) {
          dw_ch[j] += a[j] * s[5 * H + j];
          dw_ch[H + j] += a[H + j] * s[5 * H + j];
          dw_ch[2 * H + j] += a[3 * H + j] * s[4 * H + j];
        }
      }
    });
  }
}

template void rnn_forward<float>(const RnnProblem<float>&, const float*, const float*,
                                 const float*, float*, float*, float*, float*);
template void rnn_forward<double>(const RnnProblem<double>&, const double*, const double*,
                                  const double*, double*, double*, double*, double*);
template void rnn_backward<float>(const RnnProblem<float>&, const float*, const float*,
                                  const float*, const float*, const float*, float*, float*,
                                  float*, float*, float*, float*, float*, float*);
template void rnn_backward<double>(const RnnProblem<double>&, const double*, const double*,
                                   const double*, const double*, const double*, double*,
                                   double*, double*, double*, double*, double*, double*,
                                   double*);

}  // namespace rb::cpu::RB_ISA
