#pragma once
// The first bytes a gzip stream inflates to, undone as its compressed bytes arrive, so that a
// stream read through a pipe can be judged by its content before it is read to its end (an endless
// `cat /dev/zero | gzip` was read until memory ran out: the content was checked only once whole).

#include <cstddef>
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
  // last call's size were fed then). Returns false once the stream cannot be inflated (corrupt
  // data, an error of zlib): the whole-stream inflation says why later, with the byte.
  bool feed(const unsigned char* compressed, size_t size);

  const char* data() const { return head_.data(); }
  size_t size() const { return head_.size(); }
  bool full() const { return head_.size() >= limit_; }

 private:
  struct State;
  std::unique_ptr<State> z_;
  std::string head_;
  size_t limit_;
  size_t fed_ = 0;
  bool failed_ = false;
};

}  // namespace infertrace
