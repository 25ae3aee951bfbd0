#include "lowvolt/host/runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>
#include <thread>

namespace lowvolt::host {
namespace {

/// Path of the loaded shared object that provides `symbol` (the BLAS actually used by LibTorch).
std::string library_providing(const char* symbol) {
  void* address = ::dlsym(RTLD_DEFAULT, symbol);
  if (address == nullptr) return "not loaded";
  Dl_info info{};
  if (::dladdr(address, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  std::error_code ec;
  const auto real = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : real.string();
}

}  // namespace

int configure_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return torch::get_num_threads();
}

std::string runtime_info() {
  std::ostringstream out;
  out << "libtorch:      " << TORCH_VERSION << '\n';
  out << "threads:       " << torch::get_num_threads() << " (hardware "
      << std::thread::hardware_concurrency() << ")\n";
  // Touch BLAS once so that the library is resolved before we ask which one it is.
  (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
  out << "blas (sgemm_): " << library_providing("sgemm_") << '\n';
  return out.str();
}

}  // namespace lowvolt::host
