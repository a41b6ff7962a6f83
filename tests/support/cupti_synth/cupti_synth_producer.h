// A synthetic CUPTI producer: writes into a cupti::Ring exactly the records the injection library
// (src/cupti_inject/) writes, for a scripted workload whose launch latency, queue time and TKLQT
// are known in closed form. Used by tests/cupti_merge_test.cpp and by cupti_synth_recording (the
// end-to-end test through `infertrace analyze`).
//
// Process `pid`, thread `tid`: `launches` runtime launches, one every kPeriod ns from `base`:
//   cudaLaunchKernel_v7000 at s_i = base + i * kPeriod, lasting kApiDur, correlation 100 + i;
//   its kernel "gemm_i % 2" runs from s_i + kLatency for kKernelDur (so l = kLatency,
//   q = kLatency - kApiDur). Every 4th launch goes through the driver with a different correlation
//   id (the injection library's alias record ties it back). Then one cudaMemcpyAsync + its copy,
//   one cudaStreamSynchronize. If `raw_clock`, GPU times are on a clock offset by kRawOffset from
//   CLOCK_MONOTONIC, with two paired samples at start and end (bracket kBracket).
// Without `launch_callbacks` (CUPTI refused the kernel launch callbacks) the launch calls are not
// recorded, as the library would not see them: their kernels still run (and are recorded); without
// `copy_callbacks` the same holds for the cudaMemcpyAsync and its copy.
// push_callbacks writes the RingCallbacks record the library sends after enabling its callbacks,
// through the library's builder, from the names enabled (enabled_callbacks()) and refused.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "record/cupti_callbacks_record.h"
#include "record/cupti_records.h"
#include "record/cupti_ring.h"

namespace infertrace::synth {

inline constexpr uint64_t kPeriod = 50'000, kApiDur = 4'000, kLatency = 10'000, kKernelDur = 30'000;
inline constexpr uint64_t kRawOffset = 7'000'000'000, kBracket = 400;
inline constexpr uint32_t kRuntimeLaunch = 211, kRuntimeMemcpy = 41, kRuntimeSync = 131;
// The CPU the calls report (the injection library's sched_getcpu()): one that the machines the
// tests run on have (the reader refuses CPU ids no kernel can have, review SC M1).
inline constexpr int32_t kApiCpu = 1;

inline bool push_name(cupti::Ring& r, uint32_t pid, uint32_t space, uint32_t id, const std::string& text) {
  std::vector<unsigned char> b(sizeof(cupti::RingName) + text.size());
  cupti::RingName n{pid, space, id, static_cast<uint32_t>(text.size())};
  std::memcpy(b.data(), &n, sizeof(n));
  std::memcpy(b.data() + sizeof(n), text.data(), text.size());
  return r.push(cupti::kRecName, b.data(), static_cast<uint32_t>(b.size()));
}

template <class T>
bool push(cupti::Ring& r, uint32_t type, const T& v) {
  return r.push(type, &v, sizeof(v));
}

// Returns the number of records that could not be pushed (0 unless the ring is too small).
inline int produce(cupti::Ring& r, uint32_t pid, uint32_t tid, uint64_t base, int launches, bool raw_clock,
                   bool launch_callbacks = true, bool copy_callbacks = true) {
  using namespace cupti;
  int lost = 0;
  auto ok = [&](bool b) { lost += b ? 0 : 1; };
  const uint64_t gpu_shift = raw_clock ? kRawOffset : 0;
  RingInfo info{pid, raw_clock ? 0u : 1u, 130001, 0, 0, 0};
  ok(push(r, kRecInfo, info));
  if (raw_clock) ok(push(r, kRecClock, RingClock{pid, 0, base - 1000, base - 1000 + kBracket / 2 + kRawOffset, base - 1000 + kBracket}));
  const uint32_t launch_id = api_id(kDomainRuntime, kRuntimeLaunch);
  const uint32_t memcpy_id = api_id(kDomainRuntime, kRuntimeMemcpy);
  const uint32_t sync_id = api_id(kDomainRuntime, kRuntimeSync);
  if (launch_callbacks) ok(push_name(r, pid, kNameApi, launch_id, "cudaLaunchKernel_v7000"));
  ok(push_name(r, pid, kNameKernel, 1, "gemm_0"));
  ok(push_name(r, pid, kNameKernel, 2, "gemm_1"));
  uint64_t t = base;
  for (int i = 0; i < launches; ++i, t += kPeriod) {
    const uint32_t corr = 100 + static_cast<uint32_t>(i);
    if (launch_callbacks) ok(push(r, kRecApi, RingApi{t, t + kApiDur, pid, tid, corr, launch_id, kApiCpu, kApiHasStream, 0x7000}));
    uint32_t gpu_corr = corr;
    if (i % 4 == 3) {  // the kernel carries the nested driver call's id
      gpu_corr = 100000 + static_cast<uint32_t>(i);
      ok(push(r, kRecAlias, RingAlias{pid, gpu_corr, corr, 0}));
    }
    RingGpu g{};
    g.start = t + kLatency + gpu_shift;
    g.end = g.start + kKernelDur;
    g.pid = pid;
    g.kind = kGpuKernel;
    g.device = 0;
    g.stream = 7;
    g.correlation = gpu_corr;
    g.name = 1 + static_cast<uint32_t>(i % 2);
    g.grid[0] = 128, g.grid[1] = g.grid[2] = 1;
    g.block[0] = 256, g.block[1] = g.block[2] = 1;
    g.flags = raw_clock ? 0 : kGpuMonotonic;
    ok(push(r, kRecGpu, g));
  }
  const uint32_t mc = 100 + static_cast<uint32_t>(launches);
  if (copy_callbacks) {
    ok(push_name(r, pid, kNameApi, memcpy_id, "cudaMemcpyAsync_v3020"));
    ok(push(r, kRecApi, RingApi{t, t + kApiDur, pid, tid, mc, memcpy_id, kApiCpu, kApiHasStream, 0x7000}));
  }
  RingGpu m{};
  m.start = t + kLatency + gpu_shift;
  m.end = m.start + 2000;
  m.pid = pid;
  m.kind = kGpuMemcpy;
  m.stream = 7;
  m.correlation = mc;
  m.bytes = 1 << 20;
  m.copy_kind = 1;
  m.flags = raw_clock ? 0 : kGpuMonotonic;
  ok(push(r, kRecGpu, m));
  ok(push_name(r, pid, kNameApi, sync_id, "cudaStreamSynchronize_v3020"));
  ok(push(r, kRecApi, RingApi{t + kApiDur, t + kLatency + 2000 + 500, pid, tid, mc + 1, sync_id, kApiCpu, 0, 0}));
  if (raw_clock) {
    const uint64_t e = t + 1'000'000;
    ok(push(r, kRecClock, RingClock{pid, 0, e, e + kBracket / 2 + kRawOffset, e + kBracket}));
  }
  info.folded_driver_calls = static_cast<uint64_t>(launches / 4);
  ok(push(r, kRecInfo, info));
  return lost;
}

// The callbacks the library enabled for the workload produce() records: the sync always, the
// kernel launch and the async copy when their calls are recorded.
inline std::vector<std::string> enabled_callbacks(bool launch_callbacks, bool copy_callbacks) {
  std::vector<std::string> names;
  if (launch_callbacks) names.push_back("cudaLaunchKernel_v7000");
  if (copy_callbacks) names.push_back("cudaMemcpyAsync_v3020");
  names.push_back("cudaStreamSynchronize_v3020");
  return names;
}

// The library's record of its callbacks: every name of `enabled` accepted, then every name of
// `refused` refused, in order, through the library's own builder (it counts which are launch-class
// and cuts a long list).
inline bool push_callbacks(cupti::Ring& r, uint32_t pid, const std::vector<std::string>& enabled,
                           const std::vector<std::string>& refused) {
  cupti::CallbacksRecordBuilder b(pid);
  for (const std::string& n : enabled) b.enabled(n.c_str());
  for (const std::string& n : refused) b.refused(n.c_str());
  unsigned char payload[cupti::CallbacksRecordBuilder::kMaxPayload];
  return r.push(cupti::kRecCallbacks, payload, b.write(payload));
}

}  // namespace infertrace::synth
