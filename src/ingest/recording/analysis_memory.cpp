#include "ingest/recording/analysis_memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <utility>

#include "trace/trace.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace {

namespace {

// Bytes of one row of a table: the sum of its columns' element sizes (stays right as columns are
// added to columns()).
template <class Table, size_t... I>
constexpr uint64_t row_bytes(std::index_sequence<I...>) {
  using Cols = decltype(std::declval<Table&>().columns());
  return (0 + ... + sizeof(typename std::remove_reference_t<std::tuple_element_t<I, Cols>>::value_type));
}
template <class Table>
constexpr uint64_t row_bytes() {
  using Cols = decltype(std::declval<Table&>().columns());
  return row_bytes<Table>(std::make_index_sequence<std::tuple_size_v<Cols>>{});
}

// What the analyses build per event beside the tables, measured (docs/benchmarks.md, "Analysis
// memory of a recording"): sched's and analyze's peak RSS less ingest's, per event of the kind that
// drives it. A switch or wake-up: ~42-51 B (the per-thread on/off-CPU spans); a CUDA API call:
// ~85 B (analyze's launch/queue rows). GPU rows are taken as API calls (not measured: no GPU).
constexpr uint64_t kSchedExtra = 56, kLaunchExtra = 96;
// Putting a table in time order holds (time, row) keys and the row order, 24 B per row of the
// largest table (recording_reader.cpp time_order()), one table at a time.
constexpr uint64_t kOrderBytes = 24;
// The program, its strings and maps, before any event (measured ~8 MB; the rest is margin).
constexpr uint64_t kBaseBytes = 24'000'000;

// A row of the event's table (the API table's launch geometry too: a recording's launches have it).
uint64_t table_bytes(uint32_t type) {
  switch (type) {
    case IT_EV_API: return row_bytes<ApiCallTable>() + sizeof(LaunchDims);
    case IT_EV_GPU: return row_bytes<GpuActivityTable>();
    case IT_EV_SWITCH: return row_bytes<SwitchTable>();
    case IT_EV_WAKEUP: return row_bytes<WakeupTable>();
    case IT_EV_IRQ: return row_bytes<IrqTable>();
    case IT_EV_SYSCALL: return row_bytes<SyscallTable>();
    case IT_EV_TASK: case IT_EV_UNTRACED: return row_bytes<TaskTable>();
    case IT_EV_FDNAME: return 64;  // a (pid, fd) -> name entry
    default: return 0;             // META, STRING, LOSS, END, syscall counts: few, in the base
  }
}

uint64_t per_event(uint32_t type) {
  const uint64_t extra = type == IT_EV_API || type == IT_EV_GPU             ? kLaunchExtra
                         : type == IT_EV_SWITCH || type == IT_EV_WAKEUP ? kSchedExtra
                                                                        : 0;
  return table_bytes(type) + extra;
}

// "8G", "8 G", "512Mi", "512MiB", "2000000000": a positive number, optional blanks, an optional K, M, G
// or T (powers of 1000; with an `i`, of 1024) and an optional B, and nothing else. nullopt for
// anything else: "8 G" read as 8 bytes refused every analysis (review WD57 L2).
std::optional<uint64_t> parse_bytes(const char* s) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || !(v > 0) || !std::isfinite(v)) return std::nullopt;
  while (*end == ' ' || *end == '\t') ++end;
  double mult = 1;
  const char* const units = "KMGT";
  if (const char* u = *end ? std::strchr(units, std::toupper(static_cast<unsigned char>(*end))) : nullptr) {
    const int power = static_cast<int>(u - units) + 1;
    ++end;
    const bool binary = *end == 'i';
    if (binary) ++end;
    mult = std::pow(binary ? 1024.0 : 1000.0, power);
  }
  if (*end == 'B' || *end == 'b') ++end;
  if (*end != '\0' || !(v * mult < 1.8e19)) return std::nullopt;
  return static_cast<uint64_t>(v * mult);
}

// "Key:   123 kB" from a /proc file, in bytes; nullopt when absent.
std::optional<uint64_t> proc_kb(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, key.size() + 1, key + ":") == 0) return std::strtoull(line.c_str() + key.size() + 1, nullptr, 10) * 1024;
  return std::nullopt;
}

std::optional<uint64_t> file_number(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  if (!(in >> s) || s == "max") return std::nullopt;
  return std::strtoull(s.c_str(), nullptr, 10);
}

// The room left in this process's memory cgroup (v2 memory.max, or v1 memory.limit_in_bytes): its
// limit less what it holds apart from the page cache, which the kernel reclaims as it needs.
std::optional<uint64_t> cgroup_room() {
  std::ifstream in("/proc/self/cgroup");
  std::string line, v2, v1;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
    else if (const auto c = line.find(":memory:"); c != std::string::npos) v1 = line.substr(c + 8);
  }
  std::string dir, limit_file, usage_file, cache_key;
  if (!v1.empty()) dir = "/sys/fs/cgroup/memory" + v1, limit_file = "memory.limit_in_bytes", usage_file = "memory.usage_in_bytes", cache_key = "total_cache";
  else if (!v2.empty()) dir = "/sys/fs/cgroup" + v2, limit_file = "memory.max", usage_file = "memory.current", cache_key = "file";
  else return std::nullopt;
  const auto limit = file_number(dir + "/" + limit_file);
  if (!limit || *limit >= (uint64_t{1} << 60)) return std::nullopt;  // v1's "no limit" is a huge number
  const uint64_t usage = file_number(dir + "/" + usage_file).value_or(0);
  uint64_t cache = 0;
  std::ifstream stat(dir + "/memory.stat");
  std::string key;
  uint64_t value = 0;
  while (stat >> key >> value)
    if (key == cache_key) cache = value;
  const uint64_t held = usage > cache ? usage - cache : 0;
  return *limit > held ? *limit - held : 0;
}

}  // namespace

uint64_t analysis_memory_bytes(const std::array<uint64_t, IT_EV_NTYPES>& count) {
  uint64_t bytes = kBaseBytes, largest = 0;
  for (uint32_t type = 0; type < IT_EV_NTYPES; ++type) {
    bytes += count[type] * per_event(type);
    if (per_event(type) > 0) largest = std::max(largest, count[type]);
  }
  return bytes + largest * kOrderBytes;
}

uint64_t table_memory_bytes(const std::array<uint64_t, IT_EV_NTYPES>& count) {
  uint64_t bytes = kBaseBytes;
  for (uint32_t type = 0; type < IT_EV_NTYPES; ++type) bytes += count[type] * table_bytes(type);
  return bytes;
}

uint64_t analysis_event_count(const std::array<uint64_t, IT_EV_NTYPES>& count) {
  uint64_t n = 0;
  for (uint32_t type = 0; type < IT_EV_NTYPES; ++type)
    if (per_event(type) > 0) n += count[type];
  return n;
}

std::optional<MemoryRoom> analysis_memory_room(bool this_process) {
  if (const char* set = std::getenv("INFERTRACE_ANALYSIS_MEMORY"); set && *set) {
    const auto b = parse_bytes(set);
    if (!b)
      throw Error(std::string("INFERTRACE_ANALYSIS_MEMORY=\"") + set +
                  "\" is not a size: a number with an optional K, M, G or T (powers of 1000; Ki, Mi, Gi, Ti: of 1024), "
                  "e.g. 8G or 512Mi");
    return MemoryRoom{*b, "INFERTRACE_ANALYSIS_MEMORY"};
  }
  std::optional<MemoryRoom> room;
  const auto consider = [&room](std::optional<uint64_t> bytes, const char* source) {
    if (bytes && (!room || *bytes < room->bytes)) room = MemoryRoom{*bytes, source};
  };
  consider(proc_kb("/proc/meminfo", "MemAvailable"), "MemAvailable in /proc/meminfo");
  consider(cgroup_room(), "the memory cgroup's limit");
  rlimit as{};
  if (::getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) {
    uint64_t used = 0;
    if (this_process) used = proc_kb("/proc/self/status", "VmSize").value_or(0);
    consider(as.rlim_cur > used ? as.rlim_cur - used : 0, "the address-space limit (ulimit -v)");
  }
  return room;
}

void require_analysis_memory(const std::array<uint64_t, IT_EV_NTYPES>& count, const std::string& name, uint64_t file_bytes) {
  const uint64_t need = analysis_memory_bytes(count);
  if (need < 64'000'000) return;
  const auto room = analysis_memory_room(true);
  if (!room) return;
  const uint64_t least = table_memory_bytes(count), events = analysis_event_count(count);
  const std::string what = format_count(static_cast<int64_t>(events)) + " events in " + memory_size_text(file_bytes) +
                           ", about " + memory_size_text(need) + " of memory to analyse (" +
                           std::to_string(events > 0 ? need / events : 0) + " bytes per event; the tables alone " +
                           memory_size_text(least) + ")";
  const std::string remedy =
      "Record a shorter run (--duration S) or fewer event kinds (--events without the kinds that dominate; "
      "syscall-counts counts syscalls in the kernel instead of recording each one), or analyse it on a machine "
      "with more memory (docs/record.md, \"Recording size and analysis memory\")";
  // Refused only when the tables alone cannot fit: the rest of the estimate (time ordering, the
  // analyses' own rows) is not always taken, and a recording that would have loaded is not refused.
  if (least > room->bytes)
    throw Error(name + ": too big to analyse here: " + what + ", more than the " + memory_size_text(room->bytes) +
                " available (" + room->source + "). " + remedy);
  if (need > room->bytes)
    std::fprintf(stderr, "infertrace: warning: %s: may not fit in memory: %s, %s available (%s); if it fails or the "
                 "machine swaps: %s\n", name.c_str(), what.c_str(), memory_size_text(room->bytes).c_str(),
                 room->source.c_str(), remedy.c_str());
  else if (need >= 1'000'000'000)
    std::fprintf(stderr, "infertrace: note: %s: %s; %s available\n", name.c_str(), what.c_str(),
                 memory_size_text(room->bytes).c_str());
}

std::string memory_size_text(uint64_t bytes) {
  char text[32];
  if (bytes >= 1'000'000'000) std::snprintf(text, sizeof(text), "%.2f GB", static_cast<double>(bytes) / 1e9);
  else std::snprintf(text, sizeof(text), "%.0f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

}  // namespace infertrace
