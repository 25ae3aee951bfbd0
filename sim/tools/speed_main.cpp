// lowvolt-sim-speed: simulation speed of the rtl backend — the Verilated accelerator under
// SystemC, every command a TLM-2.0 transaction. Runs `tiles` full 8×8 tiles (m = 8 bits,
// K = `k` steps) at two operating points and reports simulated clock cycles per second of
// wall-clock time (cycles from SystemC's simulated time; the RTL's own cycle counter agrees),
// as a table and as one JSON object per line:
//   nominal   all-good profile, supply at the reset code (no faulty cell);
//   chip1     a `chip1` profile (profiles presets, seed 1) at 0.85 × Vmin.
// Usage: lowvolt-sim-speed [--tiles N] [--k K]      (defaults: 100 tiles, K = 4096)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"
#include "lowvolt/sim/rtl_backend.h"

namespace {

namespace hw = lowvolt::accelerator::hw;

struct Result {
  std::uint64_t cycles = 0;      // simulated clock cycles of the timed runs
  std::uint64_t rtl_cycles = 0;  // the same, from the RTL's cycle counter
  std::uint64_t macs = 0;        // MACs counted by the RTL during the timed runs
  double seconds = 0;            // wall-clock time of the timed runs
};

Result measure(lowvolt::sim::RtlAccelerator& accel, int tiles, std::uint32_t k,
               std::mt19937_64& rng) {
  std::vector<std::uint64_t> weights(hw::kBufferWords);
  for (auto& w : weights) w = rng();
  accel.write(0, weights);
  lowvolt::accelerator::TileConfig cfg;
  cfg.act_zero = 3;
  cfg.w_zero = 128;
  accel.tile_cfg(cfg);
  std::vector<std::uint64_t> act(k);
  for (auto& a : act) a = rng();
  std::vector<std::int32_t> out(std::size_t{cfg.rows} * cfg.cols);
  const auto before = accel.counters();
  const std::uint64_t cycles0 = accel.simulated_cycles();
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < tiles; ++t) {
    const auto start_word = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
    accel.run(start_word * hw::kWordBits, act.data(), act.size(), out.data());
  }
  const auto t1 = std::chrono::steady_clock::now();
  const std::uint64_t cycles1 = accel.simulated_cycles();
  const auto after = accel.counters();
  return Result{cycles1 - cycles0, after.cycles - before.cycles - (hw::kCounterWords + 2),
                after.macs - before.macs, std::chrono::duration<double>(t1 - t0).count()};
}

void report(const char* name, const Result& r, int tiles, std::uint32_t k) {
  std::printf("%-8s %6d tiles  K=%-6u %12llu cycles %8.3f s  %8.3f M cycles/s  %8.1f M MACs/s\n",
              name, tiles, k, static_cast<unsigned long long>(r.cycles), r.seconds,
              r.cycles / r.seconds / 1e6, r.macs / r.seconds / 1e6);
  std::printf("{\"bench\": \"sim_speed\", \"point\": \"%s\", \"pe_rows\": %u, \"pe_cols\": %u, "
              "\"tiles\": %d, \"k\": %u, \"cycles\": %llu, \"rtl_cycles\": %llu, \"macs\": %llu, "
              "\"seconds\": %.6f, \"cycles_per_s\": %.0f, \"macs_per_s\": %.0f}\n",
              name, hw::kPeRows, hw::kPeCols, tiles, k, static_cast<unsigned long long>(r.cycles),
              static_cast<unsigned long long>(r.rtl_cycles),
              static_cast<unsigned long long>(r.macs), r.seconds, r.cycles / r.seconds,
              r.macs / r.seconds);
}

int run_main(int argc, char** argv) {
  int tiles = 100;
  std::uint32_t k = 4096;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--tiles" || arg == "--k") && i + 1 < argc) {
      const long v = std::strtol(argv[++i], nullptr, 10);
      if (v < 1 || v > 65535) {
        lowvolt::fail("lowvolt-sim-speed: ", arg, " = ", argv[i], " outside 1..65535");
      }
      if (arg == "--tiles") {
        tiles = static_cast<int>(v);
      } else {
        k = static_cast<std::uint32_t>(v);
      }
    } else {
      throw lowvolt::UsageError("lowvolt-sim-speed: unknown argument '" + arg +
                                "' (usage: lowvolt-sim-speed [--tiles N] [--k K])");
    }
  }
  std::mt19937_64 rng(1);
  lowvolt::sim::RtlAccelerator accel;
  report("nominal", measure(accel, tiles, k, rng), tiles, k);

  accel.load_profile(lowvolt::profiles::generate_chip(lowvolt::profiles::preset("chip1"),
                                                      lowvolt::accelerator::buffer_geometry(), 1));
  accel.set_vdd(0.85);
  report("chip1", measure(accel, tiles, k, rng), tiles, k);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const lowvolt::UsageError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const lowvolt::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
