// `lowvolt train`: quantization-aware training (Normal, Clipping, RandBET, PattBET) of a model on
// an MNIST-format folder or CIFAR-10, ending in a model file (docs/model-format.md).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/host/bit_errors.h"
#include "lowvolt/host/data.h"
#include "lowvolt/host/evaluate.h"
#include "lowvolt/host/model_file.h"
#include "lowvolt/host/models.h"
#include "lowvolt/host/runtime.h"
#include "lowvolt/host/train.h"

namespace lowvolt::cli {
namespace {

double single_rate(const std::string& option, const std::string& text) {
  const auto rates = parse_rates(option, text);
  if (rates.size() != 1) throw UsageError("option '--" + option + "': expected one rate, got '" + text + "'");
  return rates.front();
}

int run_train(const Args& args) {
  po::options_description options("train options");
  options.add_options()
      ("out,o", po::value<std::string>()->required(), "model file to write (*.lvm)")
      ("dataset", po::value<std::string>()->default_value("fashion-mnist"),
       "data set: fashion-mnist, mnist or cifar10")
      ("data", po::value<std::string>()->default_value(""),
       "data folder (default: /usr/share/datasets/<dataset>)")
      ("train-subset", po::value<std::int64_t>()->default_value(0),
       "train on the first N images only (0: all)")
      ("test-subset", po::value<std::int64_t>()->default_value(0),
       "report the test error on the first N test images only (0: all)")
      ("arch", po::value<std::string>()->default_value("cnn"), "model: mlp, cnn or simplenet")
      ("norm", po::value<std::string>()->default_value("gn"), "normalization: gn, bn or none")
      ("width", real(1.0), "channel width factor (simplenet)")
      ("method", po::value<std::string>()->default_value("normal"),
       "normal, randbet (random bit error training) or pattbet (one fixed pattern)")
      ("quant", po::value<std::string>()->default_value("normal"),
       "quantization: normal, global, asymmetric, unsigned or rquant")
      ("bits", po::value<int>()->default_value(8), "bits per weight, 2..8")
      ("wmax", real(0.0),
       "clip all parameters to [-wmax, wmax] after every update (0: off)")
      ("p", po::value<std::string>()->default_value("1%"),
       "bit error rate for randbet/pattbet, e.g. 0.01 or 1%")
      ("start-loss", real(1.75),
       "randbet/pattbet: start injecting once the clean loss is below this")
      ("epochs", po::value<int>()->default_value(5), "passes over the training set")
      ("batch-size", po::value<std::int64_t>()->default_value(128), "images per step")
      ("lr", real(0.05),
       "learning rate (×0.1 at 2/5, 3/5 and 4/5 of the epochs)")
      ("momentum", real(0.9), "SGD momentum")
      ("weight-decay", real(5e-4), "L2 weight decay")
      ("label-smoothing", real(0.0), "label smoothing (0..1)")
      ("augment", po::value<std::string>()->default_value("auto"),
       "random crop + flip: on, off or auto (on for cifar10)")
      ("seed", po::value<std::uint64_t>()->default_value(1), "seed of every random draw")
      ("checkpoint", po::value<std::string>()->default_value(""),
       "checkpoint written after every epoch (default: <out>.ckpt)")
      ("resume", po::bool_switch(), "continue from the checkpoint when it exists")
      ("save-pattern", po::value<std::string>()->default_value(""),
       "pattbet: also write the fixed pattern as a pattern file")
      ("threads", po::value<int>()->default_value(2),
       "LibTorch intra-op threads (≤ 0: all hardware threads)")
      ("json", po::bool_switch(), "print a JSON summary instead of text (no progress output)");
  const auto parsed = parse("lowvolt train", "--out MODEL.lvm [options]", options, args);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const bool json = vm["json"].as<bool>();
  const int threads = host::configure_threads(vm["threads"].as<int>());

  host::TrainOptions o;
  o.method = vm["method"].as<std::string>();
  o.quant = host::QuantScheme::preset(vm["quant"].as<std::string>(), vm["bits"].as<int>());
  o.wmax = vm["wmax"].as<double>();
  o.quant.wmax = o.wmax;
  o.p = single_rate("p", vm["p"].as<std::string>());
  o.start_loss = vm["start-loss"].as<double>();
  o.epochs = vm["epochs"].as<int>();
  o.batch_size = vm["batch-size"].as<std::int64_t>();
  o.lr = vm["lr"].as<double>();
  o.momentum = vm["momentum"].as<double>();
  o.weight_decay = vm["weight-decay"].as<double>();
  o.label_smoothing = vm["label-smoothing"].as<double>();
  o.seed = vm["seed"].as<std::uint64_t>();
  const std::string out = vm["out"].as<std::string>();
  o.checkpoint = vm["checkpoint"].as<std::string>().empty() ? out + ".ckpt"
                                                             : vm["checkpoint"].as<std::string>();
  o.resume = vm["resume"].as<bool>();
  o.quiet = json;
  const std::string dataset = vm["dataset"].as<std::string>();
  const std::string augment = vm["augment"].as<std::string>();
  if (augment != "on" && augment != "off" && augment != "auto") {
    throw UsageError("lowvolt train: option '--augment': expected on, off or auto, got '" +
                     augment + "'");
  }
  o.augment = augment == "on" || (augment == "auto" && dataset == "cifar10");
  check_options("lowvolt train", [&] { o.validate(); });
  // Every option combination and output path is checked before the (long) training starts.
  const std::string pattern_path = vm["save-pattern"].as<std::string>();
  if (!pattern_path.empty() && o.method != "pattbet") {
    throw UsageError("lowvolt train: '--save-pattern' needs '--method pattbet'");
  }
  for (const std::string& path : std::vector<std::string>{out, o.checkpoint, pattern_path}) {
    if (!path.empty()) check_output_path(path);
  }
  for (const char* subset : {"train-subset", "test-subset"}) {
    if (vm[subset].as<std::int64_t>() < 0) {
      throw UsageError(std::string("lowvolt train: option '--") + subset + "': " +
                       std::to_string(vm[subset].as<std::int64_t>()) + " is negative (0 = all)");
    }
  }

  const auto train_set = host::load_dataset(dataset, vm["data"].as<std::string>(), true)
                             .head(vm["train-subset"].as<std::int64_t>());
  const auto test_set = host::load_dataset(dataset, vm["data"].as<std::string>(), false)
                            .head(vm["test-subset"].as<std::int64_t>());
  host::ModelConfig config;
  config.arch = vm["arch"].as<std::string>();
  config.norm = vm["norm"].as<std::string>();
  config.width = vm["width"].as<double>();
  config.channels = train_set.images.size(1);
  config.height = train_set.images.size(2);
  config.width_px = train_set.images.size(3);
  config.classes = train_set.classes;
  config.validate();

  torch::manual_seed(o.seed);
  host::Net net(config);
  if (!json) {
    std::printf("training %s (%lld weights in memory) on %lld %s images: %s, %s, %d epochs, "
                "%d threads\n",
                config.arch.c_str(), static_cast<long long>(host::memory_numel(net)),
                static_cast<long long>(train_set.size()), dataset.c_str(), o.method.c_str(),
                o.quant.name().c_str(), o.epochs, threads);
  }
  const auto start = std::chrono::steady_clock::now();
  const auto history = host::train(net, train_set, o, [&](const host::EpochStats& s) {
    if (json) return;
    std::printf("epoch %d/%d: lr %.4g, loss %.4f, train error %.2f%%%s, %.1f s (%.0f images/s)\n",
                s.epoch + 1, o.epochs, s.lr, s.loss, 100.0 * s.error,
                s.injected_steps > 0
                    ? (", loss under bit errors " + std::to_string(s.perturbed_loss)).c_str()
                    : "",
                s.seconds, s.images_per_s);
    std::fflush(stdout);
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Final clean error of the quantized model; the file keeps the float weights.
  auto file = host::snapshot(net, o.quant);
  host::EvalOptions eval_options;
  eval_options.quiet = true;
  const auto clean = host::evaluate(net, o.quant, test_set, eval_options).clean;

  file.training = o.describe();
  file.training.erase("checkpoint");
  file.training.erase("resume");
  file.training.erase("quiet");
  file.training["dataset"] = dataset;
  file.training["train_size"] = std::to_string(train_set.size());
  if (o.method == "pattbet") {
    file.training["pattern_seed"] = std::to_string(host::pattern_seed(o));
  }
  double train_seconds = 0.0;
  for (const auto& s : history) train_seconds += s.seconds;
  file.metrics = {{"test_error", clean.error},
                  {"test_confidence", clean.confidence},
                  {"test_size", static_cast<double>(test_set.size())},
                  {"train_loss", history.back().loss},
                  {"train_error", history.back().error},
                  {"train_seconds", train_seconds}};
  host::save_model_file(file, out);

  if (!pattern_path.empty()) {
    host::FixedPattern::random(host::memory_numel(net), o.quant.bits,
                               host::BitErrorRates::uniform(o.p), host::pattern_seed(o))
        .save(pattern_path);
  }

  if (json) {
    nlohmann::json j;
    j["model"] = out;
    j["arch"] = config.arch;
    j["method"] = o.method;
    j["quant"] = o.quant.name();
    j["bits"] = o.quant.bits;
    j["wmax"] = o.wmax;
    j["p"] = o.p;
    j["train_size"] = train_set.size();
    j["test_size"] = test_set.size();
    j["test_error"] = clean.error;
    j["test_confidence"] = clean.confidence;
    j["threads"] = threads;
    j["seconds"] = seconds;
    j["epochs"] = nlohmann::json::array();
    for (const auto& s : history) {
      j["epochs"].push_back({{"epoch", s.epoch + 1},
                             {"lr", s.lr},
                             {"loss", s.loss},
                             {"error", s.error},
                             {"perturbed_loss", s.perturbed_loss},
                             {"injected_steps", s.injected_steps},
                             {"seconds", s.seconds},
                             {"images_per_s", s.images_per_s}});
    }
    print_json(j);
  } else {
    std::printf("test error %.2f%% (quantized %s, %lld test images); wrote %s in %.1f s\n",
                100.0 * clean.error, o.quant.name().c_str(),
                static_cast<long long>(test_set.size()), out.c_str(), seconds);
  }
  return 0;
}

}  // namespace

void register_train_command(Registry& registry) {
  registry.add({"train", "train a model (Normal, Clipping, RandBET, PattBET) into a model file",
                run_train});
}

}  // namespace lowvolt::cli
