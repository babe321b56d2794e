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

// e^x for float, ~1 ulp (Cephes expf): x = n ln2 + r with |r| <= ln2/2,
// e^r = 1 + r + r^2 P(r) with a degree-5 minimax P, then scale by 2^n through
// the exponent bits. Returns 0 below ln(FLT_MIN) and inf above ln(FLT_MAX).
inline float exp_approx(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447505531f;
  const float xc = x > hi ? hi : (x < lo ? lo : x);
  const float n = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;   // ln2 split in two for an exact product
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float y = er * scale;
  return x > hi ? INFINITY : (x < lo ? 0.0f : y);
}
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
