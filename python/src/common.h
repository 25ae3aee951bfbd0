#pragma once
// Shared helpers of the pybind11 bindings (python/src/*.cpp). Contract:
//  - Arrays in: NumPy arrays of an exact dtype, checked here so that a wrong dtype, a wrong length
//    or a non-array is a lowvolt::Error (Python: lowvolt.Error) naming the argument; C-contiguous
//    views are used in place, other layouts are copied once into a contiguous array.
//  - Arrays out: LibTorch results are handed to NumPy without a copy (the array owns a reference
//    to the tensor through a capsule); fresh outputs are allocated as NumPy arrays and filled.
//  - Paths: str or os.PathLike (os.fspath).
//  - Long calls release the GIL (py::gil_scoped_release) after every Python object was read.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lowvolt::python {

namespace py = pybind11;

/// Python type name of `obj` ("float", "numpy.ndarray", ...), for messages.
std::string type_name(const py::handle& obj);

/// NumPy dtype name of `array` ("float32").
std::string dtype_name(const py::array& array);

/// Throws lowvolt::Error "`what`: expected a NumPy array of `dtype`, got ...".
[[noreturn]] void wrong_array(const py::handle& obj, const std::string& what, const char* dtype);

/// `obj` as a C-contiguous array of T; lowvolt::Error naming `what` when it is not a NumPy array
/// or its dtype is not T's.
template <typename T>
py::array_t<T, py::array::c_style> contiguous(const py::handle& obj, const std::string& what) {
  if (!py::array_t<T>::check_(obj))
    wrong_array(obj, what, py::str(py::dtype::of<T>()).cast<std::string>().c_str());
  return py::array_t<T, py::array::c_style>::ensure(obj);
}

/// Throws lowvolt::Error naming `what` unless `array` is writeable and C-contiguous.
void check_writable(const py::array& array, const std::string& what);

/// Like contiguous<T>() but also writeable and already C-contiguous (for in-place calls).
template <typename T>
py::array_t<T, py::array::c_style> writable(const py::handle& obj, const std::string& what) {
  if (!py::array_t<T>::check_(obj))
    wrong_array(obj, what, py::str(py::dtype::of<T>()).cast<std::string>().c_str());
  check_writable(py::reinterpret_borrow<py::array>(obj), what);
  return py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(obj);
}

/// The torch dtype of a NumPy code array (uint8, int8, int16, int32); lowvolt::Error otherwise.
torch::ScalarType code_dtype_of(const py::handle& obj, const std::string& what);

/// A CPU tensor viewing `array`'s memory (C-contiguous; no copy). Keep `array` alive.
torch::Tensor view_tensor(const py::array& array, torch::ScalarType dtype);

/// A NumPy array sharing `tensor`'s memory (made contiguous first; no copy otherwise).
py::array to_numpy(torch::Tensor tensor);

/// os.fspath(obj) as a std::string; lowvolt::Error naming `what` for other objects.
std::string path_of(const py::handle& obj, const std::string& what);

// Sections of the module, one per source file.
void bind_profiles(py::module_& m);
void bind_memory(py::module_& m);
void bind_quantize(py::module_& m);
void bind_models(py::module_& m);

}  // namespace lowvolt::python
