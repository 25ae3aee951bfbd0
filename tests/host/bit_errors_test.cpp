// Tests of random, biased, stuck-at and fixed-pattern bit error injection
// (lowvolt/nn/bit_errors.h): empirical rates against 99.9 % binomial intervals over >= 10^6
// bits, exact nesting across rates, untouched upper bits, reproducibility, the pattern file.
#include "lowvolt/nn/bit_errors.h"

#include <gtest/gtest.h>
#include <torch/types.h>
#include <unistd.h>

#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lowvolt/common/error.h"
#include "lowvolt/nn/bit_ops.h"

namespace lowvolt::host {
namespace {

/// Bits per rate check: the issue asks for at least 10^6.
constexpr std::int64_t kBitsPerCheck = 1'200'000;
/// Two-sided confidence level of every rate check.
constexpr double kConfidence = 0.999;

/// Expects `count` successes out of `trials` to lie in the central kConfidence interval of
/// Binomial(trials, p).
void expect_binomial(std::int64_t count, std::int64_t trials, double p, const std::string& what) {
  const boost::math::binomial_distribution<double> dist(static_cast<double>(trials), p);
  const double tail = (1 - kConfidence) / 2;
  const double lo = boost::math::quantile(dist, tail);
  const double hi = boost::math::quantile(boost::math::complement(dist, tail));
  EXPECT_GE(static_cast<double>(count), lo) << what << ": " << count << " of " << trials;
  EXPECT_LE(static_cast<double>(count), hi) << what << ": " << count << " of " << trials;
}

/// Seeded codes with random values in their low `bits` bits (upper bits random too when
/// `fill_upper`), of `dtype`.
torch::Tensor random_codes(torch::ScalarType dtype, std::int64_t n, int bits, std::uint64_t seed,
                           bool fill_upper = false) {
  auto gen = at::detail::createCPUGenerator(seed);
  const int width = dtype_bits(dtype);
  const int used = fill_upper ? width : bits;
  const torch::Tensor pattern = at::randint(0, std::int64_t{1} << used, {n}, gen,
                                            torch::TensorOptions().dtype(torch::kInt64));
  if (!torch::isSignedType(dtype)) return pattern.to(dtype);
  return (pattern - pattern.bitwise_and(std::int64_t{1} << (width - 1)) * 2).to(dtype);
}

/// Number of 0->1 errors (read 1 where 0 was stored) among the low `bits` bits.
std::int64_t zero_to_one(const torch::Tensor& stored, const torch::Tensor& read, int bits) {
  return popcount(read.bitwise_and(stored.bitwise_not()), bits).sum().item<std::int64_t>();
}

/// Number of 1->0 errors among the low `bits` bits.
std::int64_t one_to_zero(const torch::Tensor& stored, const torch::Tensor& read, int bits) {
  return popcount(stored.bitwise_and(read.bitwise_not()), bits).sum().item<std::int64_t>();
}

/// Number of stored ones among the low `bits` bits.
std::int64_t ones(const torch::Tensor& stored, int bits) {
  return popcount(stored, bits).sum().item<std::int64_t>();
}

/// True when every bit set in `a` is also set in `b`.
bool subset(const torch::Tensor& a, const torch::Tensor& b) {
  return !a.bitwise_and(b.bitwise_not()).any().item<bool>();
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

/// A file path in the temporary folder unique to this process and `name`.
std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("lowvolt_bit_errors_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// inject_random flips each stored bit with probability p: the count over >= 10^6 bits lies in
// the 99.9 % binomial interval, for several p and m.
TEST(BitErrors, RandomRateWithinBinomialInterval) {
  for (int bits : {2, 4, 8}) {
    const std::int64_t n = kBitsPerCheck / bits;
    const torch::Tensor codes = random_codes(torch::kUInt8, n, bits, 100 + bits);
    for (double p : {0.0005, 0.01, 0.1}) {
      const torch::Tensor out = inject_random(codes, bits, p, 42);
      expect_binomial(hamming_distance(out, codes, bits), n * bits, p,
                      "m=" + std::to_string(bits) + " p=" + std::to_string(p));
    }
  }
  // Wider code dtypes: 16-bit and 32-bit codes.
  for (auto dtype : {torch::kInt16, torch::kInt32}) {
    const int bits = dtype_bits(dtype);
    const torch::Tensor codes = random_codes(dtype, kBitsPerCheck / bits, bits, 7);
    const torch::Tensor out = inject_random(codes, bits, 0.02, 43);
    expect_binomial(hamming_distance(out, codes), codes.numel() * bits, 0.02, "wide dtype");
  }
}

// Every bit position 0..m-1 fails at rate p (the memory mapping favours no bit).
TEST(BitErrors, EveryBitPositionFailsAtRateP) {
  const int bits = 8;
  const double p = 0.01;
  const std::int64_t n = kBitsPerCheck;
  const torch::Tensor codes = random_codes(torch::kUInt8, n, bits, 5);
  const torch::Tensor flipped = view_bits(inject_random(codes, bits, p, 9).bitwise_xor(codes), 8);
  const torch::Tensor per_bit = flipped.sum(0);
  for (int b = 0; b < bits; ++b) {
    expect_binomial(per_bit[b].item<std::int64_t>(), n, p, "bit " + std::to_string(b));
  }
}

// RandomBitErrors drawn for p_max gives rate p at every p <= p_max (thresholds are uniform).
TEST(BitErrors, NestedMemoryRateAtEveryP) {
  const int bits = 6;
  const std::int64_t n = kBitsPerCheck / bits;
  const torch::Tensor codes = random_codes(torch::kUInt8, n, bits, 11);
  const RandomBitErrors memory(n, bits, 0.05, 1234);
  for (double p : {0.001, 0.01, 0.03, 0.05}) {
    const torch::Tensor out = memory.apply(codes, p);
    const std::int64_t errors = hamming_distance(out, codes, bits);
    expect_binomial(errors, n * bits, p, "p=" + std::to_string(p));
    EXPECT_EQ(errors, memory.faulty_cells(BitErrorRates::uniform(p)));
  }
}

// For one memory, the bits flipped at p' <= p are exactly a subset of those at p, in all three
// models (uniform flips, biased flips, stuck-at).
TEST(BitErrors, NestingIsExact) {
  const int bits = 8;
  const std::int64_t n = 200'000;
  const torch::Tensor codes = random_codes(torch::kUInt8, n, bits, 12);
  const std::vector<double> ps = {0.0, 0.001, 0.004, 0.02, 0.1};
  for (int model = 0; model < 3; ++model) {
    auto rates_at = [&](double p) {
      BitErrorRates r = BitErrorRates::uniform(p);
      if (model == 1) {
        r.p01 = p;
        r.p10 = p / 4;
      }
      r.stuck_at = model == 2;
      return r;
    };
    const RandomBitErrors memory(n, bits, rates_at(ps.back()), 99);
    torch::Tensor previous = torch::zeros_like(codes);
    std::int64_t previous_count = -1;
    for (double p : ps) {
      const torch::Tensor errors = memory.apply(codes, rates_at(p)).bitwise_xor(codes);
      EXPECT_TRUE(subset(previous, errors)) << "model " << model << " p=" << p;
      const std::int64_t count = popcount(errors).sum().item<std::int64_t>();
      EXPECT_GT(count, previous_count) << "model " << model << " p=" << p;
      previous = errors;
      previous_count = count;
    }
  }
}

// Bits at or above m are never touched, for every dtype, model and rate up to 1.
TEST(BitErrors, NoBitAboveMIsTouched) {
  for (auto dtype : {torch::kUInt8, torch::kInt8, torch::kInt16, torch::kInt32}) {
    const torch::Tensor codes = random_codes(dtype, 20'000, 3, 13, /*fill_upper=*/true);
    for (double p : {0.3, 1.0}) {
      BitErrorRates stuck = BitErrorRates::uniform(p);
      stuck.stuck_at = true;
      const std::vector<torch::Tensor> outs = {
          inject_random(codes, 3, p, 5), inject_random(codes, 3, stuck, 5),
          RandomBitErrors(codes.numel(), 3, p, 5).apply(codes, p)};
      for (const auto& out : outs) {
        EXPECT_GT(hamming_distance(out, codes, 3), 0);
        EXPECT_EQ(hamming_distance(out, codes), hamming_distance(out, codes, 3)) << dtype;
      }
    }
  }
}

// The same seed gives identical results; another seed gives different ones.
TEST(BitErrors, SameSeedIdenticalOtherSeedDifferent) {
  const torch::Tensor codes = random_codes(torch::kUInt8, 100'000, 8, 14);
  EXPECT_TRUE(torch::equal(inject_random(codes, 8, 0.01, 3), inject_random(codes, 8, 0.01, 3)));
  EXPECT_FALSE(torch::equal(inject_random(codes, 8, 0.01, 3), inject_random(codes, 8, 0.01, 4)));
  const RandomBitErrors a(codes.numel(), 8, 0.02, 3);
  const RandomBitErrors b(codes.numel(), 8, 0.02, 3);
  EXPECT_TRUE(torch::equal(a.apply(codes, 0.015), b.apply(codes, 0.015)));
}

// The errors at rates r for a seed do not depend on how far above r a run draws (issue 34): a
// memory drawn up to r, up to 2.5 % and up to 30 %, and the one-shot injection at r, give the same
// codes at r, for uniform flips (rates on and between ladder caps), biased flips and stuck-at
// (drawn up to r itself: inject_random(codes, m, r, seed) equals the memory at its maximum).
// (Before the ladder, thresholds were drawn uniform below the largest rate, so a memory drawn up
// to 2.5 % put other cells below 1 % than one drawn up to 1 %.)
TEST(BitErrors, ErrorsAtARateDoNotDependOnTheLargestRateDrawn) {
  const torch::Tensor codes = random_codes(torch::kUInt8, 200'000, 8, 21);
  BitErrorRates biased;
  biased.p01 = 0.008;
  biased.p10 = 0.002;
  BitErrorRates stuck = biased;
  stuck.stuck_at = true;
  BitErrorRates at_cap = BitErrorRates::uniform(std::exp2(-7.0));  // a ladder cap: 2^(-112/16)
  for (const auto& rates : {BitErrorRates::uniform(0.01), BitErrorRates::uniform(0.001), at_cap,
                            biased, stuck}) {
    const torch::Tensor one_shot = inject_random(codes, 8, rates, 9);
    for (const double factor : {1.0, 2.5, 30.0}) {
      BitErrorRates max_rates = rates;
      if (max_rates.p01 >= 0) max_rates.p01 = std::min(1.0, factor * rates.p01);
      if (max_rates.p10 >= 0) max_rates.p10 = std::min(1.0, factor * rates.p10);
      max_rates.p = std::min(1.0, factor * rates.p);
      if (max_rates.stuck_at && max_rates.rate01() + max_rates.rate10() > 1.0) continue;
      const RandomBitErrors memory(codes.numel(), 8, max_rates, 9);
      EXPECT_TRUE(torch::equal(memory.apply(codes, rates), one_shot))
          << rates.describe() << " drawn up to " << max_rates.describe();
    }
    EXPECT_FALSE(torch::equal(one_shot, codes)) << rates.describe();
  }
}

// Biased flips: stored zeros read 1 at rate p01, stored ones read 0 at rate p10.
TEST(BitErrors, SeparateZeroToOneAndOneToZeroRates) {
  const int bits = 8;
  const torch::Tensor codes = random_codes(torch::kUInt8, kBitsPerCheck / 4, bits, 16);
  BitErrorRates rates;
  rates.p01 = 0.02;
  rates.p10 = 0.004;
  const torch::Tensor out = inject_random(codes, bits, rates, 8);
  const std::int64_t stored_ones = ones(codes, bits);
  const std::int64_t stored_zeros = codes.numel() * bits - stored_ones;
  expect_binomial(zero_to_one(codes, out, bits), stored_zeros, rates.p01, "0->1");
  expect_binomial(one_to_zero(codes, out, bits), stored_ones, rates.p10, "1->0");
}

// Stuck-at: a fraction p/2 of cells is stuck at 1 and p/2 at 0; a cell shows an error only when
// the stored bit differs, the two kinds are disjoint, and reading twice changes nothing.
TEST(BitErrors, StuckAtReadsTheStuckValue) {
  const int bits = 8;
  const std::int64_t n = kBitsPerCheck / bits;
  BitErrorRates rates = BitErrorRates::uniform(0.02);
  rates.stuck_at = true;
  const auto zeros = torch::zeros({n}, torch::kUInt8);
  const auto all_ones = torch::full({n}, 0xFF, torch::TensorOptions().dtype(torch::kUInt8));
  const torch::Tensor from_zeros = inject_random(zeros, bits, rates, 21);
  const torch::Tensor from_ones = inject_random(all_ones, bits, rates, 21);
  expect_binomial(zero_to_one(zeros, from_zeros, bits), n * bits, rates.p / 2, "stuck at 1");
  expect_binomial(one_to_zero(all_ones, from_ones, bits), n * bits, rates.p / 2, "stuck at 0");
  EXPECT_EQ(one_to_zero(zeros, from_zeros, bits), 0);
  EXPECT_EQ(zero_to_one(all_ones, from_ones, bits), 0);
  // Stuck-at-1 cells (seen on zeros) and stuck-at-0 cells (seen on ones) are different cells.
  EXPECT_FALSE(from_zeros.bitwise_and(all_ones.bitwise_xor(from_ones)).any().item<bool>());
  const torch::Tensor codes = random_codes(torch::kUInt8, n, bits, 22);
  const torch::Tensor once = inject_random(codes, bits, rates, 21);
  EXPECT_TRUE(torch::equal(inject_random(once, bits, rates, 21), once));
  // On random data the observed error rate is half the stuck fraction.
  expect_binomial(hamming_distance(once, codes, bits), n * bits, rates.p / 2, "random data");
}

// Rate 0 changes nothing and rate 1 flips every stored bit.
TEST(BitErrors, RatesZeroAndOne) {
  const torch::Tensor codes = random_codes(torch::kUInt8, 1000, 5, 17);
  EXPECT_TRUE(torch::equal(inject_random(codes, 5, 0.0, 1), codes));
  EXPECT_TRUE(torch::equal(inject_random(codes, 5, 1.0, 1), flip_bits(codes, low_mask(5))));
  EXPECT_TRUE(torch::equal(RandomBitErrors(1000, 5, 1.0, 1).apply(codes, 1.0),
                           flip_bits(codes, low_mask(5))));
}

// Non-contiguous and multi-dimensional inputs keep their shape and are read in logical order.
TEST(BitErrors, ShapesAndStrides) {
  const torch::Tensor base = random_codes(torch::kInt8, 600, 8, 18).reshape({20, 30});
  const torch::Tensor view = base.t();
  const torch::Tensor out = inject_random(view, 8, 0.05, 2);
  EXPECT_EQ(out.sizes(), view.sizes());
  EXPECT_TRUE(torch::equal(out, inject_random(view.contiguous(), 8, 0.05, 2)));
  const torch::Tensor untouched = base.clone();
  RandomBitErrors(600, 8, 0.05, 2).apply(view, 0.05);
  EXPECT_TRUE(torch::equal(base, untouched));  // apply returns a new tensor
}

// apply_ modifies in place and matches apply.
TEST(BitErrors, InPlaceMatchesCopy) {
  const torch::Tensor codes = random_codes(torch::kUInt8, 10'000, 8, 19);
  const RandomBitErrors memory(codes.numel(), 8, 0.05, 6);
  torch::Tensor target = codes.clone();
  memory.apply_(target, BitErrorRates::uniform(0.03));
  EXPECT_TRUE(torch::equal(target, memory.apply(codes, 0.03)));
}

// A fixed pattern equals the random model of its seed and is reused unchanged for any codes.
TEST(BitErrors, FixedPatternMatchesRandomModelAndIsReused) {
  const int bits = 8;
  const std::int64_t n = 50'000;
  const torch::Tensor a = random_codes(torch::kUInt8, n, bits, 30);
  const torch::Tensor b = random_codes(torch::kUInt8, n, bits, 31);
  const FixedPattern flips = FixedPattern::random(n, bits, BitErrorRates::uniform(0.01), 5);
  EXPECT_TRUE(torch::equal(flips.apply(a), inject_random(a, bits, 0.01, 5)));
  EXPECT_TRUE(torch::equal(flips.apply(a).bitwise_xor(a), flips.apply(b).bitwise_xor(b)));
  EXPECT_EQ(flips.faulty_cells(), hamming_distance(flips.apply(a), a));
  BitErrorRates stuck = BitErrorRates::uniform(0.04);
  stuck.stuck_at = true;
  const FixedPattern stuck_pattern = FixedPattern::random(n, bits, stuck, 6);
  EXPECT_TRUE(torch::equal(stuck_pattern.apply(b), inject_random(b, bits, stuck, 6)));
  // Signed codes of the same width read the same pattern.
  const torch::Tensor signed_codes = cast_bits(a, torch::kInt8);
  EXPECT_TRUE(torch::equal(cast_bits(flips.apply(signed_codes), torch::kUInt8), flips.apply(a)));
}

// A pattern saved to a file loads back with identical masks and the same effect.
TEST(BitErrors, FixedPatternFileRoundTrip) {
  BitErrorRates stuck = BitErrorRates::uniform(0.05);
  stuck.stuck_at = true;
  for (int bits : {4, 8, 12, 32}) {
    const FixedPattern pattern(
        bits, FixedPattern::random(3000, bits, BitErrorRates::uniform(0.05), 1).flip_mask(),
        FixedPattern::random(3000, bits, stuck, 2).set_mask(),
        FixedPattern::random(3000, bits, stuck, 2).clear_mask());
    const std::string path = temp_path("pattern_" + std::to_string(bits));
    pattern.save(path);
    const FixedPattern loaded = FixedPattern::load(path);
    std::filesystem::remove(path);
    EXPECT_EQ(loaded.bits(), bits);
    EXPECT_TRUE(torch::equal(loaded.flip_mask(), pattern.flip_mask()));
    EXPECT_TRUE(torch::equal(loaded.set_mask(), pattern.set_mask()));
    EXPECT_TRUE(torch::equal(loaded.clear_mask(), pattern.clear_mask()));
    EXPECT_GT(loaded.faulty_cells(), 0);
  }
}

// --- error paths ---------------------------------------------------------------------------

// Rates outside [0, 1], NaN, and stuck-at fractions above 1 are rejected naming the field.
TEST(BitErrorsErrors, InvalidRates) {
  const torch::Tensor codes = torch::zeros({10}, torch::kUInt8);
  EXPECT_NE(error_of([&] { inject_random(codes, 8, -0.1, 1); }).find("p=-0.1"), std::string::npos);
  EXPECT_NE(error_of([&] { inject_random(codes, 8, 1.5, 1); }).find("p=1.5"), std::string::npos);
  EXPECT_THROW(inject_random(codes, 8, std::nan(""), 1), Error);
  BitErrorRates rates;
  rates.p01 = 2.0;
  EXPECT_NE(error_of([&] { inject_random(codes, 8, rates, 1); }).find("p01=2"), std::string::npos);
  rates.p01 = 0.7;
  rates.p10 = 0.6;
  rates.stuck_at = true;
  EXPECT_NE(error_of([&] { rates.validate(); }).find("exceed 1"), std::string::npos);
}

// A nested memory refuses rates above its maximum, another model and codes of another size.
TEST(BitErrorsErrors, NestedMemoryMisuse) {
  const RandomBitErrors memory(100, 8, 0.01, 1);
  const torch::Tensor codes = torch::zeros({100}, torch::kUInt8);
  EXPECT_NE(error_of([&] { memory.apply(codes, 0.02); }).find("exceed"), std::string::npos);
  BitErrorRates stuck = BitErrorRates::uniform(0.005);
  stuck.stuck_at = true;
  EXPECT_NE(error_of([&] { memory.apply(codes, stuck); }).find("different model"),
            std::string::npos);
  EXPECT_NE(error_of([&] { memory.apply(torch::zeros({99}, torch::kUInt8), 0.01); }).find("99"),
            std::string::npos);
  EXPECT_THROW(RandomBitErrors(-1, 8, 0.01, 1), Error);
  EXPECT_THROW(RandomBitErrors(10, 33, 0.01, 1), Error);
}

// Codes that are not a code dtype, or narrower than m bits, are rejected.
TEST(BitErrorsErrors, BadCodes) {
  EXPECT_THROW(inject_random(torch::zeros({4}), 8, 0.1, 1), Error);
  EXPECT_NE(
      error_of([] { inject_random(torch::zeros({4}, torch::kUInt8), 9, 0.1, 1); }).find("bits=9"),
      std::string::npos);
  const FixedPattern pattern = FixedPattern::random(4, 16, BitErrorRates::uniform(0.1), 1);
  EXPECT_THROW(pattern.apply(torch::zeros({4}, torch::kUInt8)), Error);
  EXPECT_THROW(pattern.apply(torch::zeros({5}, torch::kInt16)), Error);
}

// Fixed patterns: data-dependent biased flips, masks above m bits and overlapping stuck masks.
TEST(BitErrorsErrors, InvalidFixedPatterns) {
  BitErrorRates biased;
  biased.p01 = 0.02;
  biased.p10 = 0.01;
  EXPECT_NE(error_of([&] { FixedPattern::random(10, 8, biased, 1); }).find("stuck_at"),
            std::string::npos);
  const auto high = torch::full({3}, 0x10, torch::TensorOptions().dtype(torch::kUInt8));
  EXPECT_THROW(FixedPattern(4, high), Error);
  const auto both = torch::full({3}, 0x1, torch::TensorOptions().dtype(torch::kUInt8));
  EXPECT_THROW(FixedPattern(4, torch::zeros({3}, torch::kUInt8), both, both), Error);
  EXPECT_THROW(FixedPattern(4, torch::zeros({3}, torch::kInt16)), Error);
}

// Pattern files that are missing, foreign or truncated are rejected naming the path.
TEST(BitErrorsErrors, BadPatternFiles) {
  const std::string missing = temp_path("missing");
  EXPECT_NE(error_of([&] { FixedPattern::load(missing); }).find(missing), std::string::npos);
  const std::string foreign = temp_path("foreign");
  std::ofstream(foreign) << "not a pattern file at all";
  EXPECT_NE(error_of([&] { FixedPattern::load(foreign); }).find(foreign), std::string::npos);
  const std::string truncated = temp_path("truncated");
  FixedPattern::random(100, 8, BitErrorRates::uniform(0.1), 1).save(truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(truncated) - 1);
  const std::string msg = error_of([&] { FixedPattern::load(truncated); });
  EXPECT_NE(msg.find(truncated), std::string::npos) << msg;
  EXPECT_NE(msg.find("numel=100"), std::string::npos) << msg;
  std::filesystem::remove(foreign);
  std::filesystem::remove(truncated);
}

}  // namespace
}  // namespace lowvolt::host
