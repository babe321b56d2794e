// Fixed-length tuples of ints (sizes, strides, paddings) taken by the bindings.
#pragma once

#include <pybind11/pybind11.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "bind/arrays.h"
#include "bind/scalars.h"

namespace rb::bind {

// obj as a sequence of n ints, each in [minimum, 2^31) (TypeError for a
// non-sequence, ValueError naming `name` otherwise).
template <size_t n>
std::array<int64_t, n> int_tuple(const py::object& obj, const char* name, int64_t minimum) {
  RB_CHECK_TYPE(py::isinstance<py::sequence>(obj) && !py::isinstance<py::str>(obj), name,
                " must be a sequence of ", n, " ints, got ", type_name(obj));
  const auto seq = py::reinterpret_borrow<py::sequence>(obj);
  RB_CHECK(seq.size() == n, name, " must have ", n, " values, got ", seq.size());
  std::array<int64_t, n> out{};
  for (size_t i = 0; i < n; ++i) {
    out[i] = integer(seq[i], name);
    RB_CHECK(out[i] >= minimum, name, " must be >= ", minimum, ", got ", out[i]);
    RB_CHECK(out[i] < (int64_t{1} << 31), name, " is too large: ", out[i]);
  }
  return out;
}

}  // namespace rb::bind
