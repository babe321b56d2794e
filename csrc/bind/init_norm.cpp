// Bindings of the normalization kernels (cpu/norm.cpp): _C.batch_norm_forward,
// _C.batch_norm_backward, _C.layer_norm_forward and _C.layer_norm_backward.
// Every argument is checked before memory is touched; the kernels then run
// without the GIL. Inputs that are not C-contiguous are read from a copy; the
// running statistics, updated in place, are taken as they are (no conversion).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/norm.h"

namespace py = pybind11;

namespace {

using rb::bind::flag;
using rb::bind::float_array;
using rb::bind::integer;
using rb::bind::is_float32;
using rb::bind::non_negative;
using rb::bind::finite_number;
using rb::bind::require_c_contiguous;
using rb::bind::require_no_overlap;
using rb::bind::require_same_dtype;
using rb::bind::require_writeable;
using rb::bind::shape_str;

// a itself when C-contiguous, else a C-contiguous copy.
py::array contiguous(const py::array& a) {
  if (a.flags() & py::array::c_style) return a;
  return a.attr("copy")();
}

// An optional array argument: nullopt stands for None.
using MaybeArray = std::optional<py::array>;

// A (length,) parameter with x's dtype, read from a contiguous copy when
// needed; nullopt when obj is None and optional.
MaybeArray vector_arg(py::object obj, const char* name, const py::array& x, int64_t length,
                     const char* what, bool optional) {
  if (optional && obj.is_none()) return std::nullopt;
  py::array a = float_array(obj, name);
  require_same_dtype(x, a, "x", name);
  RB_CHECK(a.ndim() == 1 && a.shape(0) == length, name, " must have shape (", length, ",) (",
           what, "), got ", shape_str(a));
  return contiguous(a);
}

template <class T>
const T* ptr_or_null(const MaybeArray& a) {
  return a ? static_cast<const T*>(a->data()) : nullptr;
}

// x seen as (N, C, S): channels on axis 1, S the product of the axes after it.
struct ChannelLayout {
  int64_t n, c, s;
};

ChannelLayout channel_layout(const py::array& x) {
  RB_CHECK(x.ndim() >= 2, "x must have at least 2 dimensions (N, C, ...), got shape ",
           shape_str(x));
  int64_t s = 1;
  for (py::ssize_t d = 2; d < x.ndim(); ++d) s *= x.shape(d);
  return {static_cast<int64_t>(x.shape(0)), static_cast<int64_t>(x.shape(1)), s};
}

template <class T>
void update_running(py::array& running, const py::array& batch, double momentum,
                    double correction) {
  T* r = static_cast<T*>(running.mutable_data());
  const T* b = static_cast<const T*>(batch.data());
  for (py::ssize_t i = 0; i < running.shape(0); ++i)
    r[i] = static_cast<T>((1 - momentum) * r[i] + momentum * correction * b[i]);
}

template <class T>
py::tuple batch_norm_forward_typed(const py::array& x, const MaybeArray& weight,
                                   const MaybeArray& bias, MaybeArray& running_mean,
                                   MaybeArray& running_var,
                                   bool training, double momentum, double eps) {
  const ChannelLayout l = channel_layout(x);
  const int64_t count = l.n * l.s;
  py::array y(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  py::array save_mean(x.dtype(), std::vector<py::ssize_t>{static_cast<py::ssize_t>(l.c)});
  py::array save_invstd(x.dtype(), std::vector<py::ssize_t>{static_cast<py::ssize_t>(l.c)});
  T* mean = static_cast<T*>(save_mean.mutable_data());
  T* invstd = static_cast<T*>(save_invstd.mutable_data());
  if (training) {
    py::array var(x.dtype(), std::vector<py::ssize_t>{static_cast<py::ssize_t>(l.c)});
    {
      const T* xp = static_cast<const T*>(x.data());
      T* vp = static_cast<T*>(var.mutable_data());
      py::gil_scoped_release release;
      [&] { RB_DISPATCH(batch_norm_stats<T>(xp, l.n, l.c, l.s, mean, vp)); }();
    }
    const T* vp = static_cast<const T*>(var.data());
    for (int64_t ch = 0; ch < l.c; ++ch)
      invstd[ch] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(vp[ch]) + eps));
    // The running variance is the unbiased one: var * m / (m - 1).
    if (running_mean) update_running<T>(*running_mean, save_mean, momentum, 1.0);
    if (running_var)
      update_running<T>(*running_var, var, momentum,
                        static_cast<double>(count) / static_cast<double>(count - 1));
  } else {
    const T* rm = static_cast<const T*>(running_mean->data());
    const T* rv = static_cast<const T*>(running_var->data());
    for (int64_t ch = 0; ch < l.c; ++ch) {
      mean[ch] = rm[ch];
      invstd[ch] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(rv[ch]) + eps));
    }
  }
  {
    const T* xp = static_cast<const T*>(x.data());
    const T* wp = ptr_or_null<T>(weight);
    const T* bp = ptr_or_null<T>(bias);
    T* yp = static_cast<T*>(y.mutable_data());
    py::gil_scoped_release release;
    [&] { RB_DISPATCH(batch_norm_forward<T>(xp, l.n, l.c, l.s, mean, invstd, wp, bp, yp)); }();
  }
  return py::make_tuple(y, save_mean, save_invstd);
}

MaybeArray running_stat(py::object obj, const char* name, const py::array& x, int64_t c) {
  if (obj.is_none()) return std::nullopt;
  py::array a = float_array(obj, name);
  require_same_dtype(x, a, "x", name);
  RB_CHECK(a.ndim() == 1 && a.shape(0) == c, name, " must have shape (", c,
           ",) (one value per channel), got ", shape_str(a));
  require_c_contiguous(a, name);
  require_writeable(a, name);
  require_no_overlap(a, x, name, "x");
  return a;
}

py::tuple batch_norm_forward_binding(py::object x_obj, py::object weight_obj, py::object bias_obj,
                                     py::object running_mean_obj, py::object running_var_obj,
                                     py::object training_obj, py::object momentum_obj,
                                     py::object eps_obj) {
  py::array x = float_array(x_obj, "x");
  const ChannelLayout l = channel_layout(x);
  const bool training = flag(training_obj, "training");
  const double momentum = finite_number(momentum_obj, "momentum");
  const double eps = non_negative(eps_obj, "eps");
  MaybeArray weight = vector_arg(weight_obj, "weight", x, l.c, "one value per channel", true);
  MaybeArray bias = vector_arg(bias_obj, "bias", x, l.c, "one value per channel", true);
  MaybeArray running_mean = running_stat(running_mean_obj, "running_mean", x, l.c);
  MaybeArray running_var = running_stat(running_var_obj, "running_var", x, l.c);
  if (running_mean && running_var)
    require_no_overlap(*running_mean, *running_var, "running_mean", "running_var");
  if (training) {
    RB_CHECK(l.n * l.s > 1, "expected more than 1 value per channel when training, got x of "
             "shape ", shape_str(x));
  } else {
    RB_CHECK(running_mean && running_var,
             "running_mean and running_var are required when not training");
  }
  x = contiguous(x);
  if (is_float32(x))
    return batch_norm_forward_typed<float>(x, weight, bias, running_mean, running_var, training,
                                           momentum, eps);
  return batch_norm_forward_typed<double>(x, weight, bias, running_mean, running_var, training,
                                          momentum, eps);
}

template <class T>
py::tuple batch_norm_backward_typed(const py::array& g, const py::array& x,
                                    const MaybeArray& weight, const py::array& mean,
                                    const py::array& invstd, bool training) {
  const ChannelLayout l = channel_layout(x);
  py::array dx(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  py::array dweight(x.dtype(), std::vector<py::ssize_t>{static_cast<py::ssize_t>(l.c)});
  py::array dbias(x.dtype(), std::vector<py::ssize_t>{static_cast<py::ssize_t>(l.c)});
  const T* gp = static_cast<const T*>(g.data());
  const T* xp = static_cast<const T*>(x.data());
  const T* wp = ptr_or_null<T>(weight);
  const T* mp = static_cast<const T*>(mean.data());
  const T* ip = static_cast<const T*>(invstd.data());
  T* dxp = static_cast<T*>(dx.mutable_data());
  T* dwp = static_cast<T*>(dweight.mutable_data());
  T* dbp = static_cast<T*>(dbias.mutable_data());
  {
    py::gil_scoped_release release;
    [&] { RB_DISPATCH(batch_norm_backward<T>(gp, xp, l.n, l.c, l.s, mp, ip, wp, training, dxp, dwp,
                                       dbp)); }();
  }
  return py::make_tuple(dx, dweight, dbias);
}

py::tuple batch_norm_backward_binding(py::object g_obj, py::object x_obj, py::object weight_obj,
                                      py::object mean_obj, py::object invstd_obj,
                                      py::object training_obj) {
  py::array x = float_array(x_obj, "x");
  const ChannelLayout l = channel_layout(x);
  py::array g = float_array(g_obj, "grad_output");
  require_same_dtype(x, g, "x", "grad_output");
  RB_CHECK(g.ndim() == x.ndim() && std::equal(g.shape(), g.shape() + g.ndim(), x.shape()),
           "grad_output must have the shape of x ", shape_str(x), ", got ", shape_str(g));
  const bool training = flag(training_obj, "training");
  MaybeArray weight = vector_arg(weight_obj, "weight", x, l.c, "one value per channel", true);
  py::array mean = *vector_arg(mean_obj, "save_mean", x, l.c, "one value per channel", false);
  py::array invstd =
      *vector_arg(invstd_obj, "save_invstd", x, l.c, "one value per channel", false);
  x = contiguous(x);
  g = contiguous(g);
  if (is_float32(x)) return batch_norm_backward_typed<float>(g, x, weight, mean, invstd, training);
  return batch_norm_backward_typed<double>(g, x, weight, mean, invstd, training);
}

// x seen as (M, K) with K the product of the trailing normalized_shape axes,
// which must equal x's; returns (M, K) and the shape of the statistics.
struct RowLayout {
  int64_t m, k;
  std::vector<py::ssize_t> stat_shape, param_shape;
};

RowLayout row_layout(const py::array& x, py::object shape_obj) {
  RB_CHECK_TYPE(py::isinstance<py::tuple>(shape_obj) || py::isinstance<py::list>(shape_obj),
                "normalized_shape must be a tuple of ints, got ",
                rb::bind::type_name(shape_obj));
  std::vector<int64_t> shape;
  for (py::handle item : shape_obj) shape.push_back(integer(item, "normalized_shape"));
  const auto nd = static_cast<py::ssize_t>(shape.size());
  bool match = nd >= 1 && nd <= x.ndim();
  for (py::ssize_t i = 0; match && i < nd; ++i)
    match = shape[i] == x.shape(x.ndim() - nd + i);
  if (!match) {
    std::string text = "(";
    for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    throw std::invalid_argument(rb::cat("normalized_shape ", text, shape.size() == 1 ? ",)" : ")",
                                        " does not match the trailing dimensions of x of shape ",
                                        shape_str(x)));
  }
  RowLayout l{1, 1, {}, {}};
  for (py::ssize_t d = 0; d < x.ndim() - nd; ++d) {
    l.m *= x.shape(d);
    l.stat_shape.push_back(x.shape(d));
  }
  for (py::ssize_t d = x.ndim() - nd; d < x.ndim(); ++d) {
    l.k *= x.shape(d);
    l.param_shape.push_back(x.shape(d));
  }
  return l;
}

// An optional parameter of the normalized shape.
MaybeArray param_arg(py::object obj, const char* name, const py::array& x, const RowLayout& l) {
  if (obj.is_none()) return std::nullopt;
  py::array a = float_array(obj, name);
  require_same_dtype(x, a, "x", name);
  RB_CHECK(a.ndim() == static_cast<py::ssize_t>(l.param_shape.size()) &&
               std::equal(l.param_shape.begin(), l.param_shape.end(), a.shape()),
           name, " must have the normalized shape, got ", shape_str(a));
  return contiguous(a);
}

py::array stat_arg(py::object obj, const char* name, const py::array& x, const RowLayout& l) {
  py::array a = float_array(obj, name);
  require_same_dtype(x, a, "x", name);
  RB_CHECK(a.ndim() == static_cast<py::ssize_t>(l.stat_shape.size()) &&
               std::equal(l.stat_shape.begin(), l.stat_shape.end(), a.shape()),
           name, " must have the leading shape of x (one value per row), got ", shape_str(a));
  return contiguous(a);
}

template <class T>
py::tuple layer_norm_forward_typed(const py::array& x, const RowLayout& l,
                                   const MaybeArray& weight, const MaybeArray& bias, double eps) {
  py::array y(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  py::array mean(x.dtype(), l.stat_shape);
  py::array rstd(x.dtype(), l.stat_shape);
  const T* xp = static_cast<const T*>(x.data());
  const T* wp = ptr_or_null<T>(weight);
  const T* bp = ptr_or_null<T>(bias);
  T* yp = static_cast<T*>(y.mutable_data());
  T* mp = static_cast<T*>(mean.mutable_data());
  T* rp = static_cast<T*>(rstd.mutable_data());
  {
    py::gil_scoped_release release;
    [&] { RB_DISPATCH(layer_norm_forward<T>(xp, l.m, l.k, wp, bp, static_cast<T>(eps), yp, mp, rp)); }();
  }
  return py::make_tuple(y, mean, rstd);
}

py::tuple layer_norm_forward_binding(py::object x_obj, py::object shape_obj,
                                     py::object weight_obj, py::object bias_obj,
                                     py::object eps_obj) {
  py::array x = float_array(x_obj, "x");
  const RowLayout l = row_layout(x, shape_obj);
  const double eps = non_negative(eps_obj, "eps");
  MaybeArray weight = param_arg(weight_obj, "weight", x, l);
  MaybeArray bias = param_arg(bias_obj, "bias", x, l);
  x = contiguous(x);
  if (is_float32(x)) return layer_norm_forward_typed<float>(x, l, weight, bias, eps);
  return layer_norm_forward_typed<double>(x, l, weight, bias, eps);
}

template <class T>
py::tuple layer_norm_backward_typed(const py::array& g, const py::array& x, const RowLayout& l,
                                    const py::array& mean, const py::array& rstd,
                                    const MaybeArray& weight) {
  py::array dx(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  py::array dweight(x.dtype(), l.param_shape);
  py::array dbias(x.dtype(), l.param_shape);
  const T* gp = static_cast<const T*>(g.data());
  const T* xp = static_cast<const T*>(x.data());
  const T* mp = static_cast<const T*>(mean.data());
  const T* rp = static_cast<const T*>(rstd.data());
  const T* wp = ptr_or_null<T>(weight);
  T* dxp = static_cast<T*>(dx.mutable_data());
  T* dwp = static_cast<T*>(dweight.mutable_data());
  T* dbp = static_cast<T*>(dbias.mutable_data());
  {
    py::gil_scoped_release release;
    [&] { RB_DISPATCH(layer_norm_backward<T>(gp, xp, l.m, l.k, mp, rp, wp, dxp, dwp, dbp)); }();
  }
  return py::make_tuple(dx, dweight, dbias);
}

py::tuple layer_norm_backward_binding(py::object g_obj, py::object x_obj, py::object shape_obj,
                                      py::object mean_obj, py::object rstd_obj,
                                      py::object weight_obj) {
  py::array x = float_array(x_obj, "x");
  const RowLayout l = row_layout(x, shape_obj);
  py::array g = float_array(g_obj, "grad_output");
  require_same_dtype(x, g, "x", "grad_output");
  RB_CHECK(g.ndim() == x.ndim() && std::equal(g.shape(), g.shape() + g.ndim(), x.shape()),
           "grad_output must have the shape of x ", shape_str(x), ", got ", shape_str(g));
  py::array mean = stat_arg(mean_obj, "mean", x, l);
  py::array rstd = stat_arg(rstd_obj, "rstd", x, l);
  MaybeArray weight = param_arg(weight_obj, "weight", x, l);
  x = contiguous(x);
  g = contiguous(g);
  if (is_float32(x)) return layer_norm_backward_typed<float>(g, x, l, mean, rstd, weight);
  return layer_norm_backward_typed<double>(g, x, l, mean, rstd, weight);
}

}  // namespace

void init_norm(py::module_& m) {
  m.def("batch_norm_forward", &batch_norm_forward_binding, py::arg("x"), py::arg("weight"),
        py::arg("bias"), py::arg("running_mean"), py::arg("running_var"), py::arg("training"),
        py::arg("momentum"), py::arg("eps"),
        "(y, save_mean, save_invstd) of batch norm (see rosenblatt.kernels.batch_norm_forward).");
  m.def("batch_norm_backward", &batch_norm_backward_binding, py::arg("grad_output"),
        py::arg("x"), py::arg("weight"), py::arg("save_mean"), py::arg("save_invstd"),
        py::arg("training"),
        "(dx, dweight, dbias) of batch norm (see rosenblatt.kernels.batch_norm_backward).");
  m.def("layer_norm_forward", &layer_norm_forward_binding, py::arg("x"),
        py::arg("normalized_shape"), py::arg("weight"), py::arg("bias"), py::arg("eps"),
        "(y, mean, rstd) of layer norm (see rosenblatt.kernels.layer_norm_forward).");
  m.def("layer_norm_backward", &layer_norm_backward_binding, py::arg("grad_output"),
        py::arg("x"), py::arg("normalized_shape"), py::arg("mean"), py::arg("rstd"),
        py::arg("weight"),
        "(dx, dweight, dbias) of layer norm (see rosenblatt.kernels.layer_norm_backward).");
}
