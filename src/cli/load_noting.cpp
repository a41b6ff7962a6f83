#include "cli/load_noting.h"

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <utility>

#include "analysis/launch_undercount.h"
#include "trace/recorder_drops.h"
#include "util/plural.h"
#include "util/whole_number.h"

namespace infertrace::cli {

std::string incomplete_recording_note(const Trace& t) {
  const std::string words = incomplete_recording_words(t);
  return words.empty() ? words : t.file + ": " + words;
}

namespace {

std::string drop_label(const RecorderDrop& d) {
  switch (d.cause) {
    case DropCause::EventRing: return d.key;
    case DropCause::CuptiRing: return "CUPTI ring records";
    case DropCause::CuptiActivity: return "CUPTI activity records";
    case DropCause::CuptiUnusableGpuRecord:
      return d.key == "cupti_gpu_without_clock" ? "CUPTI GPU records without a clock sample"
                                                : "CUPTI GPU records without timestamps";
    case DropCause::CuptiRingUnpublished: return "CUPTI ring records a killed process left unwritten";
    case DropCause::MapFull: return d.key;  // (map_full_note says these)
  }
  return d.key;
}

// Whether `sched` shows rates per 1000 launches for this recording (analyze_sched: launches, and
// switches or IRQs recorded by META events, or present in a recording that does not list them):
// without them the note has no rate to call a bound (review FK).
bool per_1k_rates_shown(const Trace& t) {
  bool launches = false;
  for (ApiKind k : t.api.kind) launches = launches || is_launch(k);
  if (!launches || !t.launch_coverage.measured()) return false;
  if (const auto ev = t.meta.find("events"); ev != t.meta.end()) {
    const std::string list = "," + ev->second + ",";
    return list.find(",sched,") != std::string::npos || list.find(",irq,") != std::string::npos;
  }
  return t.switches.size() + t.irqs.size() + t.wakeups.size() + t.syscalls.size() > 0;
}

}  // namespace

std::string dropped_events_note(const Trace& t) {
  if (t.source != TraceSource::Recording) return {};
  std::string what, ring, cupti, unusable, unpublished;
  // The exact counts, and the CUPTI ring's unpublished slots apart: a slot count bounds the records
  // they held, so a total that includes it is "up to".
  int64_t total = 0, up_to = 0;
  // As analyze_sched decides it (launch_undercount.h): the drops' tally, and the loss windows (those
  // that lost anything but launch records make the rates neither bound).
  Per1kDropTally drops;
  for (const LossWindow& w : t.loss_windows) tally_loss_window(drops, w.lost);
  for (const RecorderDrop& d : recorder_drops(t)) {
    tally_per_1k_drop(drops, d.key, d.count);
    // Full maps of the kernel side: not events lost to a buffer, map_full_note() says them; their
    // tally above still decides what the rates are.
    if (d.count <= 0 || d.cause == DropCause::MapFull) continue;
    const std::string label = drop_label(d);
    if (d.cause == DropCause::CuptiRingUnpublished) {
      up_to = saturating_add_drops(up_to, d.count);
      what += (what.empty() ? "" : ", ") + label + " (up to " + std::to_string(d.count) + ")";
      unpublished = " " + label + ": a process of the tree was killed while writing its CUPTI records; the records after "
                    "that point in the ring were not read (no option sizes this; a larger --expected-rate does not help).";
      continue;
    }
    total = saturating_add_drops(total, d.count);
    what += (what.empty() ? "" : ", ") + label + " " + std::to_string(d.count);
    // The remedy depends on where they were lost: both rings are sized by --expected-rate; CUPTI's
    // activity buffers are its own (src/cupti_inject/inject_activity.cpp), no option of ours sizes them;
    // GPU records the merge could not place in time were delivered, and no buffer would have kept
    // them: each such counter says why instead.
    if (d.cause == DropCause::CuptiUnusableGpuRecord) {
      unusable += " " + label + ": " +
                  (d.key == "cupti_gpu_without_clock"
                       ? "on their process's raw GPU clock, which it sent no clock sample to map onto CLOCK_MONOTONIC."
                       : "CUPTI left their start or end time at 0 (not collected, or still incomplete at the flush at exit).");
      continue;
    }
    std::string& list = d.cause == DropCause::CuptiActivity ? cupti : ring;
    list += (list.empty() ? "" : ", ") + label;
  }
  if (total == 0 && up_to == 0) return {};
  const int64_t shown = saturating_add_drops(total, up_to);
  std::string note = t.file + ": the recorder lost " + (up_to > 0 ? "up to " : "") + std::to_string(shown) +
                     plural(shown, " event (", " events (") + what +
                     "). Counts and profiles of those event types are lower bounds; ";
  // Only launch records lost (switches and IRQs whole, in the drops and the loss windows): the rates per 1000
  // launches are upper bounds, as the tables mark them (review FH M2); the one rule is
  // per_1k_upper_bound_reason's, its words too.
  if (!per_1k_rates_shown(t))
    note += "launch-pair figures and the scheduler impact may be off in either direction (a pair or gap can span the "
            "loss).";
  else if (const std::string cause =
               launch_undercount_cause(per_1k_launch_records_lost(drops), "", drops.launch_records_lost_up_to);
           !cause.empty() && !drops.rate_events_lost)
    note += "rates per 1000 launches are upper bounds (fewer launches counted than ran: " + cause +
            ", while no switch or IRQ event was lost); launch-pair figures and the scheduler impact may be off in either "
            "direction (a pair or gap can span the loss).";
  else
    note += "rates per 1000 launches, launch-pair figures and the scheduler impact may be off in either direction (a rate "
            "loses events from its numerator and its denominator, and a pair or gap can span the loss).";
  if (!ring.empty())
    note += " " + ring + ": a ring buffer was full; record again with a larger --expected-rate.";
  if (!cupti.empty())
    note += " " + cupti + ": CUPTI dropped them itself (its own activity buffers were full, which --expected-rate does not size).";
  if (!unpublished.empty()) note += unpublished;
  if (!unusable.empty())
    note += unusable + " The recorder left these GPU records out, as they could not be placed in time: the GPU work they "
                       "stand for is missing, and their launch calls show no GPU activity.";
  return note;
}

std::string map_full_note(const Trace& t) {
  if (t.source != TraceSource::Recording) return {};
  const auto meta = [&](const char* key) {
    const auto it = t.meta.find(key);
    return it == t.meta.end() ? std::string() : it->second;
  };
  std::string note;
  for (const RecorderDrop& d : recorder_drops(t)) {
    if (d.cause != DropCause::MapFull || d.count <= 0) continue;
    const std::string n = std::to_string(d.count);
    if (d.key == "untraced_processes") {
      const std::string cap = meta("max_processes");
      // The first ten of META untraced.pids (which holds up to 64).
      std::string pids;
      size_t listed = 0, at = 0;
      for (const std::string all = meta("untraced.pids"); at < all.size() && listed < 10; ++listed) {
        const size_t comma = std::min(all.find(',', at), all.size());
        pids += (listed ? ", " : "") + all.substr(at, comma - at);
        at = comma + 1;
      }
      if (listed > 0 && static_cast<int64_t>(listed) < d.count) pids += ", ...";
      note += std::string(note.empty() ? "" : " ") + n + plural(d.count, " new process", " new processes") +
              " of the traced tree " + (d.count == 1 ? "was" : "were") + " not traced, nor anything " +
              (d.count == 1 ? "it" : "they") + " started (the recorder's traced set was full" +
              (cap.empty() ? "" : ": " + cap + (cap == "1" ? " process" : " processes") + " at once, an exited one until the kernel frees it") + "; record again with a larger --max-processes)" +
              (pids.empty() ? "" : "; pids " + pids) +
              ": every figure leaves " + (d.count == 1 ? "it" : "them") + " out, so counts and profiles of the "
              "traced tree are lower bounds and rates per 1000 launches may be off in either direction.";
      continue;
    }
    const std::string cap = meta("max_threads");
    const std::string sized = " (the recorder's map of calls in progress was full" +
                              (cap.empty() ? std::string() : ": " + cap + (cap == "1" ? " thread" : " threads") + " at once") +
                              "; record again with a larger --max-threads)";
    if (d.key == "pending_full_syscall")
      note += std::string(note.empty() ? "" : " ") + n + plural(d.count, " syscall was", " syscalls were") +
              " not recorded" + sized + ": syscall counts and times are lower bounds.";
    else if (d.key == "pending_full_api")
      note += std::string(note.empty() ? "" : " ") + n + plural(d.count, " timed CUDA call was", " timed CUDA calls were") +
              " not recorded" + sized + ": CUDA call counts are lower bounds.";
    else if (d.key == "pending_full_fold")
      note += std::string(note.empty() ? "" : " ") + n +
              plural(d.count, " runtime launch was", " runtime launches were") +
              " not marked for folding" + sized + ": a driver call each made may be counted as a launch of its own.";
  }
  return note.empty() ? note : t.file + ": " + note;
}

std::string launch_coverage_note(const Trace& t) {
  const LaunchCoverage& c = t.launch_coverage;
  std::string note;
  if (!c.measured())
    note = c.unmeasured_reason + ": every launch figure (launch calls, TKLQT, the bound, launch rates and the "
                                 "launch-pair analysis) is unknown, shown as null or \"-\".";
  if (c.partial()) note += (note.empty() ? "" : " ") + c.partial_note + ": the launch figures are lower bounds.";
  return note.empty() ? note : t.file + ": " + note;
}

std::string left_running_note(const Trace& t) {
  if (t.source != TraceSource::Recording) return {};
  const auto n = t.meta.find("command.left_running");
  if (n == t.meta.end()) return {};
  const WholeNumber count = parse_whole_number(n->second, 1, INT64_MAX);
  if (count.status != WholeNumber::Status::ok) return {};
  const auto pids = t.meta.find("command.left_running_pids");
  std::string listed;
  if (pids != t.meta.end() && !pids->second.empty()) {
    listed = pids->second;
    std::replace(listed.begin(), listed.end(), ',', ' ');
    listed = " (" + plural(count.value, "pid ", "pids ") + listed + ")";
  }
  return t.file + ": the command exited leaving " + std::to_string(count.value) +
         plural(count.value, " process", " processes") + " of its tree running" + listed +
         ": the recording ends with the command, so nothing they did after that is in it (record --pid follows a "
         "process to its end)";
}

namespace {

Trace noting(Trace t) {
  if (const std::string note = incomplete_recording_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  if (const std::string note = dropped_events_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  if (const std::string note = map_full_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  if (const std::string note = launch_coverage_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  if (const std::string note = left_running_note(t); !note.empty()) std::cerr << "infertrace: note: " << note << "\n";
  return t;
}

}  // namespace

Trace load_trace_noting(const std::string& path, const LoadOptions& opts) { return noting(load_trace(path, opts)); }

Trace load_trace_noting(InputBuffer in, const std::string& path, const LoadOptions& opts) {
  return noting(load_trace(std::move(in), path, opts));
}

}  // namespace infertrace::cli
