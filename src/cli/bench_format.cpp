#include "cli/bench_format.h"

#include <cmath>

#include "util/error.h"

namespace infertrace::cli {

std::vector<int> parse_thread_list(const std::string& text) {
  std::vector<int> out;
  size_t i = 0;
  const auto bad = [&] { return UsageError("-t " + text + ": expected thread counts like 1,2,4"); };
  while (i < text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    const std::string part = text.substr(i, j - i);
    if (part.empty() || part.size() > 4 || part.find_first_not_of("0123456789") != std::string::npos) throw bad();
    const int v = std::stoi(part);
    if (v < 1) throw bad();
    out.push_back(v);
    i = j + 1;
  }
  if (out.empty() || text.back() == ',') throw bad();  // "1,2," is as malformed as "1,,2"
  return out;
}

void check_format(const std::string& format) {
  if (format != "md" && format != "csv" && format != "json") throw UsageError("-o " + format + ": expected md, csv or json");
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
