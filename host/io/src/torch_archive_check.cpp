#include "lowvolt/io/torch_archive_check.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <caffe2/serialize/versions.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/crc32.h"
#include "lowvolt/common/error.h"
#include "lowvolt/nn/torch_error.h"

namespace lowvolt::host {
namespace {

std::uint64_t le(std::string_view b, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

/// A record name as messages show it: bytes outside printable ASCII as \xNN (one line, valid UTF-8).
std::string printable(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      static const char* hex = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

/// One zip entry as the central directory states it.
struct ZipEntry {
  std::string name;  // without the archive's top folder, as LibTorch's reader names records
  std::uint64_t size = 0;
  std::uint64_t method = 0, data = 0;  // compression method; offset of the (stored) bytes
  std::uint32_t crc = 0;               // the central directory's CRC-32 of the record
};

/// The central directory's entries, each checked against the file (see the header).
std::map<std::string, ZipEntry> zip_entries(const std::string& path, std::string_view b) {
  const std::size_t n = b.size();
  if (n < 22) fail(path, ": not a zip archive (", n, " bytes)");
  // The end-of-central-directory record: the last signature within 22 + 65535 bytes of the end.
  std::size_t eocd = std::string_view::npos;
  const std::size_t lowest = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  for (std::size_t at = n - 22 + 1; at-- > lowest;) {
    if (le(b, at, 4) == 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos) fail(path, ": zip archive without its end-of-central-directory record");
  std::uint64_t count = le(b, eocd + 10, 2), cd_size = le(b, eocd + 12, 4), cd_offset = le(b, eocd + 16, 4);
  if (count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (eocd < 20 || le(b, eocd - 20, 4) != 0x07064b50) fail(path, ": zip64 archive without its locator");
    const std::uint64_t z = le(b, eocd - 20 + 8, 8);
    if (z > n || n - z < 56 || le(b, z, 4) != 0x06064b50) {
      fail(path, ": zip64 end-of-central-directory record outside the file (offset ", z, ")");
    }
    count = le(b, z + 32, 8);
    cd_size = le(b, z + 40, 8);
    cd_offset = le(b, z + 48, 8);
  }
  if (cd_offset > n || cd_size > n - cd_offset) {
    fail(path, ": zip central directory (", cd_size, " bytes at ", cd_offset, ") outside the ", n, "-byte file");
  }
  if (count > cd_size / 46) fail(path, ": zip central directory claims ", count, " entries in ", cd_size, " bytes");
  std::map<std::string, ZipEntry> entries;
  std::string prefix;  // LibTorch names records relative to the first entry's folder
  std::size_t at = cd_offset;
  const std::size_t cd_end = cd_offset + cd_size;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (cd_end - at < 46 || le(b, at, 4) != 0x02014b50) fail(path, ": zip central directory entry ", i, " is corrupt");
    const std::uint64_t method = le(b, at + 10, 2);
    std::uint64_t packed = le(b, at + 20, 4), size = le(b, at + 24, 4), local = le(b, at + 42, 4);
    const std::size_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2), note_len = le(b, at + 32, 2);
    if (cd_end - at - 46 < name_len + extra_len + note_len) fail(path, ": zip central directory entry ", i, " is truncated");
    const std::string full(b.substr(at + 46, name_len));
    const std::string shown = printable(full);  // for messages
    // zip64: the sizes and offset that read 0xffffffff follow in extra field 0x0001, in this order.
    for (std::size_t e = at + 46 + name_len; e + 4 <= at + 46 + name_len + extra_len;) {
      const std::uint64_t id = le(b, e, 2), len = le(b, e + 2, 2);
      if (e + 4 + len > at + 46 + name_len + extra_len) fail(path, ": ", shown, ": corrupt zip extra field");
      if (id == 1) {
        std::size_t f = e + 4;
        for (std::uint64_t* v : {&size, &packed, &local}) {
          if (*v != 0xffffffff) continue;
          if (f + 8 > e + 4 + len) fail(path, ": ", shown, ": zip64 extra field too short");
          *v = le(b, f, 8);
          f += 8;
        }
      }
      e += 4 + len;
    }
    if (local > n || n - local < 30 || le(b, local, 4) != 0x04034b50) {
      fail(path, ": ", shown, ": zip local header outside the file or corrupt (offset ", local, ")");
    }
    const std::uint64_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    if (data > n || packed > n - data) {
      fail(path, ": ", shown, ": its ", packed, " stored bytes lie outside the ", n, "-byte file");
    }
    if (method == 0 && size != packed) {
      fail(path, ": ", shown, ": stored record states ", size, " bytes but holds ", packed);
    }
    if (method == 8 && size / 1032 > packed) {
      fail(path, ": ", shown, ": deflated record states ", size, " bytes from ", packed,
           " (deflate expands at most 1032-fold)");
    }
    if (method != 0 && method != 8) fail(path, ": ", shown, ": unsupported zip compression method ", method);
    if (i == 0) {
      const auto slash = full.find('/');
      if (slash == std::string::npos) fail(path, ": ", shown, ": the archive's first record is not inside a folder");
      prefix = full.substr(0, slash + 1);
    }
    if (full.compare(0, prefix.size(), prefix) == 0) {  // others LibTorch cannot reach
      const std::string name = full.substr(prefix.size());
      entries[name] = ZipEntry{name, size, method, data, static_cast<std::uint32_t>(le(b, at + 16, 4))};
    }
    at += 46 + name_len + extra_len + note_len;
  }
  if (count == 0) fail(path, ": the zip archive holds no records");
  // LibTorch's reader throws (and leaks its zip state) on a missing or unreadable version record:
  // refused here first. A deflated version record is left to LibTorch.
  auto version = entries.find(".data/version");
  if (version == entries.end()) version = entries.find("version");
  if (version == entries.end()) fail(path, ": the archive has no version record (", prefix, "version)");
  if (version->second.method == 0) {
    const std::string text(b.substr(version->second.data, version->second.size));
    std::size_t k = text.find_first_not_of(" \t\n\r");
    std::uint64_t v = 0;
    bool digits = false;
    for (; k < text.size() && text[k] >= '0' && text[k] <= '9' && v < 1000000; ++k, digits = true) {
      v = v * 10 + static_cast<std::uint64_t>(text[k] - '0');
    }
    if (!digits) fail(path, ": the archive's version record is not a number");
    if (v < caffe2::serialize::kMinSupportedFileFormatVersion || v > caffe2::serialize::kMaxSupportedFileFormatVersion) {
      fail(path, ": archive format version ", v, " is outside the ", caffe2::serialize::kMinSupportedFileFormatVersion,
           "…", caffe2::serialize::kMaxSupportedFileFormatVersion, " this LibTorch reads");
    }
  }
  return entries;
}

/// What the scan tracks of a pickle value: enough to read a storage's persistent id.
struct Value {
  enum Kind { kOther, kInt, kHugeInt, kStr, kGlobal, kTuple, kStorage } kind = kOther;
  std::int64_t i = 0;  // kInt: the value; kStorage: its element count
  std::string s;  // kStr (strings of at most 256 bytes), kGlobal ("module.name")
  std::shared_ptr<const std::vector<Value>> items;  // kTuple
};

Value str_value(std::string_view s) {
  Value v;
  if (s.size() <= 256) {
    v.kind = Value::kStr;
    v.s = std::string(s);
  }
  return v;
}

/// Bytes per element of a storage type as LibTorch's unpickler maps it (1 for unknown names:
/// LibTorch refuses those itself).
std::uint64_t item_size(const std::string& type) {
  static const std::map<std::string, std::uint64_t> sizes = {
      {"torch.DoubleStorage", 8}, {"torch.FloatStorage", 4},   {"torch.HalfStorage", 2},
      {"torch.BFloat16Storage", 2}, {"torch.LongStorage", 8}, {"torch.IntStorage", 4},
      {"torch.ShortStorage", 2},  {"torch.CharStorage", 1},    {"torch.ByteStorage", 1},
      {"torch.BoolStorage", 1},   {"torch.ComplexFloatStorage", 8}, {"torch.ComplexDoubleStorage", 16},
      {"torch.ComplexHalfStorage", 4}, {"torch.QInt8Storage", 1}, {"torch.QUInt8Storage", 1},
      {"torch.QInt32Storage", 4}, {"torch.QUInt4x2Storage", 1}, {"torch.QUInt2x4Storage", 1}};
  const auto it = sizes.find(type);
  return it == sizes.end() ? 1 : it->second;
}

class PickleScan {
 public:
  PickleScan(const std::string& path, const std::string& record, std::string_view p,
             const std::map<std::string, ZipEntry>& entries)
      : path_(path), record_(record), p_(p), entries_(entries) {
    prefix_ = record.substr(0, record.size() - 4) + "/";  // "data.pkl" → "data/"
  }

  void run() {
    while (at_ < p_.size()) {
      op_at_ = at_;
      const auto op = static_cast<unsigned char>(p_[at_++]);
      if (op == '.') return;  // STOP
      step(op);
    }
    bad("ends without the STOP opcode");
  }

 private:
  template <typename... Parts>
  [[noreturn]] void bad(const Parts&... parts) {
    fail(path_, ": ", printable(record_), ": byte ", op_at_, ": ", parts...);
  }

  std::uint64_t arg(int n) {
    if (p_.size() - at_ < static_cast<std::size_t>(n)) bad("opcode truncated");
    const std::uint64_t v = le(p_, at_, n);
    at_ += n;
    return v;
  }
  std::string_view bytes(std::uint64_t n, const char* what) {
    if (n > p_.size() - at_) bad(what, " of ", n, " bytes, but ", p_.size() - at_, " remain in the record");
    const std::string_view s = p_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::string_view line() {
    const auto end = p_.find('\n', at_);
    if (end == std::string_view::npos) bad("argument without its newline");
    const std::string_view s = p_.substr(at_, end - at_);
    at_ = end + 1;
    return s;
  }

  std::size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  Value pop() {
    if (stack_.size() <= floor()) bad("pops an empty stack");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  void need(std::size_t n) {
    if (stack_.size() - floor() < n) bad("needs ", n, " values on the stack");
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) bad("no MARK to pop to");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back())),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void push(Value v) { stack_.push_back(std::move(v)); }
  void push_int(std::int64_t i) {
    Value v;
    v.kind = Value::kInt;
    v.i = i;
    push(std::move(v));
  }
  void push_tuple(std::vector<Value> items) {
    Value v;
    v.kind = Value::kTuple;
    v.items = std::make_shared<const std::vector<Value>>(std::move(items));
    push(std::move(v));
  }
  void put(std::uint64_t id) {
    need(1);
    if (id > memo_.size()) bad("memo index ", id, " skips past the ", memo_.size(), " stored");
    if (id == memo_.size()) memo_.push_back(stack_.back());
    else memo_[id] = stack_.back();
  }
  void get(std::uint64_t id) {
    if (id >= memo_.size()) bad("memo index ", id, " not stored (", memo_.size(), " stored)");
    push(memo_[id]);
  }
  static std::uint64_t decimal(std::string_view s, bool& ok) {
    std::uint64_t v = 0;
    ok = !s.empty() && s.size() <= 18;
    for (const char c : s) {
      if (c < '0' || c > '9') ok = false;
      else v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }

  // A storage's persistent id: ('storage', type, key, location, numel); returns the storage.
  Value persistent_id(const Value& id) {
    if (id.kind != Value::kTuple || id.items->size() < 5) return Value{};
    const auto& t = *id.items;
    if (t[0].kind != Value::kStr || t[0].s != "storage") return Value{};
    if (t[2].kind != Value::kStr) bad("a tensor storage whose key is not a short string");
    if (t[4].kind != Value::kInt || t[4].i < 0) {
      bad("tensor storage '", t[2].s, "' with an element count that is not a non-negative 64-bit integer");
    }
    const std::string type = t[1].kind == Value::kGlobal ? t[1].s : "";
    const std::uint64_t numel = static_cast<std::uint64_t>(t[4].i), per = item_size(type);
    Value storage;
    storage.kind = Value::kStorage;
    storage.i = t[4].i;
    if (numel == 0) return storage;  // LibTorch reads no record for an empty storage
    const auto it = entries_.find(prefix_ + t[2].s);
    if (it == entries_.end()) return storage;  // LibTorch reports the missing record itself
    if (numel > it->second.size / per) {
      bad("tensor storage '", t[2].s, "' claims ", numel, " elements of ", per, " bytes, but its record ",
          prefix_, t[2].s, " holds ", it->second.size, " bytes");
    }
    return storage;
  }

  static std::string ints_text(const std::vector<Value>& v) {
    std::string out = "[";
    for (std::size_t k = 0; k < v.size(); ++k) out += (k ? ", " : "") + std::to_string(v[k].i);
    return out + "]";
  }

  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...): the view must lie
  // inside its storage. LibTorch checks that only for storages of at least one byte: a
  // zero-element storage under a 2×1×2×2 view loaded, and the first read of it crashed.
  void rebuild_tensor(const Value& args) {
    if (args.kind != Value::kTuple || args.items->size() < 4) return;
    const auto& a = *args.items;
    if (a[0].kind != Value::kStorage) return;  // not a storage: LibTorch refuses it itself
    if (a[1].kind != Value::kInt || a[1].i < 0) bad("a tensor with a storage offset that is not a non-negative integer");
    if (a[2].kind != Value::kTuple || a[3].kind != Value::kTuple || a[2].items->size() != a[3].items->size()) {
      bad("a tensor whose sizes and strides are not two tuples of one length");
    }
    const auto& sizes = *a[2].items;
    const auto& strides = *a[3].items;
    std::uint64_t last = static_cast<std::uint64_t>(a[1].i);  // the highest element index read
    bool empty = false, overflow = false;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k].kind != Value::kInt || sizes[k].i < 0 || strides[k].kind != Value::kInt || strides[k].i < 0) {
        bad("a tensor whose sizes or strides are not non-negative integers");
      }
      if (sizes[k].i == 0) empty = true;
      std::uint64_t reach = 0;
      overflow |= __builtin_mul_overflow(static_cast<std::uint64_t>(sizes[k].i > 0 ? sizes[k].i - 1 : 0),
                                         static_cast<std::uint64_t>(strides[k].i), &reach);
      overflow |= __builtin_add_overflow(last, reach, &last);
    }
    if (!empty && (overflow || last >= static_cast<std::uint64_t>(a[0].i))) {
      bad("a tensor of sizes ", ints_text(sizes), ", strides ", ints_text(strides), " and offset ", a[1].i,
          " reaches past its storage of ", a[0].i, " elements");
    }
  }

  /// LONG1 (op 0x8a) or LONG4 (0x8b): a little-endian two's complement integer of n bytes; an
  /// int when it fits 8 bytes.
  void push_long(unsigned char op) {
    const std::uint64_t n = op == 0x8a ? arg(1) : arg(4);
    if (op == 0x8b && n > 0x7fffffff) bad("negative LONG4 length");
    const std::string_view digits = bytes(n, "a long integer");
    Value v;
    v.kind = Value::kHugeInt;
    if (n <= 8) {
      std::uint64_t u = n == 0 ? 0 : le(digits, 0, static_cast<int>(n));
      if (n > 0 && n < 8 && (u >> (8 * n - 1)) != 0) u |= ~std::uint64_t{0} << (8 * n);  // sign
      v.kind = Value::kInt;
      v.i = static_cast<std::int64_t>(u);
    }
    push(std::move(v));
  }

  /// TUPLE1..3: the top n values as a tuple.
  void push_small_tuple(std::size_t n) {
    need(n);
    std::vector<Value> items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(n)),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(stack_.size() - n);
    push_tuple(std::move(items));
  }

  /// The decimal memo index of a text GET or PUT.
  std::uint64_t text_index(const char* what) {
    bool ok = false;
    const std::uint64_t id = decimal(line(), ok);
    if (!ok) bad(what, " with a malformed index");
    return id;
  }

  void step(unsigned char op) {
    switch (op) {
      case '(': marks_.push_back(stack_.size()); return;                     // MARK
      case '0': pop(); return;                                                // POP
      case '1': pop_mark(); return;                                           // POP_MARK
      case '2': need(1); push(stack_.back()); return;                         // DUP
      case 'N': case 0x88: case 0x89: push(Value{}); return;                  // None, True, False
      case 'K': push_int(static_cast<std::int64_t>(arg(1))); return;          // BININT1
      case 'M': push_int(static_cast<std::int64_t>(arg(2))); return;          // BININT2
      case 'J': push_int(static_cast<std::int32_t>(arg(4))); return;          // BININT
      case 'G': arg(8); push(Value{}); return;                                // BINFLOAT
      case 'I': case 'L': {                                                   // INT, LONG (text)
        const std::string_view s = line();
        bool ok = false;
        const std::uint64_t v = decimal(s.substr(0, s.size() - (!s.empty() && s.back() == 'L')), ok);
        if (ok) push_int(static_cast<std::int64_t>(v));
        else push(Value{});
        return;
      }
      case 'F': line(); push(Value{}); return;                                // FLOAT (text)
      case 0x8a: case 0x8b: push_long(op); return;                           // LONG1, LONG4
      case 'X': push(str_value(bytes(arg(4), "a string"))); return;          // BINUNICODE
      case 0x8c: push(str_value(bytes(arg(1), "a string"))); return;         // SHORT_BINUNICODE
      case 0x8d: push(str_value(bytes(arg(8), "a string"))); return;         // BINUNICODE8
      case 'U': push(str_value(bytes(arg(1), "a string"))); return;          // SHORT_BINSTRING
      case 'T': {                                                             // BINSTRING
        const std::uint64_t n = arg(4);
        if (n > 0x7fffffff) bad("negative BINSTRING length");
        push(str_value(bytes(n, "a string")));
        return;
      }
      case 'B': bytes(arg(4), "bytes"); push(Value{}); return;                // BINBYTES
      case 'C': bytes(arg(1), "bytes"); push(Value{}); return;                // SHORT_BINBYTES
      case 0x8e: bytes(arg(8), "bytes"); push(Value{}); return;               // BINBYTES8
      case 'S': case 'V': push(str_value(line())); return;                    // STRING, UNICODE (text)
      case 'P': line(); push(Value{}); return;                                // PERSID (text)
      case 'Q': push(persistent_id(pop())); return;                           // BINPERSID
      case 'c': {                                                             // GLOBAL
        const std::string module(line());
        const std::string name(line());
        Value v;
        v.kind = Value::kGlobal;
        v.s = module + "." + name;
        push(std::move(v));
        return;
      }
      case 0x93: {                                                            // STACK_GLOBAL
        need(2);
        const Value name = pop(), module = pop();
        Value v;
        v.kind = Value::kGlobal;
        v.s = module.s + "." + name.s;
        push(std::move(v));
        return;
      }
      case 'R': {                                                             // REDUCE
        need(2);
        const Value args = pop(), callable = pop();
        if (callable.kind == Value::kGlobal &&
            (callable.s == "torch._utils._rebuild_tensor_v2" || callable.s == "torch._utils._rebuild_tensor")) {
          rebuild_tensor(args);
        }
        push(Value{});
        return;
      }
      case 0x81: need(2); pop(); pop(); push(Value{}); return;                // NEWOBJ
      case 0x92: need(3); pop(); pop(); pop(); push(Value{}); return;         // NEWOBJ_EX
      case 'b': need(2); pop(); return;                                       // BUILD
      case 'a': need(2); pop(); return;                                       // APPEND
      case 's': need(3); pop(); pop(); return;                                // SETITEM
      case 'e': case 'u': case 0x90:                                          // APPENDS, SETITEMS, ADDITEMS
        pop_mark();
        need(1);
        return;
      case 'd': case 'l': case 0x91: pop_mark(); push(Value{}); return;       // DICT, LIST, FROZENSET
      case 't': push_tuple(pop_mark()); return;                               // TUPLE
      case 'i': line(); line(); pop_mark(); push(Value{}); return;            // INST
      case 'o': if (pop_mark().empty()) bad("OBJ without a class"); push(Value{}); return;
      case ')': push_tuple({}); return;                                       // EMPTY_TUPLE
      case '}': case ']': case 0x8f: push(Value{}); return;                   // EMPTY_DICT/LIST/SET
      case 0x85: case 0x86: case 0x87: push_small_tuple(op - 0x84); return;  // TUPLE1..3
      case 'h': get(arg(1)); return;                                          // BINGET
      case 'j': get(arg(4)); return;                                          // LONG_BINGET
      case 'g': get(text_index("GET")); return;                              // GET (text)
      case 'q': put(arg(1)); return;                                          // BINPUT
      case 'r': put(arg(4)); return;                                          // LONG_BINPUT
      case 'p': put(text_index("PUT")); return;                              // PUT (text)
      case 0x94: put(memo_.size()); return;                                   // MEMOIZE
      case 0x80: arg(1); return;                                              // PROTO
      case 0x95: arg(8); return;                                              // FRAME
      case 0x82: arg(1); push(Value{}); return;                               // EXT1
      case 0x83: arg(2); push(Value{}); return;                               // EXT2
      case 0x84: arg(4); push(Value{}); return;                               // EXT4
      default: {
        static const char* hex = "0123456789abcdef";
        bad("unknown pickle opcode 0x", hex[op >> 4], hex[op & 15]);
      }
    }
  }

  const std::string& path_;
  const std::string& record_;
  std::string_view p_;
  const std::map<std::string, ZipEntry>& entries_;
  std::string prefix_;
  std::size_t at_ = 0, op_at_ = 0;
  std::vector<Value> stack_, memo_;
  std::vector<std::size_t> marks_;
};

/// LibTorch's view of bytes owned elsewhere (its own MemoryReadAdapter header misses an include).
class BytesView : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BytesView(std::string_view bytes) : bytes_(bytes) {}
  std::size_t size() const override { return bytes_.size(); }
  std::size_t read(std::uint64_t pos, void* buf, std::size_t n, const char* /*what*/) const override {
    if (pos >= bytes_.size()) return 0;
    n = std::min<std::size_t>(n, bytes_.size() - pos);
    std::memcpy(buf, bytes_.data() + pos, n);
    return n;
  }

 private:
  std::string_view bytes_;
};

struct BytesHolder {
  std::string bytes;
};

/// The same over bytes it owns (the holder is built before the view of it).
class OwnedBytes final : private BytesHolder, public BytesView {
 public:
  explicit OwnedBytes(std::string bytes) : BytesHolder{std::move(bytes)}, BytesView(BytesHolder::bytes) {}
};

}  // namespace

std::shared_ptr<caffe2::serialize::ReadAdapterInterface> archive_adapter(std::string bytes) {
  return std::make_shared<OwnedBytes>(std::move(bytes));
}

void check_torch_archive(const std::string& path, const std::string& bytes) {
  const auto entries = zip_entries(path, bytes);
  // The sizes are checked: LibTorch's zip reader may now allocate and inflate the pickles.
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader;
  try {
    reader = std::make_unique<caffe2::serialize::PyTorchStreamReader>(
        std::make_shared<BytesView>(bytes));
  } catch (const std::exception& e) {
    fail(path, ": not a readable torch archive: ", printable(torch_error_line(e)));
  }
  // Every record against its CRC-32: LibTorch's zip reader does not check them, and a corrupt
  // code record reaches LibTorch's TorchScript parser, which crashed on some (docs/reliability.md).
  for (const auto& [name, entry] : entries) {
    std::string inflated;
    std::string_view data;
    if (entry.method == 0) {
      data = std::string_view(bytes).substr(entry.data, entry.size);
    } else {
      try {
        auto [ptr, size] = reader->getRecord(name);
        inflated.assign(static_cast<const char*>(ptr.get()), size);
      } catch (const std::exception& e) {
        fail(path, ": ", printable(name), ": ", printable(torch_error_line(e)));
      }
      data = inflated;
    }
    const std::uint32_t crc = lowvolt::crc32(data.data(), data.size());
    if (crc != entry.crc) {
      auto hex = [](std::uint32_t v) {
        char text[9];
        std::snprintf(text, sizeof text, "%08x", v);
        return std::string(text);
      };
      fail(path, ": record ", printable(name), " is corrupt (its CRC-32 is ", hex(crc), ", the archive says ", hex(entry.crc), ")");
    }
    const bool pickle = name.size() > 3 && name.compare(name.size() - 3, 3, "pkl") == 0;
    if (pickle) PickleScan(path, name, data, entries).run();
  }
}

std::string without_debug_records(const std::string& path, const std::string& bytes) {
  std::string out;
  try {
    caffe2::serialize::PyTorchStreamReader reader(std::make_shared<BytesView>(bytes));
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, std::size_t size) {
      out.append(static_cast<const char*>(data), size);
      return size;
    });
    writer.setMinVersion(reader.version());
    for (const auto& name : reader.getAllRecords()) {
      const bool debug = name.size() > 10 && name.compare(name.size() - 10, 10, ".debug_pkl") == 0;
      if (debug || name == "version" || name == ".data/version") continue;  // the writer adds its own
      auto [ptr, size] = reader.getRecord(name);
      writer.writeRecord(name, ptr.get(), size);
    }
    writer.writeEndOfFile();
  } catch (const std::exception& e) {
    fail(path, ": not a readable torch archive: ", printable(torch_error_line(e)));
  }
  return out;
}

std::string read_checked_torch_archive(const std::string& path) {
  check_input_file(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) fail(path, ": cannot read its size: ", ec.message());
  if (size > kMaxTorchArchiveBytes) {
    fail(path, ": ", size, " bytes exceeds the limit of ", kMaxTorchArchiveBytes, " for a torch archive");
  }
  std::string bytes = read_file(path);
  if (bytes.size() < 4 || bytes.compare(0, 4, "PK\x03\x04") != 0) {
    fail(path, ": not a zip archive as torch.save and torch.jit.save write");
  }
  check_torch_archive(path, bytes);
  return bytes;
}

}  // namespace lowvolt::host
