"""What every end-to-end test needs: the binary under test, a failure list that `check` appends to
(so one run reports every failed expectation, not just the first), and `run` for the CLI."""
import os
import subprocess
import sys

EXE = os.environ["INFERTRACE"]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def skip(why):
    """Ends the test as skipped (ctest's SKIP_RETURN_CODE 77), saying why."""
    print("skip:", why)
    sys.exit(77)


def run(*args, timeout=600):
    return subprocess.run([EXE, *args], capture_output=True, text=True, errors="replace", timeout=timeout)
