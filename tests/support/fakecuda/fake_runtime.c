#define _POSIX_C_SOURCE 200809L  /* nanosleep */
/* Fake CUDA runtime: like libcudart, every call goes through the driver call that does the work. */
#include "fake_cuda.h"

#include <errno.h>
#include <time.h>

long long fakecuda_launch_body_ns = 0;
long long fakecuda_launch_spin_ns = 0;
_Atomic int fakecuda_sync_hold = 0;
_Atomic long long fakecuda_sync_body_ns = 0;
_Atomic long long fakecuda_sync_end_ns = 0;

static long long fake_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((noinline)) int cudaLaunchKernel(const void* func, dim3 g, dim3 b, void** args, size_t shmem, cudaStream_t s) {
  if (fakecuda_launch_spin_ns > 0) {
    const long long body = fake_now_ns();
    fakecuda_launch_body_ns = body;
    while (fake_now_ns() - body < fakecuda_launch_spin_ns) {
    }
  }
  return cuLaunchKernel((void*)func, g.x, g.y, g.z, b.x, b.y, b.z, (unsigned)shmem, s, args, 0);
}
__attribute__((noinline)) int cudaGraphLaunch(void* exec, cudaStream_t s) { return cuGraphLaunch(exec, s); }
/* A zero-byte copy returns before reaching the driver: a runtime call that leaves its thread's fold
 * mark unconsumed (the recorder must not fold the next driver call of another family into it). */
__attribute__((noinline)) int cudaMemcpyAsync(void* dst, const void* src, size_t n, int kind, cudaStream_t s) {
  (void)kind;
  if (n == 0) return 0;
  return cuMemcpyAsync((unsigned long long)dst, (unsigned long long)src, n, s);
}
/* Like a real runtime's bookkeeping after the driver returns, the stream sync spends 2 ms after its
 * driver call: the recorded call must last at least that long (its return probe, not the nested
 * driver call's return, ends it). */
__attribute__((noinline)) int cudaStreamSynchronize(cudaStream_t s) {
  const int r = cuStreamSynchronize(s);
  /* A signal handled by this thread cuts nanosleep short (EINTR): sleep the rest, so the call
   * still lasts the full 2 ms the test relies on. */
  struct timespec after = {0, 2000000};
  while (nanosleep(&after, &after) != 0 && errno == EINTR) {
  }
  return r;
}
__attribute__((noinline)) int cudaDeviceSynchronize(void) {
  const int r = cuCtxSynchronize();
  if (fakecuda_sync_hold) {
    fakecuda_sync_body_ns = fake_now_ns();
    while (fakecuda_sync_hold) {
      struct timespec tick = {0, 100000};
      nanosleep(&tick, NULL);
    }
    fakecuda_sync_end_ns = fake_now_ns();
  }
  return r;
}
