// Bindings of the softmax family (cpu/softmax.cpp): _C.softmax,
// _C.log_softmax and _C.cross_entropy. Every argument is checked before any
// memory is touched; the kernels then run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/softmax.h"

namespace py = pybind11;

namespace {

using rb::bind::float_array;
using rb::bind::integer;
using rb::bind::number_in;
using rb::bind::is_float32;
using rb::bind::require_finite;
using rb::bind::require_ndim;
using rb::bind::shape_str;
using rb::bind::type_name;

// Labels as the kernel reads them: a C-contiguous int64 array.
using Int64Array = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

// x seen along `axis` as a 3-D array (outer, n, inner) with element strides
// (outer_stride, axis_stride, 1): the layout the softmax kernels read.
struct AxisLayout {
  int64_t outer = 1, n = 1, inner = 1, outer_stride = 0, axis_stride = 1;
};

// Describes x along `axis` (in [0, ndim)) as an AxisLayout without copying.
// Returns false when its strides do not allow it: the dimensions after the
// axis must form one contiguous block (the axis itself must be contiguous
// when nothing follows it), and those before the axis must merge into one
// dimension with a single stride.
bool describe_axis(const py::array& x, py::ssize_t axis, AxisLayout& layout) {
  const py::ssize_t item = x.itemsize();
  if (reinterpret_cast<uintptr_t>(x.data()) % item != 0) return false;
  for (py::ssize_t d = 0; d < x.ndim(); ++d)
    if (x.strides(d) % item != 0) return false;

  int64_t inner = 1;
  for (py::ssize_t d = x.ndim() - 1; d > axis; --d) {
    if (x.shape(d) != 1 && x.strides(d) / item != inner) return false;
    inner *= x.shape(d);
  }
  const int64_t n = x.shape(axis);
  int64_t axis_stride = x.strides(axis) / item;
  if (inner == 1 && n > 1 && axis_stride != 1) return false;
  if (inner == 1) axis_stride = 1;

  int64_t outer = 1;
  int64_t outer_stride = n * inner;  // any value works when outer == 1
  bool first = true;
  for (py::ssize_t d = axis - 1; d >= 0; --d) {
    if (x.shape(d) == 1) continue;
    const int64_t stride = x.strides(d) / item;
    if (first) outer_stride = stride;
    else if (stride != outer_stride * outer) return false;
    first = false;
    outer *= x.shape(d);
  }
  layout = {outer, n, inner, outer_stride, axis_stride};
  return true;
}

template <class T>
void run_softmax(bool log, const py::array& x, const AxisLayout& l, py::array& y) {
  const T* xp = static_cast<const T*>(x.data());
  T* yp = static_cast<T*>(y.mutable_data());
  py::gil_scoped_release release;
  if (log) {
    RB_DISPATCH(log_softmax<T>(xp, l.outer_stride, l.axis_stride, yp, l.outer, l.n, l.inner));
  } else {
    RB_DISPATCH(softmax<T>(xp, l.outer_stride, l.axis_stride, yp, l.outer, l.n, l.inner));
  }
}

// softmax (log = false) or log_softmax (log = true) of x along axis, into a
// new C-contiguous array of x's shape and dtype.
py::array softmax_binding(bool log, py::object x_obj, py::object axis_obj) {
  py::array x = float_array(x_obj, "x");
  const int64_t axis_arg = integer(axis_obj, "axis");
  const int64_t ndim = x.ndim();
  RB_CHECK(ndim >= 1, "x must have at least 1 dimension, got a 0-d array");
  RB_CHECK(axis_arg >= -ndim && axis_arg < ndim, "axis ", axis_arg,
           " is out of range for x with ", ndim, " dimension", ndim == 1 ? "" : "s",
           " (expected -", ndim, " <= axis < ", ndim, ")");
  const py::ssize_t axis = axis_arg < 0 ? axis_arg + ndim : axis_arg;

  std::vector<py::ssize_t> shape(x.shape(), x.shape() + ndim);
  py::array y(x.dtype(), shape);
  if (x.size() == 0) return y;

  AxisLayout layout;
  if (!describe_axis(x, axis, layout)) {
    // Strides the kernel cannot follow: read a C-contiguous (and aligned) copy.
    x = x.attr("copy")();
    describe_axis(x, axis, layout);
  }
  if (is_float32(x)) run_softmax<float>(log, x, layout, y);
  else run_softmax<double>(log, x, layout, y);
  return y;
}

enum class Reduction { mean, sum, none };

Reduction reduction_arg(py::handle obj) {
  RB_CHECK_TYPE(py::isinstance<py::str>(obj), "reduction must be a str, got ", type_name(obj));
  const std::string name = obj.cast<std::string>();
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  if (name == "none") return Reduction::none;
  throw std::invalid_argument(
      rb::cat("reduction must be 'mean', 'sum' or 'none', got '", name, "'"));
}

// labels (already checked to be 1-D with an integer dtype) as a C-contiguous
// int64 array: the same array when it already is one, else a converted copy.
// Every integer dtype converts exactly, except uint64 values above INT64_MAX,
// which would wrap (possibly onto ignore_index): they are reported here.
Int64Array labels_as_int64(const py::array& labels, int64_t classes) {
  if (labels.dtype().kind() == 'u' && labels.itemsize() == 8) {
    const py::array_t<uint64_t, py::array::c_style | py::array::forcecast> u(labels);
    const uint64_t* v = u.data();
    for (py::ssize_t r = 0; r < u.size(); ++r)
      RB_CHECK(v[r] <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "labels[",
               r, "] = ", v[r], " is out of range: expected a class index in [0, ", classes,
               ")");
  }
  return Int64Array(labels);
}

template <class T>
double run_cross_entropy(const py::array& logits, const Int64Array& labels,
                         py::array& loss, py::array& grad, double label_smoothing,
                         int64_t ignore_index, double grad_scale) {
  const T* zp = static_cast<const T*>(logits.data());
  const int64_t row_stride = logits.strides(0) / logits.itemsize();
  const int64_t* yp = labels.data();
  T* lp = static_cast<T*>(loss.mutable_data());
  T* gp = static_cast<T*>(grad.mutable_data());
  const int64_t rows = logits.shape(0);
  const int64_t classes = logits.shape(1);
  py::gil_scoped_release release;
  RB_DISPATCH(cross_entropy<T>(zp, row_stride, yp, lp, gp, rows, classes,
                               static_cast<T>(label_smoothing), ignore_index,
                               static_cast<T>(grad_scale)));
}

// Returns (loss, grad): loss a float for 'mean' / 'sum', an (N,) array for
// 'none'; grad = d loss / d logits, (N, C) (for 'none', of sum(loss)).
py::tuple cross_entropy_binding(py::object logits_obj, py::object labels_obj,
                                py::object reduction_obj, py::object smoothing_obj,
                                py::object ignore_obj) {
  py::array logits = float_array(logits_obj, "logits");
  require_ndim(logits, 2, "logits");
  const int64_t rows = logits.shape(0);
  const int64_t classes = logits.shape(1);
  RB_CHECK(classes >= 1, "logits must have at least one class (column), got shape ",
           shape_str(logits));

  RB_CHECK_TYPE(py::isinstance<py::array>(labels_obj), "labels must be a numpy.ndarray, got ",
                type_name(labels_obj));
  auto labels_in = py::reinterpret_borrow<py::array>(labels_obj);
  const char kind = labels_in.dtype().kind();
  RB_CHECK_TYPE(kind == 'i' || kind == 'u', "labels must have an integer dtype, got ",
                py::str(labels_in.dtype()).cast<std::string>());
  require_ndim(labels_in, 1, "labels");
  RB_CHECK(labels_in.shape(0) == rows, "labels must have shape (", rows,
           ",) to match logits of shape ", shape_str(logits), ", got ", shape_str(labels_in));

  const Reduction reduction = reduction_arg(reduction_obj);
  const double label_smoothing = number_in(smoothing_obj, "label_smoothing", 0.0, 1.0);
  const int64_t ignore_index = integer(ignore_obj, "ignore_index");

  // Every label must be a class index or ignore_index; count the rows that
  // are not ignored ('mean' divides by that count).
  const Int64Array labels = labels_as_int64(labels_in, classes);
  const int64_t* label = labels.data();
  int64_t counted = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (label[r] == ignore_index) continue;
    RB_CHECK(label[r] >= 0 && label[r] < classes, "labels[", r, "] = ", label[r],
             " is out of range: expected a class index in [0, ", classes,
             ") or ignore_index (", ignore_index, ")");
    ++counted;
  }

  // The kernel reads rows with any stride but needs contiguous, aligned classes.
  const py::ssize_t item = logits.itemsize();
  const bool readable = reinterpret_cast<uintptr_t>(logits.data()) % item == 0 &&
                        logits.strides(0) % item == 0 &&
                        (classes == 1 || logits.strides(1) == item);
  if (!readable) logits = logits.attr("copy")();

  py::array loss(logits.dtype(), std::vector<py::ssize_t>{rows});
  py::array grad(logits.dtype(), std::vector<py::ssize_t>{rows, classes});
  // 'mean' averages over the counted rows; with none counted no row has a
  // gradient to scale, and the loss is 0 / 0 = nan (as in PyTorch).
  const double grad_scale =
      reduction == Reduction::mean ? (counted > 0 ? 1.0 / static_cast<double>(counted) : 0.0)
                                   : 1.0;
  const double total =
      is_float32(logits)
          ? run_cross_entropy<float>(logits, labels, loss, grad, label_smoothing, ignore_index,
                                     grad_scale)
          : run_cross_entropy<double>(logits, labels, loss, grad, label_smoothing,
                                      ignore_index, grad_scale);
  switch (reduction) {
    case Reduction::mean:
      return py::make_tuple(counted > 0 ? total / static_cast<double>(counted)
                                        : std::numeric_limits<double>::quiet_NaN(),
                            grad);
    case Reduction::sum:
      return py::make_tuple(total, grad);
    default:
      return py::make_tuple(loss, grad);
  }
}

}  // namespace

void init_softmax(py::module_& m) {
  m.def(
      "softmax", [](py::object x, py::object axis) { return softmax_binding(false, x, axis); },
      py::arg("x"), py::arg("axis"), "softmax of x along axis (see rosenblatt.kernels.softmax).");
  m.def(
      "log_softmax",
      [](py::object x, py::object axis) { return softmax_binding(true, x, axis); },
      py::arg("x"), py::arg("axis"),
      "log-softmax of x along axis (see rosenblatt.kernels.log_softmax).");
  m.def("cross_entropy", &cross_entropy_binding, py::arg("logits"), py::arg("labels"),
        py::arg("reduction"), py::arg("label_smoothing"), py::arg("ignore_index"),
        "(loss, grad) of softmax cross-entropy (see rosenblatt.kernels.cross_entropy).");
}
