// The CUDA runtime API a CUPTI runtime callback id names, for the ids whose calls the analyses
// classify as launch calls or syncs (classify_api in trace/api_kind.h). Why: Kineto's id-to-name
// table in PyTorch 2.0 and older ended before the newer ids and wrote such a call as "INVALID" with
// the id in args.cbid (cudaLaunchKernelExC, id 430, which cuBLAS and NCCL use on H100: kineto PR
// #786); read by name alone, those launches were no launch calls and TKLQT came out low (review
// KV58 H1). The ids are CUPTI_RUNTIME_TRACE_CBID_* of CUDA 13's cupti_runtime_cbid.h (stable
// across versions: CUPTI only appends), the names without their version suffix as newer Kineto
// writes them. Runtime ids only: the driver API's callback ids are another numbering.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string_view>

namespace infertrace {

struct RuntimeCbidName {
  int64_t cbid;
  std::string_view name;
};

// Sorted by id (runtime_api_of_cbid searches it; a test checks the order).
inline constexpr RuntimeCbidName kRuntimeCbidNames[] = {
    {41, "cudaMemcpyAsync"},
    {42, "cudaMemcpyToArrayAsync"},
    {43, "cudaMemcpyFromArrayAsync"},
    {44, "cudaMemcpy2DAsync"},
    {45, "cudaMemcpy2DToArrayAsync"},
    {46, "cudaMemcpy2DFromArrayAsync"},
    {47, "cudaMemcpyToSymbolAsync"},
    {48, "cudaMemcpyFromSymbolAsync"},
    {51, "cudaMemsetAsync"},
    {52, "cudaMemset2DAsync"},
    {126, "cudaThreadSynchronize"},
    {131, "cudaStreamSynchronize"},
    {137, "cudaEventSynchronize"},
    {143, "cudaMemset3DAsync"},
    {145, "cudaMemcpy3DAsync"},
    {161, "cudaMemcpyPeerAsync"},
    {163, "cudaMemcpy3DPeerAsync"},
    {165, "cudaDeviceSynchronize"},
    {211, "cudaLaunchKernel"},
    {214, "cudaLaunchKernel_ptsz"},
    {225, "cudaMemcpyAsync_ptsz"},
    {226, "cudaMemcpyToArrayAsync_ptsz"},
    {227, "cudaMemcpyFromArrayAsync_ptsz"},
    {228, "cudaMemcpy2DAsync_ptsz"},
    {229, "cudaMemcpy2DToArrayAsync_ptsz"},
    {230, "cudaMemcpy2DFromArrayAsync_ptsz"},
    {231, "cudaMemcpyToSymbolAsync_ptsz"},
    {232, "cudaMemcpyFromSymbolAsync_ptsz"},
    {235, "cudaMemsetAsync_ptsz"},
    {236, "cudaMemset2DAsync_ptsz"},
    {239, "cudaStreamSynchronize_ptsz"},
    {244, "cudaMemset3DAsync_ptsz"},
    {246, "cudaMemcpy3DAsync_ptsz"},
    {250, "cudaMemcpy3DPeerAsync_ptsz"},
    {269, "cudaLaunchCooperativeKernel"},
    {270, "cudaLaunchCooperativeKernel_ptsz"},
    {272, "cudaLaunchCooperativeKernelMultiDevice"},
    {311, "cudaGraphLaunch"},
    {312, "cudaGraphLaunch_ptsz"},
    {430, "cudaLaunchKernelExC"},
    {431, "cudaLaunchKernelExC_ptsz"},
    {482, "cudaMemcpyBatchAsync"},
    {483, "cudaMemcpyBatchAsync_ptsz"},
    {484, "cudaMemcpy3DBatchAsync"},
    {485, "cudaMemcpy3DBatchAsync_ptsz"},
    {505, "__cudaLaunchKernel"},
    {506, "__cudaLaunchKernel_ptsz"},
    {509, "cudaMemcpyBatchAsync"},
    {510, "cudaMemcpyBatchAsync_ptsz"},
    {511, "cudaMemcpy3DBatchAsync"},
    {512, "cudaMemcpy3DBatchAsync_ptsz"},
};

// The runtime API named by `cbid`, or "" when it is none of the launch or sync calls above.
inline std::string_view runtime_api_of_cbid(int64_t cbid) {
  const auto* end = std::end(kRuntimeCbidNames);
  const auto* it = std::lower_bound(std::begin(kRuntimeCbidNames), end, cbid,
                                    [](const RuntimeCbidName& e, int64_t id) { return e.cbid < id; });
  return it != end && it->cbid == cbid ? it->name : std::string_view();
}

}  // namespace infertrace
