// Argument helpers shared by the bench sub-verbs.
#pragma once

#include <string>
#include <vector>

namespace infertrace::cli {

// "1,2,4" -> {1, 2, 4}, a count given twice kept once ("1,1,2" -> {1, 2}); UsageError on
// anything else or a count < 1.
std::vector<int> parse_thread_list(const std::string& text);
// md, csv or json; UsageError otherwise.
void check_format(const std::string& format);

// Mean and sample standard deviation (N-1; 0 for one sample).
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& v);

}  // namespace infertrace::cli
