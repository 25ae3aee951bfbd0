// Error-correcting codes on the weight SRAM (ecc.h).
#include "lowvolt/accelerator/ecc.h"

#include <algorithm>

#include "lowvolt/accelerator/accelerator.h"
#include "lowvolt/accelerator/weight_image.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/chip_model.h"

namespace lowvolt::accelerator {
namespace {

constexpr std::uint8_t kNoColumn = 0xff;

struct Secded {
  std::array<std::uint8_t, 64> column{};     // H column of data bit i
  std::array<std::uint64_t, 8> row{};        // data bits feeding check bit c
  std::array<std::uint8_t, 256> position{};  // syndrome -> codeword bit, or kNoColumn

  Secded() {
    std::uint32_t i = 0;
    for (std::uint32_t v = 0; v < 256 && i < 56; ++v) {
      if (__builtin_popcount(v) == 3) column[i++] = static_cast<std::uint8_t>(v);
    }
    for (std::uint32_t j = 0; j < 8; ++j) {
      column[56 + j] = static_cast<std::uint8_t>((0x1fu << j | 0x1fu >> (8 - j)) & 0xffu);
    }
    position.fill(kNoColumn);
    for (std::uint32_t b = 0; b < 64; ++b) {
      position[column[b]] = static_cast<std::uint8_t>(b);
      for (std::uint32_t c = 0; c < 8; ++c) {
        if ((column[b] >> c) & 1u) row[c] |= std::uint64_t{1} << b;
      }
    }
    for (std::uint32_t c = 0; c < 8; ++c) position[1u << c] = static_cast<std::uint8_t>(64 + c);
  }
};

const Secded& secded() {
  static const Secded code;
  return code;
}

std::uint8_t secded_encode(std::uint64_t data) {
  const Secded& s = secded();
  std::uint8_t check = 0;
  for (std::uint32_t c = 0; c < 8; ++c) {
    check |= static_cast<std::uint8_t>((__builtin_popcountll(data & s.row[c]) & 1) << c);
  }
  return check;
}

}  // namespace

std::uint32_t ecc_check_bits(EccMode mode) {
  switch (mode) {
    case EccMode::kNone:
      return 0;
    case EccMode::kParity:
      return 1;
    case EccMode::kSecded:
      return 8;
  }
  LV_CHECK(false, "ECC mode " << static_cast<int>(mode));
  return 0;
}

std::string ecc_mode_name(EccMode mode) {
  switch (mode) {
    case EccMode::kNone:
      return "none";
    case EccMode::kParity:
      return "parity";
    case EccMode::kSecded:
      return "secded";
  }
  LV_CHECK(false, "ECC mode " << static_cast<int>(mode));
  return "";
}

EccMode parse_ecc_mode(const std::string& text, const std::string& what) {
  for (const EccMode m : {EccMode::kNone, EccMode::kParity, EccMode::kSecded}) {
    if (text == ecc_mode_name(m)) return m;
  }
  fail(what, ": unknown ECC mode '", text, "' (known: none, parity, secded)");
}

std::vector<EccMode> parse_ecc_modes(const std::string& text, const std::string& what) {
  std::vector<EccMode> modes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const EccMode m = parse_ecc_mode(item, what);
    if (std::find(modes.begin(), modes.end(), m) != modes.end()) {
      fail(what, ": ECC mode '", item, "' is listed twice");
    }
    modes.push_back(m);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return modes;
}

std::uint8_t secded_column(std::uint32_t bit) {
  LV_CHECK(bit < 72, "codeword bit " << bit);
  return bit < 64 ? secded().column[bit] : static_cast<std::uint8_t>(1u << (bit - 64));
}

std::uint8_t ecc_encode(EccMode mode, std::uint64_t data) {
  switch (mode) {
    case EccMode::kNone:
      return 0;
    case EccMode::kParity:
      return static_cast<std::uint8_t>(__builtin_popcountll(data) & 1);
    case EccMode::kSecded:
      return secded_encode(data);
  }
  LV_CHECK(false, "ECC mode " << static_cast<int>(mode));
  return 0;
}

EccDecoded ecc_decode(EccMode mode, std::uint64_t data, std::uint8_t check) {
  switch (mode) {
    case EccMode::kNone:
      return {data, EccOutcome::kClean};
    case EccMode::kParity:
      if (((__builtin_popcountll(data) + (check & 1u)) & 1) == 0) return {data, EccOutcome::kClean};
      return {0, EccOutcome::kUncorrectable};
    case EccMode::kSecded: {
      const auto syndrome = static_cast<std::uint8_t>(check ^ secded_encode(data));
      if (syndrome == 0) return {data, EccOutcome::kClean};
      const std::uint8_t bit = secded().position[syndrome];
      if (bit == kNoColumn) return {data, EccOutcome::kUncorrectable};
      if (bit < 64) data ^= std::uint64_t{1} << bit;
      return {data, EccOutcome::kCorrected};
    }
  }
  LV_CHECK(false, "ECC mode " << static_cast<int>(mode));
  return {};
}

profiles::CellMap ecc_check_cells(const profiles::CellMap& data) {
  const profiles::Geometry& g = data.geometry();
  if (g.cols != 64) {
    fail("ECC: check cells need 64-column arrays (one word per row); the chip has ", g.cols,
         " columns");
  }
  profiles::CellMap check(profiles::Geometry{g.arrays, g.rows, kEccCheckColumns}, data.sigma_code(),
                          profiles::mix64(data.seed() ^ 0xeccu));
  profiles::SplitMix64 rng(profiles::mix64(data.seed() ^ 0xecc0c0111111ULL));
  for (std::uint32_t a = 0; a < g.arrays; ++a) {
    std::array<std::uint32_t, 64> cols{};
    for (std::uint32_t c = 0; c < 64; ++c) cols[c] = c;
    for (std::uint32_t c = 0; c < kEccCheckColumns; ++c) {  // partial Fisher–Yates
      const auto pick = c + static_cast<std::uint32_t>(rng.next() % (64 - c));
      std::swap(cols[c], cols[pick]);
      const std::uint32_t shift =
          g.rows < 2 ? 0 : 1 + static_cast<std::uint32_t>(rng.next() % (g.rows - 1));
      for (std::uint32_t r = 0; r < g.rows; ++r) {
        const std::uint64_t from =
            profiles::cell_index(a, (r + shift) % g.rows, cols[c], g.rows, g.cols);
        const std::uint64_t to = profiles::cell_index(a, r, c, g.rows, kEccCheckColumns);
        check.vc()[to] = data.vc()[from];
        check.kind()[to] = data.kind()[from];
      }
    }
  }
  return check;
}

std::vector<std::uint8_t> ecc_read_image(const WeightImage& image, const profiles::FaultMasks& data,
                                         const profiles::FaultMasks& check, EccMode mode,
                                         EccImageStats* stats,
                                         const profiles::ReadHistory& history) {
  const std::uint32_t wr = history.write_r, rr = history.read_r;
  if (!(data.geometry() == buffer_geometry())) {
    fail("ECC: fault masks of a ", data.geometry().arrays, "×", data.geometry().rows, "×",
         data.geometry().cols, " chip, the buffer is ", hw::kBanks, "×", hw::kSramRows, "×",
         hw::kSramCols);
  }
  const profiles::Geometry want{hw::kBanks, hw::kSramRows, kEccCheckColumns};
  if (!(check.geometry() == want)) {
    fail("ECC: check-cell masks of a ", check.geometry().arrays, "×", check.geometry().rows, "×",
         check.geometry().cols, " chip, the buffer needs ", hw::kBanks, "×", hw::kSramRows, "×",
         kEccCheckColumns);
  }
  const std::uint64_t m = image.bits();
  const std::uint64_t first = image.offset() / 64;
  const std::uint64_t end_bit = image.offset() + image.codes() * m;  // one past the last bit
  const std::uint64_t last = (end_bit - 1) / 64;
  const auto& stored = image.unwrapped_words();
  std::vector<std::uint64_t> words(last - first + 2, 0);  // as delivered, + a 0 for straddling
  EccImageStats st;
  for (std::uint64_t q = first; q <= last; ++q) {
    const std::uint64_t addr = q % hw::kBufferWords;
    const std::uint64_t d = stored[q];
    const std::uint64_t raw = data.read(addr, data.write(addr, d, wr), rr);
    const auto c =
        static_cast<std::uint8_t>(check.read(addr, check.write(addr, ecc_encode(mode, d), wr), rr));
    const EccDecoded out = ecc_decode(mode, raw, c);
    words[q - first] = out.data;
    ++st.words;
    st.raw_errors += raw != d;
    st.corrected += out.outcome == EccOutcome::kCorrected;
    st.uncorrectable += out.outcome == EccOutcome::kUncorrectable;
    st.post_errors += out.data != d;
  }
  std::vector<std::uint8_t> codes(image.codes());
  const std::uint64_t mask = (std::uint64_t{1} << m) - 1;
  for (std::uint64_t i = 0; i < image.codes(); ++i) {
    const std::uint64_t pos = image.offset() + i * m - first * 64;
    std::uint64_t v = words[pos >> 6] >> (pos & 63u);
    if ((pos & 63u) + m > 64) v |= words[(pos >> 6) + 1] << (64 - (pos & 63u));
    codes[image.flat_of_image(i)] = static_cast<std::uint8_t>(v & mask);
  }
  if (stats != nullptr) *stats = st;
  return codes;
}

}  // namespace lowvolt::accelerator
