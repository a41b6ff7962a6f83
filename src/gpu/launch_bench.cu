// The CUDA half of `bench launch` (see launch_bench.h). Built only when nvcc is found; linked
// with the static CUDA runtime, and the driver entry points (cuLaunchKernel, cuLaunchKernelEx) are
// looked up at run time through cudaGetDriverEntryPointByVersion, so the binary never needs libcuda.so to
// start: on a machine without a GPU driver this code reports that and nothing else changes.
#include <cuda.h>
#include <cuda_runtime.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "gpu/launch_bench.h"
#include "util/error.h"

namespace infertrace::gpu {

namespace {

__device__ __forceinline__ unsigned long long global_timer_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// The null kernel: its only work is storing when it started, so latency can be measured.
__global__ void null_kernel(unsigned long long* stamps, int slot) {
  if (threadIdx.x == 0) stamps[slot] = global_timer_ns();
}

// Smallest step of %globaltimer (its update period), over up to 1000 changes.
__global__ void timer_granularity_kernel(unsigned long long* out) {
  unsigned long long prev = global_timer_ns(), best = ~0ull;
  int changes = 0;
  for (long i = 0; i < 50000000L && changes < 1000; ++i) {
    const unsigned long long t = global_timer_ns();
    if (t != prev) {
      best = t - prev < best ? t - prev : best;
      prev = t;
      ++changes;
    }
  }
  *out = changes ? best : 0;
}

// Calibration partner: for each round r, wait for the host's flag == r, read the clock, echo r.
// Gives up after timeout_ns so a host-side failure cannot hang the GPU.
__global__ void clock_echo_kernel(volatile unsigned int* flag, volatile unsigned long long* gpu_time,
                                  volatile unsigned int* echo, int rounds, unsigned long long timeout_ns) {
  const unsigned long long start = global_timer_ns();
  for (int r = 1; r <= rounds; ++r) {
    while (*flag != static_cast<unsigned int>(r))
      if (global_timer_ns() - start > timeout_ns) return;
    *gpu_time = global_timer_ns();
    __threadfence_system();  // the time is visible before the echo that announces it
    *echo = static_cast<unsigned int>(r);
  }
}

int64_t host_now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error(std::string("bench launch: ") + what + ": " + cudaGetErrorString(e));
}

void check(CUresult r, const char* what) {
  if (r != CUDA_SUCCESS) throw Error(std::string("bench launch: ") + what + ": CUresult " + std::to_string(int(r)));
}

using CuLaunchKernelFn = CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                                      CUstream, void**, void**);
using CuLaunchKernelExFn = CUresult (*)(const CUlaunchConfig*, CUfunction, void**, void**);

template <class Fn>
Fn driver_entry(const char* symbol) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult status{};
  // Version 12000: the ABI of these symbols as of CUDA 12 (cuLaunchKernelEx exists since 11.8).
  check(cudaGetDriverEntryPointByVersion(symbol, &fn, 12000, cudaEnableDefault, &status), symbol);
  if (!fn || status != cudaDriverEntryPointSuccess) throw Error(std::string("bench launch: driver has no ") + symbol);
  return reinterpret_cast<Fn>(fn);
}

struct Device {
  cudaStream_t stream = nullptr;
  unsigned long long* stamps = nullptr;  // device, one slot per measured launch
  int slots = 0;
  ~Device() {
    if (stamps) cudaFree(stamps);
    if (stream) cudaStreamDestroy(stream);
  }
};

ClockPoint calibrate(cudaStream_t stream, int64_t granularity_ns) {
  constexpr int kRounds = 200;
  unsigned int* host_buf = nullptr;
  check(cudaHostAlloc(reinterpret_cast<void**>(&host_buf), 64, cudaHostAllocMapped), "cudaHostAlloc (calibration)");
  struct Free {
    void* p;
    ~Free() { cudaFreeHost(p); }
  } free_buf{host_buf};
  unsigned int* flag = host_buf;
  unsigned int* echo = host_buf + 1;
  auto* gpu_time = reinterpret_cast<unsigned long long*>(host_buf + 2);
  __atomic_store_n(flag, 0u, __ATOMIC_SEQ_CST);
  __atomic_store_n(echo, 0u, __ATOMIC_SEQ_CST);
  unsigned int* d_buf = nullptr;
  check(cudaHostGetDevicePointer(reinterpret_cast<void**>(&d_buf), host_buf, 0), "cudaHostGetDevicePointer");
  clock_echo_kernel<<<1, 1, 0, stream>>>(d_buf, reinterpret_cast<unsigned long long*>(d_buf + 2), d_buf + 1, kRounds,
                                         5000000000ull);
  check(cudaGetLastError(), "launch of the clock calibration kernel");
  std::vector<ClockSample> samples;
  samples.reserve(kRounds);
  for (int r = 1; r <= kRounds; ++r) {
    ClockSample s;
    s.host_send_ns = host_now_ns();
    __atomic_store_n(flag, static_cast<unsigned int>(r), __ATOMIC_SEQ_CST);
    while (__atomic_load_n(echo, __ATOMIC_ACQUIRE) != static_cast<unsigned int>(r))
      if (host_now_ns() - s.host_send_ns > 2000000000) throw Error("bench launch: GPU clock calibration timed out");
    s.host_recv_ns = host_now_ns();
    s.gpu_ns = static_cast<int64_t>(__atomic_load_n(gpu_time, __ATOMIC_ACQUIRE));
    samples.push_back(s);
  }
  check(cudaStreamSynchronize(stream), "clock calibration kernel");
  return estimate_clock_point(samples, granularity_ns);
}

// One API's result before the GPU clock is known: the kernels' GPU start stamps and the host
// entry times of the calls that launched them, paired by index.
struct RawApi {
  LaunchApiResult r;
  std::vector<int64_t> gpu_start, host_entry;
};

// Runs `launch(slot)` isolated (sync after each) and back to back.
template <class LaunchFn>
RawApi measure_api(const std::string& name, Device& dev, int launches, LaunchFn launch) {
  RawApi raw;
  LaunchApiResult& r = raw.r;
  r.api = name;
  for (int i = 0; i < 100; ++i) launch(i % dev.slots);  // warm-up: lazy module loading, caches
  check(cudaStreamSynchronize(dev.stream), (name + " warm-up").c_str());
  std::vector<int64_t>& entry = raw.host_entry;
  entry.resize(launches);
  r.host_ns.resize(launches);
  for (int i = 0; i < launches; ++i) {
    const int64_t t0 = host_now_ns();
    launch(i);
    const int64_t t1 = host_now_ns();
    entry[i] = t0;
    r.host_ns[i] = t1 - t0;
    check(cudaStreamSynchronize(dev.stream), (name + " (isolated)").c_str());
  }
  std::vector<unsigned long long> stamps(launches);
  check(cudaMemcpy(stamps.data(), dev.stamps, launches * sizeof(unsigned long long), cudaMemcpyDeviceToHost),
        "copy of the start stamps");
  raw.gpu_start.assign(stamps.begin(), stamps.end());
  const int64_t b0 = host_now_ns();
  for (int i = 0; i < launches; ++i) launch(i);
  const int64_t b1 = host_now_ns();
  check(cudaStreamSynchronize(dev.stream), (name + " (back to back)").c_str());
  r.back_to_back_ns = static_cast<double>(b1 - b0) / launches;
  return raw;
}

LaunchApiResult resolve_latencies(RawApi raw, const GpuToHostClock& clock) {
  raw.r.start_latency_ns.resize(raw.gpu_start.size());
  for (size_t i = 0; i < raw.gpu_start.size(); ++i)
    raw.r.start_latency_ns[i] = clock.to_host_ns(raw.gpu_start[i]) - raw.host_entry[i];
  return std::move(raw.r);
}

}  // namespace

bool launch_bench_built() { return true; }

LaunchBenchResult run_launch_bench(const LaunchBenchOptions& o) {
  if (o.launches < 1 || o.graph_kernels < 2) throw UsageError("bench launch: --launches >= 1 and --graph-kernels >= 2");
  int count = 0;
  const cudaError_t ce = cudaGetDeviceCount(&count);
  if (ce != cudaSuccess || count == 0) {
    // Without a driver the runtime says "driver version is insufficient": say what is missing.
    const bool driver = access("/proc/driver/nvidia/version", F_OK) == 0;
    throw Error(std::string("bench launch: no usable CUDA device (") +
                (ce != cudaSuccess ? cudaGetErrorString(ce) : "cudaGetDeviceCount found none") +
                (driver ? ")" : "; no NVIDIA kernel driver is loaded: /proc/driver/nvidia/version is missing)"));
  }
  if (o.device < 0 || o.device >= count)
    throw UsageError("bench launch: --device " + std::to_string(o.device) + " out of range (" + std::to_string(count) +
                     " devices)");
  check(cudaSetDevice(o.device), "cudaSetDevice");
  check(cudaFree(nullptr), "context creation");

  LaunchBenchResult res;
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, o.device), "cudaGetDeviceProperties");
  res.device_name = prop.name;
  cudaDriverGetVersion(&res.driver_version);
  cudaRuntimeGetVersion(&res.runtime_version);

  Device dev;
  check(cudaStreamCreateWithFlags(&dev.stream, cudaStreamNonBlocking), "cudaStreamCreate");
  dev.slots = std::max(o.launches, o.graph_kernels);
  check(cudaMalloc(reinterpret_cast<void**>(&dev.stamps), dev.slots * sizeof(unsigned long long)), "cudaMalloc");

  {
    unsigned long long* d_gran = dev.stamps;
    timer_granularity_kernel<<<1, 1, 0, dev.stream>>>(d_gran);
    check(cudaStreamSynchronize(dev.stream), "timer granularity kernel");
    unsigned long long g = 0;
    check(cudaMemcpy(&g, d_gran, sizeof(g), cudaMemcpyDeviceToHost), "copy of the timer granularity");
    res.timer_granularity_ns = static_cast<int64_t>(g);
  }
  const ClockPoint before = calibrate(dev.stream, res.timer_granularity_ns);

  cudaFunction_t fn = nullptr;
  check(cudaGetFuncBySymbol(&fn, reinterpret_cast<const void*>(&null_kernel)), "cudaGetFuncBySymbol");
  const auto cu_launch = driver_entry<CuLaunchKernelFn>("cuLaunchKernel");
  const auto cu_launch_ex = driver_entry<CuLaunchKernelExFn>("cuLaunchKernelEx");
  unsigned long long* stamps = dev.stamps;
  int slot = 0;
  void* args[] = {&stamps, &slot};
  const CUstream cu_stream = reinterpret_cast<CUstream>(dev.stream);
  const CUfunction cu_fn = reinterpret_cast<CUfunction>(fn);
  std::vector<RawApi> raws;

  raws.push_back(measure_api("cudaLaunchKernel", dev, o.launches, [&](int i) {
    slot = i;
    check(cudaLaunchKernel(reinterpret_cast<const void*>(&null_kernel), dim3(1), dim3(1), args, 0, dev.stream),
          "cudaLaunchKernel");
  }));
  raws.push_back(measure_api("cudaLaunchKernelExC", dev, o.launches, [&](int i) {
    slot = i;
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(1);
    cfg.blockDim = dim3(1);
    cfg.stream = dev.stream;
    check(cudaLaunchKernelExC(&cfg, reinterpret_cast<const void*>(&null_kernel), args), "cudaLaunchKernelExC");
  }));
  raws.push_back(measure_api("cuLaunchKernel", dev, o.launches, [&](int i) {
    slot = i;
    check(cu_launch(cu_fn, 1, 1, 1, 1, 1, 1, 0, cu_stream, args, nullptr), "cuLaunchKernel");
  }));
  raws.push_back(measure_api("cuLaunchKernelEx", dev, o.launches, [&](int i) {
    slot = i;
    CUlaunchConfig cfg{};
    cfg.gridDimX = cfg.gridDimY = cfg.gridDimZ = 1;
    cfg.blockDimX = cfg.blockDimY = cfg.blockDimZ = 1;
    cfg.hStream = cu_stream;
    check(cu_launch_ex(&cfg, cu_fn, args, nullptr), "cuLaunchKernelEx");
  }));

  // Graphs: captured once (kernel k stores into slot k), replayed; the latency is to the first
  // kernel's start, the spacing the median gap between consecutive kernels inside the graph.
  for (const int kernels : {1, o.graph_kernels}) {
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    check(cudaStreamBeginCapture(dev.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    for (int k = 0; k < kernels; ++k) null_kernel<<<1, 1, 0, dev.stream>>>(dev.stamps, k);
    check(cudaStreamEndCapture(dev.stream, &graph), "cudaStreamEndCapture");
    check(cudaGraphInstantiate(&exec, graph, 0), "cudaGraphInstantiate");
    RawApi raw;
    LaunchApiResult& r = raw.r;
    r.api = kernels == 1 ? "cudaGraphLaunch (1 kernel)" : "cudaGraphLaunch (" + std::to_string(kernels) + " kernels)";
    r.kernels_per_launch = kernels;
    for (int i = 0; i < 100; ++i) check(cudaGraphLaunch(exec, dev.stream), "cudaGraphLaunch (warm-up)");
    check(cudaStreamSynchronize(dev.stream), "graph warm-up");
    std::vector<unsigned long long> st(kernels);
    std::vector<double> gaps;
    for (int i = 0; i < o.launches; ++i) {
      const int64_t t0 = host_now_ns();
      check(cudaGraphLaunch(exec, dev.stream), "cudaGraphLaunch");
      const int64_t t1 = host_now_ns();
      check(cudaStreamSynchronize(dev.stream), "graph (isolated)");
      check(cudaMemcpy(st.data(), dev.stamps, kernels * sizeof(unsigned long long), cudaMemcpyDeviceToHost),
            "copy of the graph's start stamps");
      r.host_ns.push_back(t1 - t0);
      raw.gpu_start.push_back(static_cast<int64_t>(st[0]));
      raw.host_entry.push_back(t0);
      for (int k = 1; k < kernels; ++k) gaps.push_back(static_cast<double>(st[k] - st[k - 1]));
    }
    const int64_t b0 = host_now_ns();
    for (int i = 0; i < o.launches; ++i) check(cudaGraphLaunch(exec, dev.stream), "cudaGraphLaunch (back to back)");
    const int64_t b1 = host_now_ns();
    check(cudaStreamSynchronize(dev.stream), "graph (back to back)");
    r.back_to_back_ns = static_cast<double>(b1 - b0) / o.launches;
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
      r.kernel_spacing_ns = gaps[gaps.size() / 2];
    }
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(graph);
    raws.push_back(std::move(raw));
  }

  const ClockPoint after = calibrate(dev.stream, res.timer_granularity_ns);
  res.clock = GpuToHostClock(before, after);
  for (auto& raw : raws) res.apis.push_back(resolve_latencies(std::move(raw), res.clock));
  return res;
}

}  // namespace infertrace::gpu
