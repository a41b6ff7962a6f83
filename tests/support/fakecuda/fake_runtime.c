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
/* A zero-byte copy returns before reaching the driver: a runtime call whose fold mark no driver call
 * is nested in (the recorder must not fold the thread's next direct driver call into it). */
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

/* The runtime launch APIs of apis.c: each reaches the driver call the real libcudart makes for it
 * (the copy descriptors the real one builds are left out: only the stream matters here). */
__attribute__((noinline)) int cudaLaunchCooperativeKernel_ptsz(const void* func, dim3 g, dim3 b, void** args,
                                                               size_t shmem, cudaStream_t s) {
  return cuLaunchCooperativeKernel_ptsz((void*)func, g.x, g.y, g.z, b.x, b.y, b.z, (unsigned)shmem, s, args);
}
__attribute__((noinline)) int cudaMemcpyAsync_ptsz(void* dst, const void* src, size_t n, int kind, cudaStream_t s) {
  (void)kind;
  return cuMemcpyAsync_ptsz((unsigned long long)dst, (unsigned long long)src, n, s);
}
__attribute__((noinline)) int cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t w,
                                                size_t h, int kind, cudaStream_t s) {
  const unsigned long long d[7] = {(unsigned long long)dst, dpitch, (unsigned long long)src, spitch, w, h,
                                   (unsigned long long)kind};
  return cuMemcpy2DAsync_v2(d, s);
}
__attribute__((noinline)) int cudaMemcpy2DToArrayAsync(cudaArray_t dst, size_t woff, size_t hoff, const void* src,
                                                       size_t spitch, size_t w, size_t h, int kind, cudaStream_t s) {
  const unsigned long long d[8] = {(unsigned long long)dst, woff, hoff, (unsigned long long)src, spitch, w, h,
                                   (unsigned long long)kind};
  return cuMemcpy2DAsync_v2(d, s);
}
__attribute__((noinline)) int cudaMemcpy3DAsync(const void* params, cudaStream_t s) { return cuMemcpy3DAsync_v2(params, s); }
__attribute__((noinline)) int cudaMemcpyToArrayAsync(cudaArray_t dst, size_t woff, size_t hoff, const void* src,
                                                     size_t n, int kind, cudaStream_t s) {
  (void)kind;
  return cuMemcpyHtoAAsync_v2(dst, woff + hoff, src, n, s);
}
__attribute__((noinline)) int cudaMemcpyToSymbolAsync(const void* symbol, const void* src, size_t n, size_t off,
                                                      int kind, cudaStream_t s) {
  (void)kind;
  return cuMemcpyHtoDAsync_v2((unsigned long long)symbol + off, src, n, s);
}
__attribute__((noinline)) int cudaMemcpyPeerAsync(void* dst, int ddev, const void* src, int sdev, size_t n,
                                                  cudaStream_t s) {
  return cuMemcpyPeerAsync((unsigned long long)dst, (CUcontext)(long)ddev, (unsigned long long)src,
                           (CUcontext)(long)sdev, n, s);
}
__attribute__((noinline)) int cudaMemcpyBatchAsync(void* const* dsts, const void* const* srcs, const size_t* sizes,
                                                   size_t count, void* attrs, size_t* attrs_idxs, size_t num_attrs,
                                                   cudaStream_t s) {
  return cuMemcpyBatchAsync_v2((unsigned long long*)dsts, (unsigned long long*)srcs, (size_t*)sizes, count, attrs,
                               attrs_idxs, num_attrs, s);
}
__attribute__((noinline)) int cudaMemset2DAsync(void* p, size_t pitch, int v, size_t w, size_t h, cudaStream_t s) {
  return cuMemsetD2D8Async((unsigned long long)p, pitch, (unsigned char)v, w, h, s);
}
__attribute__((noinline)) int cudaMemset3DAsync(struct cudaPitchedPtr p, int v, struct cudaExtent e, cudaStream_t s) {
  return cuMemsetD2D8Async((unsigned long long)p.ptr, p.pitch, (unsigned char)v, e.width, e.height * e.depth, s);
}
