"""A syscall whose entry the recorder's map of calls in progress (--max-threads) has no room for is
counted, not lost without a word (review RC M2, the same class: the per-thread maps were LRU maps of
16,384 entries that evicted another thread's entry when full, and that call was gone with every
`dropped` counter 0).

The program starts T threads that all block in one read of a pipe until the main thread, once every
thread has said it is about to read and a moment after, writes T bytes. With room for N << T calls
in progress at once, most of those reads cannot be kept while they block. Each of the T reads is
either recorded or counted (META pending_full.syscall, which counts any other call that found the map
full too, so it is at least the reads missing); fewer than T are recorded, so the count is above 0.
Checked there, in record's summary line and in sched's stderr note and JSON. Skips (77) without root,
kernel BTF, a C compiler, the record verb, or x86-64 (syscall numbers)."""
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

T, N = 32, 4
READ = 0
PROG = r"""
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
static int p[2];
static atomic_int ready;
static pid_t tids[1024];
static void *reader(void *a) {
  tids[(long)a] = (pid_t)syscall(SYS_gettid);
  char b;
  atomic_fetch_add(&ready, 1);
  return (void *)(long)(read(p[0], &b, 1) == 1);
}
int main(int argc, char **argv) {
  int t = atoi(argv[1]);
  if (t > 1024 || pipe(p) != 0) return 2;
  pthread_t th[1024];
  for (long i = 0; i < t; i++) pthread_create(&th[i], 0, reader, (void *)i);
  while (atomic_load(&ready) < t) usleep(1000);
  usleep(300000); /* the last ones from "about to read" into the read */
  char buf[1024] = {0};
  if (write(p[1], buf, (size_t)t) != t) return 3;
  int ok = 0;
  for (int i = 0; i < t; i++) {
    void *r;
    pthread_join(th[i], &r);
    ok += (int)(long)r;
  }
  printf("{\"threads\": %d, \"read_ok\": %d, \"fd\": %d, \"tids\": [", t, ok, p[0]);
  for (int i = 0; i < t; i++) printf("%s%d", i ? ", " : "", tids[i]);
  printf("]}\n");
  return ok == t ? 0 : 1;
}
"""


with tempfile.TemporaryDirectory() as tmp:
    prog = os.path.join(tmp, "readers")
    with open(prog + ".c", "w") as f:
        f.write(PROG)
    subprocess.run([cc, "-O1", "-Wall", "-o", prog, prog + ".c", "-pthread"], check=True)
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "--cuda", "uprobe", "--events", "sched,syscall", "--max-threads", str(N),
                        "-o", rec, "--", prog, str(T)], capture_output=True, text=True, timeout=300)
    made = recorded_json(r, "record readers")
    tids = set(made.get("tids", []))
    check(made.get("read_ok") == T and len(tids) == T, f"the program's {T} threads each read once: {made}")

    meta = recording_meta(rec, tmp)
    counted = int(meta.get("pending_full.syscall", "-1"))
    check(meta.get("max_threads") == str(N), f"META max_threads {meta.get('max_threads')} = {N}")
    out = export_csv(rec, tmp)
    if out:
        rows = consistency.read_rows(out, "syscalls.csv")
        reads = [c for c in rows if c.num("nr") == READ and c.num("tid") in tids]
        print(f"{T} reads made, {len(reads)} recorded, pending_full.syscall {counted}")
        check(len(reads) < T, f"the map of {N} could not keep all {T} blocked reads: {len(reads)} recorded")
        # None lost without a word: each read is recorded or counted.
        check(len(reads) + counted >= T, f"recorded reads {len(reads)} + counted {counted} >= {T}")

    m = re.search(r"^NOT RECORDED: (\d+) syscalls? ", r.stderr, re.M)
    check(m is not None and str(m.group(1)) == meta.get("pending_full.syscall") and "--max-threads" in r.stderr,
          f"record's summary: {counted} syscalls not recorded, and the option: {r.stderr}")

    s = subprocess.run([EXE, "sched", rec, "--json"], capture_output=True, text=True, timeout=300)
    check(s.returncode == 0, f"sched: {s.returncode} {s.stderr}")
    check(f"{counted} syscalls were not recorded" in s.stderr, f"sched's stderr note: {s.stderr}")
    if s.returncode == 0:
        doc = json.loads(s.stdout)
        dropped = doc.get("sched", doc).get("dropped", {})
        check(dropped.get("pending_full_syscall") == counted, f"sched --json dropped.pending_full_syscall: {dropped}")

sys.exit(1 if failures else 0)
