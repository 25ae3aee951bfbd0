#pragma once
// The table of bad inputs (issue 14): every reader and option of `lowvolt` fed something wrong,
// with the exit status and a stable part of the one-line message the program must give.
// reliability_test.cpp runs each case on the built program and checks it against this table
// and against its row in docs/reliability.md (which `reliability_test --regenerate` rewrites).
// Each case runs in a fresh folder $T holding a small valid MNIST-format data set (data/, 20
// images of 28×28) and whatever its setup writes; commands use paths relative to $T.
#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "lowvolt/common/crc32.h"

namespace lowvolt::reliability {

/// Everything a case's setup may use.
struct Fixture {
  std::string dir;   ///< $T: the case's own folder (the working directory of the command)
  std::string repo;  ///< the source tree (bundled models and profiles)

  /// Bytes of a file of the source tree, e.g. "models/cnn_normal_8bit.lvm".
  std::string repo_file(const std::string& relative) const {
    std::ifstream in(repo + "/" + relative, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + relative);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  /// Writes `bytes` to $T/name (folders created).
  void write(const std::string& name, const std::string& bytes) const {
    const auto slash = name.rfind('/');
    if (slash != std::string::npos) ::mkdir((dir + "/" + name.substr(0, slash)).c_str(), 0777);
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + name);
  }
  /// Creates the folder $T/name.
  void mkdir(const std::string& name) const { ::mkdir((dir + "/" + name).c_str(), 0777); }
  /// Creates a FIFO at $T/name.
  void fifo(const std::string& name) const { ::mkfifo((dir + "/" + name).c_str(), 0666); }
};

/// One bad input.
struct Case {
  std::string name;   ///< identifier (test name suffix and the row key in docs/reliability.md)
  std::string input;  ///< what is wrong, for the table
  std::string args;   ///< arguments of `lowvolt`, run in $T
  int exit_status;    ///< the exit status the program must give
  std::string pin;    ///< a stable part of the first line of stderr
  std::function<void(const Fixture&)> setup;  ///< writes the bad input into $T (may be empty)
};

// ------------------------------------------------------------------------- byte-level helpers

inline std::string le(std::uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

inline std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

/// IDX bytes: unsigned-byte element type, `dims`, then `payload`.
inline std::string idx(const std::vector<std::uint32_t>& dims, const std::string& payload,
                       unsigned char type = 0x08) {
  std::string s{0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (const auto d : dims) s += be32(d);
  return s + payload;
}

/// A valid MNIST-format folder `name` of `n` images of rows × cols pixels.
inline void mnist(const Fixture& f, const std::string& name, std::uint32_t n = 20,
                  std::uint32_t rows = 28, std::uint32_t cols = 28) {
  std::string pixels(std::size_t{n} * rows * cols, '\0');
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<char>((i * 7) % 256);
  std::string labels(n, '\0');
  for (std::uint32_t i = 0; i < n; ++i) labels[i] = static_cast<char>(i % 10);
  f.mkdir(name);
  for (const char* split : {"train", "t10k"}) {
    f.write(name + "/" + split + "-images-idx3-ubyte", idx({n, rows, cols}, pixels));
    f.write(name + "/" + split + "-labels-idx1-ubyte", idx({n}, labels));
  }
}

/// Replaces the last 4 bytes of `bytes` by the CRC-32 of the rest (so that a deliberately
/// changed field is what the reader trips on, not the checksum).
inline std::string fix_crc(std::string bytes) {
  const std::uint32_t crc = lowvolt::crc32(bytes.data(), bytes.size() - 4);
  bytes.replace(bytes.size() - 4, 4, le(crc, 4));
  return bytes;
}

/// The bundled 8-bit cnn model with its JSON header changed by `edit` (CRC recomputed).
inline std::string model_with(const Fixture& f, const std::function<void(nlohmann::json&)>& edit) {
  const std::string m = f.repo_file("models/cnn_normal_8bit.lvm");
  std::uint64_t h = 0;
  for (int i = 7; i >= 0; --i)
    h = (h << 8) | static_cast<unsigned char>(m[8 + static_cast<std::size_t>(i)]);
  auto header = nlohmann::json::parse(m.substr(16, h));
  edit(header);
  const std::string json = header.dump();
  std::string out = m.substr(0, 8) + le(json.size(), 8) + json + m.substr(16 + h);
  return fix_crc(out);
}

/// A small valid chip profile (1 × 8 × 16 cells) in the .lvp layout of docs/formats.md.
inline std::string small_profile(const std::string& provenance = "reliability test") {
  std::string s = "LOWVOLTP" + le(1, 4) + le(1, 4) + le(8, 4) + le(16, 4) + le(0, 2) + le(0, 2) +
                  le(10, 4) + le(7, 8);
  // mu, sigma, sigma_array, f_col, col_shift, f_row, row_shift, flip_fraction, b, sigma_n
  const double params[10] = {0.8, 0.03, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 0.0};
  for (const double p : params) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &p, 8);
    s += le(bits, 8);
  }
  const double leakage = 0.1;
  std::uint64_t lbits = 0;
  std::memcpy(&lbits, &leakage, 8);
  s += le(lbits, 8) + le(provenance.size(), 4) + provenance + le(0, 4);
  for (int i = 0; i < 128; ++i) s += le(static_cast<std::uint64_t>(3000 + 10 * i), 2);
  s += std::string(128, '\0');
  return fix_crc(s + le(0, 4));
}

/// Offset of the first cell code in small_profile() ("reliability test" provenance).
inline constexpr std::size_t kSmallProfileCells = 136 + 16;

/// A pattern file (LVPATT01) of `n` elements, masks given as one string.
inline std::string pattern(std::uint32_t bits, std::uint32_t bytes, std::uint64_t n,
                           const std::string& masks) {
  return "LVPATT01" + le(bits, 4) + le(bytes, 4) + le(n, 8) + masks;
}

/// One CIFAR-10 record: label byte, then 3072 pixels.
inline std::string cifar_record(unsigned char label) {
  std::string r(3073, '\x40');
  r[0] = static_cast<char>(label);
  return r;
}

/// The table (see docs/reliability.md for what each row printed).
std::vector<Case> cases();

}  // namespace lowvolt::reliability
