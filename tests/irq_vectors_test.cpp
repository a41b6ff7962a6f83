// The system-vector table of `record` (record/irq_vectors.h): program-name parsing, the META
// values, and that the BPF side (record.bpf.c) declares the same tracepoints with the same names.
#include "record/irq_vectors.h"

#include "analysis/irq_stats.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace infertrace {
namespace {

TEST(IrqVectors, ProgramNamesGiveTheirTracepoint) {
  EXPECT_EQ(sysvec_tracepoint("sysvec_local_timer_entry_btf"), "local_timer");
  EXPECT_EQ(sysvec_tracepoint("sysvec_local_timer_exit_raw"), "local_timer");
  // A tracepoint whose name is another's plus a suffix must not be cut to the shorter one.
  EXPECT_EQ(sysvec_tracepoint("sysvec_call_function_single_exit_btf"), "call_function_single");
  EXPECT_EQ(sysvec_tracepoint("sysvec_call_function_entry_raw"), "call_function");
  // Not a system-vector program, or one the table does not know.
  EXPECT_EQ(sysvec_tracepoint("hardirq_entry_btf"), "");
  EXPECT_EQ(sysvec_tracepoint("sysvec_threshold_apic_entry_btf"), "");
  EXPECT_EQ(sysvec_tracepoint("sysvec_local_timer_btf"), "");
  EXPECT_EQ(sysvec_tracepoint("sysvec__entry_btf"), "");
}

TEST(IrqVectors, NamesAreTheProcInterruptsRows) {
  EXPECT_EQ(sysvec_name("local_timer"), "LOC");
  EXPECT_EQ(sysvec_name("reschedule"), "RES");
  EXPECT_EQ(sysvec_name("call_function"), "CAL");
  EXPECT_EQ(sysvec_name("call_function_single"), "CAL");
  EXPECT_EQ(sysvec_name("irq_work"), "IWI");
  EXPECT_EQ(sysvec_name("vector_alloc"), "");  // an irq_vectors event that is not an interrupt
}

// The analysis tells these names apart from device IRQs by its own list (it does not link the
// recorder): every name the recorder writes is on it, and a device handler's name is not.
TEST(IrqVectors, AnalysisKnowsEveryRecordedName) {
  for (const SystemVector& v : system_vectors()) EXPECT_TRUE(is_system_vector_name(v.name)) << v.name;
  for (const char* device : {"virtio0-input.0", "nvme0q1", "i8042", "irq_11", "", "loc"})
    EXPECT_FALSE(is_system_vector_name(device)) << device;
}

TEST(IrqVectors, MetaValues) {
  // Table order, each name once; CAL traced when either call-function tracepoint was.
  EXPECT_EQ(traced_vector_names({"call_function_single", "reschedule", "local_timer"}), "LOC,RES,CAL");
  EXPECT_EQ(traced_vector_names({}), "");
  const std::vector<std::string> all_but_two = {"local_timer", "spurious_apic", "irq_work", "x86_platform_ipi",
                                                "reschedule", "call_function", "error_apic"};
  EXPECT_EQ(missing_vector_tracepoints(all_but_two), "call_function_single,thermal_apic");
  EXPECT_EQ(missing_vector_tracepoints({}).substr(0, 26), "local_timer,spurious_apic,");
#if defined(__x86_64__) || defined(__i386__)
  // The softirq-raising vectors left out (META irq.softirq_context_untraced): call_function_single
  // only; thermal_apic raises no softirq and is no reason.
  EXPECT_EQ(softirq_raising_untraced(all_but_two), "call_function_single");
  std::vector<std::string> all = all_but_two;
  all.emplace_back("call_function_single");
  EXPECT_EQ(softirq_raising_untraced(all), "");
  EXPECT_EQ(softirq_raising_untraced({"irq_work"}), "local_timer,reschedule,call_function,call_function_single");
#endif
}

// The tick's device per CPU (review RV M2): a guest whose tick comes through a hypervisor vector
// cannot tell own softirqs apart. A sysfs tree of our own: two CPUs on the local APIC, one on
// Hyper-V's timer, a broadcast device (not a CPU's tick) on the HPET.
TEST(IrqVectors, TickDevicesWithoutTracepoint) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("clockevents_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto device = [&](const char* sub, const char* name) {
    fs::create_directories(dir / sub);
    std::ofstream(dir / sub / "current_device") << name << "\n";
  };
  device("clockevent0", "lapic-deadline");
  device("clockevent1", "lapic");
  device("broadcast", "hpet");
  EXPECT_EQ(untraced_tick_devices(dir.string()), "");
#if defined(__x86_64__) || defined(__i386__)
  device("clockevent2", "Hyper-V clockevent");
  device("clockevent3", "Hyper-V clockevent");
  device("clockevent4", "hpet2");
  EXPECT_EQ(untraced_tick_devices(dir.string()), "Hyper-V clockevent");
  device("clockevent5", "xen");
  EXPECT_EQ(untraced_tick_devices(dir.string()), "Hyper-V clockevent,xen");
#endif
  fs::remove_all(dir);
  EXPECT_EQ(untraced_tick_devices(dir.string()), "");  // unreadable: no reason given
}

TEST(IrqVectors, BpfProgramsMatchTheTable) {
  std::ifstream f(std::string(INFERTRACE_SOURCE_DIR) + "/src/record/bpf/record.bpf.c");
  ASSERT_TRUE(f) << "record.bpf.c not found";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string src = ss.str();
  // IT_SYSVEC(local_timer, 'L', 'O', 'C') -> local_timer: LOC
  const std::regex decl(R"(\nIT_SYSVEC\((\w+), '(.)', '(.)', '(.)'\))");
  std::map<std::string, std::string> in_bpf;
  for (auto it = std::sregex_iterator(src.begin(), src.end(), decl); it != std::sregex_iterator(); ++it)
    in_bpf[(*it)[1]] = std::string((*it)[2]) + std::string((*it)[3]) + std::string((*it)[4]);
  ASSERT_EQ(in_bpf.size(), system_vectors().size());
  for (const auto& v : system_vectors()) {
    const auto it = in_bpf.find(std::string(v.tracepoint));
    ASSERT_NE(it, in_bpf.end()) << v.tracepoint;
    EXPECT_EQ(it->second, v.name) << v.tracepoint;
  }
}

}  // namespace
}  // namespace infertrace
