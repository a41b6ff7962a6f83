// GGUF reader: maps the file, then walks header, metadata and tensor infos with a bounds-checked
// cursor. Nothing is trusted: every count is checked against the bytes left before anything is
// allocated, so a corrupt or hostile file yields an InputError with the offset, never a crash or
// a huge allocation.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <unordered_set>

#include "engine/gguf/gguf.h"
#include "util/error.h"
#include "util/text_clean.h"

namespace infertrace::gguf {

namespace {

constexpr int kMaxArrayDepth = 8;  // nesting of arrays of arrays

class Cursor {
 public:
  Cursor(const uint8_t* base, uint64_t size, const std::string& file)
      : base_(base), size_(size), file_(file) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  [[noreturn]] void fail(uint64_t at, const std::string& what) const {
    throw InputError(file_, static_cast<int64_t>(at), what);
  }
  void need(uint64_t n, const char* what) const {
    if (n > left())
      fail(pos_, std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                     std::to_string(left()) + " left in the file");
  }
  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view string(const char* what) {
    const uint64_t at = pos_;
    const uint64_t len = read<uint64_t>(what);
    if (len > left())
      fail(at, std::string(what) + ": string length " + std::to_string(len) + " exceeds the " +
                   std::to_string(left()) + " bytes left in the file");
    std::string_view s(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return s;
  }

 private:
  const uint8_t* base_;
  uint64_t size_;
  const std::string& file_;
  uint64_t pos_ = 0;
};

// Bytes one element of a fixed-size type takes; 0 for STRING/ARRAY.
uint64_t fixed_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8:
    case ValueType::INT8:
    case ValueType::BOOL: return 1;
    case ValueType::UINT16:
    case ValueType::INT16: return 2;
    case ValueType::UINT32:
    case ValueType::INT32:
    case ValueType::FLOAT32: return 4;
    case ValueType::UINT64:
    case ValueType::INT64:
    case ValueType::FLOAT64: return 8;
    default: return 0;
  }
}

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::FLOAT64); }

Value read_value(Cursor& c, ValueType type, std::string_view key, int depth) {
  Value v;
  v.type = type;
  switch (type) {
    case ValueType::UINT8: v.num.u = c.read<uint8_t>("uint8 value"); break;
    case ValueType::INT8: v.num.i = c.read<int8_t>("int8 value"); break;
    case ValueType::UINT16: v.num.u = c.read<uint16_t>("uint16 value"); break;
    case ValueType::INT16: v.num.i = c.read<int16_t>("int16 value"); break;
    case ValueType::UINT32: v.num.u = c.read<uint32_t>("uint32 value"); break;
    case ValueType::INT32: v.num.i = c.read<int32_t>("int32 value"); break;
    case ValueType::UINT64: v.num.u = c.read<uint64_t>("uint64 value"); break;
    case ValueType::INT64: v.num.i = c.read<int64_t>("int64 value"); break;
    case ValueType::FLOAT32: v.num.f = c.read<float>("float32 value"); break;
    case ValueType::FLOAT64: v.num.f = c.read<double>("float64 value"); break;
    case ValueType::BOOL: {
      const uint64_t at = c.pos();
      const uint8_t b = c.read<uint8_t>("bool value");
      if (b > 1) c.fail(at, "key " + std::string(key) + ": bool value " + std::to_string(b) + " is not 0 or 1");
      v.num.u = b;
      break;
    }
    case ValueType::STRING: v.str = c.string("string value"); break;
    case ValueType::ARRAY: {
      if (depth >= kMaxArrayDepth) c.fail(c.pos(), "key " + std::string(key) + ": arrays nested too deeply");
      const uint64_t at = c.pos();
      const uint32_t elem = c.read<uint32_t>("array element type");
      if (!valid_value_type(elem))
        c.fail(at, "key " + std::string(key) + ": unknown array element type " + std::to_string(elem));
      v.elem_type = static_cast<ValueType>(elem);
      const uint64_t count_at = c.pos();
      const uint64_t n = c.read<uint64_t>("array length");
      // Each element takes at least this many bytes (a string its u64 length, an array its
      // element type and length), so a count the file cannot hold is rejected before allocating.
      const uint64_t min_elem = fixed_size(v.elem_type) ? fixed_size(v.elem_type)
                                : v.elem_type == ValueType::STRING ? 8 : 12;
      if (n > kMaxArrayLength)
        c.fail(count_at, "key " + std::string(key) + ": array of " + std::to_string(n) +
                             " elements exceeds the reader's limit of " + std::to_string(kMaxArrayLength));
      if (n > c.left() / min_elem)
        c.fail(count_at, "key " + std::string(key) + ": array of " + std::to_string(n) + " " +
                             value_type_name(v.elem_type) + " exceeds the " +
                             std::to_string(c.left()) + " bytes left in the file");
      v.items.reserve(n);
      for (uint64_t k = 0; k < n; ++k) v.items.push_back(read_value(c, v.elem_type, key, depth + 1));
      break;
    }
  }
  return v;
}

struct Unmapper {
  uint64_t size;
  void operator()(void* p) const {
    if (p) munmap(p, size);
  }
};

}  // namespace

File File::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path, -1, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw InputError(path, -1, std::string("cannot stat: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path, -1, "not a regular file");
  }
  File f;
  f.path_ = path;
  f.size_ = static_cast<uint64_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int e = errno;
    ::close(fd);
    if (p == MAP_FAILED) throw InputError(path, -1, std::string("cannot map: ") + std::strerror(e));
    f.mapping_ = std::shared_ptr<void>(p, Unmapper{f.size_});
    f.base_ = static_cast<const uint8_t*>(p);
  } else {
    ::close(fd);
  }
  f.parse();
  return f;
}

void File::prefault() const {
  if (!mapping_ || size_ == 0) return;
  const long page_size = sysconf(_SC_PAGESIZE);
  const uint64_t page = page_size > 0 ? static_cast<uint64_t>(page_size) : 4096;
  // Only a hint (readahead of the whole file); the loop below is what maps every page.
  madvise(mapping_.get(), size_, MADV_WILLNEED);
  const volatile uint8_t* p = base_;
  uint8_t sink = 0;
  for (uint64_t off = 0; off < size_; off += page) sink = static_cast<uint8_t>(sink ^ p[off]);
  sink = static_cast<uint8_t>(sink ^ p[size_ - 1]);
  (void)sink;
}

File File::from_memory(std::span<const uint8_t> bytes, std::string name) {
  File f;
  f.path_ = std::move(name);
  f.base_ = bytes.data();
  f.size_ = bytes.size();
  f.parse();
  return f;
}

void File::parse() {
  Cursor c(base_, size_, path_);
  if (size_ < 4 || std::memcmp(base_, "GGUF", 4) != 0)
    c.fail(0, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  c.read<uint32_t>("magic");
  const uint64_t version_at = c.pos();
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) c.fail(version_at, "GGUF version 1 is not supported (re-convert the model: v2 and v3 are)");
  if (version_ != 2 && version_ != 3)
    c.fail(version_at, "unsupported GGUF version " + std::to_string(version_) + " (2 and 3 are supported)");

  const uint64_t nt_at = c.pos();
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t nkv_at = c.pos();
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  // A key-value pair needs at least 8 (key length) + 4 (type) + 1 bytes, a tensor info
  // 8 + 4 + 8 + 4 + 8; reject counts the file cannot hold before reserving memory.
  if (n_kv > c.left() / 13)
    c.fail(nkv_at, "metadata count " + std::to_string(n_kv) + " exceeds what the file can hold");
  if (n_tensors > c.left() / 32)
    c.fail(nt_at, "tensor count " + std::to_string(n_tensors) + " exceeds what the file can hold");

  kv_.reserve(n_kv);
  std::unordered_set<std::string_view> keys;
  for (uint64_t k = 0; k < n_kv; ++k) {
    const uint64_t at = c.pos();
    const std::string_view key = c.string("metadata key");
    if (key.empty()) c.fail(at, "metadata key " + std::to_string(k) + " is empty");
    if (!keys.insert(key).second) c.fail(at, "duplicate metadata key " + std::string(key));
    const uint64_t type_at = c.pos();
    const uint32_t type = c.read<uint32_t>("metadata value type");
    if (!valid_value_type(type))
      c.fail(type_at, "key " + std::string(key) + ": unknown value type " + std::to_string(type));
    kv_.push_back({key, read_value(c, static_cast<ValueType>(type), key, 0), at});
  }

  for (const KeyValue& kv : kv_) {
    if (kv.key != "general.alignment") continue;
    const uint64_t al = kv.value.type == ValueType::UINT32 ? kv.value.num.u : 0;
    if (al == 0 || (al & (al - 1)) != 0)
      c.fail(kv.offset, "general.alignment must be a uint32 power of two, found " +
                            std::string(value_type_name(kv.value.type)) +
                            (kv.value.is_integer() ? " " + std::to_string(kv.value.num.u) : ""));
    alignment_ = al;
  }

  tensors_.reserve(n_tensors);
  for (uint64_t t = 0; t < n_tensors; ++t) {
    TensorInfo ti;
    ti.info_offset = static_cast<int64_t>(c.pos());
    ti.name = c.string("tensor name");
    const std::string tname = "tensor " + std::string(ti.name);
    if (ti.name.empty()) c.fail(ti.info_offset, "tensor " + std::to_string(t) + " has an empty name");
    const uint64_t dims_at = c.pos();
    const uint32_t n_dims = c.read<uint32_t>("tensor dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
      c.fail(dims_at, tname + ": " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    ti.n_dims = static_cast<int>(n_dims);
    int64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t at = c.pos();
      const int64_t ne = c.read<int64_t>("tensor dimension");
      if (ne <= 0) c.fail(at, tname + ": dimension " + std::to_string(d) + " is " + std::to_string(ne));
      if (n_elements > INT64_MAX / ne) c.fail(at, tname + ": element count overflows int64");
      n_elements *= ne;
      ti.ne[d] = ne;
    }
    const uint64_t type_at = c.pos();
    const uint32_t type = c.read<uint32_t>("tensor type");
    const TypeTraits* tt = type_traits(type);
    if (!tt) c.fail(type_at, tname + ": unknown ggml type " + std::to_string(type));
    ti.type = static_cast<GgmlType>(type);
    if (ti.ne[0] % tt->block_size != 0)
      c.fail(dims_at, tname + ": row length " + std::to_string(ti.ne[0]) + " is not a multiple of " +
                          tt->name + "'s block size " + std::to_string(tt->block_size));
    if (n_elements / tt->block_size > static_cast<int64_t>(size_ / static_cast<uint64_t>(tt->block_bytes)))
      c.fail(dims_at, tname + ": " + std::to_string(n_elements) + " " + tt->name +
                          " values do not fit in a file of " + std::to_string(size_) + " bytes");
    ti.n_bytes = static_cast<uint64_t>(n_elements / tt->block_size) * static_cast<uint64_t>(tt->block_bytes);
    const uint64_t off_at = c.pos();
    ti.offset = c.read<uint64_t>("tensor data offset");
    if (ti.offset % alignment_ != 0)
      c.fail(off_at, tname + ": data offset " + std::to_string(ti.offset) + " is not a multiple of the alignment " +
                         std::to_string(alignment_));
    ti.file_offset = off_at;  // fixed up below once the data section's start is known
    if (!tensor_index_.emplace(ti.name, tensors_.size()).second)
      c.fail(ti.info_offset, "duplicate tensor name " + std::string(ti.name));
    tensors_.push_back(ti);
  }

  // The data section starts at the next multiple of the alignment (for a file with no tensors the
  // padding may be missing).
  const uint64_t end = c.pos();
  data_offset_ = (end + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > size_)
    c.fail(end, "truncated: the tensor data section would start at byte " + std::to_string(data_offset_) +
                    " beyond the end of the file");
  for (TensorInfo& ti : tensors_) {
    const uint64_t off_at = ti.file_offset;
    const uint64_t avail = size_ - data_offset_;
    if (ti.offset > avail || ti.n_bytes > avail - ti.offset)
      c.fail(off_at, "tensor " + std::string(ti.name) + ": data [" + std::to_string(ti.offset) + ", +" +
                         std::to_string(ti.n_bytes) + ") runs past the end of the file (data section holds " +
                         std::to_string(avail) + " bytes; truncated file?)");
    ti.file_offset = data_offset_ + ti.offset;
    ti.data = base_ + ti.file_offset;
  }
}

const Value* File::find(std::string_view key) const {
  for (const KeyValue& kv : kv_)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

const Value& File::get(std::string_view key) const {
  const Value* v = find(key);
  if (!v) throw InputError(path_, -1, "missing metadata key " + std::string(key));
  return *v;
}

namespace {
template <class F>
auto checked(const std::string& path, std::string_view key, F&& f) {
  try {
    return f();
  } catch (const InputError&) {
    throw;
  } catch (const Error& e) {
    throw InputError(path, -1, "metadata key " + std::string(key) + ": " + e.what());
  }
}
}  // namespace

int64_t File::get_int(std::string_view key) const {
  return checked(path_, key, [&] { return get(key).as_int(); });
}
int64_t File::get_int(std::string_view key, int64_t fallback) const {
  return find(key) ? get_int(key) : fallback;
}
double File::get_float(std::string_view key) const {
  return checked(path_, key, [&] { return get(key).as_float(); });
}
double File::get_float(std::string_view key, double fallback) const {
  return find(key) ? get_float(key) : fallback;
}
bool File::get_bool(std::string_view key, bool fallback) const {
  return find(key) ? checked(path_, key, [&] { return get(key).as_bool(); }) : fallback;
}
std::string_view File::get_string(std::string_view key) const {
  return checked(path_, key, [&] { return get(key).as_string(); });
}
std::string_view File::get_string(std::string_view key, std::string_view fallback) const {
  return find(key) ? get_string(key) : fallback;
}
const Value& File::get_array(std::string_view key) const {
  const Value& v = get(key);
  if (v.type != ValueType::ARRAY)
    throw InputError(path_, -1, "metadata key " + std::string(key) + ": expected an array, found " +
                                    value_type_name(v.type));
  return v;
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

DataOverlaps find_data_overlaps(const std::vector<TensorInfo>& tensors) {
  // Sorted by start: a tensor overlaps an earlier-starting one iff it starts before the furthest end
  // seen so far, and a later-starting one iff the next tensor starts before its own end.
  std::vector<size_t> order;
  order.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].n_bytes > 0) order.push_back(i);
  const auto begin = [&](size_t i) { return tensors[i].file_offset; };
  const auto end = [&](size_t i) { return tensors[i].file_offset + tensors[i].n_bytes; };
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return begin(a) != begin(b) ? begin(a) < begin(b) : a < b;
  });
  DataOverlaps o;
  bool paired = false;
  size_t furthest = 0;  // index (into order) of the tensor reaching furthest so far
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    const bool with_earlier = k > 0 && begin(i) < end(order[furthest]);
    const bool with_later = k + 1 < order.size() && begin(order[k + 1]) < end(i);
    if (with_earlier && !paired) {
      const size_t j = order[furthest];
      paired = true;
      o.first = j, o.second = i;
      o.shared_bytes = std::min(end(i), end(j)) - begin(i);
    }
    if (with_earlier || with_later) ++o.n_tensors;
    if (k == 0 || end(i) > end(order[furthest])) furthest = k;
  }
  return o;
}

std::string describe_data_overlaps(const std::vector<TensorInfo>& tensors, const DataOverlaps& o) {
  if (o.n_tensors == 0) return "";
  const auto range = [&](size_t i) {
    const TensorInfo& t = tensors[i];
    return "'" + escaped_text(t.name) + "' (bytes " + std::to_string(t.file_offset) + "-" +
           std::to_string(t.file_offset + t.n_bytes - 1) + " of the file)";
  };
  std::string s = range(o.first) + " and " + range(o.second) + " share " + std::to_string(o.shared_bytes) + " byte" +
                  (o.shared_bytes == 1 ? "" : "s");
  if (o.n_tensors > 2) s += "; " + std::to_string(o.n_tensors) + " tensors overlap another";
  return s;
}

}  // namespace infertrace::gguf
