// Hard-IRQ and softirq tables for the scheduler analysis (docs/metrics.md §5).
//
// IRQs nest: a hard IRQ can fire while a softirq runs on the same CPU. Each recorded row carries its
// own measured duration (entry to exit of that handler), so `total` is the plain sum of those; the
// softirq's duration then includes the hard IRQ that interrupted it. `self` subtracts the time of
// directly nested handlers, and the time stolen from traced threads is the union of IRQ intervals
// per CPU, so a nested pair is never counted twice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.h"

namespace infertrace {

// One row of a table: the IRQs of one kind, source, number and name. A device IRQ and a system
// vector of the same number are two rows (Irq::system_vector), and so are the two call-function
// IPIs (both "CAL", two vectors) and two device IRQs whose handlers share a name.
struct IrqStat {
  IrqKind kind = IrqKind::Hard;
  bool system_vector = false;  // an x86 system vector (hard): `irq` is a vector number
  StrId name = kNoString;  // handler name (hard), /proc/interrupts name (system vector) or vector name (soft)
  int32_t irq = -1;        // IRQ number / system vector number / softirq vector number
  int64_t count = 0;
  ns_t total = 0;  // sum of measured durations
  ns_t self = 0;   // total minus the time of IRQs nested inside these
  ns_t max = 0;
};

struct IrqSummary {
  std::vector<IrqStat> hard, soft;  // each sorted by total, descending
  int64_t hard_count = 0, soft_count = 0;
  int64_t nested = 0;   // interrupting rows that ran inside another interrupting IRQ on the same CPU
  ns_t stolen = 0;      // union of all IRQ intervals, per CPU, summed over CPUs
  // Softirqs the threads ran as their own work (Irq::own: raised in their own kernel code, e.g. the
  // receive side of a loopback send run inside write()/sendto()). Not interruptions: none of the
  // figures above counts them. Per vector (kind Soft), sorted by total; `total` includes any hard
  // IRQ nested inside them (that IRQ is counted above, as an interruption, but not in `nested`),
  // `self` leaves it out.
  std::vector<IrqStat> own;
  int64_t own_count = 0;
  ns_t own_total = 0;
};

IrqSummary summarize_irqs(const Trace& trace);

// The label of rows[i] in the tables of `sched` (text, and the key of --json's hardirqs/softirqs):
// a system vector "LOC (vector 236)"; a device IRQ or softirq its name, "NAME (irq N)" when another
// row of `rows` has that name too (keys stay unique), or `unnamed` when it has no name.
std::string irq_stat_label(const Trace& trace, const std::vector<IrqStat>& rows, size_t i, const std::string& unnamed);

// True for the names `record` gives the x86 system vectors it times as hard IRQs (the local timer
// tick LOC, the IPIs RES, CAL, IWI, PLT and the APIC events TRM, ERR, SPU: /proc/interrupts' names,
// record/irq_vectors.h, which a test checks this list against). No /proc/irq/N steers them.
bool is_system_vector_name(std::string_view name);

// Whether `trace` says itself which of its hard IRQs are system vectors: the recorder writes META
// irq.system_vectors (empty on a kernel without the irq_vectors tracepoints) since it first timed
// them, and the reader marks each vector row (IRQ kind 2, or by that list in a file of early
// 2026-12-03). In such a trace a hard IRQ without the mark is a device IRQ whatever its handler's
// name; only in one without the META (an older recording, a hand-built trace) can the name tell.
bool irq_system_vectors_marked(const Trace& trace);

}  // namespace infertrace
