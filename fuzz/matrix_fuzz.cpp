// Fuzz target: the fault-map matrix import (profiles::find_matrices and profiles::import_matrices,
// profiles/src/profile_exchange.cpp). The input splits at lines "--" into up to four matrix
// files; file i is named fmap_<sa0|sa1|flip>_v_<V>.txt with the form and voltage taken from the
// first byte (so several maps may share a voltage or a form). Bit 7 of the first byte gives
// 64 rows per array instead of one array holding every line. An import that succeeds must give a
// profile that survives the .lvp encode → decode round trip.
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "lowvolt/profiles/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> parts;
  std::size_t at = 0;
  while (parts.size() < 3) {
    const std::size_t sep = text.find("\n--\n", at);
    if (sep == std::string::npos) break;
    parts.push_back(text.substr(at, sep - at));
    at = sep + 4;
  }
  parts.push_back(text.substr(at));
  const std::string dir = lowvolt::fuzz::fresh_dir("fmaps");
  static const char* const kForms[] = {"sa0", "sa1", "flip"};
  static const char* const kVolts[] = {"0.9", "0.8", "0.7", "1e-9"};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const char* form = kForms[(mode + i) % 3];
    const char* volt = kVolts[((mode >> 2) + i) % 4];
    const std::string path = dir + "/fmap_" + form + "_v_" + volt + ".txt";
    lowvolt::fuzz::write_bytes(path, parts[i].data(), parts[i].size());
  }
  lowvolt::profiles::ImportOptions options;
  if (mode & 0x80) options.geometry.rows = 64;
  options.estimate_sigma_n = (mode & 0x40) != 0;
  lowvolt::fuzz::expect_only_errors([&] {
    const auto maps = lowvolt::profiles::find_matrices(dir);
    const auto p = lowvolt::profiles::import_matrices(maps, options);
    lowvolt::fuzz::require(
        lowvolt::profiles::decode_profile(lowvolt::profiles::encode_profile(p), "re") == p,
        "imported profile does not survive the .lvp round trip");
  });
  return 0;
}
