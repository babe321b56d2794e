// Bindings of the fused recurrent sequences (cpu/rnn.cpp): _C.rnn_forward and
// _C.rnn_backward. Every argument is checked before any memory is touched;
// the kernels then run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/rnn.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::flag;
using rb::bind::float_array;
using rb::bind::is_float32;
using rb::bind::number_in;
using rb::bind::require_c_contiguous;
using rb::bind::require_same_dtype;
using rb::bind::shape_str;
using rb::bind::type_name;
using rb::cpu::RnnMode;
using rb::cpu::RnnProblem;

using Int64Array = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

RnnMode mode_arg(py::handle obj) {
  RB_CHECK_TYPE(py::isinstance<py::str>(obj), "mode must be a str, got ", type_name(obj));
  const std::string name = obj.cast<std::string>();
  if (name == "lstm") return RnnMode::lstm;
  if (name == "gru") return RnnMode::gru;
  if (name == "rnn_tanh") return RnnMode::rnn_tanh;
  if (name == "rnn_relu") return RnnMode::rnn_relu;
  throw std::invalid_argument(
      rb::cat("mode must be 'lstm', 'gru', 'rnn_tanh' or 'rnn_relu', got '", name, "'"));
}

// A C-contiguous array of `like`'s dtype and exactly `shape`.
py::array array_of(py::handle obj, const char* name, const py::array& like,
                   const std::vector<int64_t>& shape) {
  py::array a = float_array(obj, name);
  require_same_dtype(like, a, "x", name);
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t d = 0; ok && d < shape.size(); ++d) ok = a.shape(d) == shape[d];
  if (!ok) {
    std::string want = "(";
    for (size_t d = 0; d < shape.size(); ++d)
      want += (d ? ", " : "") + std::to_string(shape[d]);
    want += shape.size() == 1 ? ",)" : ")";
    throw std::invalid_argument(
        rb::cat(name, " must have shape ", want, ", got ", shape_str(a)));
  }
  require_c_contiguous(a, name);
  return a;
}

// None, or array_of(...).
py::object optional_array(py::handle obj, const char* name, const py::array& like,
                          const std::vector<int64_t>& shape) {
  if (obj.is_none()) return py::none();
  return array_of(obj, name, like, shape);
}

template <class T>
const T* pointer(const py::object& obj) {
  return obj.is_none() ? nullptr : static_cast<const T*>(py::array(obj).data());
}

// The checked problem: sizes from x (T, B, I) and w_hh (G*H, H), weights,
// lengths and options. `keep` holds the arrays the pointers point into.
struct Checked {
  RnnMode mode;
  int64_t steps, batch, input_size, hidden, gates;
  py::array x, w_ih, w_hh;
  py::object b_ih, b_hh, w_ch, lengths;
  bool reverse;
  double leak;
};

Checked check_problem(py::handle mode_obj, py::handle x_obj, py::handle w_ih_obj,
                      py::handle w_hh_obj, py::handle b_ih_obj, py::handle b_hh_obj,
                      py::handle w_ch_obj, py::handle lengths_obj, py::handle reverse_obj,
                      py::handle leak_obj) {
  Checked c;
  c.mode = mode_arg(mode_obj);
  c.x = float_array(x_obj, "x");
  RB_CHECK(c.x.ndim() == 3, "x must be 3-D (seq_len, batch, input_size), got shape ",
           shape_str(c.x));
  require_c_contiguous(c.x, "x");
  c.steps = c.x.shape(0), c.batch = c.x.shape(1), c.input_size = c.x.shape(2);
  RB_CHECK(c.steps >= 1, "x must have at least one time step, got shape ", shape_str(c.x));
  const int64_t G = rb::cpu::rnn_gates(c.mode);
  py::array w_hh = float_array(w_hh_obj, "w_hh");
  RB_CHECK(w_hh.ndim() == 2 && w_hh.shape(1) >= 1 && w_hh.shape(0) == G * w_hh.shape(1),
           "w_hh must have shape (", G, " * hidden, hidden) with hidden >= 1, got ",
           shape_str(w_hh));
  c.hidden = w_hh.shape(1);
  c.gates = G;
  const int64_t GH = G * c.hidden;
  c.w_hh = array_of(w_hh, "w_hh", c.x, {GH, c.hidden});
  c.w_ih = array_of(w_ih_obj, "w_ih", c.x, {GH, c.input_size});
  c.b_ih = optional_array(b_ih_obj, "b_ih", c.x, {GH});
  c.b_hh = optional_array(b_hh_obj, "b_hh", c.x, {GH});
  RB_CHECK(w_ch_obj.is_none() || c.mode == RnnMode::lstm,
           "w_ch (peephole weights) is for the LSTM only");
  c.w_ch = optional_array(w_ch_obj, "w_ch", c.x, {3 * c.hidden});
  c.lengths = py::none();
  if (!lengths_obj.is_none()) {
    RB_CHECK_TYPE(py::isinstance<py::array>(lengths_obj), "lengths must be a numpy.ndarray, got ",
                  type_name(lengths_obj));
    auto raw = py::reinterpret_borrow<py::array>(lengths_obj);
    const char kind = raw.dtype().kind();
    RB_CHECK_TYPE(kind == 'i' || kind == 'u', "lengths must have an integer dtype, got ",
                  py::str(raw.dtype()).cast<std::string>());
    RB_CHECK(raw.ndim() == 1 && raw.shape(0) == c.batch, "lengths must have shape (", c.batch,
             ",), got ", shape_str(raw));
    Int64Array lengths(raw);
    for (int64_t b = 0; b < c.batch; ++b)
      RB_CHECK(lengths.data()[b] >= 1 && lengths.data()[b] <= c.steps, "lengths[", b, "] = ",
               lengths.data()[b], " is out of range: expected 1 <= length <= ", c.steps,
               " (seq_len)");
    c.lengths = lengths;
  }
  c.reverse = flag(reverse_obj, "reverse");
  c.leak = number_in(leak_obj, "leak", 0.0, 1.0, true);
  RB_CHECK(c.leak == 0.0 || c.mode == RnnMode::rnn_tanh || c.mode == RnnMode::rnn_relu,
           "leak is for the RNN modes only");
  // Sizes of every buffer, checked for overflow.
  const int64_t rows = checked_mul(c.steps, c.batch, "seq_len * batch");
  checked_mul(rows, rb::cpu::rnn_saved_width(c.mode, c.hidden), "the saved activations");
  checked_mul(rows, checked_mul(G, c.hidden, "gates * hidden"), "the gate gradients");
  return c;
}

template <class T>
RnnProblem<T> problem_of(const Checked& c) {
  RnnProblem<T> p;
  p.mode = c.mode;
  p.steps = c.steps, p.batch = c.batch, p.input_size = c.input_size, p.hidden = c.hidden;
  p.w_ih = static_cast<const T*>(c.w_ih.data());
  p.w_hh = static_cast<const T*>(c.w_hh.data());
  p.b_ih = pointer<T>(c.b_ih);
  p.b_hh = pointer<T>(c.b_hh);
  p.w_ch = pointer<T>(c.w_ch);
  p.lengths = c.lengths.is_none() ? nullptr
                                  : static_cast<const int64_t*>(py::array(c.lengths).data());
  p.reverse = c.reverse;
  p.leak = static_cast<T>(c.leak);
  return p;
}

py::array new_like(const py::array& like, const std::vector<int64_t>& shape) {
  return py::array(like.dtype(), std::vector<py::ssize_t>(shape.begin(), shape.end()));
}

template <class T>
T* data_of(py::object& obj) {
  return obj.is_none() ? nullptr : static_cast<T*>(py::array(obj).mutable_data());
}

template <class T>
void run_forward(const Checked& c, const py::array& h0, const py::object& c0, py::array& states,
                 py::array& saved, bool keep_saved) {
  RnnProblem<T> p = problem_of<T>(c);
  p.keep_saved = keep_saved;
  const T* x = static_cast<const T*>(c.x.data());
  const T* h0p = static_cast<const T*>(h0.data());
  const T* c0p = pointer<T>(c0);
  const int64_t plane = c.batch * c.hidden;
  T* outp = static_cast<T*>(states.mutable_data());
  T* hnp = outp + c.steps * plane;
  T* cnp = c.mode == RnnMode::lstm ? hnp + plane : nullptr;
  T* sp = keep_saved ? static_cast<T*>(saved.mutable_data()) : nullptr;
  py::gil_scoped_release release;
  RB_DISPATCH(rnn_forward<T>(p, x, h0p, c0p, outp, hnp, cnp, sp));
}

// Returns (states, saved): states (T + 1, B, H) holds the outputs (T, B, H) then h_n
// (B, H), and for the LSTM c_n (B, H) after them; saved is (T, B, S) (training) or
// (T, B, 0) (not training: nothing for a backward pass).
py::tuple rnn_forward_binding(py::object mode, py::object x, py::object h0_obj,
                              py::object c0_obj, py::object w_ih, py::object w_hh,
                              py::object b_ih, py::object b_hh, py::object w_ch,
                              py::object lengths, py::object reverse, py::object leak,
                              py::object training) {
  const Checked c = check_problem(mode, x, w_ih, w_hh, b_ih, b_hh, w_ch, lengths, reverse, leak);
  const bool keep_saved = flag(training, "training");
  const int64_t B = c.batch, H = c.hidden;
  const py::array h0 = array_of(h0_obj, "h0", c.x, {B, H});
  const bool lstm = c.mode == RnnMode::lstm;
  RB_CHECK(lstm || c0_obj.is_none(), "c0 is for the LSTM only");
  RB_CHECK(!lstm || !c0_obj.is_none(), "the LSTM needs c0");
  const py::object c0 = optional_array(c0_obj, "c0", c.x, {B, H});
  // One array holds the outputs, h_n and c_n, one after the other.
  py::array states = new_like(c.x, {c.steps + 1 + (lstm ? 1 : 0), B, H});
  const int64_t width = keep_saved ? rb::cpu::rnn_saved_width(c.mode, H) : 0;
  py::array saved = new_like(c.x, {c.steps, B, width});
  if (is_float32(c.x)) run_forward<float>(c, h0, c0, states, saved, keep_saved);
  else run_forward<double>(c, h0, c0, states, saved, keep_saved);
  return py::make_tuple(states, saved);
}

template <class T>
void run_backward(const Checked& c, const py::array& saved, const py::object& dout,
                  const py::object& dh_n, const py::object& dc_n, py::object& dx,
                  py::object& dh0, py::object& dc0, py::object& dw_ih, py::object& dw_hh,
                  py::object& db_ih, py::object& db_hh, py::object& dw_ch) {
  const RnnProblem<T> p = problem_of<T>(c);
  const T* x = static_cast<const T*>(c.x.data());
  const T* sp = static_cast<const T*>(saved.data());
  const T *doutp = pointer<T>(dout), *dhnp = pointer<T>(dh_n), *dcnp = pointer<T>(dc_n);
  T *dxp = data_of<T>(dx), *dh0p = data_of<T>(dh0), *dc0p = data_of<T>(dc0);
  T *dwip = data_of<T>(dw_ih), *dwhp = data_of<T>(dw_hh);
  T *dbip = data_of<T>(db_ih), *dbhp = data_of<T>(db_hh), *dwcp = data_of<T>(dw_ch);
  py::gil_scoped_release release;
  RB_DISPATCH(rnn_backward<T>(p, x, sp, doutp, dhnp, dcnp, dxp, dh0p, dc0p, dwip, dwhp, dbip,
                              dbhp, dwcp));
}

// Returns (dx or None (input_grad false), dh0, dc0 or None, dw_ih, dw_hh, db_ih or None,
// db_hh or None, dw_ch or None).
py::tuple rnn_backward_binding(py::object mode, py::object x, py::object saved_obj,
                               py::object dout_obj, py::object dh_n_obj, py::object dc_n_obj,
                               py::object w_ih, py::object w_hh, py::object b_ih,
                               py::object b_hh, py::object w_ch, py::object lengths,
                               py::object reverse, py::object leak, py::object input_grad) {
  const Checked c = check_problem(mode, x, w_ih, w_hh, b_ih, b_hh, w_ch, lengths, reverse, leak);
  const bool want_dx = flag(input_grad, "input_grad");
  const int64_t T_ = c.steps, B = c.batch, H = c.hidden, I = c.input_size;
  const int64_t GH = c.gates * H;
  const bool lstm = c.mode == RnnMode::lstm;
  const py::array saved =
      array_of(saved_obj, "saved", c.x, {T_, B, rb::cpu::rnn_saved_width(c.mode, H)});
  const py::object dout = optional_array(dout_obj, "dout", c.x, {T_, B, H});
  const py::object dh_n = optional_array(dh_n_obj, "dh_n", c.x, {B, H});
  RB_CHECK(lstm || dc_n_obj.is_none(), "dc_n is for the LSTM only");
  const py::object dc_n = optional_array(dc_n_obj, "dc_n", c.x, {B, H});
  py::object dx = want_dx ? py::object(new_like(c.x, {T_, B, I})) : py::object(py::none());
  py::object dh0 = new_like(c.x, {B, H});
  py::object dc0 = lstm ? py::object(new_like(c.x, {B, H})) : py::object(py::none());
  py::object dw_ih = new_like(c.x, {GH, I});
  py::object dw_hh = new_like(c.x, {GH, H});
  py::object db_ih = c.b_ih.is_none() ? py::object(py::none()) : py::object(new_like(c.x, {GH}));
  py::object db_hh = c.b_hh.is_none() ? py::object(py::none()) : py::object(new_like(c.x, {GH}));
  py::object dw_ch =
      c.w_ch.is_none() ? py::object(py::none()) : py::object(new_like(c.x, {3 * H}));
  if (is_float32(c.x))
    run_backward<float>(c, saved, dout, dh_n, dc_n, dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh,
                        dw_ch);
  else
    run_backward<double>(c, saved, dout, dh_n, dc_n, dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh,
                         dw_ch);
  return py::make_tuple(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_ch);
}

}  // namespace

void init_rnn(py::module_& m) {
  m.def("rnn_forward", &rnn_forward_binding, py::arg("mode"), py::arg("x"), py::arg("h0"),
        py::arg("c0"), py::arg("w_ih"), py::arg("w_hh"), py::arg("b_ih"), py::arg("b_hh"),
        py::arg("w_ch"), py::arg("lengths"), py::arg("reverse"), py::arg("leak"),
        py::arg("training"),
        "(states, saved) of one recurrent layer over a sequence "
        "(see rosenblatt.kernels.rnn_forward).");
  m.def("rnn_backward", &rnn_backward_binding, py::arg("mode"), py::arg("x"), py::arg("saved"),
        py::arg("dout"), py::arg("dh_n"), py::arg("dc_n"), py::arg("w_ih"), py::arg("w_hh"),
        py::arg("b_ih"), py::arg("b_hh"), py::arg("w_ch"), py::arg("lengths"),
        py::arg("reverse"), py::arg("leak"), py::arg("input_grad"),
        "(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_ch): backpropagation through time "
        "(see rosenblatt.kernels.rnn_backward).");
}
