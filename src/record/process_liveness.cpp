#include "record/process_liveness.h"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace infertrace {

namespace {

// The fields after the command name of /proc/PID/stat (the name may hold spaces and parentheses:
// everything up to the last ')' is skipped). [0] is the state (field 3), [19] the start time (22).
bool stat_fields(pid_t pid, std::string* state, unsigned long long* start) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {
    if (i == 0) *state = field;
    if (i == 19) {
      *start = std::stoull(field);
      return true;
    }
  }
  return false;
}

}  // namespace

unsigned long long process_start_ticks(pid_t pid) {
  std::string state;
  unsigned long long start = 0;
  try {
    return pid > 0 && stat_fields(pid, &state, &start) ? start : 0;
  } catch (const std::exception&) {  // (a start time that is not a number)
    return 0;
  }
}

bool process_running(pid_t pid, unsigned long long start_ticks) {
  std::string state;
  unsigned long long start = 0;
  try {
    if (pid <= 0 || !stat_fields(pid, &state, &start)) return false;
  } catch (const std::exception&) {
    return false;
  }
  if (state == "Z" || state == "X" || state == "x") return false;
  return start_ticks == 0 || start == start_ticks;
}

char stat_state(std::string_view text) {
  const size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) return 0;
  const size_t at = text.find_first_not_of(' ', paren + 1);
  if (at == std::string_view::npos) return 0;
  const char c = text[at];
  // One letter, then a space (or the end): anything else is not a state field.
  const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return letter && (at + 1 == text.size() || text[at + 1] == ' ') ? c : 0;
}

char thread_state(pid_t pid, pid_t tid) {
  if (pid <= 0 || tid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return stat_state(text);
}

bool nested_pid_namespace(std::string_view proc_status) {
  size_t at = 0;
  while (at < proc_status.size()) {
    size_t end = proc_status.find('\n', at);
    if (end == std::string_view::npos) end = proc_status.size();
    const std::string_view line = proc_status.substr(at, end - at);
    if (line.substr(0, 6) == "NSpid:") {
      std::istringstream ids{std::string(line.substr(6))};
      std::string id;
      int n = 0;
      while (ids >> id) ++n;
      return n > 1;
    }
    at = end + 1;
  }
  return false;
}

bool pid_namespace_not_initial(std::string_view ns_link) {
  constexpr std::string_view kPrefix = "pid:[";
  if (ns_link.substr(0, kPrefix.size()) != kPrefix || ns_link.size() < kPrefix.size() + 2 || ns_link.back() != ']')
    return false;
  const std::string digits(ns_link.substr(kPrefix.size(), ns_link.size() - kPrefix.size() - 1));
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  constexpr unsigned long long kInitialPidNamespaceInode = 0xEFFFFFFCull;
  try {
    return std::stoull(digits) != kInitialPidNamespaceInode;
  } catch (const std::exception&) {
    return false;
  }
}

bool in_nested_pid_namespace() {
  char link[64] = {};
  const ssize_t n = ::readlink("/proc/self/ns/pid", link, sizeof link - 1);
  if (n > 0 && pid_namespace_not_initial(std::string_view(link, static_cast<size_t>(n)))) return true;
  std::ifstream in("/proc/self/status");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return nested_pid_namespace(text);
}

}  // namespace infertrace
