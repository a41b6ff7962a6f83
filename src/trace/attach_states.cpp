#include "trace/attach_states.h"

#include <charconv>
#include <string>
#include <string_view>

namespace infertrace {

namespace {

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// One "PID:TID:TS:C" entry; false when it is not one.
bool parse_entry(std::string_view e, ThreadAtAttach& a) {
  int64_t v[3];
  for (int64_t& x : v) {
    const size_t colon = e.find(':');
    if (colon == std::string_view::npos) return false;
    const auto [end, ec] = std::from_chars(e.data(), e.data() + colon, x);
    if (ec != std::errc() || end != e.data() + colon || x < 0) return false;
    e.remove_prefix(colon + 1);
  }
  if (e.size() != 1 || (e[0] != '-' && !is_letter(e[0]))) return false;
  a.pid = v[0], a.tid = v[1], a.ts = v[2], a.state = e[0] == '-' ? 0 : e[0];
  return true;
}

}  // namespace

void set_attach_states(Trace& t, const std::vector<ThreadAtAttach>& threads) {
  if (threads.empty()) {
    t.meta.erase(kAttachStatesKey);
    return;
  }
  std::string s;
  s.reserve(threads.size() * 32);
  for (const ThreadAtAttach& a : threads) {
    if (!s.empty()) s += ',';
    s += std::to_string(a.pid) + ':' + std::to_string(a.tid) + ':' + std::to_string(a.ts) + ':' +
         (is_letter(a.state) ? a.state : '-');
  }
  t.meta[kAttachStatesKey] = std::move(s);
}

std::vector<ThreadAtAttach> attach_states(const Trace& t) {
  std::vector<ThreadAtAttach> out;
  const auto it = t.meta.find(kAttachStatesKey);
  if (it == t.meta.end()) return out;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    ThreadAtAttach a;
    if (parse_entry(rest.substr(0, comma), a)) out.push_back(a);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace infertrace
