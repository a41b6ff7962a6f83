// What a CUDA runtime/driver API call does, decided from its name alone. Header-only and free of
// the rest of the event model, because the CUPTI injection library (src/cupti_inject/) uses the same
// rule to choose which callbacks to enable as the readers use to classify recorded calls.
#pragma once

#include <cstdint>
#include <string_view>

namespace infertrace {

// What an API call does, decided once from its name at ingest (see classify_api()).
enum class ApiKind : uint8_t {
  Other = 0,
  KernelLaunch = 1,  // cudaLaunchKernel*, cuLaunchKernel*, cooperative variants
  GraphLaunch = 2,   // cudaGraphLaunch, cuGraphLaunch
  MemcpyAsync = 3,   // cudaMemcpyAsync, cuMemcpy*Async
  MemsetAsync = 4,   // cudaMemsetAsync, cuMemsetD*Async
  Sync = 5,          // any name containing "Synchronize"
};

// True for the kinds docs/metrics.md calls a "launch call".
inline bool is_launch(ApiKind k) {
  return k == ApiKind::KernelLaunch || k == ApiKind::GraphLaunch || k == ApiKind::MemcpyAsync ||
         k == ApiKind::MemsetAsync;
}

namespace api_kind_detail {
inline bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
inline bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
}  // namespace api_kind_detail

inline ApiKind classify_api(std::string_view n) {
  using api_kind_detail::ends_with;
  using api_kind_detail::starts_with;
  // Some tools append a version suffix (cuLaunchKernel_ptsz, cudaLaunchKernel_v7000); strip the
  // per-thread-stream and version suffixes before matching. They come in either order: CUPTI's
  // driver names put the version first (cuMemcpyHtoDAsync_v2_ptsz), its runtime names last
  // (cudaLaunchKernel_ptsz_v7000, cudaGraphLaunch_ptsz_v10000), so the per-thread suffix is
  // looked for again once the version is gone.
  const auto strip_per_thread = [&n] {
    for (std::string_view suf : {"_ptsz", "_ptds"}) {
      if (ends_with(n, suf)) n.remove_suffix(suf.size());
    }
  };
  strip_per_thread();
  if (auto v = n.find("_v"); v != std::string_view::npos && v + 2 < n.size() &&
                             n[v + 2] >= '0' && n[v + 2] <= '9') {
    n = n.substr(0, v);
  }
  strip_per_thread();
  if (n.find("Synchronize") != std::string_view::npos) return ApiKind::Sync;
  // __cudaLaunchKernel: where CUDA 13's nvcc sends a `<<<>>>` launch (crt/host_runtime.h; CUPTI
  // callback ids 505/506 name it __cudaLaunchKernel_v13000 and _ptsz_v13000). A trace that shows
  // it shows a kernel launch.
  if (n == "cudaLaunchKernel" || n == "__cudaLaunchKernel" || n == "cudaLaunchKernelExC" ||
      n == "cudaLaunchCooperativeKernel" ||
      n == "cuLaunchKernel" || n == "cuLaunchKernelEx" || n == "cuLaunchCooperativeKernel" ||
      n == "cudaLaunchCooperativeKernelMultiDevice" || n == "cuLaunchCooperativeKernelMultiDevice")
    return ApiKind::KernelLaunch;
  if (n == "cudaGraphLaunch" || n == "cuGraphLaunch") return ApiKind::GraphLaunch;
  // Every runtime async copy, as its driver counterpart (cudaMemcpyAsync, 2D/3D, Peer, 3DPeer,
  // To/FromSymbol, the *ArrayAsync ones, Batch and 3DBatch: review AK L1, where a fixed list missed
  // the last six while cuMemcpyBatchAsync was a launch); the synchronous ones do not end in Async.
  if ((starts_with(n, "cudaMemcpy") && ends_with(n, "Async")) || (starts_with(n, "cuMemcpy") && ends_with(n, "Async")))
    return ApiKind::MemcpyAsync;
  if (n == "cudaMemsetAsync" || n == "cudaMemset2DAsync" || n == "cudaMemset3DAsync" ||
      (starts_with(n, "cuMemsetD") && ends_with(n, "Async")))
    return ApiKind::MemsetAsync;
  return ApiKind::Other;
}


}  // namespace infertrace
