// Bindings of host/model_file.h and host/models.h's ModelConfig: the .lvm model file read and
// written from Python, tensors as float32 NumPy arrays.
#include <torch/torch.h>

#include "common.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/nn/models.h"

namespace lowvolt::python {
namespace {

namespace lh = lowvolt::host;

using Tensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// {name: float32 array} (insertion order) → owned float32 tensors.
Tensors tensors_of(const py::handle& obj) {
  if (!py::isinstance<py::dict>(obj))
    fail("tensors: expected a dict {name: float32 array}, got ", type_name(obj));
  Tensors out;
  for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
    if (!py::isinstance<py::str>(key)) fail("tensors: names must be str, got ", type_name(key));
    const std::string name = key.cast<std::string>();
    const auto a = contiguous<float>(value, "tensors['" + name + "']");
    out.emplace_back(name, view_tensor(a, torch::kFloat32).clone());
  }
  return out;
}

py::dict tensors_dict(const Tensors& tensors) {
  py::dict d;
  for (const auto& [name, t] : tensors) d[py::str(name)] = to_numpy(t);
  return d;
}

/// Names of the memory parameters of the network `file` describes (and a full check that its
/// tensors build that network: lowvolt.Error naming a missing or misshapen tensor).
std::vector<std::string> checked_memory(const lh::ModelFile& file) {
  file.model.validate();
  file.quant.validate();
  const lh::Net net = lh::instantiate(file);
  return net->memory_parameter_names();
}

}  // namespace

void bind_models(py::module_& m) {
  py::class_<lh::ModelConfig>(m, "ModelConfig",
                              "Architecture and input shape of a LowVolt network (host/models.h).")
      .def(py::init([](const std::string& arch, const std::string& norm, double width,
                       std::int64_t channels, std::int64_t height, std::int64_t width_px,
                       std::int64_t classes) {
             lh::ModelConfig c;
             c.arch = arch;
             c.norm = norm;
             c.width = width;
             c.channels = channels;
             c.height = height;
             c.width_px = width_px;
             c.classes = classes;
             c.validate();
             return c;
           }),
           py::arg("arch") = "cnn", py::arg("norm") = "gn", py::arg("width") = 1.0,
           py::arg("channels") = 1, py::arg("height") = 28, py::arg("width_px") = 28,
           py::arg("classes") = 10)
      .def_readwrite("arch", &lh::ModelConfig::arch, "mlp, cnn or simplenet.")
      .def_readwrite("norm", &lh::ModelConfig::norm, "gn, bn or none.")
      .def_readwrite("width", &lh::ModelConfig::width, "Channel multiplier (simplenet).")
      .def_readwrite("channels", &lh::ModelConfig::channels, "Input channels.")
      .def_readwrite("height", &lh::ModelConfig::height, "Input height, pixels.")
      .def_readwrite("width_px", &lh::ModelConfig::width_px, "Input width, pixels.")
      .def_readwrite("classes", &lh::ModelConfig::classes, "Output classes.")
      .def("validate", &lh::ModelConfig::validate, "lowvolt.Error naming a bad field.")
      .def("stored_floats", &lh::ModelConfig::stored_floats,
           "Floats such a network holds (parameters and buffers).")
      .def_static("arch_names", &lh::arch_names, "Known architectures.")
      .def("__repr__", [](const lh::ModelConfig& c) {
        return "ModelConfig(arch='" + c.arch + "', norm='" + c.norm +
               "', channels=" + std::to_string(c.channels) +
               ", height=" + std::to_string(c.height) + ", width_px=" + std::to_string(c.width_px) +
               ", classes=" + std::to_string(c.classes) + ")";
      });

  py::class_<lh::ModelFile>(
      m, "ModelFile",
      "A LowVolt model file (.lvm, docs/model-format.md) in memory: architecture, quantization "
      "scheme, training options, metrics, the float32 tensors by name and the names of the "
      "tensors held in weight memory, in memory order.")
      .def(py::init([](const lh::ModelConfig& model, const lh::QuantScheme& quant,
                       const py::object& tensors, const py::object& memory,
                       const std::map<std::string, std::string>& training,
                       const std::map<std::string, double>& metrics) {
             lh::ModelFile f;
             f.model = model;
             f.quant = quant;
             f.tensors = tensors_of(tensors);
             f.training = training;
             f.metrics = metrics;
             const auto names = checked_memory(f);
             f.memory = memory.is_none() ? names : memory.cast<std::vector<std::string>>();
             if (f.memory != names)
               fail("memory: the names differ from the network's memory parameters");
             return f;
           }),
           py::arg("model"), py::arg("quant"), py::arg("tensors"), py::arg("memory") = py::none(),
           py::arg("training") = std::map<std::string, std::string>{},
           py::arg("metrics") = std::map<std::string, double>{},
           "tensors: {name: float32 array} with LowVolt's names ('body.0.weight', "
           "'body.1.alpha', ...); memory=None: the network's memory parameter names. "
           "lowvolt.Error when the tensors do not build the network.")
      .def_readwrite("model", &lh::ModelFile::model, "ModelConfig.")
      .def_readwrite("quant", &lh::ModelFile::quant, "QuantScheme the model was trained for.")
      .def_readwrite("training", &lh::ModelFile::training, "Training options as strings (dict).")
      .def_readwrite("metrics", &lh::ModelFile::metrics, "Final metrics, fractions (dict).")
      .def_readonly("memory", &lh::ModelFile::memory,
                    "Names of the tensors in weight memory, in memory order.")
      .def_property(
          "tensors", [](const lh::ModelFile& f) { return tensors_dict(f.tensors); },
          [](lh::ModelFile& f, const py::object& t) { f.tensors = tensors_of(t); },
          "{name: float32 array} in file order (the arrays share the file object's memory).")
      .def(
          "memory_parameters",
          [](const lh::ModelFile& f) {
            py::list out;
            for (const auto& name : f.memory) {
              bool found = false;
              for (const auto& [n, t] : f.tensors) {
                if (n == name) {
                  out.append(to_numpy(t));
                  found = true;
                  break;
                }
              }
              if (!found) fail("model file: memory tensor \"", name, "\" is missing");
            }
            return out;
          },
          "The memory tensors (float32 arrays), in memory order.")
      .def("__repr__", [](const lh::ModelFile& f) {
        return "ModelFile(" + f.model.arch + "/" + f.model.norm + ", " + f.quant.name() + "/" +
               std::to_string(f.quant.bits) + ", " + std::to_string(f.tensors.size()) + " tensors)";
      });

  m.def(
      "load_model",
      [](const py::object& path) {
        const std::string p = path_of(path, "path");
        py::gil_scoped_release release;
        return lh::load_model_file(p);
      },
      py::arg("path"),
      "Reads a .lvm file (str or os.PathLike); lowvolt.Error naming the path on a bad magic, "
      "truncated data, bad JSON, checksum mismatch or unknown version.");
  m.def(
      "save_model",
      [](const lh::ModelFile& file, const py::object& path) {
        const std::string p = path_of(path, "path");
        const auto names = checked_memory(file);
        if (file.memory != names)
          fail(p, ": memory names differ from the network's memory parameters");
        py::gil_scoped_release release;
        lh::save_model_file(file, p);
      },
      py::arg("file"), py::arg("path"),
      "Writes a ModelFile atomically as .lvm version 2, after checking that its tensors build the "
      "network it describes.");
}

}  // namespace lowvolt::python
