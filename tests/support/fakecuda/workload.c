/* Test workload for the recorder: W worker threads each make a known number of fake CUDA calls
 * (runtime calls that go through the driver, and direct driver calls), sleep now and then
 * (voluntary switches), make getppid syscalls, while B busy threads compete for the CPUs
 * (preemptions). Optionally forks a child that execs this program in "child" mode.
 * Each worker reads its own voluntary/nonvoluntary switch counters from /proc just before it
 * exits, between two CLOCK_MONOTONIC stamps it prints with them; everything is printed as one JSON object per line after the threads are joined.
 *
 * LAUNCHES "forever": the workers launch until the process is killed (prints nothing), for tests
 * that need a traced process to outlive a recorder whose start-up time load decides (ASan: seconds);
 * it is killed with its parent thread too (PR_SET_PDEATHSIG), so a test that dies cannot leave it running.
 *
 * usage: fakecuda_workload WORKERS LAUNCHES|forever BUSY CHILD_LAUNCHES
 *        fakecuda_workload child LAUNCHES */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake_cuda.h"

enum { kSleepEvery = 10, kMemcpys = 5, kGraphs = 2, kDriverLaunches = 7, kLaunchEx = 3, kSyncs = 4 };

typedef struct {
  int index, launches, forever;
  pid_t tid;
  long vol, nonvol, getppid_calls;
  long long read_begin_ns, read_end_ns; /* CLOCK_MONOTONIC around the /proc read */
} Worker;

static atomic_int stop_busy;

static long long monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void read_switch_counts(pid_t tid, long* vol, long* nonvol) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
  FILE* f = fopen(path, "r");
  *vol = *nonvol = -1;
  if (!f) return;
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0) *vol = atol(line + 24);
    if (strncmp(line, "nonvoluntary_ctxt_switches:", 27) == 0) *nonvol = atol(line + 27);
  }
  fclose(f);
}

static void* worker(void* arg) {
  Worker* w = arg;
  w->tid = (pid_t)syscall(SYS_gettid);
  cudaStream_t stream = (cudaStream_t)(unsigned long)(0x1000 + w->index);
  for (long i = 0; w->forever || i < w->launches; ++i) {
    dim3 g = {(unsigned)(i % 7 + 1), 2, 3}, b = {128, 1, 1};
    cudaLaunchKernel((void*)worker, g, b, 0, 0, stream);
    syscall(SYS_getppid);
    w->getppid_calls++;
    if (i % kSleepEvery == 0) usleep(200);
  }
  /* A runtime copy that never reaches the driver, right before direct driver launches: they are
   * kernels, not copies, so none of them is folded into it. */
  cudaMemcpyAsync((void*)16, (void*)32, 0, 1, stream);
  for (int i = 0; i < kDriverLaunches; ++i) cuLaunchKernel((void*)worker, 4, 1, 1, 64, 1, 1, 0, stream, 0, 0);
  CUlaunchConfig cfg = {5, 6, 7, 32, 2, 1, 0, stream, 0, 0};
  for (int i = 0; i < kLaunchEx; ++i) cuLaunchKernelEx(&cfg, (void*)worker, 0, 0);
  /* A failed launch with a null config: the recorder cannot read its geometry or stream, and must
   * record the call with neither (not with the zeros a failed read leaves). */
  cuLaunchKernelEx(0, (void*)worker, 0, 0);
  for (int i = 0; i < kMemcpys; ++i) cudaMemcpyAsync((void*)16, (void*)32, 64, 1, stream);
  for (int i = 0; i < kGraphs; ++i) cudaGraphLaunch((void*)48, stream);
  for (int i = 0; i < kSyncs; ++i) cudaStreamSynchronize(stream);
  cudaDeviceSynchronize();
  /* The recorder stamps switches with bpf_ktime_get_ns (CLOCK_MONOTONIC): the switches before
   * read_begin_ns are all in the counters read, those after read_end_ns none of them. */
  w->read_begin_ns = monotonic_ns();
  read_switch_counts(w->tid, &w->vol, &w->nonvol);
  w->read_end_ns = monotonic_ns();
  return 0;
}

static void* busy(void* arg) {
  (void)arg;
  volatile unsigned long x = 0;
  while (!atomic_load(&stop_busy)) x++;
  return 0;
}

static int child_mode(int launches) {
  dim3 g = {1, 1, 1}, b = {32, 1, 1};
  for (int i = 0; i < launches; ++i) cudaLaunchKernel((void*)child_mode, g, b, 0, 0, (cudaStream_t)0x2000);
  printf("{\"role\": \"child\", \"pid\": %d, \"tid\": %d, \"cudaLaunchKernel\": %d}\n", (int)getpid(), (int)getpid(),
         launches);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) return child_mode(atoi(argv[2]));
  if (argc != 5) {
    fprintf(stderr, "usage: %s WORKERS LAUNCHES|forever BUSY CHILD_LAUNCHES | child LAUNCHES\n", argv[0]);
    return 2;
  }
  const int forever = strcmp(argv[2], "forever") == 0;
  /* A run-until-killed workload must not outlive its test: a test killed by ctest's timeout, or one
   * that fails before its kill, would leave it launching forever. It dies with the thread that
   * started it (PR_SET_PDEATHSIG follows the parent thread: the tests start it from their main
   * thread). The parent's death is checked once more after the request, as it may have come first.
   * The parent's pid comes from INFERTRACE_WORKLOAD_PARENT where the test sets it: a parent that died
   * before this process's first getppid() would otherwise be taken as the reaper it was given to. */
  if (forever) {
    const char* given = getenv("INFERTRACE_WORKLOAD_PARENT");
    const pid_t parent = given && *given ? (pid_t)atoi(given) : getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      fprintf(stderr, "workload: parent %d is gone (now %d): not starting\n", (int)parent, (int)getppid());
      return 1;
    }
  }
  const int workers = atoi(argv[1]), launches = forever ? 0 : atoi(argv[2]), nbusy = atoi(argv[3]),
            child_launches = atoi(argv[4]);
  pid_t child = -1;
  if (child_launches > 0) {
    fflush(stdout);
    child = fork();
    if (child == 0) {
      char n[32];
      snprintf(n, sizeof(n), "%d", child_launches);
      execl("/proc/self/exe", argv[0], "child", n, (char*)0);
      _exit(127);
    }
  }
  pthread_t bt[64], wt[256];
  Worker w[256];
  for (int i = 0; i < nbusy && i < 64; ++i) pthread_create(&bt[i], 0, busy, 0);
  for (int i = 0; i < workers && i < 256; ++i) {
    memset(&w[i], 0, sizeof(w[i]));
    w[i].index = i;
    w[i].launches = launches;
    w[i].forever = forever;
    pthread_create(&wt[i], 0, worker, &w[i]);
  }
  for (int i = 0; i < workers && i < 256; ++i) pthread_join(wt[i], 0);
  atomic_store(&stop_busy, 1);
  for (int i = 0; i < nbusy && i < 64; ++i) pthread_join(bt[i], 0);
  if (child > 0) waitpid(child, 0, 0);
  for (int i = 0; i < workers && i < 256; ++i)
    printf("{\"role\": \"worker\", \"pid\": %d, \"tid\": %d, \"stream\": %d, \"cudaLaunchKernel\": %d, "
           "\"cuLaunchKernel\": %d, \"cuLaunchKernelEx\": %d, \"cudaMemcpyAsync\": %d, \"cudaGraphLaunch\": %d, "
           "\"cudaStreamSynchronize\": %d, \"cudaDeviceSynchronize\": 1, \"getppid\": %ld, "
           "\"voluntary\": %ld, \"nonvoluntary\": %ld, \"read_begin_ns\": %lld, \"read_end_ns\": %lld}\n",
           (int)getpid(), (int)w[i].tid, 0x1000 + i, launches, kDriverLaunches, kLaunchEx + 1, kMemcpys + 1, kGraphs, kSyncs,
           w[i].getppid_calls, w[i].vol, w[i].nonvol, w[i].read_begin_ns, w[i].read_end_ns);
  return 0;
}
