// `lowvolt profile measure` and `lowvolt profile compare`: characterise an emulated chip through
// the accelerator's March-test MBIST engine (as a test chip is profiled), and compare two
// profiles cell by cell. Registered as subcommands of `lowvolt profile` (cmd_profile.cpp).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/progress.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::cli {

void register_backends();  // cmd_backends.cpp: golden and, where built, rtl

namespace {

namespace lp = lowvolt::profiles;
namespace la = lowvolt::accelerator;

po::positional_options_description files_positional() {
  po::positional_options_description pos;
  pos.add("files", -1);
  return pos;
}

}  // namespace

int run_profile_measure(const Args& args) {
  po::options_description o("profile measure options");
  o.add_options()
      ("chip", po::value<std::string>(), "chip profile (.lvp) loaded into the weight buffer")
      ("vdd", po::value<std::string>(), "supply voltages × Vmin to test at: list or start:stop:step")
      ("backend", po::value<std::string>()->default_value("rtl"), "accelerator backend: rtl or golden")
      ("out,o", po::value<std::string>(), "measured profile to write (.lvp)")
      ("quiet", po::bool_switch(), "no progress output");
  const auto vm = parse("lowvolt profile measure",
                        "--chip P --vdd LIST [--backend rtl|golden] -o measured.lvp", o, args);
  if (!vm) return 0;
  if (!vm->count("chip")) throw UsageError("lowvolt profile measure: option '--chip' is required");
  if (!vm->count("vdd")) throw UsageError("lowvolt profile measure: option '--vdd' is required");
  if (!vm->count("out")) throw UsageError("lowvolt profile measure: option '--out' is required");
  check_output_path((*vm)["out"].as<std::string>());
  std::vector<double> vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  std::sort(vdds.begin(), vdds.end(), std::greater<>());
  const std::string chip_path = (*vm)["chip"].as<std::string>();
  const lp::Profile chip = lp::read_profile(chip_path);
  if (!(chip.map.geometry() == la::buffer_geometry())) {
    const auto& g = chip.map.geometry();
    const auto b = la::buffer_geometry();
    fail(chip_path, ": geometry ", g.arrays, "×", g.rows, "×", g.cols,
         " does not match the accelerator's weight buffer ", b.arrays, "×", b.rows, "×", b.cols);
  }
  register_backends();
  const auto accel = la::make_accelerator((*vm)["backend"].as<std::string>());
  accel->load_profile(chip.map);

  std::vector<lp::FailingCell> seen;
  Progress progress("mbist", static_cast<std::int64_t>(vdds.size()), (*vm)["quiet"].as<bool>());
  const auto g = chip.map.geometry();
  for (std::size_t i = 0; i < vdds.size(); ++i) {
    accel->set_vdd(vdds[i]);
    for (const la::MbistRecord& r : accel->mbist()) {
      lp::FailingCell cell;
      cell.vdd = vdds[i];
      cell.array = r.cell / (g.rows * g.cols);
      cell.row = (r.cell / g.cols) % g.rows;
      cell.col = r.cell % g.cols;
      if (r.saw_0to1) {
        cell.zero_to_one = true;
        seen.push_back(cell);
      }
      if (r.saw_1to0) {
        cell.zero_to_one = false;
        seen.push_back(cell);
      }
    }
    progress.update(static_cast<std::int64_t>(i + 1),
                    "at " + std::to_string(vdds[i]).substr(0, 5) + " × Vmin");
  }
  progress.finish();
  lp::ImportOptions options;
  options.geometry = g;
  options.sigma_n = lp::code_volts(chip.map.sigma_code());
  options.seed = chip.map.seed();
  lp::Profile measured = lp::import_failing_cells(
      seen, options,
      "measured by MBIST (March C-) on the " + accel->name() + " backend from " + chip_path);
  measured.energy = chip.energy;
  lp::write_profile((*vm)["out"].as<std::string>(), measured);
  std::printf("measured %zu voltage(s) on the %s backend: %zu failing-cell observations; wrote %s\n",
              vdds.size(), accel->name().c_str(), seen.size(),
              (*vm)["out"].as<std::string>().c_str());
  return 0;
}

int run_profile_compare(const Args& args) {
  po::options_description o("profile compare options");
  o.add_options()
      ("files", po::value<std::vector<std::string>>(), "two profiles: A (reference) and B")
      ("vdd", po::value<std::string>(),
       "voltages × Vmin (default: B's observed voltages, else A's)")
      ("json", po::bool_switch(), "print JSON instead of a table");
  const auto pos = files_positional();
  const auto vm = parse("lowvolt profile compare", "A.lvp B.lvp [--vdd LIST] [--json]", o, args, &pos);
  if (!vm) return 0;
  const auto files =
      vm->count("files") ? (*vm)["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) {
    throw UsageError("lowvolt profile compare: expected two profiles, got " +
                     std::to_string(files.size()));
  }
  const lp::Profile a = lp::read_profile(files[0]);
  const lp::Profile b = lp::read_profile(files[1]);
  if (!(a.map.geometry() == b.map.geometry())) {
    fail(files[1], ": geometry differs from ", files[0]);
  }
  std::vector<std::uint16_t> codes;
  if (vm->count("vdd")) {
    for (const double v : parse_voltages("vdd", (*vm)["vdd"].as<std::string>())) {
      codes.push_back(lp::vdd_code(v));
    }
  } else {
    for (const auto* p : {&b, &a}) {
      if (!codes.empty()) break;
      for (const auto& obs : p->observations) codes.push_back(obs.vdd);
    }
    if (codes.empty()) {
      throw UsageError("lowvolt profile compare: neither profile has observed voltages; give --vdd");
    }
  }
  std::sort(codes.begin(), codes.end(), std::greater<>());

  // A cell of A "always fails" at a supply when even the most favourable read noise leaves it
  // above the supply, and "never fails" when even the least favourable leaves it below; cells in
  // between are intermittent and may or may not have been caught by a finite test.
  const std::int32_t lo = lp::min_noise(a.map.sigma_code());
  const std::int32_t hi = lp::max_noise(a.map.sigma_code());
  const auto cells = a.map.geometry().cells();
  nlohmann::json report = {{"a", files[0]}, {"b", files[1]}, {"voltages", nlohmann::json::array()}};
  bool persistent_agree = true;
  for (const std::uint16_t code : codes) {
    std::uint64_t in_a = 0, in_b = 0, both = 0, kind_match = 0, always = 0, always_found = 0,
                  never_reported = 0, band = 0, band_found = 0;
    for (std::uint64_t i = 0; i < cells; ++i) {
      const std::int32_t vc = a.map.vc()[i];
      const bool fa = vc > code;
      const bool fb = b.map.vc()[i] > code;
      in_a += fa;
      in_b += fb;
      if (fa && fb) {
        ++both;
        kind_match += a.map.kind()[i] == b.map.kind()[i];
      }
      if (vc + lo > static_cast<std::int32_t>(code)) {
        ++always;
        always_found += fb;
      } else if (vc + hi <= static_cast<std::int32_t>(code)) {
        never_reported += fb;
      } else {
        ++band;
        band_found += fb;
      }
    }
    const bool agree = always_found == always && never_reported == 0;
    persistent_agree = persistent_agree && agree;
    report["voltages"].push_back({{"vdd", lp::code_volts(code)},
                                  {"ber_a", static_cast<double>(in_a) / static_cast<double>(cells)},
                                  {"ber_b", static_cast<double>(in_b) / static_cast<double>(cells)},
                                  {"failing_a", in_a},
                                  {"failing_b", in_b},
                                  {"both", both},
                                  {"only_a", in_a - both},
                                  {"only_b", in_b - both},
                                  {"kind_agreement", both ? static_cast<double>(kind_match) / both : 1.0},
                                  {"always_failing_a", always},
                                  {"always_failing_found_in_b", always_found},
                                  {"never_failing_a_reported_in_b", never_reported},
                                  {"intermittent_a", band},
                                  {"intermittent_found_in_b", band_found},
                                  {"persistent_agree", agree}});
  }
  report["persistent_agree"] = persistent_agree;
  if ((*vm)["json"].as<bool>()) {
    print_json(report);
  } else {
    std::printf("A = %s\nB = %s\n\n", files[0].c_str(), files[1].c_str());
    std::printf("%7s %10s %10s %9s %8s %8s %7s %16s %12s %7s\n", "V/Vmin", "BER A", "BER B",
                "both", "only A", "only B", "kinds", "persistent A→B", "intermittent", "agree");
    for (const auto& v : report["voltages"]) {
      std::printf("%7.4f %9.4f%% %9.4f%% %9llu %8llu %8llu %6.1f%% %8llu/%-7llu %5llu/%-6llu %7s\n",
                  v["vdd"].get<double>(), 100 * v["ber_a"].get<double>(),
                  100 * v["ber_b"].get<double>(), v["both"].get<unsigned long long>(),
                  v["only_a"].get<unsigned long long>(), v["only_b"].get<unsigned long long>(),
                  100 * v["kind_agreement"].get<double>(),
                  v["always_failing_found_in_b"].get<unsigned long long>(),
                  v["always_failing_a"].get<unsigned long long>(),
                  v["intermittent_found_in_b"].get<unsigned long long>(),
                  v["intermittent_a"].get<unsigned long long>(),
                  v["persistent_agree"].get<bool>() ? "yes" : "NO");
    }
    std::printf("\npersistent faults of A %s in B (every always-failing cell found, no never-failing "
                "cell reported)\n",
                persistent_agree ? "agree exactly" : "DO NOT agree");
  }
  return persistent_agree ? 0 : 3;
}

}  // namespace lowvolt::cli
