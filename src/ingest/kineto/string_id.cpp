#include "ingest/kineto/string_id.h"

#include <limits>

namespace infertrace::kineto {

NumStatus parse_digit_string(std::string_view raw, int64_t& out) {
  const bool negative = !raw.empty() && raw[0] == '-';
  std::string_view digits = raw.substr(negative ? 1 : 0);
  if (digits.empty()) return NumStatus::Invalid;
  for (char c : digits)
    if (c < '0' || c > '9') return NumStatus::Invalid;
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  // 19 digits may still fit (INT64_MAX has 19); 20 never do.
  if (digits.size() > 19) return NumStatus::OutOfRange;
  uint64_t v = 0;
  for (char c : digits) v = v * 10 + static_cast<uint64_t>(c - '0');
  const uint64_t limit = negative ? uint64_t(1) << 63 : uint64_t(std::numeric_limits<int64_t>::max());
  if (v > limit) return NumStatus::OutOfRange;
  out = negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return NumStatus::Ok;
}

void read_string_id(std::string_view raw, IntField& out, bool named) {
  switch (parse_digit_string(raw, out.v)) {
    case NumStatus::Ok: out.state = FieldState::Ok; return;
    case NumStatus::OutOfRange:
      out.state = FieldState::OutOfRange;
      out.v = -1;
      return;
    default: break;
  }
  if (named && raw.empty()) {
    out.state = FieldState::Missing;
    out.v = -1;
  } else if (named && raw.find('\\') == std::string_view::npos) {
    out.set_name(raw);
  } else {
    out.state = FieldState::BadType;
    out.v = -1;
  }
}

}  // namespace infertrace::kineto
