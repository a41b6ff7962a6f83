// Whole numbers read from a user's JSON document. nlohmann's get<int64_t>() of a float is a plain
// cast, undefined behaviour beyond int64_t's range (1e300 in a hand-edited file; UBSan through
// fuzz/fuzz_side_json.cpp), and of an unsigned above INT64_MAX it wraps: the readers go through
// these instead and name the field themselves when they get nullopt. Header-only (it_util does not
// link nlohmann_json; every caller already does).
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace infertrace {

// An integer JSON number within int64_t's range, exactly; nullopt for anything else (a float, even
// 3.0, an unsigned above INT64_MAX, a non-number). For documents this program writes as integers.
inline std::optional<int64_t> json_int_exact(const nlohmann::json& v) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

// Any JSON number whose integer part fits int64_t: an integer exactly, a float truncated toward
// zero (as a cast would, where the cast is defined); nullopt for a float at or beyond +-2^63, NaN,
// an unsigned above INT64_MAX or a non-number.
inline std::optional<int64_t> json_int_truncating(const nlohmann::json& v) {
  if (v.is_number_integer()) return json_int_exact(v);
  if (!v.is_number_float()) return std::nullopt;
  const double d = v.get<double>();
  // -2^63 is int64_t's minimum; 2^63 is one past its maximum (both exact doubles).
  if (!(d >= -0x1p63 && d < 0x1p63)) return std::nullopt;
  return static_cast<int64_t>(d);
}

}  // namespace infertrace
