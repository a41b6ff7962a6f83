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
  double load = 0, base_tok_s = 0, alt_tok_s = 0;
  double delta_pct = 0;  // (alt - base) / base x 100; NaN when the row is not compared
  std::string winner;    // the topology's name, "tie", or kNotCompared
};

// A row's winner when either side's point completed no request: out of the crossover.
inline constexpr const char* kNotCompared = "no comparison (nothing completed)";

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
// a side is compared on the mean of its measured points (said in the summary); bench serve refuses
// repeated loads in a study of several topologies.
Crossover find_crossover(const std::string& base, const std::vector<LoadThroughput>& base_points,
                         const std::string& alt, const std::vector<LoadThroughput>& alt_points, double tie_pct = 5);

}  // namespace infertrace::serve
