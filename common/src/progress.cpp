#include "lowvolt/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "lowvolt/common/error.h"

namespace lowvolt {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  } else if (seconds < 3600) {
    const int s = static_cast<int>(seconds);
    std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  } else {
    const int m = static_cast<int>(seconds / 60);
    std::snprintf(buf, sizeof buf, "%dh%02dm", m / 60, m % 60);
  }
  return buf;
}

Progress::Progress(std::string label, std::int64_t total, bool quiet, FILE* stream)
    : label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 1)),
      quiet_(quiet),
      stream_(stream),
      tty_(stream != nullptr && ::isatty(::fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  if (!finished_ && done_ > 0) {
    try {
      finish();
    } catch (...) {
    }
  }
}

void Progress::update(std::int64_t done, const std::string& status) {
  LV_CHECK(done >= 0, "progress steps must be non-negative, got " << done);
  done_ = std::min(done, total_);
  if (quiet_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  const double min_interval = tty_ ? 0.1 : log_interval_s_;
  if (since < min_interval && done_ < total_) return;
  last_draw_ = now;
  draw(status, false);
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (quiet_) return;
  draw(status, true);
}

void Progress::draw(const std::string& status, bool final_line) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double fraction = static_cast<double>(done_) / static_cast<double>(total_);
  const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : NAN;
  std::string line;
  if (tty_) {
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(fraction * kWidth);
    line = "\r\033[K" + label_ + " [" + std::string(filled, '#') +
           std::string(kWidth - filled, '.') + "] ";
  } else {
    line = label_ + ": ";
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "%lld/%lld (%3.0f%%) %s elapsed", static_cast<long long>(done_),
                static_cast<long long>(total_), 100.0 * fraction, format_duration(elapsed).c_str());
  line += buf;
  if (!final_line) line += ", ETA " + format_duration(eta);
  if (!status.empty()) line += "  " + status;
  if (!tty_ || final_line) line += "\n";
  std::fputs(line.c_str(), stream_);
  std::fflush(stream_);
}

}  // namespace lowvolt
