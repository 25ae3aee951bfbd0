// `lowvolt info`: what this build runs on (LibTorch version, threads, BLAS, default data).
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "lowvolt/app/runtime.h"

namespace lowvolt::cli {
namespace {

int run_info(const Args& args) {
  po::options_description options("info options");
  options.add_options()("threads", po::value<int>()->default_value(2),
                        "LibTorch intra-op threads (≤ 0: all hardware threads)");
  const auto vm = parse("lowvolt info", "[options]", options, args);
  if (!vm) return 0;
  host::configure_threads((*vm)["threads"].as<int>());
  std::cout << "lowvolt:       " << LOWVOLT_VERSION << '\n' << host::runtime_info();
  const std::filesystem::path fmnist = "/usr/share/datasets/fashion-mnist";
  std::cout << "fashion-mnist: "
            << (std::filesystem::exists(fmnist / "t10k-images-idx3-ubyte.gz")
                    ? fmnist.string()
                    : std::string("missing (install dataset-fashion-mnist)"))
            << '\n';
  return 0;
}

}  // namespace

void register_info_command(Registry& registry) {
  registry.add({"info", "show the build: LibTorch version, threads, BLAS, data set", run_info});
}

}  // namespace lowvolt::cli
