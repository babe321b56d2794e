// Fused recurrent sequences (LSTM, GRU, Elman/leaky RNN): one layer, one
// direction, a whole sequence per call, forward and backward through time.
// Defined in cpu/rnn.cpp, once per ISA; the math is stated there.
#pragma once

#include <cstdint>

#include "common/simd.h"

namespace rb::cpu {

// The recurrence; G = gates per hidden unit (4, 3, 1, 1).
enum class RnnMode : int { lstm = 0, gru = 1, rnn_tanh = 2, rnn_relu = 3 };

inline int64_t rnn_gates(RnnMode mode) {
  return mode == RnnMode::lstm ? 4 : (mode == RnnMode::gru ? 3 : 1);
}

// Values saved per (step, sequence) for the backward pass: S of them, laid
// out as (see rnn.cpp)
//   LSTM  [i f g o (4H) | c' (H) | c (H) | h (H)]     S = 7H
//   GRU   [r z n (3H) | W_hn h + b_hn (H) | h (H)]     S = 5H
//   RNN   [act(pre) (H) | h (H)]                      S = 2H
// where c, h are the states entering the step and c' the cell leaving it;
// the state entering the step is always the last H values.
inline int64_t rnn_saved_width(RnnMode mode, int64_t hidden) {
  return hidden * (mode == RnnMode::lstm ? 7 : (mode == RnnMode::gru ? 5 : 2));
}

// The sizes, weights and options of one (layer, direction).
//   w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H) or null,
//   w_ch (3*H) peephole weights (p_i, p_f, p_o) or null (LSTM only),
//   lengths (B) each in [1, T], or null (every sequence has T steps),
//   reverse: process t = len-1 .. 0 instead of 0 .. len-1,
//   leak: h' = leak h + (1 - leak) act(...) for the RNN modes (0: Elman).
template <class T>
struct RnnProblem {
  RnnMode mode = RnnMode::lstm;
  int64_t steps = 0, batch = 0, input_size = 0, hidden = 0;
  const T* w_ih = nullptr;
  const T* w_hh = nullptr;
  const T* b_ih = nullptr;
  const T* b_hh = nullptr;
  const T* w_ch = nullptr;
  const int64_t* lengths = nullptr;
  bool reverse = false;
  T leak = 0;
  // false (inference): the forward saves nothing for a backward pass (saved
  // is not written and may be null).
  bool keep_saved = true;
};

}  // namespace rb::cpu

#define RB_RNN_DECLS                                                                     \
  /* x (T, B, I), h0 / c0 (B, H) -> out (T, B, H), h_n / c_n (B, H), saved (T, B, S) */ \
  /* (only with keep_saved); c0 and c_n only for the LSTM (null otherwise). */           \
  template <class T>                                                                     \
  void rnn_forward(const ::rb::cpu::RnnProblem<T>& p, const T* x, const T* h0,           \
                   const T* c0, T* out, T* h_n, T* c_n, T* saved);                       \
  /* Gradients of a loss L given dL/dout (T, B, H), dL/dh_n, dL/dc_n (B, H) (each may */ \
  /* be null: zero): dx (T, B, I), dh0 / dc0 (B, H), dw_ih, dw_hh, db_ih, db_hh, dw_ch */ \
  /* (null when not wanted; biases and dw_ch null when the layer has none). */           \
  template <class T>                                                                     \
  void rnn_backward(const ::rb::cpu::RnnProblem<T>& p, const T* x, const T* saved,       \
                    const T* dout, const T* dh_n, const T* dc_n, T* dx, T* dh0, T* dc0,  \
                    T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, T* dw_ch);

RB_DECLARE_FOR_EACH_ISA(RB_RNN_DECLS)

#undef RB_RNN_DECLS
