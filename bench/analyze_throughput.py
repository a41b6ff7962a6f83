#!/usr/bin/env python3
"""Throughput and memory of `infertrace analyze --json` (ingest plus the full analysis) on large
Kineto traces: the figure of issue 2's goal (1 GB/s of uncompressed JSON per core, peak RSS at
most 2x the JSON, linear from 10 MB up).

Traces are made once with bench/make_large_trace.py from a shipped example (kept in --dir), in
Kineto's own layout and in the one-line layout.

How a file got into the page cache changes what mapping it costs (Linux 6.x): read from disk, the
cache holds it in large folios (readahead), which map a folio at a time; just written by a
process's small writes, it holds 4 KB pages, each mapped on its own (on this project's VM that
was 0.2-0.35 s of system time per GB against ~0.15). `--page-cache reread` (the default: a
trace on disk, read before) writes each file back, drops it from the cache and reads it once;
`as-written` leaves the cache as the generator left it. Every round runs each (size, layout) once, in
turn, so slow moments of a shared machine spread over all of them; per case it prints the median
and best CPU time (user + system, from wait4's rusage: on one core the time the work took), the
GB/s of CPU those give, the median wall time, and the peak RSS next to the JSON size.

Every run also pays a fixed cost that does not grow with the trace: process start-up (dynamic
linking, initialisers, page faults of the executable) and writing the report. Each round also
runs an empty trace (`{"traceEvents": []}`); its median CPU time is printed, and the last column
is the GB/s of what is left past it, (size) / (CPU - empty CPU): the rate at which the trace
itself is read and analysed, which is what "linear from 10 MB up" is about.

    python3 bench/analyze_throughput.py --bin build/dev/src/infertrace --sizes 10,100,1000 --rounds 5
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def make_trace(source, path, mb, layout):
    if os.path.exists(path):
        return
    tmp = path + ".part"
    subprocess.run([sys.executable, os.path.join(HERE, "make_large_trace.py"), source, tmp, "--mb", str(mb),
                    "--layout", layout], check=True, stdout=subprocess.DEVNULL)
    os.replace(tmp, path)


def reread(path):
    """Drop the file's pages from the page cache and read it once, as a reader of a trace on disk
    would have it cached."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        while os.read(fd, 1 << 20):
            pass
    finally:
        os.close(fd)


def run_once(binary, path):
    """CPU seconds (user + system), wall seconds and peak RSS bytes of one `analyze --json`."""
    start = time.monotonic()
    with open(os.devnull, "wb") as devnull:
        p = subprocess.Popen([binary, "analyze", path, "--json"], stdout=devnull, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{binary} analyze {path} failed: {err.strip()}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build/dev/src/infertrace"))
    ap.add_argument("--source", default=os.path.join(ROOT, "examples/traces/gpt2_prefill_bs1.json.gz"))
    ap.add_argument("--dir", default="/tmp/infertrace-bench", help="where the large traces are made and kept")
    ap.add_argument("--sizes", default="10,100,1000", help="MB (10^6 bytes), comma-separated")
    ap.add_argument("--layouts", default="source,oneline", help="make_large_trace.py layouts (source, oneline, compact)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--page-cache", choices=("reread", "as-written"), default="reread")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        raise SystemExit(f"{a.bin}: not an executable (build it first: cmake --build build/dev --target infertrace)")
    os.makedirs(a.dir, exist_ok=True)
    cases = []
    for layout in a.layouts.split(","):
        for mb in a.sizes.split(","):
            path = os.path.join(a.dir, f"{layout}_{mb}mb.json")
            make_trace(a.source, path, float(mb), layout)
            cases.append((layout, mb, path, os.path.getsize(path)))
    empty = os.path.join(a.dir, "empty.json")
    with open(empty, "w") as f:
        f.write('{"traceEvents": []}\n')
    if a.page_cache == "reread":
        for _, _, path, _ in cases:
            reread(path)
    results = {c[2]: [] for c in cases}
    fixed = []
    for _ in range(a.rounds):
        fixed.append(run_once(a.bin, empty)[0])
        for _, _, path, _ in cases:
            results[path].append(run_once(a.bin, path))
    fixed_med = statistics.median(fixed)
    load = os.getloadavg()
    print(f"infertrace analyze --json, {a.rounds} rounds, page cache {a.page_cache}, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"empty trace (fixed cost of a run): CPU s median {fixed_med:.4f}, best {min(fixed):.4f}")
    print(f"{'layout':8} {'JSON MB':>8} {'CPU s med':>9} {'GB/s med':>8} {'GB/s best':>9} {'wall s med':>10} "
          f"{'peak RSS MB':>11} {'RSS/JSON':>8} {'GB/s past fixed':>15}")
    for layout, _, path, size in cases:
        cpu = [r[0] for r in results[path]]
        wall = [r[1] for r in results[path]]
        rss = max(r[2] for r in results[path])
        med = statistics.median(cpu)
        print(f"{layout:8} {size / 1e6:8.1f} {med:9.3f} {size / 1e9 / med:8.2f} {size / 1e9 / min(cpu):9.2f} "
              f"{statistics.median(wall):10.3f} {rss / 1e6:11.1f} {rss / size:8.2f} "
              f"{size / 1e9 / max(med - fixed_med, 1e-9):15.2f}")


if __name__ == "__main__":
    main()
