// Where one serving topology overtakes another in a load sweep (seed 003 section 6.3): per load
// point, output tokens/s of both and the relative difference; the crossover is the smallest load
// from which the alternative beats the baseline at that load and at every larger load of the sweep
// (the same "from here on" reading as the CPU-bound to GPU-bound transition, metrics.md section 3),
// so a single lucky point below does not count. Differences within the tie band count as ties,
// which do not break a run of wins nor start one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace infertrace::serve {

struct LoadThroughput {
  double load = 0;   // req/s or concurrency
  double tok_s = 0;  // output tokens/s at that load
  // Whether the point completed a request: one that completed none measured nothing, and its
  // 0 tok/s is no figure to compare (review BS L6).
  bool measured = true;
};

struct CrossoverRow {
  double load = 0, base_tok_s = 0, alt_tok_s = 0;  // the median of each side's measured points
  double delta_pct = 0;  // (alt - base) / base x 100; NaN when the row is not compared
  std::string winner;    // the topology's name, "tie", kWithinSpread or kNotCompared
  // The range of each side's measured points and their number (several with --repeat; the range is
  // the median itself for one point, 0 for none).
  double base_min = 0, base_max = 0, alt_min = 0, alt_max = 0;
  int base_runs = 0, alt_runs = 0;
};

// A row's winner when either side's point completed no request: out of the crossover.
inline constexpr const char* kNotCompared = "no comparison (nothing completed)";
// A row's winner when the medians differ by more than the tie band but the two sides' ranges of
// runs overlap: the lead is within the spread of the repetitions, and counts as a tie.
inline constexpr const char* kWithinSpread = "tie (within the runs' spread)";

struct Crossover {
  std::string base, alt;
  double tie_pct = 5;
  std::vector<CrossoverRow> rows;   // loads both sides measured, ascending
  std::optional<double> load;       // the crossover load, when there is one
  std::string summary;              // one sentence
  // Which point figure the tok/s are (the JSON key of the point: tok_per_s or streamed_tok_per_s).
  std::string figure = "tok_per_s";
};

// Loads present on only one side are left out (said in the summary). A load given several times on
// a side (bench serve --repeat) is compared on the median of its measured points, and a lead beyond
// the tie band whose ranges overlap is kWithinSpread, no win (both said in the summary).
Crossover find_crossover(const std::string& base, const std::vector<LoadThroughput>& base_points,
                         const std::string& alt, const std::vector<LoadThroughput>& alt_points, double tie_pct = 5);

}  // namespace infertrace::serve
