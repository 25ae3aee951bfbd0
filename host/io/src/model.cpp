#include "lowvolt/io/model.h"

#include <torch/torch.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/model_file.h"
#include "lowvolt/io/script_model.h"
#include "lowvolt/io/tensor_data.h"
#include "lowvolt/nn/script_net.h"
#include "lowvolt/nn/torch_error.h"

namespace lowvolt::host {
namespace {

std::string value_of(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  return it == m.end() ? "" : it->second;
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

void save_model(const Model& model, const std::string& path) {
  if (model.format == "torchscript") {
    save_script_model(model.net, path, make_record(model));
    return;
  }
  ModelFile file = snapshot(model.net, model.quant);
  file.training = model.training;
  file.metrics = model.metrics;
  save_model_file(file, path);
}

Dataset model_dataset(const Model& model, const std::string& dataset, const std::string& data_dir,
                      bool train, std::int64_t subset) {
  return open_dataset(model_dataset_name(model, dataset, train), data_dir, train).head(subset);
}

void check_data_fits(Model& model, const Dataset& data, const std::string& data_name) {
  if (data.size() == 0) fail(data_name, ": the data set is empty");
  try {
    check_image_shape(model.net, data.images, data_name + ": images");
  } catch (const Error& e) {
    fail(e.what(), " (", model.path, ")");
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

}  // namespace lowvolt::host
