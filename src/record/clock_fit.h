// Maps a second clock (CUPTI's GPU timestamps) onto the recorder's CLOCK_MONOTONIC from paired
// samples: each sample reads CLOCK_MONOTONIC, then the other clock, then CLOCK_MONOTONIC again, so
// the true monotonic time of the middle read lies in [before, after]. The fit is the least-squares
// line mono = offset + slope * other through the midpoints; its error bound is stated, not assumed
// (docs/record.md "Clock"): half the widest bracket plus the largest residual of a midpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace infertrace {

struct ClockSample {
  uint64_t mono_before = 0, other = 0, mono_after = 0;
};

struct ClockFit {
  // mono = offset_ns + slope * (other - other_ref); other_ref keeps the arithmetic exact-ish in a double.
  double offset_ns = 0, slope = 1;
  uint64_t other_ref = 0;
  double error_bound_ns = 0;  // |true - mapped| <= this at every sample, see above
  int samples = 0;
  int64_t map(uint64_t other) const;
};

// One sample: slope 1 (no drift measurable). Two or more: least squares. Samples whose bracket is
// wider than 20x the narrowest are left out (a preempted read), unless that would leave none.
std::optional<ClockFit> fit_clock(std::vector<ClockSample> samples);

}  // namespace infertrace
