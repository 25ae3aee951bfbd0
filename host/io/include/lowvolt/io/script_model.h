#pragma once
// TorchScript models: a user's PyTorch network (`torch.jit.script(net).save(path)`) as a Net.
// Contract:
//  - Loading: torch::jit::load of a regular file; a file that is not a TorchScript archive, or
//    whose forward() cannot be called, is a lowvolt::Error naming the path. The module is not
//    frozen: its parameters stay tensors that bit errors and training change in place.
//  - Weight memory (the "memory rule", docs/own-network.md): with MemoryRule::kLayers (the
//    default) the weight and bias of every convolution and linear layer (torch.nn Conv1d/2d/3d,
//    Linear, by the class the module was scripted from), in module order (named_modules(),
//    depth first, in the order the modules were assigned), weight before bias; with
//    MemoryRule::kAll every parameter (named_parameters(), norm layers included: what the
//    paper's code flips). Buffers (running statistics) are never in memory.
//  - Forward: one tensor in (N×C×H×W float32), one tensor out, which must be N×classes with
//    classes ≥ 2, else lowvolt::Error naming the file and the shape returned.
//  - Metadata: LowVolt writes its own record (quantization, memory rule, training options,
//    metrics) as the extra file "lowvolt.json" inside the archive; torch.jit.load in Python
//    ignores it and loads the same module.
//  - The layout of weight memory for the accelerator (accelerator::WeightImage) is derived from
//    the memory tensors alone: a ≥ 2-d weight W (N = W.size(0) rows of K = W.numel()/N) followed
//    by a 1-d tensor of N values is a layer with bias, otherwise without; a 1-d tensor not
//    following a weight (MemoryRule::kAll) is a layer of N = numel rows of K = 1.
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/script_net.h"

namespace lowvolt::host {

/// Which parameters of a TorchScript module live in weight memory.
enum class MemoryRule {
  kLayers,  ///< weights and biases of convolution and linear layers (default)
  kAll,     ///< every parameter, normalization included (the paper's code)
};

/// "layers" or "all"; lowvolt::Error naming `option` otherwise.
MemoryRule parse_memory_rule(const std::string& text, const std::string& option = "--memory");
/// "layers" or "all".
std::string memory_rule_name(MemoryRule rule);

/// Whether `path` starts like a TorchScript archive (a zip file: "PK\x03\x04").
bool looks_like_torchscript(const std::string& path);

/// A loaded TorchScript model with LowVolt's record of it.
struct ScriptModel {
  Net net{nullptr};                          ///< the module as a Net (arch "torchscript")
  MemoryRule memory = MemoryRule::kLayers;   ///< the rule that chose net's memory tensors
  /// The "lowvolt.json" record when the file has one (written by `lowvolt train`), else empty.
  std::string record;
};

/// Loads a TorchScript file (see the contract); lowvolt::Error naming `path` on failure.
ScriptModel load_script_model(const std::string& path, MemoryRule memory);

/// Writes `net`'s TorchScript module (which must hold one) to `path` atomically, with `record`
/// as the extra file "lowvolt.json".
void save_script_model(const Net& net, const std::string& path, const std::string& record);


}  // namespace lowvolt::host
