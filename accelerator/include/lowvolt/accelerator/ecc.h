#pragma once
// Error-correcting codes on the weight SRAM (issue 15; docs/memory-model.md, "ECC"). Contract:
//  - A mode per chip run: none (today's memory, the default), parity (one even-parity check bit
//    per 64-bit word, detect-only: a word whose 65 bits read with odd parity is delivered as 0)
//    or secded (the Hsiao (72,64) code below: single errors corrected, double errors detected;
//    a detected-uncorrectable word is delivered as read, uncorrected).
//  - Check bits are SRAM cells too: word w's check bits live in check cells of the same bank and
//    row (bank b, row r, check column c), written together with the data word (stuck check cells
//    keep their value on a write, like data cells) and read with it at the bank's read count r.
//    ecc_check_cells() derives those cells from the chip's data cells (see there).
//  - The H matrix of the secded mode (Hsiao 1970, "A class of optimal minimum odd-weight-column
//    SEC-DED codes"): 8 check rows × 72 columns, every column of odd weight and all distinct.
//    Data bit i < 56: the i-th weight-3 column in ascending order of its value (0x07, 0x0b, 0x0d,
//    …); data bit 56 + j (j < 8): the weight-5 column 0x1f rotated left by j within 8 bits;
//    check bit c: the unit column 1 << c. Check bit c = parity of the data bits whose column has
//    bit c set (26 data bits per check bit: every row has the same weight, 27 with its check bit).
//    Why: odd columns make the syndrome of a single error odd (its column) and the syndrome of a
//    double error even and non-zero, so detection is one parity; the minimum number of ones
//    (208) and equal rows give the fewest and shallowest XOR trees of any (72,64) SEC-DED code.
//  - Decoding: syndrome s = stored check ^ encode(read data). s = 0: clean. s equal to a column:
//    that bit is corrected (a check-bit column: the data was right). Any other s (even, or odd
//    and no column): detected, uncorrectable. Three or more errors may alias a column and be
//    miscorrected: SEC-DED promises nothing there.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/cell_map.h"

namespace lowvolt::accelerator {

class WeightImage;

/// Which code protects each 64-bit weight word.
enum class EccMode : std::uint8_t {
  kNone = 0,    ///< no check bits (every result before issue 15)
  kParity = 1,  ///< 1 even-parity bit per word, detect-only: a detected word reads as 0
  kSecded = 2,  ///< Hsiao (72,64): 8 check bits, corrects 1 error, detects 2
};

/// Check columns per bank row that ecc_check_cells() provides (the widest mode's, secded).
inline constexpr std::uint32_t kEccCheckColumns = 8;

/// Check bits a mode stores per word: 0, 1 or 8.
std::uint32_t ecc_check_bits(EccMode mode);
/// "none", "parity" or "secded".
std::string ecc_mode_name(EccMode mode);
/// Parses "none", "parity" or "secded"; lowvolt::Error naming `what` (an option) otherwise.
EccMode parse_ecc_mode(const std::string& text, const std::string& what);
/// Parses a comma-separated list of modes ("none,secded"); duplicates and an empty list are
/// lowvolt::Error naming `what`.
std::vector<EccMode> parse_ecc_modes(const std::string& text, const std::string& what);

/// The secded H matrix column of codeword bit `bit` (0..63 data, 64..71 check bit bit − 64).
std::uint8_t secded_column(std::uint32_t bit);

/// The check bits of `data` under `mode` (low ecc_check_bits(mode) bits; 0 for none).
std::uint8_t ecc_encode(EccMode mode, std::uint64_t data);

/// What the decoder made of a read.
enum class EccOutcome : std::uint8_t {
  kClean = 0,          ///< no error seen
  kCorrected = 1,      ///< one bit corrected (secded only; maybe a miscorrection of ≥ 3)
  kUncorrectable = 2,  ///< error detected, not corrected (parity: any odd count; secded: ≥ 2)
};

/// A decoded word.
struct EccDecoded {
  std::uint64_t data = 0;                   ///< data delivered to the datapath
  EccOutcome outcome = EccOutcome::kClean;  ///< what the decoder saw
};

/// Decodes data `data` and check bits `check` as read (see the contract). mode none: `data`.
EccDecoded ecc_decode(EccMode mode, std::uint64_t data, std::uint8_t check);

/// Corrected and detected-uncorrectable word counts of the decoder, per bank.
struct EccCounters {
  std::uint32_t mode = 0;                    ///< ECC mode in force, as the response codes it (EccMode's value)
  std::vector<std::uint32_t> corrected;      ///< per bank: reads with a corrected bit (wrap 2^32)
  std::vector<std::uint32_t> uncorrectable;  ///< per bank: reads detected uncorrectable
  bool operator==(const EccCounters& o) const {
    return mode == o.mode && corrected == o.corrected && uncorrectable == o.uncorrectable;
  }
};

/// The check cells of a chip: a map of arrays × rows × kEccCheckColumns cells, check column c of
/// (array a, row r) being check bit c of that row's word. The cells are drawn from the chip's own
/// data cells, so that imported and generated profiles alike get check cells that fail like
/// their data cells: array a's check column c copies a whole data column of array a (8 distinct
/// columns chosen per array), rotated down by a row shift in 1..rows − 1 (so that no check cell
/// copies a cell of its own word); critical voltage code and kind are copied. Columns, shifts
/// and the hash seed (mix64(seed ^ 0xecc)) come from the data map's seed, so the same chip
/// always has the same check cells. σ_n is the chip's. Needs cols == 64 (lowvolt::Error else).
profiles::CellMap ecc_check_cells(const profiles::CellMap& data);

/// Word-level statistics of one read of a weight image through ECC (ecc_read_image()).
struct EccImageStats {
  std::uint64_t words = 0;          ///< 64-bit words the image occupies (unwrapped)
  std::uint64_t raw_errors = 0;     ///< words whose data bits read differently from stored
  std::uint64_t corrected = 0;      ///< words the decoder reported corrected
  std::uint64_t uncorrectable = 0;  ///< words the decoder reported detected uncorrectable
  std::uint64_t post_errors = 0;    ///< words delivered differently from stored
};

/// The weight codes of `image` as the accelerator reads them with ECC `mode` (flat order, like
/// WeightImage::flat_code_faults): every unwrapped image word q holds its window's bits (what the
/// tiler writes, unwrapped_words()[q]) at buffer word q mod kBufferWords, stored through the
/// stuck cells of `data` and its check bits through those of `check` at history.write_r, read
/// once at history.read_r and decoded. Persistent faults give exactly the accelerator's reads;
/// intermittent cells are drawn at those read counts (as flat_code_faults). `stats` (optional)
/// gets the word counts.
std::vector<std::uint8_t> ecc_read_image(const WeightImage& image, const profiles::FaultMasks& data,
                                         const profiles::FaultMasks& check, EccMode mode,
                                         EccImageStats* stats = nullptr,
                                         const profiles::ReadHistory& history = {});

}  // namespace lowvolt::accelerator
