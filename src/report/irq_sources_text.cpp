#include "report/irq_sources_text.h"

namespace infertrace {

namespace {
std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

std::string hard_irq_sources_text(const std::optional<bool>& vectors, const std::vector<std::string>& traced,
                                  const std::optional<std::vector<std::string>>& missing) {
  if (!vectors) return "unknown whether they include the x86 system vectors (an analysis saved before sched --json said)";
  if (!*vectors)
    return "device IRQs only, no x86 system vectors (a recording made before 2026-12-03, or a kernel without the "
           "irq_vectors tracepoints)";
  // An analysis saved before the list existed says "true" only.
  std::string s = traced.empty() ? std::string("device IRQs and x86 system vectors (which ones not said)")
                                 : "device IRQs and the x86 system vectors " + joined(traced);
  if (missing && !missing->empty()) s += " (not traced: " + joined(*missing) + ")";
  return s;
}

std::string own_softirqs_untold_text(const std::optional<std::string>& context, const std::vector<std::string>& untraced,
                                     const std::vector<std::string>& tick) {
  std::string why;
  if (!context) {
    why = "";
  } else if (context->empty()) {
    why = " (the recording has no softirq-raise marks: made before 2026-12-06)";
  } else if (*context == "not_told") {
    // Each an interrupt that raises softirqs unseen, so none can pass for the thread's own.
    std::vector<std::string> reasons;
    if (!untraced.empty()) reasons.push_back("this kernel has no irq_vectors tracepoint for " + joined(untraced));
    if (!tick.empty()) reasons.push_back("the tick comes through " + joined(tick) + ", which no tracepoint shows");
    why = reasons.empty() ? std::string(" (the recording does not say why)")
                          : " (" + reasons[0] + (reasons.size() > 1 ? "; " + reasons[1] : "") +
                                ": interrupts that raise softirqs unseen)";
  } else
    why = " (irq.softirq_context \"" + *context + "\" is unknown to this version)";
  return "not told apart" + why + ": counted as interruptions";
}

}  // namespace infertrace
