// The API half of the injection library: CUPTI runtime and driver callbacks for launches, graph
// launches, copies, sets and synchronizations. Entry and exit are read from CLOCK_MONOTONIC (the
// recorder's clock, so these times need no conversion); the entry time travels to the exit callback
// in CUPTI's per-call correlationData slot. A driver call made inside a runtime call on the same
// thread is the same logical launch: it is not recorded (counted as folded), and if its correlation
// id differs from the runtime call's, an alias record ties the GPU work back to the runtime call.
#include <cupti.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cupti_inject/inject_state.h"
#include "record/cupti_callbacks_record.h"
#include "trace/api_kind.h"

namespace infertrace::inject {

namespace {

CUpti_SubscriberHandle g_sub;

// Names already sent to the recorder, per domain and callback id (the name precedes the first call
// using it in ring order: it is pushed before the flag is set).
std::atomic<uint8_t> g_named_runtime[CUPTI_RUNTIME_TRACE_CBID_SIZE];
std::atomic<uint8_t> g_named_driver[CUPTI_DRIVER_TRACE_CBID_SIZE];

thread_local uint32_t t_tid = 0;
thread_local int t_runtime_depth = 0;
thread_local uint32_t t_runtime_corr = 0;

uint32_t tid() {
  if (!t_tid) t_tid = static_cast<uint32_t>(::syscall(SYS_gettid));
  return t_tid;
}

// The calls worth a callback: everything the analyses classify (launch, graph launch, async copy
// and set, synchronize) plus the synchronous copies and sets, whose GPU work would otherwise have
// no owner. Chosen by name so no callback id list has to track CUDA versions.
bool wanted(std::string_view name) {
  // Except CUDA 13's internal __cudaLaunchKernel: in the 13.0 runtime it only jumps to
  // cudaLaunchKernel, whose callback is taken; a runtime that fired both would record every
  // `<<<>>>` launch twice (two runtime calls, two correlation ids, one kernel). To confirm on a GPU:
  // docs/gpu.md, part 30's launch count.
  if (name.substr(0, 2) == "__") return false;
  if (classify_api(name) != ApiKind::Other) return true;
  for (std::string_view p : {"cudaMemcpy", "cudaMemset", "cuMemcpy", "cuMemsetD"})
    if (name.substr(0, p.size()) == p) return true;
  return false;
}

void send_name(uint32_t domain, CUpti_CallbackId cbid, const char* fn) {
  std::atomic<uint8_t>* flag = nullptr;
  if (domain == cupti::kDomainRuntime && cbid < CUPTI_RUNTIME_TRACE_CBID_SIZE) flag = &g_named_runtime[cbid];
  if (domain == cupti::kDomainDriver && cbid < CUPTI_DRIVER_TRACE_CBID_SIZE) flag = &g_named_driver[cbid];
  if (!flag || flag->load(std::memory_order_acquire)) return;
  const size_t n = fn ? std::strlen(fn) : 0;
  unsigned char buf[sizeof(cupti::RingName) + 128];
  const cupti::RingName rn{pid(), cupti::kNameApi, cupti::api_id(domain, cbid), static_cast<uint32_t>(n < 128 ? n : 128)};
  std::memcpy(buf, &rn, sizeof(rn));
  std::memcpy(buf + sizeof(rn), fn, rn.len);
  if (ring().push(cupti::kRecName, buf, static_cast<uint32_t>(sizeof(rn) + rn.len)))
    flag->store(1, std::memory_order_release);
}

// The stream argument of the common calls, from CUPTI's copy of the parameters.
bool stream_of(uint32_t domain, CUpti_CallbackId cbid, const void* params, uint64_t& out) {
  if (!params) return false;
  if (domain == cupti::kDomainRuntime) {
    switch (cbid) {
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaLaunchKernel_v7000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaMemcpyAsync_v3020_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_v3020:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaMemsetAsync_v3020_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaStreamSynchronize_v3020:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaStreamSynchronize_v3020_params*>(params)->stream);
        return true;
      // The per-thread-default-stream variants (--default-stream per-thread): their driver call,
      // which would carry the stream, is folded into them.
      case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaLaunchKernel_ptsz_v7000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaMemcpyAsync_ptsz_v7000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaMemsetAsync_ptsz_v7000_params*>(params)->stream);
        return true;
      case CUPTI_RUNTIME_TRACE_CBID_cudaStreamSynchronize_ptsz_v7000:
        out = reinterpret_cast<uint64_t>(static_cast<const cudaStreamSynchronize_ptsz_v7000_params*>(params)->stream);
        return true;
      default: return false;
    }
  }
  switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
      out = reinterpret_cast<uint64_t>(static_cast<const cuLaunchKernel_params*>(params)->hStream);
      return true;
    default: return false;
  }
}

// The process's RingCallbacks payload as sent, kept so that a child forked without exec (which
// inherits the subscription, but sends no record of its own) can send it under its own pid: without
// one, its API calls would make its callbacks "unknown" and null the whole recording's launch
// figures (review AR, M1). Sent at the child's first API callback, not at the fork, so a child that
// never calls CUDA (a DataLoader worker, a fork before an exec) is no traced process (review AS, M1).
unsigned char g_callbacks_payload[cupti::CallbacksRecordBuilder::kMaxPayload];
uint32_t g_callbacks_len = 0;
std::atomic<bool> g_callbacks_resend{false};

void resend_callbacks_in_forked_child() {
  if (g_callbacks_resend.load(std::memory_order_relaxed) && g_callbacks_resend.exchange(false))
    ring().push(cupti::kRecCallbacks, g_callbacks_payload, g_callbacks_len);
}

void CUPTIAPI on_callback(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
  resend_callbacks_in_forked_child();
  const auto* cb = static_cast<const CUpti_CallbackData*>(data);
  const uint32_t dom = domain == CUPTI_CB_DOMAIN_RUNTIME_API ? cupti::kDomainRuntime : cupti::kDomainDriver;
  const bool enter = cb->callbackSite == CUPTI_API_ENTER;
  if (dom == cupti::kDomainDriver && t_runtime_depth > 0) {
    // Folded into the runtime call that made it.
    if (enter) {
      exit_counts().folded_driver_calls.fetch_add(1, std::memory_order_relaxed);
    } else if (cb->correlationId != t_runtime_corr) {
      const cupti::RingAlias a{pid(), cb->correlationId, t_runtime_corr, 0};
      ring().push(cupti::kRecAlias, &a, sizeof(a));
    }
    return;
  }
  if (enter) {
    if (dom == cupti::kDomainRuntime && t_runtime_depth++ == 0) t_runtime_corr = cb->correlationId;
    *cb->correlationData = mono_ns();
    return;
  }
  const uint64_t end = mono_ns();
  if (dom == cupti::kDomainRuntime && t_runtime_depth > 0) --t_runtime_depth;
  send_name(dom, cbid, cb->functionName);
  cupti::RingApi r{};
  r.start = *cb->correlationData;
  r.end = end;
  r.pid = pid();
  r.tid = tid();
  r.correlation = cb->correlationId;
  r.api = cupti::api_id(dom, cbid);
  r.cpu = ::sched_getcpu();
  if (stream_of(dom, cbid, cb->functionParams, r.stream)) r.flags |= cupti::kApiHasStream;
  ring().push(cupti::kRecApi, &r, sizeof(r));
}

// Enables every wanted callback of the domain; counts those enabled and those CUPTI refuses (and
// which of each are launch-class) in `record`, and names the refused ones (on stderr): one refused
// id (a variant this CUPTI version rejects) costs the calls of that variant only, not the whole
// process's tracing.
void enable_domain(CUpti_CallbackDomain domain, int size, cupti::CallbacksRecordBuilder& record, std::string& refused) {
  for (int id = 0; id < size; ++id) {
    const char* name = nullptr;
    if (cuptiGetCallbackName(domain, static_cast<uint32_t>(id), &name) != CUPTI_SUCCESS || !name) continue;
    if (!wanted(name)) continue;
    if (cuptiEnableCallback(1, g_sub, domain, static_cast<CUpti_CallbackId>(id)) == CUPTI_SUCCESS) {
      record.enabled(name);
    } else {
      record.refused(name);
      refused += refused.empty() ? "" : ", ";
      refused += name;
    }
  }
}

}  // namespace

uint32_t subscribe(std::string& why) {
  // Named, so another client refused after us sees "CUPTI for infertrace" as the holder, and told who
  // holds the subscription when we are the one refused (CUPTI 13.0-13.2 allow one per process).
  char holder[CUPTI_OLD_SUBSCRIBER_NAME_MIN_LEN] = {};
  CUpti_SubscriberParams params{};
  params.structSize = CUpti_SubscriberParams_STRUCT_SIZE;
  params.subscriberName = "infertrace";
  params.oldSubscriberName = holder;
  params.oldSubscriberSize = sizeof(holder);
  const CUptiResult r = cuptiSubscribe_v2(&g_sub, on_callback, nullptr, &params);
  if (r == CUPTI_SUCCESS) return cupti::kInfoTraced;
  if (r == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) {
    holder[sizeof(holder) - 1] = '\0';
    why = std::string("CUPTI is already used in this process by ") + (holder[0] ? holder : "another client") +
          " (one subscriber per process before CUPTI 13.3; a profiler started before CUDA initialization, "
          "Nsight or a sanitizer holds it)";
    return cupti::kInfoSubscriberTaken;
  }
  const char* text = nullptr;
  cuptiGetResultString(r, &text);
  why = std::string("cuptiSubscribe_v2 failed: ") + (text ? text : "unknown error");
  return cupti::kInfoSetupFailed;
}

void callbacks_after_fork_child() {
  if (g_callbacks_len < sizeof(cupti::RingCallbacks)) return;  // none was sent (refused, or not started)
  const uint32_t child = pid();
  static_assert(offsetof(cupti::RingCallbacks, pid) == 0, "the pid leads the record");
  std::memcpy(g_callbacks_payload, &child, sizeof(child));
  g_callbacks_resend.store(true, std::memory_order_relaxed);
}

bool start_api_callbacks(const char** why) {
  cupti::CallbacksRecordBuilder record(pid());
  std::string refused;
  enable_domain(CUPTI_CB_DOMAIN_RUNTIME_API, CUPTI_RUNTIME_TRACE_CBID_SIZE, record, refused);
  enable_domain(CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_SIZE, record, refused);
  if (record.head().enabled == 0) {
    *why = "cuptiEnableCallback failed for every launch, copy and synchronize API";
    return false;
  }
  // The recorder names the refused callbacks in the recording and flags a process without a launch
  // callback (docs/record.md); the record always fits the ring, and a full ring drops it (counted).
  g_callbacks_len = record.write(g_callbacks_payload);
  ring().push(cupti::kRecCallbacks, g_callbacks_payload, g_callbacks_len);
  if (!refused.empty())
    std::fprintf(stderr, "infertrace-cupti: CUPTI refused the callbacks of %s: those calls are not recorded\n",
                 refused.c_str());
  if (record.head().kernel_launch_enabled == 0)
    std::fprintf(stderr, "infertrace-cupti: no kernel or graph launch callback enabled: launch counts of process %u "
                         "are not measured\n", pid());
  return true;
}

void unsubscribe() { cuptiUnsubscribe(g_sub); }

}  // namespace infertrace::inject
