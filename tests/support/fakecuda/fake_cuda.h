/* The subset of the CUDA driver and runtime API the fake libraries export (same names, same
 * argument layout as the real headers, so the recorder reads streams and geometry the same way). */
#ifndef FAKE_CUDA_H
#define FAKE_CUDA_H
#include <stddef.h>

typedef struct { unsigned x, y, z; } dim3;
typedef void* CUstream;
typedef void* cudaStream_t;
typedef struct {
  unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
  CUstream hStream;
  void* attrs;
  unsigned numAttrs;
} CUlaunchConfig;

int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shmem, CUstream s, void** params, void** extra);
int cuLaunchKernelEx(const CUlaunchConfig* config, void* f, void** params, void** extra);
int cuGraphLaunch(void* exec, CUstream s);
int cuMemcpyAsync(unsigned long long dst, unsigned long long src, size_t n, CUstream s);
int cuStreamSynchronize(CUstream s);
int cuCtxSynchronize(void);

int cudaLaunchKernel(const void* func, dim3 grid, dim3 block, void** args, size_t shmem, cudaStream_t s);
int cudaGraphLaunch(void* exec, cudaStream_t s);
int cudaMemcpyAsync(void* dst, const void* src, size_t n, int kind, cudaStream_t s);
int cudaStreamSynchronize(cudaStream_t s);
int cudaDeviceSynchronize(void);

/* For a workload that must know when each cudaLaunchKernel's body began (stamped_launches.c): with
 * fakecuda_launch_spin_ns > 0, the body stores its CLOCK_MONOTONIC start (after the recorder's
 * entry probe fired) in fakecuda_launch_body_ns, then spins that long before it calls the driver
 * and returns (tid_reuse.c kills the process during a long spin: a runtime launch that never
 * reached cuLaunchKernel). Unused (0) by default. */
extern long long fakecuda_launch_body_ns;
extern long long fakecuda_launch_spin_ns;
/* For a workload that must hold a sync call open (stamped_launches.c): while fakecuda_sync_hold is
 * set, cudaDeviceSynchronize's body stores its start in fakecuda_sync_body_ns (after the entry
 * probe fired), sleeps until the hold is cleared, and stores when it stopped waiting in
 * fakecuda_sync_end_ns (tid_reuse.c never clears it and kills the process inside the call). Unset
 * (0) by default: the call returns at once. */
extern _Atomic int fakecuda_sync_hold;
extern _Atomic long long fakecuda_sync_body_ns;
extern _Atomic long long fakecuda_sync_end_ns;
#endif
