// Fuzz target: the .lvp chip-profile reader (profiles::decode_profile,
// profiles/src/profile_io.cpp). Each input is decoded as given and once more with its last 4 bytes
// replaced by the CRC-32 of the rest, so that mutations reach the cell data behind the checksum. A
// profile that decodes must survive encode → decode unchanged.
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "lowvolt/common/crc32.h"
#include "lowvolt/profiles/profile.h"

namespace {

void decode_and_check(const std::string& bytes) {
  lowvolt::fuzz::expect_only_errors([&] {
    const auto p = lowvolt::profiles::decode_profile(bytes, "fuzz.lvp");
    const auto again =
        lowvolt::profiles::decode_profile(lowvolt::profiles::encode_profile(p), "re");
    lowvolt::fuzz::require(again == p, ".lvp encode/decode round trip changed the profile");
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  decode_and_check(bytes);
  if (bytes.size() >= 4) {
    const std::uint32_t crc = lowvolt::crc32(bytes.data(), bytes.size() - 4);
    for (int i = 0; i < 4; ++i)
      bytes[bytes.size() - 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    decode_and_check(bytes);
  }
  return 0;
}
