// The golden model (golden.h). Cycle counts mirror rtl/controller.sv and rtl/mbist.sv command by
// command for an initiator that keeps every stream valid/ready (lowvolt::rtl::AccelDriver):
// docs/accelerator.md lists them.
#include "lowvolt/accelerator/golden.h"

#include <algorithm>

#include "lowvolt/accelerator/datapath.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

namespace {
constexpr std::uint32_t kBufferBits = hw::kBufferWords * hw::kWordBits;  // 2^19
constexpr std::uint64_t kResetCycles = hw::kSramRows;                    // mask sweep after rst
constexpr std::uint64_t kMaxCount = 0xffff;                              // 16-bit count fields

std::uint32_t words_per_result_row(const TileConfig& cfg) { return (cfg.cols + 1) / 2; }

/// out[i][j] = Σ_s x[i][s]·w[j][s] mod 2^32 for a rows × cols tile (x rows-major, w cols-major,
/// both k long). Compiled twice, for AVX2 and for the baseline, chosen at load time by the CPU.
__attribute__((target_clones("avx2", "default"))) void tile_products(
    const std::int16_t* x, const std::int16_t* w, std::uint32_t rows, std::uint32_t cols,
    std::size_t k, std::int32_t* out) {
  for (std::uint32_t i = 0; i < rows; ++i) {
    for (std::uint32_t j = 0; j < cols; ++j) {
      out[std::size_t{i} * cols + j] =
          as_int32(dot_wrap(x + std::size_t{i} * k, w + std::size_t{j} * k, k));
    }
  }
}

/// Words of a run: the controller's r_words (first word = bit address / 64).
std::uint32_t run_words(std::uint32_t bit_addr, std::size_t k, const TileConfig& cfg) {
  if (k == 0) return 0;
  const std::uint64_t bits = std::uint64_t{k} * cfg.cols * cfg.wbits;
  return static_cast<std::uint32_t>(((bit_addr + bits - 1) >> 6) - (bit_addr >> 6) + 1);
}
}  // namespace

std::uint64_t run_command_cycles(std::uint32_t w_bit_addr, std::uint32_t k,
                                 const TileConfig& cfg) {
  const std::uint64_t results = std::uint64_t{cfg.rows} * words_per_result_row(cfg);
  if (k == 0) return 1 + results + 1;
  // S_RUN of the controller: a 128-bit gearbox fed by one word read per cycle while it holds
  // at most 64 bits after this cycle's step; a step fires when it holds cols × wbits bits.
  const std::uint32_t a = w_bit_addr % kBufferBits;
  const std::uint32_t need = cfg.cols * cfg.wbits;
  std::uint32_t w_left = run_words(a, k, cfg);
  std::uint32_t steps = k;
  std::uint32_t gb_n = 0;
  bool pend = false;
  bool first = true;
  std::uint32_t pend_skip = 0;
  std::uint64_t edges = 0;
  while (true) {
    ++edges;
    const std::uint32_t merged = gb_n + (pend ? 64 - pend_skip : 0);
    const bool fire = steps != 0 && merged >= need;
    const std::uint32_t after = merged - (fire ? need : 0);
    const bool issue = w_left != 0 && after <= 64;
    gb_n = after;
    pend = issue;
    if (issue) {
      pend_skip = first ? (a & 63u) : 0;
      first = false;
      --w_left;
    }
    if (fire && --steps == 0) break;
    LV_CHECK(edges < 4 * (std::uint64_t{k} + 64) + 1024, "gearbox model does not terminate");
  }
  // accept edge + S_RUN edges + one edge per result word + the edge that takes the last word
  return 1 + edges + results + 1;
}

GoldenAccelerator::GoldenAccelerator()
    : map_(std::make_unique<profiles::CellMap>(buffer_geometry())),
      mem_(hw::kBufferWords, 0),
      bank_reads_(hw::kBanks, 0),
      bank_writes_(hw::kBanks, 0) {
  reset();
}

void GoldenAccelerator::refresh_masks() {
  masks_ = std::make_unique<profiles::FaultMasks>(map_->faults_at(vdd_));
  const auto& words = masks_->words();
  LV_CHECK(words.size() == hw::kBufferWords, "fault masks have " << words.size() << " words");
  sure_.resize(words.size());
  has_candidate_.resize(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    sure_[i] = (words[i].flip | words[i].stuck) & ~words[i].candidate;
    has_candidate_[i] = words[i].candidate != 0;
  }
  cache_.valid = false;
  ++generation_;
}

void GoldenAccelerator::reset() {
  vdd_ = hw::kVddResetCode;
  cfg_ = TileConfig{};
  cycles_ = kResetCycles;
  macs_ = 0;
  std::fill(bank_reads_.begin(), bank_reads_.end(), 0u);
  std::fill(bank_writes_.begin(), bank_writes_.end(), 0u);
  refresh_masks();
}

void GoldenAccelerator::load_profile(const profiles::CellMap& map) {
  if (!(map.geometry() == buffer_geometry())) {
    fail("golden: profile geometry ", map.geometry().arrays, "×", map.geometry().rows, "×",
         map.geometry().cols, " does not match the weight buffer's ", hw::kBanks, "×",
         hw::kSramRows, "×", hw::kSramCols);
  }
  *map_ = map;
  std::fill(bank_reads_.begin(), bank_reads_.end(), 0u);
  std::fill(bank_writes_.begin(), bank_writes_.end(), 0u);
  cycles_ += std::uint64_t{hw::kBanks} * hw::kSramRows;  // one backdoor row per cycle
  refresh_masks();
}

void GoldenAccelerator::set_vdd_code(std::uint16_t vdd_code) {
  vdd_ = vdd_code;
  cycles_ += 1 + hw::kSramRows;  // accept + mask sweep
  refresh_masks();
}

std::uint64_t GoldenAccelerator::read_word(std::uint32_t addr) {
  const std::uint32_t bank = addr / hw::kSramRows;
  const std::uint32_t r = bank_reads_[bank]++;
  const auto& wf = masks_->words()[addr];
  const std::uint64_t f = wf.candidate == 0 ? sure_[addr] : masks_->faulty(addr, r);
  return profiles::apply_faults(mem_[addr], f, wf);
}

void GoldenAccelerator::write_word(std::uint32_t addr, std::uint64_t data) {
  const std::uint32_t bank = addr / hw::kSramRows;
  mem_[addr] = masks_->write(addr, data, bank_reads_[bank]);
  ++bank_writes_[bank];
}

void GoldenAccelerator::write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) {
  if (addr > kMaxCount || count > kMaxCount) {
    fail("golden: write of ", count, " words at address ", addr, ": both must be ≤ ", kMaxCount);
  }
  for (std::size_t i = 0; i < count; ++i) {
    write_word(static_cast<std::uint32_t>((addr + i) % hw::kBufferWords), words[i]);
  }
  cycles_ += count == 0 ? 2 : count + 1;
  cache_.valid = false;
  ++generation_;
}

void GoldenAccelerator::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  if (addr > kMaxCount || count > kMaxCount) {
    fail("golden: read of ", count, " words at address ", addr, ": both must be ≤ ", kMaxCount);
  }
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = read_word(static_cast<std::uint32_t>((addr + i) % hw::kBufferWords));
  }
  cycles_ += count == 0 ? 2 : count + 3;
}

void GoldenAccelerator::tile_cfg(const TileConfig& cfg) {
  check_tile_config(cfg);
  cfg_ = cfg;
  cycles_ += 1;
}

void GoldenAccelerator::run(std::uint32_t w_bit_addr, const std::uint64_t* activations,
                            std::size_t k, std::int32_t* out) {
  if (w_bit_addr > 0xffffffu || k > kMaxCount) {
    fail("golden: run with w_bit_addr ", w_bit_addr, " (24 bits) and k ", k, " (≤ ", kMaxCount,
         ")");
  }
  const TileConfig& c = cfg_;
  const std::uint32_t a = w_bit_addr % kBufferBits;

  // weight words, each read once in ascending address order
  const std::uint32_t n_words = run_words(a, k, c);
  const std::uint32_t first = a >> 6;
  const bool same_place = cache_.valid && cache_.bit_addr == a && cache_.k == k && cache_.cfg == c;
  if (same_place && cache_.deterministic && cache_.generation == generation_) {
    // nothing changed and no word has an intermittent cell: the reads return what they returned
    // last time, only the counters move
    for (const auto& [bank, reads] : cache_.bank_reads) bank_reads_[bank] += reads;
  } else {
    raw_.resize(n_words + 1);
    bool deterministic = true;
    for (std::uint32_t i = 0; i < n_words; ++i) {
      const std::uint32_t addr = (first + i) % hw::kBufferWords;
      deterministic = deterministic && has_candidate_[addr] == 0;
      raw_[i] = read_word(addr);
    }
    raw_[n_words] = 0;
    // decoded weights: reuse the last run's if it read the same words from the same place
    const bool hit = same_place && std::equal(raw_.begin(), raw_.begin() + n_words,
                                              cache_.raw.begin(), cache_.raw.end());
    if (!hit) {
      cache_.w.assign(std::size_t{c.cols} * k, 0);
      const std::int32_t wz = byte_value(c.w_zero, c.w_signed);
      const std::uint64_t skip = a & 63u;
      for (std::size_t s = 0; s < k; ++s) {
        for (std::uint32_t j = 0; j < c.cols; ++j) {
          const std::uint64_t pos = skip + (std::uint64_t{s} * c.cols + j) * c.wbits;
          const auto code = static_cast<std::uint32_t>(stream_bits(raw_.data(), pos, c.wbits));
          cache_.w[std::size_t{j} * k + s] =
              static_cast<std::int16_t>(code_value(code, c.wbits, c.w_signed) - wz);
        }
      }
      cache_.valid = true;
      cache_.bit_addr = a;
      cache_.k = k;
      cache_.cfg = c;
      cache_.raw.assign(raw_.begin(), raw_.begin() + n_words);
    }
    cache_.generation = generation_;
    cache_.deterministic = deterministic;
    cache_.bank_reads.clear();
    for (std::uint32_t i = 0; i < n_words;) {  // reads per bank of this word range
      const std::uint32_t addr = (first + i) % hw::kBufferWords;
      const std::uint32_t bank = addr / hw::kSramRows;
      const std::uint32_t in_bank = std::min(n_words - i, hw::kSramRows - addr % hw::kSramRows);
      cache_.bank_reads.emplace_back(bank, in_bank);
      i += in_bank;
    }
  }

  // activations minus zero point, row-major
  x_.resize(std::size_t{c.rows} * k);
  const std::int32_t xz = byte_value(c.act_zero, c.act_signed);
  for (std::uint32_t i = 0; i < c.rows; ++i) {  // row-outer so that the step loop vectorises
    std::int16_t* xi = x_.data() + std::size_t{i} * k;
    const unsigned shift = 8 * i;
    if (c.act_signed) {
      for (std::size_t s = 0; s < k; ++s) {
        const std::int32_t b = static_cast<std::uint8_t>(activations[s] >> shift);
        xi[s] = static_cast<std::int16_t>(((b ^ 0x80) - 0x80) - xz);  // int8 value of the byte
      }
    } else {
      for (std::size_t s = 0; s < k; ++s) {
        xi[s] = static_cast<std::int16_t>(static_cast<std::uint8_t>(activations[s] >> shift) - xz);
      }
    }
  }
  tile_products(x_.data(), cache_.w.data(), c.rows, c.cols, k, out);

  macs_ += std::uint64_t{k} * c.rows * c.cols;
  const auto key = std::make_tuple(a & 63u, k, c.rows, c.cols, c.wbits);
  auto it = run_cycles_.find(key);
  if (it == run_cycles_.end()) {
    it = run_cycles_.emplace(key, run_command_cycles(a, static_cast<std::uint32_t>(k), c)).first;
  }
  cycles_ += it->second;
}

Counters GoldenAccelerator::counters() {
  Counters c;
  c.status = hw::encode(hw::StatusWord{0, 0, hw::kSpecVersion});
  c.cycles = cycles_;
  c.macs = macs_;
  c.bank_reads = bank_reads_;
  c.bank_writes = bank_writes_;
  cycles_ += 1 + hw::kCounterWords + 1;  // accept, one edge per word, the last word taken
  return c;
}

std::vector<MbistRecord> GoldenAccelerator::mbist() {
  // March C-, word-oriented: M0 up w0 | M1 up r0,w1 | M2 up r1,w0 | M3 down r0,w1 |
  // M4 down r1,w0 | M5 up r0 (rtl/mbist.sv)
  constexpr std::uint32_t n = hw::kBufferWords;
  constexpr std::uint64_t kOnes = ~std::uint64_t{0};
  std::vector<std::uint64_t> f01(n, 0), f10(n, 0);
  auto element = [&](bool down, int expect, int write_value) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t addr = down ? n - 1 - i : i;
      if (expect == 0) f01[addr] |= read_word(addr);
      if (expect == 1) f10[addr] |= ~read_word(addr);
      if (write_value >= 0) write_word(addr, write_value ? kOnes : 0);
    }
  };
  element(false, -1, 0);
  element(false, 0, 1);
  element(false, 1, 0);
  element(true, 0, 1);
  element(true, 1, 0);
  element(false, 0, -1);

  std::vector<MbistRecord> records;
  std::uint64_t drain = 0;
  for (std::uint32_t addr = 0; addr < n; ++addr) {
    const std::uint64_t any = f01[addr] | f10[addr];
    drain += any == 0 ? 1 : static_cast<std::uint64_t>(__builtin_popcountll(any));
    for (std::uint64_t m = any; m != 0; m &= m - 1) {
      const int bit = __builtin_ctzll(m);
      records.push_back(MbistRecord{addr * hw::kSramCols + static_cast<std::uint32_t>(bit),
                                    ((f01[addr] >> bit) & 1u) != 0,
                                    ((f10[addr] >> bit) & 1u) != 0});
    }
  }
  // accept, 10 ops per word, flush, drain, end word, forward, the end word taken
  cycles_ += 1 + std::uint64_t{hw::kMbistOpsPerWord} * n + 1 + drain + 3;
  cache_.valid = false;
  ++generation_;
  return records;
}

void register_golden_backend() {
  register_accelerator("golden", [](const AcceleratorConfig& config) {
    for (const auto& [key, value] : config) {
      fail("golden backend: unknown option '", key, "' = '", value, "' (it takes none)");
    }
    return std::make_unique<GoldenAccelerator>();
  });
}

}  // namespace lowvolt::accelerator
