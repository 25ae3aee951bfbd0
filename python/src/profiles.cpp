// Bindings of lowvolt::profiles: Profile (load, save, generate, geometry, BER, failing cells,
// energy model, validation, fit) and ChipFaults (a profile's fault masks at one supply, and the
// read of code arrays through them, host/chip_read.h).
#include <cstdio>
#include <memory>

#include "common.h"
#include "lowvolt/chip/chip_read.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/profiles/fit.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"
#include "lowvolt/profiles/validate.h"

namespace lowvolt::python {
namespace {

namespace lp = lowvolt::profiles;
namespace lh = lowvolt::host;
using ProfilePtr = std::shared_ptr<lp::Profile>;

/// A profile's fault masks at one supply; owns a reference to the profile the masks point into.
struct ChipFaults {
  ChipFaults(ProfilePtr p, std::uint16_t vdd)
      : profile(std::move(p)), masks(profile->map.faults_at(vdd)) {}
  ProfilePtr profile;
  lp::FaultMasks masks;
};

/// Name of a Python file object for messages: its .name, else "<file>".
std::string file_name(const py::handle& f) {
  if (py::hasattr(f, "name")) return py::str(f.attr("name"));
  return "<file>";
}

bool is_file(const py::handle& obj) {
  return py::hasattr(obj, "read") || py::hasattr(obj, "write");
}

void check_open(const py::handle& f) {
  if (py::hasattr(f, "closed") && f.attr("closed").cast<bool>()) {
    fail(file_name(f), ": the file is closed");
  }
}

std::int64_t non_negative(std::int64_t v, const char* what) {
  if (v < 0) fail(what, ": ", v, " is negative");
  return v;
}

std::uint32_t read_count_of(std::int64_t r, const char* what = "read_count") {
  if (r < 0 || r > 0xffffffffLL) fail(what, ": ", r, " is outside 0..4294967295");
  return static_cast<std::uint32_t>(r);
}

/// The ReadHistory of (read_count, written_at): written at `written_at` and read at
/// `read_count`; written_at None = the static snapshot at read_count.
lp::ReadHistory history_of(std::int64_t read_count, const py::object& written_at) {
  const std::uint32_t r = read_count_of(read_count);
  if (written_at.is_none()) return lp::ReadHistory::snapshot(r);
  return lp::ReadHistory{read_count_of(written_at.cast<std::int64_t>(), "written_at"), r};
}

/// A layer description: (out_features, in_features, bias[, name]).
lh::ChipLayer layer_of(const py::handle& item, std::size_t index) {
  const std::string what = "layers[" + std::to_string(index) + "]";
  if (!py::isinstance<py::sequence>(item) || py::isinstance<py::str>(item)) {
    fail(what, ": expected (out_features, in_features, bias[, name]), got ", type_name(item));
  }
  const auto seq = py::reinterpret_borrow<py::sequence>(item);
  if (seq.size() < 3 || seq.size() > 4) {
    fail(what, ": expected (out_features, in_features, bias[, name]), got ", seq.size(), " items");
  }
  lh::ChipLayer layer;
  const auto feature = [&](std::size_t i, const char* name) {
    if (!py::isinstance<py::int_>(seq[i])) fail(what, ": ", name, " is a ", type_name(seq[i]));
    const long long v = seq[i].cast<long long>();
    if (v < 1 || v > 0xffffffffLL) fail(what, ": ", name, " ", v, " is outside 1..4294967295");
    return static_cast<std::uint32_t>(v);
  };
  layer.out_features = feature(0, "out_features");
  layer.in_features = feature(1, "in_features");
  layer.bias = py::bool_(seq[2]).cast<bool>();
  if (seq.size() == 4) layer.name = py::str(seq[3]);
  return layer;
}

lh::ChipLayout layout_of(int bits, std::int64_t offset, const py::object& layers) {
  lh::ChipLayout layout;
  if (bits < 1 || bits > 8) fail("bits: ", bits, " is outside 1..8");
  layout.bits = static_cast<std::uint32_t>(bits);
  layout.offset = static_cast<std::uint64_t>(non_negative(offset, "offset"));
  if (!layers.is_none()) {
    if (!py::isinstance<py::sequence>(layers)) {
      fail("layers: expected a list of (out_features, in_features, bias), got ", type_name(layers));
    }
    const auto seq = py::reinterpret_borrow<py::sequence>(layers);
    for (std::size_t i = 0; i < seq.size(); ++i) layout.layers.push_back(layer_of(seq[i], i));
  }
  return layout;
}

/// The read of `codes` through `masks` into `out` (a new array of codes' shape when None).
py::array read_codes(const lp::FaultMasks& masks, const py::object& codes, int bits,
                     std::int64_t offset, const py::object& layers, std::int64_t read_count,
                     const py::object& written_at, const py::object& out) {
  const lh::ChipLayout layout = layout_of(bits, offset, layers);
  const lp::ReadHistory history = history_of(read_count, written_at);
  const auto in = contiguous<std::uint8_t>(codes, "codes");
  py::array_t<std::uint8_t, py::array::c_style> result;
  if (out.is_none()) {
    result = py::array_t<std::uint8_t, py::array::c_style>(
        std::vector<py::ssize_t>(in.shape(), in.shape() + in.ndim()));
  } else {
    result = writable<std::uint8_t>(out, "out");
    if (result.size() != in.size()) {
      fail("out: ", result.size(), " elements, codes has ", in.size());
    }
  }
  const std::uint8_t* src = in.data();
  std::uint8_t* dst = result.mutable_data();
  const auto n = static_cast<std::uint64_t>(in.size());
  {
    py::gil_scoped_release release;
    lh::read_through_chip(masks, layout, src, dst, n, history);
  }
  return std::move(result);
}

/// "key=value" overrides from a dict {key: number} or a list of "key=value" strings.
std::vector<std::string> overrides_of(const py::object& obj) {
  std::vector<std::string> out;
  if (obj.is_none()) return out;
  if (py::isinstance<py::dict>(obj)) {
    for (const auto& [key, value] : py::reinterpret_borrow<py::dict>(obj)) {
      if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value)) {
        fail("overrides: value of '", std::string(py::str(key)), "' is a ", type_name(value),
             ", expected a number");
      }
      char text[64];
      std::snprintf(text, sizeof text, "%.17g", value.cast<double>());
      out.push_back(std::string(py::str(key)) + "=" + text);
    }
    return out;
  }
  if (py::isinstance<py::sequence>(obj) && !py::isinstance<py::str>(obj)) {
    for (const auto& item : obj) {
      if (!py::isinstance<py::str>(item))
        fail("overrides: expected 'key=value' strings, got ", type_name(item));
      out.push_back(item.cast<std::string>());
    }
    return out;
  }
  fail("overrides: expected a dict or a list of 'key=value' strings, got ", type_name(obj));
}

py::dict params_dict(const lp::ChipParams& p) {
  py::dict d;
  for (const auto& name : lp::param_names()) d[py::str(name)] = lp::get_param(p, name);
  return d;
}

py::dict test_dict(const lp::TestResult& t) {
  py::dict d;
  d["name"] = t.name;
  d["array"] = t.array;
  d["applicable"] = t.applicable;
  d["statistic"] = t.statistic;
  d["expected"] = t.expected;
  d["dof"] = t.dof;
  d["p_value"] = t.p_value;
  d["p_adjusted"] = t.p_adjusted;
  d["rejected"] = t.rejected;
  d["note"] = t.note;
  return d;
}

/// The report with the keys and nesting of `lowvolt profile validate --json` (docs/cli.md).
py::dict report_dict(const lp::ValidationReport& r) {
  py::list voltages;
  for (const auto& v : r.voltages) {
    py::dict d;
    d["vdd"] = v.vdd;
    d["code"] = v.code;
    d["cells"] = v.cells;
    d["failing"] = v.failing;
    d["ber"] = v.ber;
    d["ber_ci95"] = std::vector<double>{v.ber_lo, v.ber_hi};
    d["flips"] = v.flips;
    d["stuck0"] = v.stuck0;
    d["stuck1"] = v.stuck1;
    d["p01"] = v.p01;
    d["p10"] = v.p10;
    d["always_failing"] = v.always_failing;
    d["ever_failing"] = v.ever_failing;
    d["nesting_observed"] = v.nesting_observed;
    d["nesting_violations"] = v.violations;
    d["nested_fraction"] = v.nested_fraction;
    d["consistent"] = v.consistent;
    d["verdict"] = v.verdict;
    py::list tests;
    for (const auto& t : v.tests) tests.append(test_dict(t));
    d["tests"] = tests;
    py::list arrays;
    for (const auto& a : v.arrays) {
      py::dict ad;
      ad["array"] = a.array;
      ad["failing"] = a.failing;
      ad["ber"] = a.ber;
      ad["ber_ci95"] = std::vector<double>{a.ber_lo, a.ber_hi};
      arrays.append(ad);
    }
    d["arrays"] = arrays;
    voltages.append(d);
  }
  py::dict fit;
  fit["ok"] = r.fit.ok;
  fit["mu"] = r.fit.mu;
  fit["sigma"] = r.fit.sigma;
  fit["chi2"] = r.fit.chi2;
  fit["dof"] = r.fit.dof;
  fit["p_value"] = r.fit.p_value;
  fit["note"] = r.fit.note;
  py::dict out;
  out["alpha"] = r.alpha;
  out["consistent"] = r.consistent;
  out["voltages"] = voltages;
  out["probit_fit"] = fit;
  return out;
}

std::vector<double> vdds_of(const py::object& obj) {
  if (obj.is_none()) return {};
  if (py::isinstance<py::float_>(obj) || py::isinstance<py::int_>(obj)) return {obj.cast<double>()};
  std::vector<double> out;
  for (const auto& v : obj) {
    if (!py::isinstance<py::float_>(v) && !py::isinstance<py::int_>(v) &&
        !py::isinstance<py::array>(v) && !py::hasattr(v, "__float__")) {
      fail("vdds: expected numbers, got ", type_name(v));
    }
    out.push_back(v.cast<double>());
  }
  return out;
}

/// A read-only NumPy view of `data` (n elements) kept alive by `owner`.
template <typename T>
py::array readonly_view(const T* data, std::size_t n, const py::object& owner) {
  py::array a(py::dtype::of<T>(), {static_cast<py::ssize_t>(n)},
              {static_cast<py::ssize_t>(sizeof(T))}, data, owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

ProfilePtr load_profile(const py::object& source) {
  if (is_file(source)) {
    check_open(source);
    const std::string name = file_name(source);
    const py::object data = source.attr("read")();
    if (!py::isinstance<py::bytes>(data)) {
      fail(name, ": the file is not opened in binary mode (read() returned ", type_name(data), ")");
    }
    const std::string bytes = data.cast<std::string>();
    py::gil_scoped_release release;
    return std::make_shared<lp::Profile>(lp::decode_profile(bytes, name));
  }
  const std::string path = path_of(source, "path");
  py::gil_scoped_release release;
  return std::make_shared<lp::Profile>(lp::read_profile(path));
}

void save_profile(const lp::Profile& p, const py::object& target) {
  if (is_file(target)) {
    check_open(target);
    std::string bytes;
    {
      py::gil_scoped_release release;
      bytes = lp::encode_profile(p);
    }
    target.attr("write")(py::bytes(bytes));
    return;
  }
  const std::string path = path_of(target, "path");
  py::gil_scoped_release release;
  lp::write_profile(path, p);
}

}  // namespace

void bind_profiles(py::module_& m) {
  m.def("vdd_code", &lp::vdd_code, py::arg("vdd"),
        "Supply voltage code round(vdd × 4096) for vdd in × Vmin (docs/memory-model.md); "
        "lowvolt.Error outside [0, 16).");
  m.def("code_volts", &lp::code_volts, py::arg("code"), "The voltage (× Vmin) a code stands for.");
  m.def("mapping_offset", &lh::mapping_offset, py::arg("cells"), py::arg("k"), py::arg("mappings"),
        "Offset (cells) of mapping k of `mappings` on a chip of `cells` cells: cells // mappings "
        "* k, as `lowvolt eval --profile --mappings` and `lowvolt curve` place mapping k.");

  py::class_<lp::Geometry>(m, "Geometry", "Size of a chip in bit cells: arrays × rows × cols.")
      .def(py::init([](std::uint32_t arrays, std::uint32_t rows, std::uint32_t cols) {
             return lp::Geometry{arrays, rows, cols};
           }),
           py::arg("arrays") = 16, py::arg("rows") = 512, py::arg("cols") = 64)
      .def_readonly("arrays", &lp::Geometry::arrays, "SRAM arrays (weight-buffer banks).")
      .def_readonly("rows", &lp::Geometry::rows, "Words (rows) per array.")
      .def_readonly("cols", &lp::Geometry::cols, "Bits (columns) per row.")
      .def_property_readonly("cells", &lp::Geometry::cells, "Total number of bit cells.")
      .def("__eq__", [](const lp::Geometry& a, const lp::Geometry& b) { return a == b; })
      .def("__iter__",
           [](const lp::Geometry& g) { return py::iter(py::make_tuple(g.arrays, g.rows, g.cols)); })
      .def("__repr__", [](const lp::Geometry& g) {
        return "Geometry(arrays=" + std::to_string(g.arrays) + ", rows=" + std::to_string(g.rows) +
               ", cols=" + std::to_string(g.cols) + ")";
      });

  py::class_<lp::EnergyModel>(m, "EnergyModel",
                              "Energy per SRAM access and leakage against supply, normalised to "
                              "one access at Vmin (profiles/chip_model.h).")
      .def(py::init([](double leakage) { return lp::EnergyModel{leakage}; }),
           py::arg("leakage") = 0.0)
      .def_readwrite("leakage", &lp::EnergyModel::leakage,
                     "Leakage energy per cycle at Vmin, in units of one access at Vmin.")
      .def("access", py::vectorize(&lp::EnergyModel::access), py::arg("vdd"),
           "Dynamic energy per access at vdd (× Vmin): vdd². Accepts arrays.")
      .def("leakage_per_cycle", py::vectorize(&lp::EnergyModel::leakage_per_cycle), py::arg("vdd"),
           "Leakage energy per cycle at vdd (× Vmin): leakage · vdd. Accepts arrays.")
      .def("total", py::vectorize(&lp::EnergyModel::total), py::arg("vdd"), py::arg("accesses"),
           py::arg("cycles"),
           "Energy of `accesses` accesses over `cycles` cycles at vdd, in units of one access at "
           "Vmin. Accepts arrays.")
      .def("__repr__", [](const lp::EnergyModel& e) {
        return "EnergyModel(leakage=" + std::string(py::str(py::float_(e.leakage))) + ")";
      });

  py::class_<ChipFaults>(m, "ChipFaults",
                         "A chip profile's fault masks at one supply voltage "
                         "(Profile.faults_at). Reuse it to read many code arrays at that supply.")
      .def_property_readonly(
          "vdd", [](const ChipFaults& f) { return lp::code_volts(f.masks.vdd()); },
          "Supply (× Vmin) = vdd_code / 4096.")
      .def_property_readonly(
          "vdd_code", [](const ChipFaults& f) { return f.masks.vdd(); },
          "Supply code (1/4096 × Vmin).")
      .def_property_readonly(
          "profile", [](const ChipFaults& f) { return f.profile; },
          "The profile these masks belong to.")
      .def(
          "read",
          [](const ChipFaults& f, const py::object& codes, std::int64_t offset, int bits,
             const py::object& layers, std::int64_t read_count, const py::object& written_at,
             const py::object& out) {
            return read_codes(f.masks, codes, bits, offset, layers, read_count, written_at, out);
          },
          py::arg("codes"), py::arg("offset") = 0, py::arg("bits") = 8,
          py::arg("layers") = py::none(), py::arg("read_count") = 1, py::arg("written_at") = 0,
          py::arg("out") = py::none(),
          "The codes as the accelerator reads them at this supply (host/chip_read.h).\n\n"
          "codes: uint8 array of m-bit codes (any shape; C order is the flat order).\n"
          "offset: cell of the first stored bit (mapping_offset(cells, k, K) for mapping k of K).\n"
          "bits: m, 1..8; every code must fit it.\n"
          "layers: None for the linear mapping (code i, bit j at cell offset + i·m + j, wrapping; "
          "any "
          "chip geometry), or the matrix layers in flat order as (out_features, in_features, bias) "
          "tuples for the accelerator's tile order (a 16 × 512 × 64 chip), the layout of `lowvolt "
          "eval --profile --backend torch`.\n"
          "read_count, written_at: the codes are written through the cells when every array's "
          "read count r (docs/memory-model.md) is written_at and read at read_count; stuck values "
          "caught at the write stay. The defaults (0, 1) are the torch backend's: the "
          "accelerator's per-read statistics. written_at=None: one read at read_count, no write "
          "(the static snapshot, `--chip-read snapshot`).\n"
          "out: write into this uint8 array (same size, contiguous; may be `codes`) instead of a "
          "new one. Returns the result array.")
      .def(
          "code_faults",
          [](const ChipFaults& f, std::int64_t n, std::int64_t offset, int bits,
             const py::object& layers, std::int64_t read_count, const py::object& written_at) {
            const lh::ChipLayout layout = layout_of(bits, offset, layers);
            const lp::ReadHistory history = history_of(read_count, written_at);
            const auto count = static_cast<std::uint64_t>(non_negative(n, "n"));
            lp::CodeFaults faults;
            {
              py::gil_scoped_release release;
              faults = lh::chip_code_faults(f.masks, layout, count, history);
            }
            py::dict d;
            d["flip"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(faults.size()),
                                                  faults.flip.data());
            d["stuck"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(faults.size()),
                                                   faults.stuck.data());
            d["stuck1"] = py::array_t<std::uint8_t>(static_cast<py::ssize_t>(faults.size()),
                                                    faults.stuck1.data());
            return d;
          },
          py::arg("n"), py::arg("offset") = 0, py::arg("bits") = 8, py::arg("layers") = py::none(),
          py::arg("read_count") = 1, py::arg("written_at") = 0,
          "Per-code masks of n codes laid out as in read(): dict of uint8 arrays 'flip' (bits read "
          "inverted), 'stuck' (bits read as their stuck value) and 'stuck1' (stuck at 1); a read "
          "is ((c ^ flip) & ~stuck) | (stuck & stuck1).")
      .def("__repr__", [](const ChipFaults& f) {
        return "ChipFaults(vdd=" + std::string(py::str(py::float_(lp::code_volts(f.masks.vdd())))) +
               ")";
      });

  py::class_<lp::Profile, ProfilePtr>(
      m, "Profile",
      "A chip profile (.lvp, docs/formats.md): per bit cell a critical voltage code and a failure "
      "kind, the chip-model parameters, energy model, provenance and an import's observations. "
      "Voltages are × Vmin; rates are fractions. Immutable from Python.")
      .def_static("load", &load_profile, py::arg("source"),
                  "Reads a .lvp file from a path (str or os.PathLike) or a binary file object; "
                  "lowvolt.Error naming the file on any problem (bad magic, size, checksum, "
                  "closed file).")
      .def_static(
          "from_bytes",
          [](const py::bytes& data, const std::string& name) {
            const std::string bytes = data;
            py::gil_scoped_release release;
            return std::make_shared<lp::Profile>(lp::decode_profile(bytes, name));
          },
          py::arg("data"), py::arg("name") = "<bytes>",
          "Parses .lvp bytes; `name` prefixes errors.")
      .def("save", &save_profile, py::arg("target"),
           "Writes the profile as .lvp to a path (atomically) or a binary file object.")
      .def(
          "to_bytes", [](const lp::Profile& p) { return py::bytes(lp::encode_profile(p)); },
          "The .lvp bytes of the profile.")
      .def_static(
          "generate",
          [](const std::string& preset, std::uint32_t arrays, std::uint32_t rows,
             std::uint32_t cols, std::uint64_t seed, const py::object& overrides) {
            const auto o = overrides_of(overrides);
            py::gil_scoped_release release;
            return std::make_shared<lp::Profile>(
                lp::generate_profile(preset, o, lp::Geometry{arrays, rows, cols}, seed));
          },
          py::arg("preset") = "uniform", py::arg("arrays") = 16, py::arg("rows") = 512,
          py::arg("cols") = 64, py::arg("seed") = 1, py::arg("overrides") = py::none(),
          "A new chip, as `lowvolt profile generate --preset P --arrays A --rows R --cols C "
          "--seed S --set k=v ...`: same inputs, same bytes. overrides: dict {param: value} or "
          "list of 'param=value' (Profile.param_names()).")
      .def_static("presets", &lp::preset_names, "Chip presets: uniform, chip1, chip2.")
      .def_static(
          "preset_params", [](const std::string& name) { return params_dict(lp::preset(name)); },
          py::arg("name"), "The chip-model parameters of a preset, as a dict.")
      .def_static("param_names", &lp::param_names, "Chip-model parameter names, in file order.")
      .def_property_readonly(
          "geometry", [](const lp::Profile& p) { return p.map.geometry(); },
          "Geometry(arrays, rows, cols).")
      .def_property_readonly(
          "cells", [](const lp::Profile& p) { return p.map.geometry().cells(); },
          "Number of bit cells.")
      .def_property_readonly(
          "sigma_code", [](const lp::Profile& p) { return p.map.sigma_code(); },
          "Per-read noise σ_n in code units (1/4096 × Vmin); 0 = persistent.")
      .def_property_readonly(
          "sigma_n", [](const lp::Profile& p) { return lp::code_volts(p.map.sigma_code()); },
          "Per-read noise σ_n (× Vmin).")
      .def_property_readonly(
          "seed", [](const lp::Profile& p) { return p.map.seed(); },
          "Seed of the intermittent-read hash.")
      .def_property_readonly(
          "params", [](const lp::Profile& p) { return params_dict(p.params); },
          "Chip-model parameters it was generated or fitted with (dict).")
      .def_property_readonly(
          "provenance", [](const lp::Profile& p) { return p.provenance; },
          "Free text: command, preset, seed, source files.")
      .def_property_readonly(
          "energy", [](const lp::Profile& p) { return p.energy; },
          "The chip's EnergyModel (a copy).")
      .def_property_readonly(
          "observations",
          [](const lp::Profile& p) {
            py::list out;
            for (const auto& o : p.observations) {
              py::dict d;
              d["vdd"] = lp::code_volts(o.vdd);
              d["vdd_code"] = o.vdd;
              d["failing"] = o.failing;
              d["violations"] = o.violations;
              out.append(d);
            }
            return out;
          },
          "Imports only: per observed voltage (descending) the cells seen failing and the nesting "
          "violations (list of dicts).")
      .def_property_readonly(
          "vc",
          [](const py::object& self) {
            const auto& p = self.cast<const lp::Profile&>();
            return readonly_view(p.map.vc().data(), p.map.vc().size(), self);
          },
          "Critical voltage codes per cell in cell_index order (read-only uint16 view).")
      .def_property_readonly(
          "kind",
          [](const py::object& self) {
            const auto& p = self.cast<const lp::Profile&>();
            return readonly_view(p.map.kind().data(), p.map.kind().size(), self);
          },
          "Failure kind per cell (0 flip, 1 stuck-at-0, 2 stuck-at-1; read-only uint8 view).")
      .def(
          "failing_count",
          [](const lp::Profile& p, double vdd) { return p.map.count_faulty(lp::vdd_code(vdd)); },
          py::arg("vdd"), "Cells faulty at vdd (× Vmin) in the persistent view (vc > vdd code).")
      .def(
          "ber",
          [](const lp::Profile& p, double vdd) {
            return static_cast<double>(p.map.count_faulty(lp::vdd_code(vdd))) /
                   static_cast<double>(p.map.geometry().cells());
          },
          py::arg("vdd"), "Bit error rate at vdd (× Vmin): failing cells / cells (fraction).")
      .def(
          "failing_cells",
          [](const lp::Profile& p, double vdd) {
            const std::uint16_t code = lp::vdd_code(vdd);
            std::vector<std::uint64_t> index;
            {
              py::gil_scoped_release release;
              const auto& vc = p.map.vc();
              for (std::uint64_t i = 0; i < vc.size(); ++i) {
                if (vc[i] > code) index.push_back(i);
              }
            }
            const lp::Geometry& g = p.map.geometry();
            const auto n = static_cast<py::ssize_t>(index.size());
            py::array_t<std::uint32_t> arrays(n), rows(n), cols(n);
            py::array_t<std::uint8_t> kinds(n);
            for (py::ssize_t i = 0; i < n; ++i) {
              const std::uint64_t c = index[static_cast<std::size_t>(i)];
              cols.mutable_at(i) = static_cast<std::uint32_t>(c % g.cols);
              rows.mutable_at(i) = static_cast<std::uint32_t>(c / g.cols % g.rows);
              arrays.mutable_at(i) = static_cast<std::uint32_t>(c / g.cols / g.rows);
              kinds.mutable_at(i) = p.map.kind()[c];
            }
            py::dict d;
            d["index"] = py::array_t<std::uint64_t>(n, index.data());
            d["array"] = arrays;
            d["row"] = rows;
            d["col"] = cols;
            d["kind"] = kinds;
            return d;
          },
          py::arg("vdd"),
          "Cells faulty at vdd (× Vmin), persistent view, ascending cell_index: dict of arrays "
          "'index' (cell_index), 'array', 'row', 'col' and 'kind' (0 flip, 1 stuck-at-0, 2 "
          "stuck-at-1).")
      .def(
          "faults_at",
          [](const ProfilePtr& p, double vdd) {
            const std::uint16_t code = lp::vdd_code(vdd);
            py::gil_scoped_release release;
            return std::make_unique<ChipFaults>(p, code);
          },
          py::arg("vdd"), "The fault masks at vdd (× Vmin) as a ChipFaults object.")
      .def(
          "read",
          [](const lp::Profile& p, const py::object& codes, double vdd, std::int64_t offset,
             int bits, const py::object& layers, std::int64_t read_count,
             const py::object& written_at, const py::object& out) {
            const std::uint16_t code = lp::vdd_code(vdd);
            std::unique_ptr<lp::FaultMasks> masks;
            {
              py::gil_scoped_release release;
              masks = std::make_unique<lp::FaultMasks>(p.map.faults_at(code));
            }
            return read_codes(*masks, codes, bits, offset, layers, read_count, written_at, out);
          },
          py::arg("codes"), py::arg("vdd"), py::arg("offset") = 0, py::arg("bits") = 8,
          py::arg("layers") = py::none(), py::arg("read_count") = 1, py::arg("written_at") = 0,
          py::arg("out") = py::none(),
          "The codes as the accelerator reads them from this chip at vdd (× Vmin): "
          "faults_at(vdd).read(codes, ...), see ChipFaults.read for the arguments.")
      .def(
          "mapping_offset",
          [](const lp::Profile& p, std::int64_t k, std::int64_t mappings) {
            return lh::mapping_offset(p.map.geometry().cells(), k, mappings);
          },
          py::arg("k"), py::arg("mappings"),
          "Offset of mapping k of `mappings` on this chip (`lowvolt eval --mappings`).")
      .def(
          "validate",
          [](const lp::Profile& p, const py::object& vdds, double alpha, double margin,
             double min_expected, bool per_array) {
            lp::ValidationOptions o;
            o.vdds = vdds_of(vdds);
            o.alpha = alpha;
            o.direction_margin = margin;
            o.min_expected = min_expected;
            o.per_array = per_array;
            lp::ValidationReport r;
            {
              py::gil_scoped_release release;
              r = lp::validate(p, o);
            }
            return report_dict(r);
          },
          py::arg("vdds") = py::none(), py::arg("alpha") = 0.01, py::arg("direction_margin") = 0.1,
          py::arg("min_expected") = 5.0, py::arg("per_array") = false,
          "`lowvolt profile validate --json` as a dict (same keys): per voltage (descending) BER "
          "with its 95 % interval, flip/stuck counts, nesting and the tests against the random "
          "bit error model (Holm corrected at alpha), plus the BER(V) probit fit. vdds=None: the "
          "default voltages (an import's, else where the BER is near 5 … 0.1 %).")
      .def(
          "fit",
          [](const lp::Profile& p, const py::object& vdds) {
            const auto v = vdds_of(vdds);
            lp::FitResult f;
            {
              py::gil_scoped_release release;
              f = lp::fit_profile(p, v);
            }
            py::dict d;
            d["params"] = params_dict(f.params);
            d["vdds"] = f.vdds;
            d["reference_vdd"] = f.reference_vdd;
            d["weak_columns"] = f.weak_columns;
            d["columns"] = f.columns;
            d["weak_rows"] = f.weak_rows;
            d["rows"] = f.rows;
            d["array_mu"] = f.array_mu;
            d["array_sigma"] = f.array_sigma;
            return d;
          },
          py::arg("vdds") = py::none(),
          "`lowvolt profile fit` as a dict: fitted chip-model parameters and how they were found.")
      .def("__eq__", [](const lp::Profile& a, const lp::Profile& b) { return a == b; })
      .def("__repr__", [](const lp::Profile& p) {
        const auto& g = p.map.geometry();
        return "Profile(" + std::to_string(g.arrays) + " × " + std::to_string(g.rows) + " × " +
               std::to_string(g.cols) + " cells, sigma_code " + std::to_string(p.map.sigma_code()) +
               ", '" + p.provenance + "')";
      });
}

}  // namespace lowvolt::python
