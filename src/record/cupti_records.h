// The records the injection library (src/cupti_inject/) writes into the CUPTI ring and the
// recorder's merge (record/cupti_merge.cpp) reads. Plain structs, naturally aligned, little-endian;
// both sides are built from this one header in the same build, so the ring version (cupti_ring.h)
// changes when a layout here does.
#pragma once

#include <cstdint>

namespace infertrace::cupti {

enum RecordType : uint32_t {
  kRecApi = 1,    // RingApi: one runtime/driver API call (entry and exit times)
  kRecGpu = 2,    // RingGpu: one kernel, memcpy or memset as the GPU ran it
  kRecName = 3,   // RingName + text: the name of an API id or a kernel name id, per process
  kRecAlias = 4,  // RingAlias: a folded driver call's correlation id belongs to the runtime call around it
  kRecClock = 5,  // RingClock: one paired sample of the CUPTI clock and CLOCK_MONOTONIC
  kRecInfo = 6,   // RingInfo: what the injection library set up in one process
  kRecCallbacks = 7,  // RingCallbacks + names: which API callbacks CUPTI enabled or refused (ring version 3)
};

enum ApiDomain : uint32_t { kDomainRuntime = 1, kDomainDriver = 2 };

// API ids are (domain << 24) | CUPTI callback id; a name record gives each id its function name.
inline uint32_t api_id(uint32_t domain, uint32_t cbid) { return (domain << 24) | (cbid & 0xffffff); }

struct RingApi {
  uint64_t start;  // CLOCK_MONOTONIC ns at the API entry callback
  uint64_t end;    // at the exit callback
  uint32_t pid, tid;
  uint32_t correlation;  // CUPTI's correlation id (matches RingGpu.correlation of the work it launched)
  uint32_t api;          // api_id()
  int32_t cpu;           // sched_getcpu() at entry
  uint32_t flags;        // kApiHasStream
  uint64_t stream;       // the stream handle argument, when known
};
inline constexpr uint32_t kApiHasStream = 1;

enum GpuKindCode : uint32_t { kGpuKernel = 0, kGpuMemcpy = 1, kGpuMemset = 2 };

struct RingGpu {
  uint64_t start, end;  // on the clock named by flags (kGpuMonotonic or the raw CUPTI clock)
  uint32_t pid;
  uint32_t kind;  // GpuKindCode
  uint32_t device;
  uint32_t stream;  // CUPTI stream id
  uint32_t correlation;
  uint32_t name;  // kernel name id (kRecName with kNameKernel), 0 for copies and sets
  int32_t grid[3], block[3];
  uint64_t bytes;     // memcpy/memset size
  uint32_t flags;     // kGpuMonotonic
  uint32_t copy_kind; // CUpti_ActivityMemcpyKind for copies
};
inline constexpr uint32_t kGpuMonotonic = 1;  // start/end already CLOCK_MONOTONIC (timestamp callback)

enum NameSpace : uint32_t { kNameApi = 1, kNameKernel = 2 };

struct RingName {
  uint32_t pid;
  uint32_t space;  // NameSpace
  uint32_t id;
  uint32_t len;    // text bytes that follow this struct
};

struct RingAlias {
  uint32_t pid;
  uint32_t from;  // correlation id of the folded driver call
  uint32_t to;    // correlation id of the runtime call that made it
  uint32_t pad;
};

struct RingClock {
  uint32_t pid, pad;
  uint64_t mono_before;  // CLOCK_MONOTONIC ns read just before ...
  uint64_t cupti;        // ... cuptiGetTimestamp() ...
  uint64_t mono_after;   // ... and just after
};

// RingInfo.status: whether the library traces this process. A refused process sends one RingInfo
// with the reason and nothing else; the program itself runs on untouched.
enum InfoStatus : uint32_t {
  kInfoTraced = 0,
  kInfoSubscriberTaken = 1,  // another CUPTI client (a profiler, Nsight, a sanitizer) holds the subscription
  kInfoSetupFailed = 2,      // CUPTI refused an activity kind or a callback
  // Not a refusal: a traced process's records in buffers CUPTI handed over after its exit flush,
  // freed unread; `activity_dropped` carries their count (inject_counts.h late_records_info). Kept
  // apart from CUPTI's full-buffer drops: not an overflow, and mostly from the process's exit
  // (review DG L3).
  kInfoLateRecords = 3,
};

struct RingInfo {
  uint32_t pid;
  uint32_t timestamp_callback;  // 1: cuptiActivityRegisterTimestampCallback accepted CLOCK_MONOTONIC
  uint32_t cupti_version;
  uint32_t status;              // InfoStatus (was padding, always 0, before it had a meaning)
  uint64_t folded_driver_calls;  // at exit: driver calls made inside a runtime call, folded into it
  uint64_t activity_dropped;     // at exit: CUPTI's own dropped activity records
};

// Sent once by a traced process, right after its callbacks were enabled: how many CUPTI accepted,
// how many of those are launch-class (is_launch(): kernel and graph launches, async copies and
// sets; none: the process's launch counts are not measured), how many it refused (and of those,
// how many launch-class: an exact count that still holds when the name list is cut), and the names
// of those it refused. The names
// follow the struct, each ended by a NUL, in at most kRefusedNamesMaxBytes: a long list is cut
// after the last whole name that fits, and `listed` < `refused` says so (record/cupti_callbacks_record.h
// builds and reads it). The bound keeps the record within the smallest ring's largest record.
inline constexpr uint32_t kRefusedNamesMaxBytes = 960;

struct RingCallbacks {
  uint32_t pid;
  uint32_t enabled;         // callbacks CUPTI enabled
  uint32_t launch_enabled;  // of them, launch-class APIs (is_launch_callback())
  uint32_t refused;         // callbacks CUPTI refused, every one (listed or not)
  uint32_t listed;          // refused names that follow (the first ones, in callback id order)
  uint32_t len;             // bytes of names that follow, NULs included (<= kRefusedNamesMaxBytes)
  uint32_t launch_refused;  // of the refused, launch-class APIs (listed or not; ring version 3)
  // Of launch_enabled, kernel and graph launch APIs: without one, a process's launch figures are
  // not measured, even with async copies enabled (they alone would read as its launches).
  uint32_t kernel_launch_enabled;
};

static_assert(sizeof(RingApi) == 48 && sizeof(RingGpu) == 80 && sizeof(RingName) == 16 && sizeof(RingAlias) == 16 &&
                  sizeof(RingClock) == 32 && sizeof(RingInfo) == 32 && sizeof(RingCallbacks) == 32,
              "ring record layouts changed: bump kRingVersion");

}  // namespace infertrace::cupti
