// The categories (`cat` in --chrome, interned event categories in --perfetto) of every slice the two
// trace exports write: one set, so a query or filter by category works the same on both files
// (review FMT L3: Perfetto had written memcpy/memset, irq and sched where Chrome wrote gpu_memcpy/
// gpu_memset, hardirq and on_cpu). The names of what the PyTorch profiler records are Kineto's, so
// a Chrome export reads back as a Kineto trace and API calls look as in the profiler's own file;
// the rest are infertrace's. docs/report.md "Slice categories" lists them.
#pragma once

#include <string_view>

#include "trace/trace.h"

namespace infertrace {

namespace category {
inline constexpr const char* kOperator = "cpu_op";
inline constexpr const char* kUserAnnotation = "user_annotation";
inline constexpr const char* kKernel = "kernel";
inline constexpr const char* kMemcpy = "gpu_memcpy";
inline constexpr const char* kMemset = "gpu_memset";
inline constexpr const char* kSyscall = "syscall";
inline constexpr const char* kOnCpu = "on_cpu";
inline constexpr const char* kHardIrq = "hardirq";
inline constexpr const char* kSoftIrq = "softirq";
inline constexpr const char* kRecorderLoss = "recorder_loss";
inline constexpr const char* kWakeup = "wakeup";
inline constexpr const char* kProcessTree = "process_tree";
// A Kineto trace's host event of a category no table keeps (python_function, ...): only its start is
// kept (Trace::other_host_starts), written back as a mark of no duration (--chrome only).
inline constexpr const char* kOtherHost = "other_host";
}  // namespace category

// The instant each kind of TASK record (Trace::tasks) is in both trace exports, on the thread's
// track: its birth, an exec, its exit, its presence at a --pid attach, or a new name it took.
inline const char* task_instant_name(TaskKind k) {
  switch (k) {
    case TaskKind::Existing: return "attached";
    case TaskKind::New: return "thread start";
    case TaskKind::Exec: return "exec";
    case TaskKind::Exit: return "thread exit";
    case TaskKind::Rename: return "thread rename";
  }
  return "task";
}

// The category Kineto (the PyTorch profiler) gives a CUDA API call. Driver entry points are cu*
// (not cuda*): "cuda_driver"; everything else "cuda_runtime".
inline std::string_view kineto_api_category(std::string_view name) {
  const bool driver = name.size() > 2 && name.substr(0, 2) == "cu" && name.substr(0, 4) != "cuda";
  return driver ? "cuda_driver" : "cuda_runtime";
}

// A GPU activity's category, as Kineto names it.
inline const char* gpu_category(GpuKind k) {
  switch (k) {
    case GpuKind::Kernel: return category::kKernel;
    case GpuKind::Memcpy: return category::kMemcpy;
    case GpuKind::Memset: return category::kMemset;
  }
  return category::kKernel;
}

}  // namespace infertrace
