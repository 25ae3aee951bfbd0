// The torch archive check in front of LibTorch's readers (host/io/src/torch_archive_check.cpp):
// the tensor data-set and TorchScript readers refuse, with one line naming file and record, the
// sizes LibTorch 1.13 would trust — a string length past the pickle's end (LibTorch reserve()d
// 1.65 GB for it), a memo index far past the last, a stack-popping opcode on an empty stack, a
// storage whose element count its record cannot back, zip sizes the file cannot back — and still
// read every archive LibTorch and Python write.
#include <sys/types.h>  // off_t, which in_memory_adapter.h uses without including

#include <caffe2/serialize/in_memory_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "lowvolt/common/error.h"
#include "lowvolt/io/script_model.h"
#include "lowvolt/io/tensor_data.h"

namespace lowvolt::host {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("lowvolt_archive_check_" + name)).string();
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A valid data set as torch::pickle_save writes it: {"images": 2×1×2×2 float, "labels": [0, 1]}.
std::string valid_dataset_archive() {
  c10::Dict<std::string, at::Tensor> d;
  d.insert("images", torch::arange(8, torch::kFloat32).reshape({2, 1, 2, 2}) / 8);
  d.insert("labels", torch::tensor({0, 1}, torch::kInt64));
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(d));
  return std::string(bytes.begin(), bytes.end());
}

/// The records of an archive, by name without its top folder.
std::vector<std::pair<std::string, std::string>> records(const std::string& archive) {
  caffe2::serialize::PyTorchStreamReader reader(
      std::make_shared<caffe2::serialize::MemoryReadAdapter>(archive.data(), archive.size()));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : reader.getAllRecords()) {
    auto [ptr, size] = reader.getRecord(name);
    out.emplace_back(name, std::string(static_cast<const char*>(ptr.get()), size));
  }
  return out;
}

/// The same archive with data.pkl replaced (LibTorch's own zip writer: the zip layer is valid).
std::string with_pickle(const std::string& archive, const std::string& pickle) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t size) {
    out.append(static_cast<const char*>(data), size);
    return size;
  });
  for (const auto& [name, data] : records(archive)) {
    if (name == "version" || name == ".data/version") continue;  // the writer adds its own
    const std::string& body = name == "data.pkl" ? pickle : data;
    writer.writeRecord(name, body.data(), body.size());
  }
  writer.writeEndOfFile();
  return out;
}

std::string pickle_of(const std::string& archive) {
  for (const auto& [name, data] : records(archive))
    if (name == "data.pkl") return data;
  ADD_FAILURE() << "no data.pkl";
  return {};
}

/// The message load_tensor_dataset gives for `archive` ("" when it loads).
std::string dataset_error(const std::string& archive, const std::string& name) {
  const std::string path = temp_path(name + ".pt");
  write(path, archive);
  try {
    load_tensor_dataset(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string pickle_error(const std::string& pickle, const std::string& name) {
  return dataset_error(with_pickle(valid_dataset_archive(), pickle), name);
}

TEST(TorchArchiveCheck, ReadsWhatLibTorchWrites) {
  const std::string archive = valid_dataset_archive();
  EXPECT_EQ(dataset_error(archive, "valid"), "");
  // Rewritten through the test's own writer, unchanged: still valid (the controls below differ
  // from this only in the bytes they change).
  EXPECT_EQ(dataset_error(with_pickle(archive, pickle_of(archive)), "rewritten"), "");
}

TEST(TorchArchiveCheck, StringLongerThanThePickle) {
  // The fuzzers' finding: BINUNICODE with a length read from text; LibTorch reserve()d it.
  const std::string msg = pickle_error(std::string("\x80\x02X\xff\xff\xff\x7f" "abc.", 11), "binunicode");
  EXPECT_NE(msg.find("lowvolt_archive_check_binunicode.pt: data.pkl: byte 2: a string of 2147483647 bytes, "
                     "but 4 remain in the record"),
            std::string::npos)
      << msg;
  EXPECT_NE(pickle_error(std::string("\x80\x02\x8d\x00\x00\x00\x00\x00\x01\x00\x00.", 12), "binunicode8")
                .find("a string of 1099511627776 bytes"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02" "B\x10\x00\x00\x00" "ab.", 10), "binbytes").find("bytes of 16 bytes"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02\x8a\xff" "ab.", 7), "long1").find("a long integer of 255 bytes"),
            std::string::npos);
}

TEST(TorchArchiveCheck, MemoAndStack) {
  EXPECT_NE(pickle_error(std::string("\x80\x02Nr\xff\xff\xff\x7f.", 9), "put").find("byte 3: memo index 2147483647 skips past the 0 stored"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02Nq\x00h\x01.", 8), "get").find("memo index 1 not stored (1 stored)"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02" "a.", 4), "append").find("byte 2: needs 2 values on the stack"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02" "0.", 4), "pop").find("pops an empty stack"), std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02]N(a.", 7), "belowmark").find("needs 2 values"), std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02" "e.", 4), "nomark").find("no MARK to pop to"), std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02\xff.", 4), "opcode").find("byte 2: unknown pickle opcode 0xff"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02N", 3), "nostop").find("ends without the STOP opcode"),
            std::string::npos);
  EXPECT_NE(pickle_error(std::string("\x80\x02" "ctorch\nFloat", 12), "line").find("argument without its newline"),
            std::string::npos);
}

TEST(TorchArchiveCheck, StorageLargerThanItsRecord) {
  const std::string archive = valid_dataset_archive();
  std::string pickle = pickle_of(archive);
  // The images' persistent id ('storage', FloatStorage, '0', 'cpu', 8): the element count is the
  // first BININT1 after the first "cpu" string (possibly memoized by a BINPUT).
  std::size_t at = pickle.find("cpu");
  ASSERT_NE(at, std::string::npos);
  at += 3;
  if (pickle[at] == 'q') at += 2;
  ASSERT_EQ(pickle[at], 'K');
  ASSERT_EQ(static_cast<unsigned char>(pickle[at + 1]), 8u) << "expected the images' 8 elements";
  pickle[at + 1] = 9;
  const std::string msg = pickle_error(pickle, "numel");
  EXPECT_NE(msg.find(": data.pkl: byte "), std::string::npos) << msg;
  EXPECT_NE(msg.find("tensor storage '0' claims 9 elements of 4 bytes, but its record data/0 holds 32 bytes"),
            std::string::npos)
      << msg;
  pickle[at + 1] = 0;  // an empty storage under the 2×1×2×2 view: LibTorch skips its bounds check
  const std::string empty = pickle_error(pickle, "empty");
  EXPECT_NE(empty.find("a tensor of sizes [2, 1, 2, 2], strides [4, 4, 2, 1] and offset 0 reaches past its "
                       "storage of 0 elements"),
            std::string::npos)
      << empty;
  pickle[at] = 'J';  // BININT: 4 bytes, the next 3 of the pickle; negative when the last has bit 7
  pickle[at + 1] = 0;
  pickle.insert(at + 2, std::string("\x00\x00\x80", 3));
  EXPECT_NE(pickle_error(pickle, "negative").find("tensor storage '0' with an element count that is not a non-negative"),
            std::string::npos);
}

/// Byte offset of the central directory entry of the record whose name ends in `suffix`.
std::size_t central_entry(const std::string& zip, const std::string& suffix) {
  for (std::size_t at = zip.find("PK\x01\x02"); at != std::string::npos; at = zip.find("PK\x01\x02", at + 4)) {
    std::size_t name_len = static_cast<unsigned char>(zip[at + 28]) | static_cast<unsigned char>(zip[at + 29]) << 8;
    const std::string name = zip.substr(at + 46, name_len);
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return at;
  }
  ADD_FAILURE() << "no central entry for " << suffix;
  return 0;
}

TEST(TorchArchiveCheck, ZipSizesTheFileCannotBack) {
  const std::string archive = valid_dataset_archive();
  std::string lying = archive;
  const std::size_t e = central_entry(lying, "data/0");
  std::memcpy(&lying[e + 24], "\xff\xff\xff\x7f", 4);  // uncompressed size 2 GiB
  std::string msg = dataset_error(lying, "zipsize");
  EXPECT_NE(msg.find("data/0: stored record states 2147483647 bytes but holds 32"), std::string::npos) << msg;
  lying = archive;
  std::memcpy(&lying[e + 20], "\x00\x00\x00\x40", 4);  // compressed size 1 GiB
  std::memcpy(&lying[e + 24], "\x00\x00\x00\x40", 4);
  msg = dataset_error(lying, "zipdata");
  EXPECT_NE(msg.find("data/0: its 1073741824 stored bytes lie outside the"), std::string::npos) << msg;
  lying = archive;
  lying[e + 10] = 8;  // deflated, 2 GiB from 32 bytes
  std::memcpy(&lying[e + 24], "\xff\xff\xff\x7f", 4);
  msg = dataset_error(lying, "deflate");
  EXPECT_NE(msg.find("deflated record states 2147483647 bytes from 32 (deflate expands at most 1032-fold)"),
            std::string::npos)
      << msg;
  lying = archive;  // one bit of the images flipped: LibTorch does not check the zip's CRC-32
  const std::size_t local = static_cast<unsigned char>(lying[e + 42]) | static_cast<unsigned char>(lying[e + 43]) << 8;
  const std::size_t data = local + 30 + (static_cast<unsigned char>(lying[local + 26]) | static_cast<unsigned char>(lying[local + 27]) << 8) +
                           (static_cast<unsigned char>(lying[local + 28]) | static_cast<unsigned char>(lying[local + 29]) << 8);
  lying[data + 5] = static_cast<char>(lying[data + 5] ^ 0x10);
  msg = dataset_error(lying, "crc");
  EXPECT_NE(msg.find(": record data/0 is corrupt (its CRC-32 is "), std::string::npos) << msg;
  lying = archive;
  lying[lying.rfind("PK\x05\x06") + 10] = '\x7f';  // 127 entries in the same directory
  msg = dataset_error(lying, "count");
  EXPECT_NE(msg.find("zip central directory claims"), std::string::npos) << msg;
}

TEST(TorchArchiveCheck, TorchScriptArchives) {
  // A LibTorch module: data.pkl, constants.pkl and deflated code/ records with .debug_pkl.
  torch::jit::Module m("__torch__.Net");
  m.register_parameter("weight", torch::ones({2, 1, 3, 3}), false);
  m.define("def forward(self, x):\n  return torch.flatten(torch.conv2d(x, self.weight) * 0.5, 1)\n");
  std::ostringstream saved;
  m.save(saved);
  const std::string archive = saved.str();
  const std::string path = temp_path("script.pt");
  write(path, archive);
  ScriptModel model = load_script_model(path, MemoryRule::kAll);
  EXPECT_EQ(model.net->memory_parameters().size(), 1u);
  // Loaded without its debug records (without_debug_records), it computes what it computed.
  const torch::Tensor x = torch::randn({1, 1, 5, 5});
  torch::NoGradGuard no_grad;
  model.net->eval();
  EXPECT_TRUE(torch::equal(model.net->forward(x), m.forward({x}).toTensor()));

  // The parameter's storage claims more than its record: refused before LibTorch reads it.
  std::string lying = archive;
  const std::size_t e = central_entry(lying, "data/0");
  lying[e + 10] = 0;
  std::memcpy(&lying[e + 20], "\x08\x00\x00\x00", 4);  // the record now holds 8 bytes (2 floats)
  std::memcpy(&lying[e + 24], "\x08\x00\x00\x00", 4);
  write(path, lying);
  try {
    load_script_model(path, MemoryRule::kAll);
    ADD_FAILURE() << "a storage larger than its record loaded";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("tensor storage '0' claims 18 elements of 4 bytes, but its record "
                                           "data/0 holds 8 bytes"),
              std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace lowvolt::host
