// Bindings of host/bit_errors.h: BitErrorRates, RandomBitErrors (nested random bit errors drawn
// once per seed) and inject_random, on NumPy code arrays (uint8, int8, int16, int32).
#include <torch/torch.h>

#include "common.h"
#include "lowvolt/common/error.h"
#include "lowvolt/nn/bit_errors.h"

namespace lowvolt::python {
namespace {

namespace lh = lowvolt::host;

/// A float p (uniform flip model, or the stuck-at flag of `like`) or a BitErrorRates object.
lh::BitErrorRates rates_of(const py::handle& obj, bool stuck_at, const char* what) {
  if (py::isinstance<lh::BitErrorRates>(obj)) return obj.cast<lh::BitErrorRates>();
  if (py::isinstance<py::float_>(obj) || py::isinstance<py::int_>(obj) ||
      (py::hasattr(obj, "__float__") && !py::isinstance<py::str>(obj) &&
       !py::isinstance<py::bytes>(obj))) {
    lh::BitErrorRates r = lh::BitErrorRates::uniform(obj.cast<double>());
    r.stuck_at = stuck_at;
    return r;
  }
  fail(what, ": expected a rate (float) or lowvolt.BitErrorRates, got ", type_name(obj));
}

int bits_of(int bits) {
  if (bits < 1 || bits > 32) fail("bits: ", bits, " is outside 1..32");
  return bits;
}

}  // namespace

void bind_memory(py::module_& m) {
  py::class_<lh::BitErrorRates>(
      m, "BitErrorRates",
      "Bit error rates of the random model, probabilities per memory cell (host/bit_errors.h). "
      "Flip model: a stored 0 reads 1 with p01, a stored 1 reads 0 with p10 (both p when not "
      "given). Stuck-at model: a cell is stuck at 1 with p01, at 0 with p10 (p/2 each when not "
      "given).")
      .def(py::init([](double p, double p01, double p10, bool stuck_at) {
             lh::BitErrorRates r;
             r.p = p;
             r.p01 = p01;
             r.p10 = p10;
             r.stuck_at = stuck_at;
             r.validate();
             return r;
           }),
           py::arg("p") = 0.0, py::arg("p01") = -1.0, py::arg("p10") = -1.0,
           py::arg("stuck_at") = false,
           "p01/p10 < 0 mean 'derived from p'. lowvolt.Error for a rate outside [0, 1].")
      .def_readonly("p", &lh::BitErrorRates::p,
                    "Flip: probability a bit flips; stuck-at: stuck share.")
      .def_readonly("p01", &lh::BitErrorRates::p01, "0→1 rate when >= 0.")
      .def_readonly("p10", &lh::BitErrorRates::p10, "1→0 rate when >= 0.")
      .def_readonly("stuck_at", &lh::BitErrorRates::stuck_at,
                    "Stuck-at (True) or flip (False) model.")
      .def_property_readonly("rate01", &lh::BitErrorRates::rate01, "Effective 0→1 rate.")
      .def_property_readonly("rate10", &lh::BitErrorRates::rate10, "Effective 1→0 rate.")
      .def("describe", &lh::BitErrorRates::describe, "Short description, e.g. 'p=0.01'.")
      .def("__repr__",
           [](const lh::BitErrorRates& r) { return "BitErrorRates(" + r.describe() + ")"; });

  py::class_<lh::RandomBitErrors>(
      m, "RandomBitErrors",
      "One memory's random bit errors (numel codes of `bits` bits, cell = element·bits + bit), "
      "drawn once from `seed` for the largest rates and applied at any rates below them: the "
      "errors at lower rates are a subset (nested, as in a memory whose voltage is lowered). "
      "Sample s of `lowvolt eval --seed S` is RandomBitErrors(numel, bits, max(p), "
      "rte_sample_seed(S, s)).apply(codes, p).")
      .def(py::init(
               [](std::int64_t numel, int bits, const py::object& max_rates, std::uint64_t seed) {
                 const lh::BitErrorRates rates = rates_of(max_rates, false, "max_rates");
                 py::gil_scoped_release release;
                 return std::make_unique<lh::RandomBitErrors>(numel, bits, rates, seed);
               }),
           py::arg("numel"), py::arg("bits"), py::arg("max_rates"), py::arg("seed"),
           "max_rates: a float p (uniform flips) or BitErrorRates.")
      .def(
          "apply",
          [](const lh::RandomBitErrors& e, const py::object& codes, const py::object& rates) {
            const lh::BitErrorRates r = rates_of(rates, e.max_rates().stuck_at, "rates");
            const torch::ScalarType dtype = code_dtype_of(codes, "codes");
            const py::array in = py::array::ensure(codes, py::array::c_style);
            torch::Tensor out;
            {
              py::gil_scoped_release release;
              out = e.apply(view_tensor(in, dtype), r);
            }
            return to_numpy(out);
          },
          py::arg("codes"), py::arg("rates"),
          "A new array: codes (numel elements, uint8/int8/int16/int32) with the errors at `rates` "
          "(a float p or BitErrorRates, component-wise <= max_rates; the model's stuck_at).")
      .def(
          "apply_",
          [](const lh::RandomBitErrors& e, const py::object& codes, const py::object& rates) {
            const lh::BitErrorRates r = rates_of(rates, e.max_rates().stuck_at, "rates");
            const torch::ScalarType dtype = code_dtype_of(codes, "codes");
            const auto in = py::reinterpret_borrow<py::array>(codes);
            check_writable(in, "codes");
            py::gil_scoped_release release;
            torch::Tensor view = view_tensor(in, dtype);
            e.apply_(view, r);
          },
          py::arg("codes"), py::arg("rates"), "The same, in place (contiguous, writeable codes).")
      .def(
          "faulty_cells",
          [](const lh::RandomBitErrors& e, const py::object& rates) {
            return e.faulty_cells(rates_of(rates, e.max_rates().stuck_at, "rates"));
          },
          py::arg("rates"), "Number of faulty cells at `rates`.")
      .def_property_readonly("numel", &lh::RandomBitErrors::numel, "Code elements covered.")
      .def_property_readonly("bits", &lh::RandomBitErrors::bits, "Stored bits per element.")
      .def_property_readonly("max_rates", &lh::RandomBitErrors::max_rates, "The rates drawn for.")
      .def_property_readonly("seed", &lh::RandomBitErrors::seed, "The seed drawn from.");

  m.def(
      "inject_random",
      [](const py::object& codes, int bits, const py::object& rates, std::uint64_t seed) {
        const lh::BitErrorRates r = rates_of(rates, false, "rates");
        const torch::ScalarType dtype = code_dtype_of(codes, "codes");
        bits_of(bits);
        const py::array in = py::array::ensure(codes, py::array::c_style);
        torch::Tensor out;
        {
          py::gil_scoped_release release;
          out = lh::inject_random(view_tensor(in, dtype), bits, r, seed);
        }
        return to_numpy(out);
      },
      py::arg("codes"), py::arg("bits"), py::arg("rates"), py::arg("seed"),
      "A new array: codes with random errors at `rates` (float p or BitErrorRates) in their low "
      "`bits` bits, drawn from `seed`; equals RandomBitErrors(codes.size, bits, rates, "
      "seed).apply(codes, rates). RandBET's step b of epoch e uses seed derive_seed(S, 2 + e, b).");
}

}  // namespace lowvolt::python
