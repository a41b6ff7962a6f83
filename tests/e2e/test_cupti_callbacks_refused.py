"""Callbacks CUPTI refused, end to end without a GPU (docs/record.md, "Refused callbacks"):
tests/support/cupti_synth/cupti_synth_recording writes a recording through the real ring and merge
from a forked synthetic producer that sends the injection library's RingCallbacks record (built by
the library's own builder). Three cases: a few refused names, a list too long for the record (cut at
its 960-byte bound, with a launch API after the cut), and no launch-class callback enabled. For
each, the META, `infertrace analyze` text and `analyze --json` (`cupti_callbacks`, null launch
figures with `launch_undefined_reason`, or `launch_partial_note`) are checked against values
computed here. The other verbs on such recordings: test_cupti_refused_every_output.py."""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures  # noqa: E402

bindir = os.environ["INFERTRACE_BINARY_DIR"]
synth = os.path.join(bindir, "tests", "support", "cupti_synth", "cupti_synth_recording")
PID = 4242          # the synthetic producer's process (cupti_synth_recording.cpp)
NAMES_MAX = 960     # kRefusedNamesMaxBytes (src/record/cupti_records.h)
LAUNCHES = 12
# Every figure a process without launch-class callbacks leaves unknown (docs/analyze.md), written
# out here: a key the code forgets to null fails.
LAUNCH_KEYS = ["launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns",
               "tklqt_queue_ns", "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration",
               "clock_skew_clamped", "duplicate_correlation_calls", "launch_thread", "host_active_ns", "host_sync_ns",
               "cpu_idle_ns", "cpu_idle_fraction", "operator_links"]
# Launch-class names (is_launch(): kernel and graph launches, async copies and sets) among those used here.
LAUNCH_CLASS = {"cuLaunchKernelEx", "cudaLaunchKernelExC_v11060", "cudaLaunchKernel_v7000", "cuLaunchKernel",
                "cudaMemcpyAsync_v3020"}


def read_meta(path):
    """The META pairs of an .itrace file (docs/recording-format.md)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"INFTRACE", "not a recording"
    at, meta = struct.unpack_from("<I", data, 12)[0], {}
    while at + 8 <= len(data):
        rtype, n = struct.unpack_from("<II", data, at)
        body = data[at + 8:at + 8 + n]
        if rtype == 1:
            k = struct.unpack_from("<I", body)[0]
            meta[body[4:4 + k].decode()] = body[4 + k:].decode()
        at += 8 + n
    return meta


def listed(names):
    """The names the record can carry: the first ones whose bytes and NULs fit NAMES_MAX."""
    out, used = [], 0
    for n in names:
        if used + len(n) + 1 > NAMES_MAX:
            break
        out.append(n)
        used += len(n) + 1
    return out


long_list = ["cuFakeRefusedApi%03d_%s" % (i, "x" * 40) for i in range(40)]  # 40 x 62 bytes: about 2.5x the bound
cases = [
    ("some", ["cuLaunchKernelEx", "cudaLaunchKernelExC_v11060"], True),
    ("long", long_list, True),
    ("long-launch", long_list + ["cuLaunchKernelEx"], True),  # its one launch API is past the cut
    ("no-launch", ["cudaLaunchKernel_v7000", "cuLaunchKernel", "cudaMemcpyAsync_v3020"], False),
]

with tempfile.TemporaryDirectory() as d:
    for name, refused, launch in cases:
        path = os.path.join(d, name + ".itrace")
        args = [synth, path, str(LAUNCHES), "--refused", ",".join(refused)] + ([] if launch else ["--no-launch-callbacks"])
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0, "%s: synthetic recording failed: %s" % (name, r.stderr))
        if r.returncode != 0:
            continue
        shown = listed(refused)
        unlisted = len(refused) - len(shown)
        if name == "long":
            check(0 < len(shown) < len(refused), "long: the test list must exceed the bound (%d listed)" % len(shown))
        # META
        m = read_meta(path)
        key = "cupti.callbacks.%d." % PID
        launch_refused = sum(n in LAUNCH_CLASS for n in refused)
        # Enabled: the launch, the copy and the sync; without launch-class callbacks the sync only.
        expected_meta = {key + "enabled": "3" if launch else "1", key + "launch_enabled": "2" if launch else "0",
                         key + "kernel_launch_enabled": "1" if launch else "0",
                         key + "refused": str(len(refused)), key + "launch_refused": str(launch_refused),
                         key + "refused_names": ",".join(shown),
                         "cupti.processes_without_launch_callbacks": "0" if launch else "1"}
        for k, v in expected_meta.items():
            check(m.get(k) == v, "%s: META %s = %r, expected %r" % (name, k, m.get(k), v))
        check(m.get("cupti.malformed_ring_records") == "0", "%s: malformed ring records %r" % (name, m.get("cupti.malformed_ring_records")))
        # analyze text
        t = subprocess.run([exe, "analyze", path], capture_output=True, text=True)
        check(t.returncode == 0, "%s: analyze failed: %s" % (name, t.stderr))
        line = "CUPTI refused %d %s in pid %d, not recorded: %s" % (len(refused), "callback" if len(refused) == 1 else "callbacks", PID, ", ".join(shown))
        if unlisted:
            line += ", and %d more not listed (the ring record holds %d names)" % (unlisted, len(shown))
        check(line + "\n" in t.stdout, "%s: analyze text lacks %r:\n%s" % (name, line, t.stdout))
        reason = ("launch calls not measured in pid %d: no launch callback enabled (CUPTI refused %s)"
                  % (PID, ", ".join(n for n in shown if n in LAUNCH_CLASS)))
        check((reason + "\n" in t.stdout) == (not launch), "%s: launch flag line in the text: %s" % (name, t.stdout))
        partial = launch and launch_refused > 0
        listed_launch = [n for n in shown if n in LAUNCH_CLASS]
        what = ", ".join(listed_launch)
        if launch_refused > len(listed_launch):
            more = launch_refused - len(listed_launch)
            what += (", and %d more not listed" % more) if listed_launch else "%d launch %s not listed" % (more, "API" if more == 1 else "APIs")
        note = ("launch figures are partial: they leave out, in pid %d: the calls of %s (CUPTI refused their callbacks)"
                % (PID, what))
        check((note + "\n" in t.stdout) == partial, "%s: partial note %r in the text: %s" % (name, note, t.stdout))
        # analyze --json
        a = subprocess.run([exe, "analyze", path, "--json"], capture_output=True, text=True)
        check(a.returncode == 0, "%s: analyze --json failed: %s" % (name, a.stderr))
        if a.returncode != 0:
            continue
        j = json.loads(a.stdout)
        expected_proc = {"pid": PID, "known": True, "callbacks_enabled": 3 if launch else 1,
                         "launch_callbacks_enabled": 2 if launch else 0,
                         "kernel_launch_callbacks_enabled": 1 if launch else 0, "launches_measured": launch,
                         "launches_partial": partial, "refused": len(refused), "launch_refused": launch_refused,
                         "launch_refused_exact": True,  # ring version 3 states the count
                         "refused_names": shown, "refused_unlisted": unlisted}
        expected = {"reported": True, "processes": [expected_proc], "launch_not_measured_pids": [] if launch else [PID],
                    "launch_partial_pids": [PID] if partial else []}
        check(j.get("cupti_callbacks") == expected, "%s: cupti_callbacks %r, expected %r" % (name, j.get("cupti_callbacks"), expected))
        check(j["kernels"] == LAUNCHES, "%s: kernels %r" % (name, j["kernels"]))
        if launch:
            check(j["launch_calls"] == LAUNCHES + 1 and "launch_undefined_reason" not in j,
                  "%s: measured launches %r / %r" % (name, j["launch_calls"], j.get("launch_undefined_reason")))
            check(j.get("launch_partial_note") == (note if partial else None),
                  "%s: launch_partial_note %r" % (name, j.get("launch_partial_note")))
        else:
            # No launch-class call was recorded: 0 would read as a count. Every launch figure is null.
            check(all(k in j and j[k] is None for k in LAUNCH_KEYS), "no-launch: launch figures %r" % {k: j.get(k) for k in LAUNCH_KEYS})
            check(j.get("launch_undefined_reason") == reason, "no-launch: reason %r" % j.get("launch_undefined_reason"))

if failures:
    sys.exit(1)
print("cupti callbacks refused: ok")
