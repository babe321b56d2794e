// Bindings of the convolution kernels (cpu/conv.cpp): _C.conv2d_forward and
// _C.conv2d_backward. Every array and size is
// checked before any memory is touched; the kernels then run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstdint>
#include <vector>

#include "bind/arrays.h"
#include "bind/int_tuple.h"
#include "bind/scalars.h"
#include "common/parallel.h"
#include "common/simd.h"
#include "cpu/conv.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::float_array;
using rb::bind::int_tuple;
using rb::bind::integer;
using rb::bind::require_c_contiguous;
using rb::bind::require_ndim;
using rb::bind::require_same_dtype;
using rb::bind::shape_str;
using rb::cpu::Conv2dShape;

// A 4-D C-contiguous float array of `dtype_of`'s dtype (when given).
py::array tensor4(const py::object& obj, const char* name, const py::array* dtype_of = nullptr,
                  const char* dtype_name = nullptr) {
  py::array a = float_array(obj, name);
  if (dtype_of != nullptr) require_same_dtype(*dtype_of, a, dtype_name, name);
  require_ndim(a, 4, name);
  require_c_contiguous(a, name);
  return a;
}

// Stride, dilation and groups into `s`, with the channel counts checked.
void set_geometry(Conv2dShape& s, const py::object& stride, const py::object& dilation,
                  const py::object& groups_obj) {
  const auto st = int_tuple<2>(stride, "stride", 1);
  const auto di = int_tuple<2>(dilation, "dilation", 1);
  s.stride_h = st[0], s.stride_w = st[1], s.dilation_h = di[0], s.dilation_w = di[1];
  s.groups = integer(groups_obj, "groups");
  RB_CHECK(s.groups >= 1, "groups must be >= 1, got ", s.groups);
  RB_CHECK(s.in_channels % s.groups == 0 && s.out_channels % s.groups == 0,
           "input channels (", s.in_channels, ") and output channels (", s.out_channels,
           ") must both be divisible by groups (", s.groups, ")");
}

// Checks that the sizes the kernel touches fit in int64 (the column buffer
// holds one K x L matrix per thread).
void check_sizes(const Conv2dShape& s) {
  const int64_t k = checked_mul(checked_mul(s.in_channels / s.groups, s.kernel_h, "the columns"),
                                s.kernel_w, "the columns");
  const int64_t l = checked_mul(s.out_h, s.out_w, "the output size");
  checked_mul(checked_mul(k, l, "the columns"), rb::num_threads(), "the columns");
  checked_mul(checked_mul(s.batch, s.out_channels, "the output size"), l, "the output size");
  checked_mul(checked_mul(s.batch, s.in_channels, "the input size"),
              checked_mul(s.in_h, s.in_w, "the input size"), "the input size");
}

template <class F>
void without_gil(F f) {
  py::gil_scoped_release release;
  f();
}

py::array conv2d_forward(const py::object& x_obj, const py::object& w_obj,
                         const py::object& bias_obj, const py::object& stride,
                         const py::object& padding, const py::object& dilation,
                         const py::object& groups) {
  const py::array x = tensor4(x_obj, "input");
  const py::array w = tensor4(w_obj, "weight", &x, "input");
  Conv2dShape s;
  s.batch = x.shape(0), s.in_channels = x.shape(1), s.in_h = x.shape(2), s.in_w = x.shape(3);
  s.out_channels = w.shape(0), s.kernel_h = w.shape(2), s.kernel_w = w.shape(3);
  set_geometry(s, stride, dilation, groups);
  RB_CHECK(w.shape(1) * s.groups == s.in_channels, "weight of shape ", shape_str(w), " expects ",
           w.shape(1) * s.groups, " input channels, the input of shape ", shape_str(x), " has ",
           s.in_channels);
  const auto pad = int_tuple<4>(padding, "padding", 0);  // top, bottom, left, right
  const int64_t span_h = s.dilation_h * (s.kernel_h - 1) + 1;
  const int64_t span_w = s.dilation_w * (s.kernel_w - 1) + 1;
  const int64_t padded_h = s.in_h + pad[0] + pad[1], padded_w = s.in_w + pad[2] + pad[3];
  RB_CHECK(s.kernel_h >= 1 && s.kernel_w >= 1 && span_h <= padded_h && span_w <= padded_w,
           "kernel size (", s.kernel_h, ", ", s.kernel_w, ") (dilated (", span_h, ", ", span_w,
           ")) is larger than the padded input (", padded_h, ", ", padded_w, ") of input shape ",
           shape_str(x));
  s.pad_top = pad[0], s.pad_left = pad[2];
  s.out_h = (padded_h - span_h) / s.stride_h + 1;
  s.out_w = (padded_w - span_w) / s.stride_w + 1;
  check_sizes(s);
  py::array bias;
  const bool has_bias = !bias_obj.is_none();
  if (has_bias) {
    bias = float_array(bias_obj, "bias");
    require_same_dtype(x, bias, "input", "bias");
    RB_CHECK(bias.ndim() == 1 && bias.shape(0) == s.out_channels, "bias must have shape (",
             s.out_channels, ",), got ", shape_str(bias));
    require_c_contiguous(bias, "bias");
  }
  py::array y(x.dtype(), std::vector<py::ssize_t>{s.batch, s.out_channels, s.out_h, s.out_w});
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xp = static_cast<const T*>(x.data());
    const T* wp = static_cast<const T*>(w.data());
    const T* bp = has_bias ? static_cast<const T*>(bias.data()) : nullptr;
    T* yp = static_cast<T*>(y.mutable_data());
    without_gil([&] { RB_DISPATCH(conv2d_forward<T>(s, xp, wp, bp, yp)); });
  };
  if (rb::bind::is_float32(x)) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return y;
}

py::tuple conv2d_backward(const py::object& dy_obj, const py::object& x_obj,
                          const py::object& w_obj, const py::object& input_size,
                          const py::object& kernel_size, const py::object& stride,
                          const py::object& padding, const py::object& dilation,
                          const py::object& groups, const py::object& need_input,
                          const py::object& need_weight, const py::object& need_bias) {
  using rb::bind::flag;
  const py::array dy = tensor4(dy_obj, "grad_output");
  const bool want_dx = flag(need_input, "need_input"), want_dw = flag(need_weight, "need_weight");
  const bool want_db = flag(need_bias, "need_bias");
  RB_CHECK(!want_dx || !w_obj.is_none(), "the input gradient needs the weight");
  RB_CHECK(!want_dw || !x_obj.is_none(), "the weight gradient needs the input");
  RB_CHECK(!x_obj.is_none() || !w_obj.is_none(), "conv2d_backward needs the input or the weight");
  py::array x, w;
  if (!x_obj.is_none()) x = tensor4(x_obj, "input", &dy, "grad_output");
  if (!w_obj.is_none()) w = tensor4(w_obj, "weight", &dy, "grad_output");
  const auto size = int_tuple<2>(input_size, "input_size", 1);
  const auto kernel = int_tuple<2>(kernel_size, "kernel_size", 1);
  const auto pad = int_tuple<2>(padding, "padding", 0);  // top, left
  const int64_t g = integer(groups, "groups");
  RB_CHECK(g >= 1, "groups must be >= 1, got ", g);
  Conv2dShape s;
  s.batch = dy.shape(0), s.out_channels = dy.shape(1), s.out_h = dy.shape(2),
  s.out_w = dy.shape(3);
  s.in_h = size[0], s.in_w = size[1], s.kernel_h = kernel[0], s.kernel_w = kernel[1];
  s.in_channels = !x_obj.is_none() ? x.shape(1) : checked_mul(w.shape(1), g, "input channels");
  if (!x_obj.is_none()) {
    RB_CHECK(x.shape(0) == s.batch && x.shape(2) == s.in_h && x.shape(3) == s.in_w,
             "input of shape ", shape_str(x), " does not match grad_output of shape ",
             shape_str(dy), " and input_size (", s.in_h, ", ", s.in_w, ")");
  }
  set_geometry(s, stride, dilation, groups);
  if (!w_obj.is_none()) {
    RB_CHECK(w.shape(0) == s.out_channels && w.shape(1) * s.groups == s.in_channels &&
                 w.shape(2) == s.kernel_h && w.shape(3) == s.kernel_w,
             "weight of shape ", shape_str(w), " does not match grad_output of shape ",
             shape_str(dy), ", ", s.in_channels, " input channels, groups=", s.groups,
             " and kernel_size (", s.kernel_h, ", ", s.kernel_w, ")");
  }
  s.pad_top = pad[0], s.pad_left = pad[1];
  check_sizes(s);
  const py::dtype dtype = dy.dtype();
  py::object dx = py::none(), dw = py::none(), db = py::none();
  py::array dx_a, dw_a, db_a;
  if (want_dx) dx = dx_a = py::array(dtype, std::vector<py::ssize_t>{s.batch, s.in_channels,
                                                                     s.in_h, s.in_w});
  if (want_dw) dw = dw_a = py::array(dtype, std::vector<py::ssize_t>{
                               s.out_channels, s.in_channels / s.groups, s.kernel_h, s.kernel_w});
  if (want_db) db = db_a = py::array(dtype, std::vector<py::ssize_t>{s.out_channels});
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto in = [](const py::array& a, bool used) {
      return used ? static_cast<const T*>(a.data()) : nullptr;
    };
    auto out = [](py::array& a, bool used) {
      return used ? static_cast<T*>(a.mutable_data()) : nullptr;
    };
    const T* dyp = static_cast<const T*>(dy.data());
    const T* xp = in(x, want_dw);
    const T* wp = in(w, want_dx);
    T* dxp = out(dx_a, want_dx);
    T* dwp = out(dw_a, want_dw);
    T* dbp = out(db_a, want_db);
    without_gil([&] { RB_DISPATCH(conv2d_backward<T>(s, dyp, xp, wp, dxp, dwp, dbp)); });
  };
  if (rb::bind::is_float32(dy)) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return py::make_tuple(dx, dw, db);
}

}  // namespace

void init_conv(py::module_& m) {
  m.def("conv2d_forward", &conv2d_forward, py::arg("input"), py::arg("weight"), py::arg("bias"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "y = conv2d(input, weight) + bias; padding is (top, bottom, left, right).");
  m.def("conv2d_backward", &conv2d_backward, py::arg("grad_output"), py::arg("input"),
        py::arg("weight"), py::arg("input_size"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("need_input"),
        py::arg("need_weight"), py::arg("need_bias"),
        "(dx, dweight, dbias) of conv2d, each None unless asked for; input may be None "
        "without need_weight and weight None without need_input (dx alone is the "
        "transposed convolution); padding is (top, left).");
}
