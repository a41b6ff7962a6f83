#include "ingest/load.h"
#include "ingest/recording/recording_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>

#include "ingest/gzip_head.h"
#include "ingest/input_buffer.h"
#include "ingest/kineto/kineto_reader.h"
#include "ingest/recording/itrace_format.h"
#include "util/error.h"
#include "util/text_clean.h"

namespace infertrace {

namespace {

enum class Format { Undecided, Recording, Json };

constexpr size_t kMaxLeadingWhiteSpace = size_t{1} << 20;

// The UTF-8 byte-order mark some editors and Windows tools put before JSON text (RFC 8259 lets a
// reader ignore it). A trace that starts with one is read as the same trace without it (review S41
// L3: it was refused as "unknown format", while a saved result with one was read).
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The length of a UTF-8 byte-order mark at the start of the bytes (0 or 3).
size_t bom_length(const char* data, size_t size) {
  return size >= kUtf8Bom.size() && std::memcmp(data, kUtf8Bom.data(), kUtf8Bom.size()) == 0 ? kUtf8Bom.size() : 0;
}

// Which format plain (not gzip) bytes are, from their start: an infertrace recording by its
// header, JSON by its first byte after white space. Throws InputError for anything else.
// `complete`: these are all the bytes (else a prefix too short to tell is Undecided).
Format sniff_format(const char* data, size_t size, bool complete, const std::string& path) {
  if (is_recording(data, size)) return Format::Recording;
  // (a stream's first bytes may be a part of the mark: more are needed to tell)
  if (!complete && size < kUtf8Bom.size() && size > 0 && std::memcmp(data, kUtf8Bom.data(), size) == 0)
    return Format::Undecided;
  size_t i = bom_length(data, size);
  while (i < size && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) ++i;
  if (i == size) {
    if (complete) throw InputError(path, 0, "empty input: not a trace");
    // A stream of nothing but white space (`yes ''`) would be read until memory runs out: no
    // trace starts with a mebibyte of it.
    if (size > kMaxLeadingWhiteSpace)
      throw InputError(path, static_cast<int64_t>(size), "only white space in the first MiB: not a trace");
    return Format::Undecided;
  }
  const char first = data[i];
  if (first == '{' || first == '[') {
    // A stream taken as JSON is read to its end, so an endless one that merely starts with an
    // opener (/dev/urandom, 2 times in 256) would never stop: look past the opener first. JSON text
    // holds no raw control byte but white space, which random bytes hold within a few dozen.
    if (!complete) {
      constexpr size_t kJsonProbe = 256;
      const size_t end = std::min(size, i + kJsonProbe);
      for (size_t k = i + 1; k < end; ++k) {
        const auto c = static_cast<unsigned char>(data[k]);
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
          throw InputError(path, static_cast<int64_t>(k),
                           "unknown format: not JSON text (a raw control byte after the opening bracket)");
      }
      if (size - i < kJsonProbe) return Format::Undecided;
    }
    return Format::Json;
  }
  // (a prefix of the recording header is no JSON, but may still become the header)
  if (!complete && i == 0 && size < sizeof(itrace::kMagic) && std::memcmp(data, itrace::kMagic, size) == 0)
    return Format::Undecided;
  throw InputError(path, static_cast<int64_t>(i),
                   "unknown format: expected a Kineto JSON trace (plain or gzip) or an infertrace recording");
}

}  // namespace

InputBuffer read_trace_input(const std::string& path) {
  // gzip is undone here by its magic bytes, so every format below sees plain bytes.
  // Pages are mapped as the reader needs them: a Kineto document read in pieces maps and drops
  // one piece at a time (kineto_reader.h, ReadOptions::release_input).
  // A stream (pipe, device) is checked as it is read: it must look like a trace from its first
  // bytes, a gzip stream from the first bytes it inflates to (an endless `cat /dev/zero | gzip` was
  // read until memory ran out when gzip was taken whole and checked once inflated).
  auto inflated = std::make_shared<std::unique_ptr<GzipHead>>();
  const auto check_head = [&path, inflated](const char* data, size_t size, bool complete) {
    if (size < 2 && !complete) return false;
    if (!is_gzip(data, size)) return sniff_format(data, size, complete, path) != Format::Undecided;
    // An ended stream is inflated whole and checked as a file is, with its own errors.
    if (complete) return true;
    // More than the white space sniff_format allows, so that every head this long is decided.
    if (!*inflated) *inflated = std::make_unique<GzipHead>(kMaxLeadingWhiteSpace + 4096);
    GzipHead& head = **inflated;
    // Data zlib refuses, or bytes after the last member: refused now, in the whole-stream
    // inflation's words, placed in the compressed bytes (waiting for the end would wait forever on
    // an endless stream).
    if (!head.feed(reinterpret_cast<const unsigned char*>(data), size))
      throw InputError(path, head.error_offset(), head.error());
    if (head.size() == 0) {
      // A header that never ends (a file name field without its 0), endless empty members.
      if (head.fed() > kMaxLeadingWhiteSpace)
        throw InputError(path, static_cast<int64_t>(head.fed()), "gzip stream gave no data in its first MiB: not a trace");
      return false;
    }
    try {
      return sniff_format(head.data(), head.size(), /*complete=*/false, path) != Format::Undecided || head.full();
    } catch (const InputError& e) {
      // Its offset is in the inflated bytes, as the reader's errors on a gzip input say.
      std::string why = e.what();
      const std::string placed = path + ": byte " + std::to_string(e.offset()) + ": ";
      if (why.rfind(placed, 0) == 0) why.erase(0, placed.size());
      throw InputError(path, e.offset(), why + " (offset in the decompressed JSON)");
    }
  };
  return InputBuffer::open(path, /*prefault=*/false, check_head);
}

Trace load_trace(const std::string& path, const LoadOptions& opts) { return load_trace(read_trace_input(path), path, opts); }

Trace load_trace(InputBuffer in, const std::string& path, const LoadOptions& opts) {
  Trace t;
  // The path as the outputs show it (JSON, HTML, SQLite, tables): a Linux file name is bytes, and
  // one that is not UTF-8 (a Latin-1 name) made every JSON dump fail (review CX M1). Invalid bytes
  // and control characters read '?' (util/text_clean.h), as the readers do in names. Errors name
  // the path as given.
  bool changed = false;
  t.file = clean_text(path, changed);

  // An infertrace recording (.itrace) is recognised from its content, before the JSON check.
  if (sniff_format(in.data(), in.size(), /*complete=*/true, path) == Format::Recording) {
    // A mapped file is mapped in a window at a time as it is read (SequentialPages).
    Trace r = read_recording_bytes(in.data(), in.size(), path, /*release_input=*/in.file_backed());
    r.file = std::move(t.file);
    return r;
  }

  t.source = TraceSource::Kineto;
  kineto::ReadOptions ro;
  ro.chunk_bytes = opts.chunk_bytes;
  ro.kernel = opts.parser_kernel;
  ro.direct_scan = opts.direct_scan;
  ro.release_input = in.file_backed();
  ro.decompressed = in.was_gzip();
  // A byte-order mark is skipped: the reader sees the JSON text from its first byte after it, and
  // an offset it names is given back in the file's (or the inflated stream's) own bytes.
  const size_t bom = bom_length(in.data(), in.size());
  try {
    kineto::read_kineto(in.mutable_data() + bom, in.size() - bom, path, ro, t);
  } catch (const InputError& e) {
    if (bom == 0 || e.offset() < 0) throw;
    const std::string said = e.what(), head = path + ": byte " + std::to_string(e.offset()) + ": ";
    throw InputError(path, e.offset() + static_cast<int64_t>(bom),
                     said.rfind(head, 0) == 0 ? said.substr(head.size()) : said);
  }
  if (in.was_gzip()) t.meta["compressed"] = "gzip";
  return t;
}

}  // namespace infertrace
