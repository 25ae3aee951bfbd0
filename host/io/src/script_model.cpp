#include "lowvolt/io/script_model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/io/torch_archive_check.h"
#include "lowvolt/nn/models.h"
#include "lowvolt/nn/script_net.h"
#include "lowvolt/nn/torch_error.h"

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

}  // namespace lowvolt::host
