// rosenblatt._C: the CPU kernels. One init_<family> per kernel family.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common/check.h"
#include "common/parallel.h"
#include "common/simd.h"

namespace py = pybind11;

void init_gemm(py::module_& m);
void init_softmax(py::module_& m);
void init_optim(py::module_& m);
void init_distance(py::module_& m);
void init_svm(py::module_& m);
void init_kmeans(py::module_& m);
void init_norm(py::module_& m);
void init_rnn(py::module_& m);
void init_conv(py::module_& m);
void init_pool(py::module_& m);
void init_attention(py::module_& m);

PYBIND11_MODULE(_C, m) {
  m.doc() = "rosenblatt's compiled CPU kernels (use rosenblatt.kernels)";
  // rb::type_error is a plain TypeError in Python (std::invalid_argument is
  // already a ValueError).
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const rb::type_error& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    }
  });

  // Read RB_NUM_THREADS and RB_SIMD now, so a bad value fails the import
  // with its message instead of the first kernel call.
  rb::num_threads();
  rb::active_isa();

  m.attr("__version__") = RB_VERSION;
  m.attr("compiler") = RB_COMPILER;
#ifdef RB_HAVE_OPENMP
  m.attr("openmp") = true;
#else
  m.attr("openmp") = false;
#endif

  m.def("get_num_threads", &rb::num_threads, "Threads a kernel uses.");
  m.def("set_num_threads", &rb::set_num_threads, py::arg("n"),
        "Set the threads kernels use (n >= 1).");
  m.def("compiled_isas", [] {
    std::vector<std::string> names;
    for (rb::Isa isa : rb::compiled_isas()) names.emplace_back(rb::isa_name(isa));
    return names;
  }, "SIMD paths compiled into this module.");
  m.def("supported_isas", [] {
    std::vector<std::string> names;
    for (rb::Isa isa : rb::compiled_isas())
      if (rb::cpu_supports(isa)) names.emplace_back(rb::isa_name(isa));
    return names;
  }, "Compiled SIMD paths this CPU can run.");
  m.def("get_isa", [] { return std::string(rb::isa_name(rb::active_isa())); },
        "The SIMD path kernels run.");
  m.def("set_isa", [](const std::string& name) { rb::set_active_isa(rb::isa_from_name(name)); },
        py::arg("name"), "Force a SIMD path (for testing); it must be supported.");

  init_gemm(m);
  init_softmax(m);
  init_optim(m);
  init_distance(m);
  init_svm(m);
  init_kmeans(m);
  init_norm(m);
  init_rnn(m);
  init_conv(m);
  init_pool(m);
  init_attention(m);
}
