// The golden model on its own: results against a plain dot-product reference, reads against the
// per-cell rule of docs/memory-model.md, counters, MBIST, the registry; error paths separately.
#include "lowvolt/accelerator/golden.h"

#include <gtest/gtest.h>

#include <random>

#include "lowvolt/common/error.h"
#include "lowvolt/profiles/read_model.h"
#include "test_util.h"

namespace lowvolt::accelerator {
namespace {

using testing::reference_read;

// Runs without faults equal Σ (x − zx)(w − zw) computed from codes packed bit by bit.
TEST(Golden, RunMatchesPlainDotProduct) {
  GoldenAccelerator g;
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    TileConfig cfg;
    cfg.rows = 1 + rng() % hw::kPeRows;
    cfg.cols = 1 + rng() % hw::kPeCols;
    cfg.wbits = 1 + rng() % hw::kMaxWbits;
    cfg.act_zero = static_cast<std::uint8_t>(rng());
    cfg.w_zero = static_cast<std::uint8_t>(rng());
    cfg.act_signed = rng() % 2;
    cfg.w_signed = rng() % 2;
    const std::size_t k = rng() % 300;
    const std::uint32_t bit_addr = static_cast<std::uint32_t>(rng() % (1u << 19));
    // codes placed bit by bit at bit_addr
    std::vector<std::uint32_t> codes(k * cfg.cols);
    std::vector<std::uint64_t> mem(hw::kBufferWords, 0);
    for (std::size_t i = 0; i < codes.size(); ++i) {
      codes[i] = static_cast<std::uint32_t>(rng() % (1u << cfg.wbits));
      for (std::uint32_t b = 0; b < cfg.wbits; ++b) {
        const std::uint64_t pos = (bit_addr + i * cfg.wbits + b) % (1u << 19);
        mem[pos / 64] |= std::uint64_t{(codes[i] >> b) & 1u} << (pos % 64);
      }
    }
    g.write(0, mem.data(), mem.size());
    g.tile_cfg(cfg);
    std::vector<std::uint64_t> act(k);
    for (auto& a : act) a = rng();
    const auto y = g.run(bit_addr, act, cfg);
    for (std::uint32_t i = 0; i < cfg.rows; ++i) {
      for (std::uint32_t j = 0; j < cfg.cols; ++j) {
        std::int64_t sum = 0;
        for (std::size_t s = 0; s < k; ++s) {
          const std::int64_t xb = (act[s] >> (8 * i)) & 0xff;
          const std::int64_t x = cfg.act_signed && xb >= 128 ? xb - 256 : xb;
          const std::int64_t zx = cfg.act_signed && cfg.act_zero >= 128 ? cfg.act_zero - 256
                                                                         : cfg.act_zero;
          const std::int64_t c = codes[s * cfg.cols + j];
          const std::int64_t w =
              cfg.w_signed && c >= (1 << (cfg.wbits - 1)) ? c - (1 << cfg.wbits) : c;
          const std::int64_t zw = cfg.w_signed && cfg.w_zero >= 128 ? cfg.w_zero - 256
                                                                     : cfg.w_zero;
          sum += (x - zx) * (w - zw);
        }
        ASSERT_EQ(y[i * cfg.cols + j], static_cast<std::int32_t>(static_cast<std::uint32_t>(sum)))
            << "trial " << trial << " i=" << i << " j=" << j;
      }
    }
  }
}

// Reads through persistent and intermittent faults equal the per-cell rule with each bank's r;
// the read counters count every read on its own bank.
TEST(Golden, ReadsFollowTheMemoryModelPerCell) {
  for (std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{40}}) {
    const auto map = testing::random_map(5 + sigma, 0.05, 3600, 4300, sigma);
    GoldenAccelerator g;
    g.load_profile(map);
    std::mt19937_64 rng(9);
    std::vector<std::uint64_t> data(hw::kBufferWords);
    for (auto& d : data) d = rng();
    g.write(0, data);  // at the reset supply: nothing is faulty, everything is stored
    const std::uint16_t vdd = profiles::vdd_code(0.95);
    g.set_vdd_code(vdd);
    std::vector<std::uint32_t> r(hw::kBanks, 0);
    for (int rep = 0; rep < 3; ++rep) {
      const std::uint32_t addr = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
      const std::size_t n = 1 + rng() % 2000;
      const auto got = g.read(addr, n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t a = static_cast<std::uint32_t>((addr + i) % hw::kBufferWords);
        const std::uint32_t bank = a / hw::kSramRows;
        ASSERT_EQ(got[i], reference_read(map, vdd, a, data[a], r[bank]++))
            << "sigma " << sigma << " addr " << a;
      }
    }
    const auto c = g.counters();
    EXPECT_EQ(c.bank_reads, r);
    std::uint64_t writes = 0;
    for (auto w : c.bank_writes) writes += w;
    EXPECT_EQ(writes, hw::kBufferWords);
  }
}

// A write to a cell stuck at the current supply stores the stuck value; others store the data.
TEST(Golden, WriteStoresStuckValues) {
  auto map = testing::random_map(21, 0.1, 4000, 4200, 0);
  GoldenAccelerator g;
  g.load_profile(map);
  const std::uint16_t vdd = 4100;
  g.set_vdd_code(vdd);
  std::vector<std::uint64_t> data(64, 0x5a5a5a5aa5a5a5a5ULL);
  g.write(100, data);
  for (std::uint32_t w = 0; w < 64; ++w) {
    std::uint64_t expect = data[w];
    for (std::uint32_t b = 0; b < 64; ++b) {
      const std::size_t cell = std::size_t{100 + w} * 64 + b;
      if (map.vc()[cell] > vdd && map.kind()[cell] != 0) {
        expect = (expect & ~(std::uint64_t{1} << b)) |
                 (std::uint64_t{map.kind()[cell] == 2} << b);
      }
    }
    EXPECT_EQ(g.stored_word(100 + w), expect) << "word " << w;
  }
}

// MBIST finds exactly the cells faulty at the supply, flip cells both ways, stuck cells one way.
TEST(Golden, MbistFindsPersistentFaultsWithDirections) {
  const auto map = testing::random_map(31, 0.002, 3900, 4200, 0);
  GoldenAccelerator g;
  g.load_profile(map);
  const std::uint16_t vdd = 4050;
  g.set_vdd_code(vdd);
  const auto records = g.mbist();
  std::vector<MbistRecord> expect;
  for (std::uint32_t cell = 0; cell < map.vc().size(); ++cell) {
    if (map.vc()[cell] > vdd) {
      const auto kind = map.kind()[cell];
      expect.push_back(MbistRecord{cell, kind != 1, kind != 2});
    }
  }
  ASSERT_FALSE(expect.empty());
  EXPECT_EQ(records, expect);
  const auto c = g.counters();
  std::uint64_t reads = 0, writes = 0;
  for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
    reads += c.bank_reads[b];
    writes += c.bank_writes[b];
  }
  EXPECT_EQ(reads, 5u * hw::kBufferWords);
  EXPECT_EQ(writes, 5u * hw::kBufferWords);
}

// Counters after reset: the reset sweep's cycles, nothing else; macs add rows × cols per step.
TEST(Golden, CountersAfterResetAndRuns) {
  GoldenAccelerator g;
  auto c = g.counters();
  EXPECT_EQ(c.cycles, hw::kSramRows);
  EXPECT_EQ(c.macs, 0u);
  EXPECT_EQ(hw::decode_status_word(c.status).spec_version, hw::kSpecVersion);
  TileConfig cfg;
  cfg.rows = 3;
  cfg.cols = 5;
  cfg.wbits = 4;
  g.tile_cfg(cfg);
  std::vector<std::uint64_t> act(17, 0);
  g.run(0, act, cfg);
  c = g.counters();
  EXPECT_EQ(c.macs, 17u * 3u * 5u);
  EXPECT_EQ(c.bank_reads[0], (17u * 5u * 4u + 63u) / 64u);
}

// The registry builds the golden backend by name and lists it.
TEST(GoldenRegistry, BuildsGoldenByName) {
  register_golden_backend();
  auto a = make_accelerator("golden");
  EXPECT_EQ(a->name(), "golden");
  const auto names = accelerator_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "golden"), names.end());
}

// An unknown backend name is a user error that lists the known names.
TEST(GoldenErrors, UnknownBackendListsKnownNames) {
  register_golden_backend();
  try {
    make_accelerator("nonesuch");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("golden"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_accelerator("golden", {{"trace", "x.fst"}}), Error);
}

// Out-of-range tile shapes, wrong profile geometry and oversized commands are user errors.
TEST(GoldenErrors, BadConfigurationsAreRejected) {
  GoldenAccelerator g;
  TileConfig bad;
  bad.rows = 0;
  EXPECT_THROW(g.tile_cfg(bad), Error);
  bad = TileConfig{};
  bad.cols = hw::kPeCols + 1;
  EXPECT_THROW(g.tile_cfg(bad), Error);
  bad = TileConfig{};
  bad.wbits = 9;
  EXPECT_THROW(g.tile_cfg(bad), Error);
  EXPECT_THROW(g.load_profile(profiles::CellMap(profiles::Geometry{1, 512, 64})), Error);
  std::vector<std::uint64_t> act(70000, 0);
  std::vector<std::int32_t> out(64);
  EXPECT_THROW(g.run(0, act.data(), act.size(), out.data()), Error);
  EXPECT_THROW(g.run(1u << 24, act.data(), 1, out.data()), Error);
}

}  // namespace
}  // namespace lowvolt::accelerator
