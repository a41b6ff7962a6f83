#include "cli/bench_format.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"
#include "util/whole_number.h"

namespace infertrace::cli {

void add_format_options(CLI::App* cmd, std::string& format, const std::string& formats) {
  CLI::Option* o = cmd->add_option("-o,--output", format, formats)->capture_default_str();
  cmd->add_flag_callback("--json", [&format] { format = "json"; }, "JSON on standard output (the same as -o json)")
      ->excludes(o);
}

std::vector<int> parse_thread_list(const std::string& text) {
  std::vector<int> out;
  const auto bad = [&] { return UsageError("-t " + text + ": expected thread counts like 1,2,4"); };
  if (text.empty() || text.back() == ',') throw bad();  // "1,2," is as malformed as "1,,2"
  const int64_t max = std::numeric_limits<int>::max();
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    const std::string part = text.substr(i, j - i);
    const WholeNumber n = parse_whole_number(part, 1, max);
    if (n.status == WholeNumber::Status::not_a_number) throw bad();
    // Too large for an int: a count of threads no machine has, said as such (a count that fits
    // is held to the machine's CPUs by check_thread_cap, with its own message).
    if (n.status == WholeNumber::Status::below_min)
      throw UsageError("-t " + text + ": thread count " + part + " is below 1 (expected thread counts like 1,2,4)");
    if (n.status == WholeNumber::Status::above_max)
      throw UsageError("-t " + text + ": thread count " + part + " is far more than any machine's CPUs");
    // A count given twice is measured once (as fusion --lengths merges its duplicates): two rows
    // of the same point would read as two measurements of different settings.
    if (std::find(out.begin(), out.end(), static_cast<int>(n.value)) == out.end()) out.push_back(static_cast<int>(n.value));
    i = j + 1;
  }
  return out;
}

void check_format(const std::string& format, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), format) != allowed.end()) return;
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  // Elsewhere -o names a file (record, report, engine synth), so a path here is the likely slip:
  // say that this verb's -o is a format, as llama-bench's, and how to get a file (DJ note).
  const size_t dot = format.rfind('.');
  const bool looks_like_path = format.find('/') != std::string::npos || dot != std::string::npos;
  std::string as = allowed.front();  // the file's own extension when it is one of the formats
  if (dot != std::string::npos && std::find(allowed.begin(), allowed.end(), format.substr(dot + 1)) != allowed.end())
    as = format.substr(dot + 1);
  throw UsageError("-o " + format + ": expected " + list + (looks_like_path ? " (here -o is the output format, as in "
                   "llama-bench; to write a file, redirect standard output: -o " + as + " > " + format + ")" : ""));
}

MeanSd mean_sd(const std::vector<double>& v) {
  MeanSd r;
  if (v.empty()) return r;
  for (double x : v) r.mean += x;
  r.mean /= v.size();
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - r.mean) * (x - r.mean);
    r.sd = std::sqrt(ss / (v.size() - 1));
  }
  return r;
}

}  // namespace infertrace::cli
