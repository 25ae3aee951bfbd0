#include "lowvolt/nn/bit_errors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <unordered_set>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/seed.h"
#include "lowvolt/nn/bit_ops.h"

namespace lowvolt::host {
namespace {

/// Stream identifiers mixed into the seed: one generator for positions, one for thresholds.
constexpr std::uint64_t kPositionStream = 0x706f736974696f6eULL;   // "position"
constexpr std::uint64_t kThresholdStream = 0x7468726573686f6cULL;  // "threshol"
/// 2^-53: converts the top 53 bits of a 64-bit draw into a double in [0, 1).
constexpr double kUnit53 = 1.0 / 9007199254740992.0;
/// Bits reserved for the bit position in a packed cell (element << 5 | bit, bits <= 32).
constexpr int kBitField = 5;
constexpr char kPatternMagic[8] = {'L', 'V', 'P', 'A', 'T', 'T', '0', '1'};
constexpr std::size_t kPatternHeaderBytes = 8 + 4 + 4 + 8;

/// The ladder of thresholds (docs/memory-model.md, "Random bit errors"): caps Q_j = 2^(-j/16),
/// j = 0 … kLadderBands; band j < kLadderBands holds the thresholds in [Q_{j+1}, Q_j), band
/// kLadderBands those in [0, 2^-32). Each band draws its cells from streams of its own, so the
/// cells below a rate never depend on how far above it a run draws.
constexpr int kLadderPerOctave = 16;
constexpr int kLadderBands = 32 * kLadderPerOctave;

/// Q_j.
double ladder_cap(int j) { return std::exp2(-static_cast<double>(j) / kLadderPerOctave); }

/// The band that holds rate q (0 < q <= 1): the largest j with Q_j >= q (kLadderBands below
/// 2^-32).
int band_of(double q) {
  int j = static_cast<int>(std::floor(-kLadderPerOctave * std::log2(q)));
  j = std::clamp(j, 0, kLadderBands);
  while (j > 0 && ladder_cap(j) < q) --j;
  while (j < kLadderBands && ladder_cap(j + 1) >= q) ++j;
  return j;
}

/// A splitmix64 sequence (Steele, Lea, Flood 2014): one per band and stream, free to start.
class Stream {
 public:
  Stream(std::uint64_t seed, std::uint64_t stream, int band)
      : z_(splitmix64(splitmix64(seed ^ stream) ^ static_cast<std::uint64_t>(band + 1))) {}
  std::uint64_t operator()() {
    z_ += kSplitMixGamma;
    return mix64(z_);
  }

 private:
  std::uint64_t z_;
};

/// Uniform double in [0, 1) from a 64-bit draw (explicit, platform-independent conversion).
double unit_closed_open(std::uint64_t draw) { return static_cast<double>(draw >> 11) * kUnit53; }
/// Uniform double in (0, 1] (so that its log is finite).
double unit_open_closed(std::uint64_t draw) {
  return static_cast<double>((draw >> 11) + 1) * kUnit53;
}

/// Dtype of FixedPattern masks for `bits` stored bits.
torch::ScalarType mask_dtype(int bits) {
  return bits <= 8 ? torch::kUInt8 : (bits <= 16 ? torch::kInt16 : torch::kInt32);
}

/// Every cell among `total` whose threshold lies below `cap` (0 < cap <= 1), with its threshold,
/// band by band from the finest (kLadderBands) to the band that holds cap. Band j draws its
/// cells among all `total` by geometric skipping with probability (Q_j − Q_{j+1}) / (1 − Q_{j+1})
/// (Q_j in the finest band) and their thresholds uniform in the band; a cell a finer band
/// already gave is passed over (`taken(cell)` says so), which makes every cell's threshold
/// uniform in [0, 1) exactly: P(first drawn in band j) = Q_j − Q_{j+1}. Thresholds are drawn
/// where `thresholds` is set and always in cap's band (its cells at or above cap are dropped).
/// on_cell(cell, threshold, draw) also gets the threshold's 64-bit draw (0 where none was made).
template <typename Taken, typename OnCell>
void for_each_cell(std::uint64_t total, double cap, std::uint64_t seed, bool thresholds,
                   Taken&& taken, OnCell&& on_cell) {
  if (!(cap > 0.0) || total == 0) return;
  // One band's state: its streams and its next drawn cell.
  struct Band {
    Stream positions, draws;
    double lo, hi, inv_log;
    bool every, with_threshold;
    std::uint64_t next;
    void advance(std::uint64_t from, std::uint64_t total) {  // the next drawn cell at or after from
      if (every || from >= total) {
        next = from;
        return;
      }
      const double gap = std::floor(std::log(unit_open_closed(positions())) * inv_log);
      next = gap >= static_cast<double>(total - from) ? total : from + static_cast<std::uint64_t>(gap);
    }
  };
  const int coarsest = band_of(std::min(cap, 1.0));
  std::vector<Band> bands;  // finest first
  bands.reserve(static_cast<std::size_t>(kLadderBands - coarsest + 1));
  for (int j = kLadderBands; j >= coarsest; --j) {
    const double hi = ladder_cap(j);
    const double lo = j < kLadderBands ? ladder_cap(j + 1) : 0.0;
    const double q = j < kLadderBands ? (hi - lo) / (1.0 - lo) : hi;
    Band band{Stream(seed, kPositionStream, j), Stream(seed, kThresholdStream, j), lo, hi,
              q < 1.0 ? 1.0 / std::log1p(-q) : 0.0, !(q < 1.0), thresholds || j == coarsest, 0};
    band.advance(0, total);
    if (band.next < total) bands.push_back(band);
  }
  // Block by block, each band's cells in the block, finest band first: every cell's bands come
  // in that order, and the memory is visited once per block instead of once per band.
  constexpr std::uint64_t kBlock = std::uint64_t{1} << 20;
  for (std::uint64_t begin = 0; begin < total; begin += kBlock) {
    const std::uint64_t end = std::min(total, begin + kBlock);
    for (Band& band : bands) {
      if (band.next >= end) continue;
      // The band's state in locals: stores through the codes (a byte type may alias anything)
      // would otherwise reload it for every cell.
      Band b = band;
      while (b.next < end) {
        const std::uint64_t cell = b.next;
        b.advance(cell + 1, total);
        std::uint64_t draw = 0;
        double threshold = 0.0;
        if (b.with_threshold) {
          draw = b.draws();
          threshold = std::min(b.lo + (b.hi - b.lo) * unit_closed_open(draw),
                               std::nextafter(b.hi, 0.0));
          if (threshold >= cap) continue;
        }
        if (taken(cell)) continue;
        on_cell(cell, threshold, draw);
      }
      band = b;
    }
  }
}

/// Cells already given by a finer band, for the models where a cell's effect cannot tell: a
/// bitmap, or a hash set for memories too large for one.
class TakenCells {
 public:
  explicit TakenCells(std::uint64_t total) : bitmap_(total <= (std::uint64_t{1} << 32)) {
    if (bitmap_) bits_.assign((total + 63) / 64, 0);
  }
  /// Whether `cell` was taken before; takes it.
  bool take(std::uint64_t cell) {
    if (!bitmap_) return !set_.insert(cell).second;
    std::uint64_t& word = bits_[cell >> 6];
    const std::uint64_t bit = std::uint64_t{1} << (cell & 63);
    const bool was = (word & bit) != 0;
    word |= bit;
    return was;
  }

 private:
  bool bitmap_;
  std::vector<std::uint64_t> bits_;
  std::unordered_set<std::uint64_t> set_;
};

/// The stuck-at model's u of a cell from its ladder threshold v and draw: the ladder orders cells
/// by v = 2·min(u, 1 − u), and the draw's lowest bit says which end u lies at.
double stuck_u(double v, std::uint64_t draw) { return (draw & 1) != 0 ? v / 2 : 1.0 - v / 2; }

/// The ladder cap of the stuck-at model at rates r01, r10: cells with u < r01 (stuck at 1) or
/// 1 − u < r10 (stuck at 0) all have v below it.
double stuck_cap(double r01, double r10) { return std::min(1.0, 2.0 * std::max(r01, r10)); }

/// Splits a cell index into (element, bit); shifts instead of divides when bits is a power of 2.
class CellDecoder {
 public:
  explicit CellDecoder(int bits) : bits_(static_cast<std::uint64_t>(bits)) {
    if ((bits & (bits - 1)) == 0) {
      while ((1 << shift_) < bits) ++shift_;
    } else {
      shift_ = -1;
    }
  }
  std::uint64_t element(std::uint64_t cell) const {
    return shift_ >= 0 ? cell >> shift_ : cell / bits_;
  }
  unsigned bit(std::uint64_t cell) const {
    return static_cast<unsigned>(shift_ >= 0 ? cell & (bits_ - 1) : cell % bits_);
  }

 private:
  std::uint64_t bits_;
  int shift_ = 0;
};

/// Unsigned integer type of the same width as a code dtype, for bit arithmetic on raw data.
template <typename Fn>
void with_unsigned(torch::ScalarType dtype, Fn&& fn) {
  switch (dtype_bits(dtype)) {
    case 8:
      fn(std::uint8_t{});
      break;
    case 16:
      fn(std::uint16_t{});
      break;
    default:
      fn(std::uint32_t{});
      break;
  }
}

/// Checks codes for injection: code dtype, `bits` within its width, `numel` elements.
void check_target(const torch::Tensor& codes, int bits, std::int64_t numel, const char* what) {
  check_codes(codes, bits, what);
  if (codes.numel() != numel) {
    fail(what, ": codes have ", codes.numel(), " elements, the bit error memory covers ", numel);
  }
}

/// Streams random errors at `rates` into `codes`, a contiguous CPU copy of `original` (same
/// dtype and layout): a flip a finer band made shows as a bit that differs from the original, so
/// flips need no other record of the cells taken (a finer band's cell that did not flip has a
/// smaller threshold than any coarser draw of it, which does not flip either).
void inject_in_place(torch::Tensor& codes, const torch::Tensor& original, int bits,
                     const BitErrorRates& rates, std::uint64_t seed) {
  const auto total = static_cast<std::uint64_t>(codes.numel()) * static_cast<std::uint64_t>(bits);
  const CellDecoder decode(bits);
  const double r01 = rates.rate01();
  const double r10 = rates.rate10();
  with_unsigned(codes.scalar_type(), [&](auto zero) {
    using U = decltype(zero);
    U* data = static_cast<U*>(codes.data_ptr());
    const U* before = static_cast<const U*>(original.data_ptr());
    // Captured by value: stores through the codes (a byte type may alias anything) would
    // otherwise reload the pointers and the decoder for every cell.
    const auto flipped = [data, before, decode](std::uint64_t cell) {
      const std::uint64_t e = decode.element(cell);
      return ((data[e] ^ before[e]) & static_cast<U>(U{1} << decode.bit(cell))) != 0;
    };
    if (!rates.stuck_at && r01 == r10) {
      // Every cell flips: the bit becomes the complement of the original one, which a second
      // draw of the cell leaves as it is (no separate check).
      for_each_cell(
          total, r01, seed, false, [](std::uint64_t) { return false; },
          [data, before, decode](std::uint64_t cell, double, std::uint64_t) {
            const std::uint64_t e = decode.element(cell);
            const U mask = static_cast<U>(U{1} << decode.bit(cell));
            data[e] = static_cast<U>(data[e] ^ (mask & ~(data[e] ^ before[e])));
          });
    } else if (!rates.stuck_at) {
      for_each_cell(total, std::max(r01, r10), seed, true, flipped,
                    [&](std::uint64_t cell, double t, std::uint64_t) {
                      const U mask = static_cast<U>(U{1} << decode.bit(cell));
                      U& word = data[decode.element(cell)];
                      if (t < ((word & mask) != 0 ? r10 : r01)) word = static_cast<U>(word ^ mask);
                    });
    } else {
      TakenCells taken(total);
      for_each_cell(
          total, stuck_cap(r01, r10), seed, true,
          [&](std::uint64_t cell) { return taken.take(cell); },
          [&](std::uint64_t cell, double v, std::uint64_t draw) {
            const double u = stuck_u(v, draw);
            const U mask = static_cast<U>(U{1} << decode.bit(cell));
            U& word = data[decode.element(cell)];
            if (u < r01) {
              word = static_cast<U>(word | mask);
            } else if (1.0 - u < r10) {
              word = static_cast<U>(word & ~mask);
            }
          });
    }
  });
}

/// Runs `fn` on a contiguous CPU tensor holding codes' values and writes the result back.
template <typename Fn>
void on_cpu_contiguous(torch::Tensor& codes, Fn&& fn) {
  if (codes.device().is_cpu() && codes.is_contiguous()) {
    fn(codes);
    return;
  }
  torch::Tensor work = codes.to(torch::kCPU).contiguous().clone();
  fn(work);
  codes.copy_(work);
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint64_t get_le(const std::string& in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return value;
}

}  // namespace

// --- BitErrorRates -------------------------------------------------------------------------

BitErrorRates BitErrorRates::uniform(double p) {
  BitErrorRates rates;
  rates.p = p;
  return rates;
}

double BitErrorRates::rate01() const { return p01 >= 0 ? p01 : (stuck_at ? p / 2 : p); }

double BitErrorRates::rate10() const { return p10 >= 0 ? p10 : (stuck_at ? p / 2 : p); }

void BitErrorRates::validate() const {
  auto in_unit = [](double x) { return std::isfinite(x) && x >= 0.0 && x <= 1.0; };
  if (!in_unit(p)) fail("bit error rate p=", p, " is outside [0, 1]");
  if (!(p01 < 0 || in_unit(p01))) fail("bit error rate p01=", p01, " is outside [0, 1]");
  if (!(p10 < 0 || in_unit(p10))) fail("bit error rate p10=", p10, " is outside [0, 1]");
  if (std::isnan(p01) || std::isnan(p10)) fail("bit error rates p01/p10 must not be NaN");
  if (stuck_at && rate01() + rate10() > 1.0) {
    fail("stuck-at rates p01=", rate01(), " + p10=", rate10(), " exceed 1");
  }
}

std::string BitErrorRates::describe() const {
  std::ostringstream out;
  if (p01 < 0 && p10 < 0) {
    out << "p=" << p;
  } else {
    out << "p01=" << rate01() << ",p10=" << rate10();
  }
  if (stuck_at) out << ",stuck-at";
  return out.str();
}

// --- RandomBitErrors -----------------------------------------------------------------------

RandomBitErrors::RandomBitErrors(std::int64_t numel, int bits, double p_max, std::uint64_t seed)
    : RandomBitErrors(numel, bits, BitErrorRates::uniform(p_max), seed) {}

RandomBitErrors::RandomBitErrors(std::int64_t numel, int bits, const BitErrorRates& max_rates,
                                 std::uint64_t seed)
    : numel_(numel), bits_(bits), max_(max_rates), seed_(seed) {
  if (numel < 0) fail("bit errors: numel=", numel, " must be >= 0");
  if (bits < 1 || bits > 32) fail("bit errors: bits=", bits, " is outside 1..32");
  max_.validate();
  const auto total = static_cast<std::uint64_t>(numel) * static_cast<std::uint64_t>(bits);
  const CellDecoder decode(bits);
  const double r01 = max_.rate01();
  const double r10 = max_.rate10();
  const double cap = max_.stuck_at ? stuck_cap(r01, r10) : std::max(r01, r10);
  const double expected = static_cast<double>(total) * cap;
  first_.reserve(static_cast<std::size_t>(expected + 6 * std::sqrt(expected) + 16));
  TakenCells taken(total);
  for_each_cell(
      total, cap, seed, true, [&](std::uint64_t cell) { return taken.take(cell); },
      [&](std::uint64_t cell, double t, std::uint64_t draw) {
        const std::uint64_t packed = (decode.element(cell) << kBitField) | decode.bit(cell);
        if (!max_.stuck_at) {
          first_.push_back({t, packed});
          return;
        }
        const double u = stuck_u(t, draw);
        if (u < r01) {
          first_.push_back({u, packed});  // stuck at 1 at every rate above u
        } else if (1.0 - u < r10) {
          second_.push_back({1.0 - u, packed});  // stuck at 0 at every rate above 1 − u
        }
      });
  const auto by_threshold = [](const Cell& a, const Cell& b) {
    return a.threshold < b.threshold || (a.threshold == b.threshold && a.packed < b.packed);
  };
  std::sort(first_.begin(), first_.end(), by_threshold);
  std::sort(second_.begin(), second_.end(), by_threshold);
}

void RandomBitErrors::check_rates(const BitErrorRates& rates) const {
  rates.validate();
  if (rates.stuck_at != max_.stuck_at) {
    fail("bit errors: rates ", rates.describe(), " use a different model than the drawn ",
         max_.describe());
  }
  if (rates.rate01() > max_.rate01() || rates.rate10() > max_.rate10()) {
    fail("bit errors: rates ", rates.describe(), " exceed the drawn maximum ", max_.describe());
  }
}

torch::Tensor RandomBitErrors::apply(const torch::Tensor& codes, double p) const {
  BitErrorRates rates = BitErrorRates::uniform(p);
  rates.stuck_at = max_.stuck_at;
  return apply(codes, rates);
}

torch::Tensor RandomBitErrors::apply(const torch::Tensor& codes, const BitErrorRates& rates) const {
  check_target(codes, bits_, numel_, "bit errors");
  torch::Tensor out = codes.clone(torch::MemoryFormat::Contiguous);
  apply_(out, rates);
  return out;
}

void RandomBitErrors::apply_(torch::Tensor& codes, const BitErrorRates& rates) const {
  check_target(codes, bits_, numel_, "bit errors");
  check_rates(rates);
  const double r01 = rates.rate01();
  const double r10 = rates.rate10();
  const auto prefix = [](const std::vector<Cell>& cells, double rate) {
    return static_cast<std::size_t>(
        std::lower_bound(cells.begin(), cells.end(), rate,
                         [](const Cell& c, double r) { return c.threshold < r; }) -
        cells.begin());
  };
  constexpr std::uint64_t kBitMask = (std::uint64_t{1} << kBitField) - 1;
  on_cpu_contiguous(codes, [&](torch::Tensor& target) {
    with_unsigned(target.scalar_type(), [&](auto zero) {
      using U = decltype(zero);
      U* data = static_cast<U*>(target.data_ptr());
      if (!max_.stuck_at) {
        const std::size_t n = prefix(first_, std::max(r01, r10));
        const bool symmetric = r01 == r10;
        for (std::size_t i = 0; i < n; ++i) {
          const Cell& c = first_[i];
          const U mask = static_cast<U>(U{1} << (c.packed & kBitMask));
          U& word = data[c.packed >> kBitField];
          if (symmetric || c.threshold < ((word & mask) != 0 ? r10 : r01)) {
            word = static_cast<U>(word ^ mask);
          }
        }
      } else {
        const std::size_t ones = prefix(first_, r01);
        for (std::size_t i = 0; i < ones; ++i) {
          const Cell& c = first_[i];
          data[c.packed >> kBitField] |= static_cast<U>(U{1} << (c.packed & kBitMask));
        }
        const std::size_t zeros = prefix(second_, r10);
        for (std::size_t i = 0; i < zeros; ++i) {
          const Cell& c = second_[i];
          data[c.packed >> kBitField] &= static_cast<U>(~(U{1} << (c.packed & kBitMask)));
        }
      }
    });
  });
}

std::int64_t RandomBitErrors::faulty_cells(const BitErrorRates& rates) const {
  check_rates(rates);
  const auto count_below = [](const std::vector<Cell>& cells, double rate) {
    return static_cast<std::int64_t>(
        std::lower_bound(cells.begin(), cells.end(), rate,
                         [](const Cell& c, double r) { return c.threshold < r; }) -
        cells.begin());
  };
  if (!max_.stuck_at) return count_below(first_, std::max(rates.rate01(), rates.rate10()));
  return count_below(first_, rates.rate01()) + count_below(second_, rates.rate10());
}

// --- one-shot injection --------------------------------------------------------------------

torch::Tensor inject_random(const torch::Tensor& codes, int bits, double p, std::uint64_t seed) {
  return inject_random(codes, bits, BitErrorRates::uniform(p), seed);
}

torch::Tensor inject_random(const torch::Tensor& codes, int bits, const BitErrorRates& rates,
                            std::uint64_t seed) {
  check_codes(codes, bits, "inject_random");
  rates.validate();
  const torch::Tensor original = codes.to(torch::kCPU).contiguous();
  torch::Tensor out = original.clone();
  inject_in_place(out, original, bits, rates, seed);
  return codes.device().is_cpu() ? out : out.to(codes.device());
}

// --- FixedPattern --------------------------------------------------------------------------

FixedPattern::FixedPattern(int bits, torch::Tensor flip, torch::Tensor set, torch::Tensor clear)
    : bits_(bits) {
  if (bits < 1 || bits > 32) fail("fixed pattern: bits=", bits, " is outside 1..32");
  const torch::ScalarType dtype = mask_dtype(bits);
  if (!flip.defined() || flip.dim() != 1 || flip.scalar_type() != dtype) {
    fail("fixed pattern: flip mask must be a 1-D ", dtype, " tensor for bits=", bits);
  }
  const auto complete = [&](torch::Tensor& mask, const char* name) {
    if (!mask.defined()) {
      mask = torch::zeros_like(flip);
      return;
    }
    if (mask.dim() != 1 || mask.scalar_type() != dtype || mask.numel() != flip.numel()) {
      fail("fixed pattern: ", name, " mask must be a 1-D ", dtype, " tensor of ", flip.numel(),
           " elements");
    }
  };
  complete(set, "set");
  complete(clear, "clear");
  const torch::Tensor above = mask_scalar(dtype, ~low_mask(bits)).to(flip.device());
  for (const auto* mask : {&flip, &set, &clear}) {
    if (mask->bitwise_and(above).any().item<bool>()) {
      fail("fixed pattern: a mask has bits at or above bits=", bits);
    }
  }
  if (set.bitwise_and(clear).any().item<bool>()) {
    fail("fixed pattern: a cell is both stuck at 1 and stuck at 0");
  }
  flip_ = flip.contiguous();
  set_ = set.contiguous();
  clear_ = clear.contiguous();
}

FixedPattern FixedPattern::random(std::int64_t numel, int bits, const BitErrorRates& rates,
                                  std::uint64_t seed) {
  if (numel < 0) fail("fixed pattern: numel=", numel, " must be >= 0");
  if (bits < 1 || bits > 32) fail("fixed pattern: bits=", bits, " is outside 1..32");
  rates.validate();
  const torch::ScalarType dtype = mask_dtype(bits);
  const auto zeros = torch::zeros({numel}, torch::TensorOptions().dtype(dtype));
  if (!rates.stuck_at) {
    if (rates.rate01() != rates.rate10()) {
      fail("fixed pattern: flip rates p01=", rates.rate01(), " and p10=", rates.rate10(),
           " differ, so the errors depend on the stored data; use stuck_at");
    }
    return FixedPattern(bits, inject_random(zeros, bits, rates, seed));
  }
  // Stuck-at cells: stuck at 1 shows on stored zeros, stuck at 0 on stored ones.
  const torch::Tensor ones = mask_scalar(dtype, low_mask(bits)).expand({numel}).clone();
  torch::Tensor set = inject_random(zeros, bits, rates, seed);
  torch::Tensor clear = inject_random(ones, bits, rates, seed).bitwise_xor(ones);
  return FixedPattern(bits, zeros, set, clear);
}

torch::Tensor FixedPattern::apply(const torch::Tensor& codes) const {
  check_codes(codes, bits_, "fixed pattern");
  if (codes.numel() != numel()) {
    fail("fixed pattern: codes have ", codes.numel(), " elements, the pattern covers ", numel());
  }
  const auto dtype = codes.scalar_type();
  const auto device = codes.device();
  const auto as_codes = [&](const torch::Tensor& mask) {
    return cast_bits(mask, dtype).to(device);
  };
  const torch::Tensor flat = codes.reshape({-1});
  return set_clear_bits(flip_bits(flat, as_codes(flip_)), as_codes(set_), as_codes(clear_))
      .reshape(codes.sizes());
}

std::int64_t FixedPattern::faulty_cells() const {
  return popcount(flip_.bitwise_or(set_).bitwise_or(clear_), bits_).sum().item<std::int64_t>();
}

void FixedPattern::save(const std::string& path) const {
  const int bytes = dtype_bits(flip_.scalar_type()) / 8;
  const auto n = static_cast<std::size_t>(numel());
  std::string out;
  out.reserve(kPatternHeaderBytes + 3 * n * static_cast<std::size_t>(bytes));
  out.append(kPatternMagic, sizeof(kPatternMagic));
  put_le(out, static_cast<std::uint64_t>(bits_), 4);
  put_le(out, static_cast<std::uint64_t>(bytes), 4);
  put_le(out, static_cast<std::uint64_t>(n), 8);
  for (const auto* mask : {&flip_, &set_, &clear_}) {
    const torch::Tensor cpu = mask->to(torch::kCPU).contiguous();
    with_unsigned(cpu.scalar_type(), [&](auto zero) {
      using U = decltype(zero);
      const U* data = static_cast<const U*>(cpu.data_ptr());
      for (std::size_t i = 0; i < n; ++i) put_le(out, data[i], bytes);
    });
  }
  write_file_atomic(path, out);
}

FixedPattern FixedPattern::load(const std::string& path) {
  const std::string in = read_file(path);
  if (in.size() < kPatternHeaderBytes || std::memcmp(in.data(), kPatternMagic, 8) != 0) {
    fail("fixed pattern file ", path, ": not a LowVolt pattern (bad magic or too short)");
  }
  const auto bits = get_le(in, 8, 4);
  const auto bytes = get_le(in, 12, 4);
  const auto n = get_le(in, 16, 8);
  if (bits < 1 || bits > 32) fail("fixed pattern file ", path, ": bits=", bits, " outside 1..32");
  const torch::ScalarType dtype = mask_dtype(static_cast<int>(bits));
  if (bytes != static_cast<std::uint64_t>(dtype_bits(dtype) / 8)) {
    fail("fixed pattern file ", path, ": ", bytes, " bytes per element do not match bits=", bits);
  }
  if (n > (in.size() - kPatternHeaderBytes) / (3 * bytes) ||
      in.size() != kPatternHeaderBytes + 3 * n * bytes) {
    fail("fixed pattern file ", path, ": size ", in.size(), " bytes does not match numel=", n);
  }
  std::vector<torch::Tensor> masks;
  std::size_t at = kPatternHeaderBytes;
  for (int m = 0; m < 3; ++m) {
    torch::Tensor mask =
        torch::empty({static_cast<std::int64_t>(n)}, torch::TensorOptions().dtype(dtype));
    with_unsigned(dtype, [&](auto zero) {
      using U = decltype(zero);
      U* data = static_cast<U*>(mask.data_ptr());
      for (std::uint64_t i = 0; i < n; ++i, at += bytes) {
        data[i] = static_cast<U>(get_le(in, at, static_cast<int>(bytes)));
      }
    });
    masks.push_back(mask);
  }
  try {
    return FixedPattern(static_cast<int>(bits), masks[0], masks[1], masks[2]);
  } catch (const Error& e) {
    fail("fixed pattern file ", path, ": ", e.what());
  }
}

}  // namespace lowvolt::host
