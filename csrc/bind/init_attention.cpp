// Bindings of flash attention (cpu/attention.cpp): _C.attention_forward and
// _C.attention_backward. Every argument is checked before any memory is
// touched; the kernels then run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <new>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/simd.h"
#include "cpu/attention.h"

namespace py = pybind11;

namespace {

using rb::bind::checked_mul;
using rb::bind::finite_number;
using rb::bind::flag;
using rb::bind::float_array;
using rb::bind::is_float32;
using rb::bind::require_ndim;
using rb::bind::require_same_dtype;
using rb::bind::shape_str;

py::array c_contiguous_copy(const py::array& x) {
  return py::module_::import("numpy").attr("ascontiguousarray")(x);
}

// x with element strides the kernel can follow: the last dimension
// contiguous (or of length <= 1) and every stride a multiple of the item
// size; otherwise a C-contiguous copy.
py::array readable(py::array x) {
  const py::ssize_t item = x.itemsize();
  bool ok = reinterpret_cast<uintptr_t>(x.data()) % item == 0;
  for (py::ssize_t d = 0; d < x.ndim(); ++d) ok = ok && x.strides(d) % item == 0;
  const py::ssize_t last = x.ndim() - 1;
  ok = ok && (x.shape(last) <= 1 || x.strides(last) == item);
  return ok ? x : c_contiguous_copy(x);
}

int64_t stride(const py::array& x, py::ssize_t d) {
  return x.shape(d) == 1 ? 0 : x.strides(d) / x.itemsize();
}

// The checked problem and its (possibly copied) arrays, which must outlive the kernel call.
struct Problem {
  py::array q, k, v, bias, key_bias;
  bool has_bias = false, has_key_bias = false, causal = false;
  double scale = 1;
  int64_t batch = 0, heads = 0, tq = 0, tk = 0, d = 0, dv = 0;

  template <class T>
  rb::cpu::AttentionProblem<T> get() const {
    rb::cpu::AttentionProblem<T> p;
    p.batch = batch, p.heads = heads, p.tq = tq, p.tk = tk, p.d = d, p.dv = dv;
    p.q = static_cast<const T*>(q.data());
    p.q_sb = stride(q, 0), p.q_sh = stride(q, 1), p.q_st = stride(q, 2);
    p.k = static_cast<const T*>(k.data());
    p.k_sb = stride(k, 0), p.k_sh = stride(k, 1), p.k_st = stride(k, 2);
    p.v = static_cast<const T*>(v.data());
    p.v_sb = stride(v, 0), p.v_sh = stride(v, 1), p.v_st = stride(v, 2);
    if (has_bias) {
      p.bias = static_cast<const T*>(bias.data());
      p.bias_sb = stride(bias, 0), p.bias_sh = stride(bias, 1);
      p.bias_si = stride(bias, 2), p.bias_sj = stride(bias, 3);
    }
    if (has_key_bias) {
      p.key_bias = static_cast<const T*>(key_bias.data());
      p.key_bias_sb = stride(key_bias, 0);
    }
    p.causal = causal;
    p.scale = static_cast<T>(scale);
    return p;
  }
};

Problem check_problem(const py::object& q_obj, const py::object& k_obj, const py::object& v_obj,
                      const py::object& bias_obj, const py::object& key_bias_obj,
                      const py::object& causal_obj, const py::object& scale_obj) {
  Problem pr;
  pr.q = float_array(q_obj, "query");
  pr.k = float_array(k_obj, "key");
  pr.v = float_array(v_obj, "value");
  require_ndim(pr.q, 4, "query");
  require_ndim(pr.k, 4, "key");
  require_ndim(pr.v, 4, "value");
  require_same_dtype(pr.q, pr.k, "query", "key");
  require_same_dtype(pr.q, pr.v, "query", "value");
  const py::array &q = pr.q, &k = pr.k, &v = pr.v;
  RB_CHECK(k.shape(0) == q.shape(0) && k.shape(1) == q.shape(1) && v.shape(0) == q.shape(0) &&
               v.shape(1) == q.shape(1),
           "the batch dims (B, H) of query ", shape_str(q), ", key ", shape_str(k),
           " and value ", shape_str(v), " must be equal");
  RB_CHECK(k.shape(3) == q.shape(3), "query and key must have the same head dim, got query ",
           shape_str(q), " and key ", shape_str(k));
  RB_CHECK(v.shape(2) == k.shape(2), "key and value must have the same sequence length, got key ",
           shape_str(k), " and value ", shape_str(v));
  pr.batch = q.shape(0), pr.heads = q.shape(1), pr.tq = q.shape(2), pr.tk = k.shape(2);
  pr.d = q.shape(3), pr.dv = v.shape(3);
  const int64_t bh = checked_mul(pr.batch, pr.heads, "B * H");
  checked_mul(checked_mul(bh, pr.tq, "B * H * Tq"), pr.d + pr.dv + 1, "the query-side sizes");
  checked_mul(checked_mul(bh, pr.tk, "B * H * Tk"), pr.d + pr.dv, "the key-side sizes");
  pr.q = readable(pr.q), pr.k = readable(pr.k), pr.v = readable(pr.v);

  if (!bias_obj.is_none()) {
    py::array bias = float_array(bias_obj, "attn_bias");
    require_ndim(bias, 4, "attn_bias");
    require_same_dtype(pr.q, bias, "query", "attn_bias");
    const int64_t want[4] = {pr.batch, pr.heads, pr.tq, pr.tk};
    for (int dim = 0; dim < 4; ++dim)
      RB_CHECK(bias.shape(dim) == want[dim] || bias.shape(dim) == 1, "attn_bias of shape ",
               shape_str(bias), " does not broadcast to (B, H, Tq, Tk) = (", pr.batch, ", ",
               pr.heads, ", ", pr.tq, ", ", pr.tk, ")");
    pr.bias = readable(bias);
    pr.has_bias = true;
  }
  if (!key_bias_obj.is_none()) {
    py::array kb = float_array(key_bias_obj, "key_bias");
    require_ndim(kb, 2, "key_bias");
    require_same_dtype(pr.q, kb, "query", "key_bias");
    RB_CHECK(kb.shape(0) == pr.batch && kb.shape(1) == pr.tk,
             "key_bias must have shape (B, Tk) = (", pr.batch, ", ", pr.tk, "), got ",
             shape_str(kb));
    pr.key_bias = readable(kb);
    pr.has_key_bias = true;
  }
  pr.causal = flag(causal_obj, "is_causal");
  pr.scale = finite_number(scale_obj, "scale");
  return pr;
}

std::vector<py::ssize_t> dims(std::initializer_list<int64_t> sizes) {
  return std::vector<py::ssize_t>(sizes.begin(), sizes.end());
}

template <class F>
void run_kernel(const F& call) {
  try {
    py::gil_scoped_release release;
    call();
  } catch (const std::bad_alloc&) {
    PyErr_SetString(PyExc_MemoryError, "attention: not enough memory for its scratch tiles");
    throw py::error_already_set();
  }
}

// Returns (o, lse): o (B, H, Tq, Dv), lse (B, H, Tq) = the log of each row's softmax
// denominator (+inf for a row with every key masked).
py::tuple forward_binding(py::object q, py::object k, py::object v, py::object bias,
                          py::object key_bias, py::object causal, py::object scale) {
  const Problem pr = check_problem(q, k, v, bias, key_bias, causal, scale);
  py::array o(pr.q.dtype(), dims({pr.batch, pr.heads, pr.tq, pr.dv}));
  py::array lse(pr.q.dtype(), dims({pr.batch, pr.heads, pr.tq}));
  auto launch = [&](auto zero) {
    using T = decltype(zero);
    const auto p = pr.get<T>();
    T *op = static_cast<T*>(o.mutable_data()), *lp = static_cast<T*>(lse.mutable_data());
    run_kernel([&] { RB_DISPATCH(attention_forward<T>(p, op, lp)); });
  };
  if (is_float32(pr.q)) launch(0.0f);
  else launch(0.0);
  return py::make_tuple(o, lse);
}

// An input of the backward that must match `shape` exactly: C-contiguous (copied when not).
py::array exact(const py::object& obj, const Problem& pr, std::vector<py::ssize_t> shape,
                const char* name) {
  py::array a = float_array(obj, name);
  require_same_dtype(pr.q, a, "query", name);
  bool same = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; same && i < shape.size(); ++i) same = a.shape(i) == shape[i];
  std::string want = "(";
  for (size_t i = 0; i < shape.size(); ++i) want += (i ? ", " : "") + std::to_string(shape[i]);
  RB_CHECK(same, name, " must have shape ", want, "), got ", shape_str(a));
  return (a.flags() & py::array::c_style) ? a : c_contiguous_copy(a);
}

// Returns (dq, dk, dv) given the forward's o and lse and the output gradient grad_out.
py::tuple backward_binding(py::object q, py::object k, py::object v, py::object o_obj,
                           py::object lse_obj, py::object grad_obj, py::object bias,
                           py::object key_bias, py::object causal, py::object scale) {
  const Problem pr = check_problem(q, k, v, bias, key_bias, causal, scale);
  const py::array o = exact(o_obj, pr, dims({pr.batch, pr.heads, pr.tq, pr.dv}), "out");
  const py::array lse = exact(lse_obj, pr, dims({pr.batch, pr.heads, pr.tq}), "lse");
  const py::array g = exact(grad_obj, pr, dims({pr.batch, pr.heads, pr.tq, pr.dv}), "grad_out");
  py::array dq(pr.q.dtype(), dims({pr.batch, pr.heads, pr.tq, pr.d}));
  py::array dk(pr.q.dtype(), dims({pr.batch, pr.heads, pr.tk, pr.d}));
  py::array dv(pr.q.dtype(), dims({pr.batch, pr.heads, pr.tk, pr.dv}));
  auto launch = [&](auto zero) {
    using T = decltype(zero);
    const auto p = pr.get<T>();
    const T *op = static_cast<const T*>(o.data()), *lp = static_cast<const T*>(lse.data()),
            *gp = static_cast<const T*>(g.data());
    T *dqp = static_cast<T*>(dq.mutable_data()), *dkp = static_cast<T*>(dk.mutable_data()),
      *dvp = static_cast<T*>(dv.mutable_data());
    run_kernel([&] { RB_DISPATCH(attention_backward<T>(p, op, gp, lp, dqp, dkp, dvp)); });
  };
  if (is_float32(pr.q)) launch(0.0f);
  else launch(0.0);
  return py::make_tuple(dq, dk, dv);
}

// Bytes of scratch the kernels allocate for `threads` threads (item_size 4: float32, 8: float64).
int64_t scratch_bytes(bool backward, int64_t tk, int64_t d, int64_t dv, int64_t item_size,
                      int64_t threads) {
  RB_CHECK(tk >= 0 && d >= 0 && dv >= 0 && threads >= 1, "sizes must be >= 0 and threads >= 1");
  RB_CHECK(item_size == 4 || item_size == 8, "item_size must be 4 or 8, got ", item_size);
  auto per_thread = [&](auto zero) -> int64_t {
    using T = decltype(zero);
    RB_DISPATCH(attention_scratch_per_thread<T>(backward, tk, d, dv));
  };
  const int64_t elements = item_size == 4 ? per_thread(0.0f) : per_thread(0.0);
  return checked_mul(checked_mul(elements, threads, "scratch"), item_size, "scratch");
}

}  // namespace

void init_attention(py::module_& m) {
  m.def("attention_forward", &forward_binding, py::arg("query"), py::arg("key"),
        py::arg("value"), py::arg("attn_bias"), py::arg("key_bias"), py::arg("is_causal"),
        py::arg("scale"),
        "(out, lse) of flash attention (see rosenblatt.kernels.attention_forward).");
  m.def("attention_backward", &backward_binding, py::arg("query"), py::arg("key"),
        py::arg("value"), py::arg("out"), py::arg("lse"), py::arg("grad_out"),
        py::arg("attn_bias"), py::arg("key_bias"), py::arg("is_causal"), py::arg("scale"),
        "(dq, dk, dv) of flash attention (see rosenblatt.kernels.attention_backward).");
  m.def("attention_scratch_bytes", &scratch_bytes, py::arg("backward"), py::arg("tk"),
        py::arg("d"), py::arg("dv"), py::arg("item_size"), py::arg("threads"),
        "Bytes of scratch attention_forward / attention_backward allocate (for the benchmark's "
        "memory report).");
}
