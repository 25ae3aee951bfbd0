// TorchScript models evaluate with their 2×2 max pooling rewritten to LowVolt's strided form
// (script_model.cpp): the evaluation path (no gradients) must give the very values of
// the module's own forward() (the training path) for every spelling of max_pool2d, rewritten or
// not, for odd sizes, 3-d inputs and NaN.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "lowvolt/io/script_model.h"
#include "lowvolt/nn/models.h"

namespace lowvolt::host {
namespace {

namespace fs = std::filesystem;

/// A TorchScript file whose forward() is `body` (TorchScript source over `x` and self.conv).
std::string save_module(const std::string& name, const std::string& body) {
  torch::jit::Module m("__torch__.PoolNet");
  torch::manual_seed(7);
  m.register_attribute("training", c10::BoolType::get(), true);
  m.register_parameter("weight", torch::randn({4, 2, 3, 3}), false);
  m.define("def forward(self, x):\n  y = torch.conv2d(x, self.weight, None, [1, 1], [1, 1])\n" +
           body);
  const fs::path path = fs::temp_directory_path() / ("lowvolt_script_pool_" + name + ".pt");
  m.save(path.string());
  return path.string();
}

/// Logits of `path` on `x` through the evaluation path and through forward() with gradients.
void expect_same_both_ways(const std::string& path, const torch::Tensor& x) {
  ScriptModel model = load_script_model(path, MemoryRule::kAll);
  model.net->eval();
  torch::Tensor eval_out;
  {
    torch::NoGradGuard no_grad;
    eval_out = model.net->forward(x);
  }
  const torch::Tensor grad_out = model.net->forward(x).detach();
  ASSERT_EQ(eval_out.sizes(), grad_out.sizes()) << path;
  EXPECT_TRUE(torch::equal(eval_out.isnan(), grad_out.isnan())) << path;
  EXPECT_TRUE(torch::equal(eval_out.nan_to_num(0.0), grad_out.nan_to_num(0.0))) << path;
  fs::remove(path);
}

const std::string kFlatten = "  return torch.flatten(y, 1)\n";

// Every spelling of max_pool2d(x, 2) (rewritten) and others (kept) evaluate as forward() does.
TEST(ScriptPool, EvaluationPathEqualsForwardForEverySpelling) {
  const std::pair<const char*, const char*> pools[] = {
      {"default_stride", "  y = torch.max_pool2d(y, [2, 2])\n"},
      {"explicit", "  y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], False)\n"},
      {"twice", "  y = torch.max_pool2d(torch.max_pool2d(y, [2, 2]), [2, 2])\n"},
      {"ceil_kept", "  y = torch.max_pool2d(y, [2, 2], [2, 2], [0, 0], [1, 1], True)\n"},
      {"padding_kept", "  y = torch.max_pool2d(y, [2, 2], [2, 2], [1, 1])\n"},
      {"kernel3_kept", "  y = torch.max_pool2d(y, [3, 3])\n"},
  };
  torch::manual_seed(3);
  for (const auto& [name, pool] : pools) {
    for (const std::int64_t side : {8, 7}) {
      SCOPED_TRACE(std::string(name) + " side " + std::to_string(side));
      torch::Tensor x = torch::randn({5, 2, side, side});
      x[1][0][2][3] = std::numeric_limits<float>::quiet_NaN();
      expect_same_both_ways(save_module(name, std::string(pool) + kFlatten), x);
    }
  }
}

// A C×H×W input takes the same path as a batch of one.
TEST(ScriptPool, ThreeDimensionalInput) {
  torch::manual_seed(4);
  expect_same_both_ways(
      save_module("three_d", "  y = torch.max_pool2d(y, [2, 2])\n  return y.reshape([2, -1])\n"),
      torch::randn({2, 9, 9}));
}

// The strided form equals LibTorch's max_pool2d, odd sides dropping the last row/column.
TEST(ScriptPool, StridedFormEqualsMaxPool2d) {
  torch::manual_seed(5);
  for (const auto& shape : {std::vector<std::int64_t>{3, 4, 6, 6}, {2, 3, 5, 7}, {4, 11, 3}}) {
    const torch::Tensor x = torch::randn(shape);
    EXPECT_TRUE(torch::equal(max_pool_2x2(x), torch::max_pool2d(x, 2))) << x.sizes();
  }
}

}  // namespace
}  // namespace lowvolt::host
