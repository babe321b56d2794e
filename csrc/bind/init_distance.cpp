// Bindings of pairwise distances, k-nearest selection and kernel matrices (being written).
#include <pybind11/pybind11.h>

namespace py = pybind11;

void init_distance(py::module_& m) { (void)m; }
