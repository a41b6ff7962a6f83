"""`engine run` refuses a run whose context cannot fit this machine's physical memory before it
builds the prompt (review CA M3's rest): a model whose training context is huge let `--prompt-tokens
1000000000` build a 4 GB prompt for 15 s, then fail with "cannot allocate 256000000512 bytes". The
sizes in the message are computed here from the model's shapes and the machine's memory."""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from _gguf import mini_llama  # noqa: E402
from _harness import check, failures, run, run_peak_rss, skip  # noqa: E402


def fmt_bytes(b):
    """util/units' format_bytes: binary units, one decimal from KiB on."""
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    u = 0
    while abs(b) >= 1024.0 and u < 4:
        b /= 1024.0
        u += 1
    return "%.0f %s" % (b, units[u]) if u == 0 else "%.1f %s" % (b, units[u])


n_embd, n_layer = 32, 2
ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGESIZE")
swap = 0
with open("/proc/meminfo") as f:
    for line in f:
        if line.startswith("SwapTotal:"):
            swap = int(line.split()[1]) * 1024
limit = ram + swap
# Per context token: K and V of every layer in F32 (mini_llama: as many KV heads as heads) and one
# attention score per thread (-t 1).
per_token = n_layer * 2 * n_embd * 4 + 1 * 4
prompt_tokens = limit // per_token + 1  # the context's buffers alone exceed memory and swap
N_CTX_TRAIN = 2**32 - 1  # the most a u32 context_length holds
if prompt_tokens + 2 > N_CTX_TRAIN:
    skip("memory and swap of %d bytes need a context beyond a u32 context_length" % limit)
with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "m.gguf")
    with open(model, "wb") as f:
        f.write(mini_llama(n_embd=n_embd, n_layer=n_layer, n_ctx=N_CTX_TRAIN).bytes())

    # A run that fits: its peak is the baseline below.
    r, small_peak = run_peak_rss("engine", "run", "-m", model, "--prompt-tokens", "8", "-n", "2", "-t", "1", "--json",
                                 timeout=120)
    check(r.returncode == 0, f"small run: {r.returncode} {r.stderr[-300:]!r}")

    t0 = time.monotonic()
    r, peak = run_peak_rss("engine", "run", "-m", model, "--prompt-tokens", str(prompt_tokens), "-n", "2", "-t", "1",
                           timeout=120)
    took = time.monotonic() - t0
    ctx = prompt_tokens + 2
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    want = ("this run does not fit in memory: the KV cache and attention scores of a context of %d tokens take %s "
            "and the prompt's %d token ids take %s, more than this machine's %s" %
            (ctx, fmt_bytes(ctx * per_token), prompt_tokens, fmt_bytes(prompt_tokens * 4), fmt_bytes(ram)) +
            (" of memory and %s of swap" % fmt_bytes(swap) if swap > 0 else " of memory"))
    check(r.returncode == 1 and want in last, f"--prompt-tokens: {r.returncode} {last!r}\n want {want!r}")
    # Refused before the prompt is built (which took seconds per GB of token ids): the process never
    # held half the prompt's bytes above the small run's peak.
    check(peak < small_peak + prompt_tokens * 4 // 2,
          f"--prompt-tokens: peak RSS {peak} B, a small run's {small_peak} B, the prompt's ids take {prompt_tokens * 4} B")
    check(took < 20, f"--prompt-tokens refused after {took:.1f} s")

    # A short text prompt in a --ctx too large for the memory: refused before the session is made.
    big_ctx = limit // per_token + 10
    r = run("engine", "run", "-m", model, "-p", "ab", "-n", "2", "-t", "1", "--ctx", str(big_ctx), timeout=120)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == 1 and f"the KV cache and attention scores of a context of {big_ctx} tokens take "
          f"{fmt_bytes(big_ctx * per_token)}" in last and "more than this machine's" in last, f"--ctx: {r.returncode} {last!r}")

if failures:
    sys.exit(1)
print("ok")
