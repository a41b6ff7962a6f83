#include "serve/chunk_trailers.h"

#include <algorithm>
#include <climits>
#include <cstdlib>

namespace infertrace::serve {
namespace {

// The chunk size at the start of a size line, read exactly as cpp-httplib reads it (strtoul base
// 16: leading blanks, a sign and "0x" taken; extensions after ';' ignored), so both follow the same
// framing; false when cpp-httplib would refuse the line (no number, or ULONG_MAX).
bool chunk_size(const std::string& line, uint64_t& size) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(line.c_str(), &end, 16);
  if (end == line.c_str() || v == ULONG_MAX) return false;
  size = v;
  return true;
}

}  // namespace

bool ChunkTrailerFilter::feed(const char* in, size_t n, std::string& out) {
  size_t i = 0;
  while (i < n) {
    switch (state_) {
      case State::kPass:
        out.append(in + i, n - i);
        return true;
      case State::kData: {
        const size_t k = static_cast<size_t>(std::min<uint64_t>(left_, n - i));
        out.append(in + i, k);
        i += k;
        left_ -= k;
        if (left_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDataEnd:  // the CRLF after a chunk's data
        out += in[i];
        if (in[i++] == '\n') state_ = State::kSizeLine;
        break;
      case State::kSizeLine: {
        const char c = in[i++];
        out += c;
        line_ += c;
        if (c == '\n') {
          uint64_t size = 0;
          // A line cpp-httplib cannot read: the rest goes to it as it is, and it fails the body.
          if (!chunk_size(line_, size)) state_ = State::kPass;
          else if (size == 0) state_ = State::kTrailers;
          else state_ = State::kData, left_ = size;
          line_.clear();
        } else if (line_.size() > kMaxTrailerBytes) {
          // A size line this long (padding in its extensions) is not followed here: from this byte
          // on everything goes to cpp-httplib as it is, which reads the body itself (trailers
          // after its last chunk would then be its 400, as before this filter existed).
          state_ = State::kPass;
          line_.clear();
        }
        break;
      }
      case State::kTrailers:  // field lines up to the blank line that ends the body
        line_ += in[i++];
        if (++trailer_bytes_ > kMaxTrailerBytes) return false;
        if (line_.back() == '\n') {
          if (line_ == "\r\n" || line_ == "\n") {
            out += line_;
            state_ = State::kPass;
          }
          line_.clear();
        }
        break;
    }
  }
  return true;
}

}  // namespace infertrace::serve
