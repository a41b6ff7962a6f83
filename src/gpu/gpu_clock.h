// Mapping the GPU's global timer (%globaltimer, ns) onto the host's CLOCK_MONOTONIC, so that a
// kernel's own start stamp can be compared with the host time of the call that launched it.
//
// Method (Cristian's, two-way): the host writes a flag into mapped host memory at host time
// t_send; a GPU thread spinning on it reads %globaltimer (g) and echoes; the host sees the echo at
// t_recv. The GPU read happened at some host time in [t_send, t_recv], and the GPU clock only
// moves in steps of `granularity`, so the offset o = gpu - host lies in
// [g - t_recv, g + granularity - t_send]. Intersecting the intervals of many rounds gives the
// tightest bound; its midpoint is the estimate and its half width the error. Two such points, one
// before and one after a measurement, give the drift, applied linearly in between.
// Included by CUDA sources: C++17 only.
#pragma once

#include <cstdint>
#include <vector>

namespace infertrace::gpu {

struct ClockSample {
  int64_t host_send_ns = 0;  // host CLOCK_MONOTONIC just before the flag was written
  int64_t gpu_ns = 0;        // %globaltimer read by the GPU when it saw the flag
  int64_t host_recv_ns = 0;  // host CLOCK_MONOTONIC just after the echo was seen
};

// One calibration: offset (gpu - host) at host time `host_ns`, within +- error_ns.
struct ClockPoint {
  int64_t host_ns = 0;
  int64_t offset_ns = 0;  // integer: %globaltimer counts from the epoch (~1.8e18), beyond a double's ns
  double error_ns = 0;
  int samples = 0;
  bool intervals_consistent = true;  // false: intervals did not intersect (drift or a bad clock);
                                     // the narrowest single interval was used instead
};

// Throws Error on no samples or a sample with host_recv < host_send.
ClockPoint estimate_clock_point(const std::vector<ClockSample>& samples, int64_t granularity_ns);

// GPU time -> host time, from a point before and one after (the same point twice: no drift).
class GpuToHostClock {
 public:
  GpuToHostClock() = default;
  GpuToHostClock(const ClockPoint& before, const ClockPoint& after);
  int64_t to_host_ns(int64_t gpu_ns) const;
  // The larger error of the two points (linear drift in between is assumed).
  double error_ns() const { return error_ns_; }
  double drift_ppm() const { return drift_ * 1e6; }
  const ClockPoint& before() const { return before_; }
  const ClockPoint& after() const { return after_; }

 private:
  ClockPoint before_, after_;
  double drift_ = 0;  // d(offset)/d(host time)
  double error_ns_ = 0;
};

}  // namespace infertrace::gpu
