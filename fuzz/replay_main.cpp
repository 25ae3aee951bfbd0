// Corpus replay without libFuzzer: feeds every file named on the command line (folders are
// walked recursively, in sorted order) to the target's LLVMFuzzerTestOneInput, as libFuzzer
// would feed one input. Built with the ordinary compiler for ctest (fuzz/CMakeLists.txt), so a
// committed seed or crash reproducer is rerun by every build, sanitized or not. Exit status 0
// when every file ran (a finding aborts the process), 1 when no input was found.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no input files\n");
    return 1;
  }
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // A copy of exactly `size` bytes, so that ASan sees a read past the input as an overflow.
    std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
    std::printf("replay: %s (%zu bytes)\n", path.c_str(), copy.size());
    std::fflush(stdout);
    LLVMFuzzerTestOneInput(copy.data(), copy.size());
  }
  std::printf("replay: %zu inputs, no finding\n", inputs.size());
  return 0;
}
