#pragma once
// A user's TorchScript module behind a Net (models.h): its memory tensors, its forward() with the
// output checked, and the inference graph with 2×2 max pooling rewritten to max_pool_2x2. Loading
// and saving the file is io/script_model.h's; the contract of both is there.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/script.h>

#include <memory>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"

namespace lowvolt::host {

/// forward() of a TorchScript module failed on its input (a shape or type it cannot take); the
/// message names the file, the input shape and LibTorch's reason.
class ScriptForwardError : public Error {
 public:
  using Error::Error;
};

/// The TorchScript module behind a Net, with its memory tensors.
struct ScriptNet {
  std::string path;                       ///< file it came from (for messages)
  torch::jit::Module module;              ///< the user's module
  std::vector<std::string> memory_names;  ///< memory tensors' dotted names
  std::vector<torch::Tensor> memory;      ///< the tensors themselves (shared with `module`)
  /// forward() inlined with its 2×2 max pooling run as max_pool_2x2 (models.h), for evaluation
  /// (no gradients: the rewritten op has no backward); null when the graph has no such pooling.
  /// Same values as forward().
  std::unique_ptr<torch::jit::GraphFunction> inference;
};

/// ScriptNet::inference for `module`, or null when forward() has no max_pool2d(x, 2). LibTorch
/// 1.13's max_pool2d on NCHW tensors is slow (models.h).
std::unique_ptr<torch::jit::GraphFunction> inference_function(const torch::jit::Module& module);

/// The memory tensors of a TorchScript Net with their names, in memory order.
std::vector<torch::Tensor> script_memory(const ScriptNet& script);
/// Names of script_memory(), dotted ("layer1.0.conv1.weight").
std::vector<std::string> script_memory_names(const ScriptNet& script);
/// Runs the module's forward on `x` and checks the output shape (see the contract): a failure of
/// the module on `x` is a ScriptForwardError, a wrong output a lowvolt::Error.
torch::Tensor script_forward(ScriptNet& script, const torch::Tensor& x);
/// Sets the module's training mode.
void script_train(ScriptNet& script, bool on);

}  // namespace lowvolt::host
