/* Workload for tests/e2e/test_record_late_library.py: loads a CUDA runtime with dlopen after it
 * started (so the recorder can only find it by its periodic scan of the traced processes' mappings),
 * makes BURST cudaGraphLaunch calls through it at once, sleeps SLEEP_MS (several scans), then makes
 * BURST more. Prints one JSON object: pid, tid, CLOCK_MONOTONIC stamps taken right before the dlopen
 * and right before the second burst, and the calls of each burst.
 *
 * usage: fakecuda_dlopen_late LIBRARY BURST SLEEP_MS */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 4 || atoi(argv[2]) <= 0 || atoi(argv[3]) < 0) {
    fprintf(stderr, "usage: %s LIBRARY BURST SLEEP_MS\n", argv[0]);
    return 2;
  }
  const int burst = atoi(argv[2]), sleep_ms = atoi(argv[3]);
  const long long open_ns = monotonic_ns();
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
    return 1;
  }
  int (*graph_launch)(void*, void*) = (int (*)(void*, void*))dlsym(lib, "cudaGraphLaunch");
  if (!graph_launch) {
    fprintf(stderr, "no cudaGraphLaunch in %s\n", argv[1]);
    return 1;
  }
  long first = 0, second = 0;
  for (int i = 0; i < burst; ++i) graph_launch((void*)48, (void*)0x7000), first++;
  struct timespec pause = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
  nanosleep(&pause, 0);
  const long long second_ns = monotonic_ns();
  for (int i = 0; i < burst; ++i) graph_launch((void*)48, (void*)0x7000), second++;
  printf("{\"pid\": %d, \"tid\": %d, \"open_ns\": %lld, \"second_ns\": %lld, \"first\": %ld, \"second\": %ld}\n",
         (int)getpid(), (int)syscall(SYS_gettid), open_ns, second_ns, first, second);
  return 0;
}
