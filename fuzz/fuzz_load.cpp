// libFuzzer target for load_trace (ingest/load.h), the entry every verb reads a trace through:
// a file of arbitrary bytes (memory-mapped, gzip recognised by its magic, a recording or JSON by
// its content), and gzip files this target writes itself from the input, to reach the inflating
// code (input_buffer.cpp) with well-formed members, not only with the random bytes zlib rejects
// at once. The first byte chooses; the rest is the payload P.
// - even: P is the file. It loads or throws InputError.
// - odd: P compressed here into one to four gzip members (cut points and level from the first
//   byte), then maybe cut short or followed by other bytes. Whole, it must load exactly as P
//   itself does (same tables, or an error both ways); cut inside its last member it must be an
//   InputError, and so must bytes after its last member that do not start another one.
// Anything else (a crash, a sanitizer report, another exception, a difference) is a bug.
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/input_buffer.h"
#include "ingest/load.h"
#include "util/error.h"

namespace {

using namespace infertrace;

// `bytes` as a file load_trace maps like any other (a memfd, named through /proc/self/fd).
class MemFile {
 public:
  explicit MemFile(std::string_view bytes) : fd_(memfd_create("fuzz_load", MFD_CLOEXEC)) {
    if (fd_ < 0) std::abort();
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
  }
  ~MemFile() { close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

std::optional<Trace> load(std::string_view bytes) {
  const MemFile f(bytes);
  try {
    return load_trace(f.path());
  } catch (const InputError&) {
    return std::nullopt;
  }
}

// One gzip member of `text` at zlib level `level`.
std::string gzip_member(std::string_view text, int level) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// The recorder's loss windows (LOSS records) read alike from both inputs (review DE L6).
bool same_loss(const Trace& a, const Trace& b) {
  if (a.loss_windows.size() != b.loss_windows.size()) return false;
  for (size_t i = 0; i < a.loss_windows.size(); ++i) {
    const LossWindow &x = a.loss_windows[i], &y = b.loss_windows[i];
    if (x.first != y.first || x.last != y.last || x.cpu != y.cpu || x.lost != y.lost) return false;
  }
  return true;
}

bool same_trace(const Trace& a, const Trace& b) {
  auto meta = [](const Trace& t) {
    auto m = t.meta;
    m.erase("compressed");  // the one fact that tells a compressed input apart
    return m;
  };
  return a.source == b.source && a.gpu.start == b.gpu.start && a.gpu.dur == b.gpu.dur &&
         a.gpu.correlation == b.gpu.correlation && a.gpu.name == b.gpu.name && a.api.start == b.api.start &&
         a.api.dur == b.api.dur && a.api.correlation == b.api.correlation && a.api.name == b.api.name &&
         a.ops.start == b.ops.start && a.ops.name == b.ops.name && a.threads.size() == b.threads.size() &&
         a.switches.size() == b.switches.size() && a.syscalls.size() == b.syscalls.size() &&
         a.strings.size() == b.strings.size() && a.skipped == b.skipped && meta(a) == meta(b) &&
         same_loss(a, b);
}

void compressed(std::string_view plain, uint8_t selector) {
  // P's own gzip magic would make the plain reading inflate it while the compressed one does not.
  if (is_gzip(plain.data(), plain.size())) return;
  // Members: cut points at fixed fractions of P, as many as bits 1-2 say (empty members included).
  const size_t members = 1 + ((selector >> 1) & 3);
  const int level = (selector >> 3) & 1 ? 9 : 1;
  std::string file;
  size_t last_member_at = 0;
  for (size_t i = 0; i < members; ++i) {
    const size_t from = plain.size() * i / members, to = plain.size() * (i + 1) / members;
    last_member_at = file.size();
    file += gzip_member(plain.substr(from, to - from), level);
  }
  const std::optional<Trace> expected = load(plain);
  switch ((selector >> 4) & 3) {
    case 0:
    case 1: {  // whole
      std::optional<Trace> got = load(file);
      if (got.has_value() != expected.has_value() || (got && !same_trace(*got, *expected))) std::abort();
      if (got && got->source == TraceSource::Kineto && got->meta["compressed"] != "gzip") std::abort();
      break;
    }
    case 2: {  // cut inside the last member: 1 to 8 bytes short, or to its middle
      const size_t last = file.size() - last_member_at;
      const size_t cut = (selector >> 6) == 3 ? last / 2 + 1 : 1 + ((selector >> 6) * 3) % 8;
      if (cut < last && load(std::string_view(file).substr(0, file.size() - cut))) std::abort();
      break;
    }
    default: {  // other bytes after the last member
      const std::string tail = selector >> 6 ? std::string("\n") : std::string("\x1f\x8c junk", 7);
      if (load(file + tail)) std::abort();
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) compressed(payload, data[0]);
  else (void)load(payload);
  return 0;
}
