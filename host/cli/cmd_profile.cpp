// `lowvolt profile ...`: generate, show (with gnuplot plots), validate, fit, import and export
// SRAM chip profiles. Glue over lowvolt::profiles; all physics and statistics live there.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "plot.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/fit.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/validate.h"

extern char** environ;

namespace lowvolt::cli {
namespace {

namespace lp = profiles;
using nlohmann::json;

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string geometry_text(const lp::Geometry& g) {
  return std::to_string(g.arrays) + " × " + std::to_string(g.rows) + " × " +
         std::to_string(g.cols);
}

json params_json(const lp::ChipParams& p) {
  json j = json::object();
  for (const auto& name : lp::param_names()) j[name] = lp::get_param(p, name);
  return j;
}

std::string set_flags(const lp::ChipParams& p) {
  std::string s;
  for (const auto& name : lp::param_names()) s += " --set " + name + "=" + fmt("%.6g", lp::get_param(p, name));
  return s;
}

// Positional FILE for commands that take one profile.
po::positional_options_description one_file() {
  po::positional_options_description pos;
  pos.add("file", 1);
  return pos;
}

std::string required_file(const po::variables_map& vm, const std::string& prog) {
  if (!vm.count("file")) throw UsageError(prog + ": missing the profile FILE");
  return vm["file"].as<std::string>();
}

std::vector<double> voltages_or(const po::variables_map& vm, const std::vector<double>& fallback) {
  if (!vm.count("vdd")) return fallback;
  return parse_voltages("vdd", vm["vdd"].as<std::string>());
}

// ---------------------------------------------------------------------------------- generate

int run_generate(const Args& args) {
  po::options_description o("profile generate options");
  o.add_options()("preset", po::value<std::string>()->default_value("uniform"),
                  "chip preset: uniform, chip1, chip2, or a FILE.json of parameters (e.g. from "
                  "`profile fit --json`)")(
      "arrays", po::value<std::uint32_t>()->default_value(16), "SRAM arrays")(
      "rows", po::value<std::uint32_t>()->default_value(512), "rows (words) per array")(
      "cols", po::value<std::uint32_t>()->default_value(64), "columns (bits) per row")(
      "seed", po::value<std::uint64_t>()->default_value(1), "random seed (also the read-noise seed)")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a model parameter, key=value (repeatable); keys: mu, sigma, sigma_array, f_col, "
      "col_shift, f_row, row_shift, flip_fraction, b, sigma_n")(
      "output,o", po::value<std::string>(), "output profile (.lvp)");
  const auto vm = parse("lowvolt profile generate", "--preset P [options] -o FILE.lvp", o, args);
  if (!vm) return 0;
  if (!vm->count("output")) throw UsageError("lowvolt profile generate: missing -o FILE.lvp");
  check_output_path((*vm)["output"].as<std::string>());
  const lp::Geometry g{(*vm)["arrays"].as<std::uint32_t>(), (*vm)["rows"].as<std::uint32_t>(),
                       (*vm)["cols"].as<std::uint32_t>()};
  const std::vector<std::string> sets =
      vm->count("set") ? (*vm)["set"].as<std::vector<std::string>>() : std::vector<std::string>{};
  const std::string preset = (*vm)["preset"].as<std::string>();
  const auto seed = (*vm)["seed"].as<std::uint64_t>();
  const auto p = preset.size() > 5 && preset.compare(preset.size() - 5, 5, ".json") == 0
                     ? lp::generate_profile(lp::read_params_json(preset), preset, sets, g, seed)
                     : lp::generate_profile(preset, sets, g, seed);
  const std::string out = (*vm)["output"].as<std::string>();
  lp::write_profile(out, p);
  const std::uint16_t c = lp::vdd_code(0.833);
  std::cout << "wrote " << out << ": " << geometry_text(g) << " cells, BER "
            << fmt("%.4g", 100.0 * p.map.count_faulty(c) / g.cells()) << " % at 0.833 × Vmin\n";
  return 0;
}

// -------------------------------------------------------------------------------------- show

void plot(const lp::Profile& p, const std::vector<double>& vdds, double map_vdd,
          std::uint32_t map_array, const std::string& output) {
  const lp::Geometry& g = p.map.geometry();
  if (map_array >= g.arrays) fail("--map-array ", map_array, " is outside 0…", g.arrays - 1);
  std::string ber, map;
  for (const double v : vdds) {
    const double b = 100.0 * p.map.count_faulty(lp::vdd_code(v)) / g.cells();
    ber += fmt("%.6g", v) + " " + (b > 0 ? fmt("%.6g", b) : std::string("NaN")) + " " +
           fmt("%.6g", p.energy.access(v)) + "\n";
  }
  const std::uint16_t code = lp::vdd_code(map_vdd);
  const std::uint64_t base = std::uint64_t{map_array} * g.rows * g.cols;
  for (std::uint32_t r = 0; r < g.rows; ++r) {
    for (std::uint32_t c = 0; c < g.cols; ++c) {
      const std::uint64_t i = base + std::uint64_t{r} * g.cols + c;
      // 0 = works, 1 = flip, 2 = stuck-at-0 (1→0), 3 = stuck-at-1 (0→1).
      const int v = p.map.vc()[i] > code ? 1 + p.map.kind()[i] : 0;
      map += (c ? " " : "") + std::to_string(v);
    }
    map += "\n";
  }
  std::ostringstream gp;
  gp << "set multiplot layout 1,2\n"
     << "set title 'bit error rate and energy per access'\n"
     << "set xlabel 'supply voltage (× Vmin)'\nset ylabel 'bit error rate (%)'\n"
     << "set logscale y\nset format y '10^{%L}'\nset ytics nomirror\nset y2tics\n"
     << "set y2label 'energy per access (× E at Vmin)'\nset key left top\nset grid\n"
     << "plot 'ber.dat' using 1:2 with linespoints lw 2 pt 7 title 'BER', "
     << "'ber.dat' using 1:3 axes x1y2 with lines lw 2 dt 2 title 'energy'\n"
     << "unset logscale\nunset y2tics\nunset y2label\nunset grid\nset format y '%g'\n"
     << "set title 'failing cells of array " << map_array << " at " << fmt("%.4g", map_vdd)
     << " × Vmin'\nset xlabel 'column'\nset ylabel 'row'\n"
     << "set xrange [-0.5:" << g.cols - 0.5 << "]\nset yrange [" << g.rows - 0.5 << ":-0.5]\n"
     << "set cbrange [-0.5:3.5]\nset palette maxcolors 4\nset cbtics ('ok' 0, 'flip' 1, 'stuck 0' 2, 'stuck 1' 3)\n"
     << "set palette defined (0 'white', 1 'black', 2 'blue', 3 'red')\n"
     << "plot 'map.dat' matrix with image notitle\nunset multiplot\n";
  run_gnuplot("--plot", output, 1100, 450, {{"ber.dat", ber}, {"map.dat", map}}, gp.str());
}

int run_show(const Args& args) {
  po::options_description o("profile show options");
  o.add_options()("file", po::value<std::string>(), "profile (.lvp)")(
      "vdd", po::value<std::string>(),
      "voltages × Vmin, list or start:stop:step (default: Figure 1's 1.0 … 0.75)")(
      "plot", po::value<std::string>(), "write BER/energy and a failing-cell bitmap to FILE.svg|.png")(
      "map-vdd", po::value<double>(), "voltage of the bitmap (default: the list's BER nearest 1 %)")(
      "map-array", po::value<std::uint32_t>()->default_value(0), "array shown in the bitmap")(
      "json", po::bool_switch(), "print JSON instead of a table");
  const auto pos = one_file();
  const auto vm = parse("lowvolt profile show", "FILE [--vdd LIST] [--plot FILE.svg|.png]", o, args, &pos);
  if (!vm) return 0;
  const std::string file = required_file(*vm, "lowvolt profile show");
  const auto p = lp::read_profile(file);
  const auto vdds = voltages_or(*vm, {1.0, 0.958, 0.917, 0.875, 0.833, 0.792, 0.75});
  const lp::Geometry& g = p.map.geometry();
  json rows = json::array();
  double map_vdd = vdds.front(), best = 1e300;
  for (const double v : vdds) {
    const std::uint16_t c = lp::vdd_code(v);
    const std::uint64_t failing = p.map.count_faulty(c);
    const double ber = static_cast<double>(failing) / g.cells();
    const double distance = std::abs(std::log((ber + 1e-9) / 0.01));
    if (distance < best) {
      best = distance;
      map_vdd = v;
    }
    rows.push_back({{"vdd", v}, {"code", c}, {"failing", failing}, {"ber", ber},
                    {"energy_per_access", p.energy.access(v)}});
  }
  if ((*vm).count("map-vdd")) map_vdd = (*vm)["map-vdd"].as<double>();
  if ((*vm)["json"].as<bool>()) {
    json j = {{"file", file}, {"arrays", g.arrays}, {"rows", g.rows}, {"cols", g.cols},
              {"sigma_code", p.map.sigma_code()}, {"seed", p.map.seed()},
              {"params", params_json(p.params)}, {"leakage", p.energy.leakage},
              {"provenance", p.provenance}, {"voltages", rows}};
    print_json(j);
  } else {
    std::cout << file << ": " << geometry_text(g) << " cells (arrays × rows × cols), sigma_n "
              << fmt("%.4g", lp::code_volts(p.map.sigma_code())) << " × Vmin, seed "
              << p.map.seed() << "\n  provenance: " << p.provenance << "\n  model:";
    for (const auto& name : lp::param_names()) std::cout << ' ' << name << '=' << fmt("%.6g", lp::get_param(p.params, name));
    std::cout << "\n\n  V/Vmin    BER (%)     failing  energy/access\n";
    for (const auto& r : rows) {
      std::printf("  %6.4f  %9.4g  %10llu  %13.4f\n", r["vdd"].get<double>(),
                  100 * r["ber"].get<double>(),
                  static_cast<unsigned long long>(r["failing"].get<std::uint64_t>()),
                  r["energy_per_access"].get<double>());
    }
  }
  if (vm->count("plot")) {
    const std::string out = (*vm)["plot"].as<std::string>();
    plot(p, vdds, map_vdd, (*vm)["map-array"].as<std::uint32_t>(), out);
    if (!(*vm)["json"].as<bool>()) std::cout << "\nwrote " << out << '\n';
  }
  return 0;
}

// ---------------------------------------------------------------------------------- validate

json report_json(const lp::ValidationReport& r) {
  json volts = json::array();
  for (const auto& v : r.voltages) {
    json tests = json::array();
    for (const auto& t : v.tests) {
      tests.push_back({{"name", t.name}, {"array", t.array}, {"applicable", t.applicable},
                       {"statistic", t.statistic}, {"expected", t.expected}, {"dof", t.dof},
                       {"p_value", t.p_value}, {"p_adjusted", t.p_adjusted},
                       {"rejected", t.rejected}, {"note", t.note}});
    }
    json arrays = json::array();
    for (const auto& a : v.arrays) arrays.push_back({{"array", a.array}, {"failing", a.failing}, {"ber", a.ber},
                                                 {"ber_ci95", {a.ber_lo, a.ber_hi}}});
    volts.push_back({{"vdd", v.vdd}, {"code", v.code}, {"cells", v.cells}, {"failing", v.failing},
                     {"ber", v.ber}, {"ber_ci95", {v.ber_lo, v.ber_hi}}, {"flips", v.flips},
                     {"stuck0", v.stuck0}, {"stuck1", v.stuck1}, {"p01", v.p01}, {"p10", v.p10},
                     {"always_failing", v.always_failing}, {"ever_failing", v.ever_failing},
                     {"nesting_observed", v.nesting_observed}, {"nesting_violations", v.violations},
                     {"nested_fraction", v.nested_fraction}, {"consistent", v.consistent},
                     {"verdict", v.verdict}, {"tests", tests}, {"arrays", arrays}});
  }
  return {{"alpha", r.alpha}, {"consistent", r.consistent}, {"voltages", volts},
          {"probit_fit", {{"ok", r.fit.ok}, {"mu", r.fit.mu}, {"sigma", r.fit.sigma},
                          {"chi2", r.fit.chi2}, {"dof", r.fit.dof}, {"p_value", r.fit.p_value},
                          {"note", r.fit.note}}}};
}

int run_validate(const Args& args) {
  po::options_description o("profile validate options");
  o.add_options()("file", po::value<std::string>(), "profile (.lvp)")(
      "vdd", po::value<std::string>(),
      "voltages × Vmin (default: an import's voltages, else where BER ≈ 5 … 0.1 %)")(
      "alpha", real(0.01), "family-wise test level")(
      "margin", real(0.1), "tolerated |0→1 share − 0.5|")(
      "per-array", po::bool_switch(), "report BER per array")(
      "json", po::bool_switch(), "print the full report as JSON");
  const auto pos = one_file();
  const auto vm = parse("lowvolt profile validate", "FILE [--vdd LIST] [--json]", o, args, &pos);
  if (!vm) return 0;
  const std::string file = required_file(*vm, "lowvolt profile validate");
  const auto p = lp::read_profile(file);
  lp::ValidationOptions opt;
  opt.vdds = voltages_or(*vm, {});
  opt.alpha = (*vm)["alpha"].as<double>();
  opt.direction_margin = (*vm)["margin"].as<double>();
  opt.per_array = (*vm)["per-array"].as<bool>();
  const auto start = std::chrono::steady_clock::now();
  const auto r = lp::validate(p, opt);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "validated " << r.voltages.size() << " voltages in " << fmt("%.3f", seconds)
            << " s\n";
  if ((*vm)["json"].as<bool>()) {
    json j = report_json(r);
    j["file"] = file;
    print_json(j);
    return 0;
  }
  std::cout << file << ": " << geometry_text(p.map.geometry()) << " cells, α = " << r.alpha
            << " (Holm over all " << "tests)\n\n"
            << "  V/Vmin   BER (%)  95 % interval (%)      0→1 (%)  1→0 (%)  nested  verdict\n";
  for (const auto& v : r.voltages) {
    std::printf("  %6.4f  %8.4g  [%8.4g, %8.4g]  %8.4g %8.4g  %6.4f  %s\n", v.vdd, 100 * v.ber,
                100 * v.ber_lo, 100 * v.ber_hi, 100 * v.p01, 100 * v.p10, v.nested_fraction,
                v.verdict.c_str());
    for (const auto& t : v.tests) {
      if (!t.rejected) continue;
      std::printf("            rejected %s%s: p = %.3g (Holm %.3g) %s\n", t.name.c_str(),
                  t.array >= 0 ? (" array " + std::to_string(t.array)).c_str() : "", t.p_value,
                  t.p_adjusted, t.note.c_str());
    }
    if (opt.per_array) {
      for (const auto& a : v.arrays) std::printf("            array %u: BER %.4g %% [%.4g, %.4g]\n", a.array, 100 * a.ber, 100 * a.ber_lo, 100 * a.ber_hi);
    }
  }
  if (r.fit.ok) {
    std::printf("\nprobit fit of BER(V): mu = %.5f, sigma = %.5f × Vmin (Pearson chi2 = %.4g, "
                "dof %.0f, p = %.3g)\n", r.fit.mu, r.fit.sigma, r.fit.chi2, r.fit.dof, r.fit.p_value);
  } else {
    std::cout << "\nprobit fit of BER(V): " << r.fit.note << '\n';
  }
  std::cout << (r.consistent ? "overall: consistent with independent random bit errors\n"
                             : "overall: not consistent with independent random bit errors\n");
  return 0;
}

// --------------------------------------------------------------------------------------- fit

int run_fit(const Args& args) {
  po::options_description o("profile fit options");
  o.add_options()("file", po::value<std::string>(), "profile (.lvp)")(
      "vdd", po::value<std::string>(), "voltage grid × Vmin (default: automatic)")(
      "json", po::bool_switch(), "print JSON");
  const auto pos = one_file();
  const auto vm = parse("lowvolt profile fit", "FILE [--json]", o, args, &pos);
  if (!vm) return 0;
  const std::string file = required_file(*vm, "lowvolt profile fit");
  const auto p = lp::read_profile(file);
  const auto f = lp::fit_profile(p, voltages_or(*vm, {}));
  if ((*vm)["json"].as<bool>()) {
    json j = {{"file", file}, {"params", params_json(f.params)}, {"vdds", f.vdds},
              {"reference_vdd", f.reference_vdd}, {"weak_columns", f.weak_columns},
              {"columns", f.columns}, {"weak_rows", f.weak_rows}, {"rows", f.rows},
              {"array_mu", f.array_mu}, {"array_sigma", f.array_sigma}};
    print_json(j);
    return 0;
  }
  std::cout << file << ": fitted over " << f.vdds.size() << " voltages ("
            << fmt("%.4f", f.vdds.front()) << " … " << fmt("%.4f", f.vdds.back())
            << " × Vmin); weak columns " << f.weak_columns << " of " << f.columns
            << ", weak rows " << f.weak_rows << " of " << f.rows << " (at "
            << fmt("%.4f", f.reference_vdd) << " × Vmin)\n";
  for (const auto& name : lp::param_names()) {
    std::printf("  %-14s %.6g\n", name.c_str(), lp::get_param(f.params, name));
  }
  std::cout << "\nmake chips like it:\n  lowvolt profile generate --preset uniform"
            << set_flags(f.params) << " -o NEW.lvp\n";
  return 0;
}

// ------------------------------------------------------------------------------ import/export

std::vector<lp::MatrixMap> matrices_from(const po::variables_map& vm, const char* key,
                                         lp::MatrixMap::Direction d) {
  std::vector<lp::MatrixMap> maps;
  if (!vm.count(key)) return maps;
  for (const auto& spec : vm[key].as<std::vector<std::string>>()) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos) {
      throw UsageError(std::string("option '--") + key + "': expected V=FILE, got '" + spec + "'");
    }
    const auto v = parse_voltages(key, spec.substr(0, eq));
    if (v.size() != 1) throw UsageError(std::string("option '--") + key + "': one voltage per map");
    maps.push_back({v[0], d, spec.substr(eq + 1)});
  }
  return maps;
}

int run_import(const Args& args) {
  po::options_description o("profile import options");
  o.add_options()("list", po::value<std::vector<std::string>>()->composing(),
                  "failing-cell list CSV vdd,array,row,col,flip[,rate] (repeatable)")(
      "matrix-dir", po::value<std::string>(), "folder of fmap_{sa0,sa1,flip}_v_<V>.txt matrices")(
      "sa0", po::value<std::vector<std::string>>()->composing(), "V=FILE: stuck-at-0 matrix")(
      "sa1", po::value<std::vector<std::string>>()->composing(), "V=FILE: stuck-at-1 matrix")(
      "flip", po::value<std::vector<std::string>>()->composing(), "V=FILE: matrix, direction unknown")(
      "arrays", po::value<std::uint32_t>()->default_value(0), "arrays (0: inferred)")(
      "rows", po::value<std::uint32_t>()->default_value(0), "rows per array (0: inferred)")(
      "cols", po::value<std::uint32_t>()->default_value(0), "columns (0: inferred)")(
      "min-rate", real(0.0), "a cell fails where its rate is > this")(
      "sigma-n", real(0.0), "per-read noise to record (× Vmin)")(
      "estimate-sigma-n", po::bool_switch(),
      "estimate the per-read noise from cells with fractional rates at two voltages")(
      "seed", po::value<std::uint64_t>()->default_value(0), "read-noise seed to record")(
      "output,o", po::value<std::string>(), "output profile (.lvp)");
  const auto vm = parse("lowvolt profile import",
                        "(--list CSV... | --matrix-dir DIR | --sa0/--sa1/--flip V=FILE...) -o FILE.lvp",
                        o, args);
  if (!vm) return 0;
  if (!vm->count("output")) throw UsageError("lowvolt profile import: missing -o FILE.lvp");
  check_output_path((*vm)["output"].as<std::string>());
  lp::ImportOptions opt;
  opt.geometry = {(*vm)["arrays"].as<std::uint32_t>(), (*vm)["rows"].as<std::uint32_t>(),
                  (*vm)["cols"].as<std::uint32_t>()};
  opt.min_rate = (*vm)["min-rate"].as<double>();
  if (!(opt.min_rate >= 0 && opt.min_rate < 1)) throw UsageError("option '--min-rate': must lie in [0, 1)");
  opt.sigma_n = (*vm)["sigma-n"].as<double>();
  opt.seed = (*vm)["seed"].as<std::uint64_t>();
  opt.estimate_sigma_n = (*vm)["estimate-sigma-n"].as<bool>();
  std::vector<lp::MatrixMap> maps;
  if (vm->count("matrix-dir")) maps = lp::find_matrices((*vm)["matrix-dir"].as<std::string>());
  for (const auto& [key, d] : {std::pair{"sa0", lp::MatrixMap::Direction::kStuck0},
                               std::pair{"sa1", lp::MatrixMap::Direction::kStuck1},
                               std::pair{"flip", lp::MatrixMap::Direction::kFlip}}) {
    for (auto& m : matrices_from(*vm, key, d)) maps.push_back(m);
  }
  const bool lists = vm->count("list") > 0;
  if (lists == !maps.empty()) {
    throw UsageError("lowvolt profile import: give either --list files or matrices, not both or neither");
  }
  const auto p = lists ? lp::import_failing_lists((*vm)["list"].as<std::vector<std::string>>(), opt)
                       : lp::import_matrices(maps, opt);
  const std::string out = (*vm)["output"].as<std::string>();
  lp::write_profile(out, p);
  std::cout << "wrote " << out << ": " << geometry_text(p.map.geometry()) << " cells from "
            << p.observations.size() << " voltages, sigma_n "
            << fmt("%.4g", lp::code_volts(p.map.sigma_code())) << " × Vmin"
            << (opt.estimate_sigma_n ? " (estimated)" : "") << "\n";
  for (const auto& obs : p.observations) {
    std::printf("  %.4f × Vmin: %llu failing, %llu not failing at the next lower voltage\n",
                lp::code_volts(obs.vdd), static_cast<unsigned long long>(obs.failing),
                static_cast<unsigned long long>(obs.violations));
  }
  return 0;
}

int run_export(const Args& args) {
  po::options_description o("profile export options");
  o.add_options()("file", po::value<std::string>(), "profile (.lvp)")(
      "vdd", po::value<std::string>(), "voltages × Vmin (required)")(
      "list", po::value<std::string>(), "write the failing-cell list CSV here")(
      "matrix-dir", po::value<std::string>(), "write fmap_{sa0,sa1,flip}_v_<V>.txt here");
  const auto pos = one_file();
  const auto vm = parse("lowvolt profile export", "FILE --vdd LIST (--list CSV | --matrix-dir DIR)", o, args, &pos);
  if (!vm) return 0;
  const std::string file = required_file(*vm, "lowvolt profile export");
  if (!vm->count("vdd")) throw UsageError("lowvolt profile export: missing --vdd");
  if (!vm->count("list") && !vm->count("matrix-dir")) {
    throw UsageError("lowvolt profile export: give --list CSV and/or --matrix-dir DIR");
  }
  if (vm->count("list")) check_output_path((*vm)["list"].as<std::string>());
  const auto p = lp::read_profile(file);
  const auto vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  if (vm->count("list")) {
    lp::export_failing_list(p, vdds, (*vm)["list"].as<std::string>());
    std::cout << "wrote " << (*vm)["list"].as<std::string>() << '\n';
  }
  if (vm->count("matrix-dir")) {
    const auto files = lp::export_matrices(p, vdds, (*vm)["matrix-dir"].as<std::string>());
    std::cout << "wrote " << files.size() << " matrices into " << (*vm)["matrix-dir"].as<std::string>() << '\n';
  }
  return 0;
}

}  // namespace

// cmd_profile_hw.cpp: characterisation through the accelerator's MBIST, and profile comparison.
int run_profile_measure(const Args& args);
int run_profile_compare(const Args& args);

namespace {

int run_profile(const Args& args) {
  Registry sub;
  sub.add({"generate", "make a chip profile from a preset (uniform, chip1, chip2)", run_generate});
  sub.add({"show", "BER and energy against voltage; --plot draws them and a failing-cell map", run_show});
  sub.add({"validate", "test a profile against the random bit error model", run_validate});
  sub.add({"fit", "fit chip-model parameters to a profile", run_fit});
  sub.add({"import", "build a profile from failing-cell lists or fault-map matrices", run_import});
  sub.add({"export", "write a profile's failing cells as a list CSV or matrices", run_export});
  sub.add({"measure", "profile a chip through the accelerator's March-test MBIST at each voltage",
           run_profile_measure});
  sub.add({"compare", "agreement of two profiles: cells, directions, per-voltage rates",
           run_profile_compare});
  return dispatch("lowvolt profile", "SRAM chip profiles: generate, show, validate, fit, import, export.",
                  sub, args);
}

}  // namespace

void register_profile_command(Registry& registry) {
  registry.add({"profile",
                "SRAM chip profiles: generate, show, validate, fit, import, export, measure, compare",
                run_profile});
}

}  // namespace lowvolt::cli
