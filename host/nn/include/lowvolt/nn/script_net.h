#pragma once
// The TorchScript module behind a Net (private to lowvolt::host; see script_model.h).
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/script.h>

#include <memory>

#include <string>
#include <vector>

namespace lowvolt::host {

/// The TorchScript module behind a Net, with its memory tensors.
struct ScriptNet {
  std::string path;                       ///< file it came from (for messages)
  torch::jit::Module module;              ///< the user's module
  std::vector<std::string> memory_names;  ///< memory tensors' dotted names
  std::vector<torch::Tensor> memory;      ///< the tensors themselves (shared with `module`)
  /// forward() inlined with its 2×2 max pooling run as max_pool_2x2 (models.h), for evaluation
  /// (no gradients: the rewritten op has no backward); null when the graph has no such pooling. Same values as forward().
  std::unique_ptr<torch::jit::GraphFunction> inference;
};

}  // namespace lowvolt::host
