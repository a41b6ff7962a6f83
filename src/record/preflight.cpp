#include "record/preflight.h"

#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "record/process_liveness.h"
#include "util/error.h"
#include "util/shell_quote.h"

namespace infertrace {

namespace {

bool exists(const char* p) {
  struct stat st;
  return ::stat(p, &st) == 0;
}

// Effective capability bits of this process (/proc/self/status CapEff).
uint64_t effective_caps() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

bool tracefs_mounted() {
  constexpr long kTracefsMagic = 0x74726163;
  for (const char* p : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    struct statfs fs;
    if (::statfs(p, &fs) == 0 && fs.f_type == kTracefsMagic) return true;
  }
  return false;
}

}  // namespace

void check_record_prerequisites() {
  constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
  const uint64_t caps = effective_caps();
  const bool admin = caps & (1ull << kCapSysAdmin);
  const bool bpf_perfmon = (caps & (1ull << kCapBpf)) && (caps & (1ull << kCapPerfmon));
  if (!admin && !bpf_perfmon) {
    // The binary's own path: `$(command -v infertrace)` named nothing for a build run by its path,
    // as the README runs it (review DX L2).
    std::error_code ec;
    const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    throw Error("record needs root or the CAP_BPF and CAP_PERFMON capabilities (effective uid " +
                std::to_string(::geteuid()) + "): run it with sudo, or grant them once with "
                "`sudo setcap cap_bpf,cap_perfmon,cap_sys_resource+ep " +
                (ec || exe.empty() ? std::string("$(command -v infertrace)") : shell_quote(exe)) + "`");
  }
  if (!exists("/sys/kernel/btf/vmlinux"))
    throw Error("record needs the kernel's BTF type information (/sys/kernel/btf/vmlinux is missing): use a "
                "kernel built with CONFIG_DEBUG_INFO_BTF=y (the default on current distributions)");
  // Uprobes attach through the uprobe PMU when the kernel has it; the legacy path needs tracefs.
  if (!exists("/sys/bus/event_source/devices/uprobe/type") && !tracefs_mounted())
    throw Error("record needs tracefs for uprobes on this kernel and it is not mounted: run "
                "`sudo mount -t tracefs nodev /sys/kernel/tracing`");
  // The probes see the kernel's (the initial namespace's) process ids; in a container's own PID
  // namespace every id record knows is another number there, and it traced kthreadd for pid 2
  // (review RP M5), or nothing of a started command.
  if (in_nested_pid_namespace())
    throw Error("record runs in a PID namespace of its own (a container): its process ids are not the ones the "
                "kernel's probes see, so it would trace the wrong processes; run record on the host, or in a "
                "container that shares the host's PID namespace (docker run --pid=host, podman --pid=host)");
}

}  // namespace infertrace
