// Elementwise math written so that GCC vectorizes it at -O3 (branch-free,
// no libm calls) for float; double uses libm, where exactness matters more
// than speed (double is the gradcheck dtype).
//
// Included by kernel files only: everything lives in rb::cpu::RB_ISA (see
// common/simd.h for why).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#ifndef RB_ISA
#error "csrc/cpu/vmath.h is for kernel files compiled per ISA"
#endif

namespace rb::cpu::RB_ISA {

inline float float_from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline uint32_t bits_of_float(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// e^x in float, within 1-2 ulp of the correctly rounded result:
//   x = n ln2 + r,  n = round(x / ln2),  |r| <= ln2 / 2
//   e^x = 2^n e^r,  e^r ~ 1 + r + r^2 P(r)
// P is the degree-5 minimax polynomial of Cephes' expf, and ln2 is split in
// two parts (C1 = 0.693359375 has few bits, so n C1 is exact) so that
// r = (x - n C1) - n C2 loses nothing. 2^n is built in the exponent bits,
// which holds for normal results: below ln(FLT_MIN) ~ -87.34 the result
// (subnormal or smaller) is flushed to 0, which also covers x = -inf, and
// above 127.5 ln2 ~ 88.38 (a hair below ln FLT_MAX ~ 88.72) it is inf.
// NaN stays NaN (the polynomial of NaN is NaN, and comparisons with NaN are
// false).
inline float exp_approx(float x) {
  constexpr float kHi = 88.3762626647949f, kLo = -87.33654475f;
  const float xc = x > kHi ? kHi : x;
  // round(x log2(e)): adding 1.5 * 2^23 leaves no fraction bits, so the sum
  // is rounded to an integer, and its low mantissa bits hold n itself.
  constexpr float kShift = 0x1.8p23f;
  const float shifted = xc * 1.44269504088896341f + kShift;
  const float n = shifted - kShift;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  const float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                    4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
  const float exp_r = p * (r * r) + r + 1.0f;
  // 2^n: the bits of `shifted` are those of 1.5 * 2^23 plus n, so adding
  // 127 - bits(1.5 * 2^23) gives the biased exponent n + 127.
  const uint32_t biased = bits_of_float(shifted) + (127u - bits_of_float(kShift));
  const float result = exp_r * float_from_bits(biased << 23);
  return x < kLo ? 0.0f : (x > kHi ? INFINITY : result);
}

// e^x in double: the C library's exp. It does not vectorize, but double is
// here for exactness (gradient checks), not for speed.
inline double exp_approx(double x) { return std::exp(x); }

// sigmoid(x) = 1 / (1 + e^-x)
template <class T>
inline T sigmoid(T x) { return T(1) / (T(1) + exp_approx(-x)); }

// tanh(x) = sign(x) (1 - 2 / (e^{2|x|} + 1)); near 0 that difference loses
// relative precision, so |x| < 1/8 uses the odd series
// x - x^3/3 + 2x^5/15 - 17x^7/315 (truncation error < 2e-9 relative).
inline float tanh_approx(float x) {
  const float ax = __builtin_fabsf(x);
  const float big = 1.0f - 2.0f / (exp_approx(2.0f * ax) + 1.0f);
  const float x2 = x * x;
  const float small = x + x * x2 * (-1.0f / 3 + x2 * (2.0f / 15 - x2 * (17.0f / 315)));
  return ax < 0.125f ? small : (x < 0 ? -big : big);
}
inline double tanh_approx(double x) { return std::tanh(x); }

// tanh(x) as a rational minimax fit (Eigen's float tanh): x P(x^2) / Q(x^2),
// P of degree 6 and Q of degree 3 in x^2, with x clamped to
// |x| <= 7.90531110763549805, where the fit reaches 1 in float. Absolute
// error < 3e-7 on the whole line, relative error a few ulp; nine FMAs and
// one division, against tanh_approx's exp, division and series. NaN stays
// NaN (it fails both clamp comparisons). The recurrent gates use it.
inline float tanh_rational(float x) {
  constexpr float kClamp = 7.90531110763549805f;
  const float xc = x > kClamp ? kClamp : (x < -kClamp ? -kClamp : x);
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 - 8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return xc * p / q;
}
inline double tanh_rational(double x) { return std::tanh(x); }

// sigmoid(x) = (1 + tanh(x / 2)) / 2 through tanh_rational: absolute error
// < 1.5e-7, but not relative (sigmoid(-20) ~ 2e-9 comes out 0), so it is for
// gates, whose values scale other terms, and not for log-probabilities.
inline float sigmoid_rational(float x) { return 0.5f + 0.5f * tanh_rational(0.5f * x); }
inline double sigmoid_rational(double x) { return sigmoid(x); }

// erfc(z) for z >= 0 with relative error < 1.2e-7 (Numerical Recipes'
// Chebyshev fit): t = 1 / (1 + z/2), erfc(z) = t exp(-z^2 + poly(t)).
inline float erfc_nonneg(float z) {
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * exp_approx(p - z * z);
}

// gelu(x) = x Phi(x) = x/2 erfc(-x / sqrt 2), the exact (erf) GELU.
inline float gelu(float x) {
  const float z = x * -0.70710678118654752f;
  const float e = erfc_nonneg(__builtin_fabsf(z));
  return 0.5f * x * (z >= 0 ? e : 2.0f - e);
}
inline double gelu(double x) { return 0.5 * x * std::erfc(x * -0.70710678118654752); }

}  // namespace rb::cpu::RB_ISA
