// Value accessors and type names (shared by the reader and the writer).
#include <limits>
#include <string>

#include "engine/gguf/gguf.h"
#include "util/error.h"

namespace infertrace::gguf {

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return "uint8";
    case ValueType::INT8: return "int8";
    case ValueType::UINT16: return "uint16";
    case ValueType::INT16: return "int16";
    case ValueType::UINT32: return "uint32";
    case ValueType::INT32: return "int32";
    case ValueType::FLOAT32: return "float32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "uint64";
    case ValueType::INT64: return "int64";
    case ValueType::FLOAT64: return "float64";
  }
  return "unknown";
}

namespace {
bool is_unsigned(ValueType t) {
  return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 ||
         t == ValueType::UINT64;
}
bool is_signed(ValueType t) {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}
[[noreturn]] void mismatch(const char* wanted, ValueType actual) {
  throw Error(std::string("expected ") + wanted + ", found " + value_type_name(actual));
}
}  // namespace

bool Value::is_integer() const { return is_unsigned(type) || is_signed(type); }

int64_t Value::as_int() const {
  if (is_signed(type)) return num.i;
  if (is_unsigned(type)) {
    if (num.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error("value " + std::to_string(num.u) + " does not fit int64");
    return static_cast<int64_t>(num.u);
  }
  mismatch("an integer", type);
}

uint64_t Value::as_uint() const {
  if (is_unsigned(type)) return num.u;
  if (is_signed(type)) {
    if (num.i < 0) throw Error("expected a non-negative integer, found " + std::to_string(num.i));
    return static_cast<uint64_t>(num.i);
  }
  mismatch("an unsigned integer", type);
}

double Value::as_float() const {
  if (is_float()) return num.f;
  if (is_signed(type)) return static_cast<double>(num.i);
  if (is_unsigned(type)) return static_cast<double>(num.u);
  mismatch("a number", type);
}

bool Value::as_bool() const {
  if (type != ValueType::BOOL) mismatch("bool", type);
  return num.u != 0;
}

std::string_view Value::as_string() const {
  if (type != ValueType::STRING) mismatch("string", type);
  return str;
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (int d = 0; d < n_dims; ++d) s += (d ? ", " : "") + std::to_string(ne[d]);
  return s + "]";
}

}  // namespace infertrace::gguf
