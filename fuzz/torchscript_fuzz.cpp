// Fuzz target: the TorchScript model reader (host::load_script_model, host/io/src/script_model.cpp:
// torch::jit::load, the memory rule, the evaluation graph rewrite), then one forward pass of a
// 1×1×8×8 batch when the model loads. The first byte picks the memory rule (even: layers, odd:
// all); the rest is the file. A model that loads must hold at least one float32 memory tensor,
// no larger than the file; forward() may fail only with its one-line error.
#include <torch/torch.h>

#include <string>

#include "fuzz_util.h"
#include "lowvolt/io/script_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  using lowvolt::host::MemoryRule;
  const MemoryRule rule = data[0] % 2 == 0 ? MemoryRule::kLayers : MemoryRule::kAll;
  const std::string path = lowvolt::fuzz::scratch_dir() + "/fuzz_model.pt";
  lowvolt::fuzz::write_bytes(path, data + 1, size - 1);
  lowvolt::fuzz::expect_only_errors([&] {
    lowvolt::host::ScriptModel model = lowvolt::host::load_script_model(path, rule);
    const auto memory = model.net->memory_parameters();
    std::int64_t floats = 0;
    for (const auto& t : memory) {
      lowvolt::fuzz::require(t.scalar_type() == torch::kFloat32, "a non-float32 memory tensor");
      floats += t.numel();
    }
    lowvolt::fuzz::require(!memory.empty(), "a model with no memory tensor loaded");
    lowvolt::fuzz::require(static_cast<std::size_t>(floats) * 4 <= size, "memory larger than the file");
    torch::NoGradGuard no_grad;
    model.net->eval();
    model.net->forward(torch::zeros({1, 1, 8, 8}));  // a failure is a ScriptForwardError
  });
  return 0;
}
