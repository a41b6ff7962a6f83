// The category Kineto (the PyTorch profiler) gives a CUDA API call, used by every trace export so
// that API calls look the same in infertrace's files as in the profiler's own.
#pragma once

#include <string_view>

namespace infertrace {

// Driver entry points are cu* (not cuda*): "cuda_driver"; everything else "cuda_runtime".
inline std::string_view kineto_api_category(std::string_view name) {
  const bool driver = name.size() > 2 && name.substr(0, 2) == "cu" && name.substr(0, 4) != "cuda";
  return driver ? "cuda_driver" : "cuda_runtime";
}

}  // namespace infertrace
