// Strict YAML/JSON reading shared by the table, the ERT and the mapping readers.
#include "yaml_reader.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "lowvolt/common/atomic_file.h"
#include "lowvolt/common/error.h"
#include "lowvolt/common/parse.h"
#include "lowvolt/energy/table.h"

namespace lowvolt::energy::detail {

YAML::Node parse_document(const std::string& text, const std::string& origin) {
  if (text.size() > kMaxTableFileBytes) {
    lowvolt::fail(origin, ": ", text.size(), " bytes, more than the ", kMaxTableFileBytes,
                  " an energy table or ERT may have");
  }
  // yaml-cpp spends about 500 bytes per node; every node but the first follows one of these
  // characters, so their count bounds the memory before parsing (comments count too, harmlessly).
  std::size_t separators = 0;
  for (char ch : text) {
    separators +=
        (ch == ',' || ch == ':' || ch == '-' || ch == '[' || ch == '{' || ch == '\n' || ch == '?');
  }
  if (separators > kMaxSeparators) {
    lowvolt::fail(origin, ": too large: ", separators,
                  " separators (',', ':', '-', brackets, "
                  "lines), more than the ",
                  kMaxSeparators, " an energy table or ERT may have");
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // Mark lines and columns are 0-based; -1 when unknown.
    if (e.mark.line >= 0) {
      lowvolt::fail(origin, ": malformed YAML/JSON at line ", e.mark.line + 1, ", column ",
                    e.mark.column + 1, ": ", e.msg);
    }
    lowvolt::fail(origin, ": malformed YAML/JSON: ", e.msg);
  }
}

std::string read_bounded(const std::string& path) {
  check_input_file(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxTableFileBytes) {
    lowvolt::fail(path, ": ", size, " bytes, more than the ", kMaxTableFileBytes,
                  " an energy table or ERT may have");
  }
  return read_file(path);
}

std::string type_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "empty (null)";
    default:
      return "undefined";
  }
}

std::optional<double> as_number(const YAML::Node& node) {
  // A quoted scalar has the non-specific tag "!"; a plain one "?" (or a resolved number tag).
  if (!node.IsScalar() || node.Tag() == "!") return std::nullopt;
  return parse_real(node.Scalar());
}

MapReader::MapReader(const YAML::Node& node, std::string origin, std::string where)
    : node_(node), origin_(std::move(origin)), where_(std::move(where)) {
  if (!node_.IsMap()) fail("expected a map of keys, found " + type_name(node_));
  if (node_.size() > kMaxListEntries) fail("too many keys");
  std::set<std::string> seen;
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) fail("a key is " + type_name(kv.first) + ", not a name");
    if (!seen.insert(kv.first.Scalar()).second) {
      fail("duplicate key '" + kv.first.Scalar() + "'");
    }
  }
}

bool MapReader::has(const std::string& key) const {
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) return !kv.second.IsNull();
  }
  return false;
}

YAML::Node MapReader::node(const std::string& key) {
  read_.insert(key);
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) {
      if (kv.second.IsNull()) break;
      return kv.second;
    }
  }
  fail("missing key '" + key + "'");
}

std::string MapReader::text(const std::string& key, bool required) {
  read_.insert(key);
  if (!has(key)) {
    if (required) fail("missing key '" + key + "'");
    return "";
  }
  YAML::Node n = node(key);
  if (!n.IsScalar()) fail("'" + key + "' must be text, found " + type_name(n));
  return n.Scalar();
}

double MapReader::number(const std::string& key) {
  YAML::Node n = node(key);
  auto v = as_number(n);
  if (!v) fail("'" + key + "' must be a finite number, found " + type_name(n));
  return *v;
}

std::optional<double> MapReader::optional_number(const std::string& key) {
  read_.insert(key);
  if (!has(key)) return std::nullopt;
  return number(key);
}

YAML::Node MapReader::list(const std::string& key, bool required) {
  read_.insert(key);
  if (!has(key)) {
    if (required) fail("missing key '" + key + "'");
    return YAML::Node(YAML::NodeType::Sequence);
  }
  YAML::Node n = node(key);
  if (!n.IsSequence()) fail("'" + key + "' must be a list, found " + type_name(n));
  if (n.size() > kMaxListEntries)
    fail("'" + key + "' has more than " + std::to_string(kMaxListEntries) + " entries");
  return n;
}

void MapReader::done() const {
  for (const auto& kv : node_) {
    if (!read_.count(kv.first.Scalar())) fail("unknown key '" + kv.first.Scalar() + "'");
  }
}

void MapReader::fail(const std::string& what) const {
  if (where_.empty()) lowvolt::fail(origin_, ": ", what);
  lowvolt::fail(origin_, ": ", where_, ": ", what);
}

std::string number_text(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    auto back = parse_real(buf);
    if (back && *back == v) break;
  }
  return buf;
}

}  // namespace lowvolt::energy::detail
