// lowvolt-chip-read-bench: the C++ side of bench/python-speed. Times host::read_through_chip —
// a flat array of 8-bit codes read through a chip profile at one supply, linear layout — the call
// lowvolt.Profile.read and lowvolt.ChipFaults.read make from Python, so that the two sides time
// the same work:
//   full      read_through_chip(map, vdd, ...): fault masks at the supply, then the read
//             (Profile.read(codes, vdd=V))
//   reuse     read_through_chip(masks, ...) with masks built once (ChipFaults.read(codes))
// Each repetition reads into a freshly allocated output, as the Python calls return a new array;
// one untimed call comes first.
// Prints one JSON object: {"codes", "vdd", "changed", "full": [seconds...], "reuse": [...]}.
//
// Usage: lowvolt-chip-read-bench PROFILE.lvp [--vdd 0.84] [--codes 5500000] [--reps 5]
//                                [--seed 1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/chip/chip_read.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/profiles/read_model.h"

namespace {

namespace lh = lowvolt::host;
namespace lp = lowvolt::profiles;
using Clock = std::chrono::steady_clock;

std::string join(const std::vector<double>& v) {
  std::string out;
  char buf[32];
  for (const double x : v) {
    std::snprintf(buf, sizeof buf, "%.6f", x);
    out += (out.empty() ? "" : ", ") + std::string(buf);
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc < 2)
    lowvolt::fail(
        "usage: lowvolt-chip-read-bench PROFILE.lvp [--vdd V] [--codes N] [--reps R] [--seed S]");
  const std::string profile_path = argv[1];
  double vdd = 0.84;
  std::uint64_t n = 5'500'000, reps = 5, seed = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const std::string value = argv[i + 1];
    if (key == "--vdd") {
      const auto v = lowvolt::parse_real(value);
      if (!v) lowvolt::fail("--vdd: '", value, "' is not a number");
      vdd = *v;
    } else if (key == "--codes" || key == "--reps" || key == "--seed") {
      const auto v = lowvolt::parse_unsigned(value);
      if (!v) lowvolt::fail(key, ": '", value, "' is not an unsigned integer");
      (key == "--codes" ? n : key == "--reps" ? reps : seed) = *v;
    } else {
      lowvolt::fail("unknown option '", key, "'");
    }
  }
  const lp::Profile profile = lp::read_profile(profile_path);
  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> codes(n);
  for (auto& c : codes) c = static_cast<std::uint8_t>(rng());
  const lh::ChipLayout layout;  // linear, 8 bits, offset 0

  std::vector<double> full, reuse;
  std::uint64_t changed = 0;
  {  // one untimed call of each kind first: the first touches fresh memory
    std::vector<std::uint8_t> out(n);
    lh::read_through_chip(profile.map, vdd, layout, codes.data(), out.data(), n);
  }
  for (std::uint64_t r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    std::vector<std::uint8_t> out(n);
    changed = lh::read_through_chip(profile.map, vdd, layout, codes.data(), out.data(), n);
    full.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  const lp::FaultMasks masks = profile.map.faults_at(lp::vdd_code(vdd));
  {
    std::vector<std::uint8_t> out(n);
    lh::read_through_chip(masks, layout, codes.data(), out.data(), n);
  }
  for (std::uint64_t r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    std::vector<std::uint8_t> out(n);
    lh::read_through_chip(masks, layout, codes.data(), out.data(), n);
    reuse.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::printf(
      "{\"codes\": %llu, \"vdd\": %g, \"changed\": %llu, \"full\": [%s], \"reuse\": [%s]}\n",
      static_cast<unsigned long long>(n), vdd, static_cast<unsigned long long>(changed),
      join(full).c_str(), join(reuse).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return lowvolt::run_main("lowvolt-chip-read-bench: ", [&] { return run(argc, argv); });
}
