// The check that a point array holds no NaN or infinity, shared by the
// bindings that take point sets (distances, k-means).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "bind/arrays.h"
#include "common/check.h"
#include "common/simd.h"
#include "cpu/distance.h"

namespace rb::bind {

// Raises ValueError naming `name` and the first NaN or infinity (with its row
// and column) of a, a C-contiguous 2-D float32 or float64 array. The scan runs
// without the GIL, on the SIMD path of the CPU.
inline void require_finite_values(const pybind11::array& a, const char* name) {
  auto first_bad = [&](auto* type_tag) -> int64_t {
    using T = std::remove_pointer_t<decltype(type_tag)>;
    const T* v = static_cast<const T*>(a.data());
    const int64_t count = a.size();
    pybind11::gil_scoped_release release;
    RB_DISPATCH(first_non_finite<T>(v, count));
  };
  const bool f32 = is_float32(a);
  const int64_t bad = f32 ? first_bad(static_cast<float*>(nullptr))
                          : first_bad(static_cast<double*>(nullptr));
  if (bad < 0) return;
  const double value = f32 ? static_cast<const float*>(a.data())[bad]
                           : static_cast<const double*>(a.data())[bad];
  throw std::invalid_argument(rb::cat(name, " must not contain NaN or infinity, found ", value,
                                      " at row ", bad / a.shape(1), ", column ",
                                      bad % a.shape(1)));
}

}  // namespace rb::bind
