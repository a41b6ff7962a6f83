// One BPF link holding many uprobes of one file (BPF_TRACE_UPROBE_MULTI, Linux 6.6+). Detaching a
// uprobe waits for an RCU grace period, and the kernel runs the waits of separate links one after
// the other (~0.1 s each on Linux 6.18: 43 libcudart probes took record ~2.8 s to exit); a multi
// link's probes are detached behind one wait. libbpf 1.1 (Debian 12) has no API for it, so the
// link is made with the bpf(2) command itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace infertrace {

// BPF_TRACE_UPROBE_MULTI in enum bpf_attach_type (Linux 6.6; absent from older UAPI headers): a
// program attached through such a link must be loaded with it as its expected attach type.
constexpr uint32_t kAttachUprobeMulti = 48;

// A uprobe (a uretprobe when `return_probes`) at each of `offsets` (file offsets,
// util/elf_functions.h) of `path`, each with the BPF cookie at the same index, for every process, all
// in one link of the program `prog_fd`. The link's fd (closing it detaches every probe), or
// -errno: a kernel before 6.6 answers EINVAL.
int create_uprobe_multi_link(int prog_fd, const std::string& path, const std::vector<uint64_t>& offsets,
                             const std::vector<uint64_t>& cookies, bool return_probes);

// Whether the environment variable INFERTRACE_UPROBE_MULTI (`value`, null when unset) leaves
// uprobe_multi links on: off for 0, false, no or off (any case), on otherwise.
bool uprobe_multi_wanted(const char* value);

}  // namespace infertrace
