#pragma once
// The one strict number parser of the project: command-line values, CSV fields and model-file
// options all go through it, so "1.5x", "", "nan", "inf", "-3" for a count or "1e400" are refused
// the same way everywhere. Callers turn std::nullopt into their own error naming the option, the
// file and line, or the key.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace lowvolt {

/// The whole of `text` as a finite decimal number (C locale, optional exponent); std::nullopt for
/// an empty string, trailing characters, inf, nan or a value out of double's range.
std::optional<double> parse_real(const std::string& text);

/// The whole of `text` as an unsigned decimal integer ≤ `max` (digits only: no sign, fraction,
/// exponent or spaces); std::nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(const std::string& text,
                                            std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

}  // namespace lowvolt
