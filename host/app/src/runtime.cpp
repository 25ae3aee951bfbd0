#include "lowvolt/app/runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "lowvolt/common/tuning.h"

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
  if (tuning_enabled()) {
    // OpenBLAS's entry points, looked up at run time: LibTorch links whichever libblas.so.3 the
    // system selects, and only OpenBLAS has (and needs) a thread pool to size.
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
      set(1);
    }
  }
  return torch::get_num_threads();
}

int blas_threads() {
  using GetThreads = int (*)();
  const auto get = reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get != nullptr ? get() : 0;
}

std::function<void()> torch_thread_setup() {
  const int threads = torch::get_num_threads();
  return [threads] { torch::set_num_threads(threads); };
}

std::string runtime_info() {
  std::ostringstream out;
  out << "libtorch:      " << TORCH_VERSION << '\n';
  out << "threads:       " << torch::get_num_threads() << " (hardware "
      << std::thread::hardware_concurrency() << ")\n";
  // Touch BLAS once so that the library is resolved before we ask which one it is.
  (void)torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
  out << "blas (sgemm_): " << library_providing("sgemm_") << '\n';
  const int blas = blas_threads();
  out << "blas threads:  " << (blas > 0 ? std::to_string(blas) : std::string("n/a (not OpenBLAS)"))
      << '\n';
  return out.str();
}

}  // namespace lowvolt::host
