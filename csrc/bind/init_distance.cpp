// Bindings of pairwise distances, k-nearest selection and kernel matrices
// (cpu/distance.cpp): _C.pairwise_distances, _C.kneighbors and
// _C.kernel_matrix. Every argument is checked (dtypes, shapes, finite values,
// the metric or kernel and its parameters) before any output is written; the
// kernels then run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/finite.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/distance.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::float_array;
using rb::bind::integer;
using rb::bind::is_float32;
using rb::bind::real_number;
using rb::bind::require_finite_values;
using rb::bind::require_ndim;
using rb::bind::require_same_dtype;
using rb::bind::shape_str;
using rb::bind::type_name;
using rb::cpu::Kernel;
using rb::cpu::Metric;

// a, C-contiguous and aligned (a copy when it is not).
py::array contiguous(py::array a) {
  const bool aligned = reinterpret_cast<uintptr_t>(a.data()) % a.itemsize() == 0;
  if ((a.flags() & py::array::c_style) && aligned) return a;
  return a.attr("copy")();
}

// The two point sets of a call: X and Y (None, or X itself, means Y is X),
// checked and made C-contiguous.
struct Points {
  py::array x, y;
  bool same = false;

  template <class T>
  rb::cpu::PointSets<T> sets() const {
    rb::cpu::PointSets<T> s;
    s.x = static_cast<const T*>(x.data()), s.n = x.shape(0);
    s.y = static_cast<const T*>(y.data()), s.m = y.shape(0);
    s.d = x.shape(1), s.same = same;
    return s;
  }
};

Points points(const py::object& x_obj, const py::object& y_obj) {
  Points pts;
  pts.x = float_array(x_obj, "X");
  require_ndim(pts.x, 2, "X");
  pts.same = y_obj.is_none() || y_obj.is(x_obj);
  if (pts.same) {
    pts.y = pts.x;
  } else {
    pts.y = float_array(y_obj, "Y");
    require_same_dtype(pts.x, pts.y, "X", "Y");
    require_ndim(pts.y, 2, "Y");
    RB_CHECK(pts.y.shape(1) == pts.x.shape(1), "Y must have the number of columns of X (",
             pts.x.shape(1), "), got shape ", shape_str(pts.y), " for X of shape ",
             shape_str(pts.x));
  }
  RB_CHECK(pts.x.shape(1) >= 1, "X must have at least one column (feature), got shape ",
           shape_str(pts.x));
  pts.x = contiguous(pts.x);
  pts.y = pts.same ? pts.x : contiguous(pts.y);
  require_finite_values(pts.x, "X");
  if (!pts.same) require_finite_values(pts.y, "Y");
  return pts;
}

// The metric named by (metric, p), with p checked and stored in `p`;
// minkowski with p = 1, 2 or inf becomes manhattan, euclidean or chebyshev.
Metric metric_arg(const py::object& metric_obj, const py::object& p_obj, double& p) {
  RB_CHECK_TYPE(py::isinstance<py::str>(metric_obj), "metric must be a str, got ",
                type_name(metric_obj));
  p = real_number(p_obj, "p");
  RB_CHECK(p >= 1, "p must be >= 1 (inf allowed), got ", p);
  const std::string name = metric_obj.cast<std::string>();
  if (name == "euclidean" || name == "l2") return Metric::euclidean;
  if (name == "sqeuclidean") return Metric::sqeuclidean;
  if (name == "manhattan" || name == "cityblock" || name == "l1") return Metric::manhattan;
  if (name == "chebyshev") return Metric::chebyshev;
  if (name == "hamming") return Metric::hamming;
  if (name == "cosine") return Metric::cosine;
  if (name == "minkowski") {
    if (p == 1) return Metric::manhattan;
    if (p == 2) return Metric::euclidean;
    if (std::isinf(p)) return Metric::chebyshev;
    return Metric::minkowski;
  }
  throw std::invalid_argument(
      "metric must be 'euclidean' ('l2'), 'sqeuclidean', 'manhattan' ('cityblock', 'l1'), "
      "'chebyshev', 'minkowski', 'hamming' or 'cosine', got '" + name + "'");
}

// An (len(X), len(Y)) array of X's dtype, filled by fill(sets, out) with the
// GIL released (sets and out typed float or double as X is).
template <class Fill>
py::array points_matrix(const Points& pts, Fill fill) {
  const int64_t n = pts.x.shape(0), m = pts.y.shape(0);
  checked_mul(n, m, "the output size (len(X) * len(Y))");
  py::array out(pts.x.dtype(), std::vector<py::ssize_t>{n, m});
  auto run = [&](auto* type_tag) {
    using T = std::remove_pointer_t<decltype(type_tag)>;
    const auto sets = pts.sets<T>();
    T* o = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    fill(sets, o);
  };
  if (is_float32(pts.x)) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return out;
}

py::array pairwise_distances_binding(const py::object& x_obj, const py::object& y_obj,
                                     const py::object& metric_obj, const py::object& p_obj) {
  double p;
  const Metric metric = metric_arg(metric_obj, p_obj, p);
  return points_matrix(points(x_obj, y_obj), [&](const auto& sets, auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    RB_DISPATCH(pairwise_distances<T>(sets, metric, p, out));
  });
}

py::tuple kneighbors_binding(const py::object& x_obj, const py::object& y_obj,
                             const py::object& k_obj, const py::object& metric_obj,
                             const py::object& p_obj) {
  RB_CHECK_TYPE(!y_obj.is_none(), "Y must be a numpy.ndarray, got NoneType");
  double p;
  const Metric metric = metric_arg(metric_obj, p_obj, p);
  const int64_t k = integer(k_obj, "n_neighbors");
  const Points pts = points(x_obj, y_obj);
  const int64_t n = pts.x.shape(0), m = pts.y.shape(0);
  RB_CHECK(k >= 1 && k <= m, "n_neighbors must be in [1, len(Y)] = [1, ", m, "], got ", k);
  checked_mul(n, k, "the output size (len(X) * n_neighbors)");
  py::array dist(pts.x.dtype(), std::vector<py::ssize_t>{n, k});
  py::array_t<int64_t> index(std::vector<py::ssize_t>{n, k});
  auto run = [&](auto* type_tag) {
    using T = std::remove_pointer_t<decltype(type_tag)>;
    const auto sets = pts.sets<T>();
    T* d = static_cast<T*>(dist.mutable_data());
    int64_t* i = index.mutable_data();
    py::gil_scoped_release release;
    auto call = [&] { RB_DISPATCH(kneighbors<T>(sets, metric, p, k, d, i)); };
    call();
  };
  if (is_float32(pts.x)) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return py::make_tuple(dist, index);
}

Kernel kernel_arg(const py::object& kernel_obj) {
  RB_CHECK_TYPE(py::isinstance<py::str>(kernel_obj), "kernel must be a str, got ",
                type_name(kernel_obj));
  const std::string name = kernel_obj.cast<std::string>();
  if (name == "linear") return Kernel::linear;
  if (name == "poly") return Kernel::poly;
  if (name == "rbf") return Kernel::rbf;
  if (name == "sigmoid") return Kernel::sigmoid;
  throw std::invalid_argument("kernel must be 'linear', 'poly', 'rbf' or 'sigmoid', got '" +
                              name + "'");
}

py::array kernel_matrix_binding(const py::object& x_obj, const py::object& y_obj,
                                const py::object& kernel_obj, const py::object& gamma_obj,
                                const py::object& degree_obj, const py::object& coef0_obj) {
  rb::cpu::KernelParams kp;
  kp.kernel = kernel_arg(kernel_obj);
  if (!gamma_obj.is_none()) {
    kp.gamma = rb::bind::finite_number(gamma_obj, "gamma");
    RB_CHECK(kp.gamma > 0, "gamma must be > 0 (or None for 1 / n_features), got ", kp.gamma);
  }
  kp.degree = integer(degree_obj, "degree");
  RB_CHECK(kp.degree >= 1, "degree must be >= 1, got ", kp.degree);
  kp.coef0 = rb::bind::finite_number(coef0_obj, "coef0");
  const Points pts = points(x_obj, y_obj);
  if (gamma_obj.is_none()) kp.gamma = 1.0 / static_cast<double>(pts.x.shape(1));
  return points_matrix(pts, [&](const auto& sets, auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    RB_DISPATCH(kernel_matrix<T>(sets, kp, out));
  });
}

}  // namespace

void init_distance(py::module_& m) {
  m.def("pairwise_distances", &pairwise_distances_binding, py::arg("X"), py::arg("Y"),
        py::arg("metric"), py::arg("p"),
        "Distances between the rows of X and Y (see rosenblatt.kernels.pairwise_distances).");
  m.def("kneighbors", &kneighbors_binding, py::arg("X"), py::arg("Y"), py::arg("n_neighbors"),
        py::arg("metric"), py::arg("p"),
        "(distances, indices) of the k nearest rows of Y (see rosenblatt.kernels.kneighbors).");
  m.def("kernel_matrix", &kernel_matrix_binding, py::arg("X"), py::arg("Y"), py::arg("kernel"),
        py::arg("gamma"), py::arg("degree"), py::arg("coef0"),
        "Kernel matrix between the rows of X and Y (see rosenblatt.kernels.kernel_matrix).");
}
