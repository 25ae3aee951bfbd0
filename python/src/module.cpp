// The compiled part of the `lowvolt` Python package (lowvolt._core): errors, shared helpers,
// threads, data sets and seeds; the sections live in profiles.cpp, memory.cpp, quantize.cpp and
// models.cpp. python/lowvolt/__init__.py re-exports everything under `lowvolt`.
#include <torch/torch.h>

#include "common.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/seed.h"
#include "lowvolt/common/tuning.h"
#include "lowvolt/io/data.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"

namespace lowvolt::python {

std::string type_name(const py::handle& obj) {
  const py::handle type = py::type::handle_of(obj);
  const std::string module = py::str(type.attr("__module__"));
  const std::string name = py::str(type.attr("__qualname__"));
  return module == "builtins" ? name : module + "." + name;
}

std::string dtype_name(const py::array& array) { return py::str(array.dtype()); }

void wrong_array(const py::handle& obj, const std::string& what, const char* dtype) {
  if (py::isinstance<py::array>(obj)) {
    fail(what, ": dtype ", dtype_name(py::reinterpret_borrow<py::array>(obj)), ", expected ",
         dtype);
  }
  fail(what, ": expected a NumPy array of ", dtype, ", got ", type_name(obj));
}

void check_writable(const py::array& array, const std::string& what) {
  if (!array.writeable()) fail(what, ": the array is read-only");
  if (!(array.flags() & py::array::c_style)) {
    fail(what, ": the array is not C-contiguous (in-place calls need contiguous memory)");
  }
}

torch::ScalarType code_dtype_of(const py::handle& obj, const std::string& what) {
  if (py::array_t<std::uint8_t>::check_(obj)) return torch::kUInt8;
  if (py::array_t<std::int8_t>::check_(obj)) return torch::kInt8;
  if (py::array_t<std::int16_t>::check_(obj)) return torch::kInt16;
  if (py::array_t<std::int32_t>::check_(obj)) return torch::kInt32;
  wrong_array(obj, what, "uint8, int8, int16 or int32");
}

torch::Tensor view_tensor(const py::array& array, torch::ScalarType dtype) {
  std::vector<std::int64_t> sizes(array.shape(), array.shape() + array.ndim());
  return torch::from_blob(const_cast<void*>(array.data()), sizes, torch::TensorOptions(dtype));
}

py::array to_numpy(torch::Tensor tensor) {
  tensor = tensor.contiguous();
  py::dtype dtype;
  switch (tensor.scalar_type()) {
    case torch::kUInt8:
      dtype = py::dtype::of<std::uint8_t>();
      break;
    case torch::kInt8:
      dtype = py::dtype::of<std::int8_t>();
      break;
    case torch::kInt16:
      dtype = py::dtype::of<std::int16_t>();
      break;
    case torch::kInt32:
      dtype = py::dtype::of<std::int32_t>();
      break;
    case torch::kInt64:
      dtype = py::dtype::of<std::int64_t>();
      break;
    case torch::kFloat32:
      dtype = py::dtype::of<float>();
      break;
    case torch::kFloat64:
      dtype = py::dtype::of<double>();
      break;
    default:
      LV_CHECK(false, "tensor of dtype " << tensor.scalar_type() << " for NumPy");
  }
  std::vector<py::ssize_t> shape(tensor.sizes().begin(), tensor.sizes().end());
  std::vector<py::ssize_t> strides;
  for (const auto s : tensor.strides()) strides.push_back(s * tensor.element_size());
  auto* owner = new torch::Tensor(tensor);
  py::capsule capsule(owner, [](void* p) { delete static_cast<torch::Tensor*>(p); });
  return py::array(dtype, shape, strides, tensor.data_ptr(), capsule);
}

std::string path_of(const py::handle& obj, const std::string& what) {
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  if (py::hasattr(obj, "__fspath__")) {
    const py::object p = obj.attr("__fspath__")();
    if (py::isinstance<py::str>(p)) return p.cast<std::string>();
    fail(what, ": byte-string paths are not supported, got ", type_name(p));
  }
  fail(what, ": expected a path (str or os.PathLike), got ", type_name(obj));
}

}  // namespace lowvolt::python

namespace py = pybind11;
namespace lh = lowvolt::host;
using namespace lowvolt::python;

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "LowVolt's C++ libraries for Python: chip profiles, the faulty-SRAM memory model, "
      "random bit errors, quantization and model files (see docs/python.md).";
  // lowvolt::Error is the user's mistake (bad input, bad file): ValueError. InternalError is a
  // bug in LowVolt: RuntimeError. Messages are LowVolt's, unchanged.
  py::register_exception<lowvolt::Error>(m, "Error", PyExc_ValueError);
  py::register_exception<lowvolt::InternalError>(m, "InternalError", PyExc_RuntimeError);

  m.def("configure_threads", &lh::configure_threads, py::arg("threads") = 2,
        "Sets LibTorch's intra-op thread count (the process's, shared with PyTorch) and pins "
        "OpenBLAS to one thread, as every `lowvolt` command does; threads <= 0 means all "
        "hardware threads. Returns the count in force.");
  m.def("tune_allocator", &lowvolt::tune_allocator,
        "Applies the allocator settings every `lowvolt` program applies (common/tuning.h: glibc's "
        "mmap threshold 32 MiB, trim threshold 2 GiB) to this process, so that large buffers "
        "allocated per batch or per call are reused instead of faulted in again. Not done on "
        "import (it is process-wide). Returns whether it was applied (False: LOWVOLT_TUNING=off, "
        "not glibc, or refused).");
  m.def("runtime_info", &lh::runtime_info,
        "One line per fact: LibTorch version, threads, BLAS library and its threads.");
  m.def("dataset_names", &lh::dataset_names, "Data set names load_dataset() knows.");
  m.def(
      "load_dataset",
      [](const std::string& name, const py::object& dir, bool train, std::int64_t subset) {
        const std::string folder = dir.is_none() ? std::string() : path_of(dir, "dir");
        if (subset < 0) lowvolt::fail("load_dataset: subset ", subset, " is negative (0 = all)");
        lh::Dataset data;
        {
          py::gil_scoped_release release;
          data = lh::load_dataset(name, folder, train).head(subset);
          data.images = data.images.contiguous();
          data.labels = data.labels.contiguous();
        }
        return py::make_tuple(to_numpy(data.images), to_numpy(data.labels));
      },
      py::arg("name") = "fashion-mnist", py::arg("dir") = py::none(), py::arg("train") = false,
      py::arg("subset") = 0,
      "Loads a data set split as LowVolt does: (images float32 N×C×H×W in [0, 1], labels int64 "
      "N). dir=None: the default folder (/usr/share/datasets/<name>); subset > 0: the first "
      "`subset` examples (`lowvolt eval --test-subset`).");
  m.def("rte_sample_seed", &lh::rte_sample_seed, py::arg("seed"), py::arg("sample"),
        "Seed of random bit error sample `sample` of `lowvolt eval --seed seed` (drawn at the "
        "largest rate of the run with RandomBitErrors).");
  m.def("derive_seed", &lowvolt::derive_seed, py::arg("seed"), py::arg("a"), py::arg("b") = 0,
        "LowVolt's seed derivation (splitmix64 over the parts), as training and evaluation use "
        "it: RandBET's errors of step b of epoch e come from derive_seed(seed, 2 + e, b).");

  bind_profiles(m);
  bind_memory(m);
  bind_quantize(m);
  bind_models(m);
}
