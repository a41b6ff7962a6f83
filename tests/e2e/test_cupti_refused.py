"""The injection library when CUPTI refuses it (docs/record.md, "Another CUPTI client in the same
process"): a command under `record --cuda cupti` loads libinfertrace_cupti.so itself (ctypes, as the CUDA
driver would through CUDA_INJECTION64_PATH) and calls InitializeInjection. Without a GPU driver CUPTI's
subscribe fails, the same path a subscription held by another client takes: the program must go on
(InitializeInjection returns, the command exits 0), say why on stderr, and the recording must count
the process as not traced with its reason in META. Skips (77) without root, without the library, or
where a GPU driver is present (CUPTI would then accept the library)."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import EXE as exe, check, failures, skip  # noqa: E402


if os.geteuid() != 0:
    skip("needs root for eBPF")
if os.path.exists("/dev/nvidia0"):
    skip("a GPU driver is present: CUPTI would accept the library")
lib = os.path.join(os.path.dirname(os.path.realpath(exe)), "libinfertrace_cupti.so")
if not os.path.exists(lib):
    skip("build without the CUPTI injection library")

prog = ("import ctypes, os\n"
        "lib = ctypes.CDLL(os.environ['CUDA_INJECTION64_PATH'])\n"
        "print('InitializeInjection returned', lib.InitializeInjection())\n"
        "print('program still running', os.getpid())\n")

def sanitizer_env(library):
    """In the ASan+UBSan build the library links the sanitizer runtimes, which must come first in an
    uninstrumented program (python): preload them, as their documentation says, and leave Python's
    own allocations out of the leak report."""
    out = subprocess.run(["ldd", library], capture_output=True, text=True).stdout
    runtimes = re.findall(r"(lib(?:asan|ubsan)\.so[.\d]*) => (\S+)", out)
    if not runtimes:
        return None
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(path for _, path in runtimes)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    return env


with tempfile.TemporaryDirectory() as d:
    rec = os.path.join(d, "refused.itrace")
    r = subprocess.run([exe, "record", "--cuda", "cupti", "-o", rec, "--", sys.executable, "-c", prog],
                       capture_output=True, text=True, timeout=120, env=sanitizer_env(lib))
    if r.returncode != 0 and ("no eBPF recorder" in r.stderr or "CAP_BPF" in r.stderr or "BTF" in r.stderr):
        skip("no eBPF here: " + r.stderr.strip())
    check(r.returncode == 0 and "command exit status: 0" in r.stderr, "record: %s %s" % (r.stdout, r.stderr))
    check("InitializeInjection returned 1" in r.stdout and "program still running" in r.stdout,
          "the program must run on: %r" % r.stdout)
    check("this process is not traced" in r.stderr, "the library says why on stderr: %r" % r.stderr)
    check("1 process(es) not traced" in r.stderr and "0 process(es) reported" in r.stderr, "summary: %s" % r.stderr)
    m = re.search(r"program still running (\d+)", r.stdout)
    with open(rec, "rb") as f:
        data = f.read()
    if m:
        check(b"cupti.not_traced." + m.group(1).encode() in data, "META cupti.not_traced.<pid> missing")
    check(b"cupti.processes_not_traced" in data, "META cupti.processes_not_traced missing")
    a = subprocess.run([exe, "analyze", rec, "--json"], capture_output=True, text=True)
    check(a.returncode == 0, "the recording stays readable: %s" % a.stderr)

if failures:
    sys.exit(1)
print("cupti refused: ok")
