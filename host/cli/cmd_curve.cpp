// `lowvolt curve`: energy/error curves over the supply voltage (host/curve.h), as a table,
// JSON, CSV and gnuplot plots (the paper's Figure 1 and RTE against voltage).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/host/curve.h"
#include "lowvolt/host/runtime.h"
#include "plot.h"

namespace lowvolt::cli {

void register_backends();  // backends.cpp

namespace {

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

nlohmann::json to_json(const host::CurveResult& r) {
  nlohmann::json j;
  j["backend"] = r.backend;
  j["vdds"] = r.vdds;
  j["energy"] = r.energy;
  j["budgets"] = r.budgets;
  j["mappings"] = r.mappings;
  j["test_images"] = r.test_images;
  j["weight_reads_per_inference"] = r.weight_reads;
  j["seconds"] = r.seconds;
  j["chips"] = nlohmann::json::array();
  for (const auto& c : r.chips) j["chips"].push_back({{"name", c.name}, {"ber", c.ber}});
  j["models"] = nlohmann::json::array();
  for (const auto& m : r.models) {
    nlohmann::json model = {{"name", m.name}, {"quant", m.quant}, {"clean_error", m.clean_error}};
    model["points"] = nlohmann::json::array();
    for (const auto& p : m.points) {
      model["points"].push_back({{"vdd", p.vdd}, {"mean", p.mean}, {"std", p.std}, {"min", p.min},
                                 {"max", p.max}, {"samples", p.samples}, {"errors", p.errors}});
    }
    model["operating_points"] = nlohmann::json::array();
    for (const auto& op : m.operating) {
      nlohmann::json point = {{"budget", op.budget}, {"found", op.found}};
      if (op.found) {
        point["vdd"] = op.vdd;
        point["rte"] = op.rte;
        point["energy_saved"] = op.energy_saved;
      }
      model["operating_points"].push_back(std::move(point));
    }
    j["models"].push_back(std::move(model));
  }
  return j;
}

std::string to_csv(const host::CurveResult& r) {
  std::ostringstream out;
  out << "model,vdd,ber_mean,energy,clean_error,rte_mean,rte_std,rte_min,rte_max,samples\n";
  for (const auto& m : r.models) {
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      double ber = 0;
      for (const auto& c : r.chips) ber += c.ber[v];
      ber /= static_cast<double>(r.chips.size());
      const auto& p = m.points[v];
      out << m.name << ',' << fmt("%.4f", r.vdds[v]) << ',' << fmt("%.6g", ber) << ','
          << fmt("%.6f", r.energy[v]) << ',' << fmt("%.6f", m.clean_error) << ','
          << fmt("%.6f", p.mean) << ',' << fmt("%.6f", p.std) << ',' << fmt("%.6f", p.min) << ','
          << fmt("%.6f", p.max) << ',' << p.samples << '\n';
    }
  }
  return out.str();
}

void print_table(const host::CurveResult& r) {
  std::printf("backend %s, %d mapping(s) × %zu chip(s), %lld test images\n", r.backend.c_str(),
              r.mappings, r.chips.size(), static_cast<long long>(r.test_images));
  std::printf("\n%8s %9s", "V/Vmin", "energy");
  for (const auto& c : r.chips) std::printf(" %14.14s", ("BER " + c.name).c_str());
  for (const auto& m : r.models) std::printf(" %22.22s", ("RTE % " + m.name).c_str());
  std::printf("\n");
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    std::printf("%8.3f %9.3f", r.vdds[v], r.energy[v]);
    for (const auto& c : r.chips) std::printf(" %13.4f%%", 100.0 * c.ber[v]);
    for (const auto& m : r.models) {
      const auto& p = m.points[v];
      std::printf(" %14.2f ± %5.2f", 100.0 * p.mean, 100.0 * p.std);
    }
    std::printf("\n");
  }
  std::printf("\n");
  for (const auto& m : r.models) {
    std::printf("%s (%s): clean TE %.2f %%\n", m.name.c_str(), m.quant.c_str(),
                100.0 * m.clean_error);
    for (const auto& op : m.operating) {
      if (op.found) {
        std::printf("  within %.2f points: lowest voltage %.3f × Vmin (RTE %.2f %%), energy saved %.1f %%\n",
                    100.0 * op.budget, op.vdd, 100.0 * op.rte, 100.0 * op.energy_saved);
      } else {
        std::printf("  within %.2f points: no grid voltage qualifies\n", 100.0 * op.budget);
      }
    }
  }
  std::printf("(%.1f s)\n", r.seconds);
}

/// Voltage tic step giving at most 6 tics over the swept range: 1, 2 or 5 × 10^k (gnuplot's own
/// choice crowded the half-width panels into "0.980.960.94").
double tic_step(const std::vector<double>& vdds) {
  const auto [lo, hi] = std::minmax_element(vdds.begin(), vdds.end());
  const double span = *hi - *lo;
  if (!(span > 0.0)) return 0.1;
  const double raw = span / 6.0;
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw) return m * decade;
  }
  return 10.0 * decade;
}

void plot_curve(const host::CurveResult& r, const std::string& output) {
  std::map<std::string, std::string> data;
  std::ostringstream script;
  script << "set multiplot layout 1,2\nset grid\nset key top right\n"
         << "set xlabel 'supply voltage (× Vmin)'\nset xrange [*:*] reverse\n"
         << "set xtics " << fmt("%.6g", tic_step(r.vdds)) << "\n";
  // Left: BER (log) of every chip and energy per inference (right axis): Figure 1.
  std::ostringstream ber;
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    ber << fmt("%.6g", r.vdds[v]) << ' ' << fmt("%.6g", r.energy[v]);
    for (const auto& c : r.chips) {
      ber << ' ' << (c.ber[v] > 0 ? fmt("%.6g", 100.0 * c.ber[v]) : std::string("NaN"));
    }
    ber << '\n';
  }
  data["ber.dat"] = ber.str();
  script << "set title 'bit error rate and energy per inference'\n"
         << "set ylabel 'bit error rate (%)'\nset logscale y\nset format y '10^{%L}'\n"
         << "set ytics nomirror\nset y2tics\nset y2label 'energy (× E at Vmin)'\nplot ";
  for (std::size_t c = 0; c < r.chips.size(); ++c) {
    script << "'ber.dat' using 1:" << 3 + c << " with linespoints lw 2 pt 7 title 'BER "
           << r.chips[c].name << "' noenhanced, ";
  }
  script << "'ber.dat' using 1:2 axes x1y2 with lines lw 2 dt 2 lc rgb 'black' title 'energy'\n";
  // Right: RTE with a ±std band per model and each model's TE + budget.
  script << "unset logscale y\nunset y2tics\nunset y2label\nset format y '%g'\n"
         << "set title 'robust test error (mean ± std over chips × mappings)'\n"
         << "set ylabel 'test error (%)'\nset key top left\nplot ";
  for (std::size_t m = 0; m < r.models.size(); ++m) {
    std::ostringstream rows;
    for (const auto& p : r.models[m].points) {
      rows << fmt("%.6g", p.vdd) << ' ' << fmt("%.6g", 100.0 * p.mean) << ' '
           << fmt("%.6g", 100.0 * (p.mean - p.std)) << ' ' << fmt("%.6g", 100.0 * (p.mean + p.std))
           << ' ' << fmt("%.6g", 100.0 * (r.models[m].clean_error + r.budgets.front())) << '\n';
    }
    const std::string file = "model" + std::to_string(m) + ".dat";
    data[file] = rows.str();
    const int color = static_cast<int>(m) + 1;
    script << (m ? ", " : "") << "'" << file
           << "' using 1:3:4 with filledcurves fs transparent solid 0.2 lc " << color
           << " notitle, '" << file << "' using 1:2 with linespoints lw 2 pt 7 lc " << color
           << " title '" << r.models[m].name << "' noenhanced, '" << file
           << "' using 1:5 with lines dt 3 lc " << color << " notitle";
  }
  script << "\nunset multiplot\n";
  run_gnuplot("--plot", output, 1200, 480, data, script.str());
}

int run_curve(const Args& args) {
  po::options_description o("curve options");
  o.add_options()
      ("model", po::value<std::vector<std::string>>()->composing(), "trained model (.lvm); repeat for several")
      ("profile", po::value<std::vector<std::string>>()->composing(), "chip profile (.lvp); repeat for several")
      ("vdd", po::value<std::string>()->default_value("1.0:0.70:0.01"),
       "voltage grid × Vmin: start:stop:step or a list")
      ("backend", po::value<std::string>()->default_value("torch"),
       "torch (fake quantization), golden (accelerator model) or rtl (Verilated RTL, slow)")
      ("mappings", po::value<int>()->default_value(3), "weight-to-memory mapping offsets per chip (K)")
      ("budget", po::value<std::string>()->default_value("1"),
       "allowed RTE above clean TE, in points (%); a list gives one operating point each")
      ("data", po::value<std::string>()->default_value(""), "MNIST-format test data folder (default: the model's data set)")
      ("test-subset", po::value<std::int64_t>()->default_value(0), "first N test images (0 = all)")
      ("batch-size", po::value<std::int64_t>()->default_value(0),
       "images per forward pass (0: 100 for torch, 1000 for the golden/rtl backends)")
      ("threads", po::value<int>()->default_value(2), "LibTorch threads (≤ 0: all)")
      ("instances", po::value<int>()->default_value(0),
       "golden/rtl: accelerator instances in parallel (0: 2 for golden, 1 for rtl)")
      ("json", po::bool_switch(), "print one JSON object instead of the table")
      ("csv", po::value<std::string>(), "also write the curve as CSV to FILE")
      ("plot", po::value<std::string>(), "also plot to FILE.svg or FILE.png (gnuplot)")
      ("quiet", po::bool_switch(), "no progress bar");
  const auto vm = parse("lowvolt curve",
                        "--model M [--model M2 ...] --profile P [--profile P2 ...] [--vdd 1.0:0.7:0.01] "
                        "[--backend torch|golden] [--mappings K] [--budget 1.0] [--json] [--csv F] [--plot F]",
                        o, args);
  if (!vm) return 0;
  host::CurveOptions options;
  if (vm->count("model")) options.models = (*vm)["model"].as<std::vector<std::string>>();
  if (vm->count("profile")) options.profiles = (*vm)["profile"].as<std::vector<std::string>>();
  options.vdds = parse_voltages("vdd", (*vm)["vdd"].as<std::string>());
  options.backend = (*vm)["backend"].as<std::string>();
  options.mappings = (*vm)["mappings"].as<int>();
  // Points are percentages of test error: "1,2.5" → 0.01, 0.025 (parse_rates checks [0, 1]).
  std::string budgets;
  for (const char c : (*vm)["budget"].as<std::string>()) budgets += c == ',' ? std::string("%,") : std::string(1, c);
  options.budgets = parse_rates("budget", budgets + "%");
  options.data_dir = (*vm)["data"].as<std::string>();
  options.test_subset = (*vm)["test-subset"].as<std::int64_t>();
  options.batch_size = (*vm)["batch-size"].as<std::int64_t>();
  options.instances = (*vm)["instances"].as<int>();
  const bool json = (*vm)["json"].as<bool>();
  options.quiet = (*vm)["quiet"].as<bool>() || json;
  if (options.models.empty()) throw UsageError("lowvolt curve: option '--model' is required");
  if (options.profiles.empty()) throw UsageError("lowvolt curve: option '--profile' is required");
  host::configure_threads((*vm)["threads"].as<int>());
  register_backends();

  const host::CurveResult result = host::sweep_curve(options);
  if (vm->count("csv")) write_file_atomic((*vm)["csv"].as<std::string>(), to_csv(result));
  if (vm->count("plot")) plot_curve(result, (*vm)["plot"].as<std::string>());
  if (json) {
    std::cout << to_json(result).dump(2) << '\n';
  } else {
    print_table(result);
  }
  return 0;
}

}  // namespace

void register_curve_command(Registry& registry) {
  registry.add({"curve", "energy/error curves over the supply voltage; pick an operating voltage",
                run_curve});
}

}  // namespace lowvolt::cli
