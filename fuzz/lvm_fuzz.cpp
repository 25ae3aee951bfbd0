// Fuzz target: the .lvm model-file reader (host::load_model_file, host/io/src/model_file.cpp), then
// host::instantiate on what it accepted. Each input is read as given and once more with its last
// 4 bytes replaced by the CRC-32 of the rest (version 2's trailer), so mutations of the header
// and the weights get past the checksum; version-1 seeds reach the same code without one.
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "lowvolt/common/crc32.h"
#include "lowvolt/io/model_file.h"

namespace {

void load_and_build(const std::string& bytes) {
  const std::string path = lowvolt::fuzz::scratch_dir() + "/fuzz.lvm";
  lowvolt::fuzz::write_bytes(path, bytes.data(), bytes.size());
  lowvolt::fuzz::expect_only_errors([&] {
    const auto file = lowvolt::host::load_model_file(path);
    std::uint64_t floats = 0;
    for (const auto& [name, tensor] : file.tensors)
      floats += static_cast<std::uint64_t>(tensor.numel());
    // Everything the reader allocated came from the file: no more floats than it holds.
    lowvolt::fuzz::require(floats * 4 <= bytes.size(),
                           ".lvm tensors hold more floats than the file");
    lowvolt::host::instantiate(file);
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  load_and_build(bytes);
  if (bytes.size() >= 20) {
    const std::uint32_t crc = lowvolt::crc32(bytes.data(), bytes.size() - 4);
    for (int i = 0; i < 4; ++i)
      bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    load_and_build(bytes);
  }
  return 0;
}
