// GGUF writer: the header (metadata + tensor infos) is computed first, since every tensor's offset
// follows from the sizes declared before it; then the data is streamed tensor by tensor in chunks
// of whole rows, padded to the alignment, to a temporary file renamed into place at the end.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/gguf/gguf.h"
#include "util/error.h"
#include "util/write_whole.h"

namespace infertrace::gguf {

namespace {

class ByteSink {
 public:
  std::vector<uint8_t> bytes;
  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void write(const uint8_t* p, size_t n) { bytes.insert(bytes.end(), p, p + n); }
};

void put_value(ByteSink& out, const Value& v) {
  switch (v.type) {
    case ValueType::UINT8: out.put<uint8_t>(static_cast<uint8_t>(v.num.u)); break;
    case ValueType::INT8: out.put<int8_t>(static_cast<int8_t>(v.num.i)); break;
    case ValueType::UINT16: out.put<uint16_t>(static_cast<uint16_t>(v.num.u)); break;
    case ValueType::INT16: out.put<int16_t>(static_cast<int16_t>(v.num.i)); break;
    case ValueType::UINT32: out.put<uint32_t>(static_cast<uint32_t>(v.num.u)); break;
    case ValueType::INT32: out.put<int32_t>(static_cast<int32_t>(v.num.i)); break;
    case ValueType::UINT64: out.put<uint64_t>(v.num.u); break;
    case ValueType::INT64: out.put<int64_t>(v.num.i); break;
    case ValueType::FLOAT32: out.put<float>(static_cast<float>(v.num.f)); break;
    case ValueType::FLOAT64: out.put<double>(v.num.f); break;
    case ValueType::BOOL: out.put<uint8_t>(v.num.u ? 1 : 0); break;
    case ValueType::STRING: out.put_string(v.str); break;
    case ValueType::ARRAY:
      out.put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      out.put<uint64_t>(v.items.size());
      for (const Value& item : v.items) {
        if (item.type != v.elem_type)
          throw Error(std::string("GGUF writer: array of ") + value_type_name(v.elem_type) +
                      " holds a " + value_type_name(item.type));
        put_value(out, item);
      }
      break;
  }
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// Writes to a file descriptor through a large buffer.
class FdSink {
 public:
  FdSink(int fd, const std::string& path) : fd_(fd), path_(path) {}
  void write(const uint8_t* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw Error("cannot write " + path_ + ": " + std::strerror(errno));
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
  }

 private:
  int fd_;
  const std::string& path_;
};

}  // namespace

Writer::Writer() = default;

const std::string& Writer::own(std::string_view s) {
  strings_.push_back(std::make_unique<std::string>(s));
  return *strings_.back();
}

Value Writer::own_value(const Value& v) {
  Value out = v;
  if (v.type == ValueType::STRING) out.str = own(v.str);
  if (v.type == ValueType::ARRAY) {
    out.items.clear();
    out.items.reserve(v.items.size());
    for (const Value& item : v.items) out.items.push_back(own_value(item));
  }
  return out;
}

void Writer::set(std::string_view key, const Value& value) {
  if (key.empty()) throw Error("GGUF writer: empty metadata key");
  if (key == "general.alignment") {
    // The reader requires a uint32 power of two; the data layout depends on it.
    const uint64_t a = value.type == ValueType::UINT32 ? value.num.u : 0;
    if (a == 0 || (a & (a - 1)) != 0) throw Error("GGUF writer: general.alignment must be a uint32 power of two");
    if (!tensors_.empty()) throw Error("GGUF writer: set the alignment before adding tensors");
    alignment_ = a;
  }
  Value owned = own_value(value);
  for (auto& [k, v] : kv_)
    if (k == key) {
      v = std::move(owned);
      return;
    }
  kv_.emplace_back(std::string(key), std::move(owned));
}

void Writer::set_string_array(std::string_view key, const std::vector<std::string>& v) {
  std::vector<Value> items;
  items.reserve(v.size());
  for (const std::string& s : v) items.push_back(Value::string(s));
  set(key, Value::array(ValueType::STRING, std::move(items)));
}

void Writer::set_f32_array(std::string_view key, const std::vector<float>& v) {
  std::vector<Value> items;
  items.reserve(v.size());
  for (float x : v) items.push_back(Value::f32(x));
  set(key, Value::array(ValueType::FLOAT32, std::move(items)));
}

void Writer::set_i32_array(std::string_view key, const std::vector<int32_t>& v) {
  std::vector<Value> items;
  items.reserve(v.size());
  for (int32_t x : v) items.push_back(Value::i32(x));
  set(key, Value::array(ValueType::INT32, std::move(items)));
}

void Writer::set_alignment(uint32_t alignment) {
  set_u32("general.alignment", alignment);
}

size_t Writer::add_tensor(std::string_view name, std::vector<int64_t> ne, GgmlType type,
                          std::vector<uint8_t> data) {
  const std::string tname = "GGUF writer: tensor " + std::string(name);
  if (name.empty()) throw Error("GGUF writer: empty tensor name");
  for (const PendingTensor& t : tensors_)
    if (t.name == name) throw Error(tname + " added twice");
  if (ne.empty() || ne.size() > kMaxDims) throw Error(tname + ": 1 to 4 dimensions allowed");
  const TypeTraits& tt = type_traits(type);
  int64_t n = 1;
  for (int64_t d : ne) {
    if (d <= 0) throw Error(tname + ": dimension " + std::to_string(d));
    n *= d;
  }
  if (ne[0] % tt.block_size != 0)
    throw Error(tname + ": row length " + std::to_string(ne[0]) + " is not a multiple of " + tt.name +
                "'s block size " + std::to_string(tt.block_size));
  PendingTensor t;
  t.name = std::string(name);
  t.ne = std::move(ne);
  t.type = type;
  t.n_bytes = static_cast<uint64_t>(bytes_for(type, n));
  if (!data.empty() && data.size() != t.n_bytes)
    throw Error(tname + ": " + std::to_string(data.size()) + " data bytes given, " +
                std::to_string(t.n_bytes) + " expected");
  t.data = std::move(data);
  t.offset = data_size_;
  data_size_ = align_up(data_size_ + t.n_bytes, alignment_);
  tensors_.push_back(std::move(t));
  return tensors_.size() - 1;
}

std::vector<uint8_t> Writer::header_bytes() const {
  ByteSink out;
  out.write(reinterpret_cast<const uint8_t*>("GGUF"), 4);
  out.put<uint32_t>(kVersion);
  out.put<uint64_t>(tensors_.size());
  out.put<uint64_t>(kv_.size());
  for (const auto& [key, value] : kv_) {
    out.put_string(key);
    out.put<uint32_t>(static_cast<uint32_t>(value.type));
    put_value(out, value);
  }
  for (const PendingTensor& t : tensors_) {
    out.put_string(t.name);
    out.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) out.put<int64_t>(d);
    out.put<uint32_t>(static_cast<uint32_t>(t.type));
    out.put<uint64_t>(t.offset);
  }
  out.bytes.resize(align_up(out.bytes.size(), alignment_), 0);
  return std::move(out.bytes);
}

uint64_t Writer::total_bytes() const { return header_bytes().size() + data_size_; }

template <class Sink>
void Writer::emit(Sink& sink, const FillFn& fill, size_t chunk_bytes) const {
  const std::vector<uint8_t> header = header_bytes();
  sink.write(header.data(), header.size());
  std::vector<uint8_t> buf;
  static const uint8_t zeros[256] = {};
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const PendingTensor& t = tensors_[i];
    if (!t.data.empty()) {
      sink.write(t.data.data(), t.data.size());
    } else {
      if (!fill) throw Error("GGUF writer: tensor " + t.name + " has no data and no fill function was given");
      const int64_t rows = static_cast<int64_t>(t.n_bytes / static_cast<uint64_t>(bytes_for(t.type, t.ne[0])));
      const uint64_t row_bytes = t.n_bytes / static_cast<uint64_t>(rows);
      const int64_t rows_per_chunk = std::max<int64_t>(1, static_cast<int64_t>(chunk_bytes / row_bytes));
      for (int64_t r = 0; r < rows; r += rows_per_chunk) {
        const int64_t n = std::min(rows_per_chunk, rows - r);
        buf.resize(static_cast<size_t>(n) * row_bytes);
        fill(i, r, n, std::span<uint8_t>(buf.data(), buf.size()));
        sink.write(buf.data(), buf.size());
      }
    }
    uint64_t pad = align_up(t.n_bytes, alignment_) - t.n_bytes;
    while (pad > 0) {
      const uint64_t n = std::min<uint64_t>(pad, sizeof(zeros));
      sink.write(zeros, n);
      pad -= n;
    }
  }
}

void Writer::write(const std::string& out, const FillFn& fill, size_t chunk_bytes) const {
  // As every verb's output (util/write_whole.h): written to OUT.partial and renamed into place when
  // complete (the old file's mode and owner kept), a symlink's target replaced, a device or FIFO
  // written into, /dev/stdout through our descriptor (a pipe or tty directly; a redirected regular
  // file from an unlinked scratch copy, util/inherited_descriptor.h).
  write_whole(out, [&](const std::string& to) {
    const int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot create " + to + ": " + std::strerror(errno));
    try {
      FdSink sink(fd, to);
      emit(sink, fill, chunk_bytes);
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (::close(fd) != 0) throw Error("cannot write " + to + ": " + std::strerror(errno));
    return 0;
  });
}

std::vector<uint8_t> Writer::to_bytes(const FillFn& fill) const {
  ByteSink sink;
  emit(sink, fill, 1u << 20);
  return std::move(sink.bytes);
}

}  // namespace infertrace::gguf
