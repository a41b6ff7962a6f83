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

/* The launch APIs of apis.c: each adds its stream and a size to the sink. */
#define SINK(s, n) (sink += (unsigned long long)(s) + (unsigned long long)(n))
__attribute__((noinline)) int cuLaunchCooperativeKernel_ptsz(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                                                             unsigned by, unsigned bz, unsigned shmem, CUstream s,
                                                             void** params) {
  SINK(s, (unsigned long long)f + gx * gy * gz * bx * by * bz + shmem + (params != 0));
  return 0;
}
__attribute__((noinline)) int cuMemcpyAsync_ptsz(unsigned long long dst, unsigned long long src, size_t n, CUstream s) {
  SINK(s, dst + src + n);
  return 0;
}
__attribute__((noinline)) int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n, CUstream s) {
  SINK(s, dst + (unsigned long long)src + n);
  return 0;
}
__attribute__((noinline)) int cuMemcpyHtoDAsync_v2_ptsz(unsigned long long dst, const void* src, size_t n, CUstream s) {
  SINK(s, dst + (unsigned long long)src + n + 1);
  return 0;
}
__attribute__((noinline)) int cuMemcpyHtoAAsync_v2(CUarray dst, size_t off, const void* src, size_t n, CUstream s) {
  SINK(s, (unsigned long long)dst + off + (unsigned long long)src + n);
  return 0;
}
__attribute__((noinline)) int cuMemcpyAtoHAsync_v2(void* dst, CUarray src, size_t off, size_t n, CUstream s) {
  SINK(s, (unsigned long long)dst + (unsigned long long)src + off + n + 1);
  return 0;
}
__attribute__((noinline)) int cuMemcpy2DAsync_v2(const void* copy, CUstream s) {
  SINK(s, (unsigned long long)copy);
  return 0;
}
__attribute__((noinline)) int cuMemcpy3DAsync_v2(const void* copy, CUstream s) {
  SINK(s, (unsigned long long)copy + 1);
  return 0;
}
__attribute__((noinline)) int cuMemcpy3DPeerAsync(const void* copy, CUstream s) {
  SINK(s, (unsigned long long)copy + 2);
  return 0;
}
__attribute__((noinline)) int cuMemcpyPeerAsync(unsigned long long dst, CUcontext dctx, unsigned long long src,
                                                CUcontext sctx, size_t n, CUstream s) {
  SINK(s, dst + (unsigned long long)dctx + src + (unsigned long long)sctx + n);
  return 0;
}
__attribute__((noinline)) int cuMemcpyBatchAsync(unsigned long long* dsts, unsigned long long* srcs, size_t* sizes,
                                                 size_t count, void* attrs, size_t* attrs_idxs, size_t num_attrs,
                                                 size_t* fail_idx, CUstream s) {
  SINK(s, (dsts != 0) + (srcs != 0) + (sizes != 0) + count + (attrs != 0) + (attrs_idxs != 0) + num_attrs + (fail_idx != 0));
  return 0;
}
__attribute__((noinline)) int cuMemcpyBatchAsync_v2(unsigned long long* dsts, unsigned long long* srcs, size_t* sizes,
                                                    size_t count, void* attrs, size_t* attrs_idxs, size_t num_attrs,
                                                    CUstream s) {
  SINK(s, (dsts != 0) + (srcs != 0) + (sizes != 0) + count + (attrs != 0) + (attrs_idxs != 0) + num_attrs);
  return 0;
}
__attribute__((noinline)) int cuMemsetD2D8Async(unsigned long long dst, size_t pitch, unsigned char v, size_t w, size_t h,
                                                CUstream s) {
  SINK(s, dst + pitch + v + w * h);
  return 0;
}
__attribute__((noinline)) int cuMemsetD2D32Async(unsigned long long dst, size_t pitch, unsigned v, size_t w, size_t h,
                                                 CUstream s) {
  SINK(s, dst + pitch + v + w * h + 1);
  return 0;
}
