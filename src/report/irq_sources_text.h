// The one line `sched` (terminal and HTML) gives on what its hard-IRQ figures count: device IRQs
// only, or the x86 system vectors (timer tick, IPIs) too, and which of them (SchedAnalysis::
// irq_system_vectors, irq_vectors_traced, irq_vectors_missing; docs/sched.md), and why softirqs
// a thread ran as its own work are not told apart when they are not.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace infertrace {

// `vectors` none: unknown (an analysis saved before sched --json said). `missing` none: the
// recording does not say which tracepoints were missing.
std::string hard_irq_sources_text(const std::optional<bool>& vectors, const std::vector<std::string>& traced,
                                  const std::optional<std::vector<std::string>>& missing);

// The "softirqs run by the threads themselves" line when the recording does not tell them apart,
// with the reason: `context` is META irq.softirq_context (nullopt: an analysis saved before sched
// --json gave it; "": the recording has none), `untraced` the softirq-raising vectors the recorder
// could not trace (META irq.softirq_context_untraced), `tick` the tick devices whose interrupt no
// tracepoint shows (META irq.softirq_context_tick).
std::string own_softirqs_untold_text(const std::optional<std::string>& context, const std::vector<std::string>& untraced,
                                     const std::vector<std::string>& tick);

}  // namespace infertrace
