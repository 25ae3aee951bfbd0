// `lowvolt eval`: clean test error (TE) and robust test error (RTE) of a model file under random
// bit errors, its own PattBET pattern, or a pattern file. Output keys: docs/cli.md.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lowvolt/app/app.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"
#include "lowvolt/sweep/sweep_units.h"
#include "sweep_cli.h"

namespace lowvolt::cli {

namespace {

/// `lowvolt eval --profile P --vdd V [--mappings K] [--backend B]`: the model under a chip's
/// faults at each supply, over K mapping offsets (host::run_profile_evaluation).
int run_eval_profile(const po::variables_map& vm, const host::SweepContext& sweep,
                     const std::string& path,
                     const host::ModelSource& source, bool json) {
  if (!vm.count("vdd")) throw UsageError("lowvolt eval: '--profile' needs '--vdd'");
  if (!vm["pattern"].as<std::string>().empty() || vm["own-pattern"].as<bool>()) {
    throw UsageError("lowvolt eval: '--profile' excludes '--pattern' and '--own-pattern'");
  }
  host::ProfileEvalRequest request;
  request.model = path;
  request.source = source;
  request.profile = vm["profile"].as<std::string>();
  request.vdds = parse_voltages("vdd", vm["vdd"].as<std::string>());
  request.backend = vm["backend"].as<std::string>();
  request.mappings = vm["mappings"].as<int>();
  request.dataset = vm["dataset"].as<std::string>();
  request.data_dir = vm["data"].as<std::string>();
  request.test_subset = vm["test-subset"].as<std::int64_t>();
  request.batch_size = vm["batch-size"].as<std::int64_t>();
  request.instances = vm["instances"].as<int>();
  request.chip_read = vm["chip-read"].as<std::string>();
  request.quiet = json;
  request.sweep = sweep;
  register_backends();
  as_usage_error("lowvolt eval", [&] { request.validate(); });
  const host::CurveResult r = host::run_profile_evaluation(request);
  if (!sweep.output()) return 0;  // MPI: rank 0 prints
  const host::ModelCurve& m = r.models.front();
  if (json) {
    nlohmann::json j = {{"model", path},
                        {"profile", request.profile},
                        {"backend", r.backend},
                        {"mappings", r.mappings},
                        {"images", r.test_images},
                        {"clean_error", m.clean_error},
                        {"profile_rte", nlohmann::json::array()}};
    for (std::size_t v = 0; v < r.vdds.size(); ++v) {
      const auto& p = m.points[v];
      j["profile_rte"].push_back({{"vdd", p.vdd}, {"ber", r.chips.front().ber[v]},
                                  {"read_ber", p.read_ber}, {"write_ber", p.write_ber},
                                  {"energy", r.energy[v]}, {"mean", p.mean}, {"std", p.std},
                                  {"min", p.min}, {"max", p.max}, {"samples", p.samples}});
    }
    print_json(j);
    return 0;
  }
  std::printf("model %s on chip %s, backend %s, %d mapping(s), %lld test images\n", path.c_str(),
              request.profile.c_str(), r.backend.c_str(), r.mappings,
              static_cast<long long>(r.test_images));
  std::printf("clean test error (TE): %.2f %%\n\n", 100.0 * m.clean_error);
  std::printf("%8s  %10s  %13s  %13s  %9s  %7s  %7s  %7s\n", "V/Vmin", "BER [%]", "read BER [%]",
              "by writes [%]", "RTE [%]", "std", "min", "max");
  for (std::size_t v = 0; v < r.vdds.size(); ++v) {
    const auto& p = m.points[v];
    std::printf("%8.3f  %10.4f  %13.4f  %13.4f  %9.2f  %7.2f  %7.2f  %7.2f\n", p.vdd,
                100.0 * r.chips.front().ber[v], 100.0 * p.read_ber, 100.0 * p.write_ber,
                100.0 * p.mean, 100.0 * p.std, 100.0 * p.min, 100.0 * p.max);
  }
  std::printf("\nBER: the chip's faulty cells; read BER: the model's weight bits a read returns wrong\n"
              "(mean over mappings), of which 'by writes' only the stuck values caught at writes explain\n");
  return 0;
}

/// The memory map (--verbose, --json): tensor, shape, words.
nlohmann::json memory_map_json(const std::vector<host::MemoryEntry>& map) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : map) out.push_back({{"tensor", e.name}, {"shape", e.shape}, {"words", e.words}});
  return out;
}

void print_memory_map(const std::vector<host::MemoryEntry>& map) {
  std::printf("weight memory:\n%-40s  %-20s  %10s\n", "tensor", "shape", "words");
  std::int64_t total = 0;
  for (const auto& e : map) {
    std::string shape;
    for (const auto d : e.shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    std::printf("%-40s  %-20s  %10lld\n", e.name.c_str(), shape.c_str(), static_cast<long long>(e.words));
    total += e.words;
  }
  std::printf("%-40s  %-20s  %10lld\n\n", "total", "", static_cast<long long>(total));
}

/// The options of `lowvolt eval`.
po::options_description eval_options() {
  po::options_description options("eval options");
  options.add_options()
      ("model,m", po::value<std::string>()->required(), "model file (*.lvm or TorchScript)")
      ("quant", po::value<std::string>()->default_value(""),
       "TorchScript model: quantization scheme (default: its LowVolt record, else rquant)")
      ("bits", po::value<int>()->default_value(0),
       "TorchScript model: bits per weight, 2..8 (default: its LowVolt record, else 8)")
      ("memory", po::value<std::string>()->default_value("layers"),
       "TorchScript model: parameters in weight memory: layers (conv/linear) or all")
      ("dataset", po::value<std::string>()->default_value(""),
       "data set name or tensor file *.pt (default: the one the model was trained on)")
      ("data", po::value<std::string>()->default_value(""),
       "data folder (default: /usr/share/datasets/<dataset>)")
      ("test-subset", po::value<std::int64_t>()->default_value(0),
       "evaluate on the first N test images only (0: all)")
      ("p", po::value<std::string>()->default_value("0.1%,0.5%,1%"),
       "bit error rates, e.g. 0.001,0.01 or 0.1%,1%")
      ("samples", po::value<int>()->default_value(50), "bit error samples per rate")
      ("seed", po::value<std::uint64_t>()->default_value(0), "seed of the bit error samples")
      ("own-pattern", po::bool_switch(),
       "PattBET model: its own training pattern at the given rates (≤ its training rate)")
      ("pattern", po::value<std::string>()->default_value(""),
       "evaluate under the fixed pattern in this file instead of random errors")
      ("batch-size", po::value<std::int64_t>()->default_value(0),
       "images per forward pass (0: 100 for torch, 1000 for the golden/rtl backends)")
      ("delta", real(0.01),
       "the bound holds with probability 1 - delta")
      ("rte", po::value<std::string>()->default_value("physical"),
       "RTE printed: physical (perturbed errors, all images) or reference (clean or perturbed "
       "wrong, first --reference-images images: the paper's code); --json has both")
      ("reference-images", po::value<std::int64_t>()->default_value(9000),
       "images of the reference RTE: the first N test images (0: all)")
      ("threads", po::value<int>()->default_value(2),
       "LibTorch intra-op threads (≤ 0: all hardware threads; under MPI the default is the cores per rank)")
      ("profile", po::value<std::string>(),
       "chip profile (.lvp): evaluate under its faults at --vdd instead of random bit errors")
      ("vdd", po::value<std::string>(),
       "with --profile: supply voltages × Vmin, a list or start:stop:step")
      ("mappings", po::value<int>()->default_value(3),
       "with --profile: weight-to-memory mapping offsets K (the samples)")
      ("instances", po::value<int>()->default_value(0),
       "with --profile, golden/rtl: accelerator instances in parallel (0: 2 for golden, 1 for "
       "rtl); a speed knob, results do not depend on it")
      ("chip-read", po::value<std::string>()->default_value("history"),
       "with --profile, torch backend: how the chip is read: history (written at read count 0, read at 1: the "
       "accelerator's per-read statistics) or snapshot (one read at 0, no write: the static "
       "fixed pattern, biased low with intermittent cells)")
      ("backend", po::value<std::string>()->default_value("torch"),
       ("with --profile: " + backend_help(true)).c_str())
      ("verbose", po::bool_switch(), "also print the weight memory map (tensor, shape, words)")
      ("json", po::bool_switch(), "print one JSON object (keys in docs/cli.md)");
  add_sweep_options(options);
  return options;
}

/// The request of `lowvolt eval` without --profile.
host::EvalRequest eval_request(const po::variables_map& vm, const std::string& path,
                               const host::ModelSource& source, bool json) {
  host::EvalRequest request;
  request.model = path;
  request.source = source;
  request.dataset = vm["dataset"].as<std::string>();
  request.data_dir = vm["data"].as<std::string>();
  request.test_subset = vm["test-subset"].as<std::int64_t>();
  request.pattern_file = vm["pattern"].as<std::string>();
  const bool own = vm["own-pattern"].as<bool>();
  if (own && !request.pattern_file.empty()) {
    throw UsageError("lowvolt eval: '--own-pattern' and '--pattern' exclude each other");
  }
  request.errors = own ? "own-pattern" : request.pattern_file.empty() ? "random" : "pattern-file";
  host::EvalOptions& o = request.eval;
  o.samples = vm["samples"].as<int>();
  o.seed = vm["seed"].as<std::uint64_t>();
  const std::int64_t batch_size = vm["batch-size"].as<std::int64_t>();
  if (batch_size != 0) o.batch_size = batch_size;
  o.delta = vm["delta"].as<double>();
  o.reference_images = vm["reference-images"].as<std::int64_t>();
  o.quiet = json;
  if (request.errors != "pattern-file") o.rates = parse_rates("p", vm["p"].as<std::string>());
  as_usage_error("lowvolt eval", [&] { request.validate(); });
  return request;
}

/// eval's result as one JSON object (keys: docs/cli.md).
void print_eval_json(const std::string& path, const host::EvalRequest& request,
                     const host::EvalReport& report, int threads) {
  const host::EvalResult& result = report.result;
  const host::EvalOptions& o = request.eval;
  const std::string& mode = report.errors;
  const double images_per_s = static_cast<double>(result.forward_images) / result.seconds;
  const double outside = 1.0 - result.forward_seconds / result.seconds;
  nlohmann::json j;
  j["model"] = path;
  j["format"] = report.format;
  j["arch"] = report.arch;
  j["quant"] = report.quant;
  j["bits"] = result.bits;
  j["memory"] = report.memory;
  j["memory_words"] = result.memory_words;
  j["memory_map"] = memory_map_json(report.memory_map);
  j["dataset"] = report.dataset;
  j["images"] = result.images;
  j["errors"] = mode;
  j["seed"] = o.seed;
  j["delta"] = o.delta;
  j["threads"] = threads;
  j["clean_error"] = result.clean.error;
  j["clean_confidence"] = result.clean.confidence;
  j["rte_definition"] = "physical";
  j["reference_images"] = result.reference_images;
  j["reference_clean_error"] = result.reference_clean;
  j["rte"] = nlohmann::json::array();
  j["rte_reference"] = nlohmann::json::array();
  for (const auto& r : result.rte) {
    j["rte"].push_back({{"p", r.p},
                        {"mean", r.mean},
                        {"std", r.std},
                        {"min", r.min},
                        {"max", r.max},
                        {"samples", r.samples},
                        {"confidence", r.confidence},
                        {"bound", r.bound},
                        {"errors", r.errors}});
    j["rte_reference"].push_back({{"p", r.p},
                                  {"mean", r.reference_mean},
                                  {"std", r.reference_std},
                                  {"samples", r.samples},
                                  {"images", result.reference_images},
                                  {"errors", r.reference_errors}});
  }
  j["seconds"] = result.seconds;
  j["forward_seconds"] = result.forward_seconds;
  j["forward_images"] = result.forward_images;
  j["images_per_s"] = images_per_s;
  j["outside_forward_fraction"] = outside;
  print_json(j);
}

/// eval's result as tables: TE, then RTE per rate (physical or reference), then the speed.
void print_eval_table(const std::string& path, const host::EvalRequest& request,
                      const host::EvalReport& report, int threads, bool reference, bool verbose) {
  const host::EvalResult& result = report.result;
  const host::EvalOptions& o = request.eval;
  const std::string& mode = report.errors;
  const double images_per_s = static_cast<double>(result.forward_images) / result.seconds;
  const double outside = 1.0 - result.forward_seconds / result.seconds;
  std::printf("model %s: %s, %s, %lld weights in memory; %s, %lld test images\n", path.c_str(),
              report.arch.c_str(), report.quant.c_str(),
              static_cast<long long>(result.memory_words), report.dataset.c_str(),
              static_cast<long long>(result.images));
  if (verbose) print_memory_map(report.memory_map);
  std::printf("clean test error (TE): %.2f %%, mean confidence %.3f\n", 100.0 * result.clean.error,
              result.clean.confidence);
  if (!result.rte.empty()) {
    std::printf("\nerrors: %s%s\n", mode.c_str(),
                mode == "random" ? (", " + std::to_string(o.samples) + " samples, seed " +
                                    std::to_string(o.seed)).c_str()
                                 : "");
    if (reference) {
      std::printf("reference RTE (clean or perturbed wrong), first %lld images; TE there %.2f %%\n",
                  static_cast<long long>(result.reference_images), 100.0 * result.reference_clean);
      std::printf("%10s  %9s  %7s\n", "p [%]", "RTE [%]", "std");
      for (const auto& r : result.rte) {
        std::printf("%10.4g  %9.2f  %7.2f\n", 100.0 * r.p, 100.0 * r.reference_mean,
                    100.0 * r.reference_std);
      }
    }
    if (!reference) std::printf("%10s  %9s  %7s  %7s  %7s  %10s  %9s\n", "p [%]", "RTE [%]", "std", "min", "max",
                "confidence", "bound [%]");
    for (const auto& r : result.rte) {
      if (reference) break;
      std::printf("%10.4g  %9.2f  %7.2f  %7.2f  %7.2f  %10.3f  %9.2f\n", 100.0 * r.p,
                  100.0 * r.mean, 100.0 * r.std, 100.0 * r.min, 100.0 * r.max, r.confidence,
                  100.0 * r.bound);
    }
  }
  std::printf("\n%.0f images/s over %lld forward images (%d threads); %.1f %% of %.2f s outside "
              "forward passes\n",
              images_per_s, static_cast<long long>(result.forward_images), threads,
              100.0 * outside, result.seconds);
}

int run_eval(const Args& args, const std::shared_ptr<host::SweepExecutor>& executor) {
  const po::options_description options = eval_options();
  po::positional_options_description positional;
  positional.add("model", 1);
  const auto parsed = parse("lowvolt eval", "MODEL [options]", options, args, &positional);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const bool json = vm["json"].as<bool>();
  const host::SweepContext sweep = sweep_context(vm, "lowvolt eval", executor);
  const int threads = host::configure_threads(sweep_threads(vm, sweep));
  const std::string path = vm["model"].as<std::string>();
  host::ModelSource source;
  source.quant = vm["quant"].as<std::string>();
  source.bits = vm["bits"].as<int>();
  source.memory = vm["memory"].as<std::string>();
  as_usage_error("lowvolt eval", [&] { source.validate(); });
  if (vm["test-subset"].as<std::int64_t>() < 0) {
    throw UsageError("lowvolt eval: option '--test-subset': " +
                     std::to_string(vm["test-subset"].as<std::int64_t>()) + " is negative (0 = all)");
  }
  if (vm.count("profile")) return run_eval_profile(vm, sweep, path, source, json);
  if (!vm["backend"].defaulted() || vm.count("vdd")) {
    throw UsageError("lowvolt eval: '--backend' and '--vdd' need '--profile'");
  }
  const std::string rte_definition = vm["rte"].as<std::string>();
  if (rte_definition != "physical" && rte_definition != "reference") {
    throw UsageError("lowvolt eval: option '--rte': expected physical or reference, got '" +
                     rte_definition + "'");
  }
  host::EvalRequest request = eval_request(vm, path, source, json);
  request.eval.sweep = sweep;
  const host::EvalReport report = host::run_evaluation(request);
  if (!sweep.output()) return 0;  // MPI: rank 0 prints
  if (json) {
    print_eval_json(path, request, report, threads);
  } else {
    print_eval_table(path, request, report, threads, rte_definition == "reference",
                     vm["verbose"].as<bool>());
  }
  return 0;
}

}  // namespace

void register_eval_command(Registry& registry,
                           const std::shared_ptr<host::SweepExecutor>& executor) {
  registry.add({"eval", "test error and robust test error of a model under bit errors",
                [executor](const Args& args) { return run_eval(args, executor); }});
}

}  // namespace lowvolt::cli
