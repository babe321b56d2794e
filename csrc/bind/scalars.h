// Scalar arguments of the bindings: parsed from py::object and validated with
// messages that name the argument (TypeError for the wrong kind of object,
// ValueError for a value out of range).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "bind/arrays.h"
#include "common/check.h"

namespace rb::bind {

// obj as a real number (int or float, numpy scalars included; not bool).
inline double real_number(py::handle obj, const char* name) {
  RB_CHECK_TYPE(!PyBool_Check(obj.ptr()), name, " must be a real number, got bool");
  const double v = PyFloat_AsDouble(obj.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    throw rb::type_error(rb::cat(name, " must be a real number, got ", type_name(obj)));
  }
  return v;
}

inline double finite_number(py::handle obj, const char* name) {
  const double v = real_number(obj, name);
  require_finite(v, name);
  return v;
}

inline double non_negative(py::handle obj, const char* name) {
  const double v = finite_number(obj, name);
  RB_CHECK(v >= 0, name, " must be >= 0, got ", v);
  return v;
}

// A finite number in [lo, hi] (hi_open: [lo, hi)).
inline double number_in(py::handle obj, const char* name, double lo, double hi,
                        bool hi_open = false) {
  const double v = finite_number(obj, name);
  RB_CHECK(v >= lo && (hi_open ? v < hi : v <= hi), name, " must be in [", lo, ", ", hi,
           hi_open ? ")" : "]", ", got ", v);
  return v;
}

// obj as a bool (True/False or numpy.bool_ only).
inline bool flag(py::handle obj, const char* name) {
  const bool is_bool = PyBool_Check(obj.ptr()) || type_name(obj) == "bool_" || type_name(obj) == "bool";
  RB_CHECK_TYPE(is_bool, name, " must be a bool, got ", type_name(obj));
  return PyObject_IsTrue(obj.ptr()) == 1;
}

// obj as an integer (anything with __index__ but bool: int, numpy integers);
// ValueError when it does not fit in int64.
inline int64_t integer(py::handle obj, const char* name) {
  RB_CHECK_TYPE(!PyBool_Check(obj.ptr()) && PyIndex_Check(obj.ptr()), name,
                " must be an int, got ", type_name(obj));
  const auto index = py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  RB_CHECK(overflow == 0, name, " does not fit in a 64-bit integer");
  return v;
}

}  // namespace rb::bind
