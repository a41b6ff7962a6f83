/* Fake CUDA driver: each call does a little work the compiler cannot remove. */
#include "fake_cuda.h"

static volatile unsigned long long sink;

__attribute__((noinline)) int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                             unsigned bz, unsigned shmem, CUstream s, void** params, void** extra) {
  sink += (unsigned long long)f + gx * gy * gz * bx * by * bz + shmem + (unsigned long long)s + (params != 0) + (extra != 0);
  return 0;
}
/* Like the real driver, a null config is an error (CUDA_ERROR_INVALID_VALUE, 1), not a crash. */
__attribute__((noinline)) int cuLaunchKernelEx(const CUlaunchConfig* c, void* f, void** params, void** extra) {
  if (!c) return 1;
  sink += c->gridDimX + (unsigned long long)c->hStream + (unsigned long long)f + (params != 0) + (extra != 0);
  return 0;
}
__attribute__((noinline)) int cuGraphLaunch(void* exec, CUstream s) {
  sink += (unsigned long long)exec + (unsigned long long)s;
  return 0;
}
__attribute__((noinline)) int cuMemcpyAsync(unsigned long long dst, unsigned long long src, size_t n, CUstream s) {
  sink += dst + src + n + (unsigned long long)s;
  return 0;
}
__attribute__((noinline)) int cuStreamSynchronize(CUstream s) {
  sink += (unsigned long long)s;
  return 0;
}
__attribute__((noinline)) int cuCtxSynchronize(void) {
  sink += 1;
  return 0;
}
