#include "record/cuda_apis.h"

namespace infertrace {

namespace {

using S = StreamAt;
using G = GeometryAt;

// Runtime calls get a return probe: it both times them and delimits the window in which the driver
// call they make is recognised as the same logical launch. Driver calls made directly are
// recorded at entry only (one probe hit), except the sync calls, whose duration is the point.
constexpr CudaApi kApis[] = {
    // runtime
    {"cudaLaunchKernel", true, true, S::Stack2, G::RuntimeRegs},
    {"cudaLaunchKernel_ptsz", true, true, S::Stack2, G::RuntimeRegs},
    {"cudaLaunchKernelExC", true, true, S::Config, G::Config},
    {"cudaLaunchKernelExC_ptsz", true, true, S::Config, G::Config},
    {"cudaLaunchCooperativeKernel", true, true, S::Stack2, G::RuntimeRegs},
    {"cudaGraphLaunch", true, true, S::Arg2, G::None},
    {"cudaGraphLaunch_ptsz", true, true, S::Arg2, G::None},
    {"cudaMemcpyAsync", true, true, S::Arg5, G::None},
    {"cudaMemcpyAsync_ptsz", true, true, S::Arg5, G::None},
    {"cudaMemsetAsync", true, true, S::Arg4, G::None},
    {"cudaMemsetAsync_ptsz", true, true, S::Arg4, G::None},
    {"cudaStreamSynchronize", true, true, S::Arg1, G::None},
    {"cudaStreamSynchronize_ptsz", true, true, S::Arg1, G::None},
    {"cudaDeviceSynchronize", true, true, S::None, G::None},
    {"cudaEventSynchronize", true, true, S::None, G::None},
    // driver
    {"cuLaunchKernel", false, false, S::Stack3, G::DriverRegs},
    {"cuLaunchKernel_ptsz", false, false, S::Stack3, G::DriverRegs},
    {"cuLaunchKernelEx", false, false, S::Config, G::Config},
    {"cuLaunchKernelEx_ptsz", false, false, S::Config, G::Config},
    {"cuLaunchCooperativeKernel", false, false, S::Stack3, G::DriverRegs},
    {"cuGraphLaunch", false, false, S::Arg2, G::None},
    {"cuGraphLaunch_ptsz", false, false, S::Arg2, G::None},
    {"cuMemcpyAsync", false, false, S::Arg4, G::None},
    {"cuMemcpyHtoDAsync_v2", false, false, S::Arg4, G::None},
    {"cuMemcpyDtoHAsync_v2", false, false, S::Arg4, G::None},
    {"cuMemcpyDtoDAsync_v2", false, false, S::Arg4, G::None},
    {"cuMemsetD8Async", false, false, S::Arg4, G::None},
    {"cuMemsetD16Async", false, false, S::Arg4, G::None},
    {"cuMemsetD32Async", false, false, S::Arg4, G::None},
    {"cuStreamSynchronize", false, true, S::Arg1, G::None},
    {"cuStreamSynchronize_ptsz", false, true, S::Arg1, G::None},
    {"cuCtxSynchronize", false, true, S::None, G::None},
    {"cuEventSynchronize", false, true, S::None, G::None},
};

}  // namespace

std::span<const CudaApi> cuda_apis() { return kApis; }

uint64_t api_cookie(uint32_t index) {
  const CudaApi& a = kApis[index];
  return uint64_t{index} | (uint64_t(a.stream) << 8) | (uint64_t(a.geometry) << 12) | (uint64_t(a.runtime) << 16) |
         (uint64_t(a.return_probe) << 17);
}

}  // namespace infertrace
