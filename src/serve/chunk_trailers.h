// A chunked request body's framing followed byte by byte, to drop the trailer fields after its
// last chunk: cpp-httplib 0.11 wants the blank line right after "0\r\n" and fails the body (400)
// when a client sends trailers there, which HTTP/1.1 allows (docs/serve.md "Connections and
// limits"). Everything else passes unchanged, so cpp-httplib still parses the chunks itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace infertrace::serve {

class ChunkTrailerFilter {
 public:
  // Most bytes of trailer fields kept track of; more fails the body (feed returns false).
  static constexpr size_t kMaxTrailerBytes = 8 << 10;

  // Takes in[0..n) of the body as received and appends to `out` what cpp-httplib is to read:
  // the same bytes, less the trailer fields. False once the trailers pass kMaxTrailerBytes, and
  // for a size line whose size is not hex digits alone ("-5", "0x10", " 3", "zz": RFC 9112's
  // 1*HEXDIG, which cpp-httplib's strtoul reads laxly) or is 2^63 or more.
  bool feed(const char* in, size_t n, std::string& out);

 private:
  enum class State { kSizeLine, kData, kDataEnd, kTrailers, kPass };
  State state_ = State::kSizeLine;
  std::string line_;     // the size line or trailer line read so far
  uint64_t left_ = 0;    // bytes of the current chunk's data still to come
  size_t trailer_bytes_ = 0;
};

}  // namespace infertrace::serve
