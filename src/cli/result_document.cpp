#include "cli/result_document.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "ingest/load.h"
#include "util/error.h"

namespace infertrace::cli {

namespace {

// A Kineto trace's own top-level keys; no result document has any of them.
constexpr std::string_view kTraceKeys[] = {"\"traceEvents\"", "\"schemaVersion\"", "\"deviceProperties\""};
constexpr size_t kLongestKey = 18;  // "\"deviceProperties\""

// A trace key as a key: the quoted name followed by ':' (after white space), so that a saved
// result whose text merely holds the string "traceEvents" as a value is not taken for a trace
// (review S41 L2). `undecided` gets the offset of a match that only white space follows so far: the
// next read decides it (at the end of the file it is no key).
bool names_a_trace_key(std::string_view s, size_t& undecided) {
  undecided = std::string_view::npos;
  for (std::string_view k : kTraceKeys)
    for (size_t at = s.find(k); at != std::string_view::npos; at = s.find(k, at + 1)) {
      const size_t next = s.find_first_not_of(" \t\r\n", at + k.size());
      if (next == std::string_view::npos) undecided = std::min(undecided, at);
      else if (s[next] == ':') return true;
    }
  return false;
}

}  // namespace

std::optional<std::string> read_result_document(const std::string& path) {
  // gzread reads a gzip file decompressed (every member) and any other file as it is.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw InputError(path, -1, std::string("cannot open: ") + std::strerror(errno ? errno : ENOMEM));
  struct Closer {
    gzFile f;
    ~Closer() {
      if (f) gzclose(f);
    }
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
    size_t undecided = 0;
    if (names_a_trace_key(std::string_view(text).substr(scanned), undecided)) return std::nullopt;
    scanned = undecided != std::string_view::npos ? scanned + undecided
              : text.size() > kLongestKey         ? std::max(scanned, text.size() - kLongestKey)
                                                  : scanned;
    if (n == 0) break;
  }
  if (!object_checked) return std::nullopt;
  // gzread ends a gzip stream cut short (its data or its 8-byte trailer) as if it were complete;
  // only the close says so (review S41 L1: such a file was read, or refused as invalid JSON).
  const int closed = gzclose(f);
  closer.f = nullptr;
  if (closed == Z_BUF_ERROR) throw InputError(path, static_cast<int64_t>(text.size()), "gzip stream is truncated");
  if (closed != Z_OK) throw InputError(path, -1, "cannot read the gzip stream (zlib error " + std::to_string(closed) + ")");
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  return text;
}

std::optional<std::string> result_document_text(const char* data, size_t size) {
  std::string_view s(data, size);
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || s[first] != '{') return std::nullopt;
  size_t undecided = 0;  // (a match at the very end is no key: the text is whole)
  if (names_a_trace_key(s, undecided)) return std::nullopt;
  return std::string(s);
}

ResultOrTrace read_result_or_trace(const std::string& path) {
  ResultOrTrace r;
  if (!input_read_only_once(path)) {
    r.result = read_result_document(path);
    return r;
  }
  // Read as the trace loader reads a stream (gzip inflated, its first bytes checked: a result is a
  // JSON object, which that check lets through).
  InputBuffer in = read_trace_input(path);
  r.result = result_document_text(in.data(), in.size());
  if (!r.result) r.bytes.emplace(std::move(in));
  return r;
}

NamedInput split_named_input(const std::string& arg, const std::string& verb) {
  const size_t eq = arg.find('=');
  std::error_code ec;  // (an unreadable directory on the way: no such file, so NAME=PATH)
  if (eq == std::string::npos || eq == 0 || std::filesystem::exists(arg, ec)) return {"", arg};
  // "a=" names an input and no file: said so, not ": cannot open" about an empty path.
  if (eq + 1 == arg.size()) throw UsageError(verb + ": " + arg + " names no file (expected NAME=PATH)");
  return {arg.substr(0, eq), arg.substr(eq + 1)};
}

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// /dev/fd/N, /proc/self/fd/N, /proc/thread-self/fd/N, /proc/PID/fd/N (as written: not resolved).
bool names_a_descriptor(std::string_view p) {
  for (std::string_view dir : {"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"})
    if (p.starts_with(dir)) return all_digits(p.substr(dir.size()));
  if (!p.starts_with("/proc/")) return false;
  p.remove_prefix(6);
  const size_t slash = p.find('/');
  return slash != std::string_view::npos && all_digits(p.substr(0, slash)) && p.substr(slash).starts_with("/fd/") &&
         all_digits(p.substr(slash + 4));
}

}  // namespace

std::string descriptor_input_name(const std::string& verb, const std::string& path, size_t place) {
  if (!names_a_descriptor(path)) return "";
  const std::string name = "input " + std::to_string(place);
  std::cerr << verb << ": " << path << " is named '" << name
            << "' (its place among the inputs); NAME=PATH names an input, as name=<(...) does\n";
  return name;
}

}  // namespace infertrace::cli
