/* Workload for tests/e2e/test_record_fold_mark.py: on one thread, each round makes a runtime call
 * that goes through its driver call (the recorder marks the thread with the call's family at the
 * runtime entry and folds the driver call into it), then a direct driver call of the same family
 * with no runtime call in between. The fold mark must be consumed by the first driver call: the
 * direct one is the application's own call and must be recorded.
 *
 * Each round, for round index r (0-based):
 *   cudaLaunchKernel with grid.x = 2r + 1, then cuLaunchKernel (direct) with grid.x = 2r + 2;
 *   cudaMemcpyAsync (a non-empty copy, so it reaches cuMemcpyAsync), then cuMemcpyAsync (direct);
 *   cudaGraphLaunch, then cuGraphLaunch (direct);
 *   a zero-byte cudaMemcpyAsync (it returns before reaching the driver), then cuMemcpyAsync (direct);
 *   a zero-byte cudaMemcpyAsync, then cuMemcpyAsync (direct) made from a helper function, one frame
 *   deeper than the runtime call was (review AC M2: both direct copies were folded into the
 *   runtime calls that never reached the driver);
 *   a zero-byte cudaMemcpyAsync made from a helper function that then returns, then cuMemcpyAsync
 *   (direct) from main, higher up the stack than the runtime call was (its return address is
 *   still in the dead frame below);
 *   a zero-byte cudaMemcpyAsync, then cuLaunchKernel (direct) with grid.x = 1000 + r: its five stack
 *   arguments are pushed below an alignment slot the compiler leaves unwritten, which still holds
 *   the runtime call's return address.
 * Prints one JSON object: the thread, how many calls of each API it made and, separately, how many
 * driver calls the runtime calls made (through_runtime) and the grid.x values of the direct
 * cuLaunchKernel calls.
 *
 * usage: fakecuda_fold_sequence ROUNDS */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_cuda.h"

/* A direct driver copy made one frame below main, with a frame of its own (not a tail call). */
__attribute__((noinline)) static int copy_from_helper(cudaStream_t stream) {
  volatile char pad[64];
  pad[0] = 1;
  const int r = cuMemcpyAsync(16, 32, 64, stream);
  return r + pad[0];
}

/* A zero-byte runtime copy made one frame below main; the helper returns right after it. */
__attribute__((noinline)) static int empty_copy_in_helper(cudaStream_t stream) {
  volatile char pad[64];
  pad[0] = 1;
  const int r = cudaMemcpyAsync((void*)16, (void*)32, 0, 1, stream);
  return r + pad[0];
}

int main(int argc, char** argv) {
  if (argc != 2 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: %s ROUNDS\n", argv[0]);
    return 2;
  }
  const int rounds = atoi(argv[1]);
  cudaStream_t stream = (cudaStream_t)0x3000;
  long runtime_launch = 0, driver_launch = 0, runtime_copy = 0, driver_copy = 0, runtime_graph = 0,
       driver_graph = 0, through_runtime = 0;
  printf("{\"pid\": %d, \"tid\": %d, \"direct_grid_x\": [", (int)getpid(), (int)syscall(SYS_gettid));
  for (int r = 0; r < rounds; ++r) {
    dim3 g = {(unsigned)(2 * r + 1), 1, 1}, b = {32, 1, 1};
    cudaLaunchKernel((void*)main, g, b, 0, 0, stream);
    runtime_launch++, through_runtime++;  // the fake runtime launch always calls cuLaunchKernel
    cuLaunchKernel((void*)main, (unsigned)(2 * r + 2), 1, 1, 32, 1, 1, 0, stream, 0, 0);
    driver_launch++;
    printf("%s%d", r ? ", " : "", 2 * r + 2);
    cudaMemcpyAsync((void*)16, (void*)32, 64, 1, stream);
    runtime_copy++, through_runtime++;  // non-empty: reaches cuMemcpyAsync
    cuMemcpyAsync(16, 32, 64, stream);
    driver_copy++;
    cudaGraphLaunch((void*)48, stream);
    runtime_graph++, through_runtime++;
    cuGraphLaunch((void*)48, stream);
    driver_graph++;
    cudaMemcpyAsync((void*)16, (void*)32, 0, 1, stream);
    runtime_copy++;  // zero bytes: returns before the driver
    cuMemcpyAsync(16, 32, 64, stream);
    driver_copy++;
    cudaMemcpyAsync((void*)16, (void*)32, 0, 1, stream);
    runtime_copy++;
    copy_from_helper(stream);
    driver_copy++;
    empty_copy_in_helper(stream);
    runtime_copy++;
    cuMemcpyAsync(16, 32, 64, stream);
    driver_copy++;
    cudaMemcpyAsync((void*)16, (void*)32, 0, 1, stream);
    runtime_copy++;
    cuLaunchKernel((void*)main, (unsigned)(1000 + r), 1, 1, 32, 1, 1, 0, stream, 0, 0);
    driver_launch++;
    printf(", %d", 1000 + r);
  }
  printf("], \"cudaLaunchKernel\": %ld, \"cuLaunchKernel\": %ld, \"cudaMemcpyAsync\": %ld, \"cuMemcpyAsync\": %ld, "
         "\"cudaGraphLaunch\": %ld, \"cuGraphLaunch\": %ld, \"through_runtime\": %ld}\n",
         runtime_launch, driver_launch, runtime_copy, driver_copy, runtime_graph, driver_graph, through_runtime);
  return 0;
}
