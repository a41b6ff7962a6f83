/* Workload for tests/e2e/test_record_launch_apis.py: on one thread, ROUNDS calls of each of the
 * launch APIs below (review AC H1: async copies and sets other than cudaMemcpyAsync/cudaMemsetAsync,
 * per-thread-stream twins, cooperative launches), each API on a stream of its own, so that the
 * recorded stream shows whether the recorder read it where the real prototype puts it: an argument
 * register, the first, second or third stack slot, or the second register after two structs passed
 * in memory (cudaMemset3DAsync). The runtime calls each reach one driver call (fake_runtime.c);
 * cudaMemcpyBatchAsync changed its argument list between CUDA 12 and 13 under one name, so it is
 * recorded without a stream (printed as null).
 * Prints one JSON object: pid, tid, per API the calls made and the stream passed, and how many
 * driver calls the runtime calls made (through_runtime).
 *
 * usage: fakecuda_apis ROUNDS */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_cuda.h"

enum { kApis = 19 };
static const char* const kNames[kApis] = {
    "cudaLaunchCooperativeKernel_ptsz", "cudaMemcpyAsync_ptsz", "cudaMemcpy2DAsync", "cudaMemcpy2DToArrayAsync",
    "cudaMemcpy3DAsync", "cudaMemcpyToArrayAsync", "cudaMemcpyToSymbolAsync", "cudaMemcpyPeerAsync",
    "cudaMemcpyBatchAsync", "cudaMemset2DAsync", "cudaMemset3DAsync", "cuMemcpyAsync_ptsz", "cuMemcpy3DAsync_v2",
    "cuMemcpyAtoHAsync_v2", "cuMemsetD2D32Async", "cuMemcpyHtoDAsync_v2_ptsz", "cuMemcpyBatchAsync_v2",
    "cuMemcpyBatchAsync", "cuMemcpy3DPeerAsync"};
enum { kRuntimeApis = 11 }; /* the first 11 are runtime calls, each reaching one driver call */

int main(int argc, char** argv) {
  if (argc != 2 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: %s ROUNDS\n", argv[0]);
    return 2;
  }
  const int rounds = atoi(argv[1]);
  long calls[kApis] = {0};
  void* st[kApis];
  for (int k = 0; k < kApis; ++k) st[k] = (void*)(unsigned long)(0x5000 + 0x10 * k);
  char buf[64];
  void* ptrs[2] = {buf, buf + 8};
  size_t sizes[1] = {8}, idx[1] = {0};
  unsigned long long dptrs[1] = {16}, sptrs[1] = {32};
  struct cudaPitchedPtr pp = {buf, 64, 16, 4};
  struct cudaExtent ext = {16, 4, 2};
  dim3 g = {4, 2, 1}, b = {64, 1, 1};
  long through_runtime = 0;
  for (int r = 0; r < rounds; ++r) {
    int k = 0;
    cudaLaunchCooperativeKernel_ptsz((void*)main, g, b, 0, 128, st[k]), calls[k++]++;
    cudaMemcpyAsync_ptsz(buf, buf + 32, 16, 1, st[k]), calls[k++]++;
    cudaMemcpy2DAsync(buf, 16, buf + 32, 16, 8, 2, 1, st[k]), calls[k++]++;
    cudaMemcpy2DToArrayAsync((cudaArray_t)buf, 1, 2, buf + 32, 16, 8, 2, 1, st[k]), calls[k++]++;
    cudaMemcpy3DAsync(buf, st[k]), calls[k++]++;
    cudaMemcpyToArrayAsync((cudaArray_t)buf, 1, 2, buf + 32, 8, 1, st[k]), calls[k++]++;
    cudaMemcpyToSymbolAsync(buf, buf + 32, 8, 4, 1, st[k]), calls[k++]++;
    cudaMemcpyPeerAsync(buf, 0, buf + 32, 1, 8, st[k]), calls[k++]++;
    cudaMemcpyBatchAsync(ptrs, (const void* const*)ptrs, sizes, 1, buf, idx, 1, st[k]), calls[k++]++;
    cudaMemset2DAsync(buf, 16, 7, 8, 2, st[k]), calls[k++]++;
    cudaMemset3DAsync(pp, 7, ext, st[k]), calls[k++]++;
    through_runtime += kRuntimeApis;
    cuMemcpyAsync_ptsz(16, 32, 8, st[k]), calls[k++]++;
    cuMemcpy3DAsync_v2(buf, st[k]), calls[k++]++;
    cuMemcpyAtoHAsync_v2(buf, (CUarray)buf, 4, 8, st[k]), calls[k++]++;
    cuMemsetD2D32Async(16, 64, 7, 8, 2, st[k]), calls[k++]++;
    cuMemcpyHtoDAsync_v2_ptsz(16, buf, 8, st[k]), calls[k++]++;
    cuMemcpyBatchAsync_v2(dptrs, sptrs, sizes, 1, buf, idx, 1, st[k]), calls[k++]++;
    cuMemcpyBatchAsync(dptrs, sptrs, sizes, 1, buf, idx, 1, idx, st[k]), calls[k++]++;
    cuMemcpy3DPeerAsync(buf, st[k]), calls[k++]++;
  }
  printf("{\"pid\": %d, \"tid\": %d, \"through_runtime\": %ld, \"calls\": {", (int)getpid(), (int)syscall(SYS_gettid),
         through_runtime);
  for (int k = 0; k < kApis; ++k) printf("%s\"%s\": %ld", k ? ", " : "", kNames[k], calls[k]);
  printf("}, \"streams\": {");
  for (int k = 0; k < kApis; ++k) {
    if (k == 8)
      printf(", \"%s\": null", kNames[k]);
    else
      printf("%s\"%s\": %lu", k ? ", " : "", kNames[k], (unsigned long)st[k]);
  }
  printf("}}\n");
  return 0;
}
