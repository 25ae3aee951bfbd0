#pragma once
// The one line of a LibTorch exception worth showing a user, and a tensor's shape as messages
// print it (private to lowvolt::host).
#include <ATen/core/Tensor.h>
#include <c10/util/Exception.h>

#include <exception>
#include <sstream>
#include <string>

namespace lowvolt::host {

/// LibTorch's messages run over many lines (a C++ or TorchScript traceback). The TorchScript
/// interpreter ends its report with the Python-style line "RuntimeError: <what happened>"; other
/// errors say it on their first line. Returns that line.
inline std::string torch_error_line(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = c10_error != nullptr ? c10_error->what_without_backtrace() : e.what();
  std::string found;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const auto colon = line.find("Error: ");
    if (colon != std::string::npos && line.find(' ') > colon) found = line.substr(colon + 7);
    start = end + 1;
  }
  if (!found.empty()) return found;
  return text.substr(0, text.find('\n'));
}

/// A tensor's shape as in messages: "[1, 3, 28, 28]".
inline std::string shape_text(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

}  // namespace lowvolt::host
