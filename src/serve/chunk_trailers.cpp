#include "serve/chunk_trailers.h"

#include <algorithm>
#include <string_view>

namespace infertrace::serve {
namespace {

// The chunk size at the start of a size line (the line so far, or a whole one): 1*HEXDIG (RFC
// 9112 section 7.1), then an extension (';', white space before it) or the line's end. false for
// anything else. cpp-httplib reads the size with strtoul base 16, which also takes leading blanks,
// a sign and "0x" ("-5" read as 2^64 - 5 bytes to come: the body then waited for its whole
// --body-deadline, review HS L3): such a line fails the body here, at once. Sizes from 2^63 on are
// refused too (cpp-httplib refuses ULONG_MAX; no body under the cap comes near either).
bool chunk_size(const std::string& line, uint64_t& size) {
  size_t i = 0;
  uint64_t v = 0;
  for (; i < line.size(); ++i) {
    const char c = line[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (v >> 59) return false;  // one more digit would reach 2^63
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (i == 0) return false;
  if (i < line.size() && std::string_view(";\t\r\n ").find(line[i]) == std::string_view::npos) return false;
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
          if (!chunk_size(line_, size)) return false;
          if (size == 0) state_ = State::kTrailers;
          else state_ = State::kData, left_ = size;
          line_.clear();
        } else if (line_.size() > kMaxTrailerBytes) {
          // A size line this long (padding in its extensions) is not followed here: from this byte
          // on everything goes to cpp-httplib as it is, which reads the body itself (trailers
          // after its last chunk would then be its 400, as before this filter existed). Its size
          // is checked all the same.
          uint64_t size = 0;
          if (!chunk_size(line_, size)) return false;
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
