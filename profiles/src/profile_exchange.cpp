// Import from and export to what test chips produce: failing-cell lists and per-voltage matrices
// (IBM's fmap_sa0_v_<V>.txt / fmap_sa1_v_<V>.txt layout). Rules in profile.h.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unordered_map>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/profiles/profile.h"
#include "stats.h"

namespace lowvolt::profiles {
namespace {

constexpr std::uint8_t kSeen01 = 1;       // seen failing 0→1
constexpr std::uint8_t kSeen10 = 2;       // seen failing 1→0
constexpr std::uint8_t kSeenUnknown = 4;  // seen failing, direction unknown

// What was seen of one cell at one supply: direction evidence and the largest failure rate.
struct Seen {
  std::uint8_t dir = 0;
  double rate = 0;
  void add(std::uint8_t d, double r) {
    dir |= d;
    rate = std::max(rate, r);
  }
};

// Per supply code (descending), the cells seen failing there.
using Sightings = std::map<std::uint16_t, std::unordered_map<std::uint64_t, Seen>, std::greater<>>;

// σ_n (× Vmin) from cells with fractional rates at two consecutive voltages: under the model
// r ≈ Φ((V_c − V)/σ_n), so σ_n = (V_hi − V_lo) / (Φ⁻¹(r_lo) − Φ⁻¹(r_hi)); the median over
// cells. Returns the number of cells used (0: no estimate).
std::size_t estimate_sigma_n(const Sightings& seen, double& sigma_n) {
  std::vector<double> estimates;
  for (auto it = seen.begin(); it != seen.end(); ++it) {
    const auto lower = std::next(it);
    if (lower == seen.end()) break;
    const double dv = code_volts(it->first) - code_volts(lower->first);
    for (const auto& [cell, hi] : it->second) {
      if (!(hi.rate > 0 && hi.rate < 1)) continue;
      const auto lo = lower->second.find(cell);
      if (lo == lower->second.end() || !(lo->second.rate > hi.rate && lo->second.rate < 1)) continue;
      estimates.push_back(dv / (stats::phi_inv(lo->second.rate) - stats::phi_inv(hi.rate)));
    }
  }
  if (estimates.empty()) return 0;
  const auto mid = estimates.begin() + static_cast<std::ptrdiff_t>(estimates.size() / 2);
  std::nth_element(estimates.begin(), mid, estimates.end());
  sigma_n = *mid;
  return estimates.size();
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

double parse_double(const std::string& text, const std::string& where, const char* what) {
  const auto v = parse_real(text);
  if (!v) fail(where, ": ", what, " '", text, "' is not a number");
  return *v;
}

std::uint32_t parse_index(const std::string& text, const std::string& where, const char* what) {
  const auto v = parse_unsigned(text, 4294967295ull);
  if (!v) fail(where, ": ", what, " '", text, "' is not a non-negative integer below 2^32");
  return static_cast<std::uint32_t>(*v);
}

/// Refuses a path that exists but is not a regular file (a FIFO would block the read, a device
/// never end), before it is opened.
void require_regular_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st)) {
    fail(path, ": not a regular file (a FIFO, device or folder is refused)");
  }
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (const char c : line) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\r') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

Profile build_profile(const Sightings& seen, const Geometry& g, const ImportOptions& options,
                      const std::string& provenance) {
  Profile p;
  double sigma_n = options.sigma_n;
  std::string note;
  if (options.estimate_sigma_n) {
    const std::size_t cells = estimate_sigma_n(seen, sigma_n);
    if (cells == 0) {
      fail("import: cannot estimate sigma_n: no cell has fractional failure rates at two "
           "consecutive voltages");
    }
    sigma_n = std::min(sigma_n, 1.0);
    note = "; sigma_n estimated from " + std::to_string(cells) + " cells";
  }
  p.map = CellMap(g, sigma_code(sigma_n), options.seed);
  set_param(p.params, "sigma_n", code_volts(p.map.sigma_code()));
  p.provenance = provenance + note;
  std::unordered_map<std::uint64_t, std::uint8_t> evidence;
  auto& vc = p.map.vc();
  // Descending voltages: the first sighting of a cell is its highest failing voltage.
  for (const auto& [vdd, cells] : seen) {
    for (const auto& [cell, s] : cells) {
      if (vc[cell] == 0) vc[cell] = static_cast<std::uint16_t>(std::min(vdd + 1, 65535));
      evidence[cell] |= s.dir;
    }
  }
  for (const auto& [cell, dir] : evidence) {
    const std::uint8_t known = dir & (kSeen01 | kSeen10);
    FailureKind k = FailureKind::kFlip;
    if (known == kSeen01) k = FailureKind::kStuck1;
    if (known == kSeen10) k = FailureKind::kStuck0;
    p.map.kind()[cell] = static_cast<std::uint8_t>(k);
  }
  for (auto it = seen.begin(); it != seen.end(); ++it) {
    Observation o;
    o.vdd = it->first;
    o.failing = it->second.size();
    const auto lower = std::next(it);
    if (lower != seen.end()) {
      for (const auto& [cell, s] : it->second) o.violations += !lower->second.count(cell);
    }
    p.observations.push_back(o);
  }
  return p;
}

void check_in(const Geometry& g, std::uint32_t a, std::uint32_t r, std::uint32_t c,
              const std::string& where) {
  if (a >= g.arrays || r >= g.rows || c >= g.cols) {
    fail(where, ": cell (array ", a, ", row ", r, ", col ", c, ") is outside the geometry ",
         g.arrays, " × ", g.rows, " × ", g.cols);
  }
}

// Rate text of a cell at a supply: the exact per-read failure probability, which depends only
// on vc − vdd for a chip, so it is computed once per distinct difference.
class RateText {
 public:
  explicit RateText(std::uint16_t sigma_code) : sigma_code_(sigma_code) {}
  const std::string& operator()(std::uint16_t vc, std::uint16_t vdd) {
    const int diff = static_cast<int>(vc) - static_cast<int>(vdd);
    auto it = cache_.find(diff);
    if (it == cache_.end()) {
      it = cache_.emplace(diff, format_number(fail_probability(vc, vdd, sigma_code_))).first;
    }
    return it->second;
  }

 private:
  std::uint16_t sigma_code_;
  std::unordered_map<int, std::string> cache_;
};

}  // namespace

std::vector<FailingCell> read_failing_list(const std::string& path) {
  require_regular_file(path);
  std::ifstream in(path);
  if (!in) fail(path, ": cannot open for reading");
  std::vector<FailingCell> cells;
  std::string line;
  std::size_t line_no = 0;
  bool header_seen = false;
  bool has_rate = false;
  while (std::getline(in, line)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(line_no);
    std::vector<std::string> f;
    {
      std::stringstream ss(line);
      std::string part;
      while (std::getline(ss, part, ',')) f.push_back(trim(part));
    }
    if (!header_seen) {
      const bool base = f.size() >= 5 && f[0] == "vdd" && f[1] == "array" && f[2] == "row" &&
                        f[3] == "col" && f[4] == "flip";
      has_rate = f.size() == 6 && f[5] == "rate";
      if (!base || (f.size() != 5 && !has_rate)) {
        fail(where, ": expected the header vdd,array,row,col,flip[,rate], got '", line, "'");
      }
      header_seen = true;
      continue;
    }
    if (f.size() != (has_rate ? 6u : 5u)) {
      fail(where, ": expected ", has_rate ? 6 : 5, " fields, got ", f.size());
    }
    FailingCell c;
    c.vdd = parse_double(f[0], where, "vdd");
    try {
      vdd_code(c.vdd);  // range check
    } catch (const Error& e) {
      fail(where, ": ", e.what());
    }
    if (c.vdd <= 0) fail(where, ": vdd ", f[0], " must be positive");
    c.array = parse_index(f[1], where, "array");
    c.row = parse_index(f[2], where, "row");
    c.col = parse_index(f[3], where, "col");
    if (f[4] == "0to1") {
      c.zero_to_one = true;
    } else if (f[4] == "1to0") {
      c.zero_to_one = false;
    } else {
      fail(where, ": flip '", f[4], "' must be 0to1 or 1to0");
    }
    if (has_rate) {
      c.rate = parse_double(f[5], where, "rate");
      if (!(c.rate >= 0 && c.rate <= 1)) fail(where, ": rate ", f[5], " is outside [0, 1]");
    }
    cells.push_back(c);
  }
  if (!header_seen) fail(path, ": empty file (expected the header vdd,array,row,col,flip[,rate])");
  return cells;
}

namespace {

Profile import_lists(const std::vector<std::pair<std::string, std::vector<FailingCell>>>& lists,
                     const ImportOptions& options, const std::string& provenance) {
  Geometry inferred{0, 0, 0};
  for (const auto& [source, cells] : lists) {
    for (const auto& c : cells) {
      inferred.arrays = std::max(inferred.arrays, c.array + 1);
      inferred.rows = std::max(inferred.rows, c.row + 1);
      inferred.cols = std::max(inferred.cols, c.col + 1);
    }
  }
  Geometry g = options.geometry;
  const bool infers = g.arrays == 0 || g.rows == 0 || g.cols == 0;
  if (g.arrays == 0) g.arrays = inferred.arrays;
  if (g.rows == 0) g.rows = inferred.rows;
  if (g.cols == 0) g.cols = inferred.cols;
  if (infers && g.arrays > 0 && g.rows > 0 && g.cols > 0 && g.cells() > kMaxInferredCells) {
    fail(lists.front().first, ": the listed cells imply a chip of ", g.arrays, " × ", g.rows, " × ",
         g.cols, " = ", g.cells(), " cells, more than the ", kMaxInferredCells,
         " an import infers; check the array/row/col columns, or give --arrays/--rows/--cols");
  }
  check_geometry(g, lists.front().first);
  Sightings seen;
  for (const auto& [source, cells] : lists) {
    for (const auto& c : cells) {
      check_in(g, c.array, c.row, c.col, source);
      if (!(c.rate > options.min_rate)) continue;
      seen[vdd_code(c.vdd)][cell_index(c.array, c.row, c.col, g.rows, g.cols)].add(
          c.zero_to_one ? kSeen01 : kSeen10, c.rate);
    }
  }
  return build_profile(seen, g, options, provenance);
}

}  // namespace

Profile import_failing_cells(const std::vector<FailingCell>& cells, ImportOptions options,
                             const std::string& provenance) {
  for (const auto& c : cells) {
    if (!(c.vdd > 0)) fail(provenance, ": voltage ", c.vdd, " must be positive");
    vdd_code(c.vdd);  // range check
    if (!(c.rate >= 0 && c.rate <= 1)) fail(provenance, ": rate ", c.rate, " is outside [0, 1]");
  }
  return import_lists({{provenance, cells}}, options, provenance);
}

Profile import_failing_lists(const std::vector<std::string>& paths, ImportOptions options) {
  if (paths.empty()) fail("import: no failing-cell list given");
  std::vector<std::pair<std::string, std::vector<FailingCell>>> lists;
  std::string provenance = "imported from failing-cell list(s):";
  for (const auto& path : paths) {
    lists.emplace_back(path, read_failing_list(path));
    provenance += " " + path;
  }
  return import_lists(lists, options, provenance);
}

std::vector<MatrixMap> find_matrices(const std::string& folder) {
  const std::regex name(R"(fmap_(sa0|sa1|flip)_v_([0-9.eE+-]+)\.txt)");
  std::vector<MatrixMap> maps;
  std::error_code ec;
  std::filesystem::directory_iterator it(folder, ec);
  if (ec) fail(folder, ": cannot list the folder (", ec.message(), ")");
  for (const auto& entry : it) {
    const std::string file = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(file, m, name)) continue;
    MatrixMap map;
    map.vdd = parse_double(m[2].str(), entry.path().string(), "voltage in the file name");
    map.direction = m[1] == "sa0"   ? MatrixMap::Direction::kStuck0
                    : m[1] == "sa1" ? MatrixMap::Direction::kStuck1
                                    : MatrixMap::Direction::kFlip;
    map.path = entry.path().string();
    maps.push_back(map);
  }
  if (maps.empty()) fail(folder, ": no fmap_{sa0,sa1,flip}_v_<V>.txt files");
  std::sort(maps.begin(), maps.end(), [](const MatrixMap& a, const MatrixMap& b) {
    return a.path < b.path;
  });
  return maps;
}

Profile import_matrices(const std::vector<MatrixMap>& maps, ImportOptions options) {
  if (maps.empty()) fail("import: no matrix given");
  Sightings seen;
  Geometry g{0, options.geometry.rows, 0};
  std::uint64_t lines_expected = 0;
  std::string provenance = "imported from matrices:";
  for (const auto& m : maps) {
    provenance += " " + m.path;
    require_regular_file(m.path);
    std::ifstream in(m.path);
    if (!in) fail(m.path, ": cannot open for reading");
    if (!(m.vdd > 0)) fail(m.path, ": voltage ", m.vdd, " must be positive");
    const std::uint16_t vdd = vdd_code(m.vdd);
    const std::uint8_t dir = m.direction == MatrixMap::Direction::kStuck1   ? kSeen01
                             : m.direction == MatrixMap::Direction::kStuck0 ? kSeen10
                                                                            : kSeenUnknown;
    std::vector<std::pair<std::uint64_t, double>> hits;
    std::string line;
    std::uint64_t row = 0;
    std::size_t line_no = 0;
    std::uint32_t cols = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const auto fields = split_fields(line);
      if (fields.empty() || fields[0][0] == '#') continue;
      const std::string where = m.path + ":" + std::to_string(line_no);
      if (cols == 0) cols = static_cast<std::uint32_t>(fields.size());
      if (fields.size() != cols) {
        fail(where, ": ", fields.size(), " entries, the first row has ", cols);
      }
      if (row >= kMaxCells / cols) fail(m.path, ": more than ", kMaxCells, " cells");
      for (std::uint32_t c = 0; c < cols; ++c) {
        const double rate = parse_double(fields[c], where, "entry");
        if (!(rate >= 0 && rate <= 1)) fail(where, ": entry ", fields[c], " is outside [0, 1]");
        if (rate > options.min_rate) hits.emplace_back(row * cols + c, rate);
      }
      ++row;
    }
    if (row == 0) fail(m.path, ": no rows");
    if (g.cols == 0) {
      g.cols = cols;
      lines_expected = row;
      if (g.rows == 0) g.rows = static_cast<std::uint32_t>(row);
      if (row % g.rows != 0) {
        fail(m.path, ": ", row, " rows is not a multiple of ", g.rows, " rows per array");
      }
      g.arrays = static_cast<std::uint32_t>(row / g.rows);
    } else if (cols != g.cols || row != lines_expected) {
      fail(m.path, ": ", row, " × ", cols, " entries, but ", maps.front().path, " has ",
           lines_expected, " × ", g.cols);
    }
    auto& at = seen[vdd];
    for (const auto& [cell, rate] : hits) at[cell].add(dir, rate);
  }
  if (options.geometry.cols != 0 && options.geometry.cols != g.cols) {
    fail(maps.front().path, ": ", g.cols, " columns, but --cols says ", options.geometry.cols);
  }
  check_geometry(g, maps.front().path);
  return build_profile(seen, g, options, provenance);
}

void export_failing_list(const Profile& p, const std::vector<double>& vdds,
                         const std::string& path) {
  const Geometry& g = p.map.geometry();
  std::string out = "vdd,array,row,col,flip,rate\n";
  for (const double v : vdds) {
    const std::uint16_t vdd = vdd_code(v);
    const std::string vtext = format_number(v);
    RateText rate_text(p.map.sigma_code());
    std::uint64_t cell = 0;
    for (std::uint32_t a = 0; a < g.arrays; ++a) {
      for (std::uint32_t r = 0; r < g.rows; ++r) {
        for (std::uint32_t c = 0; c < g.cols; ++c, ++cell) {
          const std::uint16_t vc = p.map.vc()[cell];
          if (vc <= vdd) continue;
          const std::string& rate = rate_text(vc, vdd);
          const std::string prefix = vtext + "," + std::to_string(a) + "," + std::to_string(r) +
                                     "," + std::to_string(c) + ",";
          const auto k = static_cast<FailureKind>(p.map.kind()[cell]);
          if (k != FailureKind::kStuck0) out += prefix + "0to1," + rate + "\n";
          if (k != FailureKind::kStuck1) out += prefix + "1to0," + rate + "\n";
        }
      }
    }
  }
  write_file_atomic(path, out);
}

std::vector<std::string> export_matrices(const Profile& p, const std::vector<double>& vdds,
                                         const std::string& folder) {
  std::error_code ec;
  std::filesystem::create_directories(folder, ec);
  if (ec) fail(folder, ": cannot create the folder (", ec.message(), ")");
  const Geometry& g = p.map.geometry();
  std::vector<std::string> written;
  const std::pair<const char*, FailureKind> forms[] = {{"sa0", FailureKind::kStuck0},
                                                       {"sa1", FailureKind::kStuck1},
                                                       {"flip", FailureKind::kFlip}};
  for (const double v : vdds) {
    const std::uint16_t vdd = vdd_code(v);
    RateText rate_text(p.map.sigma_code());
    for (const auto& [tag, kind] : forms) {
      std::string out;
      out.reserve(2 * g.cells());
      std::uint64_t cell = 0;
      for (std::uint64_t row = 0; row < std::uint64_t{g.arrays} * g.rows; ++row) {
        for (std::uint32_t c = 0; c < g.cols; ++c, ++cell) {
          if (c) out += ',';
          const std::uint16_t vc = p.map.vc()[cell];
          if (vc > vdd && static_cast<FailureKind>(p.map.kind()[cell]) == kind) {
            out += rate_text(vc, vdd);
          } else {
            out += '0';
          }
        }
        out += '\n';
      }
      const std::string path =
          (std::filesystem::path(folder) / ("fmap_" + std::string(tag) + "_v_" +
                                            format_number(v) + ".txt"))
              .string();
      write_file_atomic(path, out);
      written.push_back(path);
    }
  }
  return written;
}

}  // namespace lowvolt::profiles
