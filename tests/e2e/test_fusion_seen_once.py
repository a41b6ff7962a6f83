"""`infertrace fusion` wording checked against the JSON. On the H100 BERT prefill trace (../shared/fixtures/kineto-h100): its best length
(128) is one chain seen once, a one-off prologue that scores PS 1 (review FU-1). The verdict, the JSON
(per-length fused_chains_seen_once / launch_time_saved_seen_once_ns, best_length, best_length_repeated)
and the HTML report say how many of the best length's fused chains were seen only once and name the best
length over chains seen at least twice. Every expected value is computed here from the candidates' own
occurrences (--top large enough to list every fused chain). Exit 77 when the fixture is absent."""
import json
import os
import subprocess
import sys
import tempfile

exe = os.environ["INFERTRACE"]
src = os.environ["INFERTRACE_SOURCE_DIR"]
shared_dirs = [os.environ.get("INFERTRACE_SHARED_DIR", ""), os.path.join(src, "..", "shared"),
               os.path.join(src, "..", "..", "shared")]
trace = next((os.path.join(d, "fixtures", "kineto-h100", "bert_prefill_bs8.json.gz") for d in shared_dirs
              if d and os.path.isfile(os.path.join(d, "fixtures", "kineto-h100", "bert_prefill_bs8.json.gz"))), None)
if trace is None:
    print("no ../shared/fixtures/kineto-h100/bert_prefill_bs8.json.gz: skipped")
    sys.exit(77)
failures = []


def run(*args):
    return subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=300)


def check(cond, what):
    if not cond:
        failures.append(what)


def fmt_count(n):
    return "{:,}".format(n)


r = run("fusion", trace, "--json", "--top", "1000000")
check(r.returncode == 0, "fusion --json: exit %d: %s" % (r.returncode, r.stderr))
doc = json.loads(r.stdout)
K = doc["kernels"]
by_length = {l["length"]: l for l in doc["lengths"]}

# Per length, from the candidates: all fusions, those of chains seen once, and their savings.
expect = {}
for L in by_length:
    cands = [c for c in doc["candidates"] if c["length"] == L]
    once = [c for c in cands if c["occurrences"] == 1]
    rep = [c for c in cands if c["occurrences"] >= 2]
    expect[L] = {"fused": sum(c["fused"] for c in cands),
                 "once": sum(c["fused"] for c in once),
                 "once_saved": sum(c["launch_time_saved_ns"] for c in once),
                 "rep": sum(c["fused"] for c in rep),
                 "rep_saved": sum(c["launch_time_saved_ns"] for c in rep)}
    for c in once:
        check(c["fused"] == 1, "L=%d: a chain seen once fused %d times" % (L, c["fused"]))
for L, l in by_length.items():
    e = expect[L]
    check(l["fused_chains"] == e["fused"], "L=%d: candidates fused %d, row %d (--top did not list all)" % (L, e["fused"], l["fused_chains"]))
    check(l["fused_chains_seen_once"] == e["once"], "L=%d: fused_chains_seen_once %s, want %d" % (L, l.get("fused_chains_seen_once"), e["once"]))
    check(l["launch_time_saved_seen_once_ns"] == e["once_saved"],
          "L=%d: launch_time_saved_seen_once_ns %s, want %d" % (L, l.get("launch_time_saved_seen_once_ns"), e["once_saved"]))

# The verdict's length (best ideal speedup, the shorter on a tie) and the best over repeated chains.
best = None
for L in sorted(by_length):
    if best is None or by_length[L]["ideal_speedup"] > by_length[best]["ideal_speedup"]:
        best = L
rep_best, rep_speed = None, None
for L in sorted(by_length):
    if expect[L]["rep"] == 0:
        continue
    sp = K / (K - expect[L]["rep"] * (L - 1))
    if rep_best is None or sp > rep_speed:
        rep_best, rep_speed = L, sp
check(expect[best]["once"] > 0, "the fixture's best length %d has no chain seen once: the case of review FU-1 is gone" % best)
check(rep_best is not None and rep_best != best, "no distinct best length over repeated chains (%s)" % rep_best)

bl = doc.get("best_length") or {}
check(bl.get("length") == best and bl.get("fused_chains") == expect[best]["fused"]
      and bl.get("fused_chains_seen_once") == expect[best]["once"]
      and bl.get("launch_time_saved_ns") == by_length[best]["launch_time_saved_ns"], "best_length %s, want length %d" % (bl, best))
br = doc.get("best_length_repeated") or {}
rep_kf = K - expect[rep_best]["rep"] * (rep_best - 1)
check(br.get("length") == rep_best and br.get("fused_chains") == expect[rep_best]["rep"] and br.get("kernels_fused") == rep_kf
      and br.get("launch_time_saved_ns") == expect[rep_best]["rep_saved"] and abs(br.get("ideal_speedup", 0) - rep_speed) < 1e-12,
      "best_length_repeated %s, want length %d, %d fusions, %d kernels, %d ns" % (
          br, rep_best, expect[rep_best]["rep"], rep_kf, expect[rep_best]["rep_saved"]))

# The sentence, in the JSON and the text alike.
once, fused = expect[best]["once"], expect[best]["fused"]
if once == fused:
    said = "Its 1 fused chain was" if fused == 1 else "All %s of its fused chains were" % fmt_count(fused)
else:
    said = "%s of its %s fused chains %s" % (fmt_count(once), fmt_count(fused), "was" if once == 1 else "were")
want_once = said + " seen only once in the trace"
want_rep = "Over chains seen at least twice, the best is length %d: %.2fx (%s -> %s kernels) from %s fusions" % (
    rep_best, rep_speed, fmt_count(K), fmt_count(rep_kf), fmt_count(expect[rep_best]["rep"]))
verdict = doc["verdict"]
check(want_once in verdict, "verdict lacks %r: %s" % (want_once, verdict))
check(want_rep in verdict, "verdict lacks %r: %s" % (want_rep, verdict))
t = run("fusion", trace)
check(t.returncode == 0 and want_once in t.stdout and want_rep in t.stdout, "text verdict:\n" + t.stdout + t.stderr)

# The documented elision of a long chain (docs/fusion.md, review FU-8): JSON's chain keeps the first 7
# kernels and the last, the text table's the first 3 and the last.
long = [c for c in doc["candidates"] if c["length"] >= 16]
check(bool(long), "no candidate of length 16 or more to check the elision on")
for c in long[:1]:
    L = c["length"]
    check(c["chain"].count(" -> ") == 8 and "(%d more)" % (L - 8) in c["chain"], "JSON chain of L=%d: %s" % (L, c["chain"]))
    check("(%d more)" % (L - 4) in t.stdout, "text chain of L=%d lacks '(%d more)'" % (L, L - 4))

# A trace whose best length has no chain seen once: no such sentence (nullkernel, L=2 at T=0.5).
null = os.path.join(src, "examples", "traces", "nullkernel_2000.json.gz")
n = run("fusion", null, "--json", "--threshold", "0.5", "--lengths", "2,4")
nd = json.loads(n.stdout)
check(n.returncode == 0 and "seen only once" not in nd["verdict"] and nd["best_length"]["fused_chains_seen_once"] == 0
      and nd["best_length_repeated"]["length"] == nd["best_length"]["length"], "nullkernel: %s" % nd.get("verdict"))

# The HTML report of the saved JSON says it among its findings.
with tempfile.TemporaryDirectory() as tmp:
    saved = os.path.join(tmp, "bert.json")
    with open(saved, "w") as f:
        f.write(r.stdout)
    out = os.path.join(tmp, "r.html")
    h = run("report", saved, "-o", out)
    check(h.returncode == 0, "report: exit %d: %s" % (h.returncode, h.stderr))
    html = open(out).read() if h.returncode == 0 else ""
    check("at length %d, its 1 fused chain was seen only once" % best in html if fused == 1 else "seen only once" in html,
          "HTML: no seen-once finding")
    check("Over chains seen at least twice, the best is length %d: %.2fx from %d fusions" % (rep_best, rep_speed, expect[rep_best]["rep"])
          in html, "HTML: no best length over repeated chains")

# Below T = 1 the chains are not "deterministic" (PS = 1): the verdict and the HTML finding name them
# by the threshold (review FU-4; nullkernel at T = 0.995 fuses L = 8 chains of PS 0.9965).
low = run("fusion", null, "--json", "--threshold", "0.995", "--lengths", "2,4,8,16")
check(low.returncode == 0 and json.loads(low.stdout)["verdict"].startswith("Fusing chains with proximity score >= 0.995 of length 8"),
      "T=0.995 verdict: %s" % low.stdout[-400:])
with tempfile.TemporaryDirectory() as tmp:
    saved = os.path.join(tmp, "null.json")
    with open(saved, "w") as f:
        f.write(low.stdout)
    out = os.path.join(tmp, "r.html")
    h = run("report", saved, "-o", out)
    html = open(out).read() if h.returncode == 0 else ""
    check("fusing chains with proximity score &gt;= 0.995 of length 8" in html or
          "fusing chains with proximity score >= 0.995 of length 8" in html, "HTML at T=0.995: no threshold wording")
    check("fusing deterministic chains" not in html, "HTML at T=0.995 says deterministic")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok: best length %d (%d of %d fused chains seen once), best over repeated chains %d (%.2fx)" % (
    best, once, fused, rep_best, rep_speed))
