// ProgressLine (record/progress_line.h): what reaches the terminal, and which terminals get it.
// The e2e test test_record_progress.py checks the recorder's screen on a pty (root only); this
// checks the bytes.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "record/progress_line.h"

namespace infertrace {
namespace {

// Everything written to a memory stream while `body` runs.
template <class F>
std::string written(F body) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  body(f);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

TEST(ProgressLine, RewritesInPlaceAndErasesAtTheEnd) {
  const std::string out = written([](std::FILE* f) {
    ProgressLine p(f, true);
    p.show("recording 1.0 s");
    p.show("rec 2");  // shorter: ESC[K erases what the longer text left
    p.clear();
    std::fputs("summary\n", f);
  });
  EXPECT_EQ(out, "\rrecording 1.0 s\x1b[K\rrec 2\x1b[K\r\x1b[Ksummary\n");
}

TEST(ProgressLine, ClearsOnlyAShownLineAndOnce) {
  EXPECT_EQ(written([](std::FILE* f) {
              ProgressLine p(f, true);
              p.clear();  // nothing shown yet: nothing to erase
            }),
            "");
  EXPECT_EQ(written([](std::FILE* f) {
              ProgressLine p(f, true);
              p.show("x");
              p.clear();
              p.clear();
            }),
            "\rx\x1b[K\r\x1b[K");
}

TEST(ProgressLine, DestructorErasesTheLine) {
  // As when an error unwinds the recorder: the message printed after it starts on a clean line.
  EXPECT_EQ(written([](std::FILE* f) {
              { ProgressLine p(f, true); p.show("y"); }
              std::fputs("infertrace: error: e\n", f);
            }),
            "\ry\x1b[K\r\x1b[Kinfertrace: error: e\n");
}

TEST(ProgressLine, NothingWhenNotATerminal) {
  EXPECT_EQ(written([](std::FILE* f) {
              ProgressLine p(f, false);
              p.show("z");
              p.clear();
            }),
            "");
}

TEST(ProgressLine, WantedOnATerminalThatIsNotDumb) {
  // As ninja decides: a terminal, TERM set and not "dumb".
  EXPECT_TRUE(progress_line_wanted(true, "xterm-256color"));
  EXPECT_TRUE(progress_line_wanted(true, "linux"));
  EXPECT_FALSE(progress_line_wanted(true, "dumb"));    // shows ESC[K as text
  EXPECT_FALSE(progress_line_wanted(true, nullptr));   // unset: nothing known of it
  EXPECT_FALSE(progress_line_wanted(true, ""));
  EXPECT_FALSE(progress_line_wanted(false, "xterm"));  // a pipe or file, whatever TERM says
  EXPECT_TRUE(progress_line_wanted(true, "dumber"));   // only the exact name
}

}  // namespace
}  // namespace infertrace
