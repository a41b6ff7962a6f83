// Argument helpers shared by the bench sub-verbs.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace infertrace::cli {

// The output format options of a bench sub-verb: `-o,--output FORMAT` (help: `formats`, e.g. "md,
// csv or json") and `--json`, the flag every other verb has for JSON on standard output, as a
// synonym of `-o json` (review UX M5: `bench threads --json` was "not expected"); the two together
// are refused (CLI11's "excludes"), so neither silently wins.
void add_format_options(CLI::App* cmd, std::string& format, const std::string& formats);

// "1,2,4" -> {1, 2, 4}, a count given twice kept once ("1,1,2" -> {1, 2}); UsageError on
// anything else or a count < 1.
std::vector<int> parse_thread_list(const std::string& text);
// One of `allowed` (md, csv or json unless a verb has fewer); UsageError naming them otherwise,
// so every wrong value gets the same list (bench launch said "md, csv or json" to -o xml, then
// "md or json" to -o csv).
void check_format(const std::string& format, const std::vector<std::string>& allowed = {"md", "csv", "json"});

// Mean and sample standard deviation (N-1; 0 for one sample).
struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& v);

}  // namespace infertrace::cli
