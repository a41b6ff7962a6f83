#include "record/cuda_apis.h"

#include "record/bpf/record_events.h"

namespace infertrace {

namespace {

using S = StreamAt;
using G = GeometryAt;
using F = ApiFamily;

// Launch-type calls are recorded at entry only. A runtime launch marks its thread with its family
// (kernel, graph, memcpy, memset); the next driver call of that family on the thread is the same
// logical launch and is folded into it. That costs two probe hits per runtime launch instead of the
// three a return probe adds (--launch-durations restores it, with the launch's duration). Sync
// calls always get a return probe: their duration is the point, and it delimits the nested
// driver sync call.
static_assert(static_cast<unsigned>(ApiFamily::Sync) == IT_API_FAMILY_SYNC, "the BPF side tests the cookie's family for Sync");

constexpr CudaApi kApis[] = {
    // runtime
    {"cudaLaunchKernel", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchKernel_ptsz", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchKernelExC", true, false, S::Config, G::Config, F::Kernel},
    {"cudaLaunchKernelExC_ptsz", true, false, S::Config, G::Config, F::Kernel},
    {"cudaLaunchCooperativeKernel", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaGraphLaunch", true, false, S::Arg2, G::None, F::Graph},
    {"cudaGraphLaunch_ptsz", true, false, S::Arg2, G::None, F::Graph},
    {"cudaMemcpyAsync", true, false, S::Arg5, G::None, F::Memcpy},
    {"cudaMemcpyAsync_ptsz", true, false, S::Arg5, G::None, F::Memcpy},
    {"cudaMemsetAsync", true, false, S::Arg4, G::None, F::Memset},
    {"cudaMemsetAsync_ptsz", true, false, S::Arg4, G::None, F::Memset},
    {"cudaStreamSynchronize", true, true, S::Arg1, G::None, F::Sync},
    {"cudaStreamSynchronize_ptsz", true, true, S::Arg1, G::None, F::Sync},
    {"cudaDeviceSynchronize", true, true, S::None, G::None, F::Sync},
    {"cudaEventSynchronize", true, true, S::None, G::None, F::Sync},
    // driver
    {"cuLaunchKernel", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchKernel_ptsz", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchKernelEx", false, false, S::Config, G::Config, F::Kernel},
    {"cuLaunchKernelEx_ptsz", false, false, S::Config, G::Config, F::Kernel},
    {"cuLaunchCooperativeKernel", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuGraphLaunch", false, false, S::Arg2, G::None, F::Graph},
    {"cuGraphLaunch_ptsz", false, false, S::Arg2, G::None, F::Graph},
    {"cuMemcpyAsync", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyHtoDAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoHAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoDAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemsetD8Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD16Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD32Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuStreamSynchronize", false, true, S::Arg1, G::None, F::Sync},
    {"cuStreamSynchronize_ptsz", false, true, S::Arg1, G::None, F::Sync},
    {"cuCtxSynchronize", false, true, S::None, G::None, F::Sync},
    {"cuEventSynchronize", false, true, S::None, G::None, F::Sync},
};

}  // namespace

std::span<const CudaApi> cuda_apis() { return kApis; }

bool wants_return_probe(const CudaApi& a, bool launch_durations) {
  return a.return_probe || (launch_durations && a.runtime);
}

uint64_t api_cookie(uint32_t index, bool launch_durations) {
  const CudaApi& a = kApis[index];
  return uint64_t{index} | (uint64_t(a.stream) << 8) | (uint64_t(a.geometry) << 12) | (uint64_t(a.runtime) << 16) |
         (uint64_t(wants_return_probe(a, launch_durations)) << 17) | (uint64_t(a.family) << 18);
}

}  // namespace infertrace
