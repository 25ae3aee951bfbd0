#include "lowvolt/profiles/chip_model.h"

#include <cmath>
#include <map>

#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"

namespace lowvolt::profiles {
namespace {

struct Field {
  const char* name;
  double ChipParams::*member;
  double lo;  // inclusive range
  double hi;
};

const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      {"mu", &ChipParams::mu, 0.0, 4.0},
      {"sigma", &ChipParams::sigma, 1e-4, 1.0},
      {"sigma_array", &ChipParams::sigma_array, 0.0, 1.0},
      {"f_col", &ChipParams::f_col, 0.0, 1.0},
      {"col_shift", &ChipParams::col_shift, -1.0, 1.0},
      {"f_row", &ChipParams::f_row, 0.0, 1.0},
      {"row_shift", &ChipParams::row_shift, -1.0, 1.0},
      {"flip_fraction", &ChipParams::flip_fraction, 0.0, 1.0},
      {"b", &ChipParams::b, 0.0, 1.0},
      {"sigma_n", &ChipParams::sigma_n, 0.0, 1.0},
  };
  return f;
}

const Field& field(const std::string& name) {
  for (const Field& f : fields()) {
    if (name == f.name) return f;
  }
  std::string known;
  for (const Field& f : fields()) known += (known.empty() ? "" : ", ") + std::string(f.name);
  fail("unknown chip parameter '", name, "' (known: ", known, ")");
}

}  // namespace

bool ChipParams::operator==(const ChipParams& o) const {
  for (const Field& f : fields()) {
    if (!(this->*f.member == o.*f.member)) return false;
  }
  return true;
}

const std::vector<std::string>& param_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const Field& f : fields()) n.emplace_back(f.name);
    return n;
  }();
  return names;
}

double get_param(const ChipParams& p, const std::string& name) { return p.*field(name).member; }

void set_param(ChipParams& p, const std::string& name, double value) {
  const Field& f = field(name);
  if (!(value >= f.lo && value <= f.hi)) {
    fail("chip parameter ", name, "=", value, " is outside [", f.lo, ", ", f.hi, "]");
  }
  p.*f.member = value;
}

void apply_overrides(ChipParams& p, const std::vector<std::string>& assignments) {
  for (const std::string& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) fail("--set '", a, "': expected key=value");
    const std::string key = a.substr(0, eq);
    const std::string text = a.substr(eq + 1);
    const auto value = parse_real(text);  // finite only: "inf" is not a parameter value
    if (!value) fail("--set '", a, "': '", text, "' is not a finite number");
    set_param(p, key, *value);
  }
}

void check_params(const ChipParams& p, const std::string& what) {
  for (const Field& f : fields()) {
    const double v = p.*f.member;
    if (!(v >= f.lo && v <= f.hi)) {
      fail(what, ": chip parameter ", f.name, "=", v, " is outside [", f.lo, ", ", f.hi, "]");
    }
  }
}

std::vector<std::string> preset_names() { return {"uniform", "chip1", "chip2"}; }

ChipParams preset(const std::string& name) {
  ChipParams p;  // defaults: the Figure 1 fit, σ_array 0.01, flips, no weak columns
  if (name == "uniform") return p;
  if (name == "chip1") {
    p.flip_fraction = 0.0;
    p.b = 0.47;
    p.sigma_n = 0.008;
    return p;
  }
  if (name == "chip2") {
    p.f_col = 0.05;
    p.col_shift = 0.095;
    p.flip_fraction = 0.0;
    p.b = 0.85;
    p.sigma_n = 0.018;
    return p;
  }
  fail("unknown preset '", name, "' (known: uniform, chip1, chip2)");
}

double SplitMix64::normal() {
  // u1 in (0, 1] so the logarithm is finite.
  const double u1 = (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

CellMap generate_chip(const ChipParams& p, const Geometry& g, std::uint64_t seed) {
  check_params(p, "generate");
  check_geometry(g, "generate");
  CellMap map(g, sigma_code(p.sigma_n), seed);
  auto& vc = map.vc();
  auto& kind = map.kind();
  std::vector<double> col_offset(g.cols);
  std::vector<double> row_offset(g.rows);
  std::uint64_t cell = 0;
  for (std::uint32_t a = 0; a < g.arrays; ++a) {
    // One independent stream per array, so arrays do not depend on each other's draws.
    SplitMix64 rng(mix64(seed ^ mix64(0x632be59bd9b4e019ULL * (std::uint64_t{a} + 1))));
    const double array_offset = p.sigma_array * rng.normal();
    for (auto& c : col_offset) c = rng.uniform() < p.f_col ? p.col_shift : 0.0;
    for (auto& r : row_offset) r = rng.uniform() < p.f_row ? p.row_shift : 0.0;
    for (std::uint32_t r = 0; r < g.rows; ++r) {
      const double base = p.mu + array_offset + row_offset[r];
      for (std::uint32_t c = 0; c < g.cols; ++c, ++cell) {
        vc[cell] = vc_code(base + col_offset[c] + p.sigma * rng.normal());
        const double u_kind = rng.uniform();
        const double u_value = rng.uniform();
        kind[cell] = static_cast<std::uint8_t>(
            u_kind < p.flip_fraction
                ? FailureKind::kFlip
                : (u_value < p.b ? FailureKind::kStuck1 : FailureKind::kStuck0));
      }
    }
  }
  return map;
}

}  // namespace lowvolt::profiles
