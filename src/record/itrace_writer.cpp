#include "record/itrace_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ingest/recording/itrace_format.h"
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

void ItraceWriter::open() {
  if (fd_ >= 0 || finished_) throw Error(path_ + ": recording opened twice");
  // record itself refuses a descriptor (record_targets.cpp: the command shares it); another user
  // of this writer naming one gets it written at its offset, never a reopened, truncated file.
  const OutputTarget target = resolve_output_target(path_);
  if (target.descriptor >= 0) {
    fd_ = duplicate_descriptor(target.descriptor, path_);
  } else {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_ + ": cannot create recording: " + std::strerror(errno));
  }
  try {
    flush();
  } catch (...) {  // a constructor that calls open() and throws runs no destructor: close it here
    ::close(fd_);
    fd_ = -1;
    throw;
  }
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
  if (fd_ < 0) return;  // not opened yet (OpenLater): kept for open()
  size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path_ + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  written_ += done;
  buf_.clear();
}

void ItraceWriter::finish() {
  if (fd_ < 0) throw Error(path_ + ": recording finished before it was opened");
  record(IT_EV_END, nullptr, 0);
  flush();
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw Error(path_ + ": close failed: " + std::strerror(errno));
  }
  fd_ = -1;
  finished_ = true;
}

}  // namespace infertrace
