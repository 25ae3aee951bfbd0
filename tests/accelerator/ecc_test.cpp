// ECC on the weight SRAM (ecc.h, golden_ecc.h): the Hsiao (72,64) code exhaustively, the
// binomial word-error statistics at p = 1 %, the check cells, the ECC golden model against the
// fast golden model and the per-cell reference, and the torch-side image read against the tiler.
#include "lowvolt/accelerator/ecc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "lowvolt/accelerator/datapath.h"
#include "lowvolt/accelerator/golden.h"
#include "lowvolt/accelerator/golden_ecc.h"
#include "lowvolt/accelerator/tiler.h"
#include "lowvolt/common/error.h"
#include "test_util.h"

namespace lowvolt::accelerator {
namespace {

std::vector<std::uint64_t> data_words(std::uint64_t seed, std::size_t n) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> words{0, ~std::uint64_t{0}, 0x5555555555555555ULL};
  while (words.size() < n) words.push_back(rng());
  return words;
}

/// Flips codeword bit `bit` (0..63 data, 64..71 check) of (data, check).
void flip(std::uint64_t& data, std::uint8_t& check, std::uint32_t bit) {
  if (bit < 64) {
    data ^= std::uint64_t{1} << bit;
  } else {
    check = static_cast<std::uint8_t>(check ^ (1u << (bit - 64)));
  }
}

// The H matrix is Hsiao's: 72 distinct odd-weight columns, every row of weight 27 (26 data bits
// and its check bit), encode() is the parity of each row, and the code has 2^64 codewords whose
// syndrome is 0.
TEST(EccCode, HsiaoMatrixHasDistinctOddColumnsAndBalancedRows) {
  std::set<std::uint8_t> seen;
  std::uint32_t row_weight[8] = {};
  for (std::uint32_t b = 0; b < 72; ++b) {
    const std::uint8_t col = secded_column(b);
    EXPECT_EQ(__builtin_popcount(col) % 2, 1) << "column " << b;
    EXPECT_TRUE(seen.insert(col).second) << "column " << b << " repeats";
    for (std::uint32_t c = 0; c < 8; ++c) row_weight[c] += (col >> c) & 1u;
  }
  for (std::uint32_t c = 0; c < 8; ++c) EXPECT_EQ(row_weight[c], 27u) << "row " << c;
  for (const std::uint64_t d : data_words(1, 200)) {
    std::uint8_t expect = 0;
    for (std::uint32_t b = 0; b < 64; ++b) {
      if ((d >> b) & 1u) expect ^= secded_column(b);
    }
    ASSERT_EQ(ecc_encode(EccMode::kSecded, d), expect);
    const auto out = ecc_decode(EccMode::kSecded, d, expect);
    ASSERT_EQ(out.data, d);
    ASSERT_EQ(out.outcome, EccOutcome::kClean);
  }
}

// Every single-bit error of a 72-bit codeword (data or check bit) is corrected, for random data.
TEST(EccCode, EverySingleErrorIsCorrected) {
  for (const std::uint64_t d : data_words(2, 100)) {
    for (std::uint32_t b = 0; b < 72; ++b) {
      std::uint64_t data = d;
      std::uint8_t check = ecc_encode(EccMode::kSecded, d);
      flip(data, check, b);
      const auto out = ecc_decode(EccMode::kSecded, data, check);
      ASSERT_EQ(out.data, d) << "bit " << b;
      ASSERT_EQ(out.outcome, EccOutcome::kCorrected) << "bit " << b;
    }
  }
}

// Every double-bit error (all 72·71/2 = 2556 pairs) is detected as uncorrectable and the data
// is delivered as read, for random data words.
TEST(EccCode, EveryDoubleErrorIsDetected) {
  std::uint32_t pairs = 0;
  for (const std::uint64_t d : data_words(3, 40)) {
    pairs = 0;
    for (std::uint32_t b1 = 0; b1 < 72; ++b1) {
      for (std::uint32_t b2 = b1 + 1; b2 < 72; ++b2) {
        std::uint64_t data = d;
        std::uint8_t check = ecc_encode(EccMode::kSecded, d);
        flip(data, check, b1);
        flip(data, check, b2);
        const auto out = ecc_decode(EccMode::kSecded, data, check);
        ASSERT_EQ(out.outcome, EccOutcome::kUncorrectable) << b1 << "," << b2;
        ASSERT_EQ(out.data, data) << b1 << "," << b2;
        ++pairs;
      }
    }
  }
  EXPECT_EQ(pairs, 2556u);
}

// Parity detects every odd number of errors in the 65 bits (the word is delivered as 0) and no
// even number; mode none passes the data through.
TEST(EccCode, ParityDetectsOddErrorsAndZeroesTheWord) {
  for (const std::uint64_t d : data_words(4, 50)) {
    const std::uint8_t p = ecc_encode(EccMode::kParity, d);
    EXPECT_EQ(ecc_decode(EccMode::kParity, d, p).outcome, EccOutcome::kClean);
    for (std::uint32_t b = 0; b < 65; ++b) {
      std::uint64_t data = d;
      std::uint8_t check = p;
      flip(data, check, b);
      const auto out = ecc_decode(EccMode::kParity, data, check);
      ASSERT_EQ(out.outcome, EccOutcome::kUncorrectable);
      ASSERT_EQ(out.data, 0u);
      flip(data, check, (b + 1) % 65);
      ASSERT_EQ(ecc_decode(EccMode::kParity, data, check).outcome, EccOutcome::kClean);
    }
    EXPECT_EQ(ecc_decode(EccMode::kNone, d ^ 5, 0xff).data, d ^ 5);
    EXPECT_EQ(ecc_encode(EccMode::kNone, d), 0u);
  }
}

// The paper's statistic: at p = 1 % independent bit errors, the fraction of 64-bit words with
// ≥ 2 errors is 1 − 0.99^64 − 64·0.01·0.99^63 = 13.47 % (13.5 %), of 72-bit codewords 16.23 %;
// measured over 200 000 seeded words each lies within its 99.9 % binomial interval. Words with
// ≤ 1 error are always delivered right by secded, words with exactly 2 always detected.
TEST(EccStatistics, WordsWithTwoOrMoreErrorsAtOnePercent) {
  const double p = 0.01;
  const double q64 = 1.0 - std::pow(1 - p, 64) - 64 * p * std::pow(1 - p, 63);
  const double q72 = 1.0 - std::pow(1 - p, 72) - 72 * p * std::pow(1 - p, 71);
  EXPECT_NEAR(q64, 0.1347, 0.0001);
  EXPECT_NEAR(q72, 0.1623, 0.0001);
  const std::uint64_t n = 200000;
  std::mt19937_64 rng(15);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::uint64_t multi64 = 0, multi72 = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t d = rng();
    std::uint64_t data = d;
    std::uint8_t check = ecc_encode(EccMode::kSecded, d);
    int errors64 = 0, errors72 = 0;
    for (std::uint32_t b = 0; b < 72; ++b) {
      if (u(rng) < p) {
        flip(data, check, b);
        errors64 += b < 64;
        ++errors72;
      }
    }
    multi64 += errors64 >= 2;
    multi72 += errors72 >= 2;
    const auto out = ecc_decode(EccMode::kSecded, data, check);
    if (errors72 <= 1) {
      ASSERT_EQ(out.data, d);
    }
    if (errors72 == 2) {
      ASSERT_EQ(out.outcome, EccOutcome::kUncorrectable);
    }
  }
  const double z = 3.29;  // two-sided 99.9 %
  const double f64 = static_cast<double>(multi64) / n, f72 = static_cast<double>(multi72) / n;
  EXPECT_NEAR(f64, q64, z * std::sqrt(q64 * (1 - q64) / n)) << "64-bit words";
  EXPECT_NEAR(f72, q72, z * std::sqrt(q72 * (1 - q72) / n)) << "72-bit codewords";
}

// Mode names parse both ways; lists reject duplicates and unknown names, naming the option.
TEST(EccMode, ParsesNamesAndLists) {
  EXPECT_EQ(parse_ecc_mode("secded", "--ecc"), EccMode::kSecded);
  EXPECT_EQ(ecc_mode_name(EccMode::kParity), "parity");
  EXPECT_EQ(parse_ecc_modes("none,parity,secded", "--ecc").size(), 3u);
  EXPECT_EQ(ecc_check_bits(EccMode::kSecded), 8u);
  try {
    parse_ecc_modes("none,hamming", "--ecc");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--ecc: unknown ECC mode 'hamming'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_ecc_modes("secded,secded", "--ecc"), Error);
  EXPECT_THROW(parse_ecc_modes("", "--ecc"), Error);
}

// Check cells are whole data columns of the same array, rotated by a non-zero row shift, the
// same for the same chip, different for another seed; 128-column chips are refused.
TEST(EccCheckCells, CopiedColumnsOfTheSameArray) {
  const auto map = testing::random_map(5, 0.05, 3000, 4500, 7);
  const auto check = ecc_check_cells(map);
  EXPECT_EQ(check.geometry(), (profiles::Geometry{hw::kBanks, hw::kSramRows, kEccCheckColumns}));
  EXPECT_EQ(check.sigma_code(), 7u);
  EXPECT_NE(check.seed(), map.seed());
  EXPECT_EQ(check, ecc_check_cells(map));
  const std::uint32_t rows = hw::kSramRows;
  for (std::uint32_t a = 0; a < hw::kBanks; ++a) {
    std::set<std::uint32_t> used;
    for (std::uint32_t c = 0; c < kEccCheckColumns; ++c) {
      // find the (column, shift) this check column copies: unique for a map this random
      int found = 0;
      for (std::uint32_t col = 0; col < 64; ++col) {
        for (std::uint32_t s = 0; s < rows; ++s) {
          bool same = true;
          for (std::uint32_t r = 0; r < rows && same; ++r) {
            const auto from = profiles::cell_index(a, (r + s) % rows, col, rows, 64);
            const auto to = profiles::cell_index(a, r, c, rows, kEccCheckColumns);
            same = check.vc()[to] == map.vc()[from] && check.kind()[to] == map.kind()[from];
          }
          if (same) {
            ++found;
            EXPECT_NE(s, 0u) << "a check cell copies a cell of its own word";
            EXPECT_TRUE(used.insert(col).second) << "column used twice";
          }
        }
      }
      EXPECT_EQ(found, 1) << "array " << a << " check column " << c;
    }
  }
  auto other = map;
  other.set_seed(map.seed() + 1);
  EXPECT_NE(ecc_check_cells(other).vc(), check.vc());
  EXPECT_THROW(ecc_check_cells(profiles::CellMap(profiles::Geometry{1, 8, 128})), Error);
}

/// Drives one command stream into two accelerators and compares every answer.
void same_stream(Accelerator& x, Accelerator& y, std::uint64_t seed, const profiles::CellMap& map) {
  std::mt19937_64 rng(seed);
  x.load_profile(map);
  y.load_profile(map);
  for (int op = 0; op < 300; ++op) {
    switch (rng() % 6) {
      case 0: {
        const auto addr = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
        std::vector<std::uint64_t> w(rng() % 700);
        for (auto& v : w) v = rng();
        x.write(addr, w);
        y.write(addr, w);
        break;
      }
      case 1: {
        const auto addr = static_cast<std::uint32_t>(rng() % hw::kBufferWords);
        const std::size_t n = rng() % 300;
        ASSERT_EQ(x.read(addr, n), y.read(addr, n)) << "op " << op;
        break;
      }
      case 2: {
        const auto v = static_cast<std::uint16_t>(3700 + rng() % 700);
        x.set_vdd_code(v);
        y.set_vdd_code(v);
        break;
      }
      case 3:
      case 4: {
        TileConfig c;
        c.rows = 1 + rng() % hw::kPeRows;
        c.cols = 1 + rng() % hw::kPeCols;
        c.wbits = 1 + rng() % hw::kMaxWbits;
        c.act_zero = static_cast<std::uint8_t>(rng());
        c.w_zero = static_cast<std::uint8_t>(rng());
        c.act_signed = rng() % 2;
        c.w_signed = rng() % 2;
        x.tile_cfg(c);
        y.tile_cfg(c);
        const auto a = static_cast<std::uint32_t>(rng() % (1u << 19));
        std::vector<std::uint64_t> act(rng() % 200);
        for (auto& v : act) v = rng();
        ASSERT_EQ(x.run(a, act, c), y.run(a, act, c)) << "op " << op;
        break;
      }
      default:
        ASSERT_EQ(x.counters(), y.counters()) << "op " << op;
    }
  }
  ASSERT_EQ(x.counters(), y.counters());
}

// With ECC off the direct model equals the fast golden model on random command streams
// (results, reads, counters, cycles), persistent and intermittent: its reads, writes, runs and
// cycle counts are the golden model's.
TEST(EccGolden, ModeNoneEqualsGoldenOnRandomStreams) {
  for (const std::uint16_t sigma : {0, 40}) {
    const auto map = testing::random_map(6 + sigma, 0.02, 3700, 4500, sigma);
    GoldenAccelerator golden;
    EccGoldenAccelerator direct(EccMode::kNone);
    same_stream(golden, direct, 60 + sigma, map);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(golden.mbist(), direct.mbist());
    EXPECT_EQ(golden.counters(), direct.counters());
  }
}

// With secded or parity every read equals the per-cell reference of data and check cells,
// decoded; the ECC counters count the corrected and detected reads, per bank; intermittent cells
// included (data and check cells at the bank's read count).
TEST(EccGolden, ReadsAreTheDecodedPerCellReference) {
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity}) {
    for (const std::uint16_t sigma : {0, 60}) {
      const auto map = testing::random_map(8 + sigma, 0.01, 3800, 4300, sigma);
      const auto check_map = ecc_check_cells(map);
      EccGoldenAccelerator g(mode);
      g.load_profile(map);
      const std::uint16_t vdd = 4000;
      const auto data_masks = map.faults_at(vdd);
      g.set_vdd_code(vdd);
      std::mt19937_64 rng(9);
      std::vector<std::uint64_t> data(hw::kBufferWords);
      for (auto& v : data) v = rng();
      g.write(0, std::vector<std::uint64_t>(data.begin(), data.begin() + 4096));
      g.write(4096, std::vector<std::uint64_t>(data.begin() + 4096, data.end()));
      std::vector<std::uint32_t> reads(hw::kBanks, 0);
      std::vector<std::uint32_t> corrected(hw::kBanks, 0), detected(hw::kBanks, 0);
      std::uint64_t wrong = 0;
      for (int pass = 0; pass < 2; ++pass) {
        for (std::uint32_t a0 = 0; a0 < hw::kBufferWords; a0 += 4096) {
          const auto out = g.read(a0, 4096);
          for (std::uint32_t i = 0; i < 4096; ++i) {
            const std::uint32_t a = a0 + i, bank = a / hw::kSramRows;
            const std::uint32_t r = reads[bank]++;
            // the writes happened at r = 0 of every bank (no read before them)
            ASSERT_EQ(g.stored_word(a), data_masks.write(a, data[a], 0)) << "word " << a;
            const std::uint64_t raw = testing::reference_read(map, vdd, a, g.stored_word(a), r);
            std::uint8_t ck = 0;
            for (std::uint32_t c = 0; c < kEccCheckColumns; ++c) {
              const std::uint64_t cell = std::uint64_t{a} * kEccCheckColumns + c;
              std::uint32_t bit = (g.stored_check(a) >> c) & 1u;
              if (profiles::cell_faulty(check_map.vc()[cell], vdd, sigma, check_map.seed(), cell,
                                        r)) {
                const auto kind = check_map.kind()[cell];
                bit = kind == 0 ? bit ^ 1u : (kind == 2 ? 1u : 0u);
              }
              ck = static_cast<std::uint8_t>(ck | bit << c);
            }
            const auto expect = ecc_decode(mode, raw, ck);
            ASSERT_EQ(out[i], expect.data) << "word " << a << " pass " << pass;
            corrected[bank] += expect.outcome == EccOutcome::kCorrected;
            detected[bank] += expect.outcome == EccOutcome::kUncorrectable;
            wrong += out[i] != data[a];
          }
        }
      }
      EXPECT_EQ(g.ecc_counters().corrected, corrected);
      EXPECT_EQ(g.ecc_counters().uncorrectable, detected);
      std::uint64_t fixed = 0, seen = 0;
      for (std::uint32_t b = 0; b < hw::kBanks; ++b) {
        fixed += corrected[b];
        seen += detected[b];
      }
      if (mode == EccMode::kSecded) {
        EXPECT_GT(fixed, 100u);
      }
      EXPECT_GT(seen, 10u);
      EXPECT_GT(wrong, 0u);
    }
  }
}

// The decoded stored words: a fresh write stores the check bits of the data through the check
// cells' stuck faults.
TEST(EccGolden, WriteStoresCheckBitsThroughStuckCells) {
  const auto map = testing::random_map(10, 0.2, 4100, 4100, 0);
  const auto check_masks_map = ecc_check_cells(map);
  EccGoldenAccelerator g(EccMode::kSecded);
  g.load_profile(map);
  g.set_vdd_code(4000);
  const auto cm = check_masks_map.faults_at(4000);
  std::mt19937_64 rng(11);
  for (std::uint32_t a = 0; a < 300; ++a) {
    const std::uint64_t d = rng();
    g.write(a, std::vector<std::uint64_t>{d});
    EXPECT_EQ(g.stored_check(a), cm.write(a, ecc_encode(EccMode::kSecded, d), 0)) << a;
  }
}

// The torch side's read of a weight image through ECC (ecc_read_image) equals what the tiler
// computes on the ECC golden model, for secded and parity, persistent faults, an image that
// wraps the buffer (windows) and a bit offset: golden's weight values = torch's.
TEST(EccGolden, TilerMatchesImageReadOfTorch) {
  std::mt19937_64 rng(12);
  const auto map = testing::random_map(13, 0.03, 3800, 4300, 0);
  const std::uint16_t vdd = 4000;
  const auto masks = map.faults_at(vdd);
  const auto check_map = ecc_check_cells(map);
  const auto check_masks = check_map.faults_at(vdd);
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity, EccMode::kNone}) {
    for (const std::uint32_t m : {8u, 5u}) {
      std::vector<LayerCodes> layers;
      for (const auto& [n, k] : {std::pair<std::uint32_t, std::uint32_t>{12, 300}, {40, 16000}}) {
        LayerCodes l;
        l.name = "l" + std::to_string(n);
        l.out_features = n;
        l.in_features = k;
        l.weights.resize(std::size_t{n} * k);
        for (auto& c : l.weights) c = static_cast<std::uint8_t>(rng() % (1u << m));
        l.bias.resize(n);
        for (auto& c : l.bias) c = static_cast<std::uint8_t>(rng() % (1u << m));
        l.w_signed = rng() % 2;
        l.w_zero = static_cast<std::uint8_t>(rng());
        layers.push_back(std::move(l));
      }
      WeightImage img(layers, m, 300001);
      ASSERT_GT(img.offset() + img.codes() * m, WeightImage::cells()) << "the image must wrap";
      EccImageStats st;
      const auto codes = ecc_read_image(img, masks, check_masks, mode, &st);
      EXPECT_GT(st.raw_errors, 0u);
      if (mode == EccMode::kSecded) {
        EXPECT_GT(st.corrected, 0u);
        EXPECT_LT(st.post_errors, st.raw_errors);
      }
      if (mode == EccMode::kNone) {  // agrees with the host's flat fault masks
        const auto faults = img.flat_code_faults(masks);
        std::uint64_t flat = 0;
        for (const auto& l : layers) {
          for (const auto* v : {&l.weights, &l.bias}) {
            for (const std::uint8_t c : *v) {
              ASSERT_EQ(codes[flat], faults.apply(flat, c) & ((1u << m) - 1)) << flat;
              ++flat;
            }
          }
        }
      }
      EccGoldenAccelerator g(mode);
      g.load_profile(map);
      g.set_vdd_code(vdd);
      Tiler tiler(g, img);
      for (std::size_t li = 0; li < layers.size(); ++li) {
        const auto& l = layers[li];
        const std::uint64_t base = img.layer_flat_start(li);
        const std::uint32_t rows = 3;
        std::vector<std::uint8_t> x(std::size_t{rows} * l.in_features);
        for (auto& v : x) v = static_cast<std::uint8_t>(rng());
        const ActEncoding act{true, 3};
        const auto res = tiler.linear(li, x.data(), rows, act);
        for (std::uint32_t r = 0; r < rows; ++r) {
          for (std::uint32_t n = 0; n < l.out_features; ++n) {
            std::int64_t sum = 0;
            for (std::uint32_t s = 0; s < l.in_features; ++s) {
              const std::int64_t xv =
                  static_cast<std::int8_t>(x[std::size_t{r} * l.in_features + s]) - 3;
              const std::uint32_t code = codes[base + std::size_t{n} * l.in_features + s];
              sum += xv * (code_value(code, m, l.w_signed) - byte_value(l.w_zero, l.w_signed));
            }
            ASSERT_EQ(res.acc[std::size_t{r} * l.out_features + n],
                      as_int32(static_cast<std::uint32_t>(sum)))
                << ecc_mode_name(mode) << " m " << m << " layer " << li;
          }
        }
        for (std::uint32_t n = 0; n < l.out_features; ++n) {
          ASSERT_EQ(res.bias[n], codes[base + l.weights.size() + n]);
        }
      }
    }
  }
}

// MBIST bypasses ECC: it reports the raw data cells exactly as without ECC, then the failing
// check cells (numbered after the data cells) with their directions; parity tests one check
// column, secded all eight.
TEST(EccGolden, MbistBypassesEccAndTestsCheckCells) {
  const auto map = testing::random_map(14, 0.002, 3900, 4200, 0);
  const std::uint16_t vdd = 4050;
  GoldenAccelerator plain;
  plain.load_profile(map);
  plain.set_vdd_code(vdd);
  const auto data_records = plain.mbist();
  const auto check_map = ecc_check_cells(map);
  for (const EccMode mode : {EccMode::kSecded, EccMode::kParity}) {
    EccGoldenAccelerator g(mode);
    g.load_profile(map);
    g.set_vdd_code(vdd);
    const auto records = g.mbist();
    auto expect = data_records;
    for (std::uint32_t cell = 0; cell < check_map.vc().size(); ++cell) {
      if (cell % kEccCheckColumns >= ecc_check_bits(mode)) continue;
      if (check_map.vc()[cell] > vdd) {
        const auto kind = check_map.kind()[cell];
        expect.push_back(MbistRecord{hw::kBufferWords * 64 + cell, kind != 1, kind != 2});
      }
    }
    ASSERT_GT(expect.size(), data_records.size()) << ecc_mode_name(mode);
    EXPECT_EQ(records, expect) << ecc_mode_name(mode);
    EXPECT_EQ(g.ecc_counters().corrected, std::vector<std::uint32_t>(hw::kBanks, 0));
  }
}

// The registry builds the ECC model from backend option ecc; a bad mode names the option.
TEST(EccGolden, RegistryOption) {
  register_golden_backend();
  auto a = make_accelerator("golden", {{"ecc", "secded"}});
  auto* e = dynamic_cast<EccGoldenAccelerator*>(a.get());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->mode(), EccMode::kSecded);
  EXPECT_NE(dynamic_cast<GoldenAccelerator*>(make_accelerator("golden", {{"ecc", "none"}}).get()),
            nullptr);
  try {
    make_accelerator("golden", {{"ecc", "dected"}});
    FAIL() << "no error";
  } catch (const Error& e2) {
    EXPECT_NE(std::string(e2.what()).find("golden backend option 'ecc'"), std::string::npos)
        << e2.what();
  }
}

}  // namespace
}  // namespace lowvolt::accelerator
