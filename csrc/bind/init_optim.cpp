// Bindings of the fused optimizer steps (csrc/cpu/optim.h): sgd_, adagrad_,
// adadelta_, rmsprop_, adam_ and adamw_ in rosenblatt._C.
//
// Each validates its hyper-parameters, then every array of every list, and
// only then releases the GIL and runs one kernel call over the whole list.
// Lists are Python lists or tuples of numpy arrays; the i-th arrays of all
// lists share the dtype of params[0] and the shape of params[i], are
// C-contiguous and aligned, and the written ones (everything but grads) are
// writeable and overlap no other array of the call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bind/arrays.h"
#include "bind/scalars.h"
#include "common/check.h"
#include "common/simd.h"
#include "cpu/optim.h"

namespace py = pybind11;

namespace rb::bind {
namespace {

// The step count after this update's increment: an int >= 1.
int64_t step_count(py::handle obj) {
  const int64_t step = integer(obj, "step");
  RB_CHECK(step >= 1, "step must be >= 1 (the count after this update), got ", step);
  return step;
}

// ---------------------------------------------------------------- array lists

// One list argument: its name, the Python object, whether the kernel writes it.
struct ListArg {
  const char* name;
  py::handle obj;
  bool written;
};

// The validated arrays of a call: arrays[k][i] is the i-th array of list k
// (lists in the order given, params first). Holding them keeps them alive
// while the GIL is released, whatever happens to the Python lists meanwhile.
struct ArrayLists {
  std::vector<std::vector<py::array>> arrays;
  std::vector<int64_t> sizes;  // sizes[i]: elements of params[i]
  bool float32 = true;

  int64_t count() const { return static_cast<int64_t>(sizes.size()); }

  // Data pointers of list k.
  template <class T>
  std::vector<T*> pointers(size_t k) const {
    std::vector<T*> out;
    for (const py::array& a : arrays[k]) {
      out.push_back(static_cast<T*>(const_cast<void*>(a.data())));
    }
    return out;
  }
};

// A byte range [lo, hi) of the call, for the overlap check.
struct Extent {
  uintptr_t lo, hi;
  size_t list;
  size_t index;
};

// "exp_avgs[3]" (built for every array, so without a string stream).
std::string element_name(const ListArg& list, size_t i) {
  return std::string(list.name) + "[" + std::to_string(i) + "]";
}

// Raises unless no written array overlaps any other array of the call (read-
// only arrays, the grads, may share memory with each other). Sorting the byte
// ranges by start makes this O(n log n): a range overlaps an earlier one iff
// it starts before the largest end seen so far.
void require_disjoint(const std::vector<ListArg>& lists, const ArrayLists& out) {
  std::vector<Extent> extents;
  for (size_t k = 0; k < lists.size(); ++k) {
    for (size_t i = 0; i < out.arrays[k].size(); ++i) {
      auto [lo, hi] = byte_extent(out.arrays[k][i]);
      if (lo < hi) extents.push_back({lo, hi, k, i});
    }
  }
  std::sort(extents.begin(), extents.end(),
            [](const Extent& a, const Extent& b) { return a.lo < b.lo; });
  const Extent* reach_any = nullptr;      // earlier extent reaching furthest
  const Extent* reach_written = nullptr;  // the same among written arrays
  for (const Extent& e : extents) {
    const bool written = lists[e.list].written;
    const Extent* other = written ? reach_any : reach_written;
    RB_CHECK(other == nullptr || other->hi <= e.lo, element_name(lists[e.list], e.index),
             " must not share memory with ", element_name(lists[other->list], other->index));
    if (reach_any == nullptr || e.hi > reach_any->hi) reach_any = &e;
    if (written && (reach_written == nullptr || e.hi > reach_written->hi)) reach_written = &e;
  }
}

// Validates every list (lists[0] is params) before anything is touched.
ArrayLists collect(const std::vector<ListArg>& lists) {
  ArrayLists out;
  std::vector<py::sequence> seqs;
  for (const ListArg& list : lists) {
    RB_CHECK_TYPE(py::isinstance<py::list>(list.obj) || py::isinstance<py::tuple>(list.obj),
                  list.name, " must be a list of numpy arrays, got ", type_name(list.obj));
    seqs.push_back(py::reinterpret_borrow<py::sequence>(list.obj));
  }
  const size_t count = seqs[0].size();
  for (size_t k = 1; k < lists.size(); ++k) {
    RB_CHECK(seqs[k].size() == count, lists[k].name, " must have one array per parameter (",
             count, "), got ", seqs[k].size());
  }
  out.arrays.resize(lists.size());
  for (size_t i = 0; i < count; ++i) {
    for (size_t k = 0; k < lists.size(); ++k) {
      const std::string name = element_name(lists[k], i);
      py::array a = float_array(seqs[k][i], name.c_str());
      if (k == 0 && i == 0) {
        out.float32 = is_float32(a);
      } else {
        require_same_dtype(out.arrays[0][0], a, "params[0]", name.c_str());
      }
      if (k > 0) {
        const py::array& param = out.arrays[0][i];
        RB_CHECK(a.ndim() == param.ndim() &&
                     std::equal(a.shape(), a.shape() + a.ndim(), param.shape()),
                 name, " must have the shape of params[", i, "] ", shape_str(param), ", got ",
                 shape_str(a));
      }
      require_c_contiguous(a, name.c_str());
      RB_CHECK(reinterpret_cast<uintptr_t>(a.data()) % a.itemsize() == 0, name,
               " must be aligned to its element size");
      if (lists[k].written) require_writeable(a, name.c_str());
      out.arrays[k].push_back(std::move(a));
    }
    out.sizes.push_back(static_cast<int64_t>(out.arrays[0][i].size()));
  }
  require_disjoint(lists, out);
  return out;
}

// An optional list: required (and validated) only when the options use it.
void add_optional(std::vector<ListArg>& lists, const char* name, py::handle obj, bool used,
                  const char* used_when) {
  if (!used) return;
  RB_CHECK(!obj.is_none(), used_when, " requires ", name);
  lists.push_back({name, obj, true});
}

// Calls f(T{}) with T the element type of the lists (nothing for no arrays).
template <class F>
void with_dtype(const ArrayLists& lists, const F& f) {
  if (lists.count() == 0) return;
  if (lists.float32) {
    f(float{});
  } else {
    f(double{});
  }
}

// ---------------------------------------------------------------- optimizers

void sgd(py::object params, py::object grads, py::object momentum_buffer_list, py::object lr,
         py::object momentum, py::object dampening, py::object weight_decay, py::object nesterov,
         py::object maximize, py::object fresh_buffers) {
  rb::cpu::SgdOptions o{};
  o.lr = non_negative(lr, "lr");
  o.momentum = non_negative(momentum, "momentum");
  o.dampening = finite_number(dampening, "dampening");
  o.weight_decay = non_negative(weight_decay, "weight_decay");
  o.nesterov = flag(nesterov, "nesterov");
  o.maximize = flag(maximize, "maximize");
  o.fresh_buffers = flag(fresh_buffers, "fresh_buffers");
  RB_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
           "nesterov=True requires momentum > 0 and dampening == 0, got momentum=", o.momentum,
           ", dampening=", o.dampening);
  const bool uses_buffers = o.momentum != 0;
  std::vector<ListArg> spec{{"params", params, true}, {"grads", grads, false}};
  add_optional(spec, "momentum_buffer_list", momentum_buffer_list, uses_buffers, "momentum > 0");
  const ArrayLists lists = collect(spec);
  with_dtype(lists, [&](auto zero) {
    using T = decltype(zero);
    const auto p = lists.pointers<T>(0);
    const auto g = lists.pointers<T>(1);
    const auto buf = uses_buffers ? lists.pointers<T>(2) : std::vector<T*>{};
    py::gil_scoped_release release;
    [&] {
      RB_DISPATCH(sgd<T>(p.data(), g.data(), buf.data(), lists.sizes.data(), lists.count(), o));
    }();
  });
}

void adagrad(py::object params, py::object grads, py::object state_sums, py::object step,
             py::object lr, py::object lr_decay, py::object weight_decay, py::object eps,
             py::object maximize) {
  rb::cpu::AdagradOptions o{};
  o.step = step_count(step);
  o.lr = non_negative(lr, "lr");
  o.lr_decay = non_negative(lr_decay, "lr_decay");
  o.weight_decay = non_negative(weight_decay, "weight_decay");
  o.eps = non_negative(eps, "eps");
  o.maximize = flag(maximize, "maximize");
  const ArrayLists lists = collect(
      {{"params", params, true}, {"grads", grads, false}, {"state_sums", state_sums, true}});
  with_dtype(lists, [&](auto zero) {
    using T = decltype(zero);
    const auto p = lists.pointers<T>(0);
    const auto g = lists.pointers<T>(1);
    const auto sums = lists.pointers<T>(2);
    py::gil_scoped_release release;
    [&] {
      RB_DISPATCH(
          adagrad<T>(p.data(), g.data(), sums.data(), lists.sizes.data(), lists.count(), o));
    }();
  });
}

void adadelta(py::object params, py::object grads, py::object square_avgs, py::object acc_deltas,
              py::object lr, py::object rho, py::object eps, py::object weight_decay,
              py::object maximize) {
  rb::cpu::AdadeltaOptions o{};
  o.lr = non_negative(lr, "lr");
  o.rho = number_in(rho, "rho", 0, 1);
  o.eps = non_negative(eps, "eps");
  o.weight_decay = non_negative(weight_decay, "weight_decay");
  o.maximize = flag(maximize, "maximize");
  const ArrayLists lists = collect({{"params", params, true},
                                    {"grads", grads, false},
                                    {"square_avgs", square_avgs, true},
                                    {"acc_deltas", acc_deltas, true}});
  with_dtype(lists, [&](auto zero) {
    using T = decltype(zero);
    const auto p = lists.pointers<T>(0);
    const auto g = lists.pointers<T>(1);
    const auto sq = lists.pointers<T>(2);
    const auto acc = lists.pointers<T>(3);
    py::gil_scoped_release release;
    [&] {
      RB_DISPATCH(adadelta<T>(p.data(), g.data(), sq.data(), acc.data(), lists.sizes.data(),
                              lists.count(), o));
    }();
  });
}

void rmsprop(py::object params, py::object grads, py::object square_avgs, py::object grad_avgs,
             py::object momentum_buffer_list, py::object lr, py::object alpha, py::object eps,
             py::object weight_decay, py::object momentum, py::object centered,
             py::object maximize) {
  rb::cpu::RmspropOptions o{};
  o.lr = non_negative(lr, "lr");
  o.alpha = number_in(alpha, "alpha", 0, 1, /*hi_open=*/true);
  o.eps = non_negative(eps, "eps");
  o.weight_decay = non_negative(weight_decay, "weight_decay");
  o.momentum = non_negative(momentum, "momentum");
  o.centered = flag(centered, "centered");
  o.maximize = flag(maximize, "maximize");
  std::vector<ListArg> spec{
      {"params", params, true}, {"grads", grads, false}, {"square_avgs", square_avgs, true}};
  add_optional(spec, "grad_avgs", grad_avgs, o.centered, "centered=True");
  add_optional(spec, "momentum_buffer_list", momentum_buffer_list, o.momentum > 0,
               "momentum > 0");
  const ArrayLists lists = collect(spec);
  with_dtype(lists, [&](auto zero) {
    using T = decltype(zero);
    const auto p = lists.pointers<T>(0);
    const auto g = lists.pointers<T>(1);
    const auto sq = lists.pointers<T>(2);
    size_t next = 3;  // the optional lists follow, in the order added
    const auto avg = o.centered ? lists.pointers<T>(next++) : std::vector<T*>{};
    const auto buf = o.momentum > 0 ? lists.pointers<T>(next++) : std::vector<T*>{};
    py::gil_scoped_release release;
    [&] {
      RB_DISPATCH(rmsprop<T>(p.data(), g.data(), sq.data(), avg.data(), buf.data(),
                             lists.sizes.data(), lists.count(), o));
    }();
  });
}

// adam_ and adamw_ (decoupled = true) share everything but the weight decay.
void adam_family(bool decoupled, py::object params, py::object grads, py::object exp_avgs,
                 py::object exp_avg_sqs, py::object max_exp_avg_sqs, py::object step,
                 py::object lr, py::object beta1, py::object beta2, py::object eps,
                 py::object weight_decay, py::object amsgrad, py::object maximize) {
  rb::cpu::AdamOptions o{};
  o.step = step_count(step);
  o.lr = non_negative(lr, "lr");
  o.beta1 = number_in(beta1, "beta1", 0, 1, /*hi_open=*/true);
  o.beta2 = number_in(beta2, "beta2", 0, 1, /*hi_open=*/true);
  o.eps = non_negative(eps, "eps");
  o.weight_decay = non_negative(weight_decay, "weight_decay");
  o.amsgrad = flag(amsgrad, "amsgrad");
  o.maximize = flag(maximize, "maximize");
  o.decoupled_weight_decay = decoupled;
  std::vector<ListArg> spec{{"params", params, true},
                            {"grads", grads, false},
                            {"exp_avgs", exp_avgs, true},
                            {"exp_avg_sqs", exp_avg_sqs, true}};
  add_optional(spec, "max_exp_avg_sqs", max_exp_avg_sqs, o.amsgrad, "amsgrad=True");
  const ArrayLists lists = collect(spec);
  with_dtype(lists, [&](auto zero) {
    using T = decltype(zero);
    const auto p = lists.pointers<T>(0);
    const auto g = lists.pointers<T>(1);
    const auto m = lists.pointers<T>(2);
    const auto v = lists.pointers<T>(3);
    const auto vmax = o.amsgrad ? lists.pointers<T>(4) : std::vector<T*>{};
    py::gil_scoped_release release;
    [&] {
      RB_DISPATCH(adam<T>(p.data(), g.data(), m.data(), v.data(), vmax.data(),
                          lists.sizes.data(), lists.count(), o));
    }();
  });
}

}  // namespace
}  // namespace rb::bind

void init_optim(py::module_& m) {
  using namespace rb::bind;
  m.def("sgd_", &sgd, py::arg("params"), py::arg("grads"), py::arg("momentum_buffer_list"),
        py::kw_only(), py::arg("lr"), py::arg("momentum"), py::arg("dampening"),
        py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"),
        py::arg("fresh_buffers"), "One SGD step, in place (see rosenblatt.kernels.optim).");
  m.def("adagrad_", &adagrad, py::arg("params"), py::arg("grads"), py::arg("state_sums"),
        py::kw_only(), py::arg("step"), py::arg("lr"), py::arg("lr_decay"),
        py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"),
        "One Adagrad step, in place (see rosenblatt.kernels.optim).");
  m.def("adadelta_", &adadelta, py::arg("params"), py::arg("grads"), py::arg("square_avgs"),
        py::arg("acc_deltas"), py::kw_only(), py::arg("lr"), py::arg("rho"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("maximize"),
        "One Adadelta step, in place (see rosenblatt.kernels.optim).");
  m.def("rmsprop_", &rmsprop, py::arg("params"), py::arg("grads"), py::arg("square_avgs"),
        py::arg("grad_avgs"), py::arg("momentum_buffer_list"), py::kw_only(), py::arg("lr"),
        py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"),
        py::arg("centered"), py::arg("maximize"),
        "One RMSprop step, in place (see rosenblatt.kernels.optim).");
  for (const bool decoupled : {false, true}) {
    m.def(decoupled ? "adamw_" : "adam_",
          [decoupled](py::object params, py::object grads, py::object exp_avgs,
                      py::object exp_avg_sqs, py::object max_exp_avg_sqs, py::object step,
                      py::object lr, py::object beta1, py::object beta2, py::object eps,
                      py::object weight_decay, py::object amsgrad, py::object maximize) {
            adam_family(decoupled, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, step,
                        lr, beta1, beta2, eps, weight_decay, amsgrad, maximize);
          },
          py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
          py::arg("max_exp_avg_sqs"), py::kw_only(), py::arg("step"), py::arg("lr"),
          py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"),
          py::arg("amsgrad"), py::arg("maximize"),
          decoupled ? "One AdamW step, in place (see rosenblatt.kernels.optim)."
                    : "One Adam step, in place (see rosenblatt.kernels.optim).");
  }
}
