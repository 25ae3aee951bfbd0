// The golden model's kernel paths (kernels.h): each path this CPU can run, forced one at a time,
// gives the results and counters of an independent per-cell reference (reads bit by bit through
// the memory model, codes decoded bit by bit, 64-bit dot products) on random command streams
// with persistent and intermittent faults; every path gives the same bits as every other;
// run_row_tiles equals the tile_cfg/run sequence it stands for; path selection and its errors.
#include "lowvolt/accelerator/kernels.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "lowvolt/accelerator/golden.h"
#include "lowvolt/common/error.h"
#include "test_util.h"

namespace lowvolt::accelerator {
namespace {

constexpr std::array<KernelPath, 3> kPaths = {KernelPath::kPortable, KernelPath::kAvx2,
                                              KernelPath::kAvx512};

/// The accelerator from first principles: stored words, per-bank read counters, the per-cell
/// rule for every read and write, codes decoded bit by bit, sums in 64 bits.
class Reference {
 public:
  explicit Reference(const profiles::CellMap& map) : map_(map), mem_(hw::kBufferWords, 0) {}

  void set_vdd(std::uint16_t v) { vdd_ = v; }

  void write(std::uint32_t addr, const std::vector<std::uint64_t>& words) {
    for (std::size_t i = 0; i < words.size(); ++i) {
      const auto a = static_cast<std::uint32_t>((addr + i) % hw::kBufferWords);
      const std::uint32_t bank = a / hw::kSramRows;
      std::uint64_t stored = words[i];
      for (std::uint32_t b = 0; b < 64; ++b) {
        const std::uint64_t cell = std::uint64_t{a} * 64 + b;
        const auto kind = map_.kind()[cell];
        if (kind != 0 && profiles::cell_faulty(map_.vc()[cell], vdd_, map_.sigma_code(),
                                               map_.seed(), cell, reads_[bank])) {
          stored = (stored & ~(std::uint64_t{1} << b)) | (std::uint64_t{kind == 2} << b);
        }
      }
      mem_[a] = stored;
      ++writes_[bank];
    }
  }

  /// rows × cols results of one run with configuration `c`.
  std::vector<std::int32_t> run(std::uint32_t bit_addr, const std::uint64_t* act, std::size_t k,
                                const TileConfig& c) {
    const std::uint64_t a = bit_addr % (std::uint64_t{hw::kBufferWords} * 64);
    const std::uint64_t bits = std::uint64_t{k} * c.cols * c.wbits;
    std::vector<std::uint64_t> words;
    if (k > 0) {
      const std::uint64_t n = ((a + bits - 1) >> 6) - (a >> 6) + 1;
      for (std::uint64_t p = 0; p < n; ++p) {
        const auto addr = static_cast<std::uint32_t>(((a >> 6) + p) % hw::kBufferWords);
        const std::uint32_t bank = addr / hw::kSramRows;
        words.push_back(testing::reference_read(map_, vdd_, addr, mem_[addr], reads_[bank]++));
      }
    }
    const auto sval = [](std::int64_t u, std::uint32_t m, bool s) {
      return s && u >= (std::int64_t{1} << (m - 1)) ? u - (std::int64_t{1} << m) : u;
    };
    std::vector<std::int32_t> y(std::size_t{c.rows} * c.cols);
    for (std::uint32_t i = 0; i < c.rows; ++i) {
      for (std::uint32_t j = 0; j < c.cols; ++j) {
        std::int64_t sum = 0;
        for (std::size_t s = 0; s < k; ++s) {
          std::int64_t code = 0;
          for (std::uint32_t b = 0; b < c.wbits; ++b) {
            const std::uint64_t q = (a & 63) + (std::uint64_t{s} * c.cols + j) * c.wbits + b;
            code |= static_cast<std::int64_t>((words[q >> 6] >> (q & 63)) & 1u) << b;
          }
          const std::int64_t x = sval((act[s] >> (8 * i)) & 0xff, 8, c.act_signed);
          sum += (x - sval(c.act_zero, 8, c.act_signed)) *
                 (sval(code, c.wbits, c.w_signed) - sval(c.w_zero, 8, c.w_signed));
        }
        y[std::size_t{i} * c.cols + j] = as_int32(static_cast<std::uint32_t>(sum));
      }
    }
    macs_ += std::uint64_t{k} * c.rows * c.cols;
    return y;
  }

  /// Expects `g`'s counters (except cycles, which golden_rtl_test checks) to equal these.
  void expect_counters(Accelerator& g, const std::string& where) const {
    const Counters c = g.counters();
    EXPECT_EQ(c.macs, macs_) << where;
    EXPECT_EQ(c.bank_reads, std::vector<std::uint32_t>(reads_.begin(), reads_.end())) << where;
    EXPECT_EQ(c.bank_writes, std::vector<std::uint32_t>(writes_.begin(), writes_.end())) << where;
  }

 private:
  static std::int32_t as_int32(std::uint32_t u) {
    return u < 0x80000000u ? static_cast<std::int32_t>(u) : -static_cast<std::int32_t>(~u) - 1;
  }
  const profiles::CellMap& map_;
  std::uint16_t vdd_ = hw::kVddResetCode;
  std::vector<std::uint64_t> mem_;
  std::array<std::uint32_t, hw::kBanks> reads_{};
  std::array<std::uint32_t, hw::kBanks> writes_{};
  std::uint64_t macs_ = 0;
};

TileConfig random_config(std::mt19937_64& rng) {
  TileConfig cfg;
  cfg.rows = 1 + rng() % hw::kPeRows;
  cfg.cols = 1 + rng() % hw::kPeCols;
  cfg.wbits = rng() % 2 == 0 ? 8 : 1 + rng() % hw::kMaxWbits;  // the cnn's m = 8 often
  cfg.act_zero = static_cast<std::uint8_t>(rng());
  cfg.w_zero = static_cast<std::uint8_t>(rng());
  cfg.act_signed = rng() % 2;
  cfg.w_signed = rng() % 2;
  return cfg;
}

/// Runs a random command stream (writes, supply changes, single runs and row-tile runs over
/// a range several times, so decoded ranges are reused and re-read) on the golden model with
/// `path`, checking every result and the counters against the reference.
void check_path_against_reference(KernelPath path, std::uint16_t sigma) {
  const std::string tag = std::string(kernel_path_name(path)) + " sigma " + std::to_string(sigma);
  // dense faults around the supplies used: many persistent, stuck and intermittent cells
  const auto map = testing::random_map(31 + sigma, 0.08, 3700, 4300, sigma);
  GoldenAccelerator g(path);
  ASSERT_EQ(g.kernel_path(), path);
  g.load_profile(map);
  Reference ref(map);
  std::mt19937_64 rng(77 + sigma);
  std::vector<std::uint64_t> data(hw::kBufferWords);
  for (auto& d : data) d = rng();
  g.write(0, data);
  ref.write(0, data);
  std::optional<TileConfig> current;
  std::uint32_t bit_addr = 0;
  std::size_t k = 0;
  for (int op = 0; op < 120; ++op) {
    const std::string where = tag + " op " + std::to_string(op);
    const auto kind = rng() % 8;
    if (kind == 0) {
      const auto vdd = static_cast<std::uint16_t>(3700 + rng() % 500);
      g.set_vdd_code(vdd);
      ref.set_vdd(vdd);
    } else if (kind == 1) {  // rewrite part of the buffer, half the time with the same data
      const auto addr = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
      std::vector<std::uint64_t> w(1 + rng() % 600);
      const bool same = rng() % 2 == 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        w[i] = same ? data[(addr + i) % hw::kBufferWords] : rng();
      }
      g.write(addr, w);
      ref.write(addr, w);
    } else {
      if (kind < 5 || k == 0) {  // a new range; otherwise the previous one again
        bit_addr = static_cast<std::uint32_t>(rng() % (1u << 24));
        if (rng() % 2 == 0) bit_addr &= rng() % 2 == 0 ? ~63u : ~7u;  // whole words or bytes
        const std::size_t ks[] = {0, 1, 2, 3, 4, 5, 7, 9, 64, 131, 288, 1000};
        k = ks[rng() % (sizeof ks / sizeof ks[0])];
      }
      TileConfig cfg = random_config(rng);
      std::vector<std::uint64_t> act(std::max<std::size_t>(k, 1) * 12);
      for (auto& a : act) a = rng();
      if (kind % 2 == 0) {  // one run command
        g.tile_cfg(cfg);
        current = cfg;
        const std::vector<std::uint64_t> words(act.begin(),
                                               act.begin() + static_cast<std::ptrdiff_t>(k));
        const auto got = g.run(bit_addr, words, cfg);
        ASSERT_EQ(got, ref.run(bit_addr, act.data(), k, cfg)) << where;
      } else {  // row tiles: rows over several tiles, activations of tile t at act + t·stride
        RowTileRuns job;
        job.cfg = cfg;
        job.rows = 1 + static_cast<std::uint32_t>(rng() % 70);
        job.w_bit_addr = bit_addr;
        job.k = k;
        const std::uint32_t tiles = (job.rows + 7) / 8;
        job.act_stride = tiles > 1 ? k + rng() % 3 : k;
        act.resize(job.act_stride * tiles + k + 1);
        for (auto& a : act) a = rng();
        job.activations = act.data();
        job.acc_stride = cfg.cols + rng() % 3;
        std::vector<std::uint32_t> acc(job.acc_stride * job.rows + cfg.cols);
        for (auto& v : acc) v = static_cast<std::uint32_t>(rng());
        const std::vector<std::uint32_t> before = acc;
        job.acc = acc.data();
        g.run_row_tiles(job, current);
        for (std::uint32_t t = 0; t < tiles; ++t) {
          TileConfig c = cfg;
          c.rows = std::min<std::uint32_t>(8, job.rows - 8 * t);
          const auto y = ref.run(bit_addr, act.data() + t * job.act_stride, k, c);
          for (std::uint32_t i = 0; i < c.rows; ++i) {
            for (std::uint32_t j = 0; j < c.cols; ++j) {
              const std::size_t at = (std::size_t{t} * 8 + i) * job.acc_stride + j;
              ASSERT_EQ(acc[at], before[at] + static_cast<std::uint32_t>(y[i * c.cols + j]))
                  << where << " tile " << t << " i " << i << " j " << j;
            }
          }
        }
        for (std::size_t i = 0; i < acc.size(); ++i) {  // nothing outside the tiles' cells
          const std::size_t col = i % job.acc_stride, row = i / job.acc_stride;
          if (row >= job.rows || col >= cfg.cols) {
            ASSERT_EQ(acc[i], before[i]) << where << " at " << i;
          }
        }
      }
    }
    ref.expect_counters(g, where);
  }
}

// Every row tile of a finished run_row_tiles() job against the per-cell reference, which reads
// the same cells in the same order (so its read counts advance as the golden model's did).
void expect_row_tiles_match(Reference& ref, const RowTileRuns& job,
                            const std::vector<std::uint32_t>& acc, const std::string& where) {
  for (std::uint32_t t = 0; t < (job.rows + 7) / 8; ++t) {
    TileConfig c = job.cfg;
    c.rows = std::min<std::uint32_t>(8, job.rows - 8 * t);
    const auto y = ref.run(job.w_bit_addr, job.activations + t * job.act_stride, job.k, c);
    for (std::uint32_t i = 0; i < c.rows; ++i) {
      for (std::uint32_t j = 0; j < 8; ++j) {
        ASSERT_EQ(acc[(8 * t + i) * 8 + j], static_cast<std::uint32_t>(y[i * 8 + j]))
            << where << " tile " << t << " i " << i << " j " << j;
      }
    }
  }
}

// Each path, forced, equals the per-cell reference under persistent faults (σ = 0) and under
// intermittent faults (σ > 0: per-read hashes of candidate cells, corrections of the results).
TEST(GoldenKernels, EachPathMatchesThePerCellReference) {
  for (const KernelPath path : kPaths) {
    if (!kernel_path_supported(path)) {
      std::printf("[ SKIPPED  ] %s: this CPU cannot run it\n", kernel_path_name(path));
      continue;
    }
    for (std::uint16_t sigma : {std::uint16_t{0}, std::uint16_t{90}}) {
      check_path_against_reference(path, sigma);
      if (HasFatalFailure()) return;
    }
  }
}

// The tiler's pattern under dense intermittent faults: the same weights rewritten at low supply
// before every batch (intermittent stuck cells catch their stuck value at some writes and not at
// others), then row-tile runs over the same ranges, m = 8 on whole words and bytes and m = 5; on
// every path each batch equals the per-cell reference.
TEST(GoldenKernels, RewritesUnderIntermittentStuckCells) {
  const auto map = testing::random_map(41, 0.3, 3950, 4150, 90);
  for (const KernelPath path : supported_kernel_paths()) {
    GoldenAccelerator g(path);
    g.load_profile(map);
    Reference ref(map);
    g.set_vdd_code(4050);
    ref.set_vdd(4050);
    std::mt19937_64 rng(43);
    std::vector<std::uint64_t> data(900);
    for (auto& d : data) d = rng();
    std::vector<std::uint64_t> act(2000);
    for (auto& a : act) a = rng();
    std::optional<TileConfig> current;
    for (int batch = 0; batch < 6; ++batch) {
      g.write(100, data);
      ref.write(100, data);
      for (const std::uint32_t bit_addr : {100u * 64, 100u * 64 + 24, 100u * 64 + 3}) {
        RowTileRuns job;
        job.cfg.cols = 8;
        job.cfg.wbits = bit_addr % 8 == 0 ? 8 : 5;
        job.cfg.act_zero = 3;
        job.cfg.w_zero = 127;
        job.cfg.act_signed = batch % 2 == 0;
        job.rows = 21;
        job.w_bit_addr = bit_addr;
        job.k = 90;
        job.activations = act.data();
        job.act_stride = 97;
        job.acc_stride = 8;
        std::vector<std::uint32_t> acc(job.rows * 8, 0);
        job.acc = acc.data();
        g.run_row_tiles(job, current);
        expect_row_tiles_match(ref, job, acc,
                               std::string(kernel_path_name(path)) + " batch " +
                                   std::to_string(batch) + " bit " + std::to_string(bit_addr));
        if (HasFatalFailure()) return;
      }
      ref.expect_counters(g,
                          std::string(kernel_path_name(path)) + " batch " + std::to_string(batch));
    }
  }
}

// The same rewrite pattern with runs of 1, 3, 4, 5 and 13 row tiles in turn on the same ranges:
// runs of few tiles take the stuck values caught at a write as per-read corrections, runs of many
// fold them into the decoded weights, and a range switches between the two; on every path each
// batch equals the per-cell reference.
TEST(GoldenKernels, RewritesWithFewAndManyTiles) {
  const auto map = testing::random_map(59, 0.3, 3950, 4150, 90);
  for (const KernelPath path : supported_kernel_paths()) {
    GoldenAccelerator g(path);
    g.load_profile(map);
    Reference ref(map);
    g.set_vdd_code(4050);
    ref.set_vdd(4050);
    std::mt19937_64 rng(61);
    std::vector<std::uint64_t> data(700);
    for (auto& d : data) d = rng();
    std::vector<std::uint64_t> act(13 * 80);
    for (auto& a : act) a = rng();
    std::optional<TileConfig> current;
    const std::uint32_t rows_of[] = {8, 21, 32, 33, 100, 1, 100, 7};
    for (int batch = 0; batch < 8; ++batch) {
      g.write(40, data);
      ref.write(40, data);
      for (const std::uint32_t bit_addr : {40u * 64, 40u * 64 + 16, 40u * 64 + 5}) {
        RowTileRuns job;
        job.cfg.cols = 8;
        job.cfg.wbits = bit_addr % 8 == 0 ? 8 : 6;
        job.cfg.act_zero = 5;
        job.cfg.w_zero = 100;
        job.cfg.act_signed = batch % 2 == 1;
        job.cfg.w_signed = batch % 3 == 0;
        job.rows = rows_of[batch];
        job.w_bit_addr = bit_addr;
        job.k = 75;
        job.activations = act.data();
        job.act_stride = 80;
        job.acc_stride = 8;
        std::vector<std::uint32_t> acc(job.rows * 8, 0);
        job.acc = acc.data();
        g.run_row_tiles(job, current);
        expect_row_tiles_match(ref, job, acc,
                               std::string(kernel_path_name(path)) + " batch " +
                                   std::to_string(batch) + " bit " + std::to_string(bit_addr));
        if (HasFatalFailure()) return;
      }
      ref.expect_counters(g,
                          std::string(kernel_path_name(path)) + " batch " + std::to_string(batch));
    }
  }
}

// Row-tile runs of many tiles (several chunks of 8 runs and a partial one, as the vector paths
// hash them) under dense intermittent faults: ranges on whole words, on bytes and at odd bit
// offsets with m = 8, 5 and 3, signed and unsigned codes, one range across a bank boundary (two
// read counters per run); on every path each tile equals the per-cell reference.
TEST(GoldenKernels, ManyTilesUnderDenseIntermittentFaults) {
  const auto map = testing::random_map(47, 0.35, 3950, 4150, 110);
  for (const KernelPath path : supported_kernel_paths()) {
    GoldenAccelerator g(path);
    g.load_profile(map);
    Reference ref(map);
    g.set_vdd_code(4040);
    ref.set_vdd(4040);
    std::mt19937_64 rng(53);
    std::vector<std::uint64_t> data(hw::kBufferWords);
    for (auto& d : data) d = rng();
    g.write(0, data);
    ref.write(0, data);
    std::vector<std::uint64_t> act(30000);
    for (auto& a : act) a = rng();
    std::optional<TileConfig> current;
    const std::uint32_t bank_edge = hw::kSramRows * 64;  // first bit of bank 1
    const std::uint32_t addrs[] = {700u * 64, 700u * 64 + 16, 9000u * 64 + 3, bank_edge - 200};
    for (int rep = 0; rep < 8; ++rep) {
      RowTileRuns job;
      job.cfg.cols = rep % 3 == 2 ? 5 : 8;
      job.cfg.wbits = rep % 4 == 3 ? 3 : (rep % 2 == 0 ? 8 : 5);
      job.cfg.act_zero = static_cast<std::uint8_t>(rng());
      job.cfg.w_zero = static_cast<std::uint8_t>(rng() % 8);
      job.cfg.act_signed = rep % 2 == 0;
      job.cfg.w_signed = rep % 3 != 0;
      job.rows = 8 * (9 + rep) + static_cast<std::uint32_t>(rep % 8);
      job.w_bit_addr = addrs[rep % 4];
      job.k = 40 + rng() % 50;
      job.activations = act.data();
      job.act_stride = job.k + rng() % 5;
      job.acc_stride = 8;
      std::vector<std::uint32_t> acc(job.rows * 8, 0);
      job.acc = acc.data();
      g.run_row_tiles(job, current);
      const std::uint32_t tiles = (job.rows + 7) / 8;
      for (std::uint32_t t = 0; t < tiles; ++t) {
        TileConfig c = job.cfg;
        c.rows = std::min<std::uint32_t>(8, job.rows - 8 * t);
        const auto y = ref.run(job.w_bit_addr, act.data() + t * job.act_stride, job.k, c);
        for (std::uint32_t i = 0; i < c.rows; ++i) {
          for (std::uint32_t j = 0; j < c.cols; ++j) {
            ASSERT_EQ(acc[(8 * t + i) * 8 + j], static_cast<std::uint32_t>(y[i * c.cols + j]))
                << kernel_path_name(path) << " rep " << rep << " tile " << t << " i " << i
                << " j " << j;
          }
        }
      }
      ref.expect_counters(g, std::string(kernel_path_name(path)) + " rep " + std::to_string(rep));
    }
  }
}

// All paths give identical bits on the same long command stream: results, counters and cycles
// (the cnn-like shapes, m = 8 and 4, with intermittent faults).
TEST(GoldenKernels, PathsAgreeBitForBit) {
  const auto map = testing::random_map(5, 0.05, 3800, 4200, 60);
  std::vector<std::unique_ptr<GoldenAccelerator>> g;
  for (const KernelPath path : supported_kernel_paths()) {
    g.push_back(std::make_unique<GoldenAccelerator>(path));
    g.back()->load_profile(map);
  }
  std::mt19937_64 rng(11);
  std::vector<std::uint64_t> data(hw::kBufferWords);
  for (auto& d : data) d = rng();
  std::vector<std::uint64_t> act(4000);
  for (auto& a : act) a = rng();
  for (auto& x : g) {
    x->write(0, data);
    x->set_vdd_code(3950);
  }
  std::vector<std::optional<TileConfig>> current(g.size());
  for (int rep = 0; rep < 12; ++rep) {
    RowTileRuns job;
    job.cfg = random_config(rng);
    job.cfg.wbits = rep % 2 ? 8 : 4;
    job.rows = 1 + static_cast<std::uint32_t>(rng() % 200);
    job.k = 1 + rng() % 300;
    job.w_bit_addr = static_cast<std::uint32_t>(rng() % (1u << 19));
    job.activations = act.data();
    job.act_stride = 13;
    job.acc_stride = 8;
    std::vector<std::vector<std::uint32_t>> acc(g.size(), std::vector<std::uint32_t>(job.rows * 8));
    std::vector<Counters> counters;  // read once per object: reading them costs cycles
    for (std::size_t i = 0; i < g.size(); ++i) {
      job.acc = acc[i].data();
      for (int again = 0; again < 3; ++again) g[i]->run_row_tiles(job, current[i]);
      counters.push_back(g[i]->counters());
      EXPECT_EQ(acc[i], acc[0]) << kernel_path_name(g[i]->kernel_path()) << " rep " << rep;
      EXPECT_EQ(counters[i], counters[0]) << kernel_path_name(g[i]->kernel_path());
    }
  }
}

// run_row_tiles on the golden model equals the commands it stands for (the Accelerator default:
// tile_cfg when the shape changes, one run per tile): sums, counters and cycles, with the
// configuration in force known or not, under intermittent faults, on every path.
TEST(GoldenKernels, RowTilesEqualTheCommandSequence) {
  const auto map = testing::random_map(17, 0.05, 3800, 4200, 70);
  for (const KernelPath path : supported_kernel_paths()) {
    GoldenAccelerator fast(path), slow(path);
    fast.load_profile(map);
    slow.load_profile(map);
    std::mt19937_64 rng(23);
    std::vector<std::uint64_t> data(hw::kBufferWords);
    for (auto& d : data) d = rng();
    std::vector<std::uint64_t> act(3000);
    for (auto& a : act) a = rng();
    fast.write(0, data);
    slow.write(0, data);
    fast.set_vdd_code(3990);
    slow.set_vdd_code(3990);
    std::optional<TileConfig> cur_fast, cur_slow;
    for (int rep = 0; rep < 25; ++rep) {
      RowTileRuns job;
      job.cfg = random_config(rng);
      job.rows = 1 + static_cast<std::uint32_t>(rng() % 40);
      job.k = rng() % 100;
      job.w_bit_addr = static_cast<std::uint32_t>(rng() % (1u << 24));
      job.activations = act.data() + rng() % 5;
      job.act_stride = job.k + rng() % 4;
      job.acc_stride = job.cfg.cols;
      if (rep % 5 == 0) cur_fast = cur_slow = std::nullopt;  // e.g. a new layer
      std::vector<std::uint32_t> a1(job.rows * job.cfg.cols, 7), a2 = a1;
      job.acc = a1.data();
      fast.run_row_tiles(job, cur_fast);
      job.acc = a2.data();
      slow.Accelerator::run_row_tiles(job, cur_slow);
      const std::string where = std::string(kernel_path_name(path)) + " rep " + std::to_string(rep);
      ASSERT_EQ(a1, a2) << where;
      ASSERT_EQ(cur_fast, cur_slow) << where;
      ASSERT_EQ(fast.counters(), slow.counters()) << where;
    }
  }
}

// Path names round-trip; "auto" is the fastest supported; portable is always supported; an
// unknown name or an unsupported path is a one-line error naming where it came from.
TEST(GoldenKernels, PathSelectionAndErrors) {
  const auto paths = supported_kernel_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), KernelPath::kPortable);
  EXPECT_EQ(parse_kernel_path("auto", "x"), paths.back());
  for (const KernelPath p : paths) EXPECT_EQ(parse_kernel_path(kernel_path_name(p), "x"), p);
  try {
    parse_kernel_path("sse9", "LOWVOLT_GOLDEN_KERNEL");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LOWVOLT_GOLDEN_KERNEL = 'sse9'"), std::string::npos)
        << e.what();
  }
  for (const KernelPath p : kPaths) {
    if (kernel_path_supported(p)) continue;
    EXPECT_THROW(parse_kernel_path(kernel_path_name(p), "x"), Error);
    EXPECT_THROW(GoldenAccelerator{p}, Error);
  }
}

// The environment variable picks the default path (read when a backend is made); the backend's
// "kernel" option overrides it; unknown options name the one the backend takes.
TEST(GoldenKernels, EnvironmentAndBackendOption) {
  const char* old = std::getenv("LOWVOLT_GOLDEN_KERNEL");
  const std::string saved = old ? old : "";
  register_golden_backend();
  ::setenv("LOWVOLT_GOLDEN_KERNEL", "portable", 1);
  EXPECT_EQ(default_kernel_path(), KernelPath::kPortable);
  EXPECT_EQ(GoldenAccelerator().kernel_path(), KernelPath::kPortable);
  ::setenv("LOWVOLT_GOLDEN_KERNEL", "fast", 1);
  try {
    default_kernel_path();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LOWVOLT_GOLDEN_KERNEL = 'fast'"), std::string::npos)
        << e.what();
  }
  ::setenv("LOWVOLT_GOLDEN_KERNEL", "auto", 1);
  EXPECT_EQ(default_kernel_path(), supported_kernel_paths().back());
  auto a = make_accelerator("golden", {{"kernel", "portable"}});
  EXPECT_EQ(dynamic_cast<GoldenAccelerator&>(*a).kernel_path(), KernelPath::kPortable);
  try {
    make_accelerator("golden", {{"kernels", "avx2"}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'kernels'"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("kernel = portable"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_accelerator("golden", {{"kernel", "neon"}}), Error);
  if (saved.empty()) {
    ::unsetenv("LOWVOLT_GOLDEN_KERNEL");
  } else {
    ::setenv("LOWVOLT_GOLDEN_KERNEL", saved.c_str(), 1);
  }
}

}  // namespace
}  // namespace lowvolt::accelerator
