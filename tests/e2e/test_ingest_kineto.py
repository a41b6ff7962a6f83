"""`infertrace ingest --json` on every shipped example trace (and the shared fixtures when present)
against a plain Python reading of the same JSON: table sizes, kernel/memcpy/memset split, launch
and sync calls, host threads. Also: a malformed trace exits 1 naming the file and byte offset, a
usage error exits 2, a big piece-wise read equals the whole read."""
import glob
import gzip
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _kineto_plain  # noqa: E402

BIN = os.environ.get("INFERTRACE")
SRC = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
if not BIN or not os.path.exists(BIN):
    print("SKIP: INFERTRACE binary not set")
    sys.exit(77)


def plain_counts(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        doc = json.load(f)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    c = {"kernels": 0, "memcpys": 0, "memsets": 0, "api_calls": 0, "launch_calls": 0, "sync_calls": 0,
         "operators": 0, "user_annotations": 0}
    threads = set()
    for e in events:
        if e.get("ph") != "X" or "ts" not in e or "dur" not in e:
            continue
        cat = e.get("cat", "")
        if cat in ("kernel", "Kernel"):
            c["kernels"] += 1
        elif cat in ("gpu_memcpy", "Memcpy"):
            c["memcpys"] += 1
        elif cat in ("gpu_memset", "Memset"):
            c["memsets"] += 1
        elif cat in _kineto_plain.API_CATS:
            c["api_calls"] += 1
            c["launch_calls"] += _kineto_plain.is_launch(e["name"])
            c["sync_calls"] += "Synchronize" in e["name"]
            threads.add((e["pid"], e["tid"]))
        elif cat in _kineto_plain.OP_CATS:
            c["operators"] += 1
            c["user_annotations"] += cat == "user_annotation"
            threads.add((e["pid"], e["tid"]))
    c["gpu_activities"] = c["kernels"] + c["memcpys"] + c["memsets"]
    c["threads"] = len(threads)
    return c


def ingest(*args):
    r = subprocess.run([BIN, "ingest", "--json", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def main():
    files = sorted(glob.glob(os.path.join(SRC, "examples", "traces", "*.json*")))
    for shared in {os.environ.get("INFERTRACE_SHARED", ""), os.path.join(SRC, "..", "shared"), os.path.join(SRC, "shared")}:
        files += sorted(glob.glob(os.path.join(shared, "fixtures", "kineto-h100", "*.json*")))
    assert files, "no example traces"
    for path in files:
        want = plain_counts(path)
        got = ingest(path)
        for k, v in want.items():
            assert got[k] == v, f"{path}: {k} = {got[k]}, plain reading says {v}"
        assert got["skipped"] == {}, f"{path}: {got['skipped']}"
        assert got["schema_version"] == 1
    print(f"counts match on {len(files)} traces")

    with tempfile.TemporaryDirectory() as d:
        # The same trace decompressed, replicated 20x into one larger array, read whole and in pieces.
        with gzip.open(files[0], "rt") as f:
            doc = json.load(f)
        doc["traceEvents"] = doc["traceEvents"] * 20
        big = os.path.join(d, "big.json")
        with open(big, "w") as f:
            json.dump(doc, f)
        whole = ingest(big)
        pieces = ingest(big, "--chunk-bytes", "100000")
        assert int(pieces["meta"]["ingest.pieces"]) > 1
        for k in ("gpu_activities", "api_calls", "operators", "threads", "skipped"):
            assert whole[k] == pieces[k], k
        assert whole["kernels"] == 20 * plain_counts(files[0])["kernels"]

        # Malformed input: exit 1, message names the file and the byte offset.
        bad = os.path.join(d, "bad.json")
        text = '{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "a'
        with open(bad, "wb") as f:
            f.write(text.encode() + b"\xff" + b'", "ts": 1, "dur": 1}]}')
        r = subprocess.run([BIN, "ingest", bad], capture_output=True, text=True)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert f"{bad}: byte {len(text)}" in r.stderr, r.stderr
        # A malformed literal in an id (`nul`: simdjson's type() looks at its first byte only) is
        # invalid JSON too, not an absent id (review CR 4): read whole by the on-demand reader, and in
        # one-event pieces, where the direct scan leaves that event to the on-demand reader.
        for chunk in ("0", "1"):
            text = ('{"traceEvents": [' + ", ".join(
                ['{"ph": "X", "cat": "cpu_op", "name": "a", "ts": 1, "dur": 1}'] * 3) +
                ', {"ph": "X", "cat": "kernel", "name": "k", "ts": 2, "dur": 1, "args": {"correlation": ')
            with open(bad, "w") as f:
                f.write(text + 'nul, "stream": 7}}, {"ph": "X", "cat": "cpu_op", "name": "b", "ts": 3, "dur": 1}]}')
            r = subprocess.run([BIN, "ingest", "--chunk-bytes", chunk, bad], capture_output=True, text=True)
            assert r.returncode == 1, (chunk, r.returncode, r.stderr)
            assert f"{bad}: byte {len(text)}: invalid JSON" in r.stderr, r.stderr
        # Usage error: exit 2.
        r = subprocess.run([BIN, "ingest", "--chunk-bytes", "x", bad], capture_output=True, text=True)
        assert r.returncode == 2, (r.returncode, r.stderr)
        r = subprocess.run([BIN, "ingest", "--help"], capture_output=True, text=True)
        assert r.returncode == 0 and "chunk-bytes" in r.stdout
    print("ok")


if __name__ == "__main__":
    main()
