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
  // Opens (truncates) the file at once; throws Error naming the path.
  explicit ItraceWriter(const std::string& path);
  // Buffers the records without touching the file until open(): the recorder opens its output only
  // once its probes are loaded and attached, so a failed start-up or a stop during it leaves an
  // earlier file as it was (review RX2 L5).
  struct OpenLater {};
  ItraceWriter(const std::string& path, OpenLater);
  // Opens (truncates) the file and writes what was buffered; throws Error naming the path.
  void open();
  bool is_open() const { return fd_ >= 0; }
  ~ItraceWriter();
  ItraceWriter(const ItraceWriter&) = delete;
  ItraceWriter& operator=(const ItraceWriter&) = delete;

  void meta(std::string_view key, std::string_view value);
  // One record; `payload` is copied (ring-buffer samples are only valid inside the callback).
  void record(uint32_t type, const void* payload, uint32_t len);
  // Writes the buffered records (kept buffered until open() for a writer made with OpenLater).
  void flush();
  // Writes the END record and closes the file.
  void finish();
  uint64_t bytes_written() const { return written_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<unsigned char> buf_;
  uint64_t written_ = 0;
  bool finished_ = false;
};

}  // namespace infertrace
