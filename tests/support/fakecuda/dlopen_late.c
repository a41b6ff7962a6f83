/* Workload for tests/e2e/test_record_late_library.py: loads a CUDA runtime with dlopen after it
 * started (so the recorder can only find it by its periodic scan of the traced processes' mappings),
 * makes BURST cudaGraphLaunch calls through it at once, waits, then makes BURST more. PAUSE is how
 * it waits: a number sleeps that many ms; a path (starting with '/') waits until that file exists
 * (at most 120 s), which the test creates once the recorder said it probed the library, so that a
 * scan delayed by a loaded machine cannot make the test fail. Prints one JSON object: pid, tid,
 * CLOCK_MONOTONIC stamps taken right before the dlopen and right before the second burst, and the
 * calls of each burst.
 *
 * usage: fakecuda_dlopen_late LIBRARY BURST PAUSE */
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
  if (argc != 4 || atoi(argv[2]) <= 0 || (argv[3][0] != '/' && atoi(argv[3]) < 0)) {
    fprintf(stderr, "usage: %s LIBRARY BURST PAUSE (ms, or a file to wait for)\n", argv[0]);
    return 2;
  }
  const int burst = atoi(argv[2]);
  const char* go_file = argv[3][0] == '/' ? argv[3] : 0;
  const int sleep_ms = go_file ? 10 : atoi(argv[3]);
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
  for (int waited = 0; go_file && access(go_file, F_OK) != 0; ++waited) {
    if (waited >= 12000) {
      fprintf(stderr, "%s did not appear within 120 s\n", go_file);
      return 1;
    }
    nanosleep(&pause, 0);
  }
  const long long second_ns = monotonic_ns();
  for (int i = 0; i < burst; ++i) graph_launch((void*)48, (void*)0x7000), second++;
  printf("{\"pid\": %d, \"tid\": %d, \"open_ns\": %lld, \"second_ns\": %lld, \"first\": %ld, \"second\": %ld}\n",
         (int)getpid(), (int)syscall(SYS_gettid), open_ns, second_ns, first, second);
  return 0;
}
