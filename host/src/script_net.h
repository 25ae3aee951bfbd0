#pragma once
// The TorchScript module behind a Net (private to lowvolt::host; see script_model.h).
#include <torch/script.h>

#include <string>
#include <vector>

namespace lowvolt::host {

/// The TorchScript module behind a Net, with its memory tensors.
struct ScriptNet {
  std::string path;                       ///< file it came from (for messages)
  torch::jit::Module module;              ///< the user's module
  std::vector<std::string> memory_names;  ///< memory tensors' dotted names
  std::vector<torch::Tensor> memory;      ///< the tensors themselves (shared with `module`)
};

}  // namespace lowvolt::host
