"""Review BT57's findings on `bench interference`, end to end.
- M1: the iperf3 client started a fixed 300 ms after its server; a server slower to listen (a busy
  machine) lost the run with "Connection refused", said as a load that "ended while the command ran"
  (--load-limit). A fake `iperf3` on PATH listens only after 1.5 s (its client fails when refused, as
  the real one does): every net run must count. A server that exits before it listens is said so.
  With the real iperf3 installed, a few net runs beside a CPU hog must all count too.
- L2: a disk load in a RAM-backed --out-dir (/dev/shm) is warned about on stderr and in the JSON.
- L3: --pin-cpus covering every CPU the command may use says pinning is a no-op.
Fake `fio` and `stress-ng` (they only sleep) stand in for L2 and L3: nothing loads the machine."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import EXE, check, failures, sanitized  # noqa: E402

FAKE_IPERF = r'''#!/usr/bin/env python3
import os, socket, sys, time
a = sys.argv[1:]
port = int(a[a.index("-p") + 1])
if "-s" in a:
    if os.environ.get("FAKE_IPERF_SERVER_FAIL"):
        sys.stderr.write("iperf3: error - unable to start listener for connections: Address already in use\n")
        sys.exit(1)
    time.sleep(float(os.environ.get("FAKE_IPERF_LISTEN_DELAY", "1.5")))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    c, _ = s.accept()
    while c.recv(65536):
        pass
else:
    try:
        c = socket.create_connection(("127.0.0.1", port))
    except OSError as e:
        sys.stderr.write("iperf3: error - unable to connect to server: %s\n" % e.strerror)
        sys.exit(1)
    while True:
        c.sendall(b"x" * 4096)
        time.sleep(0.01)
'''


def bench(env, out, *args):
    return subprocess.run([EXE, "bench", "interference", "--record", "off", "--json", "--out-dir", out, *args],
                          capture_output=True, text=True, errors="replace", timeout=300, env=env)


with tempfile.TemporaryDirectory() as tmp:
    fake_bin = os.path.join(tmp, "fakebin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "iperf3"), "w") as f:
        f.write(FAKE_IPERF)
    os.chmod(os.path.join(fake_bin, "iperf3"), 0o755)
    for tool in ("fio", "stress-ng"):
        with open(os.path.join(fake_bin, tool), "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        os.chmod(os.path.join(fake_bin, tool), 0o755)
    env = dict(os.environ, PATH=fake_bin + ":" + os.environ["PATH"])

    # L3: the command may use CPU 0 only (taskset), and --pin-cpus 0 is all of it.
    r = subprocess.run(["taskset", "-c", "0", EXE, "bench", "interference", "--record", "off", "--json", "--out-dir",
                        os.path.join(tmp, "l3"), "--scenarios", "pinned", "--pin-cpus", "0", "-r", "1", "--warmup", "0.05",
                        "--", "true"], capture_output=True, text=True, errors="replace", timeout=120, env=env)
    check(r.returncode == 0, "L3: rc %d: %s" % (r.returncode, r.stderr[-600:]))
    if r.returncode == 0:
        sc = json.loads(r.stdout)["scenarios"][0]
        check("pinning is a no-op" in sc["description"] and "pinned to" not in sc["description"],
              "L3: description %r" % sc["description"])
        check(len(sc["warnings"]) == 1 and "covers every CPU" in sc["warnings"][0], "L3: warnings %r" % sc["warnings"])
        check("warning: pinned: --pin-cpus 0 covers every CPU" in r.stderr, "L3: no warning on stderr: %s" % r.stderr[-600:])

    # L2: a disk load in /dev/shm (tmpfs).
    if os.path.isdir("/dev/shm") and subprocess.run(["stat", "-f", "-c", "%T", "/dev/shm"], capture_output=True,
                                                     text=True).stdout.strip() == "tmpfs":
        shm = "/dev/shm/infertrace-bt57-%d" % os.getpid()
        try:
            r = bench(env, shm, "--scenarios", "disk", "-r", "1", "--warmup", "0.05", "--", "true")
        finally:
            shutil.rmtree(shm, ignore_errors=True)
        check(r.returncode == 0, "L2: rc %d: %s" % (r.returncode, r.stderr[-600:]))
        if r.returncode == 0:
            sc = json.loads(r.stdout)["scenarios"][0]
            check("(on tmpfs: memory writes, no block device)" in sc["description"], "L2: description %r" % sc["description"])
            check(len(sc["warnings"]) == 1 and "no block device" in sc["warnings"][0], "L2: warnings %r" % sc["warnings"])
            check("warning: disk: the disk load writes to %s/noise-scratch-" % shm in r.stderr,
                  "L2: no warning on stderr: %s" % r.stderr[-600:])
        r = bench(env, os.path.join(tmp, "l2disk"), "--scenarios", "disk", "-r", "1", "--warmup", "0.05", "--", "true")
        if r.returncode == 0 and subprocess.run(["stat", "-f", "-c", "%T", tmp], capture_output=True,
                                                text=True).stdout.strip() not in ("tmpfs", "ramfs"):
            check(json.loads(r.stdout)["scenarios"][0]["warnings"] == [], "L2: a warning on a disk: %s" % r.stdout[-400:])
    else:
        print("L2: /dev/shm is no tmpfs here: not run")

    # M1: a server that listens 1.5 s after it started; the command runs 0.3 s.
    r = bench(env, os.path.join(tmp, "m1"), "--scenarios", "net", "-r", "2", "--warmup", "0.1", "--", "sleep", "0.3")
    check(r.returncode == 0, "M1: rc %d: %s" % (r.returncode, r.stderr[-600:]))
    if r.returncode == 0:
        sc = json.loads(r.stdout)["scenarios"][0]
        errors = [x["error"] for x in sc["runs"] if x["error"]]
        check(sc["runs_ok"] == 2, "M1: %d of 2 net runs counted with a server slow to listen: %s" % (sc["runs_ok"], errors))
        check("Connection refused" not in r.stderr, "M1: the client was refused: %s" % r.stderr[-600:])

    # M1: a server that exits before it listens: said so, and not as a load-limit matter.
    r = bench(dict(env, FAKE_IPERF_SERVER_FAIL="1"), os.path.join(tmp, "m1fail"), "--scenarios", "net", "-r", "1",
              "--warmup", "0.1", "--", "sleep", "0.1")
    if r.returncode == 0 or r.stdout.strip().startswith("{"):
        sc = json.loads(r.stdout)["scenarios"][0]
        err = (sc["runs"] or [{"error": ""}])[0]["error"] or ""
        check(sc["runs_ok"] == 0, "M1 fail: a run counted without its server")
        check("exited (status 1) before it listened" in err and "Address already in use" in err,
              "M1 fail: the error does not say the server exited before it listened: %r" % err)
        check("load-limit" not in err, "M1 fail: the error names --load-limit: %r" % err)
    else:
        check(False, "M1 fail: rc %d, no JSON: %s" % (r.returncode, r.stderr[-600:]))

    # M1: a server that never listens: the run is given up after 30 s, said so.
    r = bench(dict(env, FAKE_IPERF_LISTEN_DELAY="90"), os.path.join(tmp, "m1never"), "--scenarios", "net", "-r", "1",
              "--warmup", "0.1", "--", "sleep", "0.1")
    try:
        sc = json.loads(r.stdout)["scenarios"][0]
        err = (sc["runs"] or [{"error": ""}])[0]["error"] or ""
    except (ValueError, KeyError, IndexError):
        sc, err = {"runs_ok": None}, "(no JSON) " + r.stderr[-400:]
    check(sc["runs_ok"] == 0 and re.search(r"was not listening after 3\d\.\d s, so its client was not started", err),
          "M1 never: %r" % err)

    # M1 with the real iperf3 beside a CPU hog (the review's repro, shortened): no run lost.
    real = [t for t in ("iperf3", "stress-ng") if subprocess.run(["which", t], capture_output=True).returncode != 0]
    if real:
        print("M1 real: %s not installed: not run" % ", ".join(real))
    else:
        hog = subprocess.Popen(["stress-ng", "--cpu", "4", "--timeout", "60", "--quiet"])
        try:
            r = bench(dict(os.environ), os.path.join(tmp, "m1real"), "--scenarios", "net", "-r", "4", "--warmup", "0.05",
                      "--", "sleep", "0.05")
        finally:
            hog.terminate()
            hog.wait()
        check(r.returncode == 0, "M1 real: rc %d: %s" % (r.returncode, r.stderr[-600:]))
        if r.returncode == 0:
            sc = json.loads(r.stdout)["scenarios"][0]
            check(sc["runs_ok"] == 4, "M1 real: %d of 4 net runs counted: %s" %
                  (sc["runs_ok"], [x["error"] for x in sc["runs"] if x["error"]]))

    # Review WD57 M2: without /proc (a mount namespace with it unmounted) the readiness wait cannot
    # read the socket tables; it waits the old fixed 300 ms rather than the whole timeout, and the
    # real iperf3's run counts (it waited 30 s and dropped every run).
    if real or os.geteuid() != 0 or not shutil.which("unshare") or sanitized():
        print("M1 without /proc: needs root, unshare and iperf3, and no sanitizer runtime (it reads /proc): not run")
    else:
        probe = subprocess.run(["unshare", "-m", "sh", "-c", "umount -l /proc && test ! -e /proc/net/tcp"],
                               capture_output=True)
        if probe.returncode != 0:
            print("M1 without /proc: cannot unmount /proc in a mount namespace here: not run")
        else:
            r = subprocess.run(["unshare", "-m", "sh", "-c", 'umount -l /proc && exec "$@"', "sh", EXE, "bench",
                                "interference", "--record", "off", "--json", "--out-dir", os.path.join(tmp, "noproc"),
                                "--scenarios", "net", "-r", "1", "--warmup", "0.05", "--", "sleep", "0.05"],
                               capture_output=True, text=True, errors="replace", timeout=120)
            check(r.returncode == 0, "M1 without /proc: rc %d: %s" % (r.returncode, r.stderr[-600:]))
            if r.returncode == 0:
                sc = json.loads(r.stdout)["scenarios"][0]
                check(sc["runs_ok"] == 1, "M1 without /proc: %d of 1 net runs counted: %s" %
                      (sc["runs_ok"], [x["error"] for x in sc["runs"] if x["error"]]))

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
