// Writes a .itrace recording (docs/recording-format.md) incrementally: records are buffered in
// memory and appended to the file with write(2) at every flush(), so a recorder killed at any point
// leaves a file the reader accepts up to its last complete record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace {

class ItraceWriter {
 public:
  explicit ItraceWriter(const std::string& path);  // throws Error naming the path
  ~ItraceWriter();
  ItraceWriter(const ItraceWriter&) = delete;
  ItraceWriter& operator=(const ItraceWriter&) = delete;

  void meta(std::string_view key, std::string_view value);
  // One record; `payload` is copied (ring-buffer samples are only valid inside the callback).
  void record(uint32_t type, const void* payload, uint32_t len);
  void flush();
  // Writes the END record and closes the file.
  void finish();
  uint64_t bytes_written() const { return written_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<unsigned char> buf_;
  uint64_t written_ = 0;
};

}  // namespace infertrace
