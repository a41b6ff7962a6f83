"""`infertrace record` forgets a thread's pending syscall when the thread exits. A thread's last
syscall (exit, or exit_group) never returns, so the entry the recorder keeps for it until the return
stays behind under the thread's id; a new task that gets the same id returns from fork through the
syscall-return path, which then pairs with that old entry and emits a bogus "exit" row, started at
the old thread's exit. The program here lets a thread exit, then forks a child with the very same id
(clone3's set_tid, root only), so the reuse is certain, not a matter of pid_max: the recording must
hold the child (the id reused, traced) and no exit or exit_group row at all. Skips (77) without root,
kernel BTF, a C compiler, the record verb, clone3's set_tid or x86-64 (syscall numbers)."""
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, skip  # noqa: E402
import _switch_consistency as consistency  # noqa: E402
from _record_prereq import compile_and_record, export_csv, require_recorder_and_cc  # noqa: E402

if platform.machine() != "x86_64":
    skip("the syscall numbers here are x86-64's")
cc = require_recorder_and_cc()

NO_SET_TID = 3  # the program's exit status when clone3 cannot choose the id
PROG = r"""
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
struct clone3_args { /* linux/sched.h's struct clone_args up to set_tid_size (Linux 5.5) */
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size;
};
static pid_t exited_tid;
static void *quit(void *a) {
  (void)a;
  exited_tid = (pid_t)syscall(SYS_gettid);
  return 0; /* the thread ends in the exit syscall, which never returns */
}
int main(void) {
  pthread_t t;
  pthread_create(&t, 0, quit, 0);
  pthread_join(t, 0);
  pid_t id = exited_tid;
  struct clone3_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
  args.set_tid = (uintptr_t)&id;
  args.set_tid_size = 1;
  long child = -1;
  /* The join returns when the thread has left user space; its id is free once the kernel released it. */
  for (int i = 0; i < 2000; i++) {
    child = syscall(435 /* clone3 */, &args, sizeof args);
    if (child >= 0 || errno != EEXIST) break;
    usleep(1000);
  }
  if (child == 0) {
    syscall(SYS_getppid); /* one syscall of the child's own, recorded under its (reused) id */
    _exit(0);
  }
  if (child < 0) {
    fprintf(stderr, "clone3 set_tid %d: %s\n", id, strerror(errno));
    return 3;
  }
  waitpid((pid_t)child, 0, 0);
  printf("reused %d\n", id);
  return 0;
}
"""
EXIT, EXIT_GROUP, GETPPID = 60, 231, 110


def command_pid(rec, tmp):
    """The command's pid as the recorder wrote it (META traced.pid, read back through the SQLite
    export's meta table), or None. Not the lowest pid of threads.csv: pids wrap, and the child forked
    after the thread exited can get a lower one than the command (review AS L3)."""
    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    if e.returncode != 0:
        return None
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'traced.pid'").fetchone()
    finally:
        con.close()
    check(row is not None and row[0].isdigit(), f"the recording names the command's pid (META traced.pid): {row}")
    return int(row[0]) if row is not None and row[0].isdigit() else None


with tempfile.TemporaryDirectory() as tmp:
    r, rec = compile_and_record(cc, PROG, tmp, "tid_reuse")
    if "command exit status: %d" % NO_SET_TID in r.stderr:
        skip("clone3 cannot choose the child's id here: " + r.stderr.strip()[-200:])
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, f"record: {r.returncode} {r.stdout} {r.stderr}")
    out = export_csv(rec, tmp)
    pid = command_pid(rec, tmp)
    if out and pid is not None:
        threads = consistency.read_rows(out, "threads.csv")
        check(any(t.num("tid") == pid for t in threads), f"the command {pid} is in threads.csv: {[t.text for t in threads]}")
        # threads.csv has one row per id: the exited thread's is the child's now.
        children = [t for t in threads if t.num("pid") != pid]
        check(len(children) == 1 and children[0].num("tid") == children[0].num("pid"),
              f"one child process besides the command: {[t.text for t in threads]}")
        reused = children[0].num("tid") if children else None
        m = re.search(r"^reused (\d+)$", r.stdout, re.M)
        check(m is not None and int(m.group(1)) == reused,
              f"the child {reused} got the exited thread's id: {r.stdout}")
        calls = consistency.read_rows(out, "syscalls.csv")
        ends = [c for c in calls if c.num("nr") in (EXIT, EXIT_GROUP)]
        for c in ends:
            print(c.raw())
        check(not ends, "no exit or exit_group row (they never return): %d, on tids %s" %
              (len(ends), sorted({c.num("tid") for c in ends})))
        # The child's own getppid, under the child's pid (the exited thread's rows on that id carry the
        # command's pid), so a child left untraced cannot pass on the old thread's rows.
        check(any(c.num("tid") == reused and c.num("pid") == reused and c.num("nr") == GETPPID for c in calls),
              f"the child's own getppid is recorded (pid = tid = {reused})")

sys.exit(1 if failures else 0)
