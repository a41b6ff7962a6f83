#include "record/itrace_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ingest/recording/itrace_format.h"
#include "record/output_lock.h"
#include "util/error.h"
#include "util/inherited_descriptor.h"
#include "util/output_target.h"

namespace infertrace {

ItraceWriter::ItraceWriter(const std::string& path, OpenLater) : path_(path) {
  unsigned char hdr[itrace::kFileHeaderBytes];
  std::memcpy(hdr, itrace::kMagic, 8);
  const uint32_t version = itrace::kVersion, size = itrace::kFileHeaderBytes;
  std::memcpy(hdr + 8, &version, 4);
  std::memcpy(hdr + 12, &size, 4);
  // Reserved first: GCC 12 warns (-Wstringop-overflow, a false positive) on the insert's
  // reallocating path into an empty vector.
  buf_.reserve(4 << 20);
  buf_.insert(buf_.end(), hdr, hdr + sizeof(hdr));
}

ItraceWriter::ItraceWriter(const std::string& path) : ItraceWriter(path, OpenLater{}) { open(); }

bool ItraceWriter::open(const std::function<bool()>& proceed) {
  if (fd_ >= 0 || finished_) throw Error(path_ + ": recording opened twice");
  // record itself refuses a descriptor (record_targets.cpp: the command shares it); another user
  // of this writer naming one gets it written at its offset, never a reopened, truncated file.
  const OutputTarget target = resolve_output_target(path_);
  if (target.descriptor >= 0) {
    fd_ = duplicate_descriptor(target.descriptor, path_);
  } else {
    // Not truncated at the open: a file another recorder is writing is refused first, whole
    // (review SG H1: two recorders of the default run.itrace destroyed both recordings).
    // A FIFO's open waits for a reader: a signal then (a stop of the recorder) interrupts it, EINTR,
    // which `proceed` decides on (a stop: nothing written), else the open is tried again.
    while ((fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) {
      if (errno != EINTR) throw Error(path_ + ": cannot create recording: " + std::strerror(errno));
      if (proceed && !proceed()) return false;
    }
    struct stat st{};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      try {
        lock_output(fd_, path_);
      } catch (...) {
        ::close(fd_);
        fd_ = -1;
        throw;
      }
      if (proceed && !proceed()) {
        ::close(fd_);  // (the lock goes with it)
        fd_ = -1;
        return false;
      }
      if (::ftruncate(fd_, 0) != 0) {
        const int e = errno;
        ::close(fd_);
        fd_ = -1;
        throw Error(path_ + ": cannot truncate the earlier recording: " + std::strerror(e));
      }
      own_file_ = true;
      dev_ = st.st_dev;
      ino_ = st.st_ino;
    }
  }
  if (!own_file_ && proceed && !proceed()) {  // a FIFO or a device: nothing written into it yet
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  flush();
  if (failed()) {  // a constructor that calls open() and throws runs no destructor: close it here
    ::close(fd_);
    fd_ = -1;
    throw Error(failure_);
  }
  return true;
}

ItraceWriter::~ItraceWriter() {
  if (fd_ >= 0) {
    try {
      flush();
    } catch (const Error&) {
    }
    ::close(fd_);
  }
}

void ItraceWriter::record(uint32_t type, const void* payload, uint32_t len) {
  if (failed()) {
    ++discarded_[type];
    return;
  }
  const uint32_t h[2] = {type, len};
  const auto* hp = reinterpret_cast<const unsigned char*>(h);
  buf_.insert(buf_.end(), hp, hp + sizeof(h));
  const auto* p = static_cast<const unsigned char*>(payload);
  buf_.insert(buf_.end(), p, p + len);
  if (buf_.size() >= (4u << 20)) flush();
}

void ItraceWriter::meta(std::string_view key, std::string_view value) {
  std::vector<unsigned char> p(4 + key.size() + value.size());
  const uint32_t klen = static_cast<uint32_t>(key.size());
  std::memcpy(p.data(), &klen, 4);
  std::memcpy(p.data() + 4, key.data(), key.size());
  std::memcpy(p.data() + 4 + key.size(), value.data(), value.size());
  record(IT_EV_META, p.data(), static_cast<uint32_t>(p.size()));
}

void ItraceWriter::flush() {
  if (fd_ < 0 || failed()) return;  // not opened yet (OpenLater): kept for open()
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno, done);
      return;
    }
    done += static_cast<size_t>(n);
  }
  written_ += done;
  buf_.clear();
}

// The buffer always starts at a record's start (or with the file header, before anything was
// written): the file is cut back to the last record the failed write left whole, so it stays a
// valid prefix ending at a record boundary, and what was not written is counted by type.
void ItraceWriter::fail(int err, size_t done) {
  failure_ = path_ + ": write failed: " + std::strerror(err);
  size_t keep = 0;
  if (written_ > 0 || done >= itrace::kFileHeaderBytes) {
    size_t at = written_ > 0 ? 0 : itrace::kFileHeaderBytes;
    keep = at;
    while (at + 8 <= done) {
      uint32_t len;
      std::memcpy(&len, buf_.data() + at + 4, 4);
      if (at + 8 + len > done) break;
      at += 8 + len;
      keep = at;
    }
  }
  // Only a file of our own is cut (a descriptor's file may not start at offset 0).
  const bool cut = own_file_ && ::ftruncate(fd_, static_cast<off_t>(written_ + keep)) == 0;
  discard_records(written_ == 0 && keep == 0 ? itrace::kFileHeaderBytes : keep);
  written_ += cut ? keep : done;
  buf_.clear();
}

void ItraceWriter::discard_records(size_t from) {
  for (size_t at = from; at + 8 <= buf_.size();) {
    uint32_t h[2];
    std::memcpy(h, buf_.data() + at, 8);
    ++discarded_[h[0]];
    at += 8 + h[1];
  }
}

// Whether the file still starts with the header written: a truncation by another process followed
// by more of our writes (at our own offset) leaves the file its old size, its start a hole of zeros.
// Read through /proc/self/fd (the descriptor is write-only); true when that cannot be opened.
bool ItraceWriter::header_intact() const {
  const int rd = ::open(("/proc/self/fd/" + std::to_string(fd_)).c_str(), O_RDONLY | O_CLOEXEC);
  if (rd < 0) return true;
  unsigned char head[sizeof itrace::kMagic];
  const ssize_t n = ::pread(rd, head, sizeof head, 0);
  ::close(rd);
  return n == static_cast<ssize_t>(sizeof head) && std::memcmp(head, itrace::kMagic, sizeof head) == 0;
}

void ItraceWriter::finish() {
  if (fd_ < 0) throw Error(path_ + ": recording finished before it was opened");
  record(IT_EV_END, nullptr, 0);
  flush();
  std::string changed;
  if (!failed() && own_file_) {
    // The path must still name the file written, whole: deleted (its directory removed), moved or
    // replaced, or written into by another process meanwhile, the recording is not there to read
    // (review SG M4: "recorded 3.00 s into gone/x.itrace", exit 0, and no file).
    struct stat now{}, named{};
    const bool have_now = ::fstat(fd_, &now) == 0;
    const bool have_named = ::stat(path_.c_str(), &named) == 0;
    const bool same = have_named && named.st_dev == dev_ && named.st_ino == ino_;
    const bool unlinked = have_now && now.st_nlink == 0;
    if (!same && have_named)
      changed = path_ + ": this name now refers to another file: the recording was replaced while it was being "
                "written" + (unlinked ? " (nothing of it is left)" : " (moved to another name)");
    else if (unlinked)
      changed = path_ + ": the recording was deleted while it was being written (its name removed, or its "
                "directory): nothing of it is left";
    else if (!same)
      changed = path_ + ": no file has this name any more: the recording was moved, or its directory renamed, "
                "while it was being written";
    else if ((have_now && static_cast<uint64_t>(now.st_size) != written_) || !header_intact())
      changed = path_ + ": another process wrote into the file or truncated it while it was being written (" +
                (have_now ? std::to_string(now.st_size) : std::string("?")) + " bytes in it, " +
                std::to_string(written_) + " written, " + (header_intact() ? "its header intact" : "its header gone") +
                "): it is not this recording";
  }
  const int closed = ::close(fd_);
  const int close_errno = errno;
  fd_ = -1;
  finished_ = true;
  if (failed()) throw Error(failure_);
  if (closed != 0) throw Error(path_ + ": close failed: " + std::strerror(close_errno));
  if (!changed.empty()) throw Error(changed);
}

}  // namespace infertrace
