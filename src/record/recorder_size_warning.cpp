// The recorder's one warning that its file has grown past what this machine can analyse: every
// verb loads every event (ingest/recording/analysis_memory.h), and a recording found too big only
// when `sched` is run on it has cost its whole run (review RL57 M1: 14.7 GB after 624 s).
#if INFERTRACE_HAVE_BPF

#include <array>
#include <optional>
#include <string>

#include "ingest/recording/analysis_memory.h"
#include "record/recorder_session.h"
#include "util/error.h"
#include "util/units.h"

namespace infertrace::recorder_impl {

void Recorder::warn_when_too_big_to_analyse() {
  if (warned_analysis_memory_) return;
  std::array<uint64_t, IT_EV_NTYPES> count{};
  for (const auto& [type, n] : counts_)
    if (type < IT_EV_NTYPES) count[type] = n;
  const uint64_t need = analysis_memory_bytes(count);
  if (need < 64'000'000) return;  // (as the reader: no /proc read while it is small)
  // Not less this process's address space: the analysis runs in a process of its own.
  std::optional<MemoryRoom> room;
  try {
    room = analysis_memory_room(false);
  } catch (const Error& e) {  // a malformed INFERTRACE_ANALYSIS_MEMORY: said once, the recording goes on
    warned_analysis_memory_ = true;
    warn(std::string(e.what()) + ": the recording's size is not checked against the memory to analyse it");
    return;
  }
  if (!room || need <= room->bytes) return;
  warned_analysis_memory_ = true;
  // The whole estimate (the reader refuses only past the tables alone): a warning, while it can still be acted on.
  warn("the recording (" + memory_size_text(out_.bytes_written()) + ", " +
       format_count(static_cast<int64_t>(analysis_event_count(count))) + " events so far) already needs about " +
       memory_size_text(need) + " of memory to analyse (the tables alone " + memory_size_text(table_memory_bytes(count)) +
       "), more than the " +
       memory_size_text(room->bytes) + " available (" + room->source +
       "): stop it soon, or record a shorter run (--duration S) or fewer event kinds (--events; syscall-counts "
       "counts syscalls in the kernel) (docs/record.md, \"Recording size and analysis memory\")");
}

}  // namespace infertrace::recorder_impl

#endif  // INFERTRACE_HAVE_BPF
