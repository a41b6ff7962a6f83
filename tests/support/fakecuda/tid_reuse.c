/* Workload for tests/e2e/test_record_cuda_tid_reuse.py: a process killed inside a CUDA call, then a
 * new process with the dead one's id, whose own CUDA calls must all be recorded (the recorder's
 * per-thread marks, api_pending and fold_pending, are forgotten at a thread's exit).
 *
 * Two scenarios, one after the other; in each, this process (the traced command) forks A, which
 * enters a fake CUDA call whose body waits (fake_cuda.h's test hooks), so the recorder's entry probe
 * has fired and left its mark under A's id. A's second thread sees the body begin and SIGKILLs A.
 * The parent reaps A, writes A - 1 to /proc/sys/kernel/ns_last_pid and forks B, which gets A's id
 * unless another fork on the machine took it first: then the attempt is repeated with a fresh A, up
 * to ATTEMPTS times. B makes N launches (only when it has A's id) and exits.
 *   sync:   A is killed inside cudaDeviceSynchronize (fakecuda_sync_hold: the call has a return
 *           probe, so api_pending holds it until the return that never comes); B makes N
 *           cudaLaunchKernel calls, which the recorder drops as nested if A's entry is still there.
 *   launch: A is killed inside cudaLaunchKernel before it reaches cuLaunchKernel
 *           (fakecuda_launch_spin_ns: the body spins first), leaving the kernel-family fold mark;
 *           B makes N direct cuLaunchKernel calls, the first of which is folded away if the mark is
 *           still there.
 * Prints "sync PID" and "launch PID", the id each scenario reused. Exit status 0; 77 when no attempt
 * of a scenario reused the id (or ns_last_pid cannot be written); 1 on any other failure.
 *
 * usage: fakecuda_tid_reuse N */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_cuda.h"

enum { ATTEMPTS = 20, NO_REUSE = 77 };

static void tick(void) {
  struct timespec t = {0, 100000};
  nanosleep(&t, NULL);
}

/* A's second thread: once A's main thread is inside the call's body (its entry probe has fired),
 * kill the whole process there. */
static void* kill_inside_sync(void* unused) {
  (void)unused;
  while (!fakecuda_sync_body_ns) tick();
  kill(getpid(), SIGKILL);
  return NULL; /* the process is dying: SIGKILL is pending */
}
static void* kill_inside_launch(void* unused) {
  (void)unused;
  while (!__atomic_load_n(&fakecuda_launch_body_ns, __ATOMIC_ACQUIRE)) tick();
  kill(getpid(), SIGKILL);
  return NULL; /* the process is dying: SIGKILL is pending */
}

static void run_a(int sync) {
  pthread_t killer;
  if (sync)
    fakecuda_sync_hold = 1; /* never cleared: the call waits until A is killed */
  else
    fakecuda_launch_spin_ns = 30000000000LL; /* 30 s before it would reach the driver */
  if (pthread_create(&killer, NULL, sync ? kill_inside_sync : kill_inside_launch, NULL) != 0) _exit(2);
  if (sync) {
    cudaDeviceSynchronize();
  } else {
    dim3 g = {1, 1, 1}, b = {1, 1, 1};
    cudaLaunchKernel((void*)run_a, g, b, 0, 0, 0);
  }
  _exit(3); /* the call returned: A was not killed inside it */
}

static void run_b(int sync, int n) {
  for (int i = 1; i <= n; ++i) {
    if (sync) {
      dim3 g = {(unsigned)i, 1, 1}, b = {32, 1, 1};
      cudaLaunchKernel((void*)run_b, g, b, 0, 0, 0);
    } else {
      cuLaunchKernel((void*)run_b, (unsigned)i, 1, 1, 32, 1, 1, 0, 0, 0, 0);
    }
  }
}

static int set_last_pid(pid_t last) {
  const int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
  if (fd < 0) return 0;
  char text[32];
  const int len = snprintf(text, sizeof text, "%d", (int)last);
  const int ok = write(fd, text, (size_t)len) == len;
  return close(fd) == 0 && ok;
}

/* The id A and B shared, 0 when no attempt reused it, -1 on a failure. */
static pid_t scenario(int sync, int n) {
  const char* name = sync ? "sync" : "launch";
  for (int attempt = 1; attempt <= ATTEMPTS; ++attempt) {
    const pid_t a = fork();
    if (a < 0) return -1;
    if (a == 0) run_a(sync);
    int st = 0;
    if (waitpid(a, &st, 0) != a) return -1;
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
      fprintf(stderr, "%s: A %d ended with status %#x, not killed inside its call\n", name, (int)a, st);
      return -1;
    }
    if (!set_last_pid(a - 1)) {
      fprintf(stderr, "cannot write /proc/sys/kernel/ns_last_pid: %s\n", strerror(errno));
      return 0;
    }
    const pid_t b = fork();
    if (b < 0) return -1;
    if (b == 0) {
      if (getpid() == a) run_b(sync, n);
      _exit(0);
    }
    if (waitpid(b, &st, 0) != b || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
    if (b == a) return a;
    fprintf(stderr, "%s attempt %d: B got %d, not A's %d\n", name, attempt, (int)b, (int)a);
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2 || atoi(argv[1]) <= 0) {
    fprintf(stderr, "usage: %s N\n", argv[0]);
    return 1;
  }
  const int n = atoi(argv[1]);
  const pid_t sync_id = scenario(1, n);
  const pid_t launch_id = sync_id > 0 ? scenario(0, n) : sync_id;
  if (sync_id < 0 || launch_id < 0) return 1;
  if (sync_id == 0 || launch_id == 0) {
    fprintf(stderr, "no id reused in %d attempts\n", ATTEMPTS);
    return NO_REUSE;
  }
  printf("sync %d\nlaunch %d\n", (int)sync_id, (int)launch_id);
  return 0;
}
