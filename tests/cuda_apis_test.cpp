// The recorder's probe list (record/cuda_apis.cpp) against the classifier the trace readers use
// (trace/api_kind.h) and against the names real CUDA libraries export (review AC H1: the list had
// 33 names while every cudaMemcpy*Async / cuMemcpy*Async / cuMemsetD*Async is a launch, and 500 of
// 800 launches of such calls went unrecorded without a word).
#include "record/cuda_apis.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "trace/api_kind.h"

namespace infertrace {
namespace {

ApiKind kind_of_family(ApiFamily f) {
  switch (f) {
    case ApiFamily::Kernel: return ApiKind::KernelLaunch;
    case ApiFamily::Graph: return ApiKind::GraphLaunch;
    case ApiFamily::Memcpy: return ApiKind::MemcpyAsync;
    case ApiFamily::Memset: return ApiKind::MemsetAsync;
    case ApiFamily::Sync: return ApiKind::Sync;
  }
  return ApiKind::Other;
}

// The exported function names of a CUDA library, one per line ('#' lines are comments).
std::vector<std::string> exports(const char* file) {
  std::ifstream in(std::string(INFERTRACE_SOURCE_DIR) + "/tests/fixtures/cuda-exports/" + file);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') names.push_back(line);
  return names;
}

std::set<std::string> probed() {
  std::set<std::string> s;
  for (const CudaApi& a : cuda_apis()) s.insert(std::string(a.symbol));
  return s;
}

TEST(CudaApis, EveryProbedNameClassesAsItsFamily) {
  for (const CudaApi& a : cuda_apis())
    EXPECT_EQ(classify_api(a.symbol), kind_of_family(a.family)) << a.symbol;
}

TEST(CudaApis, NoNameProbedTwice) {
  EXPECT_EQ(probed().size(), cuda_apis().size());
}

TEST(CudaApis, RuntimeFlagFollowsTheLibrary) {
  // cuda* names live in libcudart (they fold the driver calls they make), cu* in libcuda.
  for (const CudaApi& a : cuda_apis())
    EXPECT_EQ(a.runtime, a.symbol.substr(0, 4) == "cuda") << a.symbol;
}

// Every launch the readers would count, exported by CUDA 13.0's libcudart and libcuda, is probed.
TEST(CudaApis, EveryExportedLaunchIsProbed) {
  const std::set<std::string> p = probed();
  // CUDA 13's `<<<>>>` entry points tail-jump to cudaLaunchKernel(_ptsz), which is probed: probing
  // them as well would record each such launch twice.
  const std::set<std::string> reached_through{"__cudaLaunchKernel", "__cudaLaunchKernel_ptsz"};
  size_t launches = 0;
  for (const char* lib : {"libcudart13.txt", "libcuda13.txt"}) {
    const auto names = exports(lib);
    ASSERT_GT(names.size(), 300u) << lib;
    for (const std::string& n : names) {
      if (!is_launch(classify_api(n))) continue;
      ++launches;
      if (reached_through.count(n)) continue;
      EXPECT_TRUE(p.count(n)) << lib << ": exported launch " << n << " is not probed";
    }
  }
  EXPECT_GT(launches, 80u);  // the two lists hold this many launch names: the filter found them
}

// Every probed name is a real export (a misspelt name would never attach), but the CUDA 12-only
// cudaLaunchCooperativeKernelMultiDevice (removed from libcudart 13; its driver twin is exported).
TEST(CudaApis, EveryProbedNameIsExported) {
  std::set<std::string> all;
  for (const char* lib : {"libcudart13.txt", "libcuda13.txt"})
    for (auto& n : exports(lib)) all.insert(n);
  for (const CudaApi& a : cuda_apis()) {
    const std::string n(a.symbol);
    if (n == "cudaLaunchCooperativeKernelMultiDevice") continue;
    EXPECT_TRUE(all.count(n)) << n << " is not exported by CUDA 13.0";
  }
}

// Stream positions of functions whose argument lists the tests' fake libraries do not exercise,
// counted here from the CUDA 13.0 prototypes (x86-64 System V: six integer registers, then 8-byte
// stack slots; a struct over 16 bytes by value goes to the stack and takes no register).
TEST(CudaApis, StreamPositionsFromThePrototypes) {
  auto at = [](std::string_view name) {
    for (const CudaApi& a : cuda_apis())
      if (a.symbol == name) return a.stream;
    ADD_FAILURE() << name << " not probed";
    return StreamAt::None;
  };
  // (void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height, kind, stream)
  EXPECT_EQ(at("cudaMemcpy2DAsync"), StreamAt::Stack2);
  // (cudaArray_t, size_t, size_t, const void*, size_t, kind, stream)
  EXPECT_EQ(at("cudaMemcpyToArrayAsync"), StreamAt::Stack1);
  // (cudaPitchedPtr [32 bytes, memory], int value, cudaExtent [24 bytes, memory], stream)
  EXPECT_EQ(at("cudaMemset3DAsync"), StreamAt::Arg2);
  // (CUdeviceptr, CUcontext, CUdeviceptr, CUcontext, size_t, CUstream)
  EXPECT_EQ(at("cuMemcpyPeerAsync"), StreamAt::Arg6);
  // (dsts, srcs, sizes, count, attrs, attrsIdxs, numAttrs, [failIdx,] hStream): v1 9 args, v2 8
  EXPECT_EQ(at("cuMemcpyBatchAsync"), StreamAt::Stack3);
  EXPECT_EQ(at("cuMemcpyBatchAsync_v2"), StreamAt::Stack2);
  // The runtime's batch copies changed their argument list under the same name: no stream.
  EXPECT_EQ(at("cudaMemcpyBatchAsync"), StreamAt::None);
  EXPECT_EQ(at("cudaMemcpy3DBatchAsync"), StreamAt::None);
}

}  // namespace
}  // namespace infertrace
