// `lowvolt profile measure` and `lowvolt profile compare`: characterise an emulated chip through
// the accelerator's March-test MBIST engine (as a test chip is profiled), and compare two
// profiles cell by cell. Registered as subcommands of `lowvolt profile` (cmd_profile.cpp).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lowvolt/accelerator/ecc.h"
#include "lowvolt/app/profile_app.h"
#include "lowvolt/common/error.h"

namespace lowvolt::cli {


namespace {

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
      ("backend", po::value<std::string>()->default_value("rtl"), backend_help(false).c_str())
      ("ecc", po::value<std::string>()->default_value("none"),
       "ECC mode of the backend: none, parity or secded; MBIST also tests that mode's check "
       "cells (ECC bypassed) and reports them beside the data cells; the profile is the data cells'")
      ("out,o", po::value<std::string>(), "measured profile to write (.lvp)")
      ("json", po::bool_switch(), "print JSON instead of text")
      ("quiet", po::bool_switch(), "no progress output");
  const auto vm = parse("lowvolt profile measure",
                        "--chip P --vdd LIST [--backend rtl|golden] [--ecc none|parity|secded] "
                        "-o measured.lvp [--json]",
                        o, args);
  if (!vm) return 0;
  host::MeasureRequest request;
  if (vm->count("chip")) request.chip = (*vm)["chip"].as<std::string>();
  if (vm->count("vdd")) request.vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  if (vm->count("out")) request.out = (*vm)["out"].as<std::string>();
  request.backend = (*vm)["backend"].as<std::string>();
  const bool json = (*vm)["json"].as<bool>();
  request.quiet = (*vm)["quiet"].as<bool>() || json;
  as_usage_error("lowvolt profile measure", [&] {
    request.ecc = accelerator::parse_ecc_mode((*vm)["ecc"].as<std::string>(), "--ecc");
    request.validate();
  });
  register_backends();
  const host::MeasureReport report = host::measure_profile(request);
  const bool check = report.check_cells > 0;
  const auto rate = [](std::uint64_t n, std::uint64_t of) {
    return of ? static_cast<double>(n) / static_cast<double>(of) : 0.0;
  };
  if (json) {
    nlohmann::json j = {{"chip", request.chip},
                        {"backend", report.backend},
                        {"ecc", accelerator::ecc_mode_name(report.ecc)},
                        {"out", request.out},
                        {"observations", report.observations},
                        {"data_cells", report.data_cells},
                        {"check_cells", report.check_cells},
                        {"voltages", nlohmann::json::array()}};
    for (const auto& v : report.voltages) {
      nlohmann::json jv = {{"vdd", v.vdd},
                           {"data_failing", v.data_failing},
                           {"data_rate", rate(v.data_failing, report.data_cells)}};
      if (check) {
        jv["check_failing"] = v.check_failing;
        jv["check_rate"] = rate(v.check_failing, report.check_cells);
        jv["check_predicted"] = v.check_predicted;
        jv["check_predicted_rate"] = rate(v.check_predicted, report.check_cells);
      }
      j["voltages"].push_back(jv);
    }
    print_json(j);
    return 0;
  }
  std::printf("measured %zu voltage(s) on the %s backend: %zu failing-cell observations; wrote %s\n",
              report.vdds.size(), report.backend.c_str(), report.observations, request.out.c_str());
  if (!check) return 0;  // ecc none: the line above, as before --ecc existed
  const std::string mode = accelerator::ecc_mode_name(report.ecc);
  std::printf("\ncheck cells (%s: %u per word, %llu cells) tested raw, ECC bypassed; %s holds the "
              "data cells only\n",
              mode.c_str(), accelerator::ecc_check_bits(report.ecc),
              static_cast<unsigned long long>(report.check_cells), request.out.c_str());
  std::printf("%7s %13s %10s %13s %10s %13s %10s\n", "V/Vmin", "data failing", "data rate",
              "check failing", "check rate", "predicted", "pred. rate");
  for (const auto& v : report.voltages) {
    std::printf("%7.4f %13llu %9.4f%% %13llu %9.4f%% %13llu %9.4f%%\n", v.vdd,
                static_cast<unsigned long long>(v.data_failing),
                100 * rate(v.data_failing, report.data_cells),
                static_cast<unsigned long long>(v.check_failing),
                100 * rate(v.check_failing, report.check_cells),
                static_cast<unsigned long long>(v.check_predicted),
                100 * rate(v.check_predicted, report.check_cells));
  }
  std::printf("predicted: the check cells %s derives (ecc_check_cells) faulty at that supply "
              "(vc > vdd)\n",
              request.out.c_str());
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
  host::CompareRequest request;
  request.a = files[0];
  request.b = files[1];
  if (vm->count("vdd")) request.vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  const host::CompareReport r = [&] {
    try {
      return host::compare_profiles(request);
    } catch (const UsageError& e) {
      throw UsageError(std::string("lowvolt profile compare: ") + e.what());
    }
  }();
  if ((*vm)["json"].as<bool>()) {
    nlohmann::json report = {{"a", r.a}, {"b", r.b}, {"voltages", nlohmann::json::array()}};
    for (const auto& v : r.voltages) {
      report["voltages"].push_back({{"vdd", v.vdd},
                                    {"ber_a", v.ber_a},
                                    {"ber_b", v.ber_b},
                                    {"failing_a", v.failing_a},
                                    {"failing_b", v.failing_b},
                                    {"both", v.both},
                                    {"only_a", v.failing_a - v.both},
                                    {"only_b", v.failing_b - v.both},
                                    {"kind_agreement", v.kind_agreement},
                                    {"always_failing_a", v.always_failing_a},
                                    {"always_failing_found_in_b", v.always_failing_found_in_b},
                                    {"never_failing_a_reported_in_b", v.never_failing_a_reported_in_b},
                                    {"intermittent_a", v.intermittent_a},
                                    {"intermittent_found_in_b", v.intermittent_found_in_b},
                                    {"persistent_agree", v.persistent_agree}});
    }
    report["persistent_agree"] = r.persistent_agree;
    print_json(report);
  } else {
    std::printf("A = %s\nB = %s\n\n", r.a.c_str(), r.b.c_str());
    std::printf("%7s %10s %10s %9s %8s %8s %7s %16s %12s %7s\n", "V/Vmin", "BER A", "BER B",
                "both", "only A", "only B", "kinds", "persistent A→B", "intermittent", "agree");
    for (const auto& v : r.voltages) {
      std::printf("%7.4f %9.4f%% %9.4f%% %9llu %8llu %8llu %6.1f%% %8llu/%-7llu %5llu/%-6llu %7s\n",
                  v.vdd, 100 * v.ber_a, 100 * v.ber_b, static_cast<unsigned long long>(v.both),
                  static_cast<unsigned long long>(v.failing_a - v.both),
                  static_cast<unsigned long long>(v.failing_b - v.both), 100 * v.kind_agreement,
                  static_cast<unsigned long long>(v.always_failing_found_in_b),
                  static_cast<unsigned long long>(v.always_failing_a),
                  static_cast<unsigned long long>(v.intermittent_found_in_b),
                  static_cast<unsigned long long>(v.intermittent_a), v.persistent_agree ? "yes" : "NO");
    }
    std::printf("\npersistent faults of A %s in B (every always-failing cell found, no never-failing "
                "cell reported)\n",
                r.persistent_agree ? "agree exactly" : "DO NOT agree");
  }
  return r.persistent_agree ? 0 : 3;
}

}  // namespace lowvolt::cli
