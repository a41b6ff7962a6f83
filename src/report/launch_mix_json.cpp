#include "report/launch_mix_json.h"

#include <charconv>
#include <limits>

#include "report/json_brief.h"
#include "util/error.h"

namespace infertrace {

using nlohmann::json;

json launch_mix_json(const std::optional<LaunchMix>& mix) {
  if (!mix) return nullptr;
  json buckets = json::object();
  for (size_t i = 0; i < kLaunchMixBuckets; ++i)
    if (mix->buckets[i] != 0) buckets[std::to_string(i)] = mix->buckets[i];
  return {{"basis", mix->basis}, {"launches", mix->launches}, {"buckets", std::move(buckets)}};
}

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& what) {
  throw InputError(file, -1, "\"launch_mix\" " + what);
}

// A count as written: a non-negative integer (a float with a fraction or beyond int64 is not one).
int64_t count_of(const json& v, const std::string& file, const std::string& what) {
  if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(v.get<uint64_t>());
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<int64_t>();
  bad(file, what + " is not a count: " + json_brief(v));
}

}  // namespace

std::optional<LaunchMix> launch_mix_from_json(const json& v, const std::string& file) {
  if (v.is_null()) return std::nullopt;
  if (!v.is_object()) bad(file, "is not an object or null");
  LaunchMix m;
  if (!v.contains("basis") || !v["basis"].is_string()) bad(file, "has no \"basis\" name");
  m.basis = v["basis"].get<std::string>();
  if (m.basis != "kernel_shapes" && m.basis != "kernel_names" && m.basis != "launch_shapes")
    bad(file, "basis \"" + m.basis + "\" is not kernel_shapes, kernel_names or launch_shapes");
  if (!v.contains("launches")) bad(file, "has no \"launches\"");
  m.launches = count_of(v["launches"], file, "launches");
  if (!v.contains("buckets") || !v["buckets"].is_object()) bad(file, "has no \"buckets\" object");
  int64_t sum = 0;
  for (const auto& [key, n] : v["buckets"].items()) {
    size_t index = kLaunchMixBuckets;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
    if (ec != std::errc() || end != key.data() + key.size() || key.empty() || (key.size() > 1 && key[0] == '0') ||
        index >= kLaunchMixBuckets)
      bad(file, "bucket \"" + key + "\" is not an index from 0 to " + std::to_string(kLaunchMixBuckets - 1));
    m.buckets[index] = count_of(n, file, "bucket " + key);
    if (m.buckets[index] > m.launches - sum) bad(file, "buckets count more than its " + std::to_string(m.launches) + " launches");
    sum += m.buckets[index];
  }
  if (sum != m.launches) bad(file, "buckets count " + std::to_string(sum) + " of its " + std::to_string(m.launches) + " launches");
  return m;
}

}  // namespace infertrace
