#pragma once
// Bit error injection into integer code tensors (the paper's random bit error model, its biased
// and stuck-at variants, and the fixed pattern of the PattBET baseline).
//
// Memory view: a code tensor of numel elements with m stored bits each is numel·m memory cells,
// mapped linearly: cell index = element·m + j, j = bit position (0 = LSB). Bits at or above m are
// not stored and are never touched. Supported dtypes: uint8, int8, int16, int32 (bit_ops.h).
//
// Random model: every cell draws, once per seed, a uniform value u in [0, 1) (its "threshold").
//  - Flip model (stuck_at = false): a cell storing 0 reads 1 iff u < p01; a cell storing 1 reads
//    0 iff u < p10. With p01 = p10 = p every stored bit flips independently with probability p.
//  - Stuck-at model (stuck_at = true): a cell is stuck at 1 iff u < p01 and stuck at 0 iff
//    1 - u < p10 (p01 + p10 <= 1); it reads its stuck value, so it shows as an error only when
//    the stored bit differs. Given p alone, p01 = p10 = p/2: p is the fraction of faulty cells.
// Because thresholds are fixed per seed, the faulty cells at rates r' <= r (component-wise) are
// a subset of those at r: faults persist across voltages, as in a real memory. And the errors
// at rates r for seed s are the same whatever larger rates a run draws with them (issue 34):
// inject_random(codes, m, r, s) equals RandomBitErrors(numel, m, r_max, s).apply(codes, r) for
// every r_max >= r, so `lowvolt eval --p` gives a rate the same samples whatever else it lists.
//
// Cost: only cells with u below (a ladder step above) the largest rate are ever materialised.
// The thresholds are drawn on a ladder of caps Q_j = 2^(-j/16) down to 2^-32: band j holds the
// cells with u in [Q_{j+1}, Q_j), found among all cells by geometric skipping (one log per drawn
// cell) from a splitmix64 stream of that band alone, so the cells below a rate never depend on
// how far above it a run draws (a cell a finer band already gave is passed over, which keeps
// every u uniform exactly). Drawing up to rate q touches about q·(1 + 2^(1/16) − 1) of the cells.
// RandomBitErrors keeps them sorted by threshold, so apply() at rate p costs O(faults at p) plus
// one copy of the codes. inject_random() streams them without storing anything. The stuck-at
// model orders cells on the ladder by v = 2·min(u, 1 − u) and takes the end u lies at from a
// bit of the draw.
//
// Devices: the faulty cells are found sequentially on the CPU; codes on another device are
// injected through a CPU copy and copied back (the result stays on the codes' device).
//
// Reproducibility: every band's positions and thresholds come from splitmix64 sequences seeded
// from the seed, the stream and the band, converted to doubles by explicit bit arithmetic, so
// results are bit-identical across runs and platforms.
//
// Fixed pattern (PattBET): FixedPattern holds flip / set / clear masks applied to every
// evaluation, saved to and loaded from a small binary file (format in FixedPattern::save).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lowvolt::host {

/// Bit error rates of the random model, as probabilities per memory cell (0..1).
struct BitErrorRates {
  /// Flip model: probability that a stored bit flips. Stuck-at model: fraction of stuck cells.
  double p = 0.0;
  /// If >= 0: probability that a stored 0 reads as 1 (flip) / that a cell is stuck at 1.
  double p01 = -1.0;
  /// If >= 0: probability that a stored 1 reads as 0 (flip) / that a cell is stuck at 0.
  double p10 = -1.0;
  /// Stuck-at semantics (true) or flips (false).
  bool stuck_at = false;

  /// Uniform flip model at rate p.
  static BitErrorRates uniform(double p);
  /// Effective 0->1 rate: p01 if given, else p (flip) or p/2 (stuck-at).
  double rate01() const;
  /// Effective 1->0 rate: p10 if given, else p (flip) or p/2 (stuck-at).
  double rate10() const;
  /// Throws lowvolt::Error naming the field when a rate is outside [0, 1] (or p01 + p10 > 1 for
  /// stuck-at).
  void validate() const;
  /// Short description, e.g. "p=0.01" or "p01=0.002,p10=0.0005,stuck-at".
  std::string describe() const;
};

/// One memory's random bit errors, drawn once for the largest rates and applied at any rates
/// below them (nested). Immutable after construction; apply() is safe from several threads.
class RandomBitErrors {
 public:
  /// Uniform flip model up to rate p_max over numel elements of `bits` stored bits each.
  RandomBitErrors(std::int64_t numel, int bits, double p_max, std::uint64_t seed);
  /// General model up to `max_rates` (apply() must use the same stuck_at and rates <= these).
  RandomBitErrors(std::int64_t numel, int bits, const BitErrorRates& max_rates, std::uint64_t seed);

  /// New tensor: codes with the errors at uniform rate p (p <= p_max; the model's stuck_at).
  torch::Tensor apply(const torch::Tensor& codes, double p) const;
  /// New tensor: codes with the errors at `rates` (component-wise <= max_rates()).
  torch::Tensor apply(const torch::Tensor& codes, const BitErrorRates& rates) const;
  /// Applies the errors at `rates` in place (codes contiguous, numel() elements, code dtype).
  void apply_(torch::Tensor& codes, const BitErrorRates& rates) const;

  /// Number of faulty cells at `rates`, in cells (for the flip model with p01 != p10 this counts
  /// cells that would fail for at least one stored value).
  std::int64_t faulty_cells(const BitErrorRates& rates) const;
  /// Number of code elements this memory covers.
  std::int64_t numel() const { return numel_; }
  /// Stored bits per element (m).
  int bits() const { return bits_; }
  /// The rates the errors were drawn for.
  const BitErrorRates& max_rates() const { return max_; }
  /// The seed the errors were drawn from.
  std::uint64_t seed() const { return seed_; }

 private:
  /// A materialised cell: cell position (element << 5 | bit) and its threshold below the rate.
  struct Cell {
    double threshold;
    std::uint64_t packed;
  };
  void check_rates(const BitErrorRates& rates) const;

  std::int64_t numel_;
  int bits_;
  BitErrorRates max_;
  std::uint64_t seed_;
  /// Flip model: candidates (threshold < max(p01, p10)). Stuck-at: stuck-at-1 cells. Sorted.
  std::vector<Cell> first_;
  /// Stuck-at model only: stuck-at-0 cells, thresholds shifted to [0, p10). Sorted.
  std::vector<Cell> second_;
};

/// New tensor: codes with each of the low `bits` bits of every element flipped independently
/// with probability p (uniform flip model), drawn from `seed`; cost O(numel·bits·p) draws.
torch::Tensor inject_random(const torch::Tensor& codes, int bits, double p, std::uint64_t seed);
/// New tensor: codes with random errors at `rates` (flip or stuck-at model), drawn from `seed`.
torch::Tensor inject_random(const torch::Tensor& codes, int bits, const BitErrorRates& rates,
                            std::uint64_t seed);

/// A fixed bit error pattern reused for every evaluation (the PattBET baseline): the read of a
/// code c is ((c XOR flip) AND NOT clear) OR set, on the low `bits` bits.
class FixedPattern {
 public:
  /// Masks as flat tensors of numel elements, dtype uint8 (bits <= 8), int16 (<= 16) or int32.
  /// Undefined set/clear tensors mean "none". lowvolt::Error on mismatched shapes or bits.
  FixedPattern(int bits, torch::Tensor flip, torch::Tensor set = {}, torch::Tensor clear = {});
  /// Pattern of the random model at `rates` over numel elements (flip model: a flip mask, needs
  /// p01 == p10 because the errors must not depend on the stored data; stuck-at: set/clear).
  static FixedPattern random(std::int64_t numel, int bits, const BitErrorRates& rates,
                             std::uint64_t seed);

  /// New tensor: the pattern applied to codes (code dtype at least `bits` wide, numel elements;
  /// the shape is kept).
  torch::Tensor apply(const torch::Tensor& codes) const;
  /// Number of faulty cells (bits set in any mask).
  std::int64_t faulty_cells() const;
  /// Stored bits per element.
  int bits() const { return bits_; }
  /// Number of elements covered.
  std::int64_t numel() const { return flip_.numel(); }
  /// Flip mask (flat, numel elements).
  const torch::Tensor& flip_mask() const { return flip_; }
  /// Stuck-at-1 mask (flat, numel elements).
  const torch::Tensor& set_mask() const { return set_; }
  /// Stuck-at-0 mask (flat, numel elements).
  const torch::Tensor& clear_mask() const { return clear_; }

  /// Writes the pattern atomically. Format (little-endian): 8 bytes "LVPATT01", uint32 bits,
  /// uint32 bytes per mask element (1, 2 or 4), uint64 numel, then the flip, set and clear masks,
  /// numel elements each.
  void save(const std::string& path) const;
  /// Reads a file written by save(); lowvolt::Error naming the path on a bad or truncated file.
  static FixedPattern load(const std::string& path);

 private:
  int bits_;
  torch::Tensor flip_;
  torch::Tensor set_;
  torch::Tensor clear_;
};

}  // namespace lowvolt::host
