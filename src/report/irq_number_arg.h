// The name the timeline exports (Perfetto, Chrome JSON) give an IRQ slice's number, so both spell
// it alike and none reads one kind of number as another's (review EK L5): a device IRQ's number
// is "irq", an x86 system vector's (the CPU's vector, LOC's 236) "vector", a softirq's (its index
// in the kernel's softirq list, NET_RX's 3) "softirq_vector". Docs: docs/report.md ("Timeline exports").
#pragma once

#include <cstddef>

#include "trace/trace.h"

namespace infertrace {

inline const char* irq_number_arg(const IrqTable& q, size_t i) {
  return q.kind[i] == IrqKind::Soft ? "softirq_vector" : q.system_vector[i] ? "vector" : "irq";
}

}  // namespace infertrace
