// `record --cuda {cupti,uprobe,auto}` resolution (record/cuda_mode.h): what each word picks for a
// started command or --pid, with and without the injection library and a GPU, and the messages.
#include <gtest/gtest.h>

#include "record/cuda_mode.h"
#include "util/error.h"

namespace infertrace {
namespace {

CudaModeFacts facts(bool command, bool pids, bool lib, bool gpu) {
  CudaModeFacts f;
  f.have_command = command, f.have_pids = pids, f.library = lib ? "/x/libinfertrace_cupti.so" : "", f.gpu_present = gpu;
  return f;
}

TEST(RecordCudaMode, AutoPicksCuptiOnlyForACommandWithLibraryAndGpu) {
  EXPECT_EQ(resolve_cuda_mode("auto", facts(true, false, true, true)), CudaMode::Cupti);
  EXPECT_EQ(resolve_cuda_mode("auto", facts(true, false, true, false)), CudaMode::Uprobe);  // no GPU
  EXPECT_EQ(resolve_cuda_mode("auto", facts(true, false, false, true)), CudaMode::Uprobe);  // no library
  EXPECT_EQ(resolve_cuda_mode("auto", facts(false, true, true, true)), CudaMode::Uprobe);   // --pid
  EXPECT_EQ(resolve_cuda_mode("uprobe", facts(true, false, true, true)), CudaMode::Uprobe);
  EXPECT_EQ(resolve_cuda_mode("cupti", facts(true, false, true, false)), CudaMode::Cupti);  // asked: no GPU check
}

TEST(RecordCudaMode, CuptiRefusesPidAndABuildWithoutTheLibrary) {
  try {
    resolve_cuda_mode("cupti", facts(false, true, true, true));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--cuda uprobe"), std::string::npos) << e.what();
  }
  try {
    resolve_cuda_mode("cupti", facts(true, false, false, true));
    FAIL();
  } catch (const UsageError&) {
    FAIL() << "a missing library is not a usage error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not available in this build"), std::string::npos) << e.what();
  }
  EXPECT_THROW(resolve_cuda_mode("nvtx", facts(true, false, true, true)), UsageError);
}

TEST(RecordCudaMode, AnotherInjectionLibraryIsLeftInPlace) {
  CudaModeFacts f = facts(true, false, true, true);
  f.other_injection = "/opt/tool/libinject.so";
  EXPECT_EQ(resolve_cuda_mode("auto", f), CudaMode::Uprobe);
  try {
    resolve_cuda_mode("cupti", f);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA_INJECTION64_PATH=/opt/tool/libinject.so"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace infertrace
