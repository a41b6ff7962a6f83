#include "ingest/gzip_head.h"

#include <zlib.h>

#include <algorithm>

namespace infertrace {

struct GzipHead::State {
  z_stream zs{};
  bool open = false;
};

GzipHead::GzipHead(size_t limit) : z_(std::make_unique<State>()), limit_(limit) {
  z_->open = inflateInit2(&z_->zs, 15 + 16) == Z_OK;
  failed_ = !z_->open;
}

GzipHead::~GzipHead() {
  if (z_->open) inflateEnd(&z_->zs);
}

bool GzipHead::feed(const unsigned char* compressed, size_t size) {
  while (!failed_ && !full() && fed_ < size) {
    // Small steps: the head is a few KiB, and zlib counts in 32-bit uInt.
    const size_t in_step = std::min<size_t>(size - fed_, 1 << 16);
    const size_t at = head_.size();
    const size_t out_step = std::min<size_t>(limit_ - at, 1 << 16);
    head_.resize(at + out_step);
    z_->zs.next_in = const_cast<unsigned char*>(compressed + fed_);
    z_->zs.avail_in = static_cast<uInt>(in_step);
    z_->zs.next_out = reinterpret_cast<unsigned char*>(&head_[at]);
    z_->zs.avail_out = static_cast<uInt>(out_step);
    const int rc = inflate(&z_->zs, Z_NO_FLUSH);
    fed_ += in_step - z_->zs.avail_in;
    head_.resize(at + out_step - z_->zs.avail_out);
    if (rc == Z_STREAM_END) {
      // Members follow one another (`gzip a b > c`): the next starts right after.
      if (inflateReset(&z_->zs) != Z_OK) failed_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) break;  // all the input so far is taken in: wait for more
    if (rc != Z_OK) failed_ = true;
  }
  return !failed_;
}

}  // namespace infertrace
