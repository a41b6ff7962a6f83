"""The process tree under a pid, read from /proc: for tests that must wait until a recorder has
started its command (ASan start-up and probe loading take seconds under load) instead of sleeping
a fixed time."""
import os
import time

# The kernel keeps 15 bytes of a command name (TASK_COMM_LEN 16 with its NUL).
COMM_LEN = 15


def descendant_named(pid, comm, depth=8):
    """The pid of a process named comm below pid (its child, or deeper up to depth), or None."""
    parents, comms = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        # The name sits between the first "(" and the last ")": it may itself hold parentheses.
        comms[int(d)] = st[st.index("(") + 1:st.rindex(")")]
        parents[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
    for p, c in comms.items():
        if c != comm[:COMM_LEN]:
            continue
        q = parents.get(p)
        for _ in range(depth):
            if q == pid:
                return p
            q = parents.get(q)
    return None


def wait_for_descendant(proc, comm, timeout_s, depth=8):
    """Polls until a process named comm runs below the Popen proc (depth 1: its own child); its pid,
    or None when proc ended or timeout_s passed first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        found = descendant_named(proc.pid, comm, depth)
        if found is not None:
            return found
        time.sleep(0.05)
    return None
