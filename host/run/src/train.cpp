#include "lowvolt/run/train.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/progress.h"
#include "lowvolt/common/seed.h"
#include "lowvolt/io/torch_archive_check.h"
#include "lowvolt/nn/bit_errors.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/profiles/read_model.h"

namespace lowvolt::host {
namespace {

/// Shortest decimal text that reads back as exactly `value` ("0.05", not "0.050000000000000003").
std::string format_number(double value) {
  for (int precision = 6; precision <= 17; ++precision) {
    std::ostringstream out;
    out.precision(precision);
    out << value;
    if (std::stod(out.str()) == value) return out.str();
  }
  return std::to_string(value);
}

nlohmann::json to_json(const EpochStats& s) {
  return {{"epoch", s.epoch},   {"lr", s.lr},         {"loss", s.loss},
          {"error", s.error},   {"perturbed_loss", s.perturbed_loss},
          {"injected_steps", s.injected_steps}, {"seconds", s.seconds},
          {"images_per_s", s.images_per_s}};
}

EpochStats from_json(const nlohmann::json& j) {
  EpochStats s;
  s.epoch = j.at("epoch").get<int>();
  s.lr = j.at("lr").get<double>();
  s.loss = j.at("loss").get<double>();
  s.error = j.at("error").get<double>();
  s.perturbed_loss = j.at("perturbed_loss").get<double>();
  s.injected_steps = j.at("injected_steps").get<std::int64_t>();
  s.seconds = j.at("seconds").get<double>();
  s.images_per_s = j.at("images_per_s").get<double>();
  return s;
}

/// The options that must match for a checkpoint to be resumed (everything that changes weights).
std::string fingerprint(const TrainOptions& o, const Net& net, std::int64_t train_size) {
  auto d = o.describe();
  d.erase("checkpoint");
  d.erase("resume");
  d.erase("quiet");
  nlohmann::json j = d;
  j["arch"] = net->config.arch;
  j["norm"] = net->config.norm;
  j["model_width"] = net->config.width;
  j["train_size"] = train_size;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

torch::Tensor loss_of(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing) {
  return torch::nn::functional::cross_entropy(
      logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(smoothing));
}

struct Checkpoint {
  int next_epoch = 0;
  bool injecting = false;
  std::vector<EpochStats> history;
};

void save_checkpoint(const std::string& path, Net& net, torch::optim::SGD& optimizer,
                     const Checkpoint& state, const std::string& print) {
  torch::serialize::OutputArchive archive;
  net->save(archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  nlohmann::json history = nlohmann::json::array();
  for (const auto& s : state.history) history.push_back(to_json(s));
  const nlohmann::json meta = {{"next_epoch", state.next_epoch},
                               {"injecting", state.injecting},
                               {"history", history},
                               {"fingerprint", print}};
  archive.write("lowvolt_state",
                c10::IValue(meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  write_file_atomic(path, [&](std::ostream& out) { archive.save_to(out); });
}

Checkpoint load_checkpoint(const std::string& path, Net& net, torch::optim::SGD& optimizer,
                           const std::string& print) {
  // Checked before LibTorch reads it (torch_archive_check.h): its reader trusts stated sizes.
  std::string bytes;
  try {
    bytes = without_debug_records(path, read_checked_torch_archive(path));
  } catch (const Error& e) {
    std::string why = e.what();
    if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);
    fail(path, ": not a LowVolt checkpoint (", why, ")");
  }
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error& e) {
    fail(path, ": not a LowVolt checkpoint (LibTorch cannot read it)");
  }
  c10::IValue state_value;
  if (!archive.try_read("lowvolt_state", state_value) || !state_value.isString()) {
    fail(path, ": not a LowVolt checkpoint (no training state)");
  }
  const auto meta = nlohmann::json::parse(state_value.toStringRef());
  if (meta.at("fingerprint").get<std::string>() != print) {
    fail(path, ": checkpoint was written with other training options or data; remove it or "
               "use the same options to resume");
  }
  net->load(archive);
  torch::serialize::InputArchive optimizer_archive;
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  Checkpoint state;
  state.next_epoch = meta.at("next_epoch").get<int>();
  state.injecting = meta.at("injecting").get<bool>();
  for (const auto& s : meta.at("history")) state.history.push_back(from_json(s));
  return state;
}

}  // namespace

void TrainOptions::validate() const {
  if (method != "normal" && method != "randbet" && method != "pattbet") {
    fail("option '--method': unknown method '", method, "' (known: normal, randbet, pattbet)");
  }
  quant.validate();
  if (quant.bits > 8) fail("option '--bits': training supports 2..8 bits, got ", quant.bits);
  if (!(wmax >= 0.0 && std::isfinite(wmax))) fail("option '--wmax': ", wmax, " is not ≥ 0");
  if (!(p >= 0.0 && p <= 1.0)) fail("option '--p': rate ", p, " is outside [0, 1]");
  if (epochs < 1 || epochs > 10000) fail("option '--epochs': ", epochs, " is not in 1..10000");
  if (batch_size < 1) fail("option '--batch-size': ", batch_size, " is not positive");
  if (!(lr > 0.0 && std::isfinite(lr))) fail("option '--lr': ", lr, " is not positive");
  if (!(momentum >= 0.0 && momentum < 1.0)) fail("option '--momentum': ", momentum, " not in [0, 1)");
  if (!(weight_decay >= 0.0)) fail("option '--weight-decay': ", weight_decay, " is negative");
  if (!(label_smoothing >= 0.0 && label_smoothing < 1.0)) {
    fail("option '--label-smoothing': ", label_smoothing, " is not in [0, 1)");
  }
  if (resume && checkpoint.empty()) fail("option '--resume' needs '--checkpoint PATH'");
  if (start_rule != "once" && start_rule != "every-step") {
    fail("option '--start-rule': expected once or every-step, got '", start_rule, "'");
  }
  if (!(grad_clip >= 0.0 && std::isfinite(grad_clip))) {
    fail("option '--grad-clip': ", grad_clip, " is not ≥ 0 (0 = off)");
  }
  if (nesterov && !(momentum > 0.0)) fail("option '--nesterov' needs '--momentum' > 0");
  if (!pattern_profile.empty()) {
    if (method != "pattbet") fail("option '--profile' needs '--method pattbet'");
    profiles::check_supply(pattern_vdd, "option '--vdd'");
    if (pattern_mappings < 1 || pattern_mappings > 4096) {
      fail("option '--mappings': ", pattern_mappings, " is outside 1…4096");
    }
    if (pattern_mapping < 0 || pattern_mapping >= pattern_mappings) {
      fail("option '--mapping': ", pattern_mapping, " is outside 0…", pattern_mappings - 1);
    }
  }
}

std::map<std::string, std::string> TrainOptions::describe() const {
  std::map<std::string, std::string> d = {{"method", method},
          {"quant", quant.name()},
          {"bits", std::to_string(quant.bits)},
          {"wmax", format_number(wmax)},
          {"p", format_number(p)},
          {"start_loss", format_number(start_loss)},
          {"epochs", std::to_string(epochs)},
          {"batch_size", std::to_string(batch_size)},
          {"lr", format_number(lr)},
          {"momentum", format_number(momentum)},
          {"weight_decay", format_number(weight_decay)},
          {"label_smoothing", format_number(label_smoothing)},
          {"augment", augment ? "true" : "false"},
          {"seed", std::to_string(seed)},
          {"checkpoint", checkpoint},
          {"resume", resume ? "true" : "false"},
          {"quiet", quiet ? "true" : "false"}};
  // Reference-code details and chip patterns: recorded only when used, so the options (and the
  // checkpoint fingerprint) of every run without them stay as before.
  if (start_rule != "once") d["start_rule"] = start_rule;
  if (grad_clip > 0) d["grad_clip"] = format_number(grad_clip);
  if (nesterov) d["nesterov"] = "true";
  if (quant.variants() != "none") d["quant_variant"] = quant.variants();
  if (!pattern_profile.empty()) {
    d["pattern_profile"] = std::filesystem::path(pattern_profile).filename().string();
    d["pattern_vdd"] = format_number(pattern_vdd);
    d["pattern_mapping"] = std::to_string(pattern_mapping);
    d["pattern_mappings"] = std::to_string(pattern_mappings);
  }
  return d;
}

bool reference_start_condition(double clean_loss, double perturbed_loss, double start_loss) {
  if (!(clean_loss < start_loss * 1.15)) return false;
  return !((clean_loss + perturbed_loss) / 2.0 > start_loss);
}

void add_clamped_gradients(const std::vector<torch::Tensor>& params,
                           const std::vector<torch::Tensor>& saved, double bound) {
  LV_CHECK(params.size() == saved.size(), params.size() << " parameters, " << saved.size() << " gradients");
  torch::NoGradGuard no_grad;
  for (std::size_t k = 0; k < params.size(); ++k) {
    torch::Tensor p = params[k];
    if (!p.grad().defined()) {
      if (saved[k].defined()) p.mutable_grad() = saved[k].clone();
      continue;
    }
    p.mutable_grad().clamp_(-bound, bound);
    if (saved[k].defined()) p.mutable_grad().add_(saved[k]);
  }
}

torch::optim::SGDOptions sgd_options(const TrainOptions& options) {
  return torch::optim::SGDOptions(options.lr)
      .momentum(options.momentum)
      .weight_decay(options.weight_decay)
      .nesterov(options.nesterov);
}

double learning_rate(const TrainOptions& options, int epoch) {
  double lr = options.lr;
  for (int j = 2; j <= 4; ++j) {
    if (5 * epoch >= j * options.epochs) lr *= 0.1;
  }
  return lr;
}

std::uint64_t pattern_seed(const TrainOptions& options) {
  return derive_seed(options.seed, 0x5041545442455400ULL);  // "PATTBET"
}

RandomBitErrors pattbet_pattern(const Net& net, int bits, double p, std::uint64_t seed) {
  return RandomBitErrors(memory_numel(net), bits, p, seed);
}

namespace {

/// Refuses an empty training set and images of another shape than a built-in model's.
void check_training_set(const Net& net, const Dataset& data) {
  if (data.size() == 0) fail("training set is empty");
  check_image_shape(net, data.images, "training images");
}

/// The pass under bit errors of one step (the perturbed codes already loaded): its loss's
/// gradients, × `share`, added to the clean pass's; with grad_clip the perturbed gradients are
/// clamped first (the reference). Returns the perturbed loss.
double perturbed_backward(Net& net, const torch::Tensor& images, const torch::Tensor& labels,
                          const TrainOptions& options, double share,
                          const std::vector<torch::Tensor>& all_params) {
  std::vector<torch::Tensor> clean_grads;
  if (options.grad_clip > 0) {  // keep the clean gradients aside, clamp the perturbed ones
    for (auto p : all_params) {
      clean_grads.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::Tensor());
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }
  const auto perturbed = loss_of(net->forward(images), labels, options.label_smoothing);
  (perturbed * share).backward();
  if (options.grad_clip > 0) add_clamped_gradients(all_params, clean_grads, share * options.grad_clip);
  return perturbed.item<double>();
}

/// Whether the next step injects bit errors, after a step with these losses (perturbed_loss = 0
/// when it injected none): RandBET/PattBET's start rule, "once" or the reference's "every-step".
bool injects_next(const TrainOptions& options, bool injecting, double clean_loss,
                  double perturbed_loss) {
  if (options.method == "normal") return injecting;
  if (options.start_rule == "every-step") {
    return reference_start_condition(clean_loss, perturbed_loss, options.start_loss);
  }
  return injecting || clean_loss < options.start_loss;
}

}  // namespace

std::vector<EpochStats> train(Net& net, const Dataset& data, const TrainOptions& options,
                              const std::function<void(const EpochStats&)>& on_epoch,
                              const ChipErrors& chip_errors) {
  options.validate();
  check_training_set(net, data);
  const auto memory = net->memory_parameters();
  const auto all_params = net->parameters();
  torch::optim::SGD optimizer(all_params, sgd_options(options));
  const std::string print = fingerprint(options, net, data.size());

  Checkpoint state;
  if (options.resume && std::filesystem::exists(options.checkpoint)) {
    state = load_checkpoint(options.checkpoint, net, optimizer, print);
    for (const auto& s : state.history) {
      if (on_epoch) on_epoch(s);
    }
  }

  const bool robust = options.method != "normal";
  const int bits = options.quant.bits;
  std::optional<RandomBitErrors> pattern;
  const bool on_chip = options.method == "pattbet" && !options.pattern_profile.empty();
  LV_CHECK(on_chip == static_cast<bool>(chip_errors),
           "train: PattBET on a chip needs the chip's errors, and only it takes them");
  if (options.method == "pattbet" && !on_chip) {
    pattern.emplace(pattbet_pattern(net, bits, options.p, pattern_seed(options)));
  }

  const std::int64_t n = data.size();
  const std::int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  for (int epoch = state.next_epoch; epoch < options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    const double lr = learning_rate(options, epoch);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    net->train();
    std::mt19937_64 rng(derive_seed(options.seed, 1, static_cast<std::uint64_t>(epoch)));
    const auto order = shuffled_indices(n, rng);
    const auto order_tensor = torch::from_blob(const_cast<std::int64_t*>(order.data()),
                                               {n}, torch::kInt64);
    Progress progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options.epochs),
                      steps, options.quiet);
    double loss_sum = 0.0;
    double perturbed_sum = 0.0;
    std::int64_t wrong = 0;
    std::int64_t injected = 0;
    std::int64_t injected_images = 0;
    for (std::int64_t step = 0; step < steps; ++step) {
      const std::int64_t begin = step * options.batch_size;
      const std::int64_t count = std::min(options.batch_size, n - begin);
      const auto index = order_tensor.narrow(0, begin, count);
      auto images = data.images.index_select(0, index);
      const auto labels = data.labels.index_select(0, index);
      if (options.augment) images = augment_crop_flip(images, 4, rng);

      if (options.wmax > 0) clip_parameters(all_params, options.wmax);
      const FloatBackup backup(memory);
      const WeightMemory weights(options.quant, memory);
      weights.load(weights.codes(), memory);
      optimizer.zero_grad();
      const bool inject = robust && state.injecting;
      const double share = inject ? 0.5 : 1.0;
      const auto logits = net->forward(images);
      const auto loss = loss_of(logits, labels, options.label_smoothing);
      (loss * share).backward();
      const double clean_loss = loss.item<double>();
      loss_sum += clean_loss * static_cast<double>(count);
      wrong += logits.argmax(1).ne(labels).sum().item<std::int64_t>();
      double perturbed_loss = 0.0;
      if (inject) {
        const auto codes =
            on_chip   ? chip_errors(weights.codes())
            : pattern    ? pattern->apply(weights.codes(), options.p)
                         : inject_random(weights.codes(), bits, options.p,
                                         derive_seed(options.seed, 2 + static_cast<std::uint64_t>(epoch),
                                                     static_cast<std::uint64_t>(step)));
        weights.load(codes, memory);
        perturbed_loss = perturbed_backward(net, images, labels, options, share, all_params);
        perturbed_sum += perturbed_loss * static_cast<double>(count);
        ++injected;
        injected_images += count;
      }
      backup.restore(memory);
      optimizer.step();
      if (options.wmax > 0) clip_parameters(all_params, options.wmax);
      state.injecting = injects_next(options, state.injecting, clean_loss, perturbed_loss);

      const double seen = static_cast<double>(begin + count);
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f err %.2f%%%s", loss_sum / seen,
                    100.0 * static_cast<double>(wrong) / seen, inject ? " +bit errors" : "");
      progress.update(step + 1, status);
    }
    EpochStats stats;
    stats.epoch = epoch;
    stats.lr = lr;
    stats.loss = loss_sum / static_cast<double>(n);
    stats.error = static_cast<double>(wrong) / static_cast<double>(n);
    stats.injected_steps = injected;
    // Mean over the images of the injected steps.
    if (injected > 0) stats.perturbed_loss = perturbed_sum / static_cast<double>(injected_images);
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.images_per_s = static_cast<double>(n) / stats.seconds;
    char status[96];
    std::snprintf(status, sizeof status, "loss %.4f err %.2f%%", stats.loss, 100.0 * stats.error);
    progress.finish(status);
    state.history.push_back(stats);
    state.next_epoch = epoch + 1;
    if (!options.checkpoint.empty()) {
      save_checkpoint(options.checkpoint, net, optimizer, state, print);
    }
    if (on_epoch) on_epoch(stats);
  }
  net->eval();
  return state.history;
}

}  // namespace lowvolt::host
