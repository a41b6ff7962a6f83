"""A thread that renames itself after it was created, and is still alive when the recording ends,
is named by its new name (review RC M1). The kernel copies the parent's comm into a new thread at
the clone (the TASK_NEW record holds it) and the exec's TASK record holds the program's file name;
a thread that then calls pthread_setname_np or prctl(PR_SET_NAME) (PyTorch's, vLLM's, CUDA's own
and Python's threads do) carries its new name only in its later switch rows, and, when it ends
inside the recording, in its exit record. With a `--duration` stop the threads are alive at the
end: before the fix `sched`, the CSV/SQLite thread tables and record's "launches per thread" kept
the creation-time names (the main thread the program's file name, each launcher its parent's).

The workload (compiled here against the fake CUDA libraries) names its main thread, starts two
threads that name themselves and launch in a loop with short sleeps until record's stop ends the
process, and prints each thread's id with the name the kernel holds for it (PR_GET_NAME): those
are the expected names. Checks: no exit record of those threads in the recording (alive at its
end); record's summary names each launcher by its own name; `sched --json` threads, `export --csv`
threads.csv and `export --sqlite` thread table name all three as the workload did. Skips (77)
without root, kernel BTF, a C compiler or the record verb."""
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import compile_against_fake_cuda, require_recorder_and_cc, skip_if_recorder_refused  # noqa: E402

cc = require_recorder_and_cc()

PROG = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "fake_cuda.h"

static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;

/* The calling thread's id and the name the kernel now holds for it, as a JSON line. */
static void report(const char *role) {
  char name[17] = {0};
  prctl(PR_GET_NAME, name);
  pthread_mutex_lock(&out);
  printf("{\"role\": \"%s\", \"tid\": %ld, \"comm\": \"%s\"}\n", role, (long)syscall(SYS_gettid), name);
  fflush(stdout);
  pthread_mutex_unlock(&out);
}

static void *launcher(void *arg) {
  char name[16];
  snprintf(name, sizeof name, "itn_launch%ld", (long)arg);
  pthread_setname_np(pthread_self(), name);
  report("launcher");
  dim3 g = {1, 1, 1}, b = {32, 1, 1};
  for (;;) { /* until record's stop ends the process */
    for (int i = 0; i < 20; ++i) cudaLaunchKernel((const void *)launcher, g, b, 0, 0, (cudaStream_t)0);
    usleep(2000);
  }
  return 0;
}

int main(void) {
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, 0); /* the threads inherit the mask: main takes the stop */
  prctl(PR_SET_NAME, "itn_main");
  report("main");
  pthread_t t[2];
  for (long i = 0; i < 2; ++i) pthread_create(&t[i], 0, launcher, (void *)i);
  struct timespec limit = {120, 0};
  return sigtimedwait(&term, 0, &limit) == SIGTERM ? 0 : 3; /* no stop within 120 s: record failed */
}
"""

with tempfile.TemporaryDirectory() as tmp:
    prog, libs = compile_against_fake_cuda(cc, PROG, tmp, "renamed_alive")
    rec = os.path.join(tmp, "run.itrace")
    # 5 s: time for the workload to start, rename and switch out on a loaded machine.
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch,sched", "--cuda", "uprobe", "--duration", "5",
                        *libs, "--", prog], capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"record: {r.returncode} {r.stdout} {r.stderr}")
    made = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    want = {m["tid"]: m["comm"] for m in made}
    launchers = {m["tid"] for m in made if m["role"] == "launcher"}
    check(len(want) == 3 and len(launchers) == 2, f"the workload named three threads: {r.stdout}")
    # The workload's own names (read back from the kernel) are the ones it set.
    check(sorted(want.values()) == ["itn_launch0", "itn_launch1", "itn_main"], f"names the workload read: {want}")

    # record's summary: "  tid T NAME N" under "launches per thread".
    summary = {int(m.group(1)): (m.group(2), int(m.group(3)))
               for m in re.finditer(r"^  tid (\d+) (\S*)\s+(\d+)$", r.stderr, re.M)}
    for tid in launchers:
        got = summary.get(tid)
        check(got is not None and got[1] > 0, f"record's summary has launches of thread {tid}: {r.stderr}")
        if got:
            check(got[0] == want[tid], f"record's summary names thread {tid} {got[0]!r}, it named itself {want[tid]!r}")

    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    if e.returncode == 0 and want:
        con = sqlite3.connect(db)
        try:
            exits = con.execute("SELECT tid FROM task WHERE kind = 'exit'").fetchall()
            kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM task")}
            threads = dict(con.execute("SELECT tid, comm FROM thread").fetchall())
        finally:
            con.close()
        check("new" in kinds, f"the task table's kinds are spelled as expected: {kinds}")
        check(not {t for (t,) in exits} & set(want), f"threads alive at the end have no exit record: {exits}")
        for tid, comm in want.items():
            check(threads.get(tid) == comm, f"sqlite thread table: {tid} {threads.get(tid)!r}, want {comm!r}")

    out = os.path.join(tmp, "csv")
    e = subprocess.run([EXE, "export", "--csv", out, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --csv: {e.stderr}")
    if e.returncode == 0:
        with open(os.path.join(out, "threads.csv")) as f:
            rows = {int(row["tid"]): row["comm"] for row in csv.DictReader(f)}
        for tid, comm in want.items():
            check(rows.get(tid) == comm, f"threads.csv: {tid} {rows.get(tid)!r}, want {comm!r}")

    s = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
    check(s.returncode == 0, f"sched --json: {s.stderr}")
    if s.returncode == 0:
        names = {t["tid"]: t["comm"] for t in json.loads(s.stdout)["threads"]}
        for tid, comm in want.items():
            check(names.get(tid) == comm, f"sched threads: {tid} {names.get(tid)!r}, want {comm!r}")

sys.exit(1 if failures else 0)
