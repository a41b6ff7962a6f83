"""`infertrace record` keeps the execve of a thread other than the main one. Such a thread takes
over the process id when its exec succeeds (the kernel's de_thread): its execve enters under its
own thread id and returns under the process id, so a recorder that pairs a syscall's return with
its entry by thread id finds no entry and loses the call, with no drop counted. The program here
starts a thread that execs the program again while the main thread sleeps; the recording must hold
that execve (returning 0, on the process id, entered after the thread started) besides the
command's own. Skips (77) without root, kernel BTF, a C compiler or the record verb, and off
x86-64 (the execve number below is x86-64's; the recorder is x86-64 only today)."""
import os
import platform
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, skip  # noqa: E402
import _switch_consistency as consistency  # noqa: E402
from _record_prereq import compile_and_record, export_csv, require_recorder_and_cc  # noqa: E402

if platform.machine() != "x86_64":
    skip("execve's number here is x86-64's")
cc = require_recorder_and_cc()

PROG = r"""
#include <pthread.h>
#include <unistd.h>
static char *self;
static void *execer(void *a) {
  (void)a;
  usleep(20000);
  execl(self, self, "again", (char *)0);
  return 0;
}
int main(int argc, char **argv) {
  if (argc > 1) return 0;  /* the exec'd image */
  self = argv[0];
  pthread_t t;
  pthread_create(&t, 0, execer, 0);
  pthread_join(t, 0);  /* never returns if the exec succeeds (it ends this thread), however late */
  return 1;
}
"""
EXECVE = 59  # x86-64

with tempfile.TemporaryDirectory() as tmp:
    r, rec = compile_and_record(cc, PROG, tmp, "thread_exec")
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"record: {r.returncode} {r.stdout} {r.stderr}")
    out = export_csv(rec, tmp)
    if out:
        threads = consistency.read_rows(out, "threads.csv")
        pid = min(t.num("pid") for t in threads)
        helper = [t for t in threads if t.num("pid") == pid and t.num("tid") != pid]
        check(len(helper) == 1, f"one thread besides the main one: {[t.text for t in threads]}")
        execs = [c for c in consistency.read_rows(out, "syscalls.csv") if c.num("nr") == EXECVE and c.num("ret") == 0]
        for c in execs:
            print(c.raw())
        check(len(execs) == 2, f"two successful execve (the command's, then its thread's): {[c.text for c in execs]}")
        if len(execs) == 2 and helper:
            second = max(execs, key=lambda c: c.num("ts_ns"))
            check(second.num("tid") == pid, f"the thread's execve returned on the process id {pid}: {second.text}")
            check(second.num("ts_ns") > helper[0].num("first_ts_ns"), f"it entered after the thread started: {second.text}")

sys.exit(1 if failures else 0)
