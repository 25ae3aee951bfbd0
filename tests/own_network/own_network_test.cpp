// Proves that a user's own PyTorch network runs through every backend (issue: bring your own
// network): the TorchScript export of the bundled cnn gives LowVolt's numbers bit for bit on torch
// and golden; a small ResNet (BatchNorm, residual adds, global average pooling) runs on golden
// and rtl with identical logits and counters and agrees with torch; `train --init` writes a
// TorchScript file that PyTorch evaluates to the error LowVolt reports; bad models and data are
// refused with one line naming the file. Inputs come from the examples/ scripts (ctest fixture
// OwnNetwork.ExportExamples).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "../cli/run_lowvolt.h"
#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/model.h"
#include "lowvolt/io/tensor_data.h"
#include "lowvolt/nn/weight_memory.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/sim/rtl_backend.h"

namespace {

namespace fs = std::filesystem;
namespace lh = lowvolt::host;
using Result = lowvolt::test::RunResult;

const std::string kSource = LOWVOLT_SOURCE_DIR;
const std::string kExports = LOWVOLT_EXPORTS;
const std::string kLvm = kSource + "/models/cnn_normal_8bit.lvm";
const std::string kCnnPt = kExports + "/cnn_normal_8bit.pt";
const std::string kResNet = kExports + "/resnet.pt";
const std::string kTest = kExports + "/fmnist_test.pt";
const std::string kTrain = kExports + "/fmnist_train.pt";

Result run(const std::string& arguments, bool with_stderr = false) {
  return lowvolt::test::run_lowvolt(arguments, with_stderr);
}

nlohmann::json run_json(const std::string& arguments) {
  const Result r = run(arguments + " --json", true);
  EXPECT_EQ(r.status, 0) << arguments << "\n" << r.out;
  return nlohmann::json::parse(r.out.substr(r.out.find('{')));
}

// The export of the bundled cnn evaluates exactly like the .lvm it came from under random bit
// errors (same seed, same memory layout): clean error and every sample's error, bit for bit.
TEST(OwnNetwork, ExportedCnnMatchesLvmOnTorch) {
  const std::string args = " --test-subset 500 --p 0.5%,2% --samples 3 --seed 7";
  const auto lvm = run_json("eval " + kLvm + args);
  const auto pt = run_json("eval " + kCnnPt + " --quant normal --bits 8" + args);
  EXPECT_EQ(pt["format"], "torchscript");
  EXPECT_EQ(pt["memory_words"], lvm["memory_words"]);
  EXPECT_EQ(pt["clean_error"], lvm["clean_error"]);
  ASSERT_EQ(pt["rte"].size(), 2u);
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(pt["rte"][r]["errors"], lvm["rte"][r]["errors"]) << "rate " << r;
    EXPECT_EQ(pt["rte"][r]["mean"], lvm["rte"][r]["mean"]);
  }
  EXPECT_GT(lvm["rte"][1]["mean"].get<double>(), lvm["clean_error"].get<double>());
  // the memory map names the user's tensors in module order with their words
  ASSERT_EQ(pt["memory_map"].size(), 8u);
  EXPECT_EQ(pt["memory_map"][0]["tensor"], "conv1.weight");
  EXPECT_EQ(pt["memory_map"][7]["tensor"], "fc2.bias");
  EXPECT_EQ(pt["memory_map"][4]["words"], 128 * 3136);
}

// On a chip's faults, torch and golden backends: the export gives the .lvm's numbers exactly.
TEST(OwnNetwork, ExportedCnnMatchesLvmOnChipFaults) {
  for (const std::string backend : {"torch", "golden"}) {
    const std::string args = " --profile " + kSource + "/profiles/data/chip1.lvp --vdd 1.0,0.84 "
                             "--mappings 2 --test-subset 200 --backend " + backend;
    const auto lvm = run_json("eval " + kLvm + args);
    const auto pt = run_json("eval " + kCnnPt + " --quant normal --bits 8" + args);
    EXPECT_EQ(pt["clean_error"], lvm["clean_error"]) << backend;
    ASSERT_EQ(pt["profile_rte"].size(), 2u);
    for (std::size_t v = 0; v < 2; ++v) {
      EXPECT_EQ(pt["profile_rte"][v]["mean"], lvm["profile_rte"][v]["mean"]) << backend << " " << v;
      EXPECT_EQ(pt["profile_rte"][v]["min"], lvm["profile_rte"][v]["min"]) << backend << " " << v;
      EXPECT_EQ(pt["profile_rte"][v]["max"], lvm["profile_rte"][v]["max"]) << backend << " " << v;
    }
    EXPECT_GT(lvm["profile_rte"][1]["max"].get<double>(), lvm["clean_error"].get<double>()) << backend;
  }
}

// On the accelerator the export computes what the .lvm computes, logit for logit and counter
// for counter: same weight image, same input encodings (uint8 after ReLU), same host layers.
TEST(OwnNetwork, ExportedCnnGoldenLogitsMatchLvm) {
  lowvolt::accelerator::register_golden_backend();
  lh::configure_threads(2);
  const lh::Model lvm = lh::load_model(kLvm);
  lh::ModelSource source;
  source.quant = "normal";
  source.bits = 8;
  const lh::Model pt = lh::load_model(kCnnPt, source);
  const auto images = lh::load_tensor_dataset(kTest).images.narrow(0, 0, 50);
  const auto profile = lowvolt::profiles::read_profile(kSource + "/profiles/data/chip1.lvp");
  lh::AccelInferenceOptions o;
  o.vdd = 0.84;
  o.batch = 25;
  o.instances = 2;
  lh::AccelInference a(lvm.net, lvm.quant, o, &profile.map);
  lh::AccelInference b(pt.net, pt.quant, o, &profile.map);
  EXPECT_TRUE(torch::equal(a.forward(images), b.forward(images)));
  EXPECT_EQ(a.counters(), b.counters());
}

// The ResNet on golden and on the RTL: identical logits and counters, fault-free and at
// 0.85 × Vmin on chip1 and chip2, 20 images.
TEST(OwnNetwork, ResNetGoldenAndRtlAgreeBitForBit) {
  lowvolt::accelerator::register_golden_backend();
  lowvolt::sim::register_rtl_backend();
  lh::configure_threads(2);
  const lh::Model model = lh::load_model(kResNet);
  const auto images = lh::load_tensor_dataset(kTest).images.narrow(0, 0, 20);
  for (const std::string chip : {"chip1", "chip2"}) {
    const auto profile = lowvolt::profiles::read_profile(kSource + "/profiles/data/" + chip + ".lvp");
    for (const double vdd : {1.0, 0.85}) {
      lh::AccelInferenceOptions o;
      o.vdd = vdd;
      o.batch = 10;
      o.instances = 1;
      o.backend = "golden";
      lh::AccelInference golden(model.net, model.quant, o, &profile.map);
      o.backend = "rtl";
      lh::AccelInference rtl(model.net, model.quant, o, &profile.map);
      const auto a = golden.forward(images);
      const auto b = rtl.forward(images);
      ASSERT_EQ(a.sizes(), (std::vector<std::int64_t>{20, 10}));
      EXPECT_TRUE(torch::equal(a, b)) << chip << " at " << vdd;
      EXPECT_EQ(golden.counters(), rtl.counters()) << chip << " at " << vdd;
      EXPECT_GT(golden.counters().macs, 0u);
    }
  }
}

// Fault-free, golden's integer datapath predicts what torch's fake quantization predicts on
// ≥ 99 % of 1 000 images (activations are quantized to 8 bits only on the accelerator).
TEST(OwnNetwork, ResNetGoldenAgreesWithTorch) {
  lowvolt::accelerator::register_golden_backend();
  lh::configure_threads(2);
  lh::Model model = lh::load_model(kResNet);
  const auto test = lh::load_tensor_dataset(kTest);
  ASSERT_GE(test.size(), 500);
  lh::AccelInferenceOptions o;
  o.batch = 100;
  o.instances = 2;
  lh::AccelInference golden(model.net, model.quant, o);
  const auto accel = golden.forward(test.images).argmax(1);
  torch::NoGradGuard no_grad;
  lh::WeightMemory memory(model.quant, model.net->memory_parameters());
  memory.load(memory.codes(), model.net->memory_parameters());
  const auto fake = model.net->forward(test.images).argmax(1);
  const double agreement = accel.eq(fake).to(torch::kFloat64).mean().item<double>();
  EXPECT_GE(agreement, 0.99);
  // and the network has learnt something, so agreement is not agreement on noise
  EXPECT_LT(fake.ne(test.labels).to(torch::kFloat64).mean().item<double>(), 0.5);
}

// `lowvolt train --init` fine-tunes the ResNet with RandBET for a short epoch and writes a
// TorchScript file that PyTorch loads and evaluates to the test error LowVolt reports; LowVolt
// reads it back with its recorded quantization.
TEST(OwnNetwork, TrainInitWritesTorchScriptThatPythonEvaluates) {
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_own_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "resnet_randbet.pt").string();
  const auto j = run_json("train --init " + kResNet + " --out " + out + " --dataset " + kTrain +
                          " --test-dataset " + kTest + " --train-subset 640 --epochs 1 "
                          "--method randbet --p 1% --start-loss 100 --lr 0.01");
  EXPECT_EQ(j["format"], "torchscript");
  EXPECT_GT(j["epochs"][0]["injected_steps"].get<int>(), 0);
  const double reported = j["test_error"].get<double>();
  const std::string script =
      "import torch\n"
      "m = torch.jit.load('" + out + "')\n"
      "d = torch.load('" + kTest + "')\n"
      "with torch.no_grad(): print((m(d['images']).argmax(1) != d['labels']).sum().item())\n";
  const std::string py = (dir / "check.py").string();
  {
    std::FILE* f = std::fopen(py.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(script.c_str(), f);
    std::fclose(f);
  }
  std::FILE* pipe = ::popen((std::string(LOWVOLT_PYTHON) + " " + py + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char line[256] = {};
  std::string text;
  while (std::fgets(line, sizeof line, pipe) != nullptr) text += line;
  ASSERT_EQ(::pclose(pipe), 0) << text;
  const double python_error = std::stod(text) / 1000.0;
  EXPECT_EQ(python_error, reported) << text;
  // LowVolt reads its record back: the scheme it trained with, the same clean error
  const auto e = run_json("eval " + out + " --dataset " + kTest + " --p 1% --samples 2");
  EXPECT_EQ(e["quant"], j["quant"]);
  EXPECT_EQ(e["clean_error"].get<double>(), reported);
  fs::remove_all(dir);
}

// Bad models and data: one line naming the file, exit 1, nothing written.
TEST(OwnNetworkErrors, BadModelsAndDataAreRefused) {
  const fs::path dir = fs::temp_directory_path() / ("lowvolt_own_bad_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Case {
    std::string args;
    std::string expect;
  };
  const std::string out = (dir / "never.pt").string();
  const std::vector<Case> cases = {
      {"eval " + kSource + "/README.md", "README.md: neither a LowVolt model file (.lvm: magic \"LVMODEL1\" missing) nor a TorchScript"},
      {"eval " + kExports + "/bad_output.pt --dataset " + kTest, "bad_output.pt: forward() returned shape [1]"},
      {"eval " + kResNet + " --dataset " + kExports + "/rgb_test.pt", "rgb_test.pt: images of shape [3, 28, 28] do not fit"},
      {"eval " + kResNet + " --dataset " + kExports + "/bad_labels.pt", "bad_labels.pt: label 12 is out of range"},
      {"eval " + kResNet + " --dataset " + kExports + "/not_a_dict.pt", "not_a_dict.pt: expected a dict"},
      {"eval " + kExports + "/grouped.pt --dataset " + kTest + " --profile " + kSource +
           "/profiles/data/chip1.lvp --vdd 0.9 --backend golden",
       "grouped.pt: conv2d depthwise.weight has groups ≠ 1"},
      {"eval " + kResNet + " --memory all --dataset " + kTest + " --profile " + kSource +
           "/profiles/data/chip1.lvp --vdd 0.9 --backend golden",
       "resnet.pt: memory tensor bn.weight is not the weight or bias of a conv2d/linear node"},
      {"train --init " + kExports + "/bad_output.pt --out " + out + " --dataset " + kTrain +
           " --test-dataset " + kTest + " --epochs 1 --train-subset 64",
       "bad_output.pt: forward() returned shape"},
      {"train --init " + kResNet + " --out " + out + " --dataset " + kExports + "/rgb_test.pt" +
           " --test-dataset " + kTest + " --epochs 1",
       "rgb_test.pt: images of shape [3, 28, 28] do not fit"},
  };
  for (const auto& c : cases) {
    const Result r = run(c.args, true);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.args << "\n" << r.out;
    // one line: the message, nothing else
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << c.args << "\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".ckpt"));
  fs::remove_all(dir);
}

// The memory rule: `--memory all` adds every norm parameter to memory, after the default set.
TEST(OwnNetwork, MemoryRuleAllStoresNormParameters) {
  const lh::Model layers = lh::load_model(kResNet);
  lh::ModelSource all_source;
  all_source.memory = "all";
  const lh::Model all = lh::load_model(kResNet, all_source);
  std::int64_t norm_words = 0;
  for (const auto& e : all.memory_map()) {
    if (e.name.find("bn") != std::string::npos || e.name.find("shortcut.1") != std::string::npos) {
      norm_words += e.words;
    }
  }
  EXPECT_GT(norm_words, 0);
  EXPECT_EQ(lh::memory_numel(all.net), lh::memory_numel(layers.net) + norm_words);
  for (const auto& e : layers.memory_map()) {
    EXPECT_TRUE(e.name.find("conv") != std::string::npos || e.name.find("stem") != std::string::npos ||
                e.name.find("shortcut.0") != std::string::npos || e.name.find("fc") != std::string::npos)
        << e.name;
  }
}

}  // namespace
