"""A thread that renames itself and is then never switched out (nor woken) before the recording
stops is named by its new name: the recorder writes the rename itself (the kernel's
task:task_rename tracepoint, a TASK record of kind 4, docs/recording-format.md). Before, names came
only from switch, wake-up, fork, exec and exit records, so such a thread kept the name of its last
switch row.

The workload (plain cc, no CUDA) names its main thread, starts a thread that names itself
`itr_old` and sleeps a few times (switch rows under that name), then takes SCHED_FIFO 99 on a CPU
of its own (no ordinary task preempts it there for the next ~0.95 s, the kernel's RT share),
renames itself `itr_new`, prints its id and spins without a system call; the test then stops
record with SIGTERM (record ignores the traced command's own signals), and record's SIGTERM to the
command ends the process. The events after the stop (the spinner's switch-outs and exit) are left
out of the recording. Record runs pinned to another CPU. The spinner gives up after 30 s.

Checks: the SQLite task table holds the spinner's rename with its new name, and the main thread's,
but none for the command's exec (the exec's own rename is its EXEC record); record's summary counts
every TASK record under `task`; `export --sqlite`'s thread table, `export --csv`'s threads.csv and
`sched --json` name the spinner `itr_new`. Whether the spinner was switched out after its rename
(another process on its CPU in that window) is said on stdout: only without such a switch does the
name check exercise the rename record alone, as it did in the runs made for this test. Skips (77)
without root, kernel BTF, a C compiler or the record verb."""
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import require_recorder_and_cc, skip_if_recorder_refused  # noqa: E402

cc = require_recorder_and_cc()

PROG = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int spin_cpu = -1;
static volatile unsigned long sink;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* the vDSO: no system call */
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spinner(void *arg) {
  (void)arg;
  if (spin_cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(spin_cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  prctl(PR_SET_NAME, "itr_old");
  for (int i = 0; i < 5; ++i) usleep(20000); /* switch rows under the old name */
  struct sched_param p = {.sched_priority = 99};
  int rt = pthread_setschedparam(pthread_self(), SCHED_FIFO, &p) == 0;
  prctl(PR_SET_NAME, "itr_new");
  printf("{\"tid\": %ld, \"rt\": %d}\n", (long)syscall(SYS_gettid), rt);
  fflush(stdout); /* the test stops record now; this thread never sleeps again */
  const double until = now_s() + 30;
  while (now_s() < until) sink++;
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1) spin_cpu = atoi(argv[1]);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, 0); /* the spinner inherits the mask: main takes the stop */
  prctl(PR_SET_NAME, "itr_main");
  pthread_t t;
  pthread_create(&t, 0, spinner, 0);
  struct timespec limit = {120, 0};
  int s = sigtimedwait(&stop, 0, &limit);
  return s == SIGTERM || s == SIGINT ? 0 : 3; /* no stop within 120 s: record failed */
}
"""

with tempfile.TemporaryDirectory() as tmp:
    prog = os.path.join(tmp, "rename_spin")
    with open(prog + ".c", "w") as f:
        f.write(PROG)
    subprocess.run([cc, "-O1", "-Wall", "-o", prog, prog + ".c", "-pthread"], check=True)
    cpus = sorted(os.sched_getaffinity(0))
    rec_cpu, spin_cpu = (cpus[0], cpus[1]) if len(cpus) > 1 else (None, -1)
    rec = os.path.join(tmp, "run.itrace")
    p = subprocess.Popen([EXE, "record", "-o", rec, "--events", "sched,wakeup", "--cuda", "uprobe", "--", prog,
                          str(spin_cpu)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=(lambda: os.sched_setaffinity(0, {rec_cpu})) if rec_cpu is not None else None)
    first = p.stdout.readline()  # the spinner's line, printed after its rename
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=300)
    r = subprocess.CompletedProcess(p.args, p.returncode, first + rest, err)
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"record: {r.returncode} {r.stdout} {r.stderr}")
    made = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    check(len(made) == 1, f"the workload printed its spinner's id: {r.stdout!r}")
    spin = made[0]["tid"] if made else -1
    print(f"spinner {'on' if made and made[0]['rt'] else 'without'} SCHED_FIFO, CPU {spin_cpu}, record on CPU {rec_cpu}")
    m = re.search(r"^events:.* task (\d+)", r.stderr, re.M)
    check(m is not None, f"record's summary counts task records: {r.stderr}")
    summary_tasks = int(m.group(1)) if m else -1

    db = os.path.join(tmp, "run.sqlite")
    e = subprocess.run([EXE, "export", "--sqlite", db, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --sqlite: {e.stderr}")
    rename_ts = None
    if e.returncode == 0:
        con = sqlite3.connect(db)
        try:
            renames = con.execute("SELECT ts_ns, tid, comm, parent_tid FROM task WHERE kind = 'rename' ORDER BY ts_ns").fetchall()
            task_rows = con.execute("SELECT count(*) FROM task").fetchone()[0]
            threads = dict(con.execute("SELECT tid, comm FROM thread").fetchall())
            main_tid = con.execute("SELECT tid FROM task WHERE kind = 'exec'").fetchall()
            pid_rows = con.execute("SELECT DISTINCT pid FROM task").fetchall()
        finally:
            con.close()
        spin_renames = [(ts, c) for ts, tid, c, _ in renames if tid == spin]
        check([c for _, c in spin_renames] == ["itr_old", "itr_new"],
              f"the spinner's renames are recorded, each with its new name: {renames}")
        check(all(p is None for *_, p in renames), f"a rename has no parent_tid: {renames}")
        check(len(main_tid) == 1, f"one exec (the command's): {main_tid}")
        if len(main_tid) == 1:
            main = main_tid[0][0]
            check([c for _, tid, c, _ in renames if tid == main] == ["itr_main"],
                  f"the main thread's prctl is recorded, the exec's own rename is not: {renames}")
        check(len(pid_rows) == 1, f"one traced process: {pid_rows}")
        check(summary_tasks == task_rows, f"record's summary counts {summary_tasks} task records, the file holds {task_rows}")
        check(threads.get(spin) == "itr_new", f"sqlite thread table names the spinner {threads.get(spin)!r}, want 'itr_new'")
        rename_ts = spin_renames[-1][0] if spin_renames else None

    out = os.path.join(tmp, "csv")
    e = subprocess.run([EXE, "export", "--csv", out, rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --csv: {e.stderr}")
    if e.returncode == 0:
        with open(os.path.join(out, "threads.csv")) as f:
            rows = {int(row["tid"]): row["comm"] for row in csv.DictReader(f)}
        check(rows.get(spin) == "itr_new", f"threads.csv names the spinner {rows.get(spin)!r}, want 'itr_new'")
        if rename_ts is not None:
            with open(os.path.join(out, "switches.csv")) as f:
                after = [row for row in csv.DictReader(f)
                         if int(row["prev_tid"]) == spin and int(row["ts_ns"]) > rename_ts]
            print(f"spinner switched out {len(after)} times after its rename before the stop"
                  + (" (the rename record alone names it)" if not after else
                     " (another task ran on its CPU: its switch rows name it too)"))

    s = subprocess.run([EXE, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
    check(s.returncode == 0, f"sched --json: {s.stderr}")
    if s.returncode == 0:
        names = {t["tid"]: t["comm"] for t in json.loads(s.stdout)["threads"]}
        check(names.get(spin) == "itr_new", f"sched names the spinner {names.get(spin)!r}, want 'itr_new'")

sys.exit(1 if failures else 0)
