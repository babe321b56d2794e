// Bindings of the SMO solver of the soft-margin SVM dual (being written).
#include <pybind11/pybind11.h>

namespace py = pybind11;

void init_svm(py::module_& m) { (void)m; }
