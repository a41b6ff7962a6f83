// The x86 system vectors `record` times as hard IRQs (local timer, IPIs, APIC events), by the
// irq_vectors tracepoint pair each has and the name /proc/interrupts gives its counter. The BPF
// programs for them are named sysvec_<tracepoint>_{entry,exit}_{btf,raw} (record.bpf.c, which
// writes the same names into the records); the recorder attaches them optionally, as they exist on
// x86 kernels only, and writes which it got into META (docs/recording-format.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace infertrace {

struct SystemVector {
  std::string_view tracepoint;  // irq_vectors:<tracepoint>_entry / _exit
  std::string_view name;        // the /proc/interrupts row that counts it
};

// In the order /proc/interrupts lists them (CAL twice: both call-function IPIs count there).
const std::vector<SystemVector>& system_vectors();

// The tracepoint of a sysvec_ program ("sysvec_local_timer_entry_btf" -> "local_timer"); empty for
// any other program name.
std::string sysvec_tracepoint(std::string_view program);

// The /proc/interrupts name of a tracepoint of system_vectors(); empty when it is not one.
std::string_view sysvec_name(std::string_view tracepoint);

// META values: the distinct names of the traced tracepoints, comma-separated in table order
// ("LOC,RES,CAL"), and the tracepoints not traced ("thermal_apic,error_apic").
std::string traced_vector_names(const std::vector<std::string>& traced_tracepoints);
std::string missing_vector_tracepoints(const std::vector<std::string>& traced_tracepoints);

// The tracepoints of the softirq-raising vectors (tick, IPIs, irq_work) that were not traced,
// comma-separated. "" means a softirq raise outside every traced interrupt is known to be in task
// context (record.bpf.c softirq_raised_own); elsewhere than x86 those interrupts are device IRQs
// (irq_handler_entry), always traced, so "" too. Otherwise META irq.softirq_context_untraced, so
// that a reader can say why own softirqs are not told apart.
std::string softirq_raising_untraced(const std::vector<std::string>& traced_tracepoints);

// The per-CPU tick devices (clockevents/clockevent*/current_device) whose interrupt no traced
// tracepoint shows, distinct, comma-separated: on x86 every device but the local APIC timer
// (`lapic`, `lapic-deadline`: LOC) and the HPET and PIT (device IRQs), e.g. "Hyper-V clockevent"
// or "xen" on a guest whose tick comes through a hypervisor callback vector. Softirqs such a tick
// raises would pass for task context (review RV M2): META irq.softirq_context_tick, and not told.
// "" elsewhere, and when the directory cannot be read.
std::string untraced_tick_devices(const std::string& clockevents_dir = "/sys/devices/system/clockevents");

}  // namespace infertrace
