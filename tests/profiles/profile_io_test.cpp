// Proves the .lvp format round-trips and rejects damaged files before allocating, that the CSV
// exchange forms round-trip faulty cells and kinds, and that the bundled chips regenerate
// byte for byte from the command in docs/profiles.md.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/crc.hpp>
#include <filesystem>
#include <fstream>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/profiles/profile.h"

namespace lp = lowvolt::profiles;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("lowvolt_profiles_" + name + "_" +
                                                  std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

lp::Profile sample(const std::string& preset, std::uint64_t seed) {
  return lp::generate_profile(preset, {}, {3, 64, 128}, seed);
}

std::string with_crc(std::string bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size() - 4);
  const std::uint32_t c = crc.checksum();
  for (int i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<char>((c >> (8 * i)) & 0xff);
  return bytes;
}

std::string expect_error(const std::string& bytes) {
  try {
    lp::decode_profile(bytes, "x.lvp");
  } catch (const lowvolt::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

// write → read gives an identical profile (cells, parameters, provenance, observations).
TEST(ProfileIo, NativeRoundTrip) {
  const auto dir = temp_dir("native");
  auto p = sample("chip2", 3);
  p.observations = {{3500, 10, 1}, {3400, 20, 0}};
  p.energy.leakage = 0.25;
  const std::string path = (dir / "c.lvp").string();
  lp::write_profile(path, p);
  const auto q = lp::read_profile(path);
  EXPECT_TRUE(q == p);
  EXPECT_EQ(lp::encode_profile(q), lowvolt::read_file(path));
  // 3 bytes per cell plus a small header.
  EXPECT_LT(fs::file_size(path), 3 * p.map.geometry().cells() + 512);
  fs::remove_all(dir);
}

// Export to the failing-cell list and back gives the same faulty cells and kinds at every
// exported voltage, for flip (uniform) and stuck/intermittent (chip1, chip2) chips.
TEST(ProfileIo, FailingListRoundTrip) {
  const auto dir = temp_dir("list");
  for (const std::string preset : {"uniform", "chip1", "chip2"}) {
    const auto p = sample(preset, 4);
    const std::vector<double> vdds = {0.85, 0.82, 0.80};
    const std::string path = (dir / (preset + ".csv")).string();
    lp::export_failing_list(p, vdds, path);
    lp::ImportOptions o;
    o.geometry = p.map.geometry();
    const auto q = lp::import_failing_lists({path}, o);
    ASSERT_EQ(q.map.geometry(), p.map.geometry());
    for (const double v : vdds) {
      const auto c = lp::vdd_code(v);
      std::uint64_t faulty = 0;
      for (std::size_t i = 0; i < p.map.vc().size(); ++i) {
        ASSERT_EQ(p.map.vc()[i] > c, q.map.vc()[i] > c) << preset << " " << v << " " << i;
        if (p.map.vc()[i] > c) {
          ASSERT_EQ(p.map.kind()[i], q.map.kind()[i]) << preset << " " << i;
          ++faulty;
        }
      }
      EXPECT_GT(faulty, 0u);
    }
    ASSERT_EQ(q.observations.size(), vdds.size());
    for (const auto& obs : q.observations) EXPECT_EQ(obs.violations, 0u);
  }
  fs::remove_all(dir);
}

// Export to sa0/sa1/flip matrices and back gives the same faulty cells and kinds.
TEST(ProfileIo, MatrixRoundTrip) {
  const auto dir = temp_dir("matrix");
  for (const std::string preset : {"uniform", "chip2"}) {
    const auto p = sample(preset, 5);
    const std::vector<double> vdds = {0.84, 0.81};
    const auto folder = (dir / preset).string();
    const auto files = lp::export_matrices(p, vdds, folder);
    EXPECT_EQ(files.size(), 3 * vdds.size());
    lp::ImportOptions o;
    o.geometry.rows = p.map.geometry().rows;
    const auto q = lp::import_matrices(lp::find_matrices(folder), o);
    ASSERT_EQ(q.map.geometry(), p.map.geometry());
    for (const double v : vdds) {
      const auto c = lp::vdd_code(v);
      for (std::size_t i = 0; i < p.map.vc().size(); ++i) {
        ASSERT_EQ(p.map.vc()[i] > c, q.map.vc()[i] > c) << preset << " " << v << " " << i;
        if (p.map.vc()[i] > c) {
          ASSERT_EQ(p.map.kind()[i], q.map.kind()[i]) << preset << " " << i;
        }
      }
    }
  }
  fs::remove_all(dir);
}

// Import rules: the highest failing voltage sets vc; non-nested sightings are kept and counted.
TEST(ProfileIo, ImportCountsNestingViolations) {
  const auto dir = temp_dir("nest");
  const std::string path = (dir / "l.csv").string();
  lowvolt::write_file_atomic(path,
                             "vdd,array,row,col,flip\n"
                             "0.9,0,0,1,0to1\n"      // fails at 0.9 only: a violation
                             "0.9,0,0,2,1to0\n"
                             "0.8,0,0,2,1to0\n"
                             "0.8,0,1,3,0to1\n"
                             "0.8,0,1,3,1to0\n");  // both directions: flip
  lp::ImportOptions o;
  const auto p = lp::import_failing_lists({path}, o);
  EXPECT_EQ(p.map.geometry(), (lp::Geometry{1, 2, 4}));
  EXPECT_EQ(p.map.vc()[1], lp::vdd_code(0.9) + 1);
  EXPECT_EQ(p.map.vc()[2], lp::vdd_code(0.9) + 1);
  EXPECT_EQ(p.map.vc()[7], lp::vdd_code(0.8) + 1);
  EXPECT_EQ(p.map.vc()[0], 0);
  EXPECT_EQ(p.map.kind()[1], static_cast<std::uint8_t>(lp::FailureKind::kStuck1));
  EXPECT_EQ(p.map.kind()[2], static_cast<std::uint8_t>(lp::FailureKind::kStuck0));
  EXPECT_EQ(p.map.kind()[7], static_cast<std::uint8_t>(lp::FailureKind::kFlip));
  ASSERT_EQ(p.observations.size(), 2u);
  EXPECT_EQ(p.observations[0].vdd, lp::vdd_code(0.9));
  EXPECT_EQ(p.observations[0].failing, 2u);
  EXPECT_EQ(p.observations[0].violations, 1u);
  EXPECT_EQ(p.observations[1].failing, 2u);
  fs::remove_all(dir);
}

// In-memory import follows the list rules and records the given provenance.
TEST(ProfileIo, ImportFailingCellsInMemory) {
  lp::FailingCell a;
  a.vdd = 0.9;
  a.array = 1;
  a.row = 2;
  a.col = 3;
  a.zero_to_one = true;
  lp::FailingCell b = a;
  b.vdd = 0.8;
  lp::ImportOptions o;
  o.geometry = {2, 4, 8};
  const auto p = lp::import_failing_cells({a, b}, o, "MBIST run");
  EXPECT_EQ(p.provenance, "MBIST run");
  const auto cell = lp::cell_index(1, 2, 3, 4, 8);
  EXPECT_EQ(p.map.vc()[cell], lp::vdd_code(0.9) + 1);
  EXPECT_EQ(p.map.kind()[cell], static_cast<std::uint8_t>(lp::FailureKind::kStuck1));
  ASSERT_EQ(p.observations.size(), 2u);
  b.rate = 2;
  EXPECT_THROW(lp::import_failing_cells({b}, o, "MBIST run"), lowvolt::Error);
}

// σ_n is recovered (within 10 %) from the per-read rates an export writes at close voltages.
TEST(ProfileIo, ImportEstimatesSigmaN) {
  const auto dir = temp_dir("sigma");
  const auto p = lp::generate_profile("chip1", {}, {8, 128, 128}, 6);
  const std::string path = (dir / "l.csv").string();
  lp::export_failing_list(p, {0.85, 0.845, 0.84, 0.835, 0.83}, path);
  lp::ImportOptions o;
  o.estimate_sigma_n = true;
  const auto q = lp::import_failing_lists({path}, o);
  EXPECT_NEAR(q.params.sigma_n, p.params.sigma_n, 0.1 * p.params.sigma_n);
  EXPECT_EQ(q.map.sigma_code(), lp::sigma_code(q.params.sigma_n));
  EXPECT_NE(q.provenance.find("sigma_n estimated from"), std::string::npos);
  fs::remove_all(dir);
}

// The bundled chips equal what the documented generate command makes, byte for byte.
TEST(ProfileIo, BundledChipsRegenerate) {
  const std::vector<std::pair<std::string, std::uint64_t>> chips = {{"chip1", 1}, {"chip2", 2}};
  for (const auto& [name, seed] : chips) {
    const std::string path = std::string(LOWVOLT_SOURCE_DIR) + "/profiles/data/" + name + ".lvp";
    ASSERT_TRUE(fs::exists(path)) << path;
    const auto p = lp::generate_profile(name, {}, {16, 512, 64}, seed);
    EXPECT_EQ(lp::encode_profile(p), lowvolt::read_file(path)) << name;
    EXPECT_LE(fs::file_size(path), 2u << 20);
  }
}

// Damaged files are rejected with a message naming the file and the problem.
TEST(ProfileIoErrors, RejectsDamagedFiles) {
  const std::string good = lp::encode_profile(sample("chip1", 1));
  EXPECT_NE(expect_error("hello").find("bad magic"), std::string::npos);
  EXPECT_NE(expect_error(good.substr(0, good.size() - 10)).find("truncated"), std::string::npos);
  EXPECT_NE(expect_error(good.substr(0, 30)).find("truncated"), std::string::npos);
  EXPECT_NE(expect_error(good + "xx").find("unexpected bytes"), std::string::npos);
  std::string corrupt = good;
  corrupt[good.size() / 2] ^= 0x10;
  EXPECT_NE(expect_error(corrupt).find("checksum"), std::string::npos);
  std::string version = good;
  version[8] = 9;
  EXPECT_NE(expect_error(version).find("version 9"), std::string::npos);
  std::string kind = good;
  kind[good.size() - 5] = 3;  // last cell's kind
  EXPECT_NE(expect_error(with_crc(kind)).find("failure kind 3"), std::string::npos);
  EXPECT_EQ(expect_error("hello").rfind("x.lvp: ", 0), 0u);
}

// Observation records that cannot hold for the chip (more violations than failing cells, more
// failing cells than the chip has) are refused naming the record, even with a valid checksum.
TEST(ProfileIoErrors, RejectsImpossibleObservations) {
  for (const auto& [failing, violations] : {std::pair<std::uint64_t, std::uint64_t>{10, 11},
                                            {std::uint64_t{1} << 40, 0}}) {
    lp::Profile p = sample("chip1", 1);
    p.observations = {{lp::vdd_code(0.85), 100, 3}, {lp::vdd_code(0.80), failing, violations}};
    const std::string message = expect_error(lp::encode_profile(p));
    EXPECT_NE(message.find("observation 2"), std::string::npos) << message;
    EXPECT_NE(message.find("impossible"), std::string::npos) << message;
  }
  lp::Profile ok = sample("chip1", 1);
  ok.observations = {{lp::vdd_code(0.85), 100, 3}};
  EXPECT_EQ(lp::decode_profile(lp::encode_profile(ok), "ok.lvp").observations.size(), 1u);
}

// An oversized geometry in the header is refused before any allocation.
TEST(ProfileIoErrors, RejectsOversizedGeometry) {
  std::string big = lp::encode_profile(sample("uniform", 1));
  const std::uint32_t huge = 1u << 30;
  for (int i = 0; i < 4; ++i) big[12 + i] = static_cast<char>((huge >> (8 * i)) & 0xff);
  EXPECT_NE(expect_error(big).find("more than the limit"), std::string::npos);
  std::string wrong = lp::encode_profile(sample("uniform", 1));
  wrong[12] = 100;  // 100 arrays declared, data for 3
  EXPECT_NE(expect_error(wrong).find("truncated"), std::string::npos);
}

// Bad CSV input is rejected naming the file and line.
TEST(ProfileIoErrors, RejectsBadCsv) {
  const auto dir = temp_dir("badcsv");
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = (dir / name).string();
    lowvolt::write_file_atomic(path, text);
    return path;
  };
  const auto msg = [](auto&& f) {
    try {
      f();
    } catch (const lowvolt::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  lp::ImportOptions o;
  EXPECT_NE(msg([&] { lp::import_failing_lists({write("a.csv", "v,a\n")}, o); }).find("a.csv:1"),
            std::string::npos);
  EXPECT_NE(msg([&] {
              lp::import_failing_lists({write("b.csv", "vdd,array,row,col,flip\n0.9,0,0,1,up\n")}, o);
            }).find("b.csv:2: flip 'up'"),
            std::string::npos);
  EXPECT_NE(msg([&] {
              lp::import_failing_lists({write("c.csv", "vdd,array,row,col,flip,rate\n0.9,0,0,1,0to1,2\n")}, o);
            }).find("outside [0, 1]"),
            std::string::npos);
  lp::ImportOptions small;
  small.geometry = {1, 4, 4};
  EXPECT_NE(msg([&] {
              lp::import_failing_lists({write("d.csv", "vdd,array,row,col,flip\n0.9,0,9,1,0to1\n")}, small);
            }).find("outside the geometry"),
            std::string::npos);
  // One far cell must not make the import build a cell map of gigabytes (12 GiB for array
  // 4294967294, 3 GiB for 1023,1023,1023): the inferred geometry is refused, naming the file.
  for (const std::string line : {"0.9,4294967294,0,0,0to1", "0.9,1023,1023,1023,0to1"}) {
    const std::string m =
        msg([&] { lp::import_failing_lists({write("far.csv", "vdd,array,row,col,flip\n" + line + "\n")}, o); });
    EXPECT_NE(m.find("far.csv"), std::string::npos) << m;
    EXPECT_NE(m.find("--arrays"), std::string::npos) << m;
  }
  lp::ImportOptions estimate;
  estimate.estimate_sigma_n = true;  // every rate is 1: nothing to estimate from
  EXPECT_NE(msg([&] {
              lp::import_failing_lists({write("e.csv", "vdd,array,row,col,flip\n0.9,0,0,1,0to1\n0.8,0,0,1,0to1\n")}, estimate);
            }).find("cannot estimate sigma_n"),
            std::string::npos);
  lp::MatrixMap m;
  m.vdd = 0.9;
  m.path = write("m.txt", "0,1,0\n0,1\n");
  EXPECT_NE(msg([&] { lp::import_matrices({m}, o); }).find("m.txt:2"), std::string::npos);
  EXPECT_NE(msg([&] { lp::read_profile((dir / "missing.lvp").string()); }).find("missing.lvp"),
            std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
