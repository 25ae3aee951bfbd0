// `lowvolt train`: quantization-aware training (Normal, Clipping, RandBET, PattBET) of a model on
// an MNIST-format folder or CIFAR-10, ending in a model file (docs/model-format.md).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "lowvolt/app/app.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/common/error.h"

namespace lowvolt::cli {
namespace {

double single_rate(const std::string& option, const std::string& text) {
  const auto rates = parse_rates(option, text);
  if (rates.size() != 1) throw UsageError("option '--" + option + "': expected one rate, got '" + text + "'");
  return rates.front();
}

/// The options of `lowvolt train`.
po::options_description train_options() {
  po::options_description options("train options");
  options.add_options()
      ("out,o", po::value<std::string>()->required(),
       "model file to write (*.lvm; a TorchScript file with --init)")
      ("init", po::value<std::string>()->default_value(""),
       "fine-tune this TorchScript model instead of a new --arch network")
      ("memory", po::value<std::string>()->default_value("layers"),
       "with --init: parameters in weight memory: layers (conv/linear) or all")
      ("dataset", po::value<std::string>()->default_value("fashion-mnist"),
       "training data: fashion-mnist, mnist, cifar10 or a tensor file *.pt")
      ("test-dataset", po::value<std::string>()->default_value(""),
       "test data (default: the test split of --dataset; required for a *.pt training set)")
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
       "quantization: normal, global, asymmetric, unsigned, rquant, fixed (LowVolt's signed range "
       "[-1, 1]) or paper-normal (the paper's Normal: the reference's unsigned fixed range [-1, 1]) "
       "(with --init: default rquant)")
      ("bits", po::value<int>()->default_value(8), "bits per weight, 2..8")
      ("quant-variant", po::value<std::string>()->default_value("none"),
       "the paper's code's quantization details: eps, half-offset, clamp (comma list), "
       "reference (all three) or none (docs/quantization-variants.md)")
      ("wmax", real(0.0),
       "clip all parameters to [-wmax, wmax] after every update (0: off)")
      ("p", po::value<std::string>()->default_value("1%"),
       "bit error rate for randbet/pattbet, e.g. 0.01 or 1%")
      ("start-loss", real(1.75),
       "randbet/pattbet: start injecting once the clean loss is below this")
      ("start-rule", po::value<std::string>()->default_value("once"),
       "randbet/pattbet: once (switch on for good) or every-step (the paper's code: inject iff "
       "clean loss < 1.15 x start-loss and mean(clean, perturbed) <= start-loss)")
      ("grad-clip", real(0.0),
       "randbet/pattbet: clamp the perturbed pass's gradient to +-X element-wise (paper's code: "
       "0.05; 0: off)")
      ("nesterov", po::bool_switch(), "Nesterov momentum (the paper's code)")
      ("profile", po::value<std::string>()->default_value(""),
       "pattbet: draw the fixed pattern from this chip profile (.lvp) at --vdd, as lowvolt curve maps it")
      ("vdd", real(0.0), "with --profile: supply of the pattern, x Vmin")
      ("mapping", po::value<int>()->default_value(0),
       "with --profile: mapping index k (offset k x cells/K, as mapping k of lowvolt curve --mappings K)")
      ("mappings", po::value<int>()->default_value(3), "with --profile: K, the mapping grid")
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
  return options;
}

/// The request of `lowvolt train`; every option combination and output path is checked before
/// the (long) training starts.
host::TrainRequest train_request(const po::variables_map& vm, bool json) {
  host::TrainRequest request;
  host::TrainOptions& o = request.train;
  request.out = vm["out"].as<std::string>();
  request.init = vm["init"].as<std::string>();
  request.source.memory = vm["memory"].as<std::string>();
  request.config.arch = vm["arch"].as<std::string>();
  request.config.norm = vm["norm"].as<std::string>();
  request.config.width = vm["width"].as<double>();
  request.dataset = vm["dataset"].as<std::string>();
  request.test_dataset = vm["test-dataset"].as<std::string>();
  request.data_dir = vm["data"].as<std::string>();
  request.train_subset = vm["train-subset"].as<std::int64_t>();
  request.test_subset = vm["test-subset"].as<std::int64_t>();
  request.augment = vm["augment"].as<std::string>();
  request.save_pattern = vm["save-pattern"].as<std::string>();
  o.method = vm["method"].as<std::string>();
  o.wmax = vm["wmax"].as<double>();
  as_usage_error("lowvolt train", [&] {
    request.set_quantization(vm["quant"].defaulted() ? "" : vm["quant"].as<std::string>(),
                             vm["bits"].as<int>(),
                             vm["quant-variant"].defaulted() ? "" : vm["quant-variant"].as<std::string>());
  });
  o.p = single_rate("p", vm["p"].as<std::string>());
  o.start_loss = vm["start-loss"].as<double>();
  o.start_rule = vm["start-rule"].as<std::string>();
  o.grad_clip = vm["grad-clip"].as<double>();
  o.nesterov = vm["nesterov"].as<bool>();
  o.pattern_profile = vm["profile"].as<std::string>();
  o.pattern_vdd = vm["vdd"].as<double>();
  o.pattern_mapping = vm["mapping"].as<int>();
  o.pattern_mappings = vm["mappings"].as<int>();
  if (o.pattern_profile.empty() && (!vm["vdd"].defaulted() || !vm["mapping"].defaulted() ||
                                    !vm["mappings"].defaulted())) {
    throw UsageError("lowvolt train: '--vdd', '--mapping' and '--mappings' need '--profile'");
  }
  o.epochs = vm["epochs"].as<int>();
  o.batch_size = vm["batch-size"].as<std::int64_t>();
  o.lr = vm["lr"].as<double>();
  o.momentum = vm["momentum"].as<double>();
  o.weight_decay = vm["weight-decay"].as<double>();
  o.label_smoothing = vm["label-smoothing"].as<double>();
  o.seed = vm["seed"].as<std::uint64_t>();
  o.checkpoint = vm["checkpoint"].as<std::string>().empty() ? request.default_checkpoint()
                                                             : vm["checkpoint"].as<std::string>();
  o.resume = vm["resume"].as<bool>();
  o.quiet = json;
  as_usage_error("lowvolt train", [&] { request.validate(); });
  return request;
}

/// The training's result: a JSON object (keys: docs/cli.md) or one line.
void print_train_result(const host::TrainRequest& request, const host::TrainReport& report,
                        int threads, bool json) {
  const host::TrainOptions& o = request.train;
  if (json) {
    nlohmann::json j;
    j["model"] = report.out;
    j["format"] = report.format;
    j["arch"] = report.arch;
    j["method"] = o.method;
    j["quant"] = o.quant.name();
    j["bits"] = o.quant.bits;
    j["wmax"] = o.wmax;
    j["p"] = o.p;
    j["memory_words"] = report.memory_words;
    j["train_size"] = report.train_size;
    j["test_size"] = report.test_size;
    j["test_error"] = report.test.error;
    j["test_confidence"] = report.test.confidence;
    j["threads"] = threads;
    j["seconds"] = report.seconds;
    j["epochs"] = nlohmann::json::array();
    for (const auto& s : report.history) {
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
                100.0 * report.test.error, o.quant.name().c_str(),
                static_cast<long long>(report.test_size), report.out.c_str(), report.seconds);
  }
}

int run_train(const Args& args) {
  const po::options_description options = train_options();
  const auto parsed = parse("lowvolt train", "--out MODEL.lvm [options]", options, args);
  if (!parsed) return 0;
  const auto& vm = *parsed;
  const bool json = vm["json"].as<bool>();
  const int threads = host::configure_threads(vm["threads"].as<int>());
  const host::TrainRequest request = train_request(vm, json);
  const host::TrainOptions& o = request.train;
  const auto report = host::run_training(
      request,
      [&](const host::TrainReport& r) {
        if (json) return;
        std::printf("training %s (%lld weights in memory) on %lld %s images: %s, %s, %d epochs, "
                    "%d threads\n",
                    r.arch.c_str(), static_cast<long long>(r.memory_words),
                    static_cast<long long>(r.train_size), request.dataset.c_str(), o.method.c_str(),
                    o.quant.name().c_str(), o.epochs, threads);
        std::fflush(stdout);
      },
      [&](const host::EpochStats& s) {
        if (json) return;
        std::printf("epoch %d/%d: lr %.4g, loss %.4f, train error %.2f%%%s, %.1f s (%.0f images/s)\n",
                    s.epoch + 1, o.epochs, s.lr, s.loss, 100.0 * s.error,
                    s.injected_steps > 0
                        ? (", loss under bit errors " + std::to_string(s.perturbed_loss)).c_str()
                        : "",
                    s.seconds, s.images_per_s);
        std::fflush(stdout);
      });

  print_train_result(request, report, threads, json);
  return 0;
}

}  // namespace

void register_train_command(Registry& registry) {
  registry.add({"train", "train a model (Normal, Clipping, RandBET, PattBET) into a model file",
                run_train});
}

}  // namespace lowvolt::cli
