// Proves the progress reporter writes plain log lines (no escape codes) when not on a terminal,
// stays silent when quiet, and formats durations.
#include "lowvolt/common/progress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace {

std::string run_progress(bool quiet) {
  FILE* file = std::tmpfile();
  {
    lowvolt::Progress progress("work", 4, quiet, file);
    progress.set_log_interval(0.0);
    for (int i = 1; i <= 4; ++i) progress.update(i, "loss 0.5");
    progress.finish("done");
  }
  std::rewind(file);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, file) != nullptr) text += buf;
  std::fclose(file);
  return text;
}

TEST(Progress, PlainLinesWhenNotATerminal) {
  const std::string text = run_progress(false);
  EXPECT_NE(text.find("work: 4/4 (100%)"), std::string::npos) << text;
  EXPECT_NE(text.find("done"), std::string::npos);
  EXPECT_EQ(text.find('\033'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
}

TEST(Progress, QuietPrintsNothing) { EXPECT_EQ(run_progress(true), ""); }

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(lowvolt::format_duration(12.34), "12.3s");
  EXPECT_EQ(lowvolt::format_duration(185), "3m05s");
  EXPECT_EQ(lowvolt::format_duration(3720), "1h02m");
  EXPECT_EQ(lowvolt::format_duration(-1), "?");
}

}  // namespace
