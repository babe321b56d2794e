// Bindings of the GEMM kernels: _C.gemm and _C.batched_gemm.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "cpu/gemm.h"

namespace py = pybind11;
using rb::bind::float_array;
using rb::cpu::Activation;

namespace {

Activation parse_activation(const py::object& activation) {
  if (activation.is_none()) return Activation::none;
  RB_CHECK_TYPE(py::isinstance<py::str>(activation),
                "activation must be None or a str, got ", rb::bind::type_name(activation));
  const auto name = activation.cast<std::string>();
  if (name == "relu") return Activation::relu;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "tanh") return Activation::tanh;
  if (name == "gelu") return Activation::gelu;
  throw std::invalid_argument("activation must be None, 'relu', 'sigmoid', 'tanh' or 'gelu', got '" +
                              name + "'");
}

// Stride of dimension d of a, in elements.
int64_t element_stride(const py::array& a, py::ssize_t d, const char* name) {
  const py::ssize_t bytes = a.strides(d);
  RB_CHECK(bytes % a.itemsize() == 0, name, " has a stride (", bytes,
           " bytes) that is not a multiple of its item size");
  return bytes / a.itemsize();
}

// The operand of one product: op(X) is rows x cols, element (i, j) at
// data[i*rs + j*cs], read from the last two dimensions of x.
struct Operand {
  int64_t rows, cols, rs, cs, batch_stride;
};

Operand operand(const py::array& x, bool transpose, const char* name) {
  const py::ssize_t d = x.ndim();
  Operand op{x.shape(d - 2), x.shape(d - 1), element_stride(x, d - 2, name),
             element_stride(x, d - 1, name), d == 3 ? element_stride(x, 0, name) : 0};
  if (transpose) {
    std::swap(op.rows, op.cols);
    std::swap(op.rs, op.cs);
  }
  return op;
}

template <class T>
void run(const rb::cpu::GemmProblem<T>& problem, const rb::cpu::BatchStrides& strides) {
  try {
    py::gil_scoped_release release;
    auto call = [&] { RB_DISPATCH(batched_gemm<T>(problem, strides)); };
    call();
  } catch (const std::bad_alloc&) {  // the packing buffers (C is untouched)
    PyErr_SetString(PyExc_MemoryError, "gemm: not enough memory for its packing buffers");
    throw py::error_already_set();
  }
}

// Shared by gemm (2-D operands) and batched_gemm (3-D, or one of them 2-D and
// shared across the stack).
py::array gemm_impl(const py::object& a_obj, const py::object& b_obj, const py::object& trans_a_obj,
                    const py::object& trans_b_obj, const py::object& alpha_obj,
                    const py::object& beta_obj, const py::object& out_obj,
                    const py::object& bias_obj, const py::object& activation, bool batched) {
  using namespace rb::bind;
  const py::array a = float_array(a_obj, "a");
  const py::array b = float_array(b_obj, "b");
  require_same_dtype(a, b, "a", "b");
  if (batched) {
    RB_CHECK(a.ndim() >= 2 && a.ndim() <= 3, "a must be 2-D or 3-D, got shape ", shape_str(a));
    RB_CHECK(b.ndim() >= 2 && b.ndim() <= 3, "b must be 2-D or 3-D, got shape ", shape_str(b));
    RB_CHECK(a.ndim() == 3 || b.ndim() == 3, "batched_gemm needs a 3-D a or b, got shapes ",
             shape_str(a), " and ", shape_str(b));
  } else {
    require_ndim(a, 2, "a");
    require_ndim(b, 2, "b");
  }
  const bool trans_a = flag(trans_a_obj, "trans_a"), trans_b = flag(trans_b_obj, "trans_b");
  const double alpha = finite_number(alpha_obj, "alpha"), beta = finite_number(beta_obj, "beta");
  const Activation act = parse_activation(activation);

  const Operand opa = operand(a, trans_a, "a"), opb = operand(b, trans_b, "b");
  RB_CHECK(opa.cols == opb.rows, "inner dimensions differ: op(a) is ", opa.rows, " x ", opa.cols,
           " but op(b) is ", opb.rows, " x ", opb.cols, " (shapes ", shape_str(a), " and ",
           shape_str(b), ", trans_a=", trans_a, ", trans_b=", trans_b, ")");
  const int64_t batch = a.ndim() == 3 ? a.shape(0) : b.ndim() == 3 ? b.shape(0) : 1;
  RB_CHECK(a.ndim() < 3 || b.ndim() < 3 || a.shape(0) == b.shape(0),
           "a and b must stack the same number of matrices, got ", a.shape(0), " and ",
           b.shape(0));
  const int64_t m = opa.rows, n = opb.cols, k = opa.cols;
  checked_mul(checked_mul(batch, m, "the output size"), n, "the output size");

  std::vector<py::ssize_t> out_shape{m, n};
  if (batched) out_shape.insert(out_shape.begin(), batch);

  py::array out;
  if (out_obj.is_none()) {
    RB_CHECK(beta == 0.0, "beta scales the C given as out; with out=None beta must be 0, got ",
             beta);
    out = py::array(a.dtype(), out_shape);
  } else {
    out = float_array(out_obj, "out");
    require_same_dtype(a, out, "a", "out");
    RB_CHECK(std::vector<py::ssize_t>(out.shape(), out.shape() + out.ndim()) == out_shape,
             "out must have shape ", shape_str(py::array(a.dtype(), out_shape)), ", got ",
             shape_str(out));
    require_c_contiguous(out, "out");
    require_writeable(out, "out");
    require_no_overlap(out, a, "out", "a");
    require_no_overlap(out, b, "out", "b");
  }
  py::array bias;  // a default py::array is an empty array, not null: test has_bias
  const bool has_bias = !bias_obj.is_none();
  if (has_bias) {
    bias = float_array(bias_obj, "bias");
    require_same_dtype(a, bias, "a", "bias");
    RB_CHECK(bias.ndim() == 1 && bias.shape(0) == n, "bias must have shape (", n, ",), got ",
             shape_str(bias));
    require_c_contiguous(bias, "bias");
    if (!out_obj.is_none()) require_no_overlap(out, bias, "out", "bias");
  }

  rb::cpu::BatchStrides strides{batch, opa.batch_stride, opb.batch_stride, m * n};
  auto fill = [&](auto* type_tag) {
    using T = std::remove_pointer_t<decltype(type_tag)>;
    rb::cpu::GemmProblem<T> p;
    p.m = m, p.n = n, p.k = k;
    p.a = static_cast<const T*>(a.data()), p.a_rs = opa.rs, p.a_cs = opa.cs;
    p.b = static_cast<const T*>(b.data()), p.b_rs = opb.rs, p.b_cs = opb.cs;
    p.c = static_cast<T*>(out.mutable_data()), p.ldc = n;
    p.alpha = static_cast<T>(alpha), p.beta = static_cast<T>(beta);
    p.bias = has_bias ? static_cast<const T*>(bias.data()) : nullptr;
    p.activation = act;
    run(p, strides);
  };
  if (is_float32(a)) fill(static_cast<float*>(nullptr));
  else fill(static_cast<double*>(nullptr));
  return out;
}

}  // namespace

void init_gemm(py::module_& m) {
  for (const bool batched : {false, true}) {
    m.def(batched ? "batched_gemm" : "gemm",
          [batched](const py::object& a, const py::object& b, const py::object& trans_a,
                    const py::object& trans_b, const py::object& alpha, const py::object& beta,
                    const py::object& out, const py::object& bias, const py::object& activation) {
            return gemm_impl(a, b, trans_a, trans_b, alpha, beta, out, bias, activation, batched);
          },
          py::arg("a"), py::arg("b"), py::kw_only(), py::arg("trans_a") = false,
          py::arg("trans_b") = false, py::arg("alpha") = 1.0, py::arg("beta") = 0.0,
          py::arg("out") = py::none(), py::arg("bias") = py::none(),
          py::arg("activation") = py::none(),
          batched ? "A stack of GEMMs (see rosenblatt.kernels.batched_gemm)."
                  : "C = act(alpha op(a) op(b) + beta C + bias) (see rosenblatt.kernels.gemm).");
  }
}
