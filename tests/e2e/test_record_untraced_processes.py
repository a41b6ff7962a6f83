"""Past the recorder's traced set (--max-processes), new processes of the traced tree are not traced,
and the recording says so instead of losing them without a word (review RC M2: with 9,000 live
children the set of 8,192 took 8,191, the other 809 children's getppid calls were missing with every
`dropped` counter 0 and no note, and those children still read as traced processes with switches
and no syscalls).

The program forks K children that all stay alive, blocked on a pipe, until the last one exists; then
each makes exactly 10 getppid calls and exits, and the parent prints the children's pids in fork
order. With room for M processes, the command itself takes one entry, so the first M - 1 children
are traced (entries leave only when a traced process's leader is freed, after its reaping: none
before the last fork) and the other K - M + 1 are not. Checked: the getppid rows (10 per traced
child), the thread table (the command and the traced children only: no untraced pid), META
untraced.processes and untraced.pids, record's summary line, sched's stderr note and its JSON
`dropped.untraced_processes`. A small M keeps it quick (forking thousands is slow on a small CI
machine). Skips (77) without root, kernel BTF, a C compiler, the record verb, or x86-64 (syscall
numbers)."""
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE, check, failures, skip  # noqa: E402
import _switch_consistency as consistency  # noqa: E402
from _record_prereq import export_csv, recorded_json, require_recorder_and_cc, recording_meta  # noqa: E402

if platform.machine() != "x86_64":
    skip("the syscall numbers here are x86-64's")
cc = require_recorder_and_cc()

K, M, CALLS = 120, 40, 10
GETPPID = 110
PROG = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int k = atoi(argv[1]), calls = atoi(argv[2]);
  int p[2];
  if (pipe(p) != 0) return 2;
  pid_t *pids = calloc((size_t)k, sizeof *pids);
  int made = 0;
  for (int i = 0; i < k; i++) {
    pid_t c = fork();
    if (c == 0) {
      char b;
      close(p[1]);
      if (read(p[0], &b, 1) != 0) _exit(3); /* EOF once the parent closes its end */
      for (int j = 0; j < calls; j++) syscall(SYS_getppid);
      _exit(0);
    }
    if (c < 0) break;
    pids[made++] = c;
  }
  close(p[1]);
  int reaped = 0, status, bad = 0;
  while (wait(&status) > 0) {
    reaped++;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) bad++;
  }
  printf("{\"children\": %d, \"reaped\": %d, \"failed\": %d, \"pids\": [", made, reaped, bad);
  for (int i = 0; i < made; i++) printf("%s%d", i ? ", " : "", pids[i]);
  printf("]}\n");
  return made == k && reaped == k && bad == 0 ? 0 : 1;
}
"""


with tempfile.TemporaryDirectory() as tmp:
    prog = os.path.join(tmp, "manyproc")
    with open(prog + ".c", "w") as f:
        f.write(PROG)
    subprocess.run([cc, "-O1", "-Wall", "-o", prog, prog + ".c"], check=True)
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall", "--max-processes", str(M),
                        "-o", rec, "--", prog, str(K), str(CALLS)], capture_output=True, text=True, timeout=300)
    made = recorded_json(r, "record manyproc")
    pids = made.get("pids", [])
    check(made.get("children") == K and len(pids) == K, f"the program forked {K} children: {made}")
    # From the program's own numbers: the command and the first M - 1 children fill the set.
    traced_children, untraced = pids[:M - 1], pids[M - 1:]
    want_untraced = K - (M - 1)
    print(f"children {K}, room for {M} processes: {len(traced_children)} traced, {want_untraced} not")

    # record's summary says it, with the count.
    m = re.search(r"^NOT TRACED: (\d+) new process", r.stderr, re.M)
    check(m is not None and int(m.group(1)) == want_untraced,
          f"record's summary: {want_untraced} new processes not traced: {r.stderr}")
    check(f"{M} processes at once" in r.stderr and "--max-processes" in r.stderr,
          f"record's summary names the size and the option: {r.stderr}")

    meta = recording_meta(rec, tmp)
    check(meta.get("untraced.processes") == str(want_untraced),
          f"META untraced.processes {meta.get('untraced.processes')} = {want_untraced}")
    check(meta.get("max_processes") == str(M), f"META max_processes {meta.get('max_processes')} = {M}")
    listed = [int(p) for p in meta.get("untraced.pids", "").split(",") if p]
    check(listed == untraced[:len(listed)] and len(listed) == min(want_untraced, 64),
          f"META untraced.pids names the children forked past the set's room, in fork order: {listed} vs {untraced}")

    out = export_csv(rec, tmp)
    if out:
        calls = consistency.read_rows(out, "syscalls.csv")
        got = [c for c in calls if c.num("nr") == GETPPID]
        check(len(got) == CALLS * len(traced_children),
              f"getppid rows {len(got)} = {CALLS} x {len(traced_children)} traced children")
        check({c.num("pid") for c in got} == set(traced_children),
              f"getppid rows come from the traced children only: {sorted({c.num('pid') for c in got})}")
        threads = consistency.read_rows(out, "threads.csv")
        thread_pids = {t.num("pid") for t in threads}
        check(not thread_pids & set(untraced),
              f"no untraced child in the thread table: {sorted(thread_pids & set(untraced))}")
        check(set(traced_children) <= thread_pids, "every traced child is in the thread table")

    s = subprocess.run([EXE, "sched", rec, "--json"], capture_output=True, text=True, timeout=300)
    check(s.returncode == 0, f"sched: {s.returncode} {s.stderr}")
    check(f"{want_untraced} new processes of the traced tree were not traced" in s.stderr and "--max-processes" in s.stderr,
          f"sched's stderr note says {want_untraced} processes were not traced: {s.stderr}")
    if s.returncode == 0:
        doc = json.loads(s.stdout)
        dropped = doc.get("sched", doc).get("dropped", {})
        check(dropped.get("untraced_processes") == want_untraced,
              f"sched --json dropped.untraced_processes = {want_untraced}: {dropped}")

    # Without the option the default set holds far more than K + 1 processes: nothing is left out.
    r2 = subprocess.run([EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall", "-o", rec, "--", prog,
                         str(K), str(CALLS)], capture_output=True, text=True, timeout=300)
    recorded_json(r2, "record manyproc (default size)")
    check("NOT TRACED" not in r2.stderr, f"with the default size every child is traced: {r2.stderr}")
    meta = recording_meta(rec, tmp)
    check(meta.get("untraced.processes") == "0", f"META untraced.processes 0: {meta.get('untraced.processes')}")

sys.exit(1 if failures else 0)
