"""End-to-end: the Low findings of review EB (docs/engine.md).
L1: `model info` (text and --json `model_error`) reports the tokenizer checks `engine run` fails
    on (no token list, no tokenizer model, bos/eos id outside the vocabulary), with its message.
L3: tensors whose data bytes overlap: `model info` warns (and `overlapping_tensors` counts them),
    `engine run` refuses the file (exit 1) naming the pair.
L5: --prompt-tokens below 1 is a usage error saying so; `model tokenize --batch` names the element
    that is no string; a GGUF string with a NUL byte is quoted whole, escaped (\\x00); "1 token",
    not "1 tokens"; `bench membw` marks oversubscribed rows and says when the arrays are under 4x
    the last-level cache; `demo` removes the -o folder it made when it fails before writing.
L6: the context messages say the rule counts the prompt plus every generated token.
Expectations come from the file's bytes (tests/e2e/_gguf.py) and sysfs, not from the binary."""
import json
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import _gguf  # noqa: E402

from _harness import check, failures, run  # noqa: E402

ONE_TOKENS = re.compile(r"(?<![\d.])1 tokens")


class RawWriter(_gguf.Writer):
    """_gguf.Writer that writes a parsed string's bytes back as they were (surrogateescape)."""

    def _value(self, t, v):
        if t == _gguf.STR and isinstance(v, str):
            v = v.encode("utf-8", "surrogateescape")
        return super()._value(t, v)


def rebuild(data, set_kv=(), drop=()):
    """The file's metadata and tensors written again, with `set_kv` {key: (type, value)} changed or
    added and the keys in `drop` left out."""
    _, align, kv, tensors, _ = _gguf.parse(data)
    w = RawWriter(align)
    changes = dict(set_kv)
    for k, (t, v) in kv.items():
        if k in drop or (k == "general.alignment" and align != 32):
            continue
        t, v = changes.pop(k, (t, v))
        w.add(k, t, v)
    for k, (t, v) in changes.items():
        w.add(k, t, v)
    for t in tensors:
        w.tensor(t["name"], t["ne"], t["type"], t["data"])
    return w.bytes()


def last_line(s):
    lines = s.strip().splitlines()
    return lines[-1] if lines else ""


def write(d, name, data):
    path = os.path.join(d, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def synth(d, preset):
    path = os.path.join(d, preset + ".gguf")
    r = run("model", "synth", "--preset", preset, "-o", path)
    check(r.returncode == 0, "model synth %s: %s" % (preset, r.stderr))
    with open(path, "rb") as f:
        return path, f.read()


def engine_error(path):
    """engine run's exit status and error message (its last stderr line without the program's prefix)."""
    r = run("engine", "run", "-m", path, "--prompt-tokens", "2", "-n", "2", "-t", "1", "--json")
    msg = last_line(r.stderr)
    prefix = "infertrace: error: "
    return r.returncode, msg[len(prefix):] if msg.startswith(prefix) else msg


def l1_tokenizer_errors(d):
    for preset in ("tiny-qwen3", "tiny-llama"):
        path, data = synth(d, preset)
        _, _, kv, _, _ = _gguf.parse(data)
        n_vocab = len(kv["tokenizer.ggml.tokens"][1][1])
        cases = [
            ("no_tokens", rebuild(data, drop={"tokenizer.ggml.tokens"}), "missing metadata key tokenizer.ggml.tokens"),
            ("no_model", rebuild(data, drop={"tokenizer.ggml.model"}), "missing metadata key tokenizer.ggml.model"),
            ("bos_vocab", rebuild(data, {"tokenizer.ggml.bos_token_id": (_gguf.U32, n_vocab)}),
             "tokenizer.ggml.bos_token_id = %d is not a token id (vocabulary of %d)" % (n_vocab, n_vocab)),
            ("bos_2_31", rebuild(data, {"tokenizer.ggml.bos_token_id": (_gguf.U32, 2 ** 31 + 1)}),
             "tokenizer.ggml.bos_token_id = %d is not a token id" % (2 ** 31 + 1)),
            ("eos_5000", rebuild(data, {"tokenizer.ggml.eos_token_id": (_gguf.U32, 5000)}),
             "tokenizer.ggml.eos_token_id = 5000 is not a token id (vocabulary of %d)" % n_vocab),
        ]
        check(n_vocab < 5000, "%s: the test's eos id 5000 must be outside the vocabulary of %d" % (preset, n_vocab))
        for name, bad, want in cases:
            bad_path = write(d, "%s-%s.gguf" % (preset, name), bad)
            rc, msg = engine_error(bad_path)
            check(rc == 1 and want in msg, "%s %s: engine run exit %d %r (want %r)" % (preset, name, rc, msg, want))
            r = run("model", "info", bad_path, "--json")
            info = json.loads(r.stdout or "{}")
            err = info.get("model_error", "")
            # The same message engine run gives (it is an InputError naming the file in both).
            check(r.returncode == 0 and want in err and err == msg,
                  "%s %s: model info model_error %r (want engine run's %r)" % (preset, name, err, msg))
            r = run("model", "info", bad_path)
            check(r.returncode == 0 and ("not runnable by the engine: " + msg) in r.stdout,
                  "%s %s: model info text: %r" % (preset, name, r.stdout[:400]))
        # The untouched file: no model_error, the model is described.
        info = json.loads(run("model", "info", path, "--json").stdout or "{}")
        check("model_error" not in info and "model" in info, "%s untouched: %s" % (preset, info.get("model_error")))


def tensor_offset_field(data, name):
    """Byte position of tensor `name`'s offset field in the tensor info records (GGUF v3 layout:
    u64 name length, name, u32 n_dims, n_dims x i64, u32 type, u64 offset)."""
    key = struct.pack("<Q", len(name)) + name.encode()
    at = data.index(key)
    nd = struct.unpack_from("<I", data, at + len(key))[0]
    return at + len(key) + 4 + 8 * nd + 4


def overlapping(tensors, data_off):
    """Tensors (names) sharing a byte with another, pairwise, and the shared byte count of each pair."""
    spans = [(t["name"], data_off + t["offset"], data_off + t["offset"] + t["nbytes"]) for t in tensors if t["nbytes"] > 0]
    names, pairs = set(), {}
    for i, (a, a0, a1) in enumerate(spans):
        for b, b0, b1 in spans[i + 1:]:
            if max(a0, b0) < min(a1, b1):
                names |= {a, b}
                pairs[frozenset((a, b))] = min(a1, b1) - max(a0, b0)
    return names, pairs, {n: (s, e) for n, s, e in spans}


def l3_overlaps(d):
    path, data = synth(d, "tiny-qwen3")
    _, _, _, tensors, data_off = _gguf.parse(data)
    names, _, _ = overlapping(tensors, data_off)
    check(not names, "tiny-qwen3 untouched: the test's own overlap check found %s" % names)
    info = json.loads(run("model", "info", path, "--json").stdout or "{}")
    check(info.get("overlapping_tensors") == 0, "untouched: overlapping_tensors %s" % info.get("overlapping_tensors"))
    by_name = {t["name"]: t for t in tensors}
    # (a) blk.0.attn_norm.weight moved onto output_norm.weight (same size: the whole range shared);
    # (b) blk.0.ffn_norm.weight moved half-way into blk.0.attn_norm.weight's range.
    a, b = "blk.0.attn_norm.weight", "output_norm.weight"
    c = "blk.0.ffn_norm.weight"
    for label, moves in (("same range", {a: by_name[b]["offset"]}),
                         ("partial", {c: by_name[a]["offset"] + by_name[a]["nbytes"] // 2})):
        bad = bytearray(data)
        for n, off in moves.items():
            struct.pack_into("<Q", bad, tensor_offset_field(data, n), off)
        bad = bytes(bad)
        _, _, _, bt, boff = _gguf.parse(bad)
        want_names, pairs, spans = overlapping(bt, boff)
        check(len(want_names) >= 2, "%s: the test made an overlap (%s)" % (label, want_names))
        bad_path = write(d, "overlap-%s.gguf" % label.replace(" ", "-"), bad)
        r = run("model", "info", bad_path, "--json")
        info = json.loads(r.stdout or "{}")
        check(r.returncode == 0 and info.get("overlapping_tensors") == len(want_names),
              "%s: overlapping_tensors %s, want %d" % (label, info.get("overlapping_tensors"), len(want_names)))
        err = info.get("model_error", "")
        moved = next(iter(moves))
        check("tensor data overlaps" in err and moved in err, "%s: model_error %r" % (label, err))
        r = run("model", "info", bad_path)
        warn = [ln for ln in r.stdout.splitlines() if ln.startswith("warning: tensor data overlaps: ")]
        check(r.returncode == 0 and len(warn) == 1, "%s: model info text warns once: %r" % (label, r.stdout[:600]))
        if warn:
            # The pair named is one that overlaps, with its file byte ranges and shared byte count.
            named = [p for p in pairs if all("'%s'" % n in warn[0] for n in p)]
            check(len(named) == 1, "%s: the warning names an overlapping pair: %r" % (label, warn[0]))
            for p in named:
                for n in p:
                    s, e = spans[n]
                    check("'%s' (bytes %d-%d of the file)" % (n, s, e - 1) in warn[0], "%s: %s's range in %r" % (label, n, warn[0]))
                check("share %d bytes" % pairs[p] in warn[0], "%s: %d shared bytes in %r" % (label, pairs[p], warn[0]))
        rc, msg = engine_error(bad_path)
        check(rc == 1 and "tensor data overlaps" in msg and moved in msg and "Refusing" in msg,
              "%s: engine run exit %d %r" % (label, rc, msg))


def l5_messages(d):
    path, data = synth(d, "tiny-qwen3")
    # (a) --prompt-tokens below 1.
    for v in (["--prompt-tokens", "0"], ["--prompt-tokens=-3"], ["--prompt-tokens", "-3"]):
        r = run("engine", "run", "-m", path, *v, "-n", "2")
        want = "--prompt-tokens must be >= 1, got %s" % v[-1].split("=")[-1]
        check(r.returncode == 2 and want in last_line(r.stderr), "%s: exit %d %r" % (v, r.returncode, last_line(r.stderr)))
    # (b) --batch with an element that is no string: its index is named.
    for items, idx, what in ((["a", "", "h\u00e9llo", 5], 3, "a number"), (["x", None], 1, "null"),
                             ([["a"]], 0, "an array"), (["a", "b", {"k": 1}, 7], 2, "an object")):
        bf = os.path.join(d, "batch.json")
        with open(bf, "w") as f:
            json.dump(items, f)
        r = run("model", "tokenize", "-m", path, "--batch", bf)
        want = "element %d (counted from 0) is %s" % (idx, what)
        check(r.returncode == 1 and want in last_line(r.stderr) and r.stdout == "",
              "--batch %s: exit %d %r (want %r)" % (items, r.returncode, last_line(r.stderr), want))
    # (c) a string value with a NUL byte: quoted whole, the NUL escaped.
    for key, val, want in (("tokenizer.ggml.model", b"gpt2\x00", "tokenizer.ggml.model 'gpt2\\x00' is not supported (llama"),
                           ("general.architecture", b"qwen3\x00x", "unsupported architecture 'qwen3\\x00x' (supported")):
        bad_path = write(d, "nul.gguf", rebuild(data, {key: (_gguf.STR, val)}))
        rc, msg = engine_error(bad_path)
        check(rc == 1 and want in msg, "%s = %r: engine run exit %d %r (want %r)" % (key, val, rc, msg, want))
    # (d) "1 token": one prompt token, -n 2 (one decode evaluation), the warm-up of that one token.
    r = run("engine", "run", "-m", path, "--prompt-tokens", "1", "-n", "2", "-t", "1", "--ignore-eos")
    out = r.stdout
    for want in ("untimed warm-up of 1 token first", "pp: 1 token in ", "tg: 1 token in "):
        check(r.returncode == 0 and want in out, "engine run 1/1: %r in %r" % (want, out[-600:]))
    # A count of one, not the tail of a rate ("32798.71 tokens/s" holds "1 tokens").
    check(not ONE_TOKENS.search(out), "engine run: no '1 tokens' in %r" % out[-600:])
    r = run("engine", "run", "-m", path, "--prompt-tokens", "3", "-n", "3", "-t", "1", "--ignore-eos")
    for want in ("untimed warm-up of 3 tokens first", "pp: 3 tokens in ", "tg: 2 tokens in "):
        check(r.returncode == 0 and want in r.stdout, "engine run 3/3: %r in %r" % (want, r.stdout[-600:]))
    r = run("bench", "threads", "-m", path, "-t", "1", "-r", "1", "-p", "4", "-n", "1", "--no-roofline")
    check(r.returncode == 0 and "pp 4 / tg 1 token," in r.stdout, "bench threads -n 1 header: %r" % r.stdout[:400])
    r = run("model", "tokenize", "-m", path, "-p", "a", "--no-bos", "--json")
    n_ids = len(json.loads(r.stdout or "{}").get("ids", [])) if r.returncode == 0 else -1
    r = run("model", "tokenize", "-m", path, "-p", "a", "--no-bos")
    want = "%d %s" % (n_ids, "token" if n_ids == 1 else "tokens")
    check(r.returncode == 0 and n_ids > 0 and want in r.stdout and not ONE_TOKENS.search(r.stdout),
          "model tokenize title %r in %r" % (want, r.stdout[:300]))


def last_level_cache_bytes():
    """sysfs's highest-level Data or Unified cache of cpu0, bytes; 0 when unknown."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    best = (0, 0)
    try:
        entries = [e for e in os.listdir(base) if e.startswith("index")]
    except OSError:
        return 0
    for e in entries:
        try:
            with open(os.path.join(base, e, "level")) as f:
                level = int(f.read())
            with open(os.path.join(base, e, "type")) as f:
                typ = f.read().strip()
            with open(os.path.join(base, e, "size")) as f:
                size = f.read().strip()
        except (OSError, ValueError):
            continue
        if typ not in ("Data", "Unified"):
            continue
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1:], 1)
        n = int(size[:-1] if size[-1:] in "KMG" else size) * mult
        best = max(best, (level, n))
    return best[1]


def l5_membw():
    cpu = min(os.sched_getaffinity(0))
    r = run("bench", "membw", "--cpus", str(cpu), "-t", "1,2", "--size-mib", "1", "-r", "1")
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| 1") or ln.startswith("| 2")]
    check(r.returncode == 0 and len(rows) == 2 and "oversubscribed" not in rows[0] and rows[1].startswith("| 2 (oversubscribed) |"),
          "membw --cpus %d -t 1,2: rows %r" % (cpu, rows))
    r = run("bench", "membw", "--cpus", str(cpu), "-t", "1,2", "--size-mib", "1", "-r", "1", "--json")
    j = json.loads(r.stdout or "{}")
    check([p.get("oversubscribed") for p in j.get("points", [])] == [False, True] and j.get("run_cpus") == 1,
          "membw json oversubscribed: %s" % j.get("points"))
    llc = last_level_cache_bytes()
    check(j.get("last_level_cache_bytes") == (llc or None), "membw json llc %s, sysfs %d" % (j.get("last_level_cache_bytes"), llc))
    if llc:
        small = (1 << 20) < 4 * llc
        check(j.get("array_below_4x_last_level_cache") == small, "membw json below 4x: %s" % j)
        r = run("bench", "membw", "-t", "1", "--size-mib", "1", "-r", "1")
        want = "use --size-mib %d or more" % -(-4 * llc // (1 << 20))
        check((want in r.stdout) == small, "membw 1 MiB note (llc %d): %r" % (llc, r.stdout[-400:]))
    else:
        print("skip: no last-level cache size in sysfs")
    # Without --cpus and with no more threads than CPUs: no mark.
    n = len(os.sched_getaffinity(0))
    r = run("bench", "membw", "-t", str(n), "--size-mib", "1", "-r", "1")
    check(r.returncode == 0 and "oversubscribed" not in r.stdout, "membw -t %d: %r" % (n, r.stdout))


def l5_demo(d):
    empty = os.path.join(d, "no-traces")
    os.makedirs(empty)
    for out, made in ((os.path.join(d, "demo-new"), True), (os.path.join(d, "deep", "er", "demo"), True)):
        r = run("demo", "--examples", empty, "-o", out, "--no-engine")
        check(r.returncode == 1 and "no example traces" in last_line(r.stderr), "demo empty examples: %r" % r.stderr[-300:])
        top = os.path.join(d, "deep") if "deep" in out else out
        check(not os.path.exists(top), "demo -o %s: the folder it made is gone (%s)" % (out, os.path.exists(top)))
    # Review S44 L1: the last folder of -o cannot be made (a name over NAME_MAX) after its parents
    # were: the parents it made go too, a parent that was there stays.
    examples = os.path.join(d, "one-trace")
    os.makedirs(examples)
    with open(os.path.join(examples, "t.json"), "w") as f:
        f.write('{"traceEvents": []}')
    out = os.path.join(d, "mk", "a", "x" * 300)
    r = run("demo", "--examples", examples, "-o", out, "--no-engine")
    check(r.returncode == 1 and "cannot make it the demo's folder" in r.stderr and not os.path.exists(os.path.join(d, "mk")),
          "demo -o with an unmakeable last folder: rc %d, mk left %s: %r" % (r.returncode, os.path.exists(os.path.join(d, "mk")),
                                                                            r.stderr[-300:]))
    # A folder that was there before stays.
    there = os.path.join(d, "was-there")
    os.makedirs(there)
    r = run("demo", "--examples", empty, "-o", there, "--no-engine")
    check(r.returncode == 1 and os.path.isdir(there), "demo -o an existing empty folder: kept")


def l6_context(d):
    path, data = synth(d, "tiny-qwen3")
    rule = "the context must hold the prompt plus every generated token, the last one included"
    r = run("engine", "run", "-m", path, "--prompt-tokens", "2", "-n", "4", "--ctx", "5", "--no-warmup")
    want = "2 prompt + 4 generated tokens exceed --ctx 5 (%s)" % rule
    check(r.returncode == 1 and want in last_line(r.stderr), "--ctx 5: %r" % last_line(r.stderr))
    # One position fewer than the rule asks: refused; the rule's count itself: runs.
    _, _, kv, _, _ = _gguf.parse(data)
    n_train = kv[kv["general.architecture"][1] + ".context_length"][1]
    r = run("engine", "run", "-m", path, "--prompt-tokens", "1", "-n", str(n_train), "--ignore-eos", "-t", "1")
    want = "context of %d tokens (1 prompt + %d generated tokens: %s) exceeds the model's training context of %d" % (
        n_train + 1, n_train, rule, n_train)
    check(r.returncode == 1 and want in last_line(r.stderr), "-n %d: %r" % (n_train, last_line(r.stderr)))
    r = run("engine", "run", "-m", path, "--prompt-tokens", "1", "-n", str(n_train - 1), "--ignore-eos", "-t", "1", "--json")
    check(r.returncode == 0 and json.loads(r.stdout or "{}").get("n_generated") == n_train - 1,
          "-n %d fits: exit %d %r" % (n_train - 1, r.returncode, last_line(r.stderr)))


def main():
    with tempfile.TemporaryDirectory() as d:
        l1_tokenizer_errors(d)
        l3_overlaps(d)
        l5_messages(d)
        l5_membw()
        l5_demo(d)
        l6_context(d)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("ok")


main()
