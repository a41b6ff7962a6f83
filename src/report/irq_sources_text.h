// The one line `sched` (terminal and HTML) gives on what its hard-IRQ figures count: device IRQs
// only, or the x86 system vectors (timer tick, IPIs) too, and which of them (SchedAnalysis::
// irq_system_vectors, irq_vectors_traced, irq_vectors_missing; docs/sched.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace infertrace {

// `vectors` none: unknown (an analysis saved before sched --json said). `missing` none: the
// recording does not say which tracepoints were missing.
std::string hard_irq_sources_text(const std::optional<bool>& vectors, const std::vector<std::string>& traced,
                                  const std::optional<std::vector<std::string>>& missing);

}  // namespace infertrace
