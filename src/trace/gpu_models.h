// The GPU models a trace ran on: the names a Kineto trace's deviceProperties give (kept by the
// reader as meta "device.N.name"), sorted and distinct. `sweep` and `compare` say when two traces
// ran on different models (review CS M2: an A100 trace beside H100 ones was taken as one machine's).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// Empty when the trace does not say (a recording, a Kineto trace without deviceProperties).
inline std::vector<std::string> gpu_model_names(const Trace& t) {
  std::vector<std::string> names;
  const std::string suffix = ".name";
  for (auto it = t.meta.lower_bound("device."); it != t.meta.end() && it->first.rfind("device.", 0) == 0; ++it)
    if (it->first.size() > suffix.size() && it->first.compare(it->first.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        !it->second.empty())
      names.push_back(it->second);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// "NVIDIA H100 80GB HBM3" or "NVIDIA A100, NVIDIA H100" (a trace over several models).
inline std::string gpu_models_text(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace infertrace
