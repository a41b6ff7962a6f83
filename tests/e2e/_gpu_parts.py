"""Dry runs of the GPU checks (scripts/gpu_checks.sh and its parts) without a GPU: a stand-in
`infertrace` script answers what a part asks, and a part runs the way the driver runs it."""
import os
import subprocess

SRC = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def write_stand_in(folder, text):
    """The stand-in binary `text` as `folder`/infertrace, executable; returns its path."""
    path = os.path.join(folder, "infertrace")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def source_part(part, tmp, stand_in, **env_extra):
    """Runs scripts/gpu_checks.d/`part` as gpu_checks.sh does (its own bash, `set -uo pipefail`,
    the driver's `log`), with IT = the stand-in, B = tmp, OUT = tmp/out and LOG = tmp/calls.log (the
    stand-in's call log). Returns (completed process, stdout + stderr, calls logged, OUT)."""
    it = write_stand_in(tmp, stand_in)
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    log = os.path.join(tmp, "calls.log")
    open(log, "w").close()
    script = 'log() { echo "== $*"; }; source scripts/gpu_checks.d/%s' % part
    env = dict(os.environ, IT=it, B=tmp, OUT=out, LOG=log, **env_extra)
    r = subprocess.run(["bash", "-c", "set -uo pipefail; " + script], cwd=SRC, env=env, capture_output=True,
                       text=True, timeout=300)
    return r, r.stdout + r.stderr, open(log).read().splitlines(), out
