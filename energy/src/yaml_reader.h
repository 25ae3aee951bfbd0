#pragma once
// Strict reading of YAML/JSON documents (yaml-cpp parses both): every value is type-checked,
// maps reject unknown and duplicate keys, lists are bounded, and every failure is one
// lowvolt::Error line "<origin>: <where>: <what>".
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <set>
#include <string>

namespace lowvolt::energy::detail {

/// Largest list the readers walk (entries); longer lists are refused before they are walked.
inline constexpr std::size_t kMaxListEntries = 1u << 20;

/// Most separators (',', ':', '-', '[', '{', '?', newlines) a document may have: a bound on its
/// node count, and so on the parser's memory (about 500 bytes a node), checked before parsing.
inline constexpr std::size_t kMaxSeparators = 200000;

/// Parses `text`; a syntax error (or nesting deeper than yaml-cpp's guard) becomes
/// lowvolt::Error "<origin>: malformed YAML/JSON at line L, column C: …".
YAML::Node parse_document(const std::string& text, const std::string& origin);

/// Reads a file of at most kMaxTableFileBytes (lowvolt::Error naming it otherwise).
std::string read_bounded(const std::string& path);

/// A short description of a node's type for messages ("a list", "a map", "text", "null").
std::string type_name(const YAML::Node& node);

/// A map with the keys read from it tracked: unknown or duplicate keys are errors.
class MapReader {
 public:
  /// Throws unless `node` is a map; `where` names it in messages ("component 'mac'").
  MapReader(const YAML::Node& node, std::string origin, std::string where);

  /// True if `key` is present (and not null).
  bool has(const std::string& key) const;
  /// The node at `key` (marks it read); throws if missing.
  YAML::Node node(const std::string& key);
  /// A text value; throws if missing (when `required`) or not a scalar.
  std::string text(const std::string& key, bool required = true);
  /// A finite number (plain scalar, not quoted text); throws if missing, quoted or not finite.
  double number(const std::string& key);
  /// An optional finite number.
  std::optional<double> optional_number(const std::string& key);
  /// A list node (possibly empty) of at most kMaxListEntries; throws otherwise.
  YAML::Node list(const std::string& key, bool required = true);
  /// Throws naming the first key that was never read (unknown key).
  void done() const;

  /// Error "<origin>: <where>: <what>".
  [[noreturn]] void fail(const std::string& what) const;
  /// The origin and where, for messages of nested readers.
  const std::string& origin() const { return origin_; }
  /// Where inside the document.
  const std::string& where() const { return where_; }

 private:
  YAML::Node node_;
  std::string origin_;
  std::string where_;
  std::set<std::string> read_;
};

/// A finite number from a plain scalar node; std::nullopt for quoted text, non-scalars,
/// non-numbers, inf and nan.
std::optional<double> as_number(const YAML::Node& node);

/// The shortest decimal text that reads back as exactly `v` (finite).
std::string number_text(double v);

}  // namespace lowvolt::energy::detail
