// Which mechanism records the CUDA side (`record --cuda {cupti,uprobe,auto}`, docs/record.md):
// cupti = the injection library (src/cupti_inject/) loaded through CUDA_INJECTION64_PATH, which sees
// GPU execution; uprobe = the eBPF uprobes on the CUDA libraries (host side only, works with --pid).
#pragma once

#include <string>

namespace infertrace {

enum class CudaMode { Uprobe, Cupti };

struct CudaModeFacts {
  bool have_command = false;  // -- CMD (cupti can only inject into a program it starts)
  bool have_pids = false;     // --pid
  std::string library;        // the injection library's path, empty when this build has none
  bool gpu_present = false;
  // CUDA_INJECTION64_PATH as record found it, when set to another library than this build's: CUDA
  // loads one injection library, and the command was meant to run with that one (a sanitizer's, a
  // profiler's); cupti mode would replace it.
  std::string other_injection;
};

// Decides the mode for `requested` ("cupti", "uprobe" or "auto"). Throws UsageError for an unknown
// word, `cupti` with --pid or with another injection library set; Error for `cupti` in a build
// without the library (saying why). `auto` leaves another injection library in place (uprobe).
CudaMode resolve_cuda_mode(const std::string& requested, const CudaModeFacts& facts);

// The injection library of this build: next to the executable, else where the build put it;
// empty when the build found no CUPTI.
std::string cupti_library_path();
// True when /dev/nvidia0 exists or libcuda reports at least one device.
bool gpu_present();

const char* cuda_mode_name(CudaMode m);

}  // namespace infertrace
