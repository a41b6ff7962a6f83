#include "record/cuda_mode.h"

#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>

#include "util/error.h"

namespace infertrace {

CudaMode resolve_cuda_mode(const std::string& requested, const CudaModeFacts& f) {
  if (requested == "uprobe") return CudaMode::Uprobe;
  if (requested == "cupti") {
    if (f.have_pids && !f.have_command)
      throw UsageError("record: --cuda cupti works only for a program it starts (-- CMD); --pid attaches with "
                       "--cuda uprobe (CUPTI must be loaded when CUDA initializes)");
    if (!f.other_injection.empty())
      throw UsageError("record: --cuda cupti would replace CUDA_INJECTION64_PATH=" + f.other_injection +
                       " (CUDA loads one injection library): unset it, or record with --cuda uprobe");
    if (f.library.empty())
      throw Error("record: --cuda cupti is not available in this build: the CUPTI headers and libcupti were not "
                  "found at build time (install the CUDA toolkit, reconfigure so cmake finds cupti.h, rebuild), or "
                  "use --cuda uprobe");
    return CudaMode::Cupti;
  }
  if (requested == "auto") {
    return f.have_command && !f.have_pids && !f.library.empty() && f.gpu_present && f.other_injection.empty()
               ? CudaMode::Cupti
               : CudaMode::Uprobe;
  }
  throw UsageError("record: --cuda must be cupti, uprobe or auto (got '" + requested + "')");
}

std::string cupti_library_path() {
#ifdef INFERTRACE_CUPTI_LIBRARY
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::string name = std::filesystem::path(INFERTRACE_CUPTI_LIBRARY).filename().string();
  if (!ec) {
    for (const auto& dir : {exe.parent_path(), exe.parent_path().parent_path() / "lib"}) {
      const auto p = dir / name;
      if (std::filesystem::exists(p, ec)) return p.string();
    }
  }
  if (std::filesystem::exists(INFERTRACE_CUPTI_LIBRARY, ec)) return INFERTRACE_CUPTI_LIBRARY;
#endif
  return {};
}

bool gpu_present() {
  if (::access("/dev/nvidia0", F_OK) == 0) return true;
  void* h = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h) return false;
  using init_fn = int (*)(unsigned);
  using count_fn = int (*)(int*);
  auto init = reinterpret_cast<init_fn>(::dlsym(h, "cuInit"));
  auto count = reinterpret_cast<count_fn>(::dlsym(h, "cuDeviceGetCount"));
  int n = 0;
  const bool yes = init && count && init(0) == 0 && count(&n) == 0 && n > 0;
  ::dlclose(h);
  return yes;
}

const char* cuda_mode_name(CudaMode m) { return m == CudaMode::Cupti ? "cupti" : "uprobe"; }

}  // namespace infertrace
