"""Callbacks CUPTI refused, end to end without a GPU (docs/record.md, "Refused callbacks"):
tests/support/cupti_synth/cupti_synth_recording writes a recording through the real ring and merge
from a forked synthetic producer that sends the injection library's RingCallbacks record (built by
the library's own builder). Three cases: a few refused names, a list too long for the record (cut at
its 960-byte bound), and no launch callback enabled. For each, the META, `infertrace analyze` text
and `analyze --json` (`cupti_callbacks`, and null launch figures with `launch_undefined_reason`)
are checked against values computed here."""
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
LAUNCH_KEYS = ["launch_calls", "linked_launch_calls", "graph_launches", "tklqt_ns", "tklqt_launch_ns",
               "tklqt_queue_ns", "api_time_ns", "bound", "orphan_launch_calls", "launch_calls_unknown_duration"]


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
    ("no-launch", ["cudaLaunchKernel_v7000", "cuLaunchKernel"], False),
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
        expected_meta = {key + "enabled": "3" if launch else "2", key + "launch_enabled": "1" if launch else "0",
                         key + "refused": str(len(refused)), key + "refused_names": ",".join(shown),
                         "cupti.processes_without_launch_callbacks": "0" if launch else "1"}
        for k, v in expected_meta.items():
            check(m.get(k) == v, "%s: META %s = %r, expected %r" % (name, k, m.get(k), v))
        check(m.get("cupti.malformed_ring_records") == "0", "%s: malformed ring records %r" % (name, m.get("cupti.malformed_ring_records")))
        # analyze text
        t = subprocess.run([exe, "analyze", path], capture_output=True, text=True)
        check(t.returncode == 0, "%s: analyze failed: %s" % (name, t.stderr))
        line = "CUPTI refused %d callback(s) in pid %d, not recorded: %s" % (len(refused), PID, ", ".join(shown))
        if unlisted:
            line += ", and %d more not listed (the ring record holds %d names)" % (unlisted, len(shown))
        check(line + "\n" in t.stdout, "%s: analyze text lacks %r:\n%s" % (name, line, t.stdout))
        reason = "no launch callback enabled: launch counts for pid %d are not measured" % PID
        check((reason + "\n" in t.stdout) == (not launch), "%s: launch flag line in the text: %s" % (name, t.stdout))
        # analyze --json
        a = subprocess.run([exe, "analyze", path, "--json"], capture_output=True, text=True)
        check(a.returncode == 0, "%s: analyze --json failed: %s" % (name, a.stderr))
        if a.returncode != 0:
            continue
        j = json.loads(a.stdout)
        expected_proc = {"pid": PID, "callbacks_enabled": 3 if launch else 2, "launch_callbacks_enabled": 1 if launch else 0,
                         "launches_measured": launch, "refused": len(refused), "refused_names": shown,
                         "refused_unlisted": unlisted}
        expected = {"reported": True, "processes": [expected_proc], "launch_not_measured_pids": [] if launch else [PID]}
        check(j.get("cupti_callbacks") == expected, "%s: cupti_callbacks %r, expected %r" % (name, j.get("cupti_callbacks"), expected))
        check(j["kernels"] == LAUNCHES, "%s: kernels %r" % (name, j["kernels"]))
        if launch:
            check(j["launch_calls"] == LAUNCHES + 1 and "launch_undefined_reason" not in j,
                  "%s: measured launches %r / %r" % (name, j["launch_calls"], j.get("launch_undefined_reason")))
        else:
            # Only the memcpy was recorded: 1 would read as a count. Every launch figure is null.
            check(all(k in j and j[k] is None for k in LAUNCH_KEYS), "no-launch: launch figures %r" % {k: j.get(k) for k in LAUNCH_KEYS})
            check(j.get("launch_undefined_reason") == reason, "no-launch: reason %r" % j.get("launch_undefined_reason"))

if failures:
    sys.exit(1)
print("cupti callbacks refused: ok")
