#pragma once
// A chip profile = cell map + model parameters + provenance + what an import observed, and its
// exchange: the native .lvp file (docs/formats.md) and the two CSV forms test chips produce.
// Contract:
//  - read_profile() validates magic, version, geometry (≤ kMaxCells), the exact file size and
//    the CRC-32 before any large allocation; every failure is a lowvolt::Error naming the file.
//  - write_profile() writes atomically; write → read gives an identical Profile.
//  - Import: a cell's critical voltage is the highest voltage at which it was seen failing
//    (vc_code = vdd_code + 1, the smallest code that fails there); cells never seen failing get
//    vc_code 0 (unknown, below every observed voltage). Kind: seen 0→1 only → stuck-at-1,
//    1→0 only → stuck-at-0, both or direction unknown → flip. Cells failing at V but not at a
//    lower observed V' are kept and counted as nesting violations of V.
//  - With estimate_sigma_n, σ_n is the median over cells with fractional rates r_hi < r_lo
//    at consecutive voltages V_hi > V_lo of (V_hi − V_lo) / (Φ⁻¹(r_lo) − Φ⁻¹(r_hi)).
//  - Export lists the cells faulty at each voltage (vc > vdd) with their exact per-read failure
//    probability as the rate; export → import gives the same faulty cells and kinds there.
#include <cstdint>
#include <string>
#include <vector>

#include "lowvolt/profiles/cell_map.h"
#include "lowvolt/profiles/chip_model.h"

namespace lowvolt::profiles {

/// What an import saw at one voltage.
struct Observation {
  std::uint16_t vdd = 0;         ///< supply code (1/4096 × Vmin)
  std::uint64_t failing = 0;     ///< cells seen failing there
  std::uint64_t violations = 0;  ///< of those, cells not seen failing at the next lower voltage
};

/// A chip profile.
struct Profile {
  CellMap map;                            ///< per-cell codes and kinds
  ChipParams params;                      ///< model parameters it was generated or fitted with
  EnergyModel energy;                     ///< energy model of the chip
  std::string provenance;                 ///< free text: command, preset, seed, source files
  std::vector<Observation> observations;  ///< imports only: per observed voltage, descending

  /// Every part equal (cells, parameters, energy, provenance, observations).
  bool operator==(const Profile& o) const;
};

/// A new chip from preset `preset` with "key=value" overrides; the provenance records the
/// equivalent `lowvolt profile generate` command, so the bytes depend on the inputs only.
Profile generate_profile(const std::string& preset, const std::vector<std::string>& overrides,
                         const Geometry& g, std::uint64_t seed);
/// A new chip from explicit parameters (e.g. a fit); `label` names their source in the
/// provenance ("--preset <label>").
Profile generate_profile(const ChipParams& params, const std::string& label,
                         const std::vector<std::string>& overrides, const Geometry& g,
                         std::uint64_t seed);

/// Current .lvp format version.
inline constexpr std::uint32_t kFormatVersion = 1;

/// Serialises a profile into the .lvp byte layout.
std::string encode_profile(const Profile& p);
/// Parses .lvp bytes; `name` (the file) prefixes every error message.
Profile decode_profile(const std::string& bytes, const std::string& name);
/// Writes `p` to `path` atomically.
void write_profile(const std::string& path, const Profile& p);
/// Reads and checks a .lvp file.
Profile read_profile(const std::string& path);

/// One line of the failing-cell list: vdd,array,row,col,flip[,rate].
struct FailingCell {
  double vdd = 0;            ///< supply (× Vmin)
  std::uint32_t array = 0;   ///< array
  std::uint32_t row = 0;     ///< row
  std::uint32_t col = 0;     ///< column
  bool zero_to_one = false;  ///< direction: true = 0to1, false = 1to0
  double rate = 1.0;         ///< fraction of reads that failed (0, 1]
};

/// Parses a failing-cell list CSV (header vdd,array,row,col,flip[,rate]).
std::vector<FailingCell> read_failing_list(const std::string& path);

/// One per-voltage matrix: one array row per line, entries 0/1 or rates, arrays stacked.
struct MatrixMap {
  /// What the matrix marks: stuck-at-0 (1→0), stuck-at-1 (0→1) or direction unknown.
  enum class Direction { kStuck0, kStuck1, kFlip };
  double vdd = 0;                   ///< supply (× Vmin)
  Direction direction = Direction::kFlip;  ///< sa0 map, sa1 map, or direction unknown
  std::string path;                 ///< source file
};

/// Options of an import.
struct ImportOptions {
  Geometry geometry{0, 0, 0}; ///< chip size; zero fields are inferred from the data
  double min_rate = 0.0;      ///< a cell counts as failing where its rate is > min_rate
  double sigma_n = 0.0;       ///< per-read noise to record in the profile (× Vmin)
  bool estimate_sigma_n = false;  ///< estimate σ_n from fractional rates instead (see below)
  std::uint64_t seed = 0;     ///< intermittent hash seed to record
};

/// Builds a profile from failing cells already in memory (e.g. an MBIST run); `provenance`
/// names their source. Same rules as the list import.
Profile import_failing_cells(const std::vector<FailingCell>& cells, ImportOptions options,
                             const std::string& provenance);
/// Builds a profile from failing-cell lists.
Profile import_failing_lists(const std::vector<std::string>& paths, ImportOptions options);
/// Builds a profile from per-voltage matrices (rows per array from options.geometry.rows,
/// 0 = one array holding every line).
Profile import_matrices(const std::vector<MatrixMap>& maps, ImportOptions options);
/// Finds fmap_{sa0,sa1,flip}_v_<V>.txt files in a folder (IBM's fault-map naming).
std::vector<MatrixMap> find_matrices(const std::string& folder);

/// Writes the failing-cell list of `p` at `vdds` (× Vmin) to `path` (atomic).
void export_failing_list(const Profile& p, const std::vector<double>& vdds,
                         const std::string& path);
/// Writes fmap_sa0_v_<V>.txt, fmap_sa1_v_<V>.txt and fmap_flip_v_<V>.txt per voltage into
/// `folder` (created if missing). Returns the files written.
std::vector<std::string> export_matrices(const Profile& p, const std::vector<double>& vdds,
                                         const std::string& folder);

}  // namespace lowvolt::profiles
