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
// Forward:  XP = X W_ih^T + bias for all T*B rows in ONE GEMM (written straight
//           into the saved buffer, with b_hh folded into the bias wherever it
//           is not multiplied by r), then per step one GEMM R = h W_hh^T and one
//           fused gate pass that overwrites XP's row with the activations the
//           backward pass needs.
// Backward: per step (in reverse) one fused gate pass giving dA (d pre-
//           activations of the input side) and dR (of the recurrent side;
//           equal to dA except GRU's n gate, where dR_n = dA_n * r), then one
//           GEMM dh = dh_direct + dR W_hh. After the loop, over all steps at
//           once: dX = dA W_ih, dW_ih = dA^T X, dW_hh = dR^T H_prev (one GEMM
//           each), db_ih = colsum dA, db_hh = colsum dR.
// Padded rows get dA = dR = 0, so the all-step products add nothing for them.
#include "cpu/rnn.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "common/parallel.h"
#include "cpu/buffer.h"
#include "cpu/gemm.h"
#include "cpu/vmath.h"

namespace rb::cpu::RB_ISA {
namespace {

// Rows of a gate pass handed to one thread at least (each row is G*H work).
constexpr int64_t kMinGateWorkPerThread = 1 << 13;

template <class T>
inline T relu(T v) { return v > T(0) ? v : T(0); }

template <class T>
bool live(const RnnProblem<T>& p, int64_t t, int64_t b) {
  return p.lengths == nullptr || t < p.lengths[b];
}

// C (m x n, ldc) = op(A) op(B) (+ C when accumulate), through our GEMM.
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

// f(b) for b < rows, the rows split over the threads.
template <class F>
void parallel_rows(int64_t rows, int64_t work_per_row, const F& f) {
  const int64_t grain = 1 + kMinGateWorkPerThread / (work_per_row > 0 ? work_per_row : 1);
  parallel_for(0, rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) f(b);
  });
}

// ---- forward gate passes: one sequence b of step t -------------------------------------
// s: the saved row (XP on entry), rec: h W_hh^T (G*H), h / c: the state, updated
// in place when the step is live; y: the output row.

template <class T>
void lstm_forward_row(const RnnProblem<T>& p, T* s, const T* rec, T* h, T* c, T* y,
                      bool is_live) {
  const int64_t H = p.hidden;
  T* cn_s = s + 4 * H;
  T* c_s = s + 5 * H;
  T* h_s = s + 6 * H;
  std::memcpy(c_s, c, H * sizeof(T));
  std::memcpy(h_s, h, H * sizeof(T));
  if (!is_live) {
    std::memset(s, 0, 4 * H * sizeof(T));
    std::memcpy(cn_s, c, H * sizeof(T));
    std::memset(y, 0, H * sizeof(T));
    return;
  }
  const T* pc = p.w_ch;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T cj = c[j];
    T ai = s[j] + rec[j], af = s[H + j] + rec[H + j];
    if (pc) ai += pc[j] * cj, af += pc[H + j] * cj;
    const T i = sigmoid(ai), f = sigmoid(af);
    const T g = tanh_approx(s[2 * H + j] + rec[2 * H + j]);
    const T cn = f * cj + i * g;
    T ao = s[3 * H + j] + rec[3 * H + j];
    if (pc) ao += pc[2 * H + j] * cn;
    const T o = sigmoid(ao);
    const T hn = o * tanh_approx(cn);
    s[j] = i, s[H + j] = f, s[2 * H + j] = g, s[3 * H + j] = o;
    cn_s[j] = cn;
    c[j] = cn, h[j] = hn, y[j] = hn;
  }
}

template <class T>
void gru_forward_row(const RnnProblem<T>& p, T* s, const T* rec, T* h, T* y, bool is_live) {
  const int64_t H = p.hidden;
  T* ghn_s = s + 3 * H;
  T* h_s = s + 4 * H;
  std::memcpy(h_s, h, H * sizeof(T));
  if (!is_live) {
    std::memset(s, 0, 4 * H * sizeof(T));
    std::memset(y, 0, H * sizeof(T));
    return;
  }
  const T* b_hn = p.b_hh ? p.b_hh + 2 * H : nullptr;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = sigmoid(s[j] + rec[j]);
    const T z = sigmoid(s[H + j] + rec[H + j]);
    const T ghn = rec[2 * H + j] + (b_hn ? b_hn[j] : T(0));
    const T n = tanh_approx(s[2 * H + j] + r * ghn);
    const T hn = (T(1) - z) * n + z * h[j];
    s[j] = r, s[H + j] = z, s[2 * H + j] = n, ghn_s[j] = ghn;
    h[j] = hn, y[j] = hn;
  }
}

template <class T>
void rnn_forward_row(const RnnProblem<T>& p, T* s, const T* rec, T* h, T* y, bool is_live) {
  const int64_t H = p.hidden;
  std::memcpy(s + H, h, H * sizeof(T));
  if (!is_live) {
    std::memset(s, 0, H * sizeof(T));
    std::memset(y, 0, H * sizeof(T));
    return;
  }
  const T leak = p.leak, keep = T(1) - p.leak;
  const bool use_tanh = p.mode == RnnMode::rnn_tanh;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T pre = s[j] + rec[j];
    const T a = use_tanh ? tanh_approx(pre) : relu(pre);
    const T hn = leak * h[j] + keep * a;
    s[j] = a;
    h[j] = hn, y[j] = hn;
  }
}

// ---- backward gate passes: one sequence b of step t -----------------------------------
// d_out: dL/dout row (or null); dh / dc: dL/d(state leaving the step) on entry,
// on return dh holds the direct part of dL/d(state entering) (the W_hh part is
// added by the step's GEMM) and dc all of it; da / dr: the pre-activation
// gradients of the input and recurrent sides (dr == da except for the GRU).

template <class T>
void lstm_backward_row(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* dc, T* da,
                       bool is_live) {
  const int64_t H = p.hidden;
  if (!is_live) {
    std::memset(da, 0, 4 * H * sizeof(T));
    return;
  }
  const T* cn_s = s + 4 * H;
  const T* c_s = s + 5 * H;
  const T* pc = p.w_ch;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T i = s[j], f = s[H + j], g = s[2 * H + j], o = s[3 * H + j];
    const T cn = cn_s[j];
    const T d = dh[j] + (d_out ? d_out[j] : T(0));
    const T tc = tanh_approx(cn);
    const T dpo = d * tc * o * (T(1) - o);
    T dcn = dc[j] + d * o * (T(1) - tc * tc);
    if (pc) dcn += dpo * pc[2 * H + j];
    const T dpi = dcn * g * i * (T(1) - i);
    const T dpf = dcn * c_s[j] * f * (T(1) - f);
    const T dpg = dcn * i * (T(1) - g * g);
    T dc_prev = dcn * f;
    if (pc) dc_prev += dpi * pc[j] + dpf * pc[H + j];
    da[j] = dpi, da[H + j] = dpf, da[2 * H + j] = dpg, da[3 * H + j] = dpo;
    dc[j] = dc_prev;
    dh[j] = T(0);
  }
}

template <class T>
void gru_backward_row(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* da, T* dr,
                      bool is_live) {
  const int64_t H = p.hidden;
  if (!is_live) {
    std::memset(da, 0, 3 * H * sizeof(T));
    std::memset(dr, 0, 3 * H * sizeof(T));
    return;
  }
  const T* ghn_s = s + 3 * H;
  const T* h_s = s + 4 * H;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T r = s[j], z = s[H + j], n = s[2 * H + j];
    const T d = dh[j] + (d_out ? d_out[j] : T(0));
    const T dpn = d * (T(1) - z) * (T(1) - n * n);
    const T dpr = dpn * ghn_s[j] * r * (T(1) - r);
    const T dpz = d * (h_s[j] - n) * z * (T(1) - z);
    da[j] = dpr, da[H + j] = dpz, da[2 * H + j] = dpn;
    dr[j] = dpr, dr[H + j] = dpz, dr[2 * H + j] = dpn * r;
    dh[j] = d * z;
  }
}

template <class T>
void rnn_backward_row(const RnnProblem<T>& p, const T* s, const T* d_out, T* dh, T* da,
                      bool is_live) {
  const int64_t H = p.hidden;
  if (!is_live) {
    std::memset(da, 0, H * sizeof(T));
    return;
  }
  const T leak = p.leak, keep = T(1) - p.leak;
  const bool use_tanh = p.mode == RnnMode::rnn_tanh;
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    const T a = s[j];
    const T d = dh[j] + (d_out ? d_out[j] : T(0));
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

}  // namespace

template <class T>
void rnn_forward(const RnnProblem<T>& p, const T* x, const T* h0, const T* c0, T* out, T* h_n,
                 T* c_n, T* saved) {
  const int64_t T_ = p.steps, B = p.batch, H = p.hidden, I = p.input_size;
  const int64_t G = rnn_gates(p.mode) * H;
  const int64_t S = rnn_saved_width(p.mode, H);
  if (T_ == 0 || B == 0) {
    if (B > 0) {
      std::memcpy(h_n, h0, B * H * sizeof(T));
      if (c_n) std::memcpy(c_n, c0, B * H * sizeof(T));
    }
    return;
  }
  // The bias of the input GEMM: b_ih plus b_hh wherever b_hh is added, not
  // multiplied (all of it, except the GRU's b_hn).
  Buffer<T> bias(G, true);
  const int64_t folded = p.mode == RnnMode::gru ? 2 * H : G;
  for (int64_t g = 0; g < G; ++g) {
    if (p.b_ih) bias.get()[g] += p.b_ih[g];
    if (p.b_hh && g < folded) bias.get()[g] += p.b_hh[g];
  }
  const bool has_bias = p.b_ih != nullptr || p.b_hh != nullptr;
  // XP (T*B, G) = X W_ih^T + bias, into the first G columns of the saved rows.
  product<T>(T_ * B, G, I, x, I, 1, p.w_ih, 1, I, saved, S, false,
             has_bias ? bias.get() : nullptr);

  std::memcpy(h_n, h0, B * H * sizeof(T));
  if (p.mode == RnnMode::lstm) std::memcpy(c_n, c0, B * H * sizeof(T));
  Buffer<T> rec(B * G);
  for (int64_t k = 0; k < T_; ++k) {
    const int64_t t = p.reverse ? T_ - 1 - k : k;
    // R (B, G) = h W_hh^T
    product<T>(B, G, H, h_n, H, 1, p.w_hh, 1, H, rec.get(), G, false);
    parallel_rows(B, G, [&](int64_t b) {
      T* s = saved + (t * B + b) * S;
      const T* r = rec.get() + b * G;
      T* y = out + (t * B + b) * H;
      const bool on = live(p, t, b);
      if (p.mode == RnnMode::lstm) lstm_forward_row(p, s, r, h_n + b * H, c_n + b * H, y, on);
      else if (p.mode == RnnMode::gru) gru_forward_row(p, s, r, h_n + b * H, y, on);
      else rnn_forward_row(p, s, r, h_n + b * H, y, on);
    });
  }
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
  T* da = da_buffer.get();
  T* dr = gru ? dr_buffer.get() : da;
  for (int64_t k = T_ - 1; k >= 0; --k) {
    const int64_t t = p.reverse ? T_ - 1 - k : k;
    parallel_rows(B, G, [&](int64_t b) {
      const int64_t row = t * B + b;
      const T* s = saved + row * S;
      const T* d_out = dout ? dout + row * H : nullptr;
      const bool on = live(p, t, b);
      if (lstm) lstm_backward_row(p, s, d_out, dh0 + b * H, dc0 + b * H, da + row * G, on);
      else if (gru) gru_backward_row(p, s, d_out, dh0 + b * H, da + row * G, dr + row * G, on);
      else rnn_backward_row(p, s, d_out, dh0 + b * H, da + row * G, on);
    });
    // dh (B, H) += dR_t W_hh   (padded rows have dR = 0: their dh passes through)
    product<T>(B, H, G, dr + t * B * G, G, 1, p.w_hh, H, 1, dh0, H, true);
  }
  const int64_t rows = T_ * B;
  if (dx) product<T>(rows, I, G, da, G, 1, p.w_ih, I, 1, dx, I, false);
  if (dw_ih) product<T>(G, I, rows, da, 1, G, x, I, 1, dw_ih, I, false);
  if (dw_hh) product<T>(G, H, rows, dr, 1, G, saved + (S - H), S, 1, dw_hh, H, false);
  if (db_ih) column_sums(da, rows, G, G, db_ih);
  if (db_hh) column_sums(dr, rows, G, G, db_hh);
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
