#include "serve/crossover.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "util/plural.h"

namespace infertrace::serve {

namespace {
std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}
}  // namespace

Crossover find_crossover(const std::string& base, const std::vector<LoadThroughput>& base_points,
                         const std::string& alt, const std::vector<LoadThroughput>& alt_points, double tie_pct) {
  Crossover c;
  c.base = base;
  c.alt = alt;
  c.tie_pct = tie_pct;
  std::map<double, double> b, a;
  for (const auto& p : base_points) b[p.load] = p.tok_s;
  for (const auto& p : alt_points) a[p.load] = p.tok_s;
  int unmatched = 0;
  for (const auto& [load, tok] : b) {
    auto it = a.find(load);
    if (it == a.end()) {
      ++unmatched;
      continue;
    }
    CrossoverRow r;
    r.load = load;
    r.base_tok_s = tok;
    r.alt_tok_s = it->second;
    if (tok > 0)
      r.delta_pct = (it->second - tok) / tok * 100;
    else
      r.delta_pct = it->second > 0 ? INFINITY : 0;
    r.winner = std::fabs(r.delta_pct) <= tie_pct ? "tie" : (r.delta_pct > 0 ? alt : base);
    c.rows.push_back(r);
  }
  for (const auto& [load, tok] : a)
    if (!b.count(load)) ++unmatched;

  // Walk down from the largest load while the alternative does not lose; the crossover is the
  // smallest load of that tail at which it wins.
  std::optional<double> cross;
  for (auto it = c.rows.rbegin(); it != c.rows.rend(); ++it) {
    if (it->winner == base) break;
    if (it->winner == alt) cross = it->load;
  }
  // A tail of ties only ("tie" at every load up to the end) is no crossover; a win followed by ties
  // up to the end still is: the alternative never falls behind from there on.
  c.load = cross;
  if (c.rows.empty()) {
    c.summary = "no load was measured with both " + base + " and " + alt;
  } else if (cross) {
    c.summary = alt + " overtakes " + base + " from load " + number(*cross) + " on (more than " + number(tie_pct) +
                "% more output tokens/s, never behind at larger loads)";
  } else if (c.rows.back().winner == base) {
    c.summary = base + " stays ahead of " + alt + " at the largest load: no crossover in this sweep";
  } else {
    c.summary = alt + " does not overtake " + base + " beyond the " + number(tie_pct) + "% tie band: no crossover in this sweep";
  }
  if (unmatched > 0) c.summary += " (" + std::to_string(unmatched) + plural(unmatched, " load", " loads") + " measured on one side only, left out)";
  return c;
}

}  // namespace infertrace::serve
