// lowvolt-rtl-speed: simulation speed of the Verilated 8x8 accelerator in a plain C++ harness.
// Runs `tiles` full tiles (rows = cols = 8, m = 8 bits, K = `k` steps: one weight word and one
// activation word per cycle) at two operating points and reports simulated cycles per second and
// MACs per second of wall-clock time, as a table and as one JSON object per line:
//   nominal   no profile loaded (no faulty cell), vdd = reset code;
//   faulty    a random profile (1 % of cells with V_c in [0.8, 1.0] x Vmin, sigma 0.01 x Vmin,
//             so every read of a row with a near-threshold cell runs the per-read hash) at 0.9
//             Vmin.
// Usage: lowvolt-rtl-speed [--tiles N] [--k K] [--trace FILE]   (defaults: 200 tiles, K = 4096)
// --trace writes an FST waveform of every cycle (slow; for debugging with small N and K).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/rtl/accel_driver.h"

namespace {

namespace hw = lowvolt::accelerator::hw;

struct Result {
  std::uint64_t cycles = 0;  // simulated clock cycles of the timed runs
  std::uint64_t macs = 0;    // MACs counted by the RTL during the timed runs
  double seconds = 0;        // wall-clock time of the timed runs
  double cpu_seconds = 0;    // CPU time of this process during the timed runs
};

Result measure(lowvolt::rtl::AccelDriver& accel, int tiles, std::uint32_t k, std::mt19937_64& rng) {
  std::vector<std::uint64_t> weights(hw::kBufferWords);
  for (auto& w : weights) w = rng();
  accel.write(0, weights);
  accel.tile_cfg(lowvolt::accelerator::TileConfig{hw::kPeRows, hw::kPeCols, 8, 3, 128, true, false});
  std::vector<std::uint64_t> act(k);
  for (auto& a : act) a = rng();
  const auto before = accel.counters();
  const std::uint64_t ticks0 = accel.ticks();
  const std::clock_t c0 = std::clock();
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < tiles; ++t) {
    const std::uint32_t start_word = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
    accel.run(start_word * hw::kWordBits, act);
  }
  const auto t1 = std::chrono::steady_clock::now();
  const std::clock_t c1 = std::clock();
  const std::uint64_t ticks1 = accel.ticks();
  const auto after = accel.counters();
  return Result{ticks1 - ticks0, after.macs - before.macs,
                std::chrono::duration<double>(t1 - t0).count(),
                static_cast<double>(c1 - c0) / CLOCKS_PER_SEC};
}

void report(const char* name, const Result& r, int tiles, std::uint32_t k) {
  std::printf(
      "%-8s %5d tiles K=%-5u %11llu cycles  wall %7.3f s: %6.3f M cycles/s %7.1f M MACs/s"
      "  cpu %7.3f s: %6.3f M cycles/s %7.1f M MACs/s\n",
      name, tiles, k, static_cast<unsigned long long>(r.cycles), r.seconds,
      r.cycles / r.seconds / 1e6, r.macs / r.seconds / 1e6, r.cpu_seconds,
      r.cycles / r.cpu_seconds / 1e6, r.macs / r.cpu_seconds / 1e6);
  std::printf(
      "{\"bench\": \"rtl_speed\", \"point\": \"%s\", \"pe_rows\": %u, \"pe_cols\": %u, "
      "\"tiles\": %d, \"k\": %u, \"cycles\": %llu, \"macs\": %llu, \"wall_s\": %.6f, "
      "\"cpu_s\": %.6f, \"cycles_per_wall_s\": %.0f, \"macs_per_wall_s\": %.0f, "
      "\"cycles_per_cpu_s\": %.0f, \"macs_per_cpu_s\": %.0f}\n",
      name, hw::kPeRows, hw::kPeCols, tiles, k, static_cast<unsigned long long>(r.cycles),
      static_cast<unsigned long long>(r.macs), r.seconds, r.cpu_seconds, r.cycles / r.seconds,
      r.macs / r.seconds, r.cycles / r.cpu_seconds, r.macs / r.cpu_seconds);
}

int run_main(int argc, char** argv) {
  int tiles = 200;
  std::uint32_t k = 4096;
  std::string trace;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--trace" && i + 1 < argc) {
      trace = argv[++i];
    } else if ((arg == "--tiles" || arg == "--k") && i + 1 < argc) {
      const long v = std::strtol(argv[++i], nullptr, 10);
      if (v < 1 || v > 65535) {
        lowvolt::fail("lowvolt-rtl-speed: ", arg, " = ", argv[i], " outside 1..65535");
      }
      if (arg == "--tiles")
        tiles = static_cast<int>(v);
      else
        k = static_cast<std::uint32_t>(v);
    } else {
      throw lowvolt::UsageError("lowvolt-rtl-speed: unknown argument '" + arg +
                                "' (usage: lowvolt-rtl-speed [--tiles N] [--k K] [--trace FILE])");
    }
  }
  std::mt19937_64 rng(1);
  lowvolt::rtl::AccelDriver accel(trace);
  report("nominal", measure(accel, tiles, k, rng), tiles, k);

  lowvolt::profiles::CellMap chip(lowvolt::accelerator::buffer_geometry(),
                                  static_cast<std::uint16_t>(0.01 * hw::kCodeOneVmin), 42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t c = 0; c < chip.vc().size(); ++c) {
    const bool weak = unit(rng) < 0.01;
    chip.vc()[c] = static_cast<std::uint16_t>(weak ? 0.8 * hw::kCodeOneVmin +
                                                         unit(rng) * 0.2 * hw::kCodeOneVmin
                                                   : unit(rng) * 0.7 * hw::kCodeOneVmin);
    chip.kind()[c] = static_cast<std::uint8_t>(rng() % 3);
  }
  accel.load_profile(chip);
  accel.set_vdd(static_cast<std::uint16_t>(0.9 * hw::kCodeOneVmin));
  report("faulty", measure(accel, tiles, k, rng), tiles, k);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Error messages already name the program.
  return lowvolt::run_main("", [&] { return run_main(argc, argv); });
}
