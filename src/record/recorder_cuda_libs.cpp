// The recorder's CUDA library probes: each file that defines CUDA API functions (a --lib, a standard
// library, the command's executable and dependencies, a library a traced process maps) gets uprobes
// on them, in one uprobe_multi link per direction where the kernel has them, else one link per
// probe; the traced processes' mapped libraries are looked at again during the recording.
#if INFERTRACE_HAVE_BPF

#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "record/cuda_apis.h"
#include "record/cuda_libraries.h"
#include "record/recorder_session.h"
#include "record/uprobe_multi_link.h"
#include "util/elf_functions.h"

namespace infertrace::recorder_impl {

void Recorder::attach_library(const std::string& path, bool explicit_lib, pid_t mapped_late_by) {
  if (!o_.launch) return;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (explicit_lib) warn("--lib " + path + ": " + std::strerror(errno));
    return;
  }
  if (!S_ISREG(st.st_mode)) {  // a uprobe needs a file's inode; a FIFO would block its reader
    if (explicit_lib) warn("--lib " + path + ": not a regular file; nothing probed there");
    return;
  }
  if (!probed_files_.insert({st.st_dev, st.st_ino}).second) return;
  const auto apis = cuda_apis();
  std::vector<std::string> names;
  for (const auto& a : apis) names.emplace_back(a.symbol);
  const auto offsets = elf_function_offsets(path, names);
  // The probes this file gets: every API it defines, at entry, and at return where wanted.
  std::vector<uint64_t> entry_offsets, entry_cookies, return_offsets, return_cookies;
  for (uint32_t i = 0; i < apis.size(); ++i) {
    const auto at = offsets.find(names[i]);
    if (at == offsets.end()) continue;
    const uint64_t cookie = api_cookie(i, o_.launch_durations);
    entry_offsets.push_back(at->second);
    entry_cookies.push_back(cookie);
    if (wants_return_probe(apis[i], o_.launch_durations)) {
      return_offsets.push_back(at->second);
      return_cookies.push_back(cookie);
    }
  }
  int n = 0;
  const char* links_kind = "";
  if (!entry_offsets.empty() && attach_library_multi(path, entry_offsets, entry_cookies, return_offsets, return_cookies)) {
    n = static_cast<int>(entry_offsets.size());
    links_kind = "uprobe_multi";
  } else {
    // One link per probe (a kernel before 6.6, or INFERTRACE_UPROBE_MULTI=0).
    auto attach_each = [&](bpf_program* prog, const std::vector<uint64_t>& at, const std::vector<uint64_t>& cookies,
                           bool ret) {
      int attached = 0;
      for (size_t k = 0; k < at.size(); ++k) {
        LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = cookies[k], .retprobe = ret);
        bpf_link* l = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), at[k], &uo);
        if (!l) {
          warn("cannot probe " + path + " at offset " + std::to_string(at[k]) + ": " + std::strerror(errno));
          continue;
        }
        s_.links.push_back(l);
        ++attached;
      }
      return attached;
    };
    n = attach_each(s_.skel->progs.api_entry, entry_offsets, entry_cookies, false);
    attach_each(s_.skel->progs.api_return, return_offsets, return_cookies, true);
    links_kind = "per_function";
  }
  if (n == 0) {
    if (explicit_lib)
      warn("--lib " + path +
           ": not a 64-bit ELF file exporting any CUDA launch or sync symbol (cuLaunchKernel, cudaLaunchKernel, ...); "
           "nothing probed there");
    return;
  }
  std::string entry = path + " (" + std::to_string(n) + " functions";
  const std::string key = "library." + std::to_string(sum_.libraries.size());
  out_.meta(key, path);
  out_.meta(key + ".links", links_kind);
  if (mapped_late_by > 0) {
    // Review AC M1: a library dlopen'ed during the recording is probed at the next scan; the
    // launches made through it before then were lost without a word.
    const int64_t probed = monotonic_ns();
    const int64_t from = command_start_ns_ > 0 ? command_start_ns_ : first_traced_ns_ > 0 ? first_traced_ns_
                                                                                          : static_cast<int64_t>(ts_start_);
    char when[32];
    std::snprintf(when, sizeof(when), "%.2f", static_cast<double>(probed - from) / 1e9);
    out_.meta(key + ".probed_late_ns", std::to_string(probed));
    out_.meta(key + ".mapped_by_pid", std::to_string(mapped_late_by));
    entry += std::string("; probed ") + when + " s into the recording, after pid " + std::to_string(mapped_late_by) +
             " had mapped it: its earlier launches are not recorded";
    warn(path + " was mapped by pid " + std::to_string(mapped_late_by) + " after the recording started and probed " +
         when + " s into it: launches made through it before then are not recorded (mapped libraries are "
         "looked for every 0.25 s; --lib PATH probes one from the start)");
  }
  sum_.libraries.push_back(entry + ")");
}

// Every probe of one file in one uprobe_multi link for the entries and one for the returns; false
// (nothing left attached) where the multi programs did not load or the kernel refuses the link.
bool Recorder::attach_library_multi(const std::string& path, const std::vector<uint64_t>& entry_offsets,
                                    const std::vector<uint64_t>& entry_cookies,
                                    const std::vector<uint64_t>& return_offsets,
                                    const std::vector<uint64_t>& return_cookies) {
  const int entry_prog = bpf_program__fd(s_.skel->progs.api_entry_multi);
  const int return_prog = bpf_program__fd(s_.skel->progs.api_return_multi);
  if (entry_prog < 0 || return_prog < 0) return false;
  // Said once: every library after this one is tried again (the kernel may refuse one file, not
  // all), and without it the only sign of the slower path is the exit taking ~0.1 s per probe.
  auto refused = [&](int err) {
    if (!multi_link_refusal_said_) {
      multi_link_refusal_said_ = true;
      warn("the kernel refused a uprobe_multi link for " + path + " (" + std::strerror(-err) +
           "; Linux 6.6 or later has them): one link per probe instead, and record will take about 0.1 s per "
           "probed function to detach at its end");
    }
    return false;
  };
  const int entry_fd = create_uprobe_multi_link(entry_prog, path, entry_offsets, entry_cookies, false);
  if (entry_fd < 0) return refused(entry_fd);
  int return_fd = -1;
  if (!return_offsets.empty()) {
    return_fd = create_uprobe_multi_link(return_prog, path, return_offsets, return_cookies, true);
    if (return_fd < 0) {
      ::close(entry_fd);
      return refused(return_fd);
    }
  }
  s_.link_fds.push_back(entry_fd);
  if (return_fd >= 0) s_.link_fds.push_back(return_fd);
  return true;
}

void Recorder::rescan_libraries() {
  if (!o_.launch) return;
  for (pid_t tgid : traced_tgids())
    for (auto& p : mapped_cuda_candidates(static_cast<int>(tgid)))
      if (looked_at_.insert(p).second) attach_library(p, false, static_cast<pid_t>(tgid));
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
