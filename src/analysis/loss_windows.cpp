#include "analysis/loss_windows.h"

#include <algorithm>

namespace infertrace {

namespace {
// Counts come from a file: a corrupt one near INT64_MAX must not overflow the sum.
int64_t add_held(int64_t a, int64_t b) {
  int64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}
}  // namespace

LossSpans::LossSpans(const Trace& t) : windows_(t.loss_windows.size()) {
  for (const LossWindow& w : t.loss_windows) {
    spans_.push_back({w.first, w.last});
    for (const auto& [type, n] : w.lost) lost_ = add_held(lost_, n);
  }
  std::sort(spans_.begin(), spans_.end());
  std::vector<std::pair<ns_t, ns_t>> merged;
  for (const auto& s : spans_) {
    if (!merged.empty() && s.first <= merged.back().second) merged.back().second = std::max(merged.back().second, s.second);
    else merged.push_back(s);
  }
  spans_ = std::move(merged);
}

ns_t LossSpans::covered() const {
  ns_t n = 0;
  for (const auto& [a, b] : spans_) n += b - a;
  return n;
}

ns_t union_length_between(std::vector<std::pair<ns_t, ns_t>> spans, ns_t lo, ns_t hi) {
  std::sort(spans.begin(), spans.end());
  ns_t n = 0, reach = lo;  // time up to `reach` is counted already
  for (auto [s, e] : spans) {
    s = std::max(s, reach), e = std::min(e, hi);
    if (e > s) n += e - s, reach = e;
  }
  return n;
}

bool LossSpans::overlaps(ns_t a, ns_t b) const {
  // The first span ending at or after a; it meets [a, b] when it starts by b.
  auto it = std::lower_bound(spans_.begin(), spans_.end(), a,
                             [](const std::pair<ns_t, ns_t>& s, ns_t v) { return s.second < v; });
  return it != spans_.end() && it->first <= b;
}

}  // namespace infertrace
