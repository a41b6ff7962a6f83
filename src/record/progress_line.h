// A status line on a terminal, rewritten in place, that erases itself before anything else is
// printed and at the end. Written as "\r" + text + ESC[K (the erase clears what a longer earlier
// text left), it leaves the cursor at its end: text printed after it without clear() would
// continue that line. `record` ended its line in a bare "\r", so an error that ended the recording
// while it was shown (a full disk) continued it, and the last line stayed above the summary.
#pragma once

#include <cstdio>
#include <string>

namespace infertrace {

class ProgressLine {
 public:
  // enabled false (not a terminal): show() and clear() print nothing.
  ProgressLine(std::FILE* out, bool enabled) : out_(out), enabled_(enabled) {}
  ~ProgressLine() { clear(); }  // also when an error unwinds: its message starts on a clean line
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void show(const std::string& text);
  // Erases the line, if shown, leaving the cursor at its start. Call before printing anything
  // else to the same terminal.
  void clear();

 private:
  std::FILE* const out_;
  const bool enabled_;
  bool shown_ = false;
};

}  // namespace infertrace
