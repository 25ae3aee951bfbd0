// The table of bad inputs (reliability_cases.h). Order: model files, chip profiles, failing-cell
// lists, fault-map matrices, IDX data, CIFAR-10 data, pattern files, options, output paths,
// non-UTF-8 bytes. Pins are stable parts of the readers' messages; the doc holds the full line.
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filtering_stream.hpp>

#include "reliability_cases.h"

namespace lowvolt::reliability {
namespace {

using json = nlohmann::json;

std::string gzip(const std::string& raw) {
  namespace io = boost::iostreams;
  std::string out;
  {
    io::filtering_ostream gz;
    gz.push(io::gzip_compressor());
    gz.push(io::back_inserter(out));
    gz.write(raw.data(), static_cast<std::streamsize>(raw.size()));
  }
  return out;
}

// Commands over the case's files.
const std::string kModel = "{REPO}/models/cnn_normal_8bit.lvm";
const std::string kEvalBase = "eval " + kModel + " --data data";  // option cases add theirs
const std::string kEval = kEvalBase + " --samples 1 --p 1%";
std::string cifar_eval(const std::string& dir) {
  return "eval " + kModel + " --dataset cifar10 --data " + dir + " --samples 1 --p 1%";
}
std::string eval_model(const std::string& model) {
  return "eval " + model + " --data data --samples 1 --p 1%";
}
std::string eval_data(const std::string& dir) {
  return "eval " + kModel + " --data " + dir + " --samples 1 --p 1%";
}
std::string show(const std::string& lvp) { return "profile show " + lvp; }
std::string import_list(const std::string& csv) {
  return "profile import --list " + csv + " -o out.lvp";
}
const std::string kTrain =
    "train --data data --dataset mnist --out m.lvm";  // cases that run add --epochs 1
const std::string kGenerate = "profile generate --arrays 1 --rows 8 --cols 16";

// Setups.
auto model(std::function<void(json&)> edit) {
  return [edit](const Fixture& f) { f.write("m.lvm", model_with(f, edit)); };
}
auto model_bytes(std::function<std::string(std::string)> edit) {
  return [edit](const Fixture& f) {
    f.write("m.lvm", edit(f.repo_file("models/cnn_normal_8bit.lvm")));
  };
}
auto profile_bytes(std::function<std::string(std::string)> edit) {
  return [edit](const Fixture& f) { f.write("p.lvp", edit(small_profile())); };
}
auto file(std::string name, std::string bytes) {
  return [name, bytes](const Fixture& f) { f.write(name, bytes); };
}
std::string patch(std::string s, std::size_t at, const std::string& bytes) {
  s.replace(at, bytes.size(), bytes);
  return s;
}
std::string f64(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, 8);
  return le(bits, 8);
}
/// MNIST folder "bad" with the given image and label file contents (names without .gz).
auto data_files(std::string images, std::string labels, bool gz = false) {
  return [images, labels, gz](const Fixture& f) {
    f.mkdir("bad");
    const std::string s = gz ? ".gz" : "";
    f.write("bad/t10k-images-idx3-ubyte" + s, gz ? gzip(images) : images);
    f.write("bad/t10k-labels-idx1-ubyte" + s, gz ? gzip(labels) : labels);
  };
}
std::string images(std::uint32_t n, std::uint32_t r = 28, std::uint32_t c = 28) {
  return idx({n, r, c}, std::string(std::size_t{n} * r * c, '\x10'));
}
std::string labels(std::uint32_t n) { return idx({n}, std::string(n, '\x03')); }
const std::string kCsvHeader = "vdd,array,row,col,flip,rate\n";
auto csv(std::string lines) { return file("l.csv", kCsvHeader + lines); }
auto matrices(std::vector<std::pair<std::string, std::string>> files) {
  return [files](const Fixture& f) {
    f.mkdir("maps");
    for (const auto& [name, text] : files) f.write("maps/" + name, text);
  };
}
auto cifar(std::string bytes) {
  return [bytes](const Fixture& f) {
    f.mkdir("c");
    f.write("c/test_batch.bin", bytes);
  };
}
auto patt(std::string bytes) { return file("p.lvpatt", bytes); }
auto fifo(std::string name) {
  return [name](const Fixture& f) { f.fifo(name); };
}
auto folder(std::string name) {
  return [name](const Fixture& f) { f.mkdir(name); };
}
auto with_profile = [](const Fixture& f) { f.write("p.lvp", small_profile()); };

/// A torch archive of the fuzz corpus (its first byte is the fuzz target's mode, dropped).
std::string corpus_archive(const Fixture& f, const std::string& name) {
  return f.repo_file("fuzz/corpus/" + name).substr(1);
}
/// `zip` with the bytes `from` in the record whose name ends in `record` replaced by `to` (same
/// length), its CRC-32 fixed in the local and central headers, so only the pickle lies.
std::string zip_edit(std::string zip, const std::string& record, const std::string& from,
                     const std::string& to) {
  auto u16 = [&](std::size_t at) {
    return static_cast<std::size_t>(static_cast<unsigned char>(zip[at])) |
           static_cast<std::size_t>(static_cast<unsigned char>(zip[at + 1])) << 8;
  };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  for (std::size_t c = zip.find("PK\x01\x02"); c != std::string::npos; c = zip.find("PK\x01\x02", c + 4)) {
    const std::string name = zip.substr(c + 46, u16(c + 28));
    if (name.size() < record.size() || name.compare(name.size() - record.size(), record.size(), record) != 0) continue;
    const std::size_t local = u32(c + 42), size = u32(c + 20);
    const std::size_t data = local + 30 + u16(local + 26) + u16(local + 28);
    const std::size_t at = zip.substr(data, size).find(from);
    if (at == std::string::npos || from.size() != to.size()) throw std::runtime_error("zip_edit: no '" + from + "' in " + record);
    zip.replace(data + at, to.size(), to);
    const std::string crc = le(lowvolt::crc32(zip.data() + data, size), 4);
    zip.replace(local + 14, 4, crc);
    zip.replace(c + 16, 4, crc);
    return zip;
  }
  throw std::runtime_error("zip_edit: no record " + record);
}
/// `zip` with the central directory's sizes of the record ending in `record` set to `size`.
std::string zip_sizes(std::string zip, const std::string& record, std::uint32_t packed, std::uint32_t size) {
  for (std::size_t c = zip.find("PK\x01\x02"); c != std::string::npos; c = zip.find("PK\x01\x02", c + 4)) {
    const std::size_t len = static_cast<unsigned char>(zip[c + 28]) | static_cast<unsigned char>(zip[c + 29]) << 8;
    const std::string name = zip.substr(c + 46, len);
    if (name.size() < record.size() || name.compare(name.size() - record.size(), record.size(), record) != 0) continue;
    zip.replace(c + 20, 4, le(packed, 4));
    zip.replace(c + 24, 4, le(size, 4));
    return zip;
  }
  throw std::runtime_error("zip_sizes: no record " + record);
}
const std::string data_pt_eval = "eval " + kModel + " --dataset d.pt --samples 1 --p 1%";
auto data_pt(std::function<std::string(std::string)> edit) {
  return [edit](const Fixture& f) { f.write("d.pt", edit(corpus_archive(f, "tensor_data/valid.pt"))); };
}
auto script_pt(std::function<std::string(std::string)> edit) {
  return [edit](const Fixture& f) { f.write("m.pt", edit(corpus_archive(f, "torchscript/tiny-layers.pt"))); };
}

}  // namespace

std::vector<Case> cases() {
  const std::string cells = std::to_string(kSmallProfileCells);
  return {
      // ---------------------------------------------------------------- model files (.lvm)
      {"lvm_missing", ".lvm: no such file", eval_model("none.lvm"), 1, "none.lvm", {}},
      {"lvm_folder", ".lvm: a folder", eval_model("m.lvm"), 1, "m.lvm", folder("m.lvm")},
      {"lvm_fifo", ".lvm: a FIFO (must not block)", eval_model("m.lvm"), 1, "m.lvm", fifo("m.lvm")},
      {"lvm_empty", ".lvm: empty file", eval_model("m.lvm"), 1, "magic \"LVMODEL1\" missing",
       file("m.lvm", "")},
      {"lvm_bad_magic", ".lvm: wrong magic", eval_model("m.lvm"), 1, "magic \"LVMODEL1\" missing",
       model_bytes([](std::string m) { return patch(m, 7, "2"); })},
      {"lvm_short", ".lvm: 12 bytes", eval_model("m.lvm"), 1, "magic \"LVMODEL1\" missing",
       file("m.lvm", std::string("LVMODEL1\x10\0\0\0", 12))},
      {"lvm_header_size_lies", ".lvm: header length 2^63", eval_model("m.lvm"), 1,
       "truncated model file (header of",
       model_bytes([](std::string m) { return patch(m, 8, le(1ull << 63, 8)); })},
      {"lvm_header_not_json", ".lvm: header is not JSON", eval_model("m.lvm"), 1,
       "header is not valid JSON", file("m.lvm", "LVMODEL1" + le(5, 8) + "{oops" + le(0, 4))},
      {"lvm_header_array", ".lvm: header is a JSON array", eval_model("m.lvm"), 1,
       "lacks \"format\"", file("m.lvm", fix_crc("LVMODEL1" + le(5, 8) + "[1,2]" + le(0, 4)))},
      {"lvm_format_other", ".lvm: \"format\" is another program's", eval_model("m.lvm"), 1,
       "is not \"lowvolt-model\"", model([](json& h) { h["format"] = "pytorch"; })},
      {"lvm_version_3", ".lvm: version 3", eval_model("m.lvm"), 1,
       "model file version 3 is not 1 or 2", model([](json& h) { h["version"] = 3; })},
      {"lvm_version_string", ".lvm: version \"2\" (a string)", eval_model("m.lvm"), 1,
       "\"version\" is not an integer", model([](json& h) { h["version"] = "2"; })},
      {"lvm_crc_flip", ".lvm: one weight byte flipped", eval_model("m.lvm"), 1,
       "corrupt or truncated model file", model_bytes([](std::string m) {
         m[m.size() / 2] ^= 0x10;
         return m;
       })},
      {"lvm_truncated", ".lvm: cut in half", eval_model("m.lvm"), 1,
       "corrupt or truncated model file",
       model_bytes([](std::string m) { return m.substr(0, m.size() / 2); })},
      {"lvm_trailing_bytes", ".lvm: 100 bytes appended", eval_model("m.lvm"), 1,
       "corrupt or truncated model file",
       model_bytes([](std::string m) { return m + std::string(100, 'x'); })},
      {"lvm_classes_huge", ".lvm: classes = 10^7", eval_model("m.lvm"), 1,
       "weights, the file holds", model([](json& h) { h["model"]["classes"] = 10000000; })},
      {"lvm_height_negative", ".lvm: input height −28", eval_model("m.lvm"), 1, "got -28×28",
       model([](json& h) { h["model"]["height"] = -28; })},
      {"lvm_height_2e9", ".lvm: input height 2·10^9", eval_model("m.lvm"), 1,
       "needs 28672000020426 weights", model([](json& h) { h["model"]["height"] = 2000000000; })},
      {"lvm_width_string", ".lvm: model.width is a string", eval_model("m.lvm"), 1,
       "\"model.width\" has the wrong type", model([](json& h) { h["model"]["width"] = "wide"; })},
      {"lvm_width_zero", ".lvm: model.width 0", eval_model("m.lvm"), 1, "width",
       model([](json& h) { h["model"]["width"] = 0; })},
      {"lvm_bits_9", ".lvm: quant.bits 9", eval_model("m.lvm"), 1, "bits",
       model([](json& h) { h["quant"]["bits"] = 9; })},
      {"lvm_bits_fraction", ".lvm: quant.bits 8.5", eval_model("m.lvm"), 1,
       "\"quant.bits\" is not an integer", model([](json& h) { h["quant"]["bits"] = 8.5; })},
      {"lvm_bits_huge", ".lvm: quant.bits 2^40+8", eval_model("m.lvm"), 1,
       "\"quant.bits\" = 1099511627784 is out of range",
       model([](json& h) { h["quant"]["bits"] = (1ull << 40) + 8; })},
      {"lvm_wmax_negative", ".lvm: quant.wmax −1", eval_model("m.lvm"), 1, "wmax",
       model([](json& h) { h["quant"]["wmax"] = -1.0; })},
      {"lvm_arch_unknown", ".lvm: arch \"resnet\"", eval_model("m.lvm"), 1, "resnet",
       model([](json& h) { h["model"]["arch"] = "resnet"; })},
      {"lvm_norm_unknown", ".lvm: norm \"ln\"", eval_model("m.lvm"), 1, "ln",
       model([](json& h) { h["model"]["norm"] = "ln"; })},
      {"lvm_model_missing", ".lvm: no \"model\" object", eval_model("m.lvm"), 1, "lacks \"model\"",
       model([](json& h) { h.erase("model"); })},
      {"lvm_tensor_missing", ".lvm: a tensor left out", eval_model("m.lvm"), 1, "is missing",
       model([](json& h) { h["tensors"].erase(h["tensors"].begin()); })},
      {"lvm_tensor_shape_wrong", ".lvm: a weight's shape transposed", eval_model("m.lvm"), 1,
       "has shape", model([](json& h) {
         auto& s = h["tensors"][0]["shape"];
         s = json::array({s[1], s[0], s[2], s[3]});
       })},
      {"lvm_tensor_dim_negative", ".lvm: a dimension −1", eval_model("m.lvm"), 1,
       "has a negative dimension", model([](json& h) { h["tensors"][0]["shape"][0] = -1; })},
      {"lvm_tensor_shape_overflow", ".lvm: shape [2^32, 2^32] (product wraps to 0)",
       eval_model("m.lvm"), 1, "shape holds more elements than the file has data",
       model([](json& h) {
         h["tensors"][0]["shape"] = json::array({1ull << 32, 1ull << 32});
       })},
      {"lvm_tensor_offset_past_end", ".lvm: offset past the data", eval_model("m.lvm"), 1,
       "ends past the data", model([](json& h) { h["tensors"][0]["offset"] = 1ull << 40; })},
      {"lvm_tensor_offset_fraction", ".lvm: offset 1.5", eval_model("m.lvm"), 1,
       "\"tensors[].offset\" is not an integer",
       model([](json& h) { h["tensors"][0]["offset"] = 1.5; })},
      {"lvm_tensors_overlap", ".lvm: one tensor listed 5000 times (a 1.7 MB file claiming 8 GB)",
       eval_model("m.lvm"), 1, "(tensors overlap)", model([](json& h) {
         json big = json::array();
         for (int i = 0; i < 5000; ++i)
           big.push_back({{"name", "t" + std::to_string(i)},
                          {"dtype", "float32"},
                          {"shape", json::array({400000})},
                          {"offset", 0}});
         h["tensors"] = big;
       })},
      {"lvm_dtype_float64", ".lvm: dtype float64", eval_model("m.lvm"), 1, "is not float32",
       model([](json& h) { h["tensors"][0]["dtype"] = "float64"; })},
      {"lvm_metrics_string", ".lvm: a metric is a string", eval_model("m.lvm"), 1,
       "\"metrics\" has the wrong type",
       model([](json& h) { h["metrics"]["test_error"] = "low"; })},
      {"lvm_header_invalid_utf8", ".lvm: header string with bytes 0xff 0xfe", eval_model("m.lvm"),
       1, "header is not valid JSON", model_bytes([](std::string m) {
         const auto at = m.find("lowvolt-model");
         return fix_crc(patch(m, at, "\xff\xfe"));
       })},
      // ---------------------------------------------------------------- chip profiles (.lvp)
      {"lvp_missing", ".lvp: no such file", show("none.lvp"), 1, "none.lvp", {}},
      {"lvp_folder", ".lvp: a folder", show("p.lvp"), 1, "p.lvp", folder("p.lvp")},
      {"lvp_fifo", ".lvp: a FIFO (must not block)", show("p.lvp"), 1, "p.lvp", fifo("p.lvp")},
      {"lvp_empty", ".lvp: empty file", show("p.lvp"), 1, "not a LowVolt chip profile",
       file("p.lvp", "")},
      {"lvp_bad_magic", ".lvp: wrong magic", show("p.lvp"), 1, "not a LowVolt chip profile",
       profile_bytes([](std::string s) { return patch(s, 0, "LOWVOLTQ"); })},
      {"lvp_version_2", ".lvp: version 2", show("p.lvp"), 1, "format version 2 is not supported",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 8, le(2, 4))); })},
      {"lvp_zero_rows", ".lvp: rows 0", show("p.lvp"), 1, "p.lvp",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 16, le(0, 4))); })},
      {"lvp_geometry_too_big", ".lvp: 65536 × 65536 × 65536 cells", show("p.lvp"), 1, "p.lvp",
       profile_bytes([](std::string s) {
         return fix_crc(patch(s, 12, le(65536, 4) + le(65536, 4) + le(65536, 4)));
       })},
      {"lvp_geometry_lies", ".lvp: header says 16 × 512 × 64, file holds 128 cells", show("p.lvp"),
       1, "truncated file", profile_bytes([](std::string s) {
         return fix_crc(patch(s, 12, le(16, 4) + le(512, 4) + le(64, 4)));
       })},
      {"lvp_truncated", ".lvp: last 50 bytes cut", show("p.lvp"), 1, "truncated file",
       profile_bytes([](std::string s) { return s.substr(0, s.size() - 50); })},
      {"lvp_trailing_bytes", ".lvp: 7 bytes appended", show("p.lvp"), 1,
       "unexpected bytes after the cell data",
       profile_bytes([](std::string s) { return s + "garbage"; })},
      {"lvp_crc", ".lvp: one cell code changed", show("p.lvp"), 1, "checksum mismatch",
       profile_bytes([cells](std::string s) {
         s[std::stoul(cells)] ^= 1;
         return s;
       })},
      {"lvp_kind_3", ".lvp: failure kind 3", show("p.lvp"), 1, "has failure kind 3",
       profile_bytes([](std::string s) {
         s[s.size() - 5] = 3;
         return fix_crc(s);
       })},
      {"lvp_nparams_11", ".lvp: 11 model parameters", show("p.lvp"), 1,
       "declares 11 model parameters",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 28, le(11, 4))); })},
      {"lvp_param_nan", ".lvp: mu = NaN", show("p.lvp"), 1, "chip parameter mu=nan",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 40, f64(std::nan("")))); })},
      {"lvp_param_range", ".lvp: sigma = 5", show("p.lvp"), 1, "chip parameter sigma=5 is outside",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 48, f64(5.0))); })},
      {"lvp_leakage_negative", ".lvp: leakage −1", show("p.lvp"), 1,
       "energy leakage -1 is out of range",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 120, f64(-1.0))); })},
      {"lvp_provenance_too_long", ".lvp: provenance length 2^31", show("p.lvp"), 1, "is too long",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 128, le(1u << 31, 4))); })},
      {"lvp_provenance_lies", ".lvp: provenance length 4000 in a 600-byte file", show("p.lvp"), 1,
       "ends inside the provenance",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 128, le(4000, 4))); })},
      {"lvp_observations_too_many", ".lvp: 70000 observations", show("p.lvp"), 1,
       "observations is too many",
       profile_bytes([](std::string s) { return fix_crc(patch(s, 148, le(70000, 4))); })},
      {"lvp_observation_impossible",
       ".lvp: an observation with more failing cells than the chip has", show("p.lvp"), 1,
       "is impossible for 128 cells", profile_bytes([](std::string s) {
         return fix_crc(s.substr(0, 148) + le(1, 4) + le(3000, 2) + le(0, 2) + le(500, 8) +
                        le(0, 8) + s.substr(152));
       })},
      {"eval_profile_bad", "eval --profile: the profile is truncated",
       kEval + " --profile p.lvp --vdd 0.9", 1, "truncated file",
       profile_bytes([](std::string s) { return s.substr(0, 100); })},
      {"curve_profile_bad", "curve --profile: bad magic",
       "curve --model " + kModel + " --profile p.lvp --vdd 0.9 --data data", 1,
       "not a LowVolt chip profile",
       profile_bytes([](std::string s) { return patch(s, 0, "XX"); })},
      // ---------------------------------------------------------------- failing-cell lists (CSV)
      {"csv_missing", "list: no such file", import_list("none.csv"), 1, "none.csv", {}},
      {"csv_fifo", "list: a FIFO (must not block)", import_list("l.csv"), 1,
       "l.csv: not a regular file", fifo("l.csv")},
      {"csv_empty", "list: empty file", import_list("l.csv"), 1, "empty file", file("l.csv", "")},
      {"csv_bad_header", "list: header vdd,arr,row,col,flip", import_list("l.csv"), 1,
       "expected the header", file("l.csv", "vdd,arr,row,col,flip\n0.8,0,0,0,0to1\n")},
      {"csv_field_count", "list: a line with 4 fields", import_list("l.csv"), 1,
       "expected 6 fields, got 4", csv("0.8,0,0,0\n")},
      {"csv_vdd_text", "list: vdd \"high\"", import_list("l.csv"), 1, "vdd 'high' is not a number",
       csv("high,0,0,0,0to1,1\n")},
      {"csv_vdd_nan", "list: vdd nan", import_list("l.csv"), 1, "vdd 'nan' is not a number",
       csv("nan,0,0,0,0to1,1\n")},
      {"csv_vdd_negative", "list: vdd −0.8", import_list("l.csv"), 1,
       "l.csv:2: supply voltage -0.8", csv("-0.8,0,0,0,0to1,1\n")},
      {"csv_vdd_zero", "list: vdd 0", import_list("l.csv"), 1, "l.csv:2", csv("0,0,0,0,0to1,1\n")},
      {"csv_vdd_huge", "list: vdd 1e300", import_list("l.csv"), 1, "l.csv:2: supply voltage 1e+300",
       csv("1e300,0,0,0,0to1,1\n")},
      {"csv_index_negative", "list: row −1", import_list("l.csv"), 1,
       "row '-1' is not a non-negative integer", csv("0.8,0,-1,0,0to1,1\n")},
      {"csv_index_2p32", "list: col 2^32", import_list("l.csv"), 1,
       "col '4294967296' is not a non-negative integer", csv("0.8,0,0,4294967296,0to1,1\n")},
      {"csv_index_fraction", "list: array 1.5", import_list("l.csv"), 1,
       "array '1.5' is not a non-negative integer", csv("0.8,1.5,0,0,0to1,1\n")},
      {"csv_flip_bad", "list: flip \"up\"", import_list("l.csv"), 1,
       "flip 'up' must be 0to1 or 1to0", csv("0.8,0,0,0,up,1\n")},
      {"csv_rate_above_1", "list: rate 1.5", import_list("l.csv"), 1, "rate 1.5 is outside [0, 1]",
       csv("0.8,0,0,0,0to1,1.5\n")},
      {"csv_rate_nan", "list: rate nan", import_list("l.csv"), 1, "rate 'nan' is not a number",
       csv("0.8,0,0,0,0to1,nan\n")},
      {"csv_infers_huge", "list: one cell at array 4·10^9 (would infer a 12 GiB chip)",
       import_list("l.csv"), 1, "an import infers",
       csv("0.8,4000000000,4000000000,4000000000,0to1,1\n")},
      {"csv_outside_geometry", "list: row 9 with --rows 8",
       import_list("l.csv") + " --arrays 1 --rows 8 --cols 8", 1, "is outside the geometry",
       csv("0.8,0,9,0,0to1,1\n")},
      // ---------------------------------------------------------------- fault-map matrices
      {"mat_dir_missing",
       "matrices: no such folder",
       "profile import --matrix-dir nomaps -o out.lvp",
       1,
       "cannot list the folder",
       {}},
      {"mat_dir_empty", "matrices: folder without fmap_* files",
       "profile import --matrix-dir maps -o out.lvp", 1, "no fmap_{sa0,sa1,flip}_v_<V>.txt files",
       folder("maps")},
      {"mat_ragged", "matrices: rows of 3 and 2 entries",
       "profile import --matrix-dir maps -o out.lvp", 1, "2 entries, the first row has 3",
       matrices({{"fmap_sa0_v_0.8.txt", "1,0,1\n0,1\n"}})},
      {"mat_entry_text", "matrices: entry \"x\"", "profile import --matrix-dir maps -o out.lvp", 1,
       "entry 'x' is not a number", matrices({{"fmap_sa0_v_0.8.txt", "1,0\nx,1\n"}})},
      {"mat_entry_above_1", "matrices: entry 2", "profile import --matrix-dir maps -o out.lvp", 1,
       "entry 2 is outside [0, 1]", matrices({{"fmap_sa1_v_0.8.txt", "1,0\n2,1\n"}})},
      {"mat_entry_nan", "matrices: entry nan", "profile import --matrix-dir maps -o out.lvp", 1,
       "entry 'nan' is not a number", matrices({{"fmap_flip_v_0.8.txt", "nan,0\n"}})},
      {"mat_shape_mismatch", "matrices: 2 × 2 and 2 × 3 maps",
       "profile import --matrix-dir maps -o out.lvp", 1, "entries, but",
       matrices({{"fmap_sa0_v_0.8.txt", "1,0\n0,1\n"}, {"fmap_sa0_v_0.7.txt", "1,0,1\n0,1,1\n"}})},
      {"mat_rows_not_multiple", "matrices: 4 lines with --rows 3",
       "profile import --matrix-dir maps --rows 3 -o out.lvp", 1,
       "is not a multiple of 3 rows per array",
       matrices({{"fmap_sa0_v_0.8.txt", "1,0\n0,1\n1,1\n0,0\n"}})},
      {"mat_no_rows", "matrices: only a comment", "profile import --matrix-dir maps -o out.lvp", 1,
       "no rows", matrices({{"fmap_sa0_v_0.8.txt", "# nothing\n"}})},
      {"mat_cols_conflict", "matrices: 2 columns with --cols 5",
       "profile import --matrix-dir maps --cols 5 -o out.lvp", 1, "but --cols says 5",
       matrices({{"fmap_sa0_v_0.8.txt", "1,0\n0,1\n"}})},
      {"mat_spec_no_voltage", "--sa0 FILE without V=", "profile import --sa0 m.txt -o out.lvp", 2,
       "expected V=FILE", file("m.txt", "1,0\n")},
      {"mat_spec_bad_voltage", "--sa0 abc=FILE", "profile import --sa0 abc=m.txt -o out.lvp", 2,
       "abc", file("m.txt", "1,0\n")},
      // ---------------------------------------------------------------- IDX data (MNIST format)
      {"idx_folder_missing", "data: no such folder", eval_data("nodata"), 1, "nodata", {}},
      {"idx_files_missing", "data: folder without IDX files", eval_data("bad"), 1, "neither",
       folder("bad")},
      {"idx_bad_magic", "IDX: magic bytes 1,2", eval_data("bad"), 1, "not an IDX file",
       data_files("\x01\x02\x08\x03" + images(20).substr(4), labels(20))},
      {"idx_float_type", "IDX: element type 0x0D (float)", eval_data("bad"), 1,
       "is not unsigned byte",
       data_files(idx({20, 28, 28}, std::string(20 * 784, '\0'), 0x0D), labels(20))},
      {"idx_rank_0", "IDX: rank 0", eval_data("bad"), 1, "IDX rank 0 is not in 1..4",
       data_files(std::string("\0\0\x08\0", 4), labels(20))},
      {"idx_header_truncated", "IDX: 6 bytes", eval_data("bad"), 1, "truncated IDX",
       data_files(std::string("\0\0\x08\x03\0\0", 6), labels(20))},
      {"idx_payload_truncated", "IDX: 20 images announced, 19.5 present", eval_data("bad"), 1,
       "truncated IDX payload", data_files(images(20).substr(0, 16 + 19 * 784 + 392), labels(20))},
      {"idx_count_lies", "IDX: header claims 2·10^7 images in a 16 KB file", eval_data("bad"), 1,
       "truncated IDX payload",
       data_files(idx({20000000u, 28, 28}, std::string(784 * 20, '\0')), labels(20))},
      {"idx_dims_implausible", "IDX: 65535 × 65535 × 65535", eval_data("bad"), 1,
       "implausibly large", data_files(idx({65535, 65535, 65535}, ""), labels(20))},
      {"idx_count_mismatch", "IDX: 20 images, 19 labels", eval_data("bad"), 1,
       "holds 20 images but", data_files(images(20), labels(19))},
      {"idx_label_10", "IDX: label 10", eval_data("bad"), 1, "label 10 at index 0 is not in 0..9",
       data_files(images(20), idx({20}, "\x0a" + std::string(19, '\x01')))},
      {"idx_labels_rank_2", "IDX: labels of rank 2", eval_data("bad"), 1,
       "expected a 1-dimensional label array",
       data_files(images(20), idx({20, 1}, std::string(20, '\x01')))},
      {"idx_images_rank_1", "IDX: images of rank 1", eval_data("bad"), 1,
       "expected a 3-dimensional image array",
       data_files(idx({20}, std::string(20, '\x01')), labels(20))},
      {"idx_image_size", "IDX: 8 × 8 images for a 28 × 28 model", eval_data("bad"), 1,
       "the model expects 1×28×28", data_files(images(20, 8, 8), labels(20))},
      {"idx_gz_corrupt", "IDX .gz: deflate stream damaged", eval_data("bad"), 1,
       "corrupt gzip data",
       [](const Fixture& f) {
         data_files(images(20), labels(20), true)(f);
         std::string gz = gzip(images(20));
         for (std::size_t i = 20; i < 40; ++i) gz[i] = '\xff';
         f.write("bad/t10k-images-idx3-ubyte.gz", gz);
       }},
      {"idx_gz_truncated", "IDX .gz: cut after 30 bytes", eval_data("bad"), 1, "corrupt gzip data",
       [](const Fixture& f) {
         data_files(images(20), labels(20), true)(f);
         f.write("bad/t10k-images-idx3-ubyte.gz", gzip(images(20)).substr(0, 30));
       }},
      {"idx_gz_bomb", "IDX .gz: 1 MB gzip whose header claims 1 GB of images", eval_data("bad"), 1,
       "decompression bomb",
       data_files(idx({1300000, 28, 28}, std::string(1 << 20, '\0')), labels(20), true)},
      {"idx_fifo", "IDX: the image file is a FIFO (must not block)", eval_data("bad"), 1,
       "not a regular file",
       [](const Fixture& f) {
         f.mkdir("bad");
         f.fifo("bad/t10k-images-idx3-ubyte");
         f.write("bad/t10k-labels-idx1-ubyte", labels(20));
       }},
      {"dataset_unknown",
       "--dataset imagenet (exit 1, not 2: host/cli)",
       kEval + " --dataset imagenet",
       1,
       "unknown data set 'imagenet'",
       {}},
      // ------------------------------------------ torch archives (torch_archive_check.cpp)
      {"pt_data_string_length", "data set .pt: a pickle string claiming 2 GiB (LibTorch reserved it)",
       data_pt_eval, 1, "data.pkl: byte 6: a string of 2147483647 bytes, but",
       data_pt([](std::string z) {
         return zip_edit(z, "data.pkl", std::string("X\x06\x00\x00\x00images", 11),
                         std::string("X\xff\xff\xff\x7fimages", 11));
       })},
      {"pt_data_storage_numel", "data set .pt: a storage of 64 floats backed by 32 bytes",
       data_pt_eval, 1, "tensor storage '0' claims 64 elements of 4 bytes, but its record data/0 holds 32 bytes",
       data_pt([](std::string z) {
         return zip_edit(z, "data.pkl", std::string("cpuq\x06K\x08", 7), std::string("cpuq\x06K\x40", 7));
       })},
      {"pt_data_memo_index", "data set .pt: a memo index far past the last", data_pt_eval, 1,
       "memo index 9 skips past the 1 stored",
       data_pt([](std::string z) {
         return zip_edit(z, "data.pkl", std::string("imagesq\x01", 8), std::string("imagesq\x09", 8));
       })},
      {"pt_data_zip_size", "data set .pt: a zip entry stating 2 GiB for 32 bytes", data_pt_eval, 1,
       "data/0: stored record states 2147483647 bytes but holds 32",
       data_pt([](std::string z) { return zip_sizes(z, "data/0", 32, 0x7fffffff); })},
      {"pt_script_storage_numel", "TorchScript: a weight storage of 127 floats backed by 72 bytes",
       eval_model("m.pt"), 1, "tensor storage '0' claims 127 elements of 4 bytes, but its record data/0 holds 72 bytes",
       script_pt([](std::string z) {
         return zip_edit(z, "data.pkl", std::string("cpuq\nK\x12", 7), std::string("cpuq\nK\x7f", 7));
       })},
      {"pt_script_fuzz_oom", "TorchScript: the fuzzer's input that made LibTorch allocate 2 GB (finding-oom-8e0b2247)",
       eval_model("m.pt"), 1, "normalization.py: zip local header outside the file or corrupt",
       [](const Fixture& f) { f.write("m.pt", corpus_archive(f, "torchscript/finding-oom-8e0b2247")); }},
      {"pt_script_fuzz_segv", "TorchScript: the fuzzer's input that crashed LibTorch's parser (finding-segv-c558dc8b)",
       eval_model("m.pt"), 1, "functional.py: PytorchStreamReader failed locating file code/__tor\\x01: file not found",
       [](const Fixture& f) { f.write("m.pt", corpus_archive(f, "torchscript/finding-segv-c558dc8b")); }},
      {"pt_script_fuzz_segv_parser", "TorchScript: a corrupt code record that crashed LibTorch's TorchScript parser (finding-segv-12316cdb)",
       eval_model("m.pt"), 1, "is corrupt (its CRC-32 is f582c31b, the archive says 7f1f0808)",
       [](const Fixture& f) { f.write("m.pt", corpus_archive(f, "torchscript/finding-segv-12316cdb")); }},
      // ---------------------------------------------------------------- CIFAR-10 binaries
      {"cifar_folder_missing", "CIFAR-10: no such folder", cifar_eval("noc"), 1, "noc", {}},
      {"cifar_no_batch", "CIFAR-10: folder without test_batch.bin", cifar_eval("c"), 1,
       "no CIFAR-10 batch file", folder("c")},
      {"cifar_size", "CIFAR-10: 3000 bytes", cifar_eval("c"), 1,
       "size 3000 bytes is not a positive multiple of the 3073-byte CIFAR-10 record",
       cifar(std::string(3000, '\0'))},
      {"cifar_empty", "CIFAR-10: empty batch file", cifar_eval("c"), 1, "size 0 bytes", cifar("")},
      {"cifar_label_10", "CIFAR-10: label 10", cifar_eval("c"), 1,
       "CIFAR-10 label 10 is not in 0..9", cifar(cifar_record(3) + cifar_record(10))},
      {"cifar_for_mnist_model", "CIFAR-10 data for a 1 × 28 × 28 model", cifar_eval("c"), 1, "",
       cifar(cifar_record(3) + cifar_record(4))},
      // ---------------------------------------------------------------- pattern files (LVPATT01)
      {"patt_missing",
       "pattern: no such file",
       kEval + " --pattern none.lvpatt",
       1,
       "none.lvpatt",
       {}},
      {"patt_bad_magic", "pattern: wrong magic", kEval + " --pattern p.lvpatt", 1,
       "bad magic or too short",
       patt("LVPATT02" + pattern(8, 1, 1, std::string(3, '\0')).substr(8))},
      {"patt_short", "pattern: 10 bytes", kEval + " --pattern p.lvpatt", 1,
       "bad magic or too short", patt(std::string("LVPATT01\x08\0", 10))},
      {"patt_bits_0", "pattern: bits 0", kEval + " --pattern p.lvpatt", 1, "bits=0 outside 1..32",
       patt(pattern(0, 1, 1, std::string(3, '\0')))},
      {"patt_bits_33", "pattern: bits 33", kEval + " --pattern p.lvpatt", 1,
       "bits=33 outside 1..32", patt(pattern(33, 4, 1, std::string(12, '\0')))},
      {"patt_width", "pattern: 2 bytes per element for bits 8", kEval + " --pattern p.lvpatt", 1,
       "2 bytes per element do not match bits=8", patt(pattern(8, 2, 1, std::string(6, '\0')))},
      {"patt_numel_lies", "pattern: numel 2^62 in a 30-byte file", kEval + " --pattern p.lvpatt", 1,
       "does not match numel=4611686018427387904",
       patt(pattern(8, 1, 1ull << 62, std::string(6, '\0')))},
      {"patt_mask_bits", "pattern: bits 4, a mask with bit 4 set", kEval + " --pattern p.lvpatt", 1,
       "fixed pattern file p.lvpatt", patt(pattern(4, 1, 1, std::string("\x10\0\0", 3)))},
      {"patt_numel_model", "pattern: 4 elements for a model of 400 000 weights",
       kEval + " --pattern p.lvpatt", 1, "pattern covers 4 words of 8 bits",
       patt(pattern(8, 1, 4, std::string(12, '\0')))},
      {"patt_and_own", "--pattern with --own-pattern", kEval + " --pattern p.lvpatt --own-pattern",
       2, "exclude each other", patt(pattern(8, 1, 4, std::string(12, '\0')))},
      // ---------------------------------------------------------------- options
      {"opt_unknown_subcommand", "unknown subcommand", "frobnicate", 2, "frobnicate", {}},
      {"opt_unknown_option", "eval --frob", kEval + " --frob", 2, "frob", {}},
      {"opt_missing_value",
       "eval --samples without a value",
       kEvalBase + " --samples",
       2,
       "samples",
       {}},
      {"opt_samples_text", "--samples x", kEvalBase + " --samples x", 2, "--samples", {}},
      {"opt_samples_negative", "--samples -1", kEvalBase + " --samples -1", 2, "samples", {}},
      {"opt_samples_zero", "--samples 0", kEvalBase + " --samples 0", 2, "samples", {}},
      {"opt_p_nan", "--p nan", kEvalBase + " --p nan", 2, "--p", {}},
      {"opt_p_above_1", "--p 2", kEvalBase + " --p 2", 2, "--p", {}},
      {"opt_p_150_percent", "--p 150%", kEvalBase + " --p 150%", 2, "--p", {}},
      {"opt_p_empty_item", "--p 1%,,2%", kEvalBase + " --p 1%,,2%", 2, "--p", {}},
      {"opt_threads_text", "--threads abc", kEval + " --threads abc", 2, "--threads", {}},
      {"opt_test_subset_negative",
       "--test-subset -5",
       kEval + " --test-subset -5",
       2,
       "--test-subset",
       {}},
      {"opt_seed_negative",
       "--seed -1: accepted, wraps to 2^64 − 1 (host/cli)",
       kEval + " --seed -1 --json",
       0,
       "",
       {}},
      {"opt_seed_overflow", "--seed 2^64", kEval + " --seed 18446744073709551616", 2, "--seed", {}},
      {"opt_delta_zero", "--delta 0", kEval + " --delta 0", 2, "delta", {}},
      {"opt_batch_negative", "eval --batch-size -1", kEval + " --batch-size -1", 2, "batch", {}},
      {"opt_backend_unknown", "--backend fpga", kEval + " --profile p.lvp --vdd 0.9 --backend fpga",
       2, "fpga", with_profile},
      {"opt_vdd_without_profile",
       "eval --vdd without --profile",
       kEval + " --vdd 0.9",
       2,
       "need '--profile'",
       {}},
      {"opt_profile_without_vdd", "eval --profile without --vdd", kEval + " --profile p.lvp", 2,
       "'--profile' needs '--vdd'", with_profile},
      {"opt_vdd_nan", "--vdd nan", kEval + " --profile p.lvp --vdd nan", 2, "vdd", with_profile},
      {"opt_vdd_negative", "--vdd -0.9", kEval + " --profile p.lvp --vdd -0.9", 2, "vdd",
       with_profile},
      {"opt_mappings_zero", "--mappings 0", kEval + " --profile p.lvp --vdd 0.9 --mappings 0", 2,
       "mappings", with_profile},
      {"opt_profile_and_pattern", "--profile with --pattern",
       kEval + " --profile p.lvp --vdd 0.9 --pattern p.lvp", 2, "'--profile' excludes",
       with_profile},
      {"train_epochs_zero", "train --epochs 0", kTrain + " --epochs 0", 2, "epochs", {}},
      {"train_bits_9",
       "train --bits 9 (an out-of-range option value: exit 2)",
       kTrain + " --bits 9",
       2,
       "bits=9 is not supported",
       {}},
      {"train_bits_1",
       "train --bits 1 (an out-of-range option value: exit 2)",
       kTrain + " --bits 1",
       2,
       "bits=1 is not supported",
       {}},
      {"train_lr_negative", "train --lr -0.1", kTrain + " --lr -0.1", 2, "lr", {}},
      {"train_lr_nan", "train --lr nan", kTrain + " --lr nan", 2, "lr", {}},
      {"train_lr_inf", "train --lr inf", kTrain + " --lr inf", 2, "lr", {}},
      {"train_batch_zero", "train --batch-size 0", kTrain + " --batch-size 0", 2, "batch", {}},
      {"train_method_unknown", "train --method magic", kTrain + " --method magic", 2, "magic", {}},
      {"train_quant_unknown",
       "train --quant float (an out-of-range option value: exit 2)",
       kTrain + " --quant float",
       2,
       "quantization preset 'float' is unknown",
       {}},
      {"train_arch_unknown",
       "train --arch resnet (exit 1, not 2: host/cli)",
       kTrain + " --arch resnet",
       1,
       "unknown architecture 'resnet'",
       {}},
      {"train_norm_unknown",
       "train --norm ln (exit 1, not 2: host/cli)",
       kTrain + " --norm ln",
       1,
       "unknown normalization 'ln'",
       {}},
      {"train_wmax_negative", "train --wmax -1", kTrain + " --wmax -1", 2, "wmax", {}},
      {"train_p_above_1",
       "train --method randbet --p 3",
       kTrain + " --method randbet --p 3",
       2,
       "--p",
       {}},
      {"train_augment_bad", "train --augment maybe", kTrain + " --augment maybe", 2, "augment", {}},
      {"train_subset_negative",
       "train --train-subset -1",
       kTrain + " --train-subset -1",
       2,
       "train-subset",
       {}},
      {"train_missing_out",
       "train without --out",
       "train --data data --dataset mnist",
       2,
       "out",
       {}},
      {"train_save_pattern_normal",
       "train --save-pattern with --method normal",
       kTrain + " --save-pattern p.lvpatt",
       2,
       "save-pattern",
       {}},
      {"curve_vdd_step_zero", "curve --vdd 1.0:0.7:0",
       "curve --model " + kModel + " --profile p.lvp --vdd 1.0:0.7:0 --data data", 2, "vdd",
       with_profile},
      {"curve_budget_negative", "curve --budget -1",
       "curve --model " + kModel + " --profile p.lvp --vdd 0.9 --budget -1 --data data", 2,
       "budget", with_profile},
      {"curve_no_model", "curve without --model", "curve --profile p.lvp --vdd 0.9", 2, "model",
       with_profile},
      {"gen_preset_unknown",
       "profile generate --preset chip9",
       kGenerate + " --preset chip9 -o out.lvp",
       1,
       "unknown preset 'chip9'",
       {}},
      {"gen_set_text",
       "profile generate --set mu=abc",
       kGenerate + " --set mu=abc -o out.lvp",
       1,
       "'abc' is not a finite number",
       {}},
      {"gen_set_unknown",
       "profile generate --set foo=1",
       kGenerate + " --set foo=1 -o out.lvp",
       1,
       "unknown chip parameter 'foo'",
       {}},
      {"gen_set_range",
       "profile generate --set mu=9",
       kGenerate + " --set mu=9 -o out.lvp",
       1,
       "chip parameter mu=9 is outside",
       {}},
      {"gen_rows_zero",
       "profile generate --rows 0",
       "profile generate --rows 0 -o out.lvp",
       1,
       "has an empty dimension",
       {}},
      {"gen_rows_negative",
       "profile generate --rows -1: read as 4294967295 (host/cli)",
       "profile generate --rows -1 -o out.lvp",
       1,
       "4294967295",
       {}},
      {"gen_geometry_huge",
       "profile generate 65536 × 65536 × 65536",
       "profile generate --arrays 65536 --rows 65536 --cols 65536 -o out.lvp",
       1,
       "more than the limit of 4294967296",
       {}},
      {"gen_missing_out", "profile generate without -o", kGenerate, 2, "missing -o FILE.lvp", {}},
      {"gen_params_json_bad", "profile generate --preset params.json (not JSON)",
       kGenerate + " --preset params.json -o out.lvp", 1, "not valid JSON",
       file("params.json", "{mu: 1")},
      {"import_min_rate_1", "profile import --min-rate 1",
       "profile import --list l.csv --min-rate 1 -o out.lvp", 2,
       "option '--min-rate': must lie in [0, 1)", csv("0.8,0,0,0,0to1,1\n")},
      {"import_list_and_matrix", "profile import --list with --matrix-dir",
       "profile import --list l.csv --matrix-dir maps -o out.lvp", 2,
       "give either --list files or matrices",
       [](const Fixture& f) {
         csv("0.8,0,0,0,0to1,1\n")(f);
         matrices({{"fmap_sa0_v_0.8.txt", "1\n"}})(f);
       }},
      {"export_no_vdd", "profile export without --vdd", "profile export p.lvp --list out.csv", 2,
       "missing --vdd", with_profile},
      {"export_vdd_text", "profile export --vdd low",
       "profile export p.lvp --vdd low --list out.csv", 2, "vdd", with_profile},
      // ---------------------------------------------------------------- output paths
      {"out_dev_full",
       "profile generate -o /dev/full",
       kGenerate + " -o /dev/full",
       1,
       "/dev/full",
       {}},
      {"out_dev_null",
       "profile generate -o /dev/null",
       kGenerate + " -o /dev/null",
       1,
       "/dev/null",
       {}},
      {"out_folder", "profile generate -o a folder", kGenerate + " -o data", 1, "data", {}},
      {"out_fifo", "profile generate -o a FIFO (must not block)", kGenerate + " -o f.lvp", 1,
       "f.lvp", fifo("f.lvp")},
      {"out_missing_folder",
       "profile generate -o nofolder/x.lvp",
       kGenerate + " -o nofolder/x.lvp",
       1,
       "nofolder",
       {}},
      {"out_train_dev_full",
       "train --out /dev/full",
       "train --data data --dataset mnist --epochs 1 --out /dev/full",
       1,
       "/dev/full",
       {}},
      {"out_train_folder",
       "train --out a folder",
       "train --data data --dataset mnist --epochs 1 --out data",
       1,
       "data",
       {}},
      {"out_train_checkpoint_fifo", "train --checkpoint a FIFO", kTrain + " --checkpoint c.ckpt", 1,
       "c.ckpt", fifo("c.ckpt")},
      {"out_train_pattern_is_out",
       "train --save-pattern equal to --out: accepted, one output overwrites the other (host/cli)",
       kTrain + " --epochs 1 --method pattbet --save-pattern m.lvm --json",
       0,
       "",
       {}},
      {"ckpt_garbage", "train --resume from a checkpoint of garbage",
       kTrain + " --epochs 1 --checkpoint c.ckpt --resume", 1, "not a LowVolt checkpoint",
       file("c.ckpt", "garbage")},
      {"out_curve_csv_full", "curve --csv /dev/full",
       "curve --model " + kModel + " --profile p.lvp --vdd 0.9 --data data --csv /dev/full", 1,
       "/dev/full", with_profile},
      {"out_curve_plot_folder", "curve --plot a folder",
       "curve --model " + kModel + " --profile p.lvp --vdd 0.9 --data data --plot data", 1, "data",
       with_profile},
      {"out_export_list_fifo", "profile export --list a FIFO",
       "profile export p.lvp --vdd 0.9 --list f.csv", 1, "f.csv",
       [](const Fixture& f) {
         with_profile(f);
         f.fifo("f.csv");
       }},
      {"out_import_dev_null", "profile import -o /dev/null",
       "profile import --list l.csv -o /dev/null", 1, "/dev/null", csv("0.8,0,0,0,0to1,1\n")},
      // ---------------------------------------------------------------- non-UTF-8 bytes
      {"utf8_model_path",
       "model path with bytes 0xff 0xfe (missing)",
       eval_model("\"$(printf 'm\\377\\376.lvm')\""),
       1,
       ".lvm",
       {}},
      {"utf8_data_path",
       "data folder name with byte 0xff (missing)",
       eval_data("\"$(printf 'd\\377')\""),
       1,
       "data folder",
       {}},
      {"utf8_csv_field", "list: vdd field with bytes 0xff 0xfe", import_list("l.csv"), 1,
       "is not a number", csv("\xff\xfe,0,0,0,0to1,1\n")},
      {"utf8_option_value",
       "profile generate --preset with byte 0xff",
       kGenerate + " --preset \"$(printf 'x\\377')\" -o out.lvp",
       1,
       "unknown preset",
       {}},
      {"utf8_matrix_entry", "matrices: entry with byte 0xff",
       "profile import --matrix-dir maps -o out.lvp", 1, "is not a number",
       matrices({{"fmap_sa0_v_0.8.txt", "1,\xff\n"}})},
  };
}

}  // namespace lowvolt::reliability
