#include "gpu/gpu_clock.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "util/error.h"

namespace infertrace::gpu {

ClockPoint estimate_clock_point(const std::vector<ClockSample>& samples, int64_t granularity_ns) {
  if (samples.empty()) throw Error("GPU clock calibration: no samples");
  if (granularity_ns < 0) granularity_ns = 0;
  // All in int64: the GPU clock counts from the epoch (~1.8e18 ns), where a double's step is 256 ns.
  int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  int64_t best_width = std::numeric_limits<int64_t>::max(), best_lo = 0, best_hi = 0, best_host = 0;
  for (const ClockSample& s : samples) {
    if (s.host_recv_ns < s.host_send_ns)
      throw Error("GPU clock calibration: a sample received before it was sent (host clock went back)");
    const int64_t s_lo = s.gpu_ns - s.host_recv_ns;
    const int64_t s_hi = s.gpu_ns - s.host_send_ns + granularity_ns;
    lo = std::max(lo, s_lo);
    hi = std::min(hi, s_hi);
    if (s_hi - s_lo < best_width) {
      best_width = s_hi - s_lo;
      best_lo = s_lo, best_hi = s_hi;
      best_host = s.host_send_ns + (s.host_recv_ns - s.host_send_ns) / 2;
    }
  }
  ClockPoint p;
  p.samples = static_cast<int>(samples.size());
  p.host_ns = samples[samples.size() / 2].host_send_ns;
  if (lo <= hi) {
    p.offset_ns = lo + (hi - lo) / 2;
    p.error_ns = static_cast<double>(hi - lo) / 2;
  } else {
    p.intervals_consistent = false;
    p.offset_ns = best_lo + (best_hi - best_lo) / 2;
    p.error_ns = static_cast<double>(best_hi - best_lo) / 2;
    p.host_ns = best_host;
  }
  return p;
}

GpuToHostClock::GpuToHostClock(const ClockPoint& before, const ClockPoint& after) : before_(before), after_(after) {
  const int64_t span = after.host_ns - before.host_ns;
  drift_ = span > 0 ? static_cast<double>(after.offset_ns - before.offset_ns) / static_cast<double>(span) : 0;
  error_ns_ = std::max(before.error_ns, after.error_ns);
}

int64_t GpuToHostClock::to_host_ns(int64_t gpu_ns) const {
  // host = gpu - offset(host), offset(host) = o1 + drift * (host - h1); drift is ppm-sized, so
  // host ~ gpu - o1 on the right-hand side is exact to well under a nanosecond per millisecond.
  const int64_t host_first = gpu_ns - before_.offset_ns;
  const double correction = drift_ * static_cast<double>(host_first - before_.host_ns);
  return host_first - static_cast<int64_t>(std::llround(correction));
}

}  // namespace infertrace::gpu
