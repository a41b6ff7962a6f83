// A recorder loss window for tests: its span on a CPU and what it lost (api records, switches; 0:
// none of that type), as the recording reader builds one from a LOSS record.
#pragma once

#include "trace/trace.h"

namespace infertrace {

inline LossWindow make_loss_window(ns_t first, ns_t last, int32_t cpu, int64_t api, int64_t switches) {
  LossWindow w;
  w.first = first, w.last = last, w.cpu = cpu;
  if (api) w.lost["api"] = api;
  if (switches) w.lost["switch"] = switches;
  return w;
}

}  // namespace infertrace
