#include "record/cupti_ring.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace infertrace::cupti {

namespace {

uint64_t round_capacity(uint64_t c) {
  uint64_t p = 64;
  while (p < c && p < (1ull << 40)) p <<= 1;
  return p;
}

uint32_t slots_for(uint32_t len) { return (kRecordHeaderBytes + len + kSlotBytes - 1) / kSlotBytes; }

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

}  // namespace

size_t ring_segment_bytes(uint64_t capacity) {
  return kRingHeaderBytes + capacity * sizeof(uint64_t) + capacity * kSlotBytes;
}

Ring::~Ring() { unmap(); }

Ring::Ring(Ring&& o) noexcept : h_(o.h_), bytes_(o.bytes_), lock_fd_(o.lock_fd_), path_(std::move(o.path_)) {
  o.h_ = nullptr, o.bytes_ = 0, o.lock_fd_ = -1;
  o.path_.clear();
}

Ring& Ring::operator=(Ring&& o) noexcept {
  if (this != &o) {
    unmap();
    h_ = o.h_, bytes_ = o.bytes_, lock_fd_ = o.lock_fd_, path_ = std::move(o.path_);
    o.h_ = nullptr, o.bytes_ = 0, o.lock_fd_ = -1;
    o.path_.clear();
  }
  return *this;
}

void Ring::remove_file() {
  if (!path_.empty()) ::unlink(path_.c_str());  // we hold the lock: the name is still our file
  path_.clear();
}

void Ring::unmap() {
  remove_file();  // before the lock goes (see create())
  if (h_) ::munmap(h_, bytes_);
  h_ = nullptr;
  bytes_ = 0;
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the lock: the ring may now be cleaned up
  lock_fd_ = -1;
}

std::atomic<uint64_t>* Ring::seq() const {
  return reinterpret_cast<std::atomic<uint64_t>*>(reinterpret_cast<unsigned char*>(h_) + kRingHeaderBytes);
}

unsigned char* Ring::data() const {
  return reinterpret_cast<unsigned char*>(h_) + kRingHeaderBytes + h_->capacity * sizeof(uint64_t);
}

uint32_t Ring::max_payload() const {
  // A record may use at most a quarter of the ring, so one large record cannot starve the rest.
  return h_ ? static_cast<uint32_t>(h_->capacity / 4 * kSlotBytes - kRecordHeaderBytes) : 0;
}

// Sizes and maps `fd` and writes the header; closes `fd` unless `keep_fd` (on failure always).
// `unlink_path` (create()): on failure the file is removed first, while our lock still keeps a
// clean-up away from it, so a full /dev/shm leaves no empty ring behind.
static void init_segment(int fd, uint64_t capacity, const std::string& what, RingHeader** out, size_t* bytes,
                         bool keep_fd = false, const std::string* unlink_path = nullptr) {
  const auto give_up = [&](const std::string& why) {
    const int err = errno;
    if (unlink_path) ::unlink(unlink_path->c_str());
    ::close(fd);
    errno = err;
    fail(what + why);
  };
  const size_t n = ring_segment_bytes(capacity);
  if (::ftruncate(fd, static_cast<off_t>(n)) != 0) give_up(": cannot size the ring");
  // Every page allocated now: a sparse file on a filesystem that then runs out of room (a full
  // /dev/shm, a small ring directory) ends in SIGBUS at the first write to a missing page, in
  // the traced application (review FB M2). Failing here ends the recording before it starts.
  if (const int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(n)); rc != 0) {
    errno = rc;
    give_up(": cannot allocate the ring's " + std::to_string(n) + " bytes");
  }
  void* p = ::mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) give_up(": cannot map the ring");
  if (!keep_fd) ::close(fd);
  auto* h = new (p) RingHeader{};
  std::memcpy(h->magic, kRingMagic, 8);
  h->version = kRingVersion;
  h->header_bytes = kRingHeaderBytes;
  h->slot_bytes = kSlotBytes;
  h->capacity = capacity;
  auto* s = reinterpret_cast<std::atomic<uint64_t>*>(static_cast<unsigned char*>(p) + kRingHeaderBytes);
  for (uint64_t i = 0; i < capacity; ++i) new (&s[i]) std::atomic<uint64_t>(i);
  *out = h;
  *bytes = n;
}

// The file is locked (LOCK_SH) right after its creation, and kept open (O_CLOEXEC: a command we
// exec does not inherit it; a forked child shares the lock, which is harmless) for the Ring's life.
// Between open() and flock() a concurrent clean-up may find the file unlocked and unlink it; the
// name then no longer refers to our file, which the look after the lock catches: we create again.
Ring Ring::create(const std::string& path, uint64_t capacity) {
  for (int attempt = 0;; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) throw RingExists(path + ": cannot create the CUPTI ring: " + std::strerror(errno));
    if (fd < 0) fail(path + ": cannot create the CUPTI ring");
    struct stat ours {}, named {};
    const auto still_ours = [&] {
      return ::fstat(fd, &ours) == 0 && ::stat(path.c_str(), &named) == 0 && ours.st_dev == named.st_dev &&
             ours.st_ino == named.st_ino;
    };
    // LOCK_NB: someone holding LOCK_EX on the new file (a clean-up that found it unlocked, about to
    // remove it) must not hang the recorder; we drop the file and try again, like when it is gone.
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
      const int err = errno;
      if (err != EWOULDBLOCK) {
        if (still_ours()) ::unlink(path.c_str());
        ::close(fd);
        errno = err;
        fail(path + ": cannot lock the CUPTI ring");
      }
      if (still_ours()) ::unlink(path.c_str());
    } else if (still_ours()) {
      Ring r;
      init_segment(fd, round_capacity(capacity), path, &r.h_, &r.bytes_, /*keep_fd=*/true, &path);
      r.lock_fd_ = fd;
      r.path_ = path;
      return r;
    }
    ::close(fd);  // removed under us before the lock, or locked by a clean-up (see above)
    if (attempt == 3) {
      errno = EAGAIN;
      fail(path + ": the CUPTI ring was removed as it was created, 4 times");
    }
  }
}

Ring Ring::create_anonymous(uint64_t capacity) {
  const int fd = ::memfd_create("infertrace-cupti-ring", MFD_CLOEXEC);
  if (fd < 0) fail("memfd_create");
  Ring r;
  init_segment(fd, round_capacity(capacity), "memfd", &r.h_, &r.bytes_);
  return r;
}

Ring Ring::attach(const std::string& path, std::string* why) {
  Ring r;
  auto no = [&](const std::string& m) {
    if (why) *why = path + ": " + m;
    return Ring();
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return no(std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < kRingHeaderBytes) {
    ::close(fd);
    return no("not a ring (too small)");
  }
  void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return no(std::string("mmap: ") + std::strerror(errno));
  auto* h = static_cast<RingHeader*>(p);
  const bool ok = std::memcmp(h->magic, kRingMagic, 8) == 0 && h->version == kRingVersion &&
                  h->header_bytes == kRingHeaderBytes && h->slot_bytes == kSlotBytes && h->capacity >= 64 &&
                  (h->capacity & (h->capacity - 1)) == 0 &&
                  ring_segment_bytes(h->capacity) <= static_cast<size_t>(st.st_size);
  if (!ok) {
    ::munmap(p, static_cast<size_t>(st.st_size));
    return no("not an infertrace CUPTI ring of version " + std::to_string(kRingVersion));
  }
  r.h_ = h;
  r.bytes_ = static_cast<size_t>(st.st_size);
  h->producers.fetch_add(1, std::memory_order_relaxed);
  return r;
}

void Ring::copy_in(uint64_t pos, const unsigned char* src, size_t n) {
  const uint64_t cap_bytes = h_->capacity * kSlotBytes;
  const uint64_t at = (pos & (h_->capacity - 1)) * kSlotBytes;
  const size_t first = static_cast<size_t>(std::min<uint64_t>(n, cap_bytes - at));
  std::memcpy(data() + at, src, first);
  if (first < n) std::memcpy(data(), src + first, n - first);
}

void Ring::copy_out(uint64_t pos, unsigned char* dst, size_t n) const {
  const uint64_t cap_bytes = h_->capacity * kSlotBytes;
  const uint64_t at = (pos & (h_->capacity - 1)) * kSlotBytes;
  const size_t first = static_cast<size_t>(std::min<uint64_t>(n, cap_bytes - at));
  std::memcpy(dst, data() + at, first);
  if (first < n) std::memcpy(dst + first, data(), n - first);
}

bool Ring::push(uint32_t type, const void* payload, uint32_t len) {
  if (!h_) return false;
  if (len > max_payload()) {
    h_->dropped_records.fetch_add(1, std::memory_order_relaxed);
    h_->dropped_bytes.fetch_add(len, std::memory_order_relaxed);
    return false;
  }
  const uint32_t k = slots_for(len);
  const uint64_t mask = h_->capacity - 1;
  std::atomic<uint64_t>* s = seq();
  uint64_t pos = h_->head.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t last = pos + k - 1;
    const uint64_t v = s[last & mask].load(std::memory_order_acquire);
    const int64_t diff = static_cast<int64_t>(v - last);
    if (diff == 0) {
      if (h_->head.compare_exchange_weak(pos, pos + k, std::memory_order_relaxed)) break;
    } else if (diff < 0) {
      // The consumer has not freed that slot yet: the ring is full. Drop, never wait.
      h_->dropped_records.fetch_add(1, std::memory_order_relaxed);
      h_->dropped_bytes.fetch_add(len, std::memory_order_relaxed);
      return false;
    } else {
      pos = h_->head.load(std::memory_order_relaxed);  // another producer took it
    }
  }
  const uint32_t hdr[2] = {type, len};
  copy_in(pos, reinterpret_cast<const unsigned char*>(hdr), sizeof(hdr));
  // The payload starts right after the header (which may itself end exactly at the array end).
  const uint64_t cap_bytes = h_->capacity * kSlotBytes;
  const uint64_t at = ((pos & mask) * kSlotBytes + kRecordHeaderBytes) % cap_bytes;
  const size_t first = static_cast<size_t>(std::min<uint64_t>(len, cap_bytes - at));
  const auto* src = static_cast<const unsigned char*>(payload);
  if (len) {
    std::memcpy(data() + at, src, first);
    if (first < len) std::memcpy(data(), src + first, len - first);
  }
  // Publish: only the first slot carries the "ready" mark; the consumer reads k from the header.
  s[pos & mask].store(pos + 1, std::memory_order_release);
  return true;
}

size_t Ring::drain(const std::function<void(uint32_t, const unsigned char*, uint32_t)>& fn) {
  if (!h_) return 0;
  const uint64_t mask = h_->capacity - 1;
  std::atomic<uint64_t>* s = seq();
  uint64_t pos = h_->tail.load(std::memory_order_relaxed);
  size_t n = 0;
  for (;;) {
    if (s[pos & mask].load(std::memory_order_acquire) != pos + 1) break;  // not published (yet)
    uint32_t hdr[2];
    copy_out(pos, reinterpret_cast<unsigned char*>(hdr), sizeof(hdr));
    const uint32_t len = hdr[1];
    const uint32_t k = slots_for(len);
    scratch_.resize(len);
    const uint64_t cap_bytes = h_->capacity * kSlotBytes;
    const uint64_t at = ((pos & mask) * kSlotBytes + kRecordHeaderBytes) % cap_bytes;
    const size_t first = static_cast<size_t>(std::min<uint64_t>(len, cap_bytes - at));
    const unsigned char* p;
    if (first == len) {
      p = data() + at;  // contiguous: hand it out in place
    } else {
      std::memcpy(scratch_.data(), data() + at, first);
      std::memcpy(scratch_.data() + first, data(), len - first);
      p = reinterpret_cast<const unsigned char*>(scratch_.data());
    }
    fn(hdr[0], p, len);
    // Free the slots for the next lap, in position order (producers rely on that).
    for (uint32_t i = 0; i < k; ++i) s[(pos + i) & mask].store(pos + i + h_->capacity, std::memory_order_release);
    pos += k;
    h_->tail.store(pos, std::memory_order_relaxed);
    ++n;
  }
  return n;
}

uint64_t Ring::pending() const {
  if (!h_) return 0;
  return h_->head.load(std::memory_order_acquire) - h_->tail.load(std::memory_order_relaxed);
}

}  // namespace infertrace::cupti
