// Acceptance of issue 6: the default cnn on Fashion-MNIST test images through the `rtl` backend
// (Verilated accelerator under SystemC, lowvolt::sim) and the `golden` backend gives bit-identical
// int32 results, Σx terms and bias codes for every conv/linear layer, identical logits and
// identical counters (cycles, MACs, per-bank reads and writes), with the bundled chip1 and chip2
// profiles at 1.0, 0.9, 0.85 and 0.8 × Vmin. LOWVOLT_COSIM_IMAGES sets the images per voltage
// (2 by default, for CI).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "lowvolt/accelerator/golden.h"
#include "lowvolt/app/runtime.h"
#include "lowvolt/chip/accel_inference.h"
#include "lowvolt/io/data.h"
#include "lowvolt/profiles/profile.h"
#include "lowvolt/sim/rtl_backend.h"

namespace lowvolt {
namespace {

using host::AccelInference;
using host::LayerTrace;

// Every layer's int32 results and all counters agree between rtl and golden for both chips at
// every supply, and the faults at 0.8 × Vmin do change some layer's results.
TEST(CnnCosim, RtlAndGoldenBitIdenticalPerLayer) {
  host::configure_threads(2);
  accelerator::register_golden_backend();
  sim::register_rtl_backend();
  const char* env = std::getenv("LOWVOLT_COSIM_IMAGES");
  const std::int64_t n = env ? std::atoll(env) : 2;
  const auto images =
      host::load_dataset("fashion-mnist", "/usr/share/datasets/fashion-mnist", false).head(n).images;
  torch::manual_seed(11);
  host::Net net{host::ModelConfig{}};  // the default cnn
  const auto quant = host::QuantScheme::preset("rquant", 8);
  for (const std::string chip : {"chip1", "chip2"}) {
    const auto profile =
        profiles::read_profile(std::string(LOWVOLT_SOURCE_DIR) + "/profiles/data/" + chip + ".lvp");
    host::AccelInferenceOptions o;
    o.batch = 2;
    o.offset = 4096 + 3;  // a mapping that does not start at cell 0
    o.backend = "golden";
    AccelInference golden(net, quant, o, &profile.map);
    o.backend = "rtl";
    AccelInference rtl(net, quant, o, &profile.map);
    std::vector<LayerTrace> tg, tr;
    golden.on_layer = [&](const LayerTrace& t) { tg.push_back(t); };
    rtl.on_layer = [&](const LayerTrace& t) { tr.push_back(t); };
    std::vector<std::int32_t> nominal_acc;
    for (double vdd : {1.0, 0.9, 0.85, 0.8}) {
      const std::string where = chip + " at " + std::to_string(vdd) + " × Vmin";
      golden.set_vdd(vdd);
      rtl.set_vdd(vdd);
      tg.clear();
      tr.clear();
      const auto c0g = golden.counters().cycles;
      const auto c0r = rtl.counters().cycles;
      const auto t0 = std::chrono::steady_clock::now();
      const auto yg = golden.forward(images);
      const auto t1 = std::chrono::steady_clock::now();
      const auto yr = rtl.forward(images);
      const auto t2 = std::chrono::steady_clock::now();
      ASSERT_EQ(tg.size(), tr.size()) << where;
      ASSERT_EQ(tg.size(), static_cast<std::size_t>(4 * ((n + 1) / 2))) << where;
      std::vector<std::int32_t> all_acc;
      for (std::size_t i = 0; i < tg.size(); ++i) {
        EXPECT_EQ(tg[i].layer, tr[i].layer) << where;
        EXPECT_EQ(tg[i].result.acc, tr[i].result.acc) << where << ", layer " << tg[i].layer;
        EXPECT_EQ(tg[i].result.act_sum, tr[i].result.act_sum) << where << ", layer " << tg[i].layer;
        EXPECT_EQ(tg[i].result.bias, tr[i].result.bias) << where << ", layer " << tg[i].layer;
        all_acc.insert(all_acc.end(), tg[i].result.acc.begin(), tg[i].result.acc.end());
      }
      EXPECT_TRUE(torch::equal(yg, yr)) << where;
      const auto cg = golden.counters();
      const auto cr = rtl.counters();
      const double sg = std::chrono::duration<double>(t1 - t0).count();
      const double sr = std::chrono::duration<double>(t2 - t1).count();
      const double cycles = static_cast<double>(cr.cycles - c0r) - 21.0;  // minus one counters
      std::printf("{\"chip\": \"%s\", \"vdd\": %.2f, \"images\": %lld, \"cycles_per_image\": %.0f, "
                  "\"rtl_images_per_s\": %.2f, \"rtl_cycles_per_s\": %.3e, "
                  "\"golden_images_per_s\": %.1f, \"golden_cycles_per_s\": %.3e, "
                  "\"golden_cycles_match\": %s}\n",
                  chip.c_str(), vdd, static_cast<long long>(n), cycles / static_cast<double>(n),
                  static_cast<double>(n) / sr, cycles / sr, static_cast<double>(n) / sg,
                  cycles / sg, cg.cycles - c0g == cr.cycles - c0r ? "true" : "false");
      EXPECT_EQ(cg.macs, cr.macs) << where;
      EXPECT_EQ(cg.bank_reads, cr.bank_reads) << where;
      EXPECT_EQ(cg.bank_writes, cr.bank_writes) << where;
      EXPECT_EQ(cg.cycles, cr.cycles) << where;
      EXPECT_EQ(cg.status, cr.status) << where;
      if (vdd == 1.0) nominal_acc = all_acc;
      if (vdd == 0.8) {
        EXPECT_NE(all_acc, nominal_acc) << chip << ": no fault reached a result";
      }
    }
  }
}

}  // namespace
}  // namespace lowvolt
