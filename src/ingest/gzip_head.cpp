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
  if (!z_->open) fail(0, "cannot initialise zlib");
}

GzipHead::~GzipHead() {
  if (z_->open) inflateEnd(&z_->zs);
}

void GzipHead::fail(size_t at, std::string why) {
  if (!error_.empty()) return;
  error_ = std::move(why);
  error_offset_ = static_cast<int64_t>(at);
}

bool GzipHead::feed(const unsigned char* compressed, size_t size) {
  while (error_.empty() && !full() && fed_ < size) {
    if (between_members_) {
      // Zeros after a member are padding (a copy padded to a block size), as gzip itself reads
      // them; a byte after them, or anything but a member's magic right after a member, is not.
      const unsigned char c = compressed[fed_];
      if (c == 0) {
        if (!in_padding_) padding_from_ = fed_;
        in_padding_ = true;
        ++fed_;
        continue;
      }
      if (in_padding_ || c != 0x1f) {
        fail(in_padding_ ? padding_from_ : fed_, "trailing bytes after the last gzip member");
        break;
      }
      between_members_ = false;  // the next member: zlib checks the rest of its header
    }
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
      if (inflateReset(&z_->zs) != Z_OK) fail(fed_, "cannot reset zlib");
      between_members_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) break;  // all the input so far is taken in: wait for more
    if (rc != Z_OK)
      fail(fed_, std::string("corrupt gzip data (") + (z_->zs.msg ? z_->zs.msg : "error " + std::to_string(rc)) + ")");
  }
  return error_.empty();
}

}  // namespace infertrace
