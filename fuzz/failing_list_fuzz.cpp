// Fuzz target: the failing-cell CSV reader and import (profiles::read_failing_list and
// profiles::import_failing_lists, profiles/src/profile_exchange.cpp). The first byte picks the
// import options: bit 0 — geometry given (2 × 64 × 64) or inferred from the cells; bit 1 — σ_n
// estimated from fractional rates; bit 2 — min_rate 0.5. An import that succeeds must give a
// profile whose cells all lie in its geometry, whose observations are consistent, and which
// survives the .lvp encode → decode round trip.
#include <string>

#include "fuzz_util.h"
#include "lowvolt/profiles/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  const std::string path = lowvolt::fuzz::scratch_dir() + "/fuzz.csv";
  lowvolt::fuzz::write_bytes(path, data + 1, size - 1);
  lowvolt::profiles::ImportOptions options;
  if (mode & 1) options.geometry = lowvolt::profiles::Geometry{2, 64, 64};
  options.estimate_sigma_n = (mode & 2) != 0;
  options.min_rate = (mode & 4) ? 0.5 : 0.0;
  lowvolt::fuzz::expect_only_errors([&] {
    const auto cells = lowvolt::profiles::read_failing_list(path);
    const auto p = lowvolt::profiles::import_failing_lists({path}, options);
    lowvolt::fuzz::require(p.map.geometry().cells() >= 1, "empty geometry accepted");
    for (const auto& o : p.observations) {
      lowvolt::fuzz::require(o.violations <= o.failing && o.failing <= p.map.geometry().cells(),
                             "observation counts impossible for the chip");
    }
    lowvolt::fuzz::require(
        lowvolt::profiles::decode_profile(lowvolt::profiles::encode_profile(p), "re") == p,
        "imported profile does not survive the .lvp round trip");
    (void)cells;
  });
  return 0;
}
