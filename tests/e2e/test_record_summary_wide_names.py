"""record's "launches per thread" lines name each launcher by its comm, which the kernel cuts at 15
bytes whatever the encoding: a thread that names itself "itn_w_" and three CJK ideographs (15 + 3
bytes) is left with half of the third one. The summary printed those bytes as they were (invalid
UTF-8) and padded the name with printf's %-16s, which counts bytes, so the count column moved
with every multi-byte name. Now the name is cleaned (a broken sequence becomes U+FFFD) and padded
to 16 terminal columns, as the tables are.

The workload (compiled here against the fake CUDA libraries) starts a thread that names itself
with prctl(PR_SET_NAME) (which cuts, unlike pthread_setname_np) and launches until record's
--duration stop; the main thread launches under an ASCII name. Expected: the summary is valid
UTF-8, the launcher's line holds the name's whole start ("itn_w_" and two ideographs), and the
count column starts at the same terminal column on both lines (widths from Python's unicodedata,
not from the program). Skips (77) without root, kernel BTF, a C compiler or the record verb."""
import os
import re
import subprocess
import sys
import tempfile
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures  # noqa: E402
from _record_prereq import compile_against_fake_cuda, require_recorder_and_cc, skip_if_recorder_refused  # noqa: E402

cc = require_recorder_and_cc()

PROG = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fake_cuda.h"

static void *launcher(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "itn_w_\xe6\xbc\xa2\xe5\xad\x97\xe5\x90"); /* 14 bytes: the last character cut */
  printf("wide %ld\n", (long)syscall(SYS_gettid));
  fflush(stdout);
  dim3 g = {1, 1, 1}, b = {32, 1, 1};
  for (;;) {
    for (int i = 0; i < 20; ++i) cudaLaunchKernel((const void *)launcher, g, b, 0, 0, (cudaStream_t)0);
    usleep(2000);
  }
  return 0;
}

int main(void) {
  prctl(PR_SET_NAME, "itn_ascii");
  printf("ascii %ld\n", (long)syscall(SYS_gettid));
  fflush(stdout);
  pthread_t t;
  pthread_create(&t, 0, launcher, 0);
  dim3 g = {1, 1, 1}, b = {32, 1, 1};
  for (;;) {
    for (int i = 0; i < 20; ++i) cudaLaunchKernel((const void *)main, g, b, 0, 0, (cudaStream_t)0);
    usleep(2000);
  }
}
"""


def columns(text):
    """Terminal columns by the Unicode data Python ships: W/F 2, combining marks 0, else 1."""
    n = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


with tempfile.TemporaryDirectory() as tmp:
    prog, libs = compile_against_fake_cuda(cc, PROG, tmp, "wide_names")
    rec = os.path.join(tmp, "run.itrace")
    r = subprocess.run([EXE, "record", "-o", rec, "--events", "launch", "--cuda", "uprobe", "--duration", "5",
                        *libs, "--", prog], capture_output=True, timeout=300)
    r.stdout, err_bytes = r.stdout.decode(errors="replace"), r.stderr
    r.stderr = err_bytes.decode(errors="replace")
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"record: {r.returncode} {r.stderr}")
    tids = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(wide|ascii) (\d+)$", r.stdout, re.M)}
    check(set(tids) == {"wide", "ascii"}, f"the workload printed its thread ids: {r.stdout!r}")
    try:
        err = err_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"record's summary is not valid UTF-8 ({e}): {err_bytes!r}")
        err = r.stderr
    lines = {int(m.group(1)): m.group(0) for m in re.finditer(r"^  tid (\d+) .*$", err, re.M)}
    for role, tid in tids.items():
        check(tid in lines, f"a summary line for the {role} thread {tid}: {err}")
    if all(tid in lines for tid in tids.values()):
        wide, ascii_line = lines[tids["wide"]], lines[tids["ascii"]]
        check(("tid %d itn_w_\u6f22\u5b57" % tids["wide"]) in wide, f"the cut name's whole start: {wide!r}")
        # Where the count starts: the columns before the line's last field, on both lines, once the
        # tids (of equal or different lengths) are set aside.
        def count_column(line, tid):
            head = line[: line.rstrip().rfind(" ") + 1]
            return columns(head) - len(str(tid))
        check(count_column(wide, tids["wide"]) == count_column(ascii_line, tids["ascii"]),
              f"the count column lines up: {wide!r} / {ascii_line!r}")

sys.exit(1 if failures else 0)
