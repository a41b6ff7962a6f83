// A status line on a terminal, rewritten in place, that erases itself before anything else is
// printed and at the end. Written as "\r" + text + ESC[K (the erase clears what a longer earlier
// text left), it leaves the cursor at its end: text printed after it without clear() would
// continue that line. `record` ended its line in a bare "\r", so an error that ended the recording
// while it was shown (a full disk) continued it, and the last line stayed above the summary.
#pragma once

#include <cstdio>
#include <string>

namespace infertrace {

// Whether a terminal takes the line: it is one (is_terminal, isatty's answer) and TERM names a kind
// that is not "dumb", as ninja decides for its status line. A dumb terminal (Emacs' M-x shell, a
// CI log captured through a pty) has no ESC[K and shows it as text, and a lone \r may not return;
// TERM unset (or empty) is no better known.
bool progress_line_wanted(bool is_terminal, const char* term);
// The same for the process's stderr (isatty and getenv("TERM")).
bool progress_line_wanted_on_stderr();

class ProgressLine {
 public:
  // enabled false (not a terminal that takes it, see progress_line_wanted): show() and clear()
  // print nothing.
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
