// The native .lvp format (layout in docs/formats.md): explicit little-endian fields, a CRC-32
// over everything before it, and every size checked against the file before allocating.
#include <cstring>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/crc32.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/profile.h"

namespace lowvolt::profiles {
namespace {

constexpr char kMagic[8] = {'L', 'O', 'W', 'V', 'O', 'L', 'T', 'P'};
constexpr std::uint32_t kMaxProvenance = 1u << 20;   // bytes
constexpr std::uint32_t kMaxObservations = 1u << 16;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void f64(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void bytes(const std::string& s) { out_ += s; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string& out_;
};

class Reader {
 public:
  Reader(const std::string& in, std::size_t end, const std::string& name)
      : in_(in), end_(end), name_(name) {}
  std::uint64_t get(int n, const char* what) {
    need(static_cast<std::size_t>(n), what);
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v |= std::uint64_t{static_cast<unsigned char>(in_[pos_ + static_cast<std::size_t>(i)])}
           << (8 * i);
    }
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  double f64(const char* what) {
    const std::uint64_t bits = get(8, what);
    double v = 0;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string bytes(std::size_t n, const char* what) {
    need(n, what);
    std::string s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void need(std::size_t n, const char* what) const {
    if (end_ - pos_ < n) fail(name_, ": truncated file (ends inside the ", what, ")");
  }
  std::size_t pos() const { return pos_; }

 private:
  const std::string& in_;
  std::size_t end_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

}  // namespace

bool Profile::operator==(const Profile& o) const {
  if (!(map == o.map && params == o.params && energy.leakage == o.energy.leakage &&
        provenance == o.provenance && observations.size() == o.observations.size())) {
    return false;
  }
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const auto& a = observations[i];
    const auto& b = o.observations[i];
    if (a.vdd != b.vdd || a.failing != b.failing || a.violations != b.violations) return false;
  }
  return true;
}

std::string encode_profile(const Profile& p) {
  const Geometry& g = p.map.geometry();
  LV_CHECK(p.provenance.size() <= kMaxProvenance, "provenance too long");
  LV_CHECK(p.observations.size() <= kMaxObservations, "too many observations");
  std::string out;
  out.reserve(128 + p.provenance.size() + 20 * p.observations.size() + 3 * g.cells());
  Writer w(out);
  out.append(kMagic, 8);
  w.u32(kFormatVersion);
  w.u32(g.arrays);
  w.u32(g.rows);
  w.u32(g.cols);
  w.u16(p.map.sigma_code());
  w.u16(0);
  w.u32(static_cast<std::uint32_t>(param_names().size()));
  w.u64(p.map.seed());
  for (const auto& name : param_names()) w.f64(get_param(p.params, name));
  w.f64(p.energy.leakage);
  w.u32(static_cast<std::uint32_t>(p.provenance.size()));
  w.bytes(p.provenance);
  w.u32(static_cast<std::uint32_t>(p.observations.size()));
  for (const auto& o : p.observations) {
    w.u16(o.vdd);
    w.u16(0);
    w.u64(o.failing);
    w.u64(o.violations);
  }
  for (const std::uint16_t v : p.map.vc()) w.u16(v);
  out.append(reinterpret_cast<const char*>(p.map.kind().data()), p.map.kind().size());
  w.u32(crc32(out.data(), out.size()));
  return out;
}

Profile decode_profile(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    fail(name, ": not a LowVolt chip profile (bad magic; expected 'LOWVOLTP')");
  }
  if (bytes.size() < 12) fail(name, ": truncated file (ends inside the header)");
  // The CRC covers everything but its own 4 bytes; checked after the sizes so that a truncated
  // file is reported as truncated rather than as corrupt.
  Reader r(bytes, bytes.size(), name);
  r.get(8, "magic");
  const auto version = static_cast<std::uint32_t>(r.get(4, "header"));
  if (version != kFormatVersion) {
    fail(name, ": format version ", version, " is not supported (this build reads version ",
         kFormatVersion, ")");
  }
  Geometry g;
  g.arrays = static_cast<std::uint32_t>(r.get(4, "header"));
  g.rows = static_cast<std::uint32_t>(r.get(4, "header"));
  g.cols = static_cast<std::uint32_t>(r.get(4, "header"));
  check_geometry(g, name);
  const auto sigma = static_cast<std::uint16_t>(r.get(2, "header"));
  r.get(2, "header");
  const auto n_params = static_cast<std::uint32_t>(r.get(4, "header"));
  if (n_params != param_names().size()) {
    fail(name, ": header declares ", n_params, " model parameters, version 1 has ",
         param_names().size());
  }
  const std::uint64_t seed = r.get(8, "header");
  Profile p;
  for (const auto& pname : param_names()) {
    const double v = r.f64("model parameters");
    try {
      set_param(p.params, pname, v);
    } catch (const Error& e) {
      fail(name, ": ", e.what());
    }
  }
  p.energy.leakage = r.f64("energy model");
  if (!(p.energy.leakage >= 0 && p.energy.leakage < 1e6)) {
    fail(name, ": energy leakage ", p.energy.leakage, " is out of range");
  }
  const auto prov_len = static_cast<std::uint32_t>(r.get(4, "provenance"));
  if (prov_len > kMaxProvenance) fail(name, ": provenance of ", prov_len, " bytes is too long");
  p.provenance = r.bytes(prov_len, "provenance");
  const auto n_obs = static_cast<std::uint32_t>(r.get(4, "observations"));
  if (n_obs > kMaxObservations) fail(name, ": ", n_obs, " observations is too many");
  r.need(std::size_t{20} * n_obs, "observations");
  for (std::uint32_t i = 0; i < n_obs; ++i) {
    Observation o;
    o.vdd = static_cast<std::uint16_t>(r.get(2, "observations"));
    r.get(2, "observations");
    o.failing = r.get(8, "observations");
    o.violations = r.get(8, "observations");
    // Counts of cells of this chip: at most its cells, and the violations a subset of the failing
    // (validate() reported a nested fraction of −0.40 from a record that broke this).
    if (o.vdd == 0 || o.failing > g.cells() || o.violations > o.failing) {
      fail(name, ": observation ", i + 1, " (supply code ", o.vdd, ", ", o.failing, " failing, ",
           o.violations, " violations) is impossible for ", g.cells(), " cells");
    }
    p.observations.push_back(o);
  }
  const std::uint64_t expected = r.pos() + 3 * g.cells() + 4;
  if (bytes.size() < expected) {
    fail(name, ": truncated file (", bytes.size(), " bytes; the header's ", g.arrays, " × ",
         g.rows, " × ", g.cols, " cells need ", expected, ")");
  }
  if (bytes.size() > expected) {
    fail(name, ": ", bytes.size() - expected, " unexpected bytes after the cell data");
  }
  std::uint32_t stored_crc = 0;
  for (int i = 0; i < 4; ++i) {
    stored_crc |= std::uint32_t{static_cast<unsigned char>(bytes[bytes.size() - 4 + i])}
                  << (8 * i);
  }
  if (crc32(bytes.data(), bytes.size() - 4) != stored_crc) {
    fail(name, ": checksum mismatch (the file is corrupt)");
  }
  p.map = CellMap(g, sigma, seed);
  const char* vc = bytes.data() + r.pos();
  auto& codes = p.map.vc();
  for (std::uint64_t i = 0; i < g.cells(); ++i) {
    codes[i] = static_cast<std::uint16_t>(static_cast<unsigned char>(vc[2 * i]) |
                                          (static_cast<unsigned char>(vc[2 * i + 1]) << 8));
  }
  const char* kinds = vc + 2 * g.cells();
  std::memcpy(p.map.kind().data(), kinds, g.cells());
  for (std::uint64_t i = 0; i < g.cells(); ++i) {
    if (p.map.kind()[i] > 2) {
      fail(name, ": cell ", i, " has failure kind ", int{p.map.kind()[i]}, " (0, 1, 2 allowed)");
    }
  }
  return p;
}

void write_profile(const std::string& path, const Profile& p) {
  write_file_atomic(path, encode_profile(p));
}

Profile read_profile(const std::string& path) { return decode_profile(read_file(path), path); }

}  // namespace lowvolt::profiles
