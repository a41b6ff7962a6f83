// The kernel's CPU-list syntax ("0-3,6,8-9", as in cpuset files, taskset -c and
// /sys/devices/system/node/online), parsed once for every option that takes one.
#pragma once

#include <string>
#include <vector>

namespace infertrace {

// Parses `text` into ids in the order written; throws UsageError naming `option` and the text on
// bad syntax (empty list, stray characters, a range running backwards, a trailing comma), an id of
// CPU_SETSIZE (1024) or more, or an id listed twice.
std::vector<int> parse_cpu_list(const std::string& text, const std::string& option = "--cpus");

// The other way: ids (any order, repeats allowed) written sorted, runs as ranges: "0-3,6". What
// bench serve's topologies and --client-cpus print, and a --cpus option takes back.
std::string format_cpu_list(const std::vector<int>& cpus);

}  // namespace infertrace
