// A thread pool whose threads cannot all be started (more threads than the process may have:
// `engine run -t 100000` or `serve -t 100000`) must be an error the CLI reports (exit 1), not
// std::terminate: the constructor used to throw with joinable threads in its vector, and
// destroying those aborts the process.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "engine/runtime/thread_pool.h"
#include "util/error.h"

namespace {

#if defined(__SANITIZE_ADDRESS__)
#define IT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IT_ASAN 1
#endif
#endif

#ifndef IT_ASAN  // (the only test below is skipped under ASan: its helpers would be unused)
// The process's virtual size in bytes (/proc/self/statm's first field is in pages).
long long virtual_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long long pages = 0;
  if (f) {
    if (std::fscanf(f, "%lld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return pages * sysconf(_SC_PAGESIZE);
}

// In a child: give new threads 8 MiB stacks (glibc otherwise sizes them from `ulimit -s`, and 64
// threads of 256 KiB or 1 MiB fit in the cap below, so the test would pass or fail with the
// shell's limit), cap the address space 64 MiB above what is mapped now, so only a few such stacks
// fit, and ask for 64 threads. Exit 0 when the pool threw Error, 1 when it started them all.
void start_too_many_threads() {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) _exit(2);
  if (pthread_attr_setstacksize(&attr, 8u << 20) != 0) _exit(2);
  if (pthread_setattr_default_np(&attr) != 0) _exit(2);
  pthread_attr_destroy(&attr);
  const rlim_t cap = static_cast<rlim_t>(virtual_bytes() + (64ll << 20));
  const rlimit lim{cap, cap};
  if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(2);
  try {
    infertrace::engine::ThreadPool pool(64);
  } catch (const infertrace::Error&) {
    _exit(0);
  }
  _exit(1);
}
#endif

}  // namespace

TEST(EnginePoolStart, ThreadsThatCannotStartAreAnErrorNotAnAbort) {
#ifdef IT_ASAN
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: RLIMIT_AS cannot be set";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(start_too_many_threads(), testing::ExitedWithCode(0), "");
#endif
}
