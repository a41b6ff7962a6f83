// Writes a .itrace recording shaped like `record --cuda cupti -- engine run --mode eager`, without a
// GPU: a prefill (kernels of other names, then a copy and a sync) followed by STEPS decode steps,
// each the same scripted list of kernels, then the logits copy and a stream sync, then host time
// (sampling) before the next step. Records go through the real ring and the recorder's merge, as
// in cupti_synth_recording; stdout gets the decode window (500 ns before the first decode launch
// to the host's end after the last step). Every launch costs the same, so the closed-loop prediction
// (`fusion --decode-window --measured`) is known in closed form: tests/e2e/test_fusion_loop.py
// mirrors the constants below and computes it on its own.
// KERNEL_NS (default 1500) sets every kernel's run time: beyond the launch period the GPU falls
// behind, kernels queue (each starts when the previous one ends) and the trace turns GPU-bound, as
// a larger batch does (tests/e2e/test_sweep_engine_runs.py).
// With --app it is instead the traced program of `record --cuda cupti -- cupti_synth_decode --app
// STEPS` (the ring from INFERTRACE_CUPTI_RING, times from now on, then it sleeps through them, as
// cupti_synth_app does) and prints an `engine run --json`-like document whose decode_window_ns
// brackets the decode steps: the GPU check's record + window pipeline, end to end without a GPU.
// Usage: cupti_synth_decode OUT.itrace STEPS [KERNEL_NS]
//        cupti_synth_decode --app STEPS
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cupti_synth_drain.h"
#include "cupti_synth_producer.h"
#include "record/cupti_merge.h"
#include "record/itrace_writer.h"

namespace {

using namespace infertrace;

// Per launch: the call lasts kCall, its kernel starts kStart after the call's entry (or when the
// GPU is free, if later) and runs `run_ns`; launches follow each other every kEvery. With the
// default run time the GPU never falls behind: l = kStart, q = kStart - kCall and the launch part
// l - q = kCall exceeds the queue part: CPU-bound, as eager decode is.
constexpr uint64_t kBase = 1'000'000'000, kEvery = 8'000, kCall = 4'000, kStart = 6'000, kDefaultRun = 1'500;
constexpr uint64_t kCopyRun = 2'000, kSyncTail = 500, kHostGap = 20'000;
constexpr int kPrefillKernels = 4;
// One decode step: embedding, two layers, final norm and output product.
const std::vector<std::string> kStep = {"embed", "norm", "matvec", "rope", "matvec", "attn", "matvec", "add",
                                        "norm",  "matvec", "rope", "matvec", "attn", "matvec", "add", "norm", "matvec"};

struct Producer {
  Producer(cupti::Ring& r, uint64_t run) : ring(r), run_ns(run) {}
  cupti::Ring& ring;
  uint64_t run_ns;
  uint64_t gpu_free = 0;      // when the stream's previous work ends
  uint64_t decode_start = 0;  // the first decode launch
  uint32_t pid = 4242, tid = 4243, next_corr = 100;
  int lost = 0;
  std::vector<std::string> kernel_names;  // name id - 1

  void ok(bool b) { lost += b ? 0 : 1; }
  uint32_t kernel_name(const std::string& n) {
    for (size_t i = 0; i < kernel_names.size(); ++i)
      if (kernel_names[i] == n) return static_cast<uint32_t>(i + 1);
    kernel_names.push_back(n);
    const uint32_t id = static_cast<uint32_t>(kernel_names.size());
    ok(synth::push_name(ring, pid, cupti::kNameKernel, id, n));
    return id;
  }
  // GPU work queued at `ready`: it starts then or when the stream's previous work ends.
  cupti::RingGpu gpu(uint64_t ready, uint64_t dur, uint32_t kind, uint32_t corr) {
    const uint64_t start = ready > gpu_free ? ready : gpu_free;
    gpu_free = start + dur;
    cupti::RingGpu g{};
    g.start = start, g.end = start + dur, g.pid = pid, g.kind = kind, g.device = 0, g.stream = 7;
    g.correlation = corr, g.flags = cupti::kGpuMonotonic;
    return g;
  }
  // One kernel launch at t; every 4th carries a folded driver call's id, as in the real library.
  void launch(uint64_t t, const std::string& name) {
    const uint32_t corr = next_corr++;
    const uint32_t api = cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeLaunch);
    ok(synth::push(ring, cupti::kRecApi, cupti::RingApi{t, t + kCall, pid, tid, corr, api, synth::kApiCpu, cupti::kApiHasStream, 0x7000}));
    uint32_t gpu_corr = corr;
    if (corr % 4 == 3) {
      gpu_corr = 100000 + corr;
      ok(synth::push(ring, cupti::kRecAlias, cupti::RingAlias{pid, gpu_corr, corr, 0}));
    }
    cupti::RingGpu g = gpu(t + kStart, run_ns, cupti::kGpuKernel, gpu_corr);
    g.name = kernel_name(name);
    g.grid[0] = 64, g.grid[1] = g.grid[2] = 1, g.block[0] = 256, g.block[1] = g.block[2] = 1;
    ok(synth::push(ring, cupti::kRecGpu, g));
  }
  // The logits copy at t and the stream sync after it; returns when the host is free again.
  uint64_t copy_and_sync(uint64_t t) {
    const uint32_t corr = next_corr++;
    const uint32_t api = cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeMemcpy);
    ok(synth::push(ring, cupti::kRecApi, cupti::RingApi{t, t + kCall, pid, tid, corr, api, synth::kApiCpu, cupti::kApiHasStream, 0x7000}));
    cupti::RingGpu m = gpu(t + kStart, kCopyRun, cupti::kGpuMemcpy, corr);
    m.bytes = 1 << 20, m.copy_kind = 2;
    ok(synth::push(ring, cupti::kRecGpu, m));
    const uint64_t sync_end = m.end + kSyncTail;
    ok(synth::push(ring, cupti::kRecApi,
                   cupti::RingApi{t + kCall, sync_end, pid, tid, next_corr++,
                                  cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeSync), synth::kApiCpu, 0, 0}));
    return sync_end;
  }
  // Returns when the host is done after the last step.
  uint64_t run(int steps, uint64_t base) {
    ok(synth::push(ring, cupti::kRecInfo, cupti::RingInfo{pid, 1u, 130001, 0, 0, 0}));
    // As the library does once its callbacks are enabled (without it the merge marks the process's
    // callbacks unknown): all accepted.
    ok(synth::push_callbacks(ring, pid, synth::enabled_callbacks(true, true), {}));
    ok(synth::push_name(ring, pid, cupti::kNameApi, cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeLaunch),
                        "cudaLaunchKernel_v7000"));
    ok(synth::push_name(ring, pid, cupti::kNameApi, cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeMemcpy),
                        "cudaMemcpyAsync_v3020"));
    ok(synth::push_name(ring, pid, cupti::kNameApi, cupti::api_id(cupti::kDomainRuntime, synth::kRuntimeSync),
                        "cudaStreamSynchronize_v3020"));
    uint64_t t = base;
    for (int i = 0; i < kPrefillKernels; ++i, t += kEvery) launch(t, "gemm_prefill");
    t = copy_and_sync(t) + kHostGap;
    decode_start = t;
    for (int s = 0; s < steps; ++s) {
      for (const std::string& name : kStep) launch(t, name), t += kEvery;
      t = copy_and_sync(t) + kHostGap;
    }
    return t;
  }
};

uint64_t monotonic_now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// --app: the traced program. Exit status 3 when the ring is missing or records were lost.
int run_app(int steps) {
  const char* path = std::getenv("INFERTRACE_CUPTI_RING");
  std::string why;
  cupti::Ring ring = path ? cupti::Ring::attach(path, &why) : cupti::Ring();
  if (!ring.valid()) {
    std::fprintf(stderr, "cupti_synth_decode --app: no ring (%s)\n", path ? why.c_str() : "INFERTRACE_CUPTI_RING unset");
    return 3;
  }
  Producer p(ring, kDefaultRun);
  p.pid = static_cast<uint32_t>(getpid());
  p.tid = static_cast<uint32_t>(syscall(SYS_gettid));
  const uint64_t done = p.run(steps, monotonic_now() + 1'000'000);
  while (monotonic_now() < done + 2'000'000) usleep(1000);
  const uint64_t from = p.decode_start - 500;
  std::printf("{\"schema_version\": 1, \"backend\": \"cuda\", \"mode\": \"eager\", \"n_seq\": 1, \"n_decode_evals\": %d, "
              "\"tg_tokens_per_second\": %.3f, \"launches_per_decode_step\": %zu, \"kernels_per_decode_step\": %zu, "
              "\"decode_window_ns\": {\"start\": %llu, \"end\": %llu}}\n",
              steps, steps / ((done - from) * 1e-9), kStep.size(), kStep.size(), static_cast<unsigned long long>(from),
              static_cast<unsigned long long>(done));
  return p.lost == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--app") return run_app(std::atoi(argv[2]));
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUT.itrace STEPS [KERNEL_NS] | --app STEPS\n", argv[0]);
    return 2;
  }
  const int steps = std::atoi(argv[2]);
  const uint64_t run_ns = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : kDefaultRun;
  cupti::Ring ring = cupti::Ring::create_anonymous(1 << 20);
  ItraceWriter out(argv[1]);
  out.meta("start_ns", std::to_string(kBase));
  CuptiMerge merge(out, 0);
  const pid_t child = ::fork();
  if (child == 0) {
    Producer p(ring, run_ns);
    const uint64_t done = p.run(steps, kBase);
    // The decode window an engine run would print for this timeline (stand-ins of the GPU check
    // dry runs copy it into their run documents).
    std::printf("{\"decode_window_ns\": {\"start\": %llu, \"end\": %llu}, \"n_decode_evals\": %d}\n",
                static_cast<unsigned long long>(p.decode_start - 500), static_cast<unsigned long long>(done), steps);
    std::fflush(stdout);
    _exit(p.lost == 0 ? 0 : 3);
  }
  if (synth::drain_until_exit(ring, merge, out, child) != 0) return 1;
  return 0;
}
