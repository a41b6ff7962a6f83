#include "serve/crossover.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "util/plural.h"

namespace infertrace::serve {

namespace {
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
struct Spread {
  double median = 0, min = 0, max = 0;
};

// The median (the mean of the two middle values for an even count) and the range; zeros for none.
Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}
}  // namespace

Crossover find_crossover(const std::string& base, const std::vector<LoadThroughput>& base_points,
                         const std::string& alt, const std::vector<LoadThroughput>& alt_points, double tie_pct) {
  Crossover c;
  c.base = base;
  c.alt = alt;
  c.tie_pct = tie_pct;
  // Per load: its measured points' tok/s, and how many points it had.
  struct Acc {
    std::vector<double> tok_s;
    int points = 0;
  };
  std::map<double, Acc> b, a;
  const auto add = [](std::map<double, Acc>& m, const LoadThroughput& p) {
    auto& acc = m[p.load];
    ++acc.points;
    if (p.measured) acc.tok_s.push_back(p.tok_s);
  };
  for (const auto& p : base_points) add(b, p);
  for (const auto& p : alt_points) add(a, p);
  std::set<double> repeats;  // loads with several points on either side
  for (const auto* m : {&b, &a})
    for (const auto& [load, acc] : *m)
      if (acc.points > 1) repeats.insert(load);
  const int repeated = static_cast<int>(repeats.size());
  int unmatched = 0, not_compared = 0, within_spread = 0;
  for (auto& [load, bacc] : b) {
    auto it = a.find(load);
    if (it == a.end()) {
      ++unmatched;
      continue;
    }
    Acc& aacc = it->second;
    CrossoverRow r;
    r.load = load;
    const Spread bs = spread(bacc.tok_s), as = spread(aacc.tok_s);
    r.base_tok_s = bs.median, r.base_min = bs.min, r.base_max = bs.max;
    r.alt_tok_s = as.median, r.alt_min = as.min, r.alt_max = as.max;
    r.base_runs = static_cast<int>(bacc.tok_s.size());
    r.alt_runs = static_cast<int>(aacc.tok_s.size());
    if (r.base_runs == 0 || r.alt_runs == 0) {
      // Nothing completed on a side: no figure to compare ("0% tie", or an infinite win over a base
      // that failed, was claimed before).
      r.delta_pct = NAN;
      r.winner = kNotCompared;
      ++not_compared;
    } else {
      const double tok = r.base_tok_s;
      if (tok > 0)
        r.delta_pct = (r.alt_tok_s - tok) / tok * 100;
      else
        r.delta_pct = r.alt_tok_s > 0 ? INFINITY : 0;
      // A lead whose ranges overlap is one some run of the loser beat: no win on this evidence.
      const bool overlap = r.alt_min <= r.base_max && r.base_min <= r.alt_max;
      if (std::fabs(r.delta_pct) <= tie_pct) {
        r.winner = "tie";
      } else if (overlap) {
        r.winner = kWithinSpread;
        ++within_spread;
      } else {
        r.winner = r.delta_pct > 0 ? alt : base;
      }
    }
    c.rows.push_back(r);
  }
  for (const auto& [load, acc] : a)
    if (!b.count(load)) ++unmatched;

  // Walk down from the largest load while the alternative does not lose; the crossover is the
  // smallest load of that tail at which it wins.
  std::optional<double> cross;
  for (auto it = c.rows.rbegin(); it != c.rows.rend(); ++it) {
    if (it->winner == kNotCompared) continue;  // no figure: neither breaks nor makes the run
    if (it->winner == base) break;
    if (it->winner == alt) cross = it->load;
  }
  // A tail of ties only ("tie" at every load up to the end) is no crossover; a win followed by ties
  // up to the end still is: the alternative never falls behind from there on.
  c.load = cross;
  const CrossoverRow* last = nullptr;  // the largest load compared
  for (const auto& r : c.rows)
    if (r.winner != kNotCompared) last = &r;
  if (c.rows.empty()) {
    c.summary = "no load was measured with both " + base + " and " + alt;
  } else if (!last) {
    c.summary = "no comparison: at no load did both " + base + " and " + alt + " complete a request";
  } else if (cross) {
    c.summary = alt + " overtakes " + base + " from load " + number(*cross) + " on (more than " + number(tie_pct) +
                "% more output tokens/s, never behind at larger loads)";
  } else if (last->winner == base) {
    c.summary = base + " stays ahead of " + alt + " at the largest load: no crossover in this sweep";
  } else {
    c.summary = alt + " does not overtake " + base + " beyond the " + number(tie_pct) + "% tie band: no crossover in this sweep";
  }
  if (not_compared > 0 && last)
    c.summary += " (" + std::to_string(not_compared) + plural(not_compared, " load", " loads") +
                 " where a side completed no request, left out)";
  if (repeated > 0)
    c.summary += " (" + std::to_string(repeated) + plural(repeated, " load", " loads") +
                 " measured several times on a side: compared on the median tok/s of its points)";
  if (within_spread > 0)
    c.summary += " (" + std::to_string(within_spread) + plural(within_spread, " load", " loads") +
                 " where the lead beyond the tie band is within the spread of the runs: counted as " +
                 plural(within_spread, "a tie", "ties") + ")";
  if (unmatched > 0) c.summary += " (" + std::to_string(unmatched) + plural(unmatched, " load", " loads") + " measured on one side only, left out)";
  return c;
}

}  // namespace infertrace::serve
