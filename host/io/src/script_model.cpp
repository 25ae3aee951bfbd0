#include "lowvolt/host/script_model.h"

#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/constant_propagation.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/library.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/host/models.h"
#include "script_net.h"
#include "torch_archive_check.h"
#include "torch_error.h"

namespace lowvolt::host {

namespace {

constexpr const char* kRecordName = "lowvolt.json";

/// The class a scripted module was made from ("Conv2d" for
/// __torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d), when it is one of torch.nn's.
std::string torch_nn_class(const torch::jit::Module& m) {
  const auto type = m.type();
  if (!type->name()) return "";
  const std::string qualified = type->name()->qualifiedName();
  if (qualified.find("torch.nn.modules.") == std::string::npos) return "";
  return type->name()->name();
}

bool is_matrix_layer(const std::string& cls) {
  return cls == "Conv1d" || cls == "Conv2d" || cls == "Conv3d" || cls == "Linear";
}

namespace jit = torch::jit;

/// lowvolt::max_pool_2x2: max_pool_2x2 (models.h) where it applies, max_pool2d(x, 2) otherwise
/// (other ranks, inputs smaller than 2×2: its own error message).
torch::Tensor max_pool_2x2_op(const torch::Tensor& x) {
  if ((x.dim() == 3 || x.dim() == 4) && x.size(-1) >= 2 && x.size(-2) >= 2) return max_pool_2x2(x);
  return torch::max_pool2d(x, 2);
}

TORCH_LIBRARY_FRAGMENT(lowvolt, m) { m.def("max_pool_2x2(Tensor x) -> Tensor", &max_pool_2x2_op); }

/// Whether `v` is a constant int list equal to `want` (a one-element list stands for both sides).
bool int_list_is(jit::Value* v, std::int64_t want) {
  const auto value = jit::toIValue(v);
  if (!value || !value->isIntList()) return false;
  const auto list = value->toIntVector();
  if (list.empty() || list.size() > 2) return false;
  for (const auto x : list) {
    if (x != want) return false;
  }
  return true;
}

/// Whether `n` is max_pool2d(x, 2) in any spelling: kernel 2, stride 2 or default, padding 0,
/// dilation 1, floor mode.
bool is_max_pool_2x2(jit::Node* n) {
  if (n->kind() != c10::Symbol::fromQualString("aten::max_pool2d") || n->inputs().size() != 6)
    return false;
  const auto stride = jit::toIValue(n->input(2));
  const bool default_stride = stride && stride->isIntList() && stride->toIntVector().empty();
  const auto ceil = jit::toIValue(n->input(5));
  return int_list_is(n->input(1), 2) && (default_stride || int_list_is(n->input(2), 2)) &&
         int_list_is(n->input(3), 0) && int_list_is(n->input(4), 1) && ceil && ceil->isBool() &&
         !ceil->toBool();
}

void collect_nodes(jit::Block* block, std::vector<jit::Node*>& out) {
  for (jit::Node* n : block->nodes()) {
    out.push_back(n);
    for (jit::Block* b : n->blocks()) collect_nodes(b, out);
  }
}

/// ScriptNet::inference for `module`, or null when forward() has no max_pool2d(x, 2).
/// LibTorch 1.13's max_pool2d on NCHW tensors is slow (models.h); the bundled cnn exported to
/// TorchScript ran at 0.63 × the speed of its .lvm file before this (docs/benchmarks.md).
std::unique_ptr<jit::GraphFunction> inference_function(const jit::Module& module) {
  auto graph = module.get_method("forward").graph()->copy();
  jit::Inline(*graph);
  jit::ConstantPropagation(graph);
  std::vector<jit::Node*> nodes;
  collect_nodes(graph->block(), nodes);
  const c10::Symbol pool = c10::Symbol::fromQualString("lowvolt::max_pool_2x2");
  int rewritten = 0;
  for (jit::Node* n : nodes) {
    if (!is_max_pool_2x2(n)) continue;
    jit::Node* call = graph->create(pool, {n->input(0)}, 1);
    call->insertBefore(n);
    call->output()->setType(n->output()->type());
    n->output()->replaceAllUsesWith(call->output());
    n->destroy();
    ++rewritten;
  }
  if (rewritten == 0) return nullptr;
  jit::EliminateDeadCode(graph);
  return std::make_unique<jit::GraphFunction>("lowvolt_inference_forward", graph, nullptr);
}

/// A parameter name as a torch::nn::Module accepts it (no dots).
std::string registered_name(const std::string& dotted) {
  std::string out = dotted;
  for (char& c : out) {
    if (c == '.') c = '/';
  }
  return out;
}

}  // namespace

MemoryRule parse_memory_rule(const std::string& text, const std::string& option) {
  if (text == "layers") return MemoryRule::kLayers;
  if (text == "all") return MemoryRule::kAll;
  fail(option, ": expected layers or all, got '", text, "'");
}

std::string memory_rule_name(MemoryRule rule) {
  return rule == MemoryRule::kAll ? "all" : "layers";
}

bool looks_like_torchscript(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == '\x03' &&
         magic[3] == '\x04';
}

NetImpl::NetImpl(std::shared_ptr<ScriptNet> script_) : script(std::move(script_)) {
  LV_CHECK(script != nullptr, "a TorchScript Net needs its module");
  config.arch = "torchscript";
  config.norm = "none";
  config.channels = 0;
  config.height = 0;
  config.width_px = 0;
  config.classes = 0;
  for (const auto& p : script->module.named_parameters(true)) {
    register_parameter(registered_name(p.name), p.value, p.value.requires_grad());
  }
  for (const auto& b : script->module.named_buffers(true)) {
    register_buffer(registered_name(b.name), b.value);
  }
}

ScriptModel load_script_model(const std::string& path, MemoryRule memory) {
  check_input_file(path);
  if (!looks_like_torchscript(path)) {
    fail(path, ": neither a LowVolt model file (.lvm) nor a TorchScript archive (torch.jit.save)");
  }
  // Read once and checked before LibTorch sees it: its reader trusts the sizes the file states.
  std::string bytes = without_debug_records(path, read_checked_torch_archive(path));
  auto script = std::make_shared<ScriptNet>();
  script->path = path;
  ScriptModel out;
  torch::jit::ExtraFilesMap extra{{kRecordName, ""}};
  try {
    script->module = torch::jit::load(archive_adapter(std::move(bytes)), torch::kCPU, extra);
  } catch (const std::exception& e) {
    fail(path, ": not a loadable TorchScript archive: ", torch_error_line(e));
  }
  out.record = extra[kRecordName];
  if (!script->module.find_method("forward"))
    fail(path, ": the TorchScript module has no forward()");
  script->module.eval();
  try {
    script->inference = inference_function(script->module);
  } catch (const std::exception&) {
    script->inference = nullptr;  // the graph resisted inlining: evaluate through forward() as is
  }

  std::vector<std::pair<std::string, torch::Tensor>> chosen;
  if (memory == MemoryRule::kAll) {
    for (const auto& p : script->module.named_parameters(true))
      chosen.emplace_back(p.name, p.value);
  } else {
    for (const auto& m : script->module.named_modules()) {
      if (!is_matrix_layer(torch_nn_class(m.value))) continue;
      for (const char* which : {"weight", "bias"}) {
        for (const auto& p : m.value.named_parameters(false)) {
          if (p.name == which)
            chosen.emplace_back(m.name.empty() ? p.name : m.name + "." + p.name, p.value);
        }
      }
    }
  }
  if (chosen.empty()) {
    fail(path, ": no parameter lies in weight memory under the memory rule '",
         memory_rule_name(memory), "' (no torch.nn Conv/Linear layer; try --memory all)");
  }
  for (auto& [name, tensor] : chosen) {
    if (tensor.scalar_type() != torch::kFloat32) {
      fail(path, ": parameter ", name, " is ", tensor.scalar_type(),
           ", LowVolt quantizes float32 weights");
    }
    script->memory_names.push_back(name);
    script->memory.push_back(tensor);
  }
  out.memory = memory;
  out.net = Net(std::make_shared<NetImpl>(script));
  return out;
}

void save_script_model(const Net& net, const std::string& path, const std::string& record) {
  LV_CHECK(net->script != nullptr, "save_script_model on a built-in Net");
  torch::jit::ExtraFilesMap extra{{kRecordName, record}};
  write_file_atomic(path, [&](std::ostream& out) { net->script->module.save(out, extra); });
}

std::vector<torch::Tensor> script_memory(const ScriptNet& script) { return script.memory; }

std::vector<std::string> script_memory_names(const ScriptNet& script) {
  return script.memory_names;
}

torch::Tensor script_forward(ScriptNet& script, const torch::Tensor& x) {
  torch::jit::IValue result;
  try {
    if (script.inference && !torch::GradMode::is_enabled()) {
      std::vector<c10::IValue> stack{script.module._ivalue(), x};
      script.inference->run(stack);
      result = stack.back();
    } else {
      result = script.module.forward({x});
    }
  } catch (const std::exception& e) {
    throw ScriptForwardError(script.path + ": forward() failed on input " + shape_text(x) + ": " +
                             torch_error_line(e));
  }
  if (!result.isTensor()) {
    fail(script.path, ": forward() returned a ", result.tagKind(),
         ", expected an N×classes tensor");
  }
  torch::Tensor y = result.toTensor();
  if (y.dim() != 2 || y.size(0) != x.size(0) || y.size(1) < 2) {
    fail(script.path, ": forward() returned shape ", shape_text(y), " for ", x.size(0),
         " images, expected (N, classes) = (", x.size(0), ", ≥ 2)");
  }
  if (y.scalar_type() != torch::kFloat32) y = y.to(torch::kFloat32);
  return y;
}

void script_train(ScriptNet& script, bool on) { script.module.train(on); }

}  // namespace lowvolt::host
