#pragma once
// Progress on long work. On a terminal: one redrawn line with a bar, counts, rate, ETA and a
// caller-supplied status ("loss 0.31 acc 89.2%"). When stderr is not a terminal (CI, pipes,
// logs): a plain log line at most every `log_interval_s` seconds and at the end, no escape codes.
// Not thread-safe: call from one thread.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lowvolt {

class Progress {
 public:
  /// `label` names the work ("epoch 3/10"); `total` is the number of steps (> 0).
  /// `quiet` suppresses all output (for --json and tests).
  Progress(std::string label, std::int64_t total, bool quiet = false, FILE* stream = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Marks `done` steps complete (monotonic, ≤ total) with an optional status text.
  void update(std::int64_t done, const std::string& status = "");
  /// Completes the line (prints the final state once). Called by the destructor if needed.
  void finish(const std::string& status = "");

  /// Seconds between plain log lines when not on a terminal (default 10 s).
  void set_log_interval(double seconds) { log_interval_s_ = seconds; }
  /// Whether the stream is an interactive terminal.
  bool interactive() const { return tty_; }

 private:
  void draw(const std::string& status, bool final_line);

  std::string label_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  bool quiet_;
  FILE* stream_;
  bool tty_;
  bool finished_ = false;
  double log_interval_s_ = 10.0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

/// Formats a duration in seconds as "1h02m", "3m05s" or "12.3s".
std::string format_duration(double seconds);

}  // namespace lowvolt
