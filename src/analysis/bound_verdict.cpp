#include "analysis/bound_verdict.h"

namespace infertrace {

void decide_bound(LaunchAnalysis& a) {
  a.bound.clear(), a.bound_undefined_reason.clear();
  if (a.linked_launch_calls == 0) {
    a.bound_undefined_reason = "no launch call is linked to GPU work";
  } else if (a.inference_latency <= 0) {
    a.bound_undefined_reason = "the inference-latency window is empty: the GPU work ends before the first host event "
                               "(host and GPU clocks disagree?)";
  } else if (a.tklqt <= 0) {
    a.bound_undefined_reason = "TKLQT is 0: every kernel started at or before its launch call (clock skew), so there "
                               "is no launch or queue time to compare";
  } else {
    a.bound = a.tklqt_queue > a.tklqt_launch ? "gpu" : "cpu";
  }
}

}  // namespace infertrace
