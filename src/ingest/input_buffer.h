// The bytes of an input file, ready for simdjson: plain files are memory-mapped, gzip files
// (one or several members) are inflated into memory. Either way at least kPadding readable zero
// bytes follow the data, which simdjson's on-demand parser requires, and the bytes are the
// buffer's own: a private copy-on-write mapping or a heap block, so a reader may change a few of
// them in place (the Kineto reader brackets each piece of a large document that way).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace infertrace {

class InputBuffer {
 public:
  static constexpr size_t kPadding = 64;  // >= SIMDJSON_PADDING

  // Called on the first bytes of an input that is read as a stream (a pipe, a device, a file
  // whose size the kernel does not give, as in /proc), after each read until it returns true:
  // `complete` says the stream has ended. It throws (InputError) to refuse the input, returns
  // false to see more bytes first. Without it, /dev/zero was read until memory ran out.
  using HeadCheck = std::function<bool(const char* data, size_t size, bool complete)>;

  // Reads `path`; gzip is recognised by its magic bytes, not the file name. Throws InputError.
  // `prefault`: map every page of a plain file at once (else they fault in as they are read, or
  // a reader maps them piece by piece: see file_backed()). `check_head`: see HeadCheck (a
  // mapped file is whole at once: the caller checks it after).
  static InputBuffer open(const std::string& path, bool prefault = true, const HeadCheck& check_head = nullptr);
  // Wraps bytes already in memory (copied into a padded buffer); used by the fuzzer and tests.
  static InputBuffer from_memory(const void* data, size_t size, const std::string& name);

  InputBuffer(InputBuffer&& o) noexcept;
  InputBuffer& operator=(InputBuffer&& o) noexcept;
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;
  ~InputBuffer();

  const char* data() const { return data_; }
  // The same bytes, writable: writing one costs at most a copy of its page, never the file.
  char* mutable_data() const { return data_; }
  size_t size() const { return size_; }
  // Bytes readable from data(): size() + at least kPadding.
  size_t capacity() const { return capacity_; }
  bool was_gzip() const { return gzip_; }
  // The bytes are a private mapping of the file itself: pages can be dropped (MADV_DONTNEED) and
  // read back from the file unchanged, as long as any byte written was put back first.
  bool file_backed() const { return map_len_ > 0; }
  // Maps every page now (what open(path, true) does).
  void prefault() const;

 private:
  InputBuffer() = default;
  void release();

  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool gzip_ = false;
  // Exactly one owner: an mmap'd region (map_len_ > 0) or a malloc'd block (heap_ != nullptr).
  void* map_ = nullptr;
  size_t map_len_ = 0;
  char* heap_ = nullptr;
};

// Whether open(path) reads `path` as a stream (a pipe, a FIFO, a device, a file of no stated size):
// such an input may give its bytes only once, so a caller that looks at them before they are read
// as a trace keeps the InputBuffer instead of opening the path again. False for a path it cannot
// stat (open() then names the error).
bool input_read_only_once(const std::string& path);

// True when the bytes start with the gzip magic (1f 8b).
bool is_gzip(const void* data, size_t size);

}  // namespace infertrace
