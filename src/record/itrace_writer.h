// Writes a .itrace recording (docs/recording-format.md) incrementally: records are buffered in
// memory and appended to the file with write(2) at every flush(), so a recorder killed at any point
// leaves a file the reader accepts up to its last complete record.
//
// A regular file is opened without O_TRUNC, locked (record/output_lock.h: a second writer of the
// same file is refused before anything of the first is touched) and only then truncated. A write
// that fails (a full disk: ENOSPC, a file size limit: EFBIG, EIO) does not throw, since records
// arrive inside libbpf's ring callback: the writer cuts the file back to its last whole record,
// keeps the error (failed(), failure()), writes nothing more and counts by type what it discarded
// since; finish() then throws the error. finish() also checks that the path still names the file
// written, whole (review SG M4: a recording deleted meanwhile was reported as recorded).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace infertrace {

class ItraceWriter {
 public:
  // Opens (locks, truncates) the file at once; throws Error naming the path.
  explicit ItraceWriter(const std::string& path);
  // Buffers the records without touching the file until open(): the recorder opens its output only
  // once its probes are loaded and attached, so a failed start-up or a stop during it leaves an
  // earlier file as it was (review RX2 L5).
  struct OpenLater {};
  ItraceWriter(const std::string& path, OpenLater);
  // Opens the file, locks a regular one (Error naming the recorder holding it: output_lock.h),
  // truncates it and writes what was buffered; throws Error naming the path. `proceed`, when given,
  // is asked once the file is opened and locked, before anything in it is touched: false closes it
  // again, untouched (a stop that came during the recorder's start-up: review SG L7), and open()
  // returns false.
  bool open(const std::function<bool()>& proceed = nullptr);
  bool is_open() const { return fd_ >= 0; }
  ~ItraceWriter();
  ItraceWriter(const ItraceWriter&) = delete;
  ItraceWriter& operator=(const ItraceWriter&) = delete;

  void meta(std::string_view key, std::string_view value);
  // One record; `payload` is copied (ring-buffer samples are only valid inside the callback).
  void record(uint32_t type, const void* payload, uint32_t len);
  // Writes the buffered records (kept buffered until open() for a writer made with OpenLater); a
  // failed write makes the writer failed() (above), it does not throw.
  void flush();
  // Writes the END record and closes the file. Throws Error when a write failed (failure(), the
  // file left as the valid prefix it was cut back to), when the close fails, and, for a regular
  // file it opened by its path, when that path no longer names the file written (deleted, moved,
  // replaced) or the file's size is not what was written (another process wrote or truncated it).
  void finish();
  // Bytes in the file: after a failure, up to its last whole record.
  uint64_t bytes_written() const { return written_; }
  bool failed() const { return !failure_.empty(); }
  // "PATH: write failed: REASON", empty while none failed.
  const std::string& failure() const { return failure_; }
  // Records (by type, the END record included) not in the file because a write had failed.
  const std::map<uint32_t, uint64_t>& discarded() const { return discarded_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<unsigned char> buf_;
  uint64_t written_ = 0;
  bool finished_ = false;
  void fail(int err, size_t done);
  void discard_records(size_t from);
  bool header_intact() const;
  std::string failure_;
  std::map<uint32_t, uint64_t> discarded_;
  // A regular file opened by its path (not a descriptor, a FIFO, a device): the file finish()
  // checks the path against.
  bool own_file_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace infertrace
