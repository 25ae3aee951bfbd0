// rtl/ecc_codec.sv (Verilated) against accelerator/'s C++ code (ecc.h), bit for bit: encoder and
// decoder outputs for clean words, every single and every double error of random words (data and
// check bits), random multi-bit errors, in every mode.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "Vecc_codec.h"
#include "lowvolt/accelerator/ecc.h"
#include "verilated.h"

namespace {

namespace la = lowvolt::accelerator;

class Codec {
 public:
  Codec() : context_(std::make_unique<VerilatedContext>()) {
    top_ = std::make_unique<Vecc_codec>(context_.get(), "ecc_codec");
  }
  ~Codec() { top_->final(); }

  /// The RTL's check bits of `data` in `mode`.
  std::uint8_t encode(la::EccMode mode, std::uint64_t data) {
    top_->mode = static_cast<std::uint8_t>(mode);
    top_->wdata = data;
    top_->eval();
    return top_->wcheck;
  }
  /// The RTL's decode of (data, check) read in `mode`.
  la::EccDecoded decode(la::EccMode mode, std::uint64_t data, std::uint8_t check) {
    top_->mode = static_cast<std::uint8_t>(mode);
    top_->rdata = data;
    top_->rcheck = check;
    top_->eval();
    EXPECT_FALSE(top_->corrected && top_->uncorrectable);
    return {top_->dout, top_->uncorrectable ? la::EccOutcome::kUncorrectable
                        : top_->corrected   ? la::EccOutcome::kCorrected
                                            : la::EccOutcome::kClean};
  }

 private:
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vecc_codec> top_;
};

void flip(std::uint64_t& data, std::uint8_t& check, std::uint32_t bit) {
  if (bit < 64) {
    data ^= std::uint64_t{1} << bit;
  } else {
    check = static_cast<std::uint8_t>(check ^ (1u << (bit - 64)));
  }
}

void expect_same(Codec& rtl, la::EccMode mode, std::uint64_t data, std::uint8_t check) {
  const auto want = la::ecc_decode(mode, data, check);
  const auto got = rtl.decode(mode, data, check);
  ASSERT_EQ(got.data, want.data) << la::ecc_mode_name(mode) << std::hex << " data " << data
                                 << " check " << int{check};
  ASSERT_EQ(got.outcome, want.outcome)
      << la::ecc_mode_name(mode) << std::hex << " data " << data << " check " << int{check};
}

// Clean words, all 72 single and all 2556 double errors of 30 random words, in every mode: the
// RTL's check bits, delivered data and flags equal the C++ code's (which ecc_test.cpp proves
// corrects every single and detects every double error).
TEST(EccCodec, SingleAndDoubleErrorsMatchTheCppCode) {
  Codec rtl;
  std::mt19937_64 rng(21);
  for (int n = 0; n < 30; ++n) {
    const std::uint64_t d = n == 0 ? 0 : n == 1 ? ~std::uint64_t{0} : rng();
    for (const auto mode : {la::EccMode::kNone, la::EccMode::kParity, la::EccMode::kSecded}) {
      const std::uint8_t c = la::ecc_encode(mode, d);
      ASSERT_EQ(rtl.encode(mode, d), c) << la::ecc_mode_name(mode);
      expect_same(rtl, mode, d, c);
      for (std::uint32_t b1 = 0; b1 < 72; ++b1) {
        std::uint64_t d1 = d;
        std::uint8_t c1 = c;
        flip(d1, c1, b1);
        expect_same(rtl, mode, d1, c1);
        if (::testing::Test::HasFatalFailure()) return;
        for (std::uint32_t b2 = b1 + 1; b2 < 72; ++b2) {
          std::uint64_t d2 = d1;
          std::uint8_t c2 = c1;
          flip(d2, c2, b2);
          expect_same(rtl, mode, d2, c2);
          if (::testing::Test::HasFatalFailure()) return;
        }
      }
    }
  }
}

// Random words with random error patterns of any weight (miscorrections included) and the
// reserved mode 3 (treated as none): the RTL equals the C++ code.
TEST(EccCodec, RandomPatternsMatchTheCppCode) {
  Codec rtl;
  std::mt19937_64 rng(22);
  for (int n = 0; n < 100000; ++n) {
    const std::uint64_t d = rng();
    const auto mode = static_cast<la::EccMode>(rng() % 3);
    std::uint64_t e = rng() & rng() & rng();  // about 8 errors
    const auto c = static_cast<std::uint8_t>(la::ecc_encode(mode, d) ^ (rng() & rng()));
    expect_same(rtl, mode, d ^ e, c);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_EQ(rtl.decode(static_cast<la::EccMode>(3), 0x1234, 0xff).data, 0x1234u);
  EXPECT_EQ(rtl.encode(static_cast<la::EccMode>(3), 0x1234), 0u);
}

}  // namespace
