"""`record` as an unprivileged user (review DX L2): the error names the capabilities and a setcap
command that can be pasted as it is, naming this very binary (before, `$(command -v infertrace)`,
which names nothing for a build run by its path, as the README runs it). The binary is copied to a
folder whose name has a space, so the command must quote it; the quoted path is then read back by
/bin/sh to check it names the copy."""
import os
import re
import shutil
import subprocess
import tempfile

from _harness import EXE, check, failures, skip

if os.geteuid() != 0 or shutil.which("setpriv") is None:
    skip("needs root and setpriv to run as another user")

with tempfile.TemporaryDirectory() as d:
    os.chmod(d, 0o755)
    folder = os.path.join(d, "my tools")
    os.mkdir(folder)
    os.chmod(folder, 0o755)
    exe = os.path.join(folder, "infertrace")
    shutil.copy(EXE, exe)
    os.chmod(exe, 0o755)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", exe, "record",
                        "-o", os.path.join(d, "x.itrace"), "--", "true"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 1, "exit %d (want 1): %s" % (r.returncode, r.stderr))
    check("CAP_BPF and CAP_PERFMON" in r.stderr and "effective uid 65534" in r.stderr, r.stderr)
    m = re.search(r"`sudo setcap (\S+) (.+)`", r.stderr)
    check(m is not None, "no setcap command in: " + r.stderr)
    if m:
        check(m.group(1) == "cap_bpf,cap_perfmon,cap_sys_resource+ep", "capabilities: " + m.group(1))
        named = subprocess.run(["/bin/sh", "-c", "printf %s " + m.group(2)], capture_output=True, text=True).stdout
        check(named == exe, "the command names %r, not the binary %r" % (named, exe))

if failures:
    raise SystemExit(1)
print("ok")
