// Argument validation shared by the bindings. Arguments arrive as py::object
// and are checked here without conversion: an output converted by pybind11
// would be a copy, and the kernel's write would be lost.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/check.h"

namespace py = pybind11;

namespace rb::bind {

inline std::string type_name(py::handle obj) {
  return py::str(py::type::of(obj).attr("__name__")).cast<std::string>();
}

inline bool is_float32(const py::array& a) { return a.dtype().is(py::dtype::of<float>()); }
inline bool is_float64(const py::array& a) { return a.dtype().is(py::dtype::of<double>()); }

inline std::string shape_str(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// obj as a float32 or float64 ndarray (no conversion), else TypeError.
inline py::array float_array(py::handle obj, const char* name) {
  RB_CHECK_TYPE(py::isinstance<py::array>(obj), name, " must be a numpy.ndarray, got ",
                type_name(obj));
  auto a = py::reinterpret_borrow<py::array>(obj);
  RB_CHECK_TYPE(is_float32(a) || is_float64(a), name, " must have dtype float32 or float64, got ",
                py::str(a.dtype()).cast<std::string>());
  return a;
}

inline void require_ndim(const py::array& a, py::ssize_t ndim, const char* name) {
  RB_CHECK(a.ndim() == ndim, name, " must be ", ndim, "-D, got shape ", shape_str(a));
}

inline void require_same_dtype(const py::array& a, const py::array& b, const char* name_a,
                               const char* name_b) {
  RB_CHECK_TYPE(a.dtype().is(b.dtype()), name_b, " must have the dtype of ", name_a, " (",
                py::str(a.dtype()).cast<std::string>(), "), got ",
                py::str(b.dtype()).cast<std::string>());
}

inline void require_c_contiguous(const py::array& a, const char* name) {
  RB_CHECK(a.flags() & py::array::c_style, name, " must be C-contiguous");
}

inline void require_writeable(const py::array& a, const char* name) {
  RB_CHECK(a.writeable(), name, " must be writeable");
}

// [first byte, one past last byte] spanned by a; empty for a zero-size array.
inline std::pair<uintptr_t, uintptr_t> byte_extent(const py::array& a) {
  if (a.size() == 0) return {0, 0};
  auto lo = reinterpret_cast<uintptr_t>(a.data());
  uintptr_t hi = lo;
  for (py::ssize_t d = 0; d < a.ndim(); ++d) {
    const py::ssize_t span = a.strides(d) * (a.shape(d) - 1);
    if (span < 0) lo += span; else hi += span;
  }
  return {lo, hi + a.itemsize()};
}

// True when the memory of a and b may overlap (conservative, like
// numpy.may_share_memory).
inline bool may_overlap(const py::array& a, const py::array& b) {
  auto [alo, ahi] = byte_extent(a);
  auto [blo, bhi] = byte_extent(b);
  return alo < ahi && blo < bhi && alo < bhi && blo < ahi;
}

inline void require_no_overlap(const py::array& out, const py::array& in, const char* out_name,
                               const char* in_name) {
  RB_CHECK(!may_overlap(out, in), out_name, " must not share memory with ", in_name);
}

inline void require_finite(double v, const char* name) {
  RB_CHECK(std::isfinite(v), name, " must be finite, got ", v);
}

// a * b, or ValueError when it overflows int64.
inline int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r = 0;
  RB_CHECK(!__builtin_mul_overflow(a, b, &r), what, " overflows a 64-bit size");
  return r;
}

}  // namespace rb::bind
