#include "lowvolt/host/app.h"

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/host/bit_errors.h"
#include "lowvolt/host/model_file.h"
#include "lowvolt/host/script_model.h"
#include "lowvolt/host/tensor_data.h"
#include "lowvolt/host/weight_memory.h"
#include "torch_error.h"

namespace lowvolt::host {
namespace {

std::string value_of(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

std::string training_value(const Model& model, const std::string& key) {
  const auto it = model.training.find(key);
  if (it == model.training.end()) fail(model.path, ": model has no training option \"", key, "\"");
  return it->second;
}

/// Reads the "lowvolt.json" record of a TorchScript file LowVolt trained (empty: none).
void apply_record(Model& model, const std::string& record, const ModelSource& source) {
  std::string quant = "rquant";
  int bits = 8;
  if (!record.empty()) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(record);
      quant = j.at("quant").get<std::string>();
      bits = j.at("bits").get<int>();
      for (const auto& [k, v] : j.at("training").items()) model.training[k] = v.get<std::string>();
      for (const auto& [k, v] : j.at("metrics").items()) model.metrics[k] = v.get<double>();
    } catch (const nlohmann::json::exception& e) {
      fail(model.path, ": its lowvolt.json record is malformed: ", e.what());
    }
  }
  if (!source.quant.empty()) quant = source.quant;
  if (source.bits != 0) bits = source.bits;
  try {
    model.quant = QuantScheme::preset(quant, bits);
  } catch (const Error& e) {
    fail(model.path, ": ", e.what());
  }
}

/// The record save_script_model() stores: quantization, memory rule, training options, metrics.
std::string make_record(const Model& model) {
  nlohmann::json j;
  j["format"] = "lowvolt-torchscript";
  j["version"] = 1;
  j["quant"] = model.quant.name();
  j["bits"] = model.quant.bits;
  j["memory"] = model.memory;
  j["memory_tensors"] = model.net->memory_parameter_names();
  j["training"] = model.training;
  j["metrics"] = model.metrics;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// Runs an options struct's validate(): its lowvolt::Error names an option, so it is a UsageError.
void as_usage_error(const std::function<void()>& validate) {
  try {
    validate();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

void check_subset(const char* option, std::int64_t n) {
  if (n < 0) throw UsageError(std::string("option '--") + option + "': " + std::to_string(n) + " is negative (0 = all)");
}

}  // namespace

void ModelSource::validate() const {
  if (!quant.empty()) {
    const auto names = QuantScheme::preset_names();
    if (std::find(names.begin(), names.end(), quant) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      throw UsageError("option '--quant': unknown scheme '" + quant + "' (known: " + known + ")");
    }
  }
  if (bits != 0 && (bits < 2 || bits > 8)) {
    throw UsageError("option '--bits': " + std::to_string(bits) + " is outside 2…8");
  }
  if (memory != "layers" && memory != "all") {
    throw UsageError("option '--memory': expected layers or all, got '" + memory + "'");
  }
}

std::string Model::arch() const { return format == "lvm" ? net->config.arch : "torchscript"; }

std::string Model::dataset() const { return value_of(training, "dataset"); }

std::vector<MemoryEntry> Model::memory_map() const {
  std::vector<MemoryEntry> out;
  const auto tensors = net->memory_parameters();
  const auto names = net->memory_parameter_names();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    MemoryEntry e;
    e.name = names.at(i);
    e.shape = tensors[i].sizes().vec();
    e.words = tensors[i].numel();
    out.push_back(std::move(e));
  }
  return out;
}

Model load_model(const std::string& path, const ModelSource& source) {
  source.validate();
  Model model;
  model.path = path;
  // Regular files only: peeking at a FIFO's first bytes would block (and a device is no model).
  check_input_file(path);
  if (looks_like_torchscript(path)) {
    model.format = "torchscript";
    auto script = load_script_model(path, parse_memory_rule(source.memory));
    model.net = script.net;
    model.memory = memory_rule_name(script.memory);
    apply_record(model, script.record, source);
  } else {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    if (in && std::string(magic, 8) != "LVMODEL1") {
      fail(path, ": neither a LowVolt model file (.lvm: magic \"LVMODEL1\" missing) nor a TorchScript "
           "archive (torch.jit.save)");
    }
    model.format = "lvm";
    if (source.memory != "layers") {
      throw UsageError("option '--memory': a .lvm model's memory is fixed (its conv/linear layers); "
                       "--memory all applies to TorchScript models");
    }
    ModelFile file = load_model_file(path);
    if ((!source.quant.empty() && source.quant != file.quant.name()) ||
        (source.bits != 0 && source.bits != file.quant.bits)) {
      throw UsageError("options '--quant'/'--bits': " + path + " was trained for " +
                       file.quant.name() + "/" + std::to_string(file.quant.bits) +
                       " (a .lvm file carries its own quantization)");
    }
    model.net = instantiate(file);
    model.quant = file.quant;
    model.training = file.training;
    model.metrics = file.metrics;
  }
  model.net->eval();
  return model;
}

std::string model_dataset_name(const Model& model, const std::string& dataset, bool train) {
  std::string name = dataset;
  if (name.empty() && !train) name = value_of(model.training, "test_dataset");
  if (name.empty()) name = model.dataset();
  if (name.empty()) name = "fashion-mnist";
  return name;
}

Dataset model_dataset(const Model& model, const std::string& dataset, const std::string& data_dir,
                      bool train, std::int64_t subset) {
  return open_dataset(model_dataset_name(model, dataset, train), data_dir, train).head(subset);
}

void check_data_fits(Model& model, const Dataset& data, const std::string& data_name) {
  if (data.size() == 0) fail(data_name, ": the data set is empty");
  const ModelConfig& c = model.net->config;
  if (c.channels > 0 && (data.images.size(1) != c.channels || data.images.size(2) != c.height ||
                         data.images.size(3) != c.width_px)) {
    fail(data_name, ": images are ", data.images.sizes().slice(1), ", the model expects ", c.channels,
         "×", c.height, "×", c.width_px, " (", model.path, ")");
  }
  torch::NoGradGuard no_grad;
  const bool was_training = model.net->is_training();
  model.net->eval();
  torch::Tensor logits;
  try {
    logits = model.net->forward(data.images.narrow(0, 0, 1));
  } catch (const ScriptForwardError& e) {
    model.net->train(was_training);
    const std::string what = e.what();
    const auto reason = what.find(": ", what.find("forward() failed on input"));
    fail(data_name, ": images of shape ", data.images.sizes().slice(1), " do not fit ", model.path,
         ": ", reason == std::string::npos ? what : what.substr(reason + 2));
  } catch (const Error&) {
    model.net->train(was_training);
    throw;
  } catch (const std::exception& e) {
    model.net->train(was_training);
    fail(data_name, ": images of shape ", data.images.sizes().slice(1), " do not fit ", model.path,
         ": ", torch_error_line(e));
  }
  model.net->train(was_training);
  const std::int64_t classes = logits.size(1);
  const std::int64_t high = data.labels.max().item<std::int64_t>();
  if (high >= classes || data.labels.min().item<std::int64_t>() < 0) {
    fail(data_name, ": label ", high, " is out of range for ", model.path, ", which has ", classes,
         " outputs");
  }
}

void EvalRequest::validate() const {
  source.validate();
  check_subset("test-subset", test_subset);
  if (errors != "random" && errors != "own-pattern" && errors != "pattern-file") {
    throw UsageError("errors: expected random, own-pattern or pattern-file, got '" + errors + "'");
  }
  if ((errors == "pattern-file") != !pattern_file.empty()) {
    throw UsageError("option '--pattern': a pattern file goes with the pattern-file errors only");
  }
  as_usage_error([&] { eval.validate(); });
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
  as_usage_error([&] { train.validate(); });
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
  report.history = train(model.net, train_set, o, on_epoch);
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
  if (model.format == "torchscript") {
    save_script_model(model.net, request.out, make_record(model));
  } else {
    ModelFile file = snapshot(model.net, o.quant);
    file.training = model.training;
    file.metrics = model.metrics;
    save_model_file(file, request.out);
  }
  if (!request.save_pattern.empty()) {
    FixedPattern::random(memory_numel(model.net), o.quant.bits, BitErrorRates::uniform(o.p),
                         pattern_seed(o))
        .save(request.save_pattern);
  }
  return report;
}

}  // namespace lowvolt::host
