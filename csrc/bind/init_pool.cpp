// Bindings of the pooling kernels (cpu/pool.cpp): _C.max_pool2d_forward/_backward,
// _C.avg_pool2d_forward/_backward and _C.adaptive_avg_pool2d_forward/_backward.
// The output sizes are computed by the caller (PyTorch's rules live in
// rosenblatt.kernels.pool); here every size is checked against what the kernel
// will touch, so no window reads outside the input.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "bind/arrays.h"
#include "bind/int_tuple.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/pool.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::float_array;
using rb::bind::int_tuple;
using rb::bind::integer;
using rb::bind::require_c_contiguous;
using rb::bind::require_ndim;
using rb::bind::shape_str;
using rb::cpu::Pool2dShape;

py::array planes_array(const py::object& obj, const char* name) {
  py::array a = float_array(obj, name);
  require_ndim(a, 4, name);
  require_c_contiguous(a, name);
  return a;
}

// The windowed geometry (kernel, stride, padding, dilation) and sizes of one call.
Pool2dShape window_shape(int64_t planes, std::array<int64_t, 2> in, std::array<int64_t, 2> out,
                         const py::object& kernel_size, const py::object& stride,
                         const py::object& padding, const py::object& dilation) {
  const auto k = int_tuple<2>(kernel_size, "kernel_size", 1);
  const auto st = int_tuple<2>(stride, "stride", 1);
  const auto pd = int_tuple<2>(padding, "padding", 0);
  const auto di = int_tuple<2>(dilation, "dilation", 1);
  Pool2dShape s{planes, in[0], in[1], out[0], out[1], k[0], k[1], st[0], st[1], pd[0], pd[1],
                di[0], di[1]};
  RB_CHECK(pd[0] <= k[0] / 2 && pd[1] <= k[1] / 2, "padding (", pd[0], ", ", pd[1],
           ") must be at most half of kernel_size (", k[0], ", ", k[1], ")");
  // Every window must start before the end of the padded input (PyTorch's sizes do).
  RB_CHECK((out[0] - 1) * st[0] < in[0] + pd[0] && (out[1] - 1) * st[1] < in[1] + pd[1],
           "output size (", out[0], ", ", out[1], ") has windows outside the input of size (",
           in[0], ", ", in[1], ")");
  return s;
}

std::vector<py::ssize_t> shape4(const py::array& like, int64_t h, int64_t w) {
  return {like.shape(0), like.shape(1), h, w};
}

// Calls f(T*) with the array's element type.
template <class F>
void typed(const py::array& a, F f) {
  if (rb::bind::is_float32(a)) f(static_cast<float*>(nullptr));
  else f(static_cast<double*>(nullptr));
}

// A new (N, C, h, w) array of `in`'s dtype (N, C from `in`), filled by
// kernel(in data, out data) with the GIL released.
template <class Kernel>
py::array pooled(const py::array& in, int64_t h, int64_t w, Kernel kernel) {
  py::array out(in.dtype(), shape4(in, h, w));
  typed(in, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* ip = static_cast<const T*>(in.data());
    T* op = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    kernel(ip, op);
  });
  return out;
}

// The element type behind a kernel lambda's const T* argument.
#define RB_ELEMENT(ptr) std::remove_const_t<std::remove_pointer_t<decltype(ptr)>>

py::tuple max_pool2d_forward(const py::object& x_obj, const py::object& kernel_size,
                             const py::object& stride, const py::object& padding,
                             const py::object& dilation, const py::object& output_size) {
  const py::array x = planes_array(x_obj, "input");
  const auto out = int_tuple<2>(output_size, "output_size", 1);
  const int64_t planes = checked_mul(x.shape(0), x.shape(1), "the number of planes");
  RB_CHECK(x.shape(2) >= 1 && x.shape(3) >= 1, "input must have H, W >= 1, got ", shape_str(x));
  const Pool2dShape s = window_shape(planes, {x.shape(2), x.shape(3)}, out, kernel_size, stride,
                                     padding, dilation);
  checked_mul(planes, checked_mul(out[0], out[1], "the output size"), "the output size");
  py::array y(x.dtype(), shape4(x, out[0], out[1]));
  py::array_t<int64_t> indices(shape4(x, out[0], out[1]));
  typed(x, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    const T* xp = static_cast<const T*>(x.data());
    T* yp = static_cast<T*>(y.mutable_data());
    int64_t* ip = indices.mutable_data();
    py::gil_scoped_release release;
    RB_DISPATCH(max_pool2d_forward<T>(s, xp, yp, ip));
  });
  return py::make_tuple(y, indices);
}

py::array max_pool2d_backward(const py::object& dy_obj, const py::object& indices_obj,
                              const py::object& input_size) {
  const py::array dy = planes_array(dy_obj, "grad_output");
  RB_CHECK_TYPE(py::isinstance<py::array_t<int64_t>>(indices_obj) &&
                    py::reinterpret_borrow<py::array>(indices_obj).dtype().is(
                        py::dtype::of<int64_t>()),
                "indices must be an int64 numpy.ndarray, got ", rb::bind::type_name(indices_obj));
  const auto indices = py::reinterpret_borrow<py::array_t<int64_t>>(indices_obj);
  require_c_contiguous(indices, "indices");
  RB_CHECK(indices.ndim() == 4 && std::equal(dy.shape(), dy.shape() + 4, indices.shape()),
           "indices must have grad_output's shape ", shape_str(dy), ", got ", shape_str(indices));
  const auto in = int_tuple<2>(input_size, "input_size", 1);
  const int64_t plane = checked_mul(in[0], in[1], "the input size");
  checked_mul(checked_mul(dy.shape(0), dy.shape(1), "the input size"), plane, "the input size");
  const int64_t* ip = indices.data();
  for (py::ssize_t e = 0; e < indices.size(); ++e)
    RB_CHECK(ip[e] >= 0 && ip[e] < plane, "indices must lie in [0, ", plane, "), got ", ip[e]);
  Pool2dShape s;
  s.planes = dy.shape(0) * dy.shape(1), s.in_h = in[0], s.in_w = in[1];
  s.out_h = dy.shape(2), s.out_w = dy.shape(3);
  return pooled(dy, in[0], in[1], [&](auto* dyp, auto* dxp) {
    RB_DISPATCH(max_pool2d_backward<RB_ELEMENT(dyp)>(s, dyp, ip, dxp));
  });
}

// The geometry, count_include_pad and divisor_override (0: none) of an average pooling.
struct AvgPlan {
  Pool2dShape shape;
  bool include_pad;
  int64_t divisor;
};

AvgPlan avg_plan(int64_t planes, std::array<int64_t, 2> in, std::array<int64_t, 2> out,
                 const py::object& kernel_size, const py::object& stride,
                 const py::object& padding, const py::object& count_include_pad,
                 const py::object& divisor_override) {
  AvgPlan plan{window_shape(planes, in, out, kernel_size, stride, padding, py::make_tuple(1, 1)),
               rb::bind::flag(count_include_pad, "count_include_pad"), 0};
  if (!divisor_override.is_none()) {
    plan.divisor = integer(divisor_override, "divisor_override");
    RB_CHECK(plan.divisor > 0, "divisor_override must be > 0, got ", plan.divisor);
  }
  checked_mul(planes, checked_mul(in[0], in[1], "the input size"), "the input size");
  checked_mul(planes, checked_mul(out[0], out[1], "the output size"), "the output size");
  return plan;
}

py::array avg_pool2d_forward(const py::object& x_obj, const py::object& kernel_size,
                             const py::object& stride, const py::object& padding,
                             const py::object& output_size, const py::object& count_include_pad,
                             const py::object& divisor_override) {
  const py::array x = planes_array(x_obj, "input");
  const auto out = int_tuple<2>(output_size, "output_size", 1);
  const AvgPlan p = avg_plan(checked_mul(x.shape(0), x.shape(1), "the number of planes"),
                             {x.shape(2), x.shape(3)}, out, kernel_size, stride, padding,
                             count_include_pad, divisor_override);
  return pooled(x, out[0], out[1], [&](auto* xp, auto* yp) {
    RB_DISPATCH(avg_pool2d_forward<RB_ELEMENT(xp)>(p.shape, p.include_pad, p.divisor, xp, yp));
  });
}

py::array avg_pool2d_backward(const py::object& dy_obj, const py::object& input_size,
                              const py::object& kernel_size, const py::object& stride,
                              const py::object& padding, const py::object& count_include_pad,
                              const py::object& divisor_override) {
  const py::array dy = planes_array(dy_obj, "grad_output");
  const auto in = int_tuple<2>(input_size, "input_size", 1);
  RB_CHECK(dy.shape(2) >= 1 && dy.shape(3) >= 1, "grad_output must have Ho, Wo >= 1, got ",
           shape_str(dy));
  const AvgPlan p = avg_plan(checked_mul(dy.shape(0), dy.shape(1), "the number of planes"), in,
                             {dy.shape(2), dy.shape(3)}, kernel_size, stride, padding,
                             count_include_pad, divisor_override);
  return pooled(dy, in[0], in[1], [&](auto* dyp, auto* dxp) {
    RB_DISPATCH(avg_pool2d_backward<RB_ELEMENT(dyp)>(p.shape, p.include_pad, p.divisor, dyp,
                                                     dxp));
  });
}

py::array adaptive_avg_pool2d_forward(const py::object& x_obj, const py::object& output_size) {
  const py::array x = planes_array(x_obj, "input");
  const auto out = int_tuple<2>(output_size, "output_size", 1);
  RB_CHECK(x.shape(2) >= 1 && x.shape(3) >= 1, "input must have H, W >= 1, got ", shape_str(x));
  Pool2dShape s;
  s.planes = checked_mul(x.shape(0), x.shape(1), "the number of planes");
  s.in_h = x.shape(2), s.in_w = x.shape(3), s.out_h = out[0], s.out_w = out[1];
  checked_mul(s.planes, checked_mul(out[0], out[1], "the output size"), "the output size");
  return pooled(x, out[0], out[1], [&](auto* xp, auto* yp) {
    RB_DISPATCH(adaptive_avg_pool2d_forward<RB_ELEMENT(xp)>(s, xp, yp));
  });
}

py::array adaptive_avg_pool2d_backward(const py::object& dy_obj, const py::object& input_size) {
  const py::array dy = planes_array(dy_obj, "grad_output");
  const auto in = int_tuple<2>(input_size, "input_size", 1);
  RB_CHECK(dy.shape(2) >= 1 && dy.shape(3) >= 1, "grad_output must have Ho, Wo >= 1, got ",
           shape_str(dy));
  Pool2dShape s;
  s.planes = checked_mul(dy.shape(0), dy.shape(1), "the number of planes");
  s.in_h = in[0], s.in_w = in[1], s.out_h = dy.shape(2), s.out_w = dy.shape(3);
  checked_mul(s.planes, checked_mul(in[0], in[1], "the input size"), "the input size");
  return pooled(dy, in[0], in[1], [&](auto* dyp, auto* dxp) {
    RB_DISPATCH(adaptive_avg_pool2d_backward<RB_ELEMENT(dyp)>(s, dyp, dxp));
  });
}

#undef RB_ELEMENT

}  // namespace

void init_pool(py::module_& m) {
  m.def("max_pool2d_forward", &max_pool2d_forward, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("output_size"),
        "(y, int64 indices) of max pooling over (N, C, H, W).");
  m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_output"), py::arg("indices"),
        py::arg("input_size"), "dx of max pooling: dy scattered to its indices.");
  m.def("avg_pool2d_forward", &avg_pool2d_forward, py::arg("input"), py::arg("kernel_size"),
        py::arg("stride"), py::arg("padding"), py::arg("output_size"),
        py::arg("count_include_pad"), py::arg("divisor_override"), "y of average pooling.");
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_output"),
        py::arg("input_size"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"),
        py::arg("count_include_pad"), py::arg("divisor_override"), "dx of average pooling.");
  m.def("adaptive_avg_pool2d_forward", &adaptive_avg_pool2d_forward, py::arg("input"),
        py::arg("output_size"), "y of adaptive average pooling.");
  m.def("adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward, py::arg("grad_output"),
        py::arg("input_size"), "dx of adaptive average pooling.");
}
