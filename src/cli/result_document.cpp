#include "cli/result_document.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "util/error.h"

namespace infertrace::cli {

namespace {

// A Kineto trace's own top-level keys; no result document has any of them.
constexpr std::string_view kTraceKeys[] = {"\"traceEvents\"", "\"schemaVersion\"", "\"deviceProperties\""};
constexpr size_t kLongestKey = 18;  // "\"deviceProperties\""

bool names_a_trace_key(std::string_view s) {
  for (std::string_view k : kTraceKeys)
    if (s.find(k) != std::string_view::npos) return true;
  return false;
}

}  // namespace

std::optional<std::string> read_result_document(const std::string& path) {
  // gzread reads a gzip file decompressed (every member) and any other file as it is.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path, -1, std::string("cannot open: ") + std::strerror(errno ? errno : ENOMEM));
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{f};
  std::string text;
  size_t scanned = 0;  // text before this offset holds no trace key starting there
  char buf[1 << 16];
  bool object_checked = false;
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int zerr = 0;
      const char* msg = gzerror(f, &zerr);
      // A file that is not what it seems (truncated gzip, a directory) is the trace loader's to
      // refuse with its own message unless it already looked like a result document.
      if (!object_checked) return std::nullopt;
      throw InputError(path, static_cast<int64_t>(text.size()),
                       std::string("cannot read: ") + (zerr == Z_ERRNO ? std::strerror(errno) : msg));
    }
    text.append(buf, static_cast<size_t>(n));
    if (!object_checked) {
      // The first thing after an optional UTF-8 byte-order mark and white space is '{'.
      std::string_view s(text);
      if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
      const size_t first = s.find_first_not_of(" \t\r\n");
      if (first == std::string_view::npos) {
        if (n == 0) return std::nullopt;  // empty or blank: not a document
        continue;
      }
      if (s[first] != '{') return std::nullopt;  // a recording, a JSON array, ...
      object_checked = true;
    }
    // Kineto traces name their keys early, but a long first member (a re-serialised trace's
    // traceName or metadata) can push them anywhere: the whole text is searched (review HR M2).
    if (names_a_trace_key(std::string_view(text).substr(scanned))) return std::nullopt;
    scanned = text.size() > kLongestKey ? text.size() - kLongestKey : 0;
    if (n == 0) break;
  }
  if (!object_checked) return std::nullopt;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

}  // namespace infertrace::cli
