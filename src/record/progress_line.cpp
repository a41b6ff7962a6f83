#include "record/progress_line.h"

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

}  // namespace infertrace
