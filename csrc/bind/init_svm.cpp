// Bindings of the SMO solver of the soft-margin SVM dual (cpu/svm.cpp):
// _C.smo_solve. Every argument is checked before the solver runs; it then
// runs without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/svm.h"

namespace py = pybind11;

namespace {

using rb::bind::finite_number;
using rb::bind::integer;
using rb::bind::is_float64;
using rb::bind::require_ndim;
using rb::bind::shape_str;
using rb::bind::type_name;

// obj as a float64 ndarray (no conversion), C-contiguous (a strided view is
// copied once: the solver reads whole rows).
py::array float64_array(py::handle obj, const char* name) {
  RB_CHECK_TYPE(py::isinstance<py::array>(obj), name, " must be a numpy.ndarray, got ",
                type_name(obj));
  auto a = py::reinterpret_borrow<py::array>(obj);
  RB_CHECK_TYPE(is_float64(a), name, " must have dtype float64, got ",
                py::str(a.dtype()).cast<std::string>());
  if (!(a.flags() & py::array::c_style)) a = a.attr("copy")();
  return a;
}

// Returns (alpha, bias, n_iter, converged); see rosenblatt.kernels.smo_solve.
py::tuple smo_solve_binding(py::object K_obj, py::object y_obj, py::object C_obj,
                            py::object tol_obj, py::object max_iter_obj) {
  const py::array K = float64_array(K_obj, "K");
  require_ndim(K, 2, "K");
  const int64_t n = K.shape(0);
  RB_CHECK(K.shape(1) == n, "K must be square (n, n), got shape ", shape_str(K));
  const py::array y = float64_array(y_obj, "y");
  require_ndim(y, 1, "y");
  RB_CHECK(y.shape(0) == n, "y must have shape (", n, ",) to match K of shape ", shape_str(K),
           ", got ", shape_str(y));

  const double C = finite_number(C_obj, "C");
  RB_CHECK(C > 0, "C must be > 0, got ", C);
  const double tol = finite_number(tol_obj, "tol");
  RB_CHECK(tol > 0, "tol must be > 0, got ", tol);
  const int64_t max_iter = integer(max_iter_obj, "max_iter");
  RB_CHECK(max_iter >= -1, "max_iter must be -1 (no limit) or >= 0, got ", max_iter);

  const double* yp = static_cast<const double*>(y.data());
  int64_t positives = 0;
  for (int64_t t = 0; t < n; ++t) {
    RB_CHECK(yp[t] == 1.0 || yp[t] == -1.0, "y must hold only -1 and +1, got y[", t, "] = ",
             yp[t]);
    positives += yp[t] > 0;
  }
  RB_CHECK(positives > 0 && positives < n,
           "y must contain both classes -1 and +1, got only ", positives > 0 ? "+1" : "-1",
           " (", n, " samples)");

  // K must be finite and symmetric (the solver reads row i for column i).
  const double* Kp = static_cast<const double*>(K.data());
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c <= r; ++c) {
      const double u = Kp[r * n + c], v = Kp[c * n + r];
      RB_CHECK(std::isfinite(u), "K contains NaN or infinity at (", r, ", ", c, ")");
      RB_CHECK(std::fabs(u - v) <= 1e-6 * (1.0 + std::fabs(u)),
               "K must be symmetric, but K[", r, ", ", c, "] = ", u, " and K[", c, ", ", r,
               "] = ", v);
    }

  py::array_t<double> alpha(n);
  std::vector<double> grad(static_cast<size_t>(n));
  double* ap = alpha.mutable_data();
  rb::SmoResult result;
  {
    py::gil_scoped_release release;
    result = [&]() -> rb::SmoResult {
      RB_DISPATCH(smo_solve(Kp, yp, n, C, tol, max_iter, ap, grad.data()));
    }();
  }
  return py::make_tuple(alpha, result.bias, result.n_iter, result.converged);
}

}  // namespace

void init_svm(py::module_& m) {
  m.def("smo_solve", &smo_solve_binding, py::arg("K"), py::arg("y"), py::arg("C"),
        py::arg("tol"), py::arg("max_iter"),
        "(alpha, bias, n_iter, converged) of the soft-margin SVM dual "
        "(see rosenblatt.kernels.smo_solve).");
}
