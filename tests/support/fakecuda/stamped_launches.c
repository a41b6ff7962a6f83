/* Workload for tests/e2e/test_record_loss_window_stamps.py: one thread, pinned to the first CPU it
 * may run on, makes BEFORE + DURING + AFTER cudaLaunchKernel calls, launch i with grid.x = i (so a
 * recording shows which launches it lost). Around each it takes two CLOCK_MONOTONIC stamps: `pre`
 * just before the call and `body`, the time the call's body began (fakecuda_launch_body_ns, after
 * the recorder's entry probe fired); the probe's own stamp lies in [pre, body]. Each body spins
 * SPIN_NS before it returns, so a return probe fires well after `body`. After BEFORE launches it
 * stops its parent (the recorder) with SIGSTOP, so the ring fills and launches are lost, and
 * resumes it with SIGCONT after DURING more. Writes the CPU, the recorder's pid, then one line per
 * launch: "i pre body".
 *
 * With HOLD_SYNC 1, a second thread (on the same CPU: it inherits the pin) enters cudaDeviceSynchronize before the stop and
 * the call is held open (fakecuda_sync_hold) until the DURING launches are made, so it returns,
 * and its record is reserved, while the ring is full. The line "sync pre body end post stop"
 * gives its stamps: before the call, its body's start and end, after it returns, and just before
 * the SIGSTOP.
 *
 * usage: fakecuda_stamped BEFORE DURING AFTER SPIN_NS OUT_FILE [HOLD_SYNC] */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fake_cuda.h"

static long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long sync_pre, sync_post;

static void* held_sync(void* unused) {
  (void)unused;
  sync_pre = monotonic_ns();
  cudaDeviceSynchronize();
  sync_post = monotonic_ns();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: %s BEFORE DURING AFTER SPIN_NS OUT_FILE [HOLD_SYNC]\n", argv[0]);
    return 2;
  }
  const int hold_sync = argc == 7 && atoi(argv[6]) == 1;
  const long before = atol(argv[1]), during = atol(argv[2]), after = atol(argv[3]);
  fakecuda_launch_spin_ns = atoll(argv[4]);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) ++cpu;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return 1;
  const long total = before + during + after;
  long long* pre = malloc(sizeof(long long) * (size_t)total);
  long long* body = malloc(sizeof(long long) * (size_t)total);
  if (!pre || !body) {
    free(pre);
    free(body);
    return 1;
  }
  const pid_t recorder = getppid();
  dim3 b = {128, 1, 1};
  pthread_t syncer = 0;
  long long stop_ns = 0;
  for (long i = 0; i < total; ++i) {
    if (i == before) {
      if (hold_sync) {
        fakecuda_sync_hold = 1;
        if (pthread_create(&syncer, NULL, held_sync, NULL) != 0) {
          free(pre);
          free(body);
          return 1;
        }
        while (!fakecuda_sync_body_ns) {  /* its entry probe has fired */
          struct timespec tick = {0, 100000};
          nanosleep(&tick, NULL);
        }
      }
      stop_ns = monotonic_ns();
      kill(recorder, SIGSTOP);
    }
    if (i == before + during) {
      if (hold_sync) {
        fakecuda_sync_hold = 0;
        pthread_join(syncer, NULL);  /* its return probe fires while the ring is still full */
      }
      kill(recorder, SIGCONT);
    }
    dim3 g = {(unsigned)i, 1, 1};
    pre[i] = monotonic_ns();
    cudaLaunchKernel((void*)main, g, b, 0, 0, (cudaStream_t)0x1000);
    body[i] = fakecuda_launch_body_ns;
  }
  /* Freed on every path: the ASan CI stage builds this workload too, and LeakSanitizer turns a
   * leak into exit status 1, which the recorder then passes on. */
  FILE* f = fopen(argv[5], "w");
  int status = 1;
  if (f) {
    fprintf(f, "cpu %d\nrecorder %d\n", cpu, (int)recorder);
    if (hold_sync)
      fprintf(f, "sync %lld %lld %lld %lld %lld\n", sync_pre, (long long)fakecuda_sync_body_ns,
              (long long)fakecuda_sync_end_ns, sync_post, stop_ns);
    for (long i = 0; i < total; ++i) fprintf(f, "%ld %lld %lld\n", i, pre[i], body[i]);
    status = fclose(f) == 0 ? 0 : 1;
  }
  free(pre);
  free(body);
  return status;
}
