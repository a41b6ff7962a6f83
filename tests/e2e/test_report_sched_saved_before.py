"""report of a recording given with its own saved `sched --json`, for a recording without context
switch events (review DV M2, M3): the saved analysis is shown once with the one made from the
recording whether it was saved now (switch counts null) or before 2026-12-03 (those counts 0, no
flags). The recording is the fuzz corpus's workload_small.itrace with its SWITCH and WAKEUP records
removed and a META `events` saying only launches and syscalls were asked for (record types from
docs/recording-format.md); no eBPF needed."""
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

META, SWITCH, WAKEUP = 1, 3, 4
src = os.path.join(os.environ["INFERTRACE_SOURCE_DIR"], "fuzz", "corpus", "recording", "workload_small.itrace")


def without_switches(data):
    """The recording's bytes: its 16-byte header, a META events=launch,syscall record, then every
    record but SWITCH and WAKEUP."""
    header_bytes = struct.unpack_from("<I", data, 12)[0]
    key, value = b"events", b"launch,syscall"
    meta = struct.pack("<I", len(key)) + key + value
    out = [data[:header_bytes], struct.pack("<II", META, len(meta)) + meta]
    off, dropped = header_bytes, 0
    while off + 8 <= len(data):
        rtype, length = struct.unpack_from("<II", data, off)
        if rtype in (SWITCH, WAKEUP):
            dropped += 1
        else:
            out.append(data[off:off + 8 + length])
        off += 8 + length
    check(dropped > 0, "the corpus recording has no switch or wakeup record to remove")
    return b"".join(out)


def sections(page_path):
    with open(page_path) as f:
        return f.read().count("Scheduler and IRQ impact")


with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "nosw.itrace")
    with open(src, "rb") as f, open(rec, "wb") as g:
        g.write(without_switches(f.read()))
    s = run("sched", "--json", rec)
    check(s.returncode == 0, f"sched --json exit {s.returncode}: {s.stderr}")
    new = json.loads(s.stdout) if s.returncode == 0 else {}
    # The case at issue: no switch events, so the counts are null now.
    check(new.get("switches_recorded") is False and new.get("switch_outs", 0) is None, f"sched --json: {s.stdout[:400]}")
    old = dict(new)
    for k in ("switch_outs", "preemptions", "blocks", "switch_ins_missing"):
        old[k] = 0
    for k in ("switches_recorded", "irqs_recorded", "launches_measured"):
        old.pop(k, None)
    if new.get("irqs_recorded") is False:
        for k in ("irq_count_hard", "irq_count_soft", "irq_nested", "irq_stolen_ns"):
            old[k] = 0
    alone = os.path.join(tmp, "alone.html")
    a = run("report", rec, "-o", alone)
    check(a.returncode == 0 and sections(alone) > 0, f"report of the recording: {a.returncode} {a.stderr}")
    for name, doc in (("new.json", new), ("old.json", old)):
        saved = os.path.join(tmp, name)
        with open(saved, "w") as f:
            json.dump(doc, f)
        page = os.path.join(tmp, name + ".html")
        h = run("report", rec, saved, "-o", page)
        check(h.returncode == 0 and "shown once" in h.stderr, f"report with {name}: {h.returncode} {h.stderr}")
        if h.returncode == 0 and a.returncode == 0:
            check(sections(page) == sections(alone), f"{name}: {sections(page)} scheduler sections, the recording alone "
                                                     f"has {sections(alone)}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok")
