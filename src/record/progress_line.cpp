#include "record/progress_line.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace infertrace {

namespace {
constexpr const char* kEraseToEnd = "\x1b[K";  // ECMA-48 EL 0: from the cursor to the end of the line
}

void ProgressLine::show(const std::string& text) {
  if (!enabled_) return;
  std::fprintf(out_, "\r%s%s", text.c_str(), kEraseToEnd);
  std::fflush(out_);
  shown_ = true;
}

void ProgressLine::clear() {
  if (!enabled_ || !shown_) return;
  std::fprintf(out_, "\r%s", kEraseToEnd);
  std::fflush(out_);
  shown_ = false;
}

bool progress_line_wanted(bool is_terminal, const char* term) {
  return is_terminal && term != nullptr && *term != '\0' && std::strcmp(term, "dumb") != 0;
}

bool progress_line_wanted_on_stderr() { return progress_line_wanted(::isatty(STDERR_FILENO) == 1, std::getenv("TERM")); }

}  // namespace infertrace
