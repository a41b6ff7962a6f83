// What `record` needs from the system, checked before anything is loaded so the user gets one
// message naming what is missing and how to fix it.
#pragma once

namespace infertrace {

// Throws Error: not root / no CAP_BPF+CAP_PERFMON, no kernel BTF, no uprobe PMU and tracefs unmounted.
void check_record_prerequisites();

}  // namespace infertrace
