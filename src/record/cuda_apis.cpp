#include "record/cuda_apis.h"

#include "record/bpf/record_events.h"

#include <iterator>

namespace infertrace {

namespace {

using S = StreamAt;
using G = GeometryAt;
using F = ApiFamily;

// Launch-type calls are recorded at entry only. A runtime launch marks its thread with where its
// return address is; a driver call made while that frame is live (nested in the runtime call, or
// its tail call) is the same logical launch and is folded into it (bpf/record.bpf.c api_entry).
// That costs two probe hits per runtime launch instead of the three a return probe adds
// (--launch-durations restores it, with the launch's duration). Sync
// calls always get a return probe: their duration is the point, and it delimits the nested
// driver sync call.
static_assert(static_cast<unsigned>(ApiFamily::Sync) == IT_API_FAMILY_SYNC, "the BPF side tests the cookie's family for Sync");

// Every launch-type function that api_kind.h classes as a launch and that CUDA 12/13's libcudart
// and libcuda export (nm -D), and the sync calls. Stream positions are from the prototypes in
// cuda_runtime_api.h / cuda.h (the versioned driver names from cuda.h's __CUDA_API_VERSION_INTERNAL
// section), counted under the x86-64 System V rules: a struct of more than 16 bytes passed by value
// (cudaPitchedPtr, cudaExtent) goes on the stack and takes no register, so cudaMemset3DAsync's
// stream is its second integer register. A _ptsz twin has its base function's arguments. Where the
// same exported name has had two argument lists (cudaMemcpyBatchAsync and cudaMemcpy3DBatchAsync
// lost their failIdx argument in CUDA 13 under the same name; cu*LaunchCooperativeKernelMultiDevice
// keep one stream per device in an array), the launch is recorded without a stream (S::None)
// rather than with a guessed one. Not probed: __cudaLaunchKernel(_ptsz), CUDA 13's `<<<>>>` entry,
// which tail-jumps to cudaLaunchKernel(_ptsz) (probed: probing both would record a launch twice).
// Every probed name must class as its family under classify_api(), and every launch name of
// tests/fixtures/cuda-exports/ (nm of CUDA 13.0) must be here (cuda_apis_test.cpp).
constexpr CudaApi kApis[] = {
    // runtime: kernels
    {"cudaLaunchKernel", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchKernel_ptsz", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchKernelExC", true, false, S::Config, G::Config, F::Kernel},
    {"cudaLaunchKernelExC_ptsz", true, false, S::Config, G::Config, F::Kernel},
    {"cudaLaunchCooperativeKernel", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchCooperativeKernel_ptsz", true, false, S::Stack2, G::RuntimeRegs, F::Kernel},
    {"cudaLaunchCooperativeKernelMultiDevice", true, false, S::None, G::None, F::Kernel},  // CUDA 12
    // runtime: graphs
    {"cudaGraphLaunch", true, false, S::Arg2, G::None, F::Graph},
    {"cudaGraphLaunch_ptsz", true, false, S::Arg2, G::None, F::Graph},
    // runtime: copies
    {"cudaMemcpyAsync", true, false, S::Arg5, G::None, F::Memcpy},
    {"cudaMemcpyAsync_ptsz", true, false, S::Arg5, G::None, F::Memcpy},
    {"cudaMemcpy2DAsync", true, false, S::Stack2, G::None, F::Memcpy},
    {"cudaMemcpy2DAsync_ptsz", true, false, S::Stack2, G::None, F::Memcpy},
    {"cudaMemcpy2DToArrayAsync", true, false, S::Stack3, G::None, F::Memcpy},
    {"cudaMemcpy2DToArrayAsync_ptsz", true, false, S::Stack3, G::None, F::Memcpy},
    {"cudaMemcpy2DFromArrayAsync", true, false, S::Stack3, G::None, F::Memcpy},
    {"cudaMemcpy2DFromArrayAsync_ptsz", true, false, S::Stack3, G::None, F::Memcpy},
    {"cudaMemcpy3DAsync", true, false, S::Arg2, G::None, F::Memcpy},
    {"cudaMemcpy3DAsync_ptsz", true, false, S::Arg2, G::None, F::Memcpy},
    {"cudaMemcpy3DPeerAsync", true, false, S::Arg2, G::None, F::Memcpy},
    {"cudaMemcpy3DPeerAsync_ptsz", true, false, S::Arg2, G::None, F::Memcpy},
    {"cudaMemcpyToArrayAsync", true, false, S::Stack1, G::None, F::Memcpy},
    {"cudaMemcpyToArrayAsync_ptsz", true, false, S::Stack1, G::None, F::Memcpy},
    {"cudaMemcpyFromArrayAsync", true, false, S::Stack1, G::None, F::Memcpy},
    {"cudaMemcpyFromArrayAsync_ptsz", true, false, S::Stack1, G::None, F::Memcpy},
    {"cudaMemcpyToSymbolAsync", true, false, S::Arg6, G::None, F::Memcpy},
    {"cudaMemcpyToSymbolAsync_ptsz", true, false, S::Arg6, G::None, F::Memcpy},
    {"cudaMemcpyFromSymbolAsync", true, false, S::Arg6, G::None, F::Memcpy},
    {"cudaMemcpyFromSymbolAsync_ptsz", true, false, S::Arg6, G::None, F::Memcpy},
    {"cudaMemcpyPeerAsync", true, false, S::Arg6, G::None, F::Memcpy},
    {"cudaMemcpyBatchAsync", true, false, S::None, G::None, F::Memcpy},  // 9 arguments in CUDA 12, 8 in 13
    {"cudaMemcpyBatchAsync_ptsz", true, false, S::None, G::None, F::Memcpy},
    {"cudaMemcpy3DBatchAsync", true, false, S::None, G::None, F::Memcpy},  // 5 arguments in CUDA 12, 4 in 13
    {"cudaMemcpy3DBatchAsync_ptsz", true, false, S::None, G::None, F::Memcpy},
    // runtime: sets
    {"cudaMemsetAsync", true, false, S::Arg4, G::None, F::Memset},
    {"cudaMemsetAsync_ptsz", true, false, S::Arg4, G::None, F::Memset},
    {"cudaMemset2DAsync", true, false, S::Arg6, G::None, F::Memset},
    {"cudaMemset2DAsync_ptsz", true, false, S::Arg6, G::None, F::Memset},
    {"cudaMemset3DAsync", true, false, S::Arg2, G::None, F::Memset},  // (cudaPitchedPtr, int, cudaExtent, stream)
    {"cudaMemset3DAsync_ptsz", true, false, S::Arg2, G::None, F::Memset},
    // runtime: syncs
    {"cudaStreamSynchronize", true, true, S::Arg1, G::None, F::Sync},
    {"cudaStreamSynchronize_ptsz", true, true, S::Arg1, G::None, F::Sync},
    {"cudaDeviceSynchronize", true, true, S::None, G::None, F::Sync},
    {"cudaEventSynchronize", true, true, S::None, G::None, F::Sync},
    // driver: kernels
    {"cuLaunchKernel", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchKernel_ptsz", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchKernelEx", false, false, S::Config, G::Config, F::Kernel},
    {"cuLaunchKernelEx_ptsz", false, false, S::Config, G::Config, F::Kernel},
    {"cuLaunchCooperativeKernel", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchCooperativeKernel_ptsz", false, false, S::Stack3, G::DriverRegs, F::Kernel},
    {"cuLaunchCooperativeKernelMultiDevice", false, false, S::None, G::None, F::Kernel},
    // driver: graphs
    {"cuGraphLaunch", false, false, S::Arg2, G::None, F::Graph},
    {"cuGraphLaunch_ptsz", false, false, S::Arg2, G::None, F::Graph},
    // driver: copies (the unversioned HtoD/DtoH/DtoD/HtoA/AtoH/2D/3D names are the CUDA 3.1 ABI,
    // 32-bit sizes and pointers, with the stream at the same position)
    {"cuMemcpyAsync", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyAsync_ptsz", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyHtoDAsync", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyHtoDAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyHtoDAsync_v2_ptsz", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoHAsync", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoHAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoHAsync_v2_ptsz", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoDAsync", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoDAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyDtoDAsync_v2_ptsz", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpyHtoAAsync", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpyHtoAAsync_v2", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpyHtoAAsync_v2_ptsz", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpyAtoHAsync", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpyAtoHAsync_v2", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpyAtoHAsync_v2_ptsz", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpy2DAsync", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy2DAsync_v2", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy2DAsync_v2_ptsz", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy3DAsync", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy3DAsync_v2", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy3DAsync_v2_ptsz", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpyPeerAsync", false, false, S::Arg6, G::None, F::Memcpy},
    {"cuMemcpyPeerAsync_ptsz", false, false, S::Arg6, G::None, F::Memcpy},
    {"cuMemcpy3DPeerAsync", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpy3DPeerAsync_ptsz", false, false, S::Arg2, G::None, F::Memcpy},
    {"cuMemcpyBatchAsync", false, false, S::Stack3, G::None, F::Memcpy},  // with failIdx: 9 arguments
    {"cuMemcpyBatchAsync_ptsz", false, false, S::Stack3, G::None, F::Memcpy},
    {"cuMemcpyBatchAsync_v2", false, false, S::Stack2, G::None, F::Memcpy},  // 8 arguments
    {"cuMemcpyBatchAsync_v2_ptsz", false, false, S::Stack2, G::None, F::Memcpy},
    {"cuMemcpy3DBatchAsync", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpy3DBatchAsync_ptsz", false, false, S::Arg5, G::None, F::Memcpy},
    {"cuMemcpy3DBatchAsync_v2", false, false, S::Arg4, G::None, F::Memcpy},
    {"cuMemcpy3DBatchAsync_v2_ptsz", false, false, S::Arg4, G::None, F::Memcpy},
    // driver: sets
    {"cuMemsetD8Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD8Async_ptsz", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD16Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD16Async_ptsz", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD32Async", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD32Async_ptsz", false, false, S::Arg4, G::None, F::Memset},
    {"cuMemsetD2D8Async", false, false, S::Arg6, G::None, F::Memset},
    {"cuMemsetD2D8Async_ptsz", false, false, S::Arg6, G::None, F::Memset},
    {"cuMemsetD2D16Async", false, false, S::Arg6, G::None, F::Memset},
    {"cuMemsetD2D16Async_ptsz", false, false, S::Arg6, G::None, F::Memset},
    {"cuMemsetD2D32Async", false, false, S::Arg6, G::None, F::Memset},
    {"cuMemsetD2D32Async_ptsz", false, false, S::Arg6, G::None, F::Memset},
    // driver: syncs
    {"cuStreamSynchronize", false, true, S::Arg1, G::None, F::Sync},
    {"cuStreamSynchronize_ptsz", false, true, S::Arg1, G::None, F::Sync},
    {"cuCtxSynchronize", false, true, S::None, G::None, F::Sync},
    {"cuEventSynchronize", false, true, S::None, G::None, F::Sync},
};
// The api index is 8 bits of the attach cookie (bpf/record.bpf.c CK_API).
static_assert(std::size(kApis) <= 256, "the attach cookie holds the api index in 8 bits");

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
