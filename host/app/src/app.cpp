#include "lowvolt/app/app.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "lowvolt/chip/chip_pattern.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/io/model.h"
#include "lowvolt/io/tensor_data.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/run/curve.h"
#include "lowvolt/run/evaluate.h"
#include "lowvolt/run/train.h"

namespace lowvolt::host {
namespace {

std::string training_value(const Model& model, const std::string& key) {
  const auto it = model.training.find(key);
  if (it == model.training.end()) fail(model.path, ": model has no training option \"", key, "\"");
  return it->second;
}

void check_subset(const char* option, std::int64_t n) {
  if (n < 0) throw UsageError(std::string("option '--") + option + "': " + std::to_string(n) + " is negative (0 = all)");
}

}  // namespace

void EvalRequest::validate() const {
  source.validate();
  check_subset("test-subset", test_subset);
  if (errors != "random" && errors != "own-pattern" && errors != "pattern-file") {
    throw UsageError("errors: expected random, own-pattern or pattern-file, got '" + errors + "'");
  }
  if ((errors == "pattern-file") != !pattern_file.empty()) {
    throw UsageError("option '--pattern': a pattern file goes with the pattern-file errors only");
  }
  as_usage_error("", [&] { eval.validate(); });
}

EvalReport run_evaluation(const EvalRequest& request) {
  request.validate();
  Model model = load_model(request.model, request.source);
  EvalReport report;
  report.model = request.model;
  report.format = model.format;
  report.arch = model.arch();
  report.quant = model.quant.name();
  report.memory = model.memory;
  report.memory_map = model.memory_map();
  report.errors = request.errors;
  const Dataset test = model_dataset(model, request.dataset, request.data_dir, false, request.test_subset);
  report.dataset = test.name;
  check_data_fits(model, test, report.dataset);

  EvalOptions o = request.eval;
  if (request.errors == "pattern-file") {
    const auto pattern = FixedPattern::load(request.pattern_file);
    const std::int64_t words = memory_numel(model.net);
    if (pattern.numel() != words || pattern.bits() != model.quant.bits) {
      fail(request.pattern_file, ": pattern covers ", pattern.numel(), " words of ", pattern.bits(),
           " bits, the model's memory is ", words, " words of ", model.quant.bits, " bits");
    }
    o.samples = 1;
    o.rates = {static_cast<double>(pattern.faulty_cells()) /
               (static_cast<double>(words) * model.quant.bits)};
    report.result = evaluate_with(model.net, model.quant, test, o,
                                  [&](const torch::Tensor& codes, int, std::size_t) {
                                    return pattern.apply(codes);
                                  });
  } else if (request.errors == "own-pattern") {
    if (training_value(model, "method") != "pattbet") {
      fail(model.path, ": '--own-pattern' needs a PattBET model, this one was trained with ",
           training_value(model, "method"));
    }
    if (model.training.count("pattern_profile")) {
      fail(model.path, ": its pattern is chip ", model.training.at("pattern_profile"), " at ",
           model.training.at("pattern_vdd"), " × Vmin; evaluate it with --profile and --vdd");
    }
    const std::string p_text = training_value(model, "p");
    const std::string seed_text = training_value(model, "pattern_seed");
    const auto rate = parse_real(p_text);
    if (!rate || !(*rate > 0.0 && *rate <= 1.0)) {
      fail(model.path, ": training option \"p\" = '", p_text, "' is not a bit error rate in (0, 1]");
    }
    const auto seed = parse_unsigned(seed_text);
    if (!seed) {
      fail(model.path, ": training option \"pattern_seed\" = '", seed_text, "' is not an unsigned integer");
    }
    for (const double p : o.rates) {
      if (p > *rate) {
        throw UsageError("option '--p': rate " + std::to_string(p) +
                         " exceeds the model's pattern rate " + std::to_string(*rate) +
                         " (its own pattern has no errors beyond it)");
      }
    }
    o.samples = 1;
    const RandomBitErrors pattern = pattbet_pattern(model.net, model.quant.bits, *rate, *seed);
    report.result = evaluate_with(model.net, model.quant, test, o,
                                  [&](const torch::Tensor& codes, int, std::size_t r) {
                                    return pattern.apply(codes, o.rates[r]);
                                  });
  } else {
    report.result = evaluate(model.net, model.quant, test, o);
  }
  return report;
}

CurveOptions ProfileEvalRequest::curve_options() const {
  CurveOptions o;
  o.models = {model};
  o.source = source;
  o.profiles = {profile};
  o.vdds = vdds;
  o.backend = backend;
  o.mappings = mappings;
  o.dataset = dataset;
  o.data_dir = data_dir;
  o.test_subset = test_subset;
  o.batch_size = batch_size;
  o.instances = instances;
  o.chip_read = chip_read;
  o.quiet = quiet;
  o.sweep = sweep;
  return o;
}

void ProfileEvalRequest::validate() const {
  source.validate();
  check_subset("test-subset", test_subset);
  as_usage_error("", [&] { curve_options().validate(); });
}

CurveResult run_profile_evaluation(const ProfileEvalRequest& request) {
  request.validate();
  return sweep_curve(request.curve_options());
}

void TrainRequest::set_quantization(const std::string& name, int bits,
                                    const std::string& variants) {
  const std::string scheme = !name.empty() ? name : init.empty() ? "normal" : "rquant";
  as_usage_error("", [&] {
    train.quant = QuantScheme::preset(scheme, bits);
    if (!variants.empty()) train.quant.set_variants(variants);
  });
  train.quant.wmax = train.wmax;
}

void TrainRequest::validate() const {
  source.validate();
  check_subset("train-subset", train_subset);
  check_subset("test-subset", test_subset);
  if (augment != "on" && augment != "off" && augment != "auto") {
    throw UsageError("option '--augment': expected on, off or auto, got '" + augment + "'");
  }
  if (!save_pattern.empty() && train.method != "pattbet") {
    throw UsageError("option '--save-pattern' needs '--method pattbet'");
  }
  if (!save_pattern.empty() && !train.pattern_profile.empty()) {
    throw UsageError("option '--save-pattern' writes random patterns; a chip pattern is the "
                     "profile itself (--profile)");
  }
  if (is_tensor_dataset(dataset) && test_dataset.empty()) {
    throw UsageError("option '--test-dataset': a tensor training set (" + dataset +
                     ") needs a tensor test set");
  }
  if (!init.empty() && train.quant.variants() != "none") {
    throw UsageError("option '--quant-variant': reference variants apply to .lvm models, not to "
                     "--init TorchScript models");
  }
  if (!init.empty() && (source.quant.size() || source.bits)) {
    throw UsageError("options '--quant'/'--bits' of a trained model come from the training options");
  }
  as_usage_error("", [&] { train.validate(); });
}

TrainReport run_training(const TrainRequest& request,
                         const std::function<void(const TrainReport&)>& on_start,
                         const std::function<void(const EpochStats&)>& on_epoch) {
  request.validate();
  for (const std::string& path : {request.out, request.train.checkpoint, request.save_pattern}) {
    if (!path.empty()) check_output_path(path);
  }
  TrainOptions o = request.train;
  TrainReport report;
  report.out = request.out;

  const std::string test_name = request.test_dataset.empty() ? request.dataset : request.test_dataset;
  const Dataset train_set = open_dataset(request.dataset, request.data_dir, true).head(request.train_subset);
  const Dataset test_set = open_dataset(test_name, request.data_dir, false).head(request.test_subset);
  o.augment = request.augment == "on" || (request.augment == "auto" && request.dataset == "cifar10");

  Model model;
  if (request.init.empty()) {
    ModelConfig config = request.config;
    config.channels = train_set.images.size(1);
    config.height = train_set.images.size(2);
    config.width_px = train_set.images.size(3);
    config.classes = train_set.classes;
    config.validate();
    torch::manual_seed(o.seed);
    model.path = request.out;
    model.format = "lvm";
    model.net = Net(config);
  } else {
    ModelSource source = request.source;
    source.quant = o.quant.name();
    source.bits = o.quant.bits;
    model = load_model(request.init, source);
    if (model.format != "torchscript") {
      throw UsageError("option '--init': " + request.init +
                       " is a .lvm model; --init takes a TorchScript model (a .lvm model is "
                       "retrained from its architecture with --arch)");
    }
    torch::manual_seed(o.seed);
  }
  model.quant = o.quant;
  check_data_fits(model, train_set, request.dataset);
  check_data_fits(model, test_set, test_name);
  report.format = model.format;
  report.arch = model.arch();
  report.memory_words = memory_numel(model.net);
  report.train_size = train_set.size();
  report.test_size = test_set.size();
  if (on_start) on_start(report);

  const auto start = std::chrono::steady_clock::now();
  std::optional<ChipPattern> chip;  // PattBET on a chip: the chip's fixed errors
  if (o.method == "pattbet" && !o.pattern_profile.empty()) {
    chip.emplace(model.net, o.quant.bits, o.pattern_profile, o.pattern_vdd, o.pattern_mapping,
                 o.pattern_mappings);
  }
  const ChipErrors chip_errors =
      chip ? ChipErrors([&chip](const torch::Tensor& codes) { return chip->apply(codes); }) : nullptr;
  report.history = train(model.net, train_set, o, on_epoch, chip_errors);
  model.net->eval();
  if (model.format == "torchscript") {
    // A TorchScript file is for PyTorch as well as for LowVolt: it holds the weights as the
    // accelerator stores them (quantized, then dequantized), so PyTorch's forward pass equals
    // LowVolt's clean quantized evaluation (re-quantizing them gives the same codes).
    torch::NoGradGuard no_grad;
    const WeightMemory memory(o.quant, model.net->memory_parameters());
    memory.load(memory.codes(), model.net->memory_parameters());
  }
  EvalOptions eval_options;
  eval_options.quiet = true;
  report.test = evaluate(model.net, o.quant, test_set, eval_options).clean;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  model.training = o.describe();
  model.training.erase("checkpoint");
  model.training.erase("resume");
  model.training.erase("quiet");
  model.training["dataset"] = request.dataset;
  if (!request.test_dataset.empty()) model.training["test_dataset"] = request.test_dataset;
  model.training["train_size"] = std::to_string(train_set.size());
  if (!request.init.empty()) {
    model.training["init"] = std::filesystem::path(request.init).filename().string();
    model.training["memory"] = model.memory;
  }
  if (o.method == "pattbet" && o.pattern_profile.empty()) {
    model.training["pattern_seed"] = std::to_string(pattern_seed(o));
  }
  double train_seconds = 0.0;
  for (const auto& s : report.history) train_seconds += s.seconds;
  model.metrics = {{"test_error", report.test.error},
                   {"test_confidence", report.test.confidence},
                   {"test_size", static_cast<double>(test_set.size())},
                   {"train_loss", report.history.back().loss},
                   {"train_error", report.history.back().error},
                   {"train_seconds", train_seconds}};
  save_model(model, request.out);
  if (!request.save_pattern.empty()) {
    FixedPattern::random(memory_numel(model.net), o.quant.bits, BitErrorRates::uniform(o.p),
                         pattern_seed(o))
        .save(request.save_pattern);
  }
  return report;
}

}  // namespace lowvolt::host
