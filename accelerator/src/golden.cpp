// The golden model (golden.h). Cycle counts mirror rtl/controller.sv and rtl/mbist.sv command by
// command for an initiator that keeps every stream valid/ready (lowvolt::rtl::AccelDriver):
// docs/accelerator.md lists them.
#include "lowvolt/accelerator/golden.h"

#include <algorithm>
#include <cstring>

#include "golden_commands.h"
#include "kernels.h"
#include "lowvolt/accelerator/datapath.h"
#include "lowvolt/accelerator/golden_ecc.h"
#include "lowvolt/common/error.h"

namespace lowvolt::accelerator {

namespace {
constexpr std::uint32_t kBufferBits = hw::kBufferWords * hw::kWordBits;  // 2^19
using detail::kResetCycles;  // mask sweep after rst (golden_commands.h)
constexpr std::size_t kMaxBlockBytes = std::size_t{256} << 20;  // decoded ranges kept, at most
// Runs of at most this many row tiles take the stuck values that intermittent stuck cells caught
// at the last write as corrections (such a cell is faulty on every read: the kernels read
// `caught_`) instead of folding them into the decoded weights: a rewrite of the same data then
// costs no weight update (the linear layers' single row tile rewrites tens of thousands of words
// per batch), a run one correction per such cell and tile.
constexpr std::uint32_t kFlagTiles = 4;

std::uint32_t words_per_result_row(const TileConfig& cfg) { return (cfg.cols + 1) / 2; }

/// Words of a run: the controller's r_words (first word = bit address / 64).
std::uint32_t run_words(std::uint32_t bit_addr, std::size_t k, const TileConfig& cfg) {
  if (k == 0) return 0;
  const std::uint64_t bits = std::uint64_t{k} * cfg.cols * cfg.wbits;
  return static_cast<std::uint32_t>(((bit_addr + bits - 1) >> 6) - (bit_addr >> 6) + 1);
}
}  // namespace

std::uint64_t run_command_cycles(std::uint32_t w_bit_addr, std::uint32_t k, const TileConfig& cfg) {
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

/// A weight range as read through the persistent faults and decoded (see golden.h).
struct GoldenAccelerator::Block {
  std::uint64_t mask_generation = ~std::uint64_t{0};  // masks it was built with
  std::uint64_t write_epoch = ~std::uint64_t{0};      // buffer state last checked
  bool fold = true;  // caught stuck values folded into `cur` and `w` (else: read from caught_)
  std::uint32_t first = 0;                            // first word address
  std::uint32_t n_words = 0;                          // words per run
  std::uint32_t skip = 0;                             // bit of code 0 in the first word
  std::vector<std::uint64_t> stored;  // the stored words as of write_epoch (n_words)
  std::vector<std::uint64_t> base;    // their reads with no candidate cell faulty (+ a 0)
  detail::PackedWeights w;            // decoded from `base`
  std::vector<std::pair<std::uint32_t, std::uint32_t>> banks;  // (bank, reads per run)
  // words holding intermittent-candidate cells, ascending position
  std::vector<std::uint32_t> cand_pos;      // position in the range
  std::vector<std::uint32_t> cand_addr;     // buffer address
  std::vector<std::uint32_t> cand_before;   // reads of its bank earlier in the same run
  std::vector<std::uint32_t> cand_step;     // reads of its bank per run
  std::vector<std::uint8_t> cand_bank;      // its bank
  std::vector<std::uint64_t> effect;        // per candidate word: bits a faulty cell would change
  std::vector<std::uint64_t> stuck_effect;  // … of those, the intermittent stuck cells
  std::vector<std::uint32_t> stuck_words;   // candidate words with a stuck_effect bit
  std::vector<std::uint64_t> forced;  // per candidate word: intermittent stuck cells that caught
                                      // their stuck value at the last write (read so always;
                                      // `fold` only)
  std::vector<std::uint64_t> cur;     // what `w` is decoded from (+ 0): base, with the forced
                                      // bits when `fold`
  // the candidate cells whose fault changes what their word reads as stored now (flip cells,
  // stuck cells holding the other value) and a code of the range: only these are hashed per
  // read, each with the step, column and weight change of its bit; those of candidate word w
  // are cells [cell_first[w], cell_first[w + 1]) in ascending bit order (bits cell_bits[w]), with
  // their earlier reads in a run and weight change (when `fold`, cells.delta is 0 while the cell
  // is stuck since the write: already in `cur`)
  detail::ActiveCells cells;
  std::vector<std::uint32_t> cell_first;
  std::vector<std::uint64_t> cell_bits;  // per candidate word: the bits of its cells
  std::vector<std::uint32_t> cell_before;
  std::vector<std::int32_t> cell_delta;
  // the cells by bank: cells [bank_runs[i].first, bank_runs[i + 1].first) are in bank
  // bank_runs[i].second (cells ascend by position; a run ends where the bank changes)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> bank_runs;

  std::size_t bytes() const {
    return 8 * (stored.size() + base.size()) + 2 * w.v.size() + 4 * w.packed.size() +
           8 * (cur.size() + 6 * cand_pos.size()) + 4 * cell_first.size() + 40 * cells.size() +
           8 * bank_runs.size() + sizeof(Block);
  }
};

/// Buffers reused by every run.
struct GoldenAccelerator::Scratch {
  std::vector<std::uint32_t> tiles;    // kernel output, tiles × 64, column-major tiles
  std::vector<std::uint32_t> r0;       // candidate cells' read counts in the first run
  std::vector<std::uint32_t> diff;         // positions of a range stored differently
  std::vector<std::uint64_t> write_masks;  // per buffer word: intermittent stuck cells now stuck
};

namespace {
/// Codes [lo, hi) of a range (code c at stream bits skip + c·m …) that meet word `pos`.
std::pair<std::uint64_t, std::uint64_t> codes_of_word(std::uint64_t pos, std::uint64_t skip,
                                                      std::uint32_t m, std::uint64_t total) {
  const std::uint64_t lo_bit = pos * 64, hi_bit = lo_bit + 63;
  if (hi_bit < skip) return {0, 0};
  const std::uint64_t lo = lo_bit < skip ? 0 : (lo_bit - skip) / m;  // holds bit lo_bit
  const std::uint64_t hi = std::min<std::uint64_t>(total, (hi_bit - skip) / m + 1);
  return {std::min(lo, hi), hi};
}

/// Bits set in x (SWAR: the baseline x86-64 target has no popcnt instruction, and the
/// library call costs more than this).
std::uint32_t popcount64(std::uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<std::uint32_t>((x * 0x0101010101010101ULL) >> 56);
}

/// The smallest read-hash byte sum s at which a cell with code vc is faulty at vdd (noise grows
/// with s); 1021 if none.
std::uint32_t fault_threshold(std::uint16_t sigma, std::int32_t vc, std::int32_t vdd) {
  std::uint32_t lo = 0, hi = 1021;  // answer in [lo, hi]
  while (lo < hi) {
    const std::uint32_t mid = (lo + hi) / 2;
    if (vc + profiles::noise_from_sum(sigma, mid) > vdd) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}
}  // namespace

GoldenAccelerator::GoldenAccelerator(KernelPath path)
    : path_(path),
      map_(std::make_unique<profiles::CellMap>(buffer_geometry())),
      mem_(hw::kBufferWords, 0),
      data_(hw::kBufferWords, 0),
      caught_(hw::kBufferWords, 0),
      wc_(std::make_unique<detail::CellGroups>()),
      bank_reads_(hw::kBanks, 0),
      bank_writes_(hw::kBanks, 0),
      scratch_(std::make_unique<Scratch>()) {
  if (!kernel_path_supported(path_)) {
    fail("golden: this CPU cannot run the ", kernel_path_name(path_), " kernels");
  }
  reset();
}

GoldenAccelerator::~GoldenAccelerator() = default;

void GoldenAccelerator::refresh_masks() {
  masks_ = std::make_unique<profiles::FaultMasks>(map_->faults_at(vdd_));
  const auto& words = masks_->words();
  LV_CHECK(words.size() == hw::kBufferWords, "fault masks have " << words.size() << " words");
  sure_.resize(words.size());
  stuck_sure_.resize(words.size());
  stuck_candidate_.resize(words.size());
  has_candidate_.resize(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    sure_[i] = (words[i].flip | words[i].stuck) & ~words[i].candidate;
    stuck_sure_[i] = sure_[i] & words[i].stuck;
    stuck_candidate_[i] = words[i].candidate & words[i].stuck;
    has_candidate_[i] = words[i].candidate != 0;
  }
  // a candidate cell has min_noise ≤ vdd − vc < max_noise: its byte-sum threshold by vdd − vc
  const std::uint16_t sigma = map_->sigma_code();
  thr_lo_ = profiles::min_noise(sigma);
  thr_table_.resize(static_cast<std::size_t>(profiles::max_noise(sigma) - thr_lo_ + 1));
  for (std::size_t d = 0; d < thr_table_.size(); ++d) {
    thr_table_[d] = fault_threshold(sigma, 0, thr_lo_ + static_cast<std::int32_t>(d));
  }
  // the intermittent stuck cells of the whole buffer in address order, for writes
  wc_first_.assign(std::size_t{hw::kBufferWords} + 1, 0);
  wc_->clear();
  for (std::uint32_t a = 0; a < hw::kBufferWords; ++a) {
    wc_first_[a] = static_cast<std::uint32_t>(wc_->size());
    wc_->add_word(a, stuck_candidate_[a], std::uint64_t{a} * hw::kWordBits,
                  [this](std::uint64_t cell) { return threshold(cell); });
  }
  wc_first_[hw::kBufferWords] = static_cast<std::uint32_t>(wc_->size());
  scratch_->write_masks.assign(hw::kBufferWords, 0);
  ++mask_generation_;
}

std::uint32_t GoldenAccelerator::threshold(std::uint64_t cell) const {
  const std::int32_t d = static_cast<std::int32_t>(vdd_) - map_->vc()[cell] - thr_lo_;
  LV_CHECK(d >= 0 && static_cast<std::size_t>(d) < thr_table_.size(),
           "cell " << cell << " is no intermittent candidate at this supply");
  return thr_table_[static_cast<std::size_t>(d)];
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
  check_profile_geometry(map, "golden");
  *map_ = map;
  std::fill(bank_reads_.begin(), bank_reads_.end(), 0u);
  std::fill(bank_writes_.begin(), bank_writes_.end(), 0u);
  cycles_ += detail::kLoadProfileCycles;
  refresh_masks();
}

void GoldenAccelerator::set_bank_counters(const std::vector<std::uint32_t>& reads,
                                    const std::vector<std::uint32_t>& writes) {
  detail::check_bank_counters(reads, writes);
  bank_reads_ = reads;
  bank_writes_ = writes;
}

void GoldenAccelerator::set_vdd_code(std::uint16_t vdd_code) {
  vdd_ = vdd_code;
  cycles_ += detail::kSetVddCycles;
  refresh_masks();
}

std::uint64_t GoldenAccelerator::read_word(std::uint32_t addr) {
  const std::uint32_t bank = addr / hw::kSramRows;
  const std::uint32_t r = bank_reads_[bank]++;
  const auto& wf = masks_->words()[addr];
  const std::uint64_t f = wf.candidate == 0 ? sure_[addr] : masks_->faulty(addr, r);
  return profiles::apply_faults(mem_[addr], f, wf);
}

std::uint64_t GoldenAccelerator::stuck_now(std::uint32_t addr) const {
  // FaultMasks::write: cells stuck and faulty at this moment store their stuck value; only the
  // intermittent stuck cells need the hash (flip cells do not affect writes)
  std::uint64_t stuck = stuck_sure_[addr];
  const std::uint32_t r = bank_reads_[addr / hw::kSramRows];
  for (std::uint64_t m = stuck_candidate_[addr]; m != 0; m &= m - 1) {
    const std::uint64_t cell =
        std::uint64_t{addr} * hw::kWordBits + static_cast<unsigned>(__builtin_ctzll(m));
    const std::uint64_t h =
        profiles::mix64(map_->seed() ^ profiles::mix64(cell * 0x9e3779b97f4a7c15ULL + r));
    const auto sum = static_cast<std::uint32_t>((h & 0xff) + ((h >> 8) & 0xff) +
                                                ((h >> 16) & 0xff) + ((h >> 24) & 0xff));
    if (sum >= threshold(cell)) stuck |= m & (~m + 1);
  }
  return stuck;
}

std::uint64_t GoldenAccelerator::baseline(std::uint32_t addr) const {
  // an intermittent stuck cell holds the data bit here; whether it caught its stuck value at
  // the write is forced_faults()'s business
  return (mem_[addr] & ~stuck_candidate_[addr]) | (data_[addr] & stuck_candidate_[addr]);
}

void GoldenAccelerator::write_word(std::uint32_t addr, std::uint64_t data) {
  data_[addr] = data;
  const std::uint64_t stuck = stuck_now(addr);
  mem_[addr] = (data & ~stuck) | (stuck & masks_->words()[addr].stuck1);
  caught_[addr] = mem_[addr] ^ data;
  ++bank_writes_[addr / hw::kSramRows];
}

void GoldenAccelerator::write(std::uint32_t addr, const std::uint64_t* words, std::size_t count) {
  check_transfer_fields("golden", "write", addr, count);
  // in pieces within one bank (one read count r): words without stuck cells store their data;
  // the intermittent stuck cells of the piece are hashed together
  Scratch& sc = *scratch_;
  for (std::size_t i = 0; i < count;) {
    const auto a0 = static_cast<std::uint32_t>((addr + i) % hw::kBufferWords);
    const std::uint32_t bank = a0 / hw::kSramRows;
    const auto len = static_cast<std::uint32_t>(
        std::min<std::size_t>(count - i, hw::kSramRows - a0 % hw::kSramRows));
    const std::uint32_t c0 = wc_first_[a0], c1 = wc_first_[a0 + len];  // groups of the piece
    if (c1 > c0) {
      std::fill(sc.write_masks.begin() + a0, sc.write_masks.begin() + a0 + len, 0);
      sc.r0.assign(c1 - c0, bank_reads_[bank]);
      detail::MaskSink sink;
      sink.masks = sc.write_masks.data();
      detail::candidate_masks(path_, *wc_, c0, c1, sc.r0.data(), sc.r0.data(), 0, map_->seed(),
                              sink);
    }
    // branch-free: a word without stuck cells stores its data
    const profiles::WordFaults* wf = masks_->words().data() + a0;
    const std::uint64_t* ss = stuck_sure_.data() + a0;
    const std::uint64_t* wm = sc.write_masks.data() + a0;
    const std::uint64_t* src = words + i;
    std::uint64_t* md = mem_.data() + a0;
    std::uint64_t* dd = data_.data() + a0;
    std::uint64_t* cd = caught_.data() + a0;
    const std::uint64_t any = c1 > c0 ? ~std::uint64_t{0} : 0;
    for (std::uint32_t q = 0; q < len; ++q) {
      dd[q] = src[q];
      const std::uint64_t stuck = ss[q] | (wm[q] & any);
      md[q] = (src[q] & ~stuck) | (stuck & wf[q].stuck1);
      cd[q] = md[q] ^ src[q];
    }
    bank_writes_[bank] += len;
    i += len;
  }
  cycles_ += detail::write_cycles(count);
  ++write_epoch_;
}

void GoldenAccelerator::read(std::uint32_t addr, std::size_t count, std::uint64_t* out) {
  check_transfer_fields("golden", "read", addr, count);
  for (std::size_t i = 0; i < count; ++i) {
    out[i] = read_word(static_cast<std::uint32_t>((addr + i) % hw::kBufferWords));
  }
  cycles_ += detail::read_cycles(count);
}

void GoldenAccelerator::tile_cfg(const TileConfig& cfg) {
  check_tile_config(cfg);
  cfg_ = cfg;
  cycles_ += 1;
}

void GoldenAccelerator::check_run(std::uint32_t w_bit_addr, std::size_t k) const {
  check_run_fields("golden", w_bit_addr, k);
}

std::uint64_t GoldenAccelerator::run_cycles(std::uint32_t a, std::size_t k, const TileConfig& c) {
  const auto key = std::make_tuple(a & 63u, k, c.rows, c.cols, c.wbits);
  auto it = run_cycles_.find(key);
  if (it == run_cycles_.end()) {
    it = run_cycles_.emplace(key, run_command_cycles(a, static_cast<std::uint32_t>(k), c)).first;
  }
  return it->second;
}

std::int16_t GoldenAccelerator::decode(const std::uint64_t* words, std::uint64_t skip,
                                       std::uint64_t code, const TileConfig& c) {
  const auto bits = static_cast<std::uint32_t>(stream_bits(words, skip + code * c.wbits, c.wbits));
  return static_cast<std::int16_t>(code_value(bits, c.wbits, c.w_signed) -
                                   byte_value(c.w_zero, c.w_signed));
}

void GoldenAccelerator::build_block(Block& b, std::uint32_t a, std::size_t k, const TileConfig& c) {
  const std::uint32_t n = run_words(a, k, c);
  b.first = a >> 6;
  b.n_words = n;
  b.skip = a & 63u;
  std::uint32_t per_bank[hw::kBanks] = {};
  std::vector<std::uint32_t>& before = scratch_->diff;  // reads of the same bank earlier in a run
  before.resize(n);
  for (std::uint32_t p = 0; p < n; ++p) {
    before[p] = per_bank[((b.first + p) % hw::kBufferWords) / hw::kSramRows]++;
  }
  b.banks.clear();
  for (std::uint32_t bank = 0; bank < hw::kBanks; ++bank) {
    if (per_bank[bank] != 0) b.banks.emplace_back(bank, per_bank[bank]);
  }
  b.cand_pos.clear();
  b.cand_addr.clear();
  b.cand_before.clear();
  b.cand_step.clear();
  b.cand_bank.clear();
  for (std::uint32_t p = 0; p < n; ++p) {
    const std::uint32_t addr = (b.first + p) % hw::kBufferWords;
    if (has_candidate_[addr] == 0) continue;
    const std::uint32_t bank = addr / hw::kSramRows;
    b.cand_pos.push_back(p);
    b.cand_addr.push_back(addr);
    b.cand_before.push_back(before[p]);
    b.cand_step.push_back(per_bank[bank]);
    b.cand_bank.push_back(static_cast<std::uint8_t>(bank));
  }
  decode_block(b, k, c);
  b.mask_generation = mask_generation_;
}

std::uint64_t GoldenAccelerator::forced_faults(const Block& b, std::size_t w) const {
  return caught_[b.cand_addr[w]] & b.stuck_effect[w];
}

void GoldenAccelerator::decode_block(Block& b, std::size_t k, const TileConfig& c) {
  const std::uint32_t n = b.n_words;
  b.stored.resize(n);
  b.base.assign(std::size_t{n} + 1, 0);
  for (std::uint32_t p = 0; p < n; ++p) {
    const std::uint32_t addr = (b.first + p) % hw::kBufferWords;
    b.stored[p] = baseline(addr);
    // candidate cells read as not faulty here; the runs correct the reads where they are
    b.base[p] = profiles::apply_faults(b.stored[p], sure_[addr], masks_->words()[addr]);
  }
  select_active(b, k, c);
  b.cur = b.base;
  b.forced.assign(b.cand_pos.size(), 0);  // as the cells' deltas are
  if (b.fold) {
    for (std::size_t w = 0; w < b.cand_pos.size(); ++w) {
      set_forced(b, w, forced_faults(b, w));
      b.cur[b.cand_pos[w]] ^= b.forced[w];
    }
  }
  // every code once: v = w − zw, 8 columns per step (missing columns 0)
  b.w.k = k;
  b.w.v.assign(k * detail::kTile, 0);
  const std::int32_t wz = byte_value(c.w_zero, c.w_signed);
  if (c.wbits == 8 && b.skip % 8 == 0) {  // whole bytes
    const std::uint64_t* words = b.cur.data();
    const std::size_t byte0 = b.skip / 8;
    for (std::size_t s = 0; s < k; ++s) {
      for (std::uint32_t j = 0; j < c.cols; ++j) {
        const std::size_t at = byte0 + s * c.cols + j;
        const auto byte = static_cast<std::uint8_t>(words[at / 8] >> (8 * (at % 8)));
        b.w.v[s * detail::kTile + j] = static_cast<std::int16_t>(byte_value(byte, c.w_signed) - wz);
      }
    }
  } else {
    for (std::size_t s = 0; s < k; ++s) {
      for (std::uint32_t j = 0; j < c.cols; ++j) {
        b.w.v[s * detail::kTile + j] =
            decode(b.cur.data(), b.skip, std::uint64_t{s} * c.cols + j, c);
      }
    }
  }
  detail::pack_weights(path_, (c.w_signed ? 0 : 128) - wz, b.w);
}

void GoldenAccelerator::select_active(Block& b, std::size_t k, const TileConfig& c) const {
  b.cells.clear();
  b.cell_first.clear();
  b.cell_bits.assign(b.cand_pos.size(), 0);
  b.cell_before.clear();
  b.cell_delta.clear();
  b.bank_runs.clear();
  b.effect.resize(b.cand_pos.size());
  b.stuck_effect.resize(b.cand_pos.size());
  b.stuck_words.clear();
  const std::uint64_t code_bits = std::uint64_t{k} * c.cols * c.wbits;  // of the range's codes
  for (std::size_t w = 0; w < b.cand_pos.size(); ++w) {
    const std::uint32_t pos = b.cand_pos[w], addr = b.cand_addr[w];
    const profiles::WordFaults& wf = masks_->words()[addr];
    // bits that read differently when their candidate cell is faulty
    b.effect[w] =
        b.base[pos] ^ profiles::apply_faults(b.stored[pos], sure_[addr] | wf.candidate, wf);
    b.stuck_effect[w] = b.effect[w] & stuck_candidate_[addr];
    if (b.stuck_effect[w] != 0) b.stuck_words.push_back(static_cast<std::uint32_t>(w));
    b.cell_first.push_back(static_cast<std::uint32_t>(b.cells.size()));
    for (std::uint64_t m = b.effect[w] & wf.candidate; m != 0; m &= m - 1) {
      const auto bit = static_cast<std::uint32_t>(__builtin_ctzll(m));
      const std::uint64_t at = std::uint64_t{pos} * 64 + bit;  // bit of the range's stream
      if (at < b.skip || at - b.skip >= code_bits) continue;   // in no code: changes nothing
      const std::uint64_t code = (at - b.skip) / c.wbits;
      const auto q = static_cast<std::uint32_t>((at - b.skip) % c.wbits);
      // the code's value is linear in its bits (two's complement: the top bit of a signed code
      // weighs −2^(m−1)); a faulty cell inverts its bit as read without the candidate faults
      const std::int32_t weight = c.w_signed && q + 1 == c.wbits ? -(std::int32_t{1} << q)
                                                                 : std::int32_t{1} << q;
      const bool one = ((b.base[pos] >> bit) & 1u) != 0;
      const std::uint64_t cell = std::uint64_t{addr} * hw::kWordBits + bit;
      if (b.bank_runs.empty() || b.bank_runs.back().second != b.cand_bank[w]) {
        b.bank_runs.emplace_back(static_cast<std::uint32_t>(b.cells.size()), b.cand_bank[w]);
      }
      b.cells.cphi.push_back(cell * 0x9e3779b97f4a7c15ULL);  // noise_byte_sum's product
      b.cells.thr.push_back(threshold(cell));
      b.cells.cell.push_back(static_cast<std::uint32_t>(cell));
      b.cells.step.push_back(b.cand_step[w]);
      b.cells.s.push_back(static_cast<std::uint32_t>(code / c.cols));
      b.cells.j.push_back(static_cast<std::uint32_t>(code % c.cols));
      b.cells.delta.push_back(one ? -weight : weight);
      b.cell_before.push_back(b.cand_before[w]);
      b.cell_delta.push_back(one ? -weight : weight);
      b.cell_bits[w] |= std::uint64_t{1} << bit;
    }
  }
  b.cell_first.push_back(static_cast<std::uint32_t>(b.cells.size()));
  b.bank_runs.emplace_back(static_cast<std::uint32_t>(b.cells.size()), 0);  // the end
}

inline void GoldenAccelerator::set_forced(Block& b, std::size_t w, std::uint64_t forced) const {
  // only the cells whose forced bit changes: cell e of bit q is the popcount of the cell bits
  // below q after the word's first cell
  const std::uint64_t bits = b.cell_bits[w];
  for (std::uint64_t m = (forced ^ b.forced[w]) & bits; m != 0; m &= m - 1) {
    const auto q = static_cast<unsigned>(__builtin_ctzll(m));
    const std::uint32_t e = b.cell_first[w] + popcount64(bits & ((std::uint64_t{1} << q) - 1));
    b.cells.delta[e] = ((forced >> q) & 1u) != 0 ? 0 : b.cell_delta[e];
  }
  b.forced[w] = forced;
}

GoldenAccelerator::Block& GoldenAccelerator::block(std::uint32_t a, std::size_t k,
                                                   const TileConfig& c, bool fold) {
  const std::uint64_t key = std::uint64_t{a} | (std::uint64_t{k} << 19) |
                            (std::uint64_t{c.cols - 1} << 35) | (std::uint64_t{c.wbits - 1} << 38) |
                            (std::uint64_t{c.w_zero} << 41) | (std::uint64_t{c.w_signed} << 49);
  auto it = blocks_.find(key);
  if (it == blocks_.end()) {
    if (block_bytes_ > kMaxBlockBytes) {
      blocks_.clear();
      block_bytes_ = 0;
    }
    it = blocks_.emplace(key, std::make_unique<Block>()).first;
  }
  Block& b = *it->second;
  if (b.write_epoch == write_epoch_ && b.mask_generation == mask_generation_ && b.fold == fold) {
    return b;
  }
  block_bytes_ -= std::min(block_bytes_, b.bytes());
  if (b.mask_generation != mask_generation_) {
    b.fold = fold;
    build_block(b, a, k, c);
  } else {
    // the same masks: words written with other data since are decoded again (all of them), and
    // the intermittent stuck cells that caught their stuck value at this batch's write (a few
    // words) are folded into the decoded weights code by code
    std::uint64_t differ = 0;  // branch-free over the contiguous pieces of the range
    for (std::uint32_t p = 0; p < b.n_words;) {
      const std::uint32_t a0 = (b.first + p) % hw::kBufferWords;
      const std::uint32_t len = std::min(b.n_words - p, hw::kBufferWords - a0);
      const std::uint64_t* m = mem_.data() + a0;
      const std::uint64_t* d = data_.data() + a0;
      const std::uint64_t* sc = stuck_candidate_.data() + a0;
      const std::uint64_t* st = b.stored.data() + p;
      for (std::uint32_t q = 0; q < len; ++q) differ |= ((m[q] & ~sc[q]) | (d[q] & sc[q])) ^ st[q];
      p += len;
    }
    if (differ != 0 || b.fold != fold) {
      b.fold = fold;
      decode_block(b, k, c);
    } else if (fold) {  // (otherwise the runs read the caught stuck values from caught_)
      const bool bytes = c.wbits == 8 && b.skip % 8 == 0;
      const std::int32_t wz = byte_value(c.w_zero, c.w_signed);
      const std::uint64_t total = std::uint64_t{k} * c.cols;
      std::vector<std::uint32_t>& changed = scratch_->diff;
      changed.clear();
      for (const std::uint32_t w : b.stuck_words) {
        const std::uint32_t pos = b.cand_pos[w];
        const std::uint64_t f = forced_faults(b, w);
        if (f == b.forced[w]) continue;
        const std::uint64_t old = b.cur[pos];
        set_forced(b, w, f);
        b.cur[pos] = b.base[pos] ^ f;
        if (!bytes) {
          changed.push_back(pos);
          continue;
        }
        for (std::uint64_t d = old ^ b.cur[pos]; d != 0;) {  // whole-byte codes that differ
          const unsigned q = static_cast<unsigned>(__builtin_ctzll(d)) / 8;
          d &= ~(std::uint64_t{0xff} << (8 * q));
          const std::uint64_t at = std::uint64_t{pos} * 8 + q;
          if (at < b.skip / 8 || at - b.skip / 8 >= total) continue;
          const auto code = static_cast<std::uint32_t>(at - b.skip / 8);
          const std::uint32_t s = c.cols == 8 ? code >> 3 : code / c.cols;
          const std::uint32_t j = c.cols == 8 ? code & 7u : code % c.cols;
          const auto byte = static_cast<std::uint8_t>(b.cur[pos] >> (8 * q));
          detail::update_weight(b.w, s, j,
                                static_cast<std::int16_t>(byte_value(byte, c.w_signed) - wz));
        }
      }
      std::uint64_t next = 0;  // codes below this one are done
      for (const std::uint32_t p : changed) {
        const auto [lo, hi] = codes_of_word(p, b.skip, c.wbits, total);
        for (std::uint64_t code = std::max(lo, next); code < hi; ++code) {
          const std::size_t s = code / c.cols;
          const auto j = static_cast<std::uint32_t>(code % c.cols);
          const std::int16_t v = decode(b.cur.data(), b.skip, code, c);
          if (v != b.w.v[s * detail::kTile + j]) detail::update_weight(b.w, s, j, v);
        }
        next = std::max(next, hi);
      }
    }
  }
  block_bytes_ += b.bytes();
  b.write_epoch = write_epoch_;
  return b;
}

void GoldenAccelerator::correct_intermittent(const Block& b, const TileConfig& c,
                                             const std::uint64_t* activations, std::size_t stride,
                                             std::uint32_t tiles) {
  // a candidate cell's read count in run t: the bank's count before the first run, plus its
  // reads per run for each earlier run, plus its earlier reads in the same run
  const std::size_t n = b.cells.size();
  if (n == 0) return;  // no cell whose fault would change a code
  Scratch& sc = *scratch_;
  sc.r0.resize(n);
  std::uint32_t* const r0 = sc.r0.data();
  const std::uint32_t* const before = b.cell_before.data();
  for (std::size_t i = 0; i + 1 < b.bank_runs.size(); ++i) {
    const std::uint32_t base = bank_reads_[b.bank_runs[i].second];
    for (std::uint32_t e = b.bank_runs[i].first; e < b.bank_runs[i + 1].first; ++e) {
      r0[e] = base + before[e];
    }
  }
  detail::ActTiles x;
  x.act = activations;
  x.stride = stride;
  x.tiles = tiles;
  x.xor_mask = c.act_signed ? 0x80 : 0;
  x.a = static_cast<std::uint32_t>((c.act_signed ? 128 : 0) + byte_value(c.act_zero, c.act_signed));
  detail::intermittent_corrections(path_, b.cells, sc.r0.data(), map_->seed(), x,
                                   b.fold ? nullptr : caught_.data(), sc.tiles.data());
}

void GoldenAccelerator::run_tiles(std::uint32_t a, const std::uint64_t* activations,
                                  std::size_t stride, std::uint32_t tiles, std::size_t k,
                                  const TileConfig& c) {
  Scratch& sc = *scratch_;
  const std::size_t words = std::size_t{tiles} * detail::kTile * detail::kTile;
  if (k == 0 || tiles == 0) {  // no step reads a word
    sc.tiles.assign(words, 0);
    return;
  }
  sc.tiles.resize(words);  // tile_products() writes every word
  const Block& b = block(a, k, c, tiles > kFlagTiles);
  detail::ActTiles x;
  x.act = activations;
  x.stride = stride;
  x.tiles = tiles;
  x.xor_mask = c.act_signed ? 0x80 : 0;
  x.a = static_cast<std::uint32_t>((c.act_signed ? 128 : 0) + byte_value(c.act_zero, c.act_signed));
  detail::tile_products(path_, b.w, x, sc.tiles.data());
  if (!b.cand_pos.empty()) correct_intermittent(b, c, activations, stride, tiles);
  for (const auto& [bank, reads] : b.banks) bank_reads_[bank] += reads * tiles;
}

void GoldenAccelerator::run(std::uint32_t w_bit_addr, const std::uint64_t* activations,
                            std::size_t k, std::int32_t* out) {
  check_run(w_bit_addr, k);
  const TileConfig& c = cfg_;
  const std::uint32_t a = w_bit_addr % kBufferBits;
  run_tiles(a, activations, k, 1, k, c);
  const std::uint32_t* tile = scratch_->tiles.data();
  for (std::uint32_t i = 0; i < c.rows; ++i) {
    for (std::uint32_t j = 0; j < c.cols; ++j) {
      out[std::size_t{i} * c.cols + j] = as_int32(tile[j * detail::kTile + i]);
    }
  }
  macs_ += std::uint64_t{k} * c.rows * c.cols;
  cycles_ += run_cycles(a, k, c);
}

void GoldenAccelerator::run_row_tiles(const RowTileRuns& job, std::optional<TileConfig>& current) {
  const std::uint32_t tiles = (job.rows + hw::kPeRows - 1) / hw::kPeRows;
  if (tiles == 0) return;
  TileConfig full = job.cfg, last = job.cfg;
  full.rows = hw::kPeRows;
  last.rows = job.rows - (tiles - 1) * hw::kPeRows;
  // the tile_cfg commands of the sequence, in order (the first before the first run's checks)
  const TileConfig& first = tiles > 1 ? full : last;
  if (!current || *current != first) {
    tile_cfg(first);
    current = first;
  }
  check_run(job.w_bit_addr, job.k);
  if (tiles > 1 && last != full) {
    tile_cfg(last);
    current = last;
  }
  const std::uint32_t a = job.w_bit_addr % kBufferBits;
  run_tiles(a, job.activations, job.act_stride, tiles, job.k, full);
  detail::add_tiles(path_, scratch_->tiles.data(), tiles, last.rows, job.cfg.cols, job.acc,
                    job.acc_stride);
  macs_ += std::uint64_t{job.k} * job.rows * job.cfg.cols;
  cycles_ += (tiles - 1) * run_cycles(a, job.k, full) + run_cycles(a, job.k, last);
}

Counters GoldenAccelerator::counters() {
  Counters c = detail::counters_snapshot(cycles_, macs_, bank_reads_, bank_writes_);
  cycles_ += detail::kCountersCycles;
  return c;
}

std::vector<MbistRecord> GoldenAccelerator::mbist() {
  // March C- (golden_commands.h, rtl/mbist.sv), then the fail map drained in cell order
  constexpr std::uint32_t n = hw::kBufferWords;
  std::vector<std::uint64_t> f01(n, 0), f10(n, 0);
  detail::march_c_minus(
      [&](std::uint32_t addr, bool one) {
        if (one) {
          f10[addr] |= ~read_word(addr);
        } else {
          f01[addr] |= read_word(addr);
        }
      },
      [&](std::uint32_t addr, bool one) { write_word(addr, one ? ~std::uint64_t{0} : 0); });
  std::vector<MbistRecord> records;
  cycles_ += detail::mbist_cycles(detail::drain_fail_map(f01, f10, 0, hw::kSramCols, records));
  ++write_epoch_;
  return records;
}

BackendTraits golden_traits() {
  BackendTraits t;
  t.summary = "the accelerator's C++ model, bit-exact with the RTL";
  t.default_instances = 2;
  t.max_instances = 256;
  return t;
}

AcceleratorFactory golden_factory() {
  return [](const AcceleratorConfig& config) {
    KernelPath path = default_kernel_path();
    EccMode ecc = EccMode::kNone;
    for (const auto& [key, value] : config) {
      if (key == "kernel") {
        path = parse_kernel_path(value, "golden backend option 'kernel'");
      } else if (key == "ecc") {
        ecc = parse_ecc_mode(value, "golden backend option 'ecc'");
      } else {
        fail("golden backend: unknown option '", key, "' = '", value,
             "' (it takes kernel = portable, avx2, avx512 or auto, and ecc = none, parity or "
             "secded)");
      }
    }
    // ECC on: the direct model of golden_ecc.h (the kernel paths have no decoder)
    if (ecc != EccMode::kNone) return std::unique_ptr<Accelerator>(std::make_unique<EccGoldenAccelerator>(ecc));
    return std::unique_ptr<Accelerator>(std::make_unique<GoldenAccelerator>(path));
  };
}

}  // namespace lowvolt::accelerator
