// The recorder's BPF programs: which of them load (the events asked for, tp_btf or raw_tp, the
// uprobe_multi ones where the kernel has them), the maps' sizes, and the attach of the tracepoint
// programs and of the x86 system vectors. The CUDA uprobes attach per library (recorder_cuda_libs.cpp).
#if INFERTRACE_HAVE_BPF

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "record/irq_vectors.h"
#include "record/recorder_session.h"
#include "record/uprobe_multi_link.h"
#include "util/error.h"

namespace infertrace::recorder_impl {

std::string g_libbpf_log;
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  const int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  if (g_libbpf_log.size() < (64u << 10)) g_libbpf_log += buf;
  return n;
}

namespace {

std::string last_lines(const std::string& s, size_t n) {
  size_t pos = s.size();
  for (size_t i = 0; i < n && pos > 0; ++i) pos = s.rfind('\n', pos - 1);
  return pos == std::string::npos || pos == 0 ? s : s.substr(pos + 1);
}

enum class Group { Launch, Always, Sched, Wakeup, Irq, Syscall };

Group group_of(const std::string& prog) {
  auto starts = [&](const char* p) { return prog.rfind(p, 0) == 0; };
  if (starts("api_")) return Group::Launch;
  if (starts("switch_")) return Group::Sched;
  if (starts("wakeup_")) return Group::Wakeup;
  if (starts("hardirq_") || starts("softirq_") || starts("sysvec_")) return Group::Irq;
  if (starts("sys_")) return Group::Syscall;
  return Group::Always;
}

bool wanted(Group g, const RecordOptions& o) {
  switch (g) {
    case Group::Launch: return o.launch;
    case Group::Sched: return o.sched;
    case Group::Wakeup: return o.wakeup;
    case Group::Irq: return o.irq;
    case Group::Syscall: return o.syscall;
    case Group::Always: return true;
  }
  return true;
}

uint64_t ring_bytes(double rate) {
  // Room for half a second of events at the expected rate, twice over: the consumer drains every
  // 100 ms, so this absorbs bursts of 10x the rate before anything is lost.
  const double want = std::max(1.0 * (1 << 20), rate * sizeof(it_switch) * 0.5 * 2);
  uint64_t size = 1 << 20;
  while (size < want && size < (1ull << 30)) size <<= 1;
  return size;
}

// Whether the running kernel has the tracepoint `tp` (x86's irq_vectors ones exist on x86 only): a
// tp_btf program for a missing one would fail the whole load, and with it every tp_btf program.
// The kernel's BTF has a btf_trace_<name> typedef for each of its tracepoints.
bool kernel_has_tracepoint(const std::string& tp) {
  static btf* vmlinux = btf__load_vmlinux_btf();
  return vmlinux && btf__find_by_name_kind(vmlinux, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF) > 0;
}

bool is_multi_program(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, "_multi") == 0;
}

// Opens and loads the skeleton with the tp_btf programs (raw_tp when `raw`), and with the
// uprobe_multi programs when `multi`.
record_bpf* open_and_load(const RecordOptions& o, bool raw, uint64_t rb_size, bool multi) {
  record_bpf* skel = record_bpf__open();
  if (!skel) throw Error("record: cannot open the BPF object: " + last_lines(g_libbpf_log, 5));
  skel->rodata->want_launch = o.launch;
  skel->rodata->want_sched = o.sched;
  skel->rodata->want_wakeup = o.wakeup;
  skel->rodata->want_irq = o.irq;
  skel->rodata->want_syscall = o.syscall;
  skel->rodata->syscall_counts_only = o.syscall_counts_only;
  skel->rodata->wakeup_threshold = rb_size / 4;
  bpf_map__set_max_entries(skel->maps.events, static_cast<uint32_t>(rb_size));
  // Hash maps are preallocated: a map no program of this recording uses gets one entry.
  bpf_map__set_max_entries(skel->maps.traced, max_processes(o));
  bpf_map__set_max_entries(skel->maps.sys_pending, o.syscall ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.api_pending, o.launch ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.fold_pending, o.launch ? max_threads(o) : 1);
  bpf_map__set_max_entries(skel->maps.wakers, o.wakeup ? max_threads(o) : 1);
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    const std::string name = bpf_program__name(prog);
    const bool is_raw = name.size() > 4 && name.compare(name.size() - 4, 4, "_raw") == 0;
    const bool is_btf = name.size() > 4 && name.compare(name.size() - 4, 4, "_btf") == 0;
    bool load = wanted(group_of(name), o);
    if (is_raw && !raw) load = false;
    if (is_btf && raw) load = false;
    // raw_tp programs load whether or not their tracepoint exists; attaching tells (below).
    const std::string sysvec = sysvec_tracepoint(name);
    if (load && is_btf && !sysvec.empty() && !kernel_has_tracepoint(sysvec + "_entry")) load = false;
    if (is_multi_program(name)) {
      load = load && multi;
      bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(kAttachUprobeMulti));
    }
    bpf_program__set_autoload(prog, load);
  }
  if (record_bpf__load(skel) != 0) {
    record_bpf__destroy(skel);
    return nullptr;
  }
  return skel;
}

}  // namespace

void Recorder::load() {
  const uint64_t rb = ring_bytes(o_.expected_rate);
  // The uprobe_multi programs load on any kernel that has bpf_get_attach_cookie; an older one that
  // refuses them is tried again without (every library then gets per-function links).
  const bool multi = o_.launch && uprobe_multi_wanted(std::getenv("INFERTRACE_UPROBE_MULTI"));
  auto try_load = [&](bool raw) {
    record_bpf* skel = open_and_load(o_, raw, rb, multi);
    if (!skel && multi) skel = open_and_load(o_, raw, rb, false);
    return skel;
  };
  s_.skel = try_load(/*raw=*/false);
  std::string mode = "tp_btf";
  if (!s_.skel) {
    s_.skel = try_load(/*raw=*/true);
    mode = "raw_tp";
    if (!s_.skel)
      throw Error("record: the kernel refused the BPF programs (tp_btf and raw_tp): " + last_lines(g_libbpf_log, 8));
  }
  out_.meta("tracepoint_mode", mode);
  out_.meta("ring_buffer_bytes", std::to_string(rb));
}

void Recorder::attach_tracepoints() {
  bpf_program* prog;
  std::map<std::string, std::vector<bpf_program*>> sysvec;  // tracepoint -> its entry and exit programs
  bpf_object__for_each_program(prog, s_.skel->obj) {
    if (!bpf_program__autoload(prog)) continue;
    const std::string name = bpf_program__name(prog);
    if (group_of(name) == Group::Launch) continue;  // uprobes: per library, below
    if (const std::string tp = sysvec_tracepoint(name); !tp.empty()) {
      sysvec[tp].push_back(prog);
      continue;
    }
    bpf_link* l = bpf_program__attach(prog);
    if (!l) throw Error("record: cannot attach " + name + ": " + std::strerror(errno) + " " + last_lines(g_libbpf_log, 3));
    s_.links.push_back(l);
  }
  if (!o_.irq) return;
  attach_system_vectors(sysvec);
}

// The x86 system vectors, each tracepoint pair on its own and both halves or neither (an entry
// without its exit would time nothing): a kernel without them still records everything else, and
// META says which were traced, so no reader takes the hard-IRQ figures to include ticks and IPIs
// when they do not.
void Recorder::attach_system_vectors(const std::map<std::string, std::vector<bpf_program*>>& progs) {
  std::vector<std::string> traced;
  for (const auto& [tp, list] : progs) {
    std::vector<bpf_link*> links;
    for (bpf_program* p : list)
      if (bpf_link* l = bpf_program__attach(p)) links.push_back(l);
    if (list.size() == 2 && links.size() == 2) {
      s_.links.insert(s_.links.end(), links.begin(), links.end());
      traced.push_back(tp);
    } else {
      for (bpf_link* l : links) bpf_link__destroy(l);
    }
  }
  const std::string names = traced_vector_names(traced), missing = missing_vector_tracepoints(traced);
  out_.meta("irq.system_vectors", names);
  out_.meta("irq.system_vectors_missing", missing);
  // Softirqs a thread runs as its own work (loopback sends) are told apart only when no interrupt
  // that raises softirqs goes untraced (record.bpf.c softirq_raised_own); readers of a file without
  // this key count every softirq as an interruption.
  const std::string tick = untraced_tick_devices();
  const std::string raising_untraced = softirq_raising_untraced(traced);
  const bool own = raising_untraced.empty() && tick.empty();
  if (own && s_.skel->bss) s_.skel->bss->softirq_own_on = 1;
  out_.meta("irq.softirq_context", own && s_.skel->bss ? "raise" : "not_told");
  // Why not (readers word their "not told apart" from it): the raising vectors left untraced, and a
  // tick that comes through no traced interrupt.
  if (!raising_untraced.empty()) out_.meta("irq.softirq_context_untraced", raising_untraced);
  if (!tick.empty()) out_.meta("irq.softirq_context_tick", tick);
  if (!missing.empty())
    warn("hard IRQs leave out the system-vector interrupts whose irq_vectors tracepoints this kernel lacks (" +
         missing + (names.empty() ? "; none traced: the tracepoints exist on x86 only)" : "; traced: " + names + ")"));
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
