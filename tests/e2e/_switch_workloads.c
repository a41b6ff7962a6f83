/* Workloads for test_switch_consistency.py: each stresses one way the recorder could lose or
 * misorder a scheduler event of a traced thread. The first argument picks one:
 *   sleeps N       4 threads, N short sleeps each (20-400 us) between short spins
 *   threads N      N threads created 8 at a time, each sleeping briefly, then exiting; some detached
 *   leader_exit    the main thread exits (pthread_exit) while 8 threads still sleep and spin
 *   forkexec N     N children: half exec this program again ("sleeps 20"), half sleep and _exit
 *                  (exec'd by its own path, so the children keep the program's comm)
 *   orphans N      N children one after the other, each a main thread that exits at once
 *                  (pthread_exit) and 4 threads that outlive it: the child is reaped, and its
 *                  entry in the traced set removed, right after its last thread exits
 *   spin S         spin for S seconds (the untraced busy neighbour) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static void spin_us(long us) {
  long end = now_us() + us;
  while (now_us() < end) {
  }
}

static int iterations;

static void *sleeper(void *arg) {
  unsigned seed = (unsigned)(long)arg;
  for (int i = 0; i < iterations; i++) {
    usleep(20 + rand_r(&seed) % 380);
    spin_us(rand_r(&seed) % 40);
  }
  return 0;
}

static void *short_lived(void *arg) {
  (void)arg;
  for (int i = 0; i < 3; i++) {
    usleep(100);
    spin_us(10);
  }
  return 0;
}

static void run_threads(int n, void *(*fn)(void *), int detach_every) {
  pthread_t th[8];
  for (int done = 0; done < n; done += 8) {
    int k = n - done < 8 ? n - done : 8;
    for (int i = 0; i < k; i++) pthread_create(&th[i], 0, fn, (void *)(long)(done + i + 1));
    for (int i = 0; i < k; i++) {
      if (detach_every && (done + i) % detach_every == 0) pthread_detach(th[i]);
      else pthread_join(th[i], 0);
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *mode = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(mode, "sleeps")) {
    iterations = n;
    run_threads(4, sleeper, 0);
  } else if (!strcmp(mode, "threads")) {
    run_threads(n, short_lived, 5);
    usleep(2000);  /* lets the detached ones finish */
  } else if (!strcmp(mode, "leader_exit")) {
    iterations = 1000;
    pthread_t th;
    for (int i = 0; i < 8; i++) {
      pthread_create(&th, 0, sleeper, (void *)(long)(i + 1));
      pthread_detach(th);
    }
    pthread_exit(0);
  } else if (!strcmp(mode, "forkexec")) {
    for (int i = 0; i < n; i++) {
      pid_t c = fork();
      if (c == 0) {
        if (i % 2 == 0) {
          execl(argv[0], argv[0], "sleeps", "20", (char *)0);
          _exit(127);
        }
        usleep(300);
        _exit(0);
      }
      if (c > 0) waitpid(c, 0, 0);
    }
  } else if (!strcmp(mode, "orphans")) {
    for (int i = 0; i < n; i++) {
      pid_t c = fork();
      if (c == 0) {
        pthread_t th;
        for (int k = 0; k < 4; k++) {
          pthread_create(&th, 0, short_lived, 0);
          pthread_detach(th);
        }
        pthread_exit(0);
      }
      if (c > 0) waitpid(c, 0, 0);
    }
  } else if (!strcmp(mode, "spin")) {
    spin_us(n * 1000000L);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
