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

/* More launch APIs, each with its real argument list (the recorder reads the stream from the
 * position the real prototype puts it in: a register, a stack slot, or after by-value structs that
 * go on the stack). Pointer-to-struct arguments are left opaque. See apis.c. */
struct cudaPitchedPtr { void* ptr; size_t pitch, xsize, ysize; }; /* 32 bytes: passed in memory */
struct cudaExtent { size_t width, height, depth; };                /* 24 bytes: passed in memory */
typedef void* cudaArray_t;
typedef void* CUarray;
typedef void* CUcontext;
int cuLaunchCooperativeKernel_ptsz(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                   unsigned bz, unsigned shmem, CUstream s, void** params);
int cuMemcpyAsync_ptsz(unsigned long long dst, unsigned long long src, size_t n, CUstream s);
int cuMemcpyHtoDAsync_v2(unsigned long long dst, const void* src, size_t n, CUstream s);
int cuMemcpyHtoDAsync_v2_ptsz(unsigned long long dst, const void* src, size_t n, CUstream s);
int cuMemcpyHtoAAsync_v2(CUarray dst, size_t off, const void* src, size_t n, CUstream s);
int cuMemcpyAtoHAsync_v2(void* dst, CUarray src, size_t off, size_t n, CUstream s);
int cuMemcpy2DAsync_v2(const void* copy, CUstream s);
int cuMemcpy3DAsync_v2(const void* copy, CUstream s);
int cuMemcpy3DPeerAsync(const void* copy, CUstream s);
int cuMemcpyPeerAsync(unsigned long long dst, CUcontext dctx, unsigned long long src, CUcontext sctx, size_t n,
                      CUstream s);
int cuMemcpyBatchAsync(unsigned long long* dsts, unsigned long long* srcs, size_t* sizes, size_t count, void* attrs,
                       size_t* attrs_idxs, size_t num_attrs, size_t* fail_idx, CUstream s);
int cuMemcpyBatchAsync_v2(unsigned long long* dsts, unsigned long long* srcs, size_t* sizes, size_t count,
                          void* attrs, size_t* attrs_idxs, size_t num_attrs, CUstream s);
int cuMemsetD2D8Async(unsigned long long dst, size_t pitch, unsigned char v, size_t w, size_t h, CUstream s);
int cuMemsetD2D32Async(unsigned long long dst, size_t pitch, unsigned v, size_t w, size_t h, CUstream s);

int cudaLaunchCooperativeKernel_ptsz(const void* func, dim3 grid, dim3 block, void** args, size_t shmem,
                                     cudaStream_t s);
int cudaMemcpyAsync_ptsz(void* dst, const void* src, size_t n, int kind, cudaStream_t s);
int cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t w, size_t h, int kind,
                      cudaStream_t s);
int cudaMemcpy2DToArrayAsync(cudaArray_t dst, size_t woff, size_t hoff, const void* src, size_t spitch, size_t w,
                             size_t h, int kind, cudaStream_t s);
int cudaMemcpy3DAsync(const void* params, cudaStream_t s);
int cudaMemcpyToArrayAsync(cudaArray_t dst, size_t woff, size_t hoff, const void* src, size_t n, int kind,
                           cudaStream_t s);
int cudaMemcpyToSymbolAsync(const void* symbol, const void* src, size_t n, size_t off, int kind, cudaStream_t s);
int cudaMemcpyPeerAsync(void* dst, int ddev, const void* src, int sdev, size_t n, cudaStream_t s);
int cudaMemcpyBatchAsync(void* const* dsts, const void* const* srcs, const size_t* sizes, size_t count,
                         void* attrs, size_t* attrs_idxs, size_t num_attrs, cudaStream_t s);
int cudaMemset2DAsync(void* p, size_t pitch, int v, size_t w, size_t h, cudaStream_t s);
int cudaMemset3DAsync(struct cudaPitchedPtr p, int v, struct cudaExtent e, cudaStream_t s);

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
