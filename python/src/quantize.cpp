// Bindings of host/quantize.h: QuantScheme (every preset and bit width), QuantParams, and
// quantize / quantize_all / dequantize on NumPy arrays (float32 or float64 weights; uint8 codes
// for m <= 8, int16 for m = 16).
#include <torch/torch.h>

#include "common.h"
#include "lowvolt/common/error.h"
#include "lowvolt/nn/quantize.h"

namespace lowvolt::python {
namespace {

namespace lh = lowvolt::host;

/// A float32 or float64 weight array (contiguous) and its torch view.
struct Weights {
  py::array array;
  torch::Tensor tensor;
};

Weights weights_of(const py::handle& obj, const std::string& what) {
  Weights w;
  if (py::array_t<float>::check_(obj)) {
    w.array = py::array_t<float, py::array::c_style>::ensure(obj);
    w.tensor = view_tensor(w.array, torch::kFloat32);
  } else if (py::array_t<double>::check_(obj)) {
    w.array = py::array_t<double, py::array::c_style>::ensure(obj);
    w.tensor = view_tensor(w.array, torch::kFloat64);
  } else {
    wrong_array(obj, what, "float32 or float64");
  }
  return w;
}

/// The codes of `params` as a tensor view: uint8 for m <= 8, int16 for m = 16.
std::pair<py::array, torch::Tensor> codes_of(const py::handle& obj, const lh::QuantParams& params) {
  if (params.bits == 16) {
    auto a = contiguous<std::int16_t>(obj, "codes");
    return {a, view_tensor(a, torch::kInt16)};
  }
  auto a = contiguous<std::uint8_t>(obj, "codes");
  return {a, view_tensor(a, torch::kUInt8)};
}

/// A quantizer that dequantizes with `params` (the scheme's range options do not matter there).
lh::Quantizer quantizer_for(const lh::QuantParams& params) {
  lh::QuantScheme s;
  s.bits = params.bits;
  s.asymmetric = params.asymmetric;
  s.unsigned_codes = params.unsigned_codes;
  s.rounding = params.rounding;
  return lh::Quantizer(s);
}

std::string params_repr(const lh::QuantParams& p) {
  const auto f = [](double v) { return std::string(py::str(py::float_(v))); };
  return "QuantParams(bits=" + std::to_string(p.bits) +
         ", asymmetric=" + (p.asymmetric ? "True" : "False") +
         ", unsigned_codes=" + (p.unsigned_codes ? "True" : "False") +
         ", rounding=" + (p.rounding ? "True" : "False") + ", qmin=" + f(p.qmin) +
         ", qmax=" + f(p.qmax) + ", delta=" + f(p.delta) + ")";
}

}  // namespace

void bind_quantize(py::module_& m) {
  py::class_<lh::QuantScheme>(
      m, "QuantScheme",
      "One row of the paper's quantization table plus optional weight clipping "
      "(host/quantize.h): m = 2..8 bits (uint8 codes in the low m bits) or 16 (int16, signed "
      "symmetric).")
      .def(py::init([](int bits, bool per_layer, bool asymmetric, bool unsigned_codes,
                       bool rounding, double wmax) {
             lh::QuantScheme s;
             s.bits = bits;
             s.per_layer = per_layer;
             s.asymmetric = asymmetric;
             s.unsigned_codes = unsigned_codes;
             s.rounding = rounding;
             s.wmax = wmax;
             s.validate();
             return s;
           }),
           py::arg("bits") = 8, py::arg("per_layer") = true, py::arg("asymmetric") = false,
           py::arg("unsigned_codes") = false, py::arg("rounding") = false, py::arg("wmax") = 0.0,
           "lowvolt.Error for an unsupported combination.")
      .def_static("preset", &lh::QuantScheme::preset, py::arg("name"), py::arg("bits") = 8,
                  "Named preset: global, normal, asymmetric, unsigned, rquant, fixed (see preset_names).")
      .def_static("preset_names", &lh::QuantScheme::preset_names, "Preset names, in table order.")
      .def_readwrite("bits", &lh::QuantScheme::bits, "Code width m: 2..8 or 16.")
      .def_readwrite("per_layer", &lh::QuantScheme::per_layer,
                     "Range per tensor (True) or one global range over quantize_all's tensors.")
      .def_readwrite("asymmetric", &lh::QuantScheme::asymmetric,
                     "Map [qmin, qmax] onto [-1, 1] (True) or use [-qmax, qmax].")
      .def_readwrite("unsigned_codes", &lh::QuantScheme::unsigned_codes,
                     "Store v + 2^(m-1) - 1 (True) or v in two's complement.")
      .def_readwrite("rounding", &lh::QuantScheme::rounding,
                     "Round half to even (True) or truncate.")
      .def_readwrite("wmax", &lh::QuantScheme::wmax,
                     "Clamp weights to [-wmax, wmax] first; 0 = off.")
      .def_property_readonly("name", &lh::QuantScheme::name, "Preset name or a description.")
      .def("validate", &lh::QuantScheme::validate, "lowvolt.Error naming a bad field.")
      .def("__eq__",
           [](const lh::QuantScheme& a, const lh::QuantScheme& b) {
             return a.bits == b.bits && a.per_layer == b.per_layer &&
                    a.asymmetric == b.asymmetric && a.unsigned_codes == b.unsigned_codes &&
                    a.rounding == b.rounding && a.wmax == b.wmax;
           })
      .def("__repr__", [](const lh::QuantScheme& s) {
        return "QuantScheme('" + s.name() + "', bits=" + std::to_string(s.bits) + ")";
      });

  py::class_<lh::QuantParams>(m, "QuantParams",
                              "Everything needed to dequantize one tensor's codes: w = S·v + C.")
      .def(py::init([](int bits, bool asymmetric, bool unsigned_codes, bool rounding, double qmin,
                       double qmax, double delta) {
             lh::QuantParams p;
             p.bits = bits;
             p.asymmetric = asymmetric;
             p.unsigned_codes = unsigned_codes;
             p.rounding = rounding;
             p.qmin = qmin;
             p.qmax = qmax;
             p.delta = delta;
             return p;
           }),
           py::arg("bits"), py::arg("asymmetric"), py::arg("unsigned_codes"), py::arg("rounding"),
           py::arg("qmin"), py::arg("qmax"), py::arg("delta"))
      .def_readonly("bits", &lh::QuantParams::bits, "Code width m.")
      .def_readonly("asymmetric", &lh::QuantParams::asymmetric, "Asymmetric mapping used.")
      .def_readonly("unsigned_codes", &lh::QuantParams::unsigned_codes, "Codes stored unsigned.")
      .def_readonly("rounding", &lh::QuantParams::rounding, "Rounded (True) or truncated.")
      .def_readonly("qmin", &lh::QuantParams::qmin, "Lower end of the range (weight units).")
      .def_readonly("qmax", &lh::QuantParams::qmax, "Upper end of the range (weight units).")
      .def_readonly("delta", &lh::QuantParams::delta, "Δ, the code step (see quantize.h).")
      .def_property_readonly("scale", &lh::QuantParams::scale, "S: code step in weight units.")
      .def_property_readonly("center", &lh::QuantParams::center, "C: weight of v = 0.")
      .def_property_readonly("zero_point", &lh::QuantParams::zero_point, "z: unsigned offset.")
      .def_property_readonly("bit_mask", &lh::QuantParams::bit_mask, "2^m - 1.")
      .def_property_readonly(
          "code_dtype",
          [](const lh::QuantParams& p) {
            return p.bits == 16 ? py::dtype::of<std::int16_t>() : py::dtype::of<std::uint8_t>();
          },
          "NumPy dtype of the codes: uint8 (m <= 8) or int16 (m = 16).")
      .def("__eq__",
           [](const lh::QuantParams& a, const lh::QuantParams& b) {
             return a.bits == b.bits && a.asymmetric == b.asymmetric &&
                    a.unsigned_codes == b.unsigned_codes && a.rounding == b.rounding &&
                    a.qmin == b.qmin && a.qmax == b.qmax && a.delta == b.delta;
           })
      .def("__repr__", &params_repr);

  m.def(
      "quantize",
      [](const py::object& weights, const lh::QuantScheme& scheme, const py::object& params) {
        const Weights w = weights_of(weights, "weights");
        const lh::Quantizer q(scheme);
        if (!params.is_none()) {
          const auto p = params.cast<lh::QuantParams>();
          torch::Tensor codes;
          {
            py::gil_scoped_release release;
            codes = q.quantize(w.tensor, p);
          }
          return py::object(to_numpy(codes));
        }
        lh::QuantizedTensor t;
        {
          py::gil_scoped_release release;
          t = q.quantize(w.tensor);
        }
        return py::object(py::make_tuple(to_numpy(t.codes), t.params));
      },
      py::arg("weights"), py::arg("scheme"), py::arg("params") = py::none(),
      "Quantizes a float32/float64 array with its own range: (codes, QuantParams); codes have the "
      "weights' shape (uint8, or int16 at 16 bits). With params: codes only, in that range "
      "(values outside saturate). NaN or Inf weights are a lowvolt.Error.");
  m.def(
      "quantize_all",
      [](const py::sequence& tensors, const lh::QuantScheme& scheme) {
        std::vector<Weights> ws;
        std::vector<torch::Tensor> views;
        for (std::size_t i = 0; i < tensors.size(); ++i) {
          ws.push_back(weights_of(tensors[i], "tensors[" + std::to_string(i) + "]"));
          views.push_back(ws.back().tensor);
        }
        const lh::Quantizer q(scheme);
        std::vector<lh::QuantizedTensor> out;
        {
          py::gil_scoped_release release;
          out = q.quantize_all(views);
        }
        py::list result;
        for (auto& t : out) result.append(py::make_tuple(to_numpy(t.codes), t.params));
        return result;
      },
      py::arg("tensors"), py::arg("scheme"),
      "Quantizes a list of arrays under one scheme: each with its own range (per_layer) or one "
      "global range over all; list of (codes, QuantParams) — what LowVolt's WeightMemory stores.");
  m.def(
      "dequantize",
      [](const py::object& codes, const lh::QuantParams& params) {
        const lh::Quantizer q = quantizer_for(params);
        const auto [array, tensor] = codes_of(codes, params);
        torch::Tensor out;
        {
          py::gil_scoped_release release;
          out = q.dequantize(tensor, params);
        }
        return to_numpy(out);
      },
      py::arg("codes"), py::arg("params"),
      "Dequantizes codes (uint8, or int16 at 16 bits; only the low m bits are read) to float32 "
      "of the same shape: w = S·v + C, exactly LowVolt's values.");
}

}  // namespace lowvolt::python
