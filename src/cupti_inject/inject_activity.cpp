// The GPU half of the injection library: CUPTI activity records of kernels (concurrent kind, so
// tracing does not serialize them), copies and sets, pushed into the ring from CUPTI's
// buffer-complete callback. Kernel names are demangled and interned once per process (a name record
// precedes the first kernel using it). Timestamps: with the CLOCK_MONOTONIC timestamp callback
// accepted (inject_main.cpp) the records are already on the recorder's clock; otherwise they carry
// CUPTI's clock and paired samples pushed here let the recorder convert them (docs/record.md).
#include <cupti.h>
#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cupti_inject/inject_state.h"

namespace infertrace::inject {

namespace {

constexpr size_t kBufferBytes = 8 << 20;  // per CUPTI buffer; CUPTI asks for more as they fill

std::mutex g_names_mu;
// mangled name -> id. Made once and never destroyed: a buffer CUPTI hands over while the process
// exits (from its own thread, or at context teardown) may still be read after static destructors
// ran; a static map would then be used after its destruction.
std::unordered_map<std::string, uint32_t>& g_names = *new std::unordered_map<std::string, uint32_t>;
uint32_t g_next_name = 1;
// Set by at_exit after its last flush: later buffers are freed unread.
std::atomic<bool> g_closed{false};

uint32_t kernel_name_id(const char* mangled) {
  if (!mangled) return 0;
  std::lock_guard<std::mutex> lock(g_names_mu);
  auto [it, fresh] = g_names.try_emplace(mangled, g_next_name);
  if (!fresh) return it->second;
  ++g_next_name;
  int status = 0;
  char* dem = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  const std::string text = status == 0 && dem ? dem : mangled;
  std::free(dem);
  std::string buf(sizeof(cupti::RingName) + text.size(), '\0');
  const cupti::RingName rn{pid(), cupti::kNameKernel, it->second, static_cast<uint32_t>(text.size())};
  std::memcpy(buf.data(), &rn, sizeof(rn));
  std::memcpy(buf.data() + sizeof(rn), text.data(), text.size());
  ring().push(cupti::kRecName, buf.data(), static_cast<uint32_t>(buf.size()));
  return it->second;
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;  // as many as fit
}

void push_gpu(cupti::RingGpu& g) {
  g.pid = pid();
  g.flags = timestamps_monotonic() ? cupti::kGpuMonotonic : 0;
  ring().push(cupti::kRecGpu, &g, sizeof(g));
}

void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t* buffer, size_t, size_t valid) {
  CUpti_Activity* rec = nullptr;
  if (g_closed.load(std::memory_order_acquire)) {
    // After the exit's last flush: not read into the ring, but counted (as dropped), not lost unsaid.
    uint64_t records = 0;
    while (cuptiActivityGetNextRecord(buffer, valid, &rec) == CUPTI_SUCCESS) ++records;
    std::free(buffer);
    if (records > 0) push_late_records(records);
    return;
  }
  while (cuptiActivityGetNextRecord(buffer, valid, &rec) == CUPTI_SUCCESS) {
    cupti::RingGpu g{};
    switch (rec->kind) {
      case CUPTI_ACTIVITY_KIND_KERNEL:
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(rec);
        g.start = k->start, g.end = k->end;
        g.kind = cupti::kGpuKernel;
        g.device = k->deviceId, g.stream = k->streamId, g.correlation = k->correlationId;
        g.name = kernel_name_id(k->name);
        g.grid[0] = k->gridX, g.grid[1] = k->gridY, g.grid[2] = k->gridZ;
        g.block[0] = k->blockX, g.block[1] = k->blockY, g.block[2] = k->blockZ;
        push_gpu(g);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(rec);
        g.start = m->start, g.end = m->end;
        g.kind = cupti::kGpuMemcpy;
        g.device = m->deviceId, g.stream = m->streamId, g.correlation = m->correlationId;
        g.bytes = m->bytes, g.copy_kind = m->copyKind;
        push_gpu(g);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(rec);
        g.start = m->start, g.end = m->end;
        g.kind = cupti::kGpuMemset;
        g.device = m->deviceId, g.stream = m->streamId, g.correlation = m->correlationId;
        g.bytes = m->bytes;
        push_gpu(g);
        break;
      }
      default: break;
    }
  }
  size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS && dropped)
    exit_counts().activity_dropped.fetch_add(dropped, std::memory_order_relaxed);
  std::free(buffer);
  if (!timestamps_monotonic()) push_clock_sample();  // more samples, a tighter fit over long runs
}

}  // namespace

void push_clock_sample() {
  cupti::RingClock c{};
  c.pid = pid();
  c.mono_before = mono_ns();
  if (cuptiGetTimestamp(&c.cupti) != CUPTI_SUCCESS) return;
  c.mono_after = mono_ns();
  ring().push(cupti::kRecClock, &c, sizeof(c));
}

bool start_activity(const char** why) {
  if (cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed) != CUPTI_SUCCESS) {
    *why = "cuptiActivityRegisterCallbacks failed";
    return false;
  }
  for (CUpti_ActivityKind k : {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET})
    if (cuptiActivityEnable(k) != CUPTI_SUCCESS) {
      *why = "cuptiActivityEnable failed";
      return false;
    }
  return true;
}

void stop_activity() {
  for (CUpti_ActivityKind k : {CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, CUPTI_ACTIVITY_KIND_MEMCPY, CUPTI_ACTIVITY_KIND_MEMSET})
    cuptiActivityDisable(k);
  cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
}

void flush_activity() { cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED); }

void close_activity() { g_closed.store(true, std::memory_order_release); }

void flush_completed_activity() { cuptiActivityFlushAll(0); }

void names_before_fork() { g_names_mu.lock(); }
void names_after_fork_parent() { g_names_mu.unlock(); }
void names_after_fork_child() {
  g_names.clear();
  g_next_name = 1;
  g_names_mu.unlock();
}

}  // namespace infertrace::inject
