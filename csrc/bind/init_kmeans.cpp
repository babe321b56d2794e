// Binding of the fused Lloyd solver (cpu/kmeans.cpp): _C.kmeans_lloyd. Every
// argument is checked before any memory is touched; the kernel then runs
// without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "bind/arrays.h"
#include "bind/finite.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/kmeans.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::float_array;
using rb::bind::integer;
using rb::bind::is_float32;
using rb::bind::non_negative;
using rb::bind::require_c_contiguous;
using rb::bind::require_finite_values;
using rb::bind::require_ndim;
using rb::bind::require_same_dtype;
using rb::bind::shape_str;

template <class T>
rb::LloydResult run(const py::array& x, py::array& centers, py::array& labels, int64_t max_iter,
                    double tol) {
  require_finite_values(x, "X");
  require_finite_values(centers, "centers");
  const T* xp = static_cast<const T*>(x.data());
  T* cp = static_cast<T*>(centers.mutable_data());
  int64_t* lp = static_cast<int64_t*>(labels.mutable_data());
  const int64_t n = x.shape(0), d = x.shape(1), k = centers.shape(0);
  py::gil_scoped_release release;
  RB_DISPATCH(kmeans_lloyd<T>(xp, n, d, cp, k, lp, max_iter, tol));
}

// Returns (labels (n,) int64, centers (k, d), inertia, n_iter); see
// rosenblatt.kernels.kmeans_lloyd.
py::tuple kmeans_lloyd_binding(py::object x_obj, py::object centers_obj, py::object max_iter_obj,
                               py::object tol_obj) {
  const py::array x = float_array(x_obj, "X");
  require_ndim(x, 2, "X");
  require_c_contiguous(x, "X");
  const py::array init = float_array(centers_obj, "centers");
  require_ndim(init, 2, "centers");
  require_same_dtype(x, init, "X", "centers");
  const int64_t n = x.shape(0), d = x.shape(1), k = init.shape(0);
  RB_CHECK(n >= 1 && d >= 1, "X must have at least one row and one column, got shape ",
           shape_str(x));
  RB_CHECK(init.shape(1) == d, "centers must have ", d, " columns to match X of shape ",
           shape_str(x), ", got shape ", shape_str(init));
  RB_CHECK(k >= 1 && k <= n, "centers must have between 1 and n_samples = ", n,
           " rows, got shape ", shape_str(init));
  checked_mul(n, d, "X's size");
  checked_mul(k, d, "centers' size");
  const int64_t max_iter = integer(max_iter_obj, "max_iter");
  RB_CHECK(max_iter >= 1, "max_iter must be >= 1, got ", max_iter);
  const double tol = non_negative(tol_obj, "tol");

  // The kernel updates the centers in place: a fresh C-contiguous copy.
  py::array centers(init.dtype(), std::vector<py::ssize_t>{k, d});
  centers[py::ellipsis()] = init;
  py::array labels(py::dtype::of<int64_t>(), std::vector<py::ssize_t>{n});
  const rb::LloydResult result = is_float32(x)
                                     ? run<float>(x, centers, labels, max_iter, tol)
                                     : run<double>(x, centers, labels, max_iter, tol);
  return py::make_tuple(labels, centers, result.inertia, result.n_iter);
}

}  // namespace

void init_kmeans(py::module_& m) {
  m.def("kmeans_lloyd", &kmeans_lloyd_binding, py::arg("X"), py::arg("centers"),
        py::arg("max_iter"), py::arg("tol"),
        "(labels, centers, inertia, n_iter) of Lloyd's k-means iterations "
        "(see rosenblatt.kernels.kmeans_lloyd).");
}
