#include "ingest/input_buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#if INFERTRACE_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <new>

#include "util/error.h"

namespace infertrace {

namespace {

size_t page_size() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// A big file starts on a 2 MiB boundary of the address space. Recent kernels keep a file that was
// read sequentially in large folios of the page cache (ext4 since Linux 6.16, xfs earlier), and a
// mapping can take such a folio whole only where its address agrees with the file offset modulo
// 2 MiB; anywhere else every 4 KiB page is mapped (and later unmapped) on its own. Measured on a
// 1 GB trace on Linux 6.18, ext4 (docs/benchmarks.md, "Input mapping alignment"): 0.08 s of system
// time to map in the pieces at an arbitrary page, 0.01 s aligned.
constexpr size_t kLargeFolioAlign = size_t{2} << 20;

// Anonymous zero-filled memory of `bytes` (a page multiple) starting at a multiple of `align` (a
// page multiple), or nullptr with errno set. Over-reserves by `align` and gives the ends back.
void* reserve_aligned(size_t bytes, size_t align) {
  const size_t page = page_size();
  const size_t slack = align > page ? align : 0;
  void* raw = mmap(nullptr, bytes + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  if (slack == 0) return raw;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + align - 1) / align * align;
  const size_t head = aligned - start, tail = slack - head;
  if (head) munmap(raw, head);
  if (tail) munmap(reinterpret_cast<void*>(aligned + bytes), tail);
  return reinterpret_cast<void*>(aligned);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// A growable malloc'd block that always keeps kPadding zero bytes after its contents.
struct PaddedBlock {
  char* p = nullptr;
  size_t size = 0, cap = 0;
  ~PaddedBlock() { std::free(p); }
  void reserve(size_t n) {
    if (n <= cap) return;
    char* q = static_cast<char*>(std::realloc(p, n + InputBuffer::kPadding));
    if (!q) throw std::bad_alloc();
    p = q;
    cap = n;
  }
  char* release() {
    char* q = p;
    p = nullptr;
    return q;
  }
  void pad() { std::memset(p + size, 0, InputBuffer::kPadding); }
  // Faults the whole pages of [p+from, p+to) in at once, before inflating into them: one 4 KB page
  // fault at a time cost about as much as the inflating itself (docs/benchmarks.md, "Gzip input").
  void populate(size_t from, size_t to) const {
#ifdef MADV_POPULATE_WRITE
    const uintptr_t page = page_size();
    const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + from + page - 1) & ~(page - 1);
    const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + to) & ~(page - 1);
    if (b > a) madvise(reinterpret_cast<void*>(a), b - a, MADV_POPULATE_WRITE);
#else
    (void)from, (void)to;
#endif
  }
};

// The usual gzip file, one member whose trailer gives its exact size, inflated in one call by
// libdeflate (~1.45x zlib's speed here: 100 MB of JSON in 125 ms against ~180 ms). Returns false,
// with nothing written to `out`, for anything else (several members, a member of 4 GiB or more
// whose size wrapped, corrupt or truncated data): zlib then reads the file and names the problem.
bool inflate_single_member(const unsigned char* in, size_t n, size_t isize, PaddedBlock& out) {
#if INFERTRACE_HAVE_LIBDEFLATE
  if (n < 18 || isize == 0) return false;
  // libdeflate skips a header CRC-16 (FLG.FHCRC) without checking it; zlib checks it. Writers
  // rarely set it, so such a file simply takes the streaming path.
  constexpr unsigned char kFhcrc = 0x02;
  if (in[3] & kFhcrc) return false;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  if (!d) return false;
  out.reserve(isize + 1);
  // Only a plausible size is faulted in up front. The trailer of a truncated file (a trace still
  // being written) is 4 bytes of compressed data: up to 4 GiB were faulted in before the inflate
  // failed (review FL58 L4: 2.9 GB peak for a 15 MB piece of a 16 MB trace). Traces deflate about
  // 20:1; output past the bound still arrives, its pages faulted in as they are written.
  constexpr size_t kTrustedRatio = 32;  // output bytes per compressed byte faulted in up front
  out.populate(0, std::min(isize, kTrustedRatio * n + (size_t{16} << 20)));
  size_t used_in = 0, made = 0;
  const libdeflate_result rc = libdeflate_gzip_decompress_ex(d, in, n, out.p, isize, &used_in, &made);
  libdeflate_free_decompressor(d);
  if (rc != LIBDEFLATE_SUCCESS || used_in != n || made != isize) return false;
  out.size = made;
  return true;
#else
  (void)in, (void)n, (void)isize, (void)out;
  return false;
#endif
}

// Inflates every gzip member of [in, in+n) (`gzip a b > c` concatenates members; PyTorch's own
// writer emits one, other tools several).
void inflate_all(const unsigned char* in, size_t n, const std::string& file, PaddedBlock& out) {
  // The gzip trailer holds the last member's size mod 2^32: a good first guess for one member.
  // It is only a guess, and a forged trailer must not make a 100-byte input allocate 4 GiB:
  // deflate expands at most ~1032:1, so nothing larger can come out of n compressed bytes.
  size_t guess = n * 4;
  if (n >= 18) {
    uint32_t isize;
    std::memcpy(&isize, in + n - 4, 4);
    const size_t most = n * size_t{1032} + 1024;
    if (isize <= most && inflate_single_member(in, n, isize, out)) return;
    if (isize > guess) guess = std::min<size_t>(isize, most);
  }
  out.reserve(guess + 1);
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw Error(file + ": cannot initialise zlib");
  size_t in_pos = 0;
  int rc = Z_OK;
  for (;;) {
    // zlib counts in 32-bit uInt: feed and drain at most 1 GiB per call.
    const size_t in_step = std::min<size_t>(n - in_pos, 1u << 30);
    zs.next_in = const_cast<unsigned char*>(in + in_pos);
    zs.avail_in = static_cast<uInt>(in_step);
    if (out.size == out.cap) out.reserve(out.cap + out.cap / 2 + (1 << 20));
    // 64 MiB at a time, faulted in just before zlib writes them (the member over 4 GiB, whose
    // trailer size wrapped, spent 2.3x the time per byte here, a quarter of it in the kernel: review
    // LR M1). Only what is about to be written: the guess may be far above the output's size.
    const size_t out_step = std::min<size_t>(out.cap - out.size, size_t{64} << 20);
    out.populate(out.size, out.size + out_step);
    zs.next_out = reinterpret_cast<unsigned char*>(out.p + out.size);
    zs.avail_out = static_cast<uInt>(out_step);
    rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_step - zs.avail_in;
    out.size += out_step - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (in_pos == n) break;
      if (n - in_pos >= 2 && in[in_pos] == 0x1f && in[in_pos + 1] == 0x8b) {
        inflateReset(&zs);  // next member
        continue;
      }
      // Zeros after the last member are padding (a copy padded to a block size: tape, some object
      // stores), which gzip itself ignores (review CX L10); anything else is an error.
      if (std::all_of(in + in_pos, in + n, [](unsigned char c) { return c == 0; })) break;
      inflateEnd(&zs);
      throw InputError(file, static_cast<int64_t>(in_pos), "trailing bytes after the last gzip member");
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && in_pos == n) {
      inflateEnd(&zs);
      throw InputError(file, static_cast<int64_t>(n), "gzip stream is truncated");
    }
    if (rc == Z_BUF_ERROR) continue;  // output full: grow and go on
    const std::string why = zs.msg ? zs.msg : "error " + std::to_string(rc);
    inflateEnd(&zs);
    throw InputError(file, static_cast<int64_t>(in_pos), "corrupt gzip data (" + why + ")");
  }
  inflateEnd(&zs);
}

}  // namespace

// The one rule for a stream, here and in open() (its fstat of the open file).
static bool read_as_stream(const struct stat& st) { return !S_ISREG(st.st_mode) || st.st_size == 0; }

bool input_read_only_once(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && read_as_stream(st);
}

bool is_gzip(const void* data, size_t size) {
  const auto* b = static_cast<const unsigned char*>(data);
  return size >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

void InputBuffer::prefault() const {
  // The whole file is read anyway: one call maps it instead of a fault per page. Not
  // MAP_POPULATE, which on a writable private mapping copies every page up front;
  // MADV_POPULATE_READ maps them shared with the page cache. Before Linux 5.14 it fails and the
  // pages fault in one by one as they are read (slower, same result).
#ifdef MADV_POPULATE_READ
  if (map_len_ && size_) madvise(map_, size_, MADV_POPULATE_READ);
#endif
}

InputBuffer InputBuffer::open(const std::string& path, bool prefault, const HeadCheck& check_head) {
  Fd fd;
  fd.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) throw InputError(path, -1, std::string("cannot open: ") + std::strerror(errno));
  struct stat st{};
  if (fstat(fd.fd, &st) != 0) throw InputError(path, -1, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(path, -1, "is a directory");

  InputBuffer b;
  if (read_as_stream(st)) {
    // A pipe or device, or a file of no stated size (procfs gives 0 for files with content; a
    // really empty one reads 0 bytes here): read it all, then treat it like bytes in memory.
    // Its first bytes are checked as they come, so an endless stream of something that is no
    // trace is refused at once instead of read until memory runs out.
    PaddedBlock blk;
    blk.reserve(1 << 20);
    bool head_checked = !check_head;
    for (;;) {
      if (blk.size == blk.cap) blk.reserve(blk.cap * 2);
      const ssize_t r = read(fd.fd, blk.p + blk.size, blk.cap - blk.size);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw InputError(path, static_cast<int64_t>(blk.size), std::string("read error: ") + std::strerror(errno));
      blk.size += static_cast<size_t>(r);
      if (!head_checked) head_checked = check_head(blk.p, blk.size, r == 0);
      if (r == 0) break;
    }
    if (is_gzip(blk.p, blk.size)) return from_memory(blk.p, blk.size, path);  // inflated into a block of its own
    // Plain bytes: the block read is the buffer; a copy doubled the memory of a trace piped in
    // (review S42 L5: 642 MB for a 325 MB trace).
    blk.pad();
    b.size_ = blk.size;
    b.capacity_ = blk.size + kPadding;
    b.heap_ = blk.release();
    b.data_ = b.heap_;
    return b;
  }

  const size_t size = static_cast<size_t>(st.st_size);
  const size_t page = page_size();
  // Reserve the file's pages plus padding as zero-filled anonymous memory, then map the file over
  // the front: the tail of the last file page reads as zeros and the padding pages exist.
  const size_t total = round_up(size + kPadding, page);
  // Writable and private: a reader may change a few bytes in place (input_buffer.h); a written
  // page is copied, the file never changes.
  void* region = reserve_aligned(total, size >= kLargeFolioAlign ? kLargeFolioAlign : page);
  if (region == nullptr) throw InputError(path, -1, std::string("cannot map: ") + std::strerror(errno));
  if (size > 0) {
    void* m = mmap(region, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd.fd, 0);
    if (m == MAP_FAILED) {
      munmap(region, total);
      throw InputError(path, -1, std::string("cannot map: ") + std::strerror(errno));
    }
    madvise(region, size, MADV_SEQUENTIAL);
  }
  b.map_ = region;
  b.map_len_ = total;
  b.data_ = static_cast<char*>(region);
  b.size_ = size;
  b.capacity_ = total;
  if (prefault) b.prefault();

  if (is_gzip(b.data_, b.size_)) {
    PaddedBlock blk;
    inflate_all(reinterpret_cast<const unsigned char*>(b.data_), b.size_, path, blk);
    blk.pad();
    b.release();  // the compressed mapping is no longer needed
    b.gzip_ = true;
    b.size_ = blk.size;
    b.capacity_ = blk.size + kPadding;
    b.heap_ = blk.release();
    b.data_ = b.heap_;
  }
  return b;
}

InputBuffer InputBuffer::from_memory(const void* data, size_t size, const std::string& name) {
  PaddedBlock blk;
  if (is_gzip(data, size)) {
    inflate_all(static_cast<const unsigned char*>(data), size, name, blk);
  } else {
    blk.reserve(size);
    if (size) std::memcpy(blk.p, data, size);
    blk.size = size;
  }
  if (!blk.p) blk.reserve(1);
  blk.pad();
  InputBuffer b;
  b.gzip_ = is_gzip(data, size);
  b.size_ = blk.size;
  b.capacity_ = blk.size + kPadding;
  b.heap_ = blk.release();
  b.data_ = b.heap_;
  return b;
}

void InputBuffer::release() {
  if (map_len_) munmap(map_, map_len_);
  std::free(heap_);
  map_ = nullptr;
  map_len_ = 0;
  heap_ = nullptr;
  data_ = nullptr;
  size_ = capacity_ = 0;
}

InputBuffer::InputBuffer(InputBuffer&& o) noexcept { *this = std::move(o); }

InputBuffer& InputBuffer::operator=(InputBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    gzip_ = o.gzip_;
    map_ = o.map_;
    map_len_ = o.map_len_;
    heap_ = o.heap_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
    o.map_ = nullptr;
    o.map_len_ = 0;
    o.heap_ = nullptr;
  }
  return *this;
}

InputBuffer::~InputBuffer() { release(); }

}  // namespace infertrace
