"""Scheduler analysis of a real recording with induced contention. A workload built here (a fake CUDA
driver + runtime library, the runtime calling the driver as the real ones do, and a program launching
through it while busy threads compete for the same CPUs and it sleeps now and then) is recorded with
`infertrace record`; then `infertrace sched --json` must show preemptions and a positive penalty, and
its launch pairs, penalty, Sched/1K and tail shares must equal a plain recomputation here from the
CSV export of the same recording (docs/sched.md). Skips (77) without the record verb, root or a C
compiler."""
import csv
import json
import re
import math
import os
import shutil
import subprocess
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, skip  # noqa: E402
from _record_prereq import skip_if_recorder_refused  # noqa: E402
from _report_page import fmt_ns, row, section_text  # noqa: E402


if os.geteuid() != 0:
    skip("needs root for eBPF")
cc = shutil.which("cc") or shutil.which("gcc")
if not cc:
    skip("no C compiler")
rec_help = subprocess.run([exe, "record", "--help"], capture_output=True, text=True)
usage = [line for line in rec_help.stdout.splitlines() if line.startswith("Usage:")]
if rec_help.returncode != 0 or not usage or " record" not in usage[0]:
    skip("this build has no record verb")

LIB = r"""
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shm, void *stream, void **params, void **extra) {
  __asm__ volatile("" ::: "memory");
  return 0;
}
int cudaLaunchKernel(const void *f, unsigned long long grid, unsigned gz, unsigned long long block, unsigned bz,
                     void **args, unsigned long shm, void *stream) {
  return cuLaunchKernel((void *)f, 1, 1, 1, 1, 1, 1, 0, stream, args, 0);
}
"""
PROG = r"""
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
int cudaLaunchKernel(const void *, unsigned long long, unsigned, unsigned long long, unsigned, void **, unsigned long, void *);
static atomic_int stop;
static void *busy(void *a) { (void)a; while (!atomic_load(&stop)) { } return 0; }
static void spin_us(long us) {
  struct timespec t0, t; clock_gettime(CLOCK_MONOTONIC, &t0);
  do clock_gettime(CLOCK_MONOTONIC, &t); while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}
int main(void) {
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], 0, busy, 0);
  for (int i = 0; i < 4000; i++) {
    cudaLaunchKernel((void *)main, 1, 1, 1, 1, 0, 0, 0);
    spin_us(50);
    if (i % 200 == 199) usleep(2000);  /* a voluntary sleep now and then: blocked pairs */
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(th[i], 0);
  return 0;
}
"""


def nearest_rank(sorted_vals, p):
    if not sorted_vals:
        return 0
    r = max(1, min(len(sorted_vals), math.ceil(p / 100.0 * len(sorted_vals))))
    return sorted_vals[r - 1]


def fmt_pct(share):
    """As the tool's format_pct (src/util/units.cpp): a nonzero share that one decimal rounds to 0
    reads "<0.1%" (">-0.1%" below 0), an exact 0 "0.0%". (An IRQ share under 0.05% of a loaded run's
    wall printed "<0.1%" and failed the comparison with "0.0%".)"""
    s = "%.1f%%" % (share * 100.0)
    if share > 0 and s == "0.0%":
        return "<0.1%"
    if share < 0 and s == "-0.0%":
        return ">-0.1%"
    return s


def pct_or(share):
    """A share the JSON may lack (an older build): "-" then, so the check fails instead of raising."""
    return fmt_pct(share) if share is not None else "-"


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return int(s) if s not in ("", None) else None


with tempfile.TemporaryDirectory() as tmp:
    lib = os.path.join(tmp, "libcudart.so.12")
    prog = os.path.join(tmp, "contend")
    with open(os.path.join(tmp, "lib.c"), "w") as f:
        f.write(LIB)
    with open(os.path.join(tmp, "prog.c"), "w") as f:
        f.write(PROG)
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", lib, os.path.join(tmp, "lib.c")], check=True)
    subprocess.run([cc, "-O1", "-o", prog, os.path.join(tmp, "prog.c"), lib, "-pthread", "-Wl,-rpath," + tmp], check=True)

    rec = os.path.join(tmp, "run.itrace")
    args = [exe, "record", "-o", rec]
    if "--lib" in rec_help.stdout:
        args += ["--lib", lib]
    if "--cuda" in rec_help.stdout:
        args += ["--cuda", "uprobe"]  # the fake library is probed with uprobes, GPU or not
    r = subprocess.run(args + ["--", prog], capture_output=True, text=True, timeout=300)
    skip_if_recorder_refused(r)
    check(r.returncode == 0, f"record exit {r.returncode}: {r.stderr}")

    probe = subprocess.run([exe, "sched", rec], capture_output=True, text=True, timeout=300)
    if probe.returncode != 0 and "unknown format" in probe.stderr:
        skip("load_trace() does not read recordings in this build yet: " + probe.stderr.strip()[:200])

    csv_dir = os.path.join(tmp, "csv")
    # An earlier export of a Kineto trace into the same directory leaves a gpu.csv; the recording
    # has no GPU rows, so its export must remove it rather than leave it beside the new tables.
    kineto = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "examples", "traces", "nullkernel_2000.json.gz")
    k = subprocess.run([exe, "export", "--csv", csv_dir, kineto], capture_output=True, text=True, timeout=300)
    check(k.returncode == 0 and os.path.exists(os.path.join(csv_dir, "gpu.csv")), f"kineto export: {k.stderr}")
    e = subprocess.run([exe, "export", "--csv", csv_dir, rec], capture_output=True, text=True, timeout=300)
    check(not os.path.exists(os.path.join(csv_dir, "gpu.csv")), "a stale gpu.csv stayed beside the recording's tables")
    # The HTML report of a recording carries its scheduler analysis.
    html = os.path.join(tmp, "rec.html")
    h = subprocess.run([exe, "report", rec, "-o", html], capture_output=True, text=True, timeout=300)
    check(h.returncode == 0 and "Scheduler/IRQ" in h.stdout, f"report of a recording: {h.returncode} {h.stdout} {h.stderr}")
    page = ""
    if h.returncode == 0:
        with open(html) as f:
            page = f.read()
            check("Scheduler and IRQ impact" in page, "the report of a recording has no scheduler section")
    s = subprocess.run([exe, "sched", "--json", rec], capture_output=True, text=True, timeout=300)
    check(e.returncode == 0, f"export --csv exit {e.returncode}: {e.stderr}")
    check(s.returncode == 0, f"sched --json exit {s.returncode}: {s.stderr}")
    # The recording and its saved `sched --json` together: one scheduler section and one finding,
    # in either order, the one computed from the recording kept.
    if s.returncode == 0 and h.returncode == 0:
        saved_sched = os.path.join(tmp, "rec_sched.json")
        with open(saved_sched, "w") as f:
            f.write(s.stdout)
        for order in ([rec, saved_sched], [saved_sched, rec]):
            html3 = os.path.join(tmp, "both.html")
            h3 = subprocess.run([exe, "report", *order, "-o", html3], capture_output=True, text=True, timeout=300)
            check(h3.returncode == 0 and "shown once" in h3.stderr, f"report of both: {h3.returncode} {h3.stderr}")
            if h3.returncode == 0:
                check(h3.stdout.count("Scheduler/IRQ") == 1, f"one scheduler finding: {h3.stdout}")
                check("Scheduler/IRQ (" + os.path.basename(rec) + " (scheduler))" in h3.stdout, f"the fresh one kept: {h3.stdout}")
                with open(html3) as f:
                    both_page = f.read()
                check(both_page.count("Scheduler and IRQ impact") == page.count("Scheduler and IRQ impact"),
                      "the report of both has as many scheduler sections as the recording's alone")
        # Saved from another directory (its "source" is the bare file name) with --per-thread: still
        # matched, and the saved one is kept for its per-thread syscall tables.
        pt = subprocess.run([exe, "sched", "--json", "--per-thread", os.path.basename(rec)], cwd=tmp,
                            capture_output=True, text=True, timeout=300)
        check(pt.returncode == 0 and json.loads(pt.stdout).get("syscalls_by_thread"), f"sched --per-thread: {pt.stderr}")
        if pt.returncode == 0:
            saved_pt = os.path.join(tmp, "rec_sched_pt.json")
            with open(saved_pt, "w") as f:
                f.write(pt.stdout)
            for order in ([rec, saved_pt], [saved_pt, rec]):
                html4 = os.path.join(tmp, "both_pt.html")
                h4 = subprocess.run([exe, "report", *order, "-o", html4], cwd="/", capture_output=True, text=True,
                                    timeout=300)
                check(h4.returncode == 0 and "shown once, as rec_sched_pt.json" in h4.stderr,
                      f"report of the recording and its --per-thread analysis: {h4.returncode} {h4.stderr}")
                if h4.returncode == 0:
                    check(h4.stdout.count("Scheduler/IRQ") == 1, f"one scheduler finding: {h4.stdout}")
                    with open(html4) as f:
                        check("Syscalls of tid " in f.read(), "the per-thread tables were dropped")
    if e.returncode == 0 and s.returncode == 0:
        got = json.loads(s.stdout)
        threads = rows(os.path.join(csv_dir, "threads.csv"))
        launches = rows(os.path.join(csv_dir, "launches.csv"))
        switches = rows(os.path.join(csv_dir, "switches.csv"))
        irqs = rows(os.path.join(csv_dir, "irqs.csv"))
        pids = {num(t["pid"]) for t in threads} | {num(l["pid"]) for l in launches}
        tids = {num(t["tid"]) for t in threads} | {num(l["tid"]) for l in launches}
        traced = lambda pid, tid: pid in pids or tid in tids  # noqa: E731

        def is_launch(api):
            return "Synchronize" not in api and ("Launch" in api or ("Memcpy" in api and "Async" in api)
                                                 or ("Memset" in api and "Async" in api))

        per_thread = {}
        for l in launches:
            if is_launch(l["api"]):
                d = num(l["dur_ns"])
                per_thread.setdefault(num(l["tid"]), []).append((num(l["ts_ns"]), d if d is not None else -1))
        logical = {}
        for tid, calls in per_thread.items():
            calls.sort(key=lambda c: (c[0], -c[1]))
            kept, end = [], None
            for ts, dur in calls:
                if kept and (ts < end or ts == kept[-1]):
                    continue
                kept.append(ts)
                end = ts + dur if dur > 0 else ts
            logical[tid] = kept
        n_launches = sum(len(v) for v in logical.values())
        outs = {}
        for w in switches:
            if traced(num(w["prev_pid"]), num(w["prev_tid"])):
                outs.setdefault(num(w["prev_tid"]), []).append((num(w["ts_ns"]), w["preempted"] in ("1", "true")))
        # A softirq the thread ran as its own work (source softirq_own, since 2026-12-06) interrupted
        # nothing: no pair group or rate counts it (docs/sched.md, IRQ/1K).
        irqs = [q for q in irqs if q["source"] != "softirq_own"]
        irq_by_tid = {}
        for q in irqs:
            irq_by_tid.setdefault(num(q["tid"]), []).append(num(q["ts_ns"]))
        # docs/metrics.md §5: switched (preempted when any switch-out was involuntary, else blocked)
        # and interrupted are separate flags; clean is neither. "interrupted_only" is the exclusive
        # group the verdict uses (interrupted and not switched).
        groups = {"clean": [], "interrupted": [], "interrupted_only": [], "preempted": [], "blocked": []}
        all_pairs = []
        for tid, ts in logical.items():
            o = sorted(outs.get(tid, []))
            qs = irq_by_tid.get(tid, [])
            for a, b in zip(ts, ts[1:]):
                inside = [p for (t, p) in o if a <= t < b]
                hit = any(a <= t < b for t in qs)
                if inside:
                    g = "preempted" if any(inside) else "blocked"
                elif hit:
                    g = "interrupted_only"
                else:
                    g = "clean"
                groups[g].append(b - a)
                if hit:
                    groups["interrupted"].append(b - a)
                all_pairs.append((b - a, g, hit))
        # The median as Python's statistics module takes it (mean of the middle two for an even count).
        # An empty group has no median: null in the JSON (review CP: 0 before the cm merge).
        med = {g: statistics.median(v) if v else None for g, v in groups.items()}
        switched = groups["preempted"] + groups["blocked"]
        want_penalty = round(statistics.median(switched) - med["clean"]) if switched and groups["clean"] else None
        n_outs = sum(len(v) for v in outs.values())
        want_sched = 1000.0 * n_outs / n_launches if n_launches else 0.0

        check(got["launches"] == n_launches, f"launches {got['launches']} != {n_launches}")
        for g, v in groups.items():
            check(got["pairs"][g]["count"] == len(v), f"{g} pairs {got['pairs'][g]['count']} != {len(v)}")
            # "share": the group's pairs over all pairs (the terminal's share column).
            want_share = len(v) / len(all_pairs) if all_pairs else None
            check(got["pairs"][g].get("share") is not None and want_share is not None and
                  abs(got["pairs"][g]["share"] - want_share) < 1e-12, f"{g} share {got['pairs'][g].get('share')} != {want_share}")
            if med[g] is None:
                check(got["pairs"][g]["median_ns"] is None and got["pairs"][g]["p50_ns"] is None,
                      f"{g}: empty group, median {got['pairs'][g]['median_ns']} p50 {got['pairs'][g]['p50_ns']} (want null)")
                continue
            check(got["pairs"][g]["median_ns"] is not None and abs(got["pairs"][g]["median_ns"] - med[g]) < 1e-6,
                  f"{g} median {got['pairs'][g]['median_ns']} != {med[g]}")
            check(got["pairs"][g]["p50_ns"] is not None and abs(got["pairs"][g]["p50_ns"] - med[g]) <= 0.5,
                  f"{g} p50 {got['pairs'][g]['p50_ns']} != {med[g]}")
        check(got["penalty_ns"]["overall"] is not None and want_penalty is not None and
              abs(got["penalty_ns"]["overall"] - want_penalty) <= 1, f"penalty {got['penalty_ns']['overall']} != {want_penalty}")
        check(abs(got["sched_per_1k"] - want_sched) < 1e-9, f"Sched/1K {got['sched_per_1k']} != {want_sched}")
        ds = sorted(d for d, _, _ in all_pairs)
        for pct, key in ((95, "p95"), (99, "p99")):
            thr = nearest_rank(ds, pct)
            tail = [(g, hit) for d, g, hit in all_pairs if d >= thr]
            for g, share_key in (("preempted", "preempted"), ("blocked", "blocked"),
                                 ("interrupted_only", "interrupted_only"), ("clean", "application")):
                want = sum(1 for x, _ in tail if x == g) / len(tail)
                check(abs(got["tail"][key][share_key] - want) < 1e-12, f"tail {key} {share_key} {got['tail'][key][share_key]} != {want}")
            want = sum(1 for _, hit in tail if hit) / len(tail)
            check(abs(got["tail"][key]["interrupted"] - want) < 1e-12, f"tail {key} interrupted {got['tail'][key]['interrupted']} != {want}")
        # Scheduler impact: over switched pairs, d - median clean d, divided by the wall time the
        # analysis states (its span of the recording, docs/sched.md).
        if switched and groups["clean"] and got["wall_ns"] > 0:
            want_impact = sum(d - med["clean"] for d in switched) / got["wall_ns"]
            check(abs(got["scheduler_impact"] - want_impact) < 1e-9, f"impact {got['scheduler_impact']} != {want_impact}")
            # Its two parts, over preempted and over blocked pairs (they name the verdict's signature
            # when no cause explains the tail).
            for g in ("preempted", "blocked"):
                want_part = sum(d - med["clean"] for d in groups[g]) / got["wall_ns"] if groups[g] else 0.0
                check(got.get("impact_" + g) is not None and abs(got["impact_" + g] - want_part) < 1e-9,
                      f"impact_{g} {got.get('impact_' + g)} != {want_part}")
        # IRQ time as a share of wall: the JSON's own two figures (docs/sched.md irq_stolen_share).
        check(got.get("irqs_recorded") is True and got.get("irq_stolen_share") is not None and got["wall_ns"] > 0 and
              abs(got["irq_stolen_share"] - got["irq_stolen_ns"] / got["wall_ns"]) < 1e-12,
              f"irq_stolen_share {got.get('irq_stolen_share')} != {got['irq_stolen_ns']} / {got['wall_ns']}")
        # The terminal prints the same two shares (computed in one place with the JSON's).
        term = subprocess.run([exe, "sched", rec], capture_output=True, text=True, timeout=300).stdout
        if got.get("irq_stolen_share") is not None:
            check(f"{fmt_ns(got['irq_stolen_ns'])} ({fmt_pct(got['irq_stolen_share'])} of wall)" in term,
                  "terminal IRQ time differs from the JSON's share")
        pair_line = [l for l in term.splitlines() if l.startswith("all ")]
        check(pair_line and pair_line[0].split()[1:3] == [f"{got['pairs']['all']['count']:,}", pct_or(got["pairs"]["all"].get("share"))],
              f"terminal pair row {pair_line} differs from the JSON")
        # --top N cuts the syscall table at N rows and says how many it left out (--json has all).
        n_names = len(got.get("syscalls", {}))
        check(n_names > 1, f"the recording has {n_names} syscall names; --top needs more than one to cut")
        top1 = subprocess.run([exe, "sched", rec, "--top", "1"], capture_output=True, text=True, timeout=300).stdout
        check(f"  ... {n_names - 1} more syscalls (--top N shows more; --json has all)" in top1,
              f"sched --top 1: the syscall table of {n_names} names is not cut at 1 row: {top1[-1500:]}")
        # IRQ/1K: the IRQs that hit a traced thread (own softirqs left out above), per 1000 logical
        # launches, hard and soft apart.
        for kind in ("hard", "soft"):
            n = sum(1 for q in irqs if q["kind"] == kind and traced(num(q["pid"]), num(q["tid"])))
            want = 1000.0 * n / n_launches if n_launches else 0.0
            check(abs(got["irq_per_1k_" + kind] - want) < 1e-9, f"IRQ/1K {kind} {got['irq_per_1k_' + kind]} != {want}")
        # Off-CPU per thread: switch-out to the next switch-in; a second switch-out before any
        # switch-in (one the kernel did not report) restarts the interval.
        events = {}
        for w in switches:
            if traced(num(w["prev_pid"]), num(w["prev_tid"])):
                events.setdefault(num(w["prev_tid"]), []).append((num(w["ts_ns"]), 0))
            if traced(num(w["next_pid"]), num(w["next_tid"])):
                events.setdefault(num(w["next_tid"]), []).append((num(w["ts_ns"]), 1))
        missing = 0
        for tid, ev in events.items():
            out_at, off = None, 0
            for ts, kind in sorted(ev):  # at equal times the switch-out (0) first
                if kind == 0:
                    missing += out_at is not None
                    out_at = ts
                elif out_at is not None:
                    off += ts - out_at
                    out_at = None
            check(got["offcpu_ns"].get(str(tid)) == off, f"off-CPU of {tid}: {got['offcpu_ns'].get(str(tid))} != {off}")
        check(got["switch_ins_missing"] == missing, f"switch_ins_missing {got['switch_ins_missing']} != {missing}")
        # The induced contention must show: preemptions and a positive penalty.
        check(got["pairs"]["preempted"]["count"] > 0, "no preempted pairs under contention")
        check(got["preemptions"] > 0, "no preemptions")
        check(want_penalty is not None and got["penalty_ns"]["overall"] > 0, f"penalty not positive: {got['penalty_ns']}")
        check(got["launches"] == 4000, f"{got['launches']} logical launches, workload made 4000")

        # The report's scheduler section shows these same figures as `sched` prints them
        # (docs/report.md): labels in words, times in ns/us/ms/s, shares in %, rates with one decimal.
        if page:
            text = section_text(page, "doc-0")
            check(0 <= text.find("Verdict: ") < text.find("Launch pairs"), f"the verdict does not come first: {text[:300]}")
            check(got["verdict"] in text, "the verdict paragraph is missing")
            a = got["pairs"]["all"]
            pre = got["pairs"]["preempted"]
            for want in (
                row("all", f"{a['count']:,}", pct_or(a.get("share")), fmt_ns(a["p50_ns"]), fmt_ns(a["p90_ns"]), fmt_ns(a["p99_ns"])),
                row("switched: preempted", f"{pre['count']:,}", pct_or(pre.get("share")), fmt_ns(pre["p50_ns"])),
                row("IRQ time on traced threads (nesting counted once)",
                    f"{fmt_ns(got['irq_stolen_ns'])} ({pct_or(got.get('irq_stolen_share'))} of wall;"),
                row("preemption penalty (switched - clean median)", fmt_ns(got["penalty_ns"]["overall"])),
                row("scheduler impact (share of wall)", fmt_pct(got["scheduler_impact"])),
                row("scheduler impact, preempted pairs", fmt_pct(got["impact_preempted"])),
                row("scheduler impact, blocked pairs", fmt_pct(got["impact_blocked"])),
                row("Sched/1K (switch-outs per 1000 launches)", "%.1f" % got["sched_per_1k"],
                    "(preempt %.1f, block %.1f)" % (got["preempt_per_1k"], got["block_per_1k"])),
                row("IRQ/1K soft (softirqs per 1000 launches)", "%.1f" % got["irq_per_1k_soft"]),
                row(">= P95", fmt_ns(got["tail"]["p95"]["threshold_ns"]), f"{got['tail']['p95']['pairs']:,}",
                    fmt_pct(got["tail"]["p95"]["preempted"]), fmt_pct(got["tail"]["p95"]["blocked"])),
            ):
                check(want in text, f"report section lacks {want!r}")
            main = got["main_thread"]
            check(row("main launching thread off-CPU", fmt_ns(main["offcpu_ns"]), f"({fmt_pct(main['offcpu_share'])} of wall,")
                  in text, "main thread off-CPU row")
            if got["syscalls"]:
                name, sc = max(got["syscalls"].items(), key=lambda kv: kv[1]["total_ns"])
                check(row(name, f"{sc['count']:,}") + f"{sc['errors']:,} {fmt_ns(sc['total_ns'])} {fmt_ns(sc['mean_ns'])}"
                      in text, f"syscall row of {name}")
            for key in ("scheduler_impact", "impact_preempted", "impact_blocked", "sched_per_1k", "irq_per_1k", "penalty_ns", "total_ns", "wall_share",
                        "offcpu", "interrupted_only", "switch_outs", "runq", "p50_ns", "irq_stolen_share"):
                check(key not in text, f"the report shows the raw key {key}")

        # The terminal's metric table shows the impact and its two parts as the JSON has them.
        for label, key in (("scheduler impact (share of wall)", "scheduler_impact"),
                           ("  in preempted pairs", "impact_preempted"), ("  in blocked pairs", "impact_blocked")):
            want = pct_or(got.get(key))  # null here would be a bug: "-" never matches the table's value
            check(got.get(key) is not None and
                  re.search(r"(?m)^" + re.escape(label) + r" +" + re.escape(want) + r" *$", probe.stdout),
                  f"sched's table lacks {label!r} {want}")

        # A saved `analyze --json` of several inputs, the recording among them: each trace under its
        # file name, the recording's scheduler section labelled by it, no raw key anywhere.
        both = subprocess.run([exe, "analyze", "--json", kineto, rec], capture_output=True, text=True, timeout=300)
        check(both.returncode == 0, f"analyze --json of two inputs: {both.stderr}")
        if both.returncode == 0:
            doc = json.loads(both.stdout)
            saved = os.path.join(tmp, "analyze.json")
            with open(saved, "w") as f:
                f.write(both.stdout)
            html2 = os.path.join(tmp, "analyze.html")
            h2 = subprocess.run([exe, "report", saved, "-o", html2], capture_output=True, text=True, timeout=300)
            check(h2.returncode == 0, f"report of analyze --json: {h2.stderr}")
            if h2.returncode == 0:
                with open(html2) as f:
                    text = section_text(f.read(), "doc-0")
                sd = doc["traces"][1]["sched"]
                head_k, head_r = text.find("Trace: " + kineto), text.find("Trace: " + rec)
                sched_head = text.find("Scheduler, IRQs and syscalls: " + rec)
                check(0 <= head_k < head_r < sched_head < text.find("Verdict: "), "trace headings / scheduler section out of order")
                check(sd["verdict"] in text, "the recording's verdict is missing from the saved analysis")
                check(text.count("Verdict: ") == 1, "a scheduler section for the Kineto trace too")
                sa = sd["pairs"]["all"]
                check(row("all", f"{sa['count']:,}", pct_or(sa.get("share")), fmt_ns(sa["p50_ns"])) in text,
                      "the recording's pair row in the saved analysis")
                keys = set()

                # Field names, not the names of syscalls and IRQs that key their tables.
                name_maps = ("syscalls", "hardirqs", "softirqs")

                def walk(j, names=False):
                    if isinstance(j, dict):
                        for k, v in j.items():
                            if "_" in k and not names:
                                keys.add(k)
                            walk(v, k in name_maps and not names)
                    elif isinstance(j, list):
                        for v in j:
                            walk(v)
                walk(doc)
                shown = sorted(k for k in keys if k in text)
                check(not shown, f"the saved analysis shows raw keys {shown}")
                check(("- Scheduler/IRQ (analyze.json: %s): " % rec) in h2.stdout, f"finding of the recording: {h2.stdout}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
