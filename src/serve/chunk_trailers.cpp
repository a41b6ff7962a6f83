#include "serve/chunk_trailers.h"

#include <algorithm>

namespace infertrace::serve {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The chunk size at the start of a size line (extensions after ';' ignored, as cpp-httplib does);
// false when the line does not start with a hex number cpp-httplib would read.
bool chunk_size(const std::string& line, uint64_t& size) {
  size = 0;
  size_t i = 0;
  for (; i < line.size(); ++i) {
    const int d = hex_digit(line[i]);
    if (d < 0) break;
    if (i >= 15) return false;  // past any size the body cap allows: left to cpp-httplib to refuse
    size = size * 16 + static_cast<uint64_t>(d);
  }
  return i > 0;
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
      case State::kSizeLine:
        out += in[i];
        line_ += in[i];
        if (line_.size() > kMaxTrailerBytes) {  // no size line: cpp-httplib fails the body
          state_ = State::kPass;
          line_.clear();
        } else if (in[i++] == '\n') {
          uint64_t size = 0;
          // A line cpp-httplib cannot read: the rest goes to it as it is, and it fails the body.
          if (!chunk_size(line_, size)) state_ = State::kPass;
          else if (size == 0) state_ = State::kTrailers;
          else state_ = State::kData, left_ = size;
          line_.clear();
        }
        break;
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
