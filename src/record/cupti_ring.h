// A shared-memory ring that carries CUPTI records from the traced processes (the injection library,
// src/cupti_inject/) to the recorder. Many producers (application threads in API callbacks, CUPTI's
// buffer-complete thread, several processes) and one consumer (the recorder's drain loop).
//
// Lock-free and never blocking for producers: a record that does not fit is dropped and counted in
// the header, because stalling an application thread would change what is being measured.
// Slots of kSlotBytes; a record (8-byte type/length header + payload) takes as many consecutive
// slots as it needs. Each slot has a sequence word (Vyukov's bounded queue, extended to multi-slot
// records): slot i is free for position p when seq == p, holds a published record starting at p
// when seq == p + 1, and the consumer frees it for the next lap with seq = p + capacity. Positions
// are claimed with a CAS on `head`; the consumer releases slots in position order, so when the last
// slot a record needs is free, every slot before it is free too.
//
// A producer that dies between claiming and publishing leaves its slots unpublished: the consumer
// stops there (it never blocks, it simply sees nothing more). Only a crash inside the few
// instructions of a copy can cause that; the records after it are then lost and counted as
// `stalled` by the consumer's caller (see docs/record.md).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace infertrace::cupti {

inline constexpr char kRingMagic[8] = {'I', 'T', 'C', 'U', 'P', 'T', 'I', 'R'};
// 2: the RingCallbacks record (cupti_records.h); 3: its launch_refused count, and launch-class
// meaning every is_launch() API. The recorder creates the ring with its version; a library of
// another version does not attach to it (it records nothing, and the record summary says that no
// process loaded the injection library), rather than either side reading the other's records
// as malformed.
inline constexpr uint32_t kRingVersion = 3;
inline constexpr uint32_t kSlotBytes = 64;
inline constexpr uint32_t kRecordHeaderBytes = 8;  // u32 type, u32 payload length

static_assert(std::atomic<uint64_t>::is_always_lock_free, "the ring needs lock-free 64-bit atomics across processes");

// The segment starts with this header (4 KiB, so the slot arrays are page aligned), then
// `capacity` u64 sequence words, then capacity * kSlotBytes of data.
struct RingHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint32_t slot_bytes;
  uint32_t pad0;
  uint64_t capacity;  // slots, a power of two
  alignas(64) std::atomic<uint64_t> head;  // next position to claim (producers)
  alignas(64) std::atomic<uint64_t> tail;  // next position to read (consumer only)
  alignas(64) std::atomic<uint64_t> dropped_records;  // producers found the ring full
  std::atomic<uint64_t> dropped_bytes;
  std::atomic<uint64_t> producers;  // processes that attached (informational)
};
inline constexpr size_t kRingHeaderBytes = 4096;
static_assert(sizeof(RingHeader) <= kRingHeaderBytes);

// Bytes of a segment with `capacity` slots.
size_t ring_segment_bytes(uint64_t capacity);

// Ring::create found a file at its path already (O_EXCL): the caller may try another name.
struct RingExists : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Ring {
 public:
  Ring() = default;
  ~Ring();
  Ring(Ring&& o) noexcept;
  Ring& operator=(Ring&& o) noexcept;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Creates the segment as a new file at `path` (e.g. /dev/shm/...; must not exist), `capacity`
  // rounded up to a power of two (at least 64 slots). Throws std::runtime_error naming the path
  // (RingExists when a file is already there).
  // The Ring keeps the file open with a shared flock() until it is destroyed: that lock, not the
  // PID in the name, tells remove_stale_cupti_rings() the ring is in use (record/cupti_ring_cleanup.cpp).
  // Producers (attach) neither take nor need it. The Ring owns the file: it removes it when it is
  // destroyed (or by remove_file()), before it drops the lock, so a clean-up never sees the file
  // unlocked while it is still ours. A create that fails leaves no file behind.
  static Ring create(const std::string& path, uint64_t capacity);
  // Creates an anonymous segment (memfd); the mapping is shared with children forked afterwards.
  static Ring create_anonymous(uint64_t capacity);
  // Maps an existing segment for producing. Returns an empty Ring (valid() false) and sets `why`
  // when the file is missing, too small or has a different magic/version: the injection library
  // must never take the application down, it just stays silent.
  static Ring attach(const std::string& path, std::string* why);

  bool valid() const { return h_ != nullptr; }
  uint64_t capacity() const { return h_ ? h_->capacity : 0; }
  // The ring file a create() made and holds open (-1 otherwise): its owner is changed through it,
  // never through its path (which a symlink or FIFO may replace in a user's ring directory).
  int file_descriptor() const { return lock_fd_; }
  // Largest payload one record may carry.
  uint32_t max_payload() const;
  // create(): removes the file now (the mapping stays; producers keep theirs); no-op otherwise.
  void remove_file();
  const RingHeader* header() const { return h_; }
  RingHeader* header() { return h_; }

  // Producer side (any thread, any process): copies one record in. False when it was dropped
  // (ring full or payload too large), which is counted in the header.
  bool push(uint32_t type, const void* payload, uint32_t len);

  // Consumer side (one thread): hands every published record to `fn` in position order and frees
  // its slots. Returns how many records were read. `fn` gets a pointer valid only during the call.
  size_t drain(const std::function<void(uint32_t type, const unsigned char* payload, uint32_t len)>& fn);
  // Positions claimed but not yet read (published or not): 0 once producers are quiet and drained.
  uint64_t pending() const;

 private:
  void unmap();
  std::atomic<uint64_t>* seq() const;
  unsigned char* data() const;
  void copy_in(uint64_t pos, const unsigned char* src, size_t n);
  void copy_out(uint64_t pos, unsigned char* dst, size_t n) const;

  RingHeader* h_ = nullptr;
  size_t bytes_ = 0;
  int lock_fd_ = -1;     // create(): the ring file, holding LOCK_SH while the ring is in use
  std::string path_;     // create(): the file to remove before the lock is dropped; empty once removed
  std::string scratch_;  // consumer: a record that wraps around the end is copied here
};

}  // namespace infertrace::cupti
