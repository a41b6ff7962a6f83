// libFuzzer target for what bench serve's load generator reads from a server: the SSE stream
// (src/serve/load/sse_parser.*) and an error body (error_detail.*). The SSE parser is incremental,
// so every input is fed three ways — in one piece, one byte at a time, and cut at pseudo-random
// points derived from the input — and all three must deliver the same events. The same bytes as
// an error body must give one short printable line. Any crash, sanitizer report or exception is a
// bug (neither throws: a bad event is kMalformed, a body that is not JSON is its own message).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "serve/load/error_detail.h"
#include "serve/load/sse_parser.h"

namespace {

using infertrace::serve::load::SseEvent;
using infertrace::serve::load::SseKind;
using infertrace::serve::load::SseParser;

struct Seen {
  SseKind kind;
  int64_t completion_tokens;
  std::string message;
  bool operator==(const Seen&) const = default;
};

// Feeds `body` in pieces of the sizes `next_cut` returns (0 ends), then finishes.
template <class NextCut>
std::vector<Seen> run(std::string_view body, NextCut&& next_cut) {
  std::vector<Seen> out;
  SseParser p([&](const SseEvent& e) { out.push_back({e.kind, e.completion_tokens, e.message}); });
  size_t off = 0;
  while (off < body.size()) {
    const size_t n = std::min(next_cut(), body.size() - off);
    p.feed(body.substr(off, n));
    off += n;
  }
  p.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::vector<Seen> whole = run(body, [&] { return body.size(); });
  const std::vector<Seen> bytes = run(body, [] { return size_t{1}; });
  // Cut points from a small xorshift seeded by the input, so a crash reproduces from the file alone.
  uint64_t x = 0x9e3779b97f4a7c15ull ^ size;
  for (size_t i = 0; i < size && i < 16; ++i) x = (x << 8 | x >> 56) ^ data[i];
  const std::vector<Seen> pieces = run(body, [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return size_t{1} + x % 64;
  });
  if (!(whole == bytes && whole == pieces)) std::abort();  // the events depend on how the bytes were split
  for (const Seen& e : whole) {
    // A count comes only from a "usage" object: a usage event always has one, [DONE] and errors none.
    if (e.kind == SseKind::kUsage && e.completion_tokens < 0) std::abort();
    if ((e.kind == SseKind::kDone || e.kind == SseKind::kError) && e.completion_tokens != -1) std::abort();
  }
  // An error body's message: at most kMaxDetail bytes (+ "..." when cut), no control characters.
  for (const std::string& d : {infertrace::serve::load::error_detail_of_body(body),
                               infertrace::serve::load::short_detail(body)}) {
    if (d.size() > infertrace::serve::load::kMaxDetail + 3) std::abort();
    for (unsigned char c : d)
      if (c < 0x20 || c == 0x7f) std::abort();
  }
  return 0;
}
