#pragma once
// The first bytes a gzip stream inflates to, undone as its compressed bytes arrive, so that a
// stream read through a pipe can be judged by its content before it is read to its end (an endless
// `cat /dev/zero | gzip` was read until memory ran out: the content was checked only once whole).
// It follows the whole-stream inflation's rules (input_buffer.cpp): members one after another,
// zero bytes after the last member as padding, anything else after a member an error.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace infertrace {

class GzipHead {
 public:
  // Keeps at most `limit` inflated bytes; what comes after them is not inflated.
  explicit GzipHead(size_t limit);
  ~GzipHead();
  GzipHead(const GzipHead&) = delete;
  GzipHead& operator=(const GzipHead&) = delete;

  // Inflates what is new in `compressed[0, size)` (the whole stream so far: the bytes before the
  // last call's size were fed then). Returns false once the stream cannot be inflated: then
  // error() says why, in the whole-stream inflation's words, and error_offset() where, in the
  // compressed bytes.
  bool feed(const unsigned char* compressed, size_t size);

  const char* data() const { return head_.data(); }
  size_t size() const { return head_.size(); }
  bool full() const { return head_.size() >= limit_; }
  // Compressed bytes taken in so far.
  size_t fed() const { return fed_; }
  const std::string& error() const { return error_; }
  int64_t error_offset() const { return error_offset_; }

 private:
  void fail(size_t at, std::string why);

  struct State;
  std::unique_ptr<State> z_;
  std::string head_;
  size_t limit_;
  size_t fed_ = 0;
  bool between_members_ = false;  // a member has ended: next come zeros (padding) or a member
  size_t padding_from_ = 0;       // where zero padding began (valid while zeros come)
  bool in_padding_ = false;
  std::string error_;
  int64_t error_offset_ = -1;
};

}  // namespace infertrace
