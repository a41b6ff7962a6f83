#!/usr/bin/env python3
"""Hugging Face transformers' `generate` on the shapes of one of infertrace's model presets, random
F16 weights on a GPU: the baseline issue 8 compares the CUDA engine with (docs/engine-cuda.md).

The shapes come from infertrace itself (`infertrace model preset NAME --json`, or a saved copy of
that or of `model info --json`), so they cannot drift from the engine's preset. The transformers
config built from them is checked at run time: its parameter count must equal the one computed
here from the shapes (the count the GGUF's tensors add up to).

Timing (per run, batch 1, greedy, `min_new_tokens` = `max_new_tokens` so an end-of-sequence token
cannot stop it): a logits processor synchronizes the GPU at its first call, which comes right after
the prefill forward; prefill = generate's call to that point (cache set-up included), decode = that
point to generate's return after a final synchronize, i.e. new_tokens - 1 single-token forwards,
the engine's definition (tg = decode evals / their seconds). Warm-up runs first, then --reps runs
of each cache kind, interleaved; medians are reported.

Caches: `dynamic` (transformers' default) and `static` (`cache_implementation="static"`) with
transformers' automatic compilation disabled; `--compile` compiles the forward with torch.compile
instead (issue 8 measured 272 s of compilation on an H100: far beyond a GPU-check budget).

--count-launches: after the timed runs, the kernel launches per decode token, counted by the PyTorch
profiler's runtime-API events (a 17-token generate minus a 1-token one, over 16 tokens).

Without torch installed, --help and --print-config still work (torch is imported in main only)."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CACHES = ("dynamic", "static")
# Runtime and driver calls that launch work, as the PyTorch profiler names them.
LAUNCH_APIS = {"cudaLaunchKernel", "cudaLaunchKernelExC", "cuLaunchKernel", "cuLaunchKernelEx", "cudaGraphLaunch",
               "cudaLaunchCooperativeKernel"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--model-json", help="output of `infertrace model preset NAME --json` or `model info --json` "
                     "(a file, or - for stdin)")
    src.add_argument("--preset", help="preset name, read with `INFERTRACE model preset NAME --json`")
    p.add_argument("--infertrace", default=os.environ.get("INFERTRACE", "infertrace"),
                   help="the infertrace binary for --preset (default: $INFERTRACE or infertrace in PATH)")
    p.add_argument("--prompt-tokens", type=int, default=64)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--reps", type=int, default=3, help="timed runs per cache kind (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs per cache kind first")
    p.add_argument("--cache", default="dynamic", help="comma list of: " + ", ".join(CACHES))
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the forward (static cache only; minutes of compilation)")
    p.add_argument("--compile-mode", default="default", help="torch.compile mode with --compile")
    p.add_argument("--attn", default="sdpa", help="attn_implementation (sdpa or eager)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--seed", type=int, default=0, help="weights and prompt ids")
    p.add_argument("--roofline-gbs", type=float, default=0,
                   help="device read bandwidth, GB/s: report tg's share of the bandwidth roofline")
    p.add_argument("--count-launches", action="store_true",
                   help="after the timed runs, count kernel launches per decode token with the PyTorch profiler "
                   "(generate of 17 tokens minus generate of 1, per cache kind)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--print-config", action="store_true",
                   help="print the transformers config (and parameter count) built from the shapes, then exit "
                   "(no torch needed)")
    a = p.parse_args(argv)
    a.caches = [c.strip() for c in a.cache.split(",") if c.strip()]
    bad = [c for c in a.caches if c not in CACHES]
    if bad or not a.caches:
        p.error("--cache: unknown %s (choose from %s)" % (bad or a.cache, ", ".join(CACHES)))
    if a.compile and a.caches != ["static"]:
        p.error("--compile needs --cache static (a dynamic cache recompiles as it grows)")
    if a.prompt_tokens < 1 or a.new_tokens < 2 or a.reps < 1 or a.warmup < 0:
        p.error("need --prompt-tokens >= 1, --new-tokens >= 2, --reps >= 1, --warmup >= 0")
    if a.roofline_gbs < 0:
        p.error("--roofline-gbs must be > 0")
    return a


def load_shapes(a):
    """The "model" object of `infertrace model preset --json` / `model info --json`."""
    if a.preset:
        r = subprocess.run([a.infertrace, "model", "preset", a.preset, "--json"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("infertrace model preset %s: %s" % (a.preset, r.stderr.strip()))
        doc = json.loads(r.stdout)
    else:
        doc = json.load(sys.stdin if a.model_json == "-" else open(a.model_json))
    shapes = doc.get("model", doc)
    need = ["architecture", "n_layer", "n_embd", "n_head", "n_head_kv", "head_dim", "n_ff", "n_vocab", "n_ctx_train",
            "rope_freq_base", "rms_eps", "tied_output"]
    missing = [k for k in need if k not in shapes]
    if missing:
        raise SystemExit("model JSON lacks %s (expected `infertrace model preset --json` output)" % missing)
    return shapes


def f32_round(x):
    """The engine stores rope base and eps as float32: 1e-6 arrives as 9.99999997e-07."""
    return float("%.7g" % x)


def hf_config(shapes):
    """Keyword arguments of transformers' Qwen3Config / LlamaConfig with the same shapes. The rope
    base is given as `rope_theta`; main() moves it into `rope_parameters` on transformers 5."""
    arch = shapes["architecture"]
    if arch not in ("qwen3", "llama"):
        raise SystemExit("architecture %s: only qwen3 and llama have a transformers equivalent here" % arch)
    return {
        "model_type": arch,
        "vocab_size": shapes["n_vocab"],
        "hidden_size": shapes["n_embd"],
        "intermediate_size": shapes["n_ff"],
        "num_hidden_layers": shapes["n_layer"],
        "num_attention_heads": shapes["n_head"],
        "num_key_value_heads": shapes["n_head_kv"],
        "head_dim": shapes["head_dim"],
        "max_position_embeddings": shapes["n_ctx_train"],
        "rms_norm_eps": f32_round(shapes["rms_eps"]),
        "rope_theta": f32_round(shapes["rope_freq_base"]),
        "tie_word_embeddings": bool(shapes["tied_output"]),
        "hidden_act": "silu",
        "attention_bias": False,
    }


def param_count(shapes):
    """Parameters of the model, counted from the shapes as the GGUF's tensors hold them (a tied
    output counted once)."""
    d, ff, hd = shapes["n_embd"], shapes["n_ff"], shapes["head_dim"]
    q, kv = shapes["n_head"] * hd, shapes["n_head_kv"] * hd
    layer = d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d  # q, k, v, o, gate/up/down, two norms
    if shapes["architecture"] == "qwen3":
        layer += 2 * hd  # per-head q and k norms
    embd = shapes["n_vocab"] * d
    return shapes["n_layer"] * layer + embd * (1 if shapes["tied_output"] else 2) + d  # + final norm


def decode_bytes_per_token(shapes, n_prompt, n_new, param_bytes=2, kv_bytes=2):
    """Bytes one batch-1 decode step reads, the engine's definition (docs/engine-cuda.md) for a model
    held entirely in F16 with an F16 KV cache: every parameter once (an untied embedding only one
    row), plus keys and values of every layer over the mean attended positions."""
    n = param_count(shapes)
    if not shapes["tied_output"]:
        n -= (shapes["n_vocab"] - 1) * shapes["n_embd"]
    evals = n_new - 1
    positions = n_prompt + (evals + 1) / 2
    kv = positions * shapes["n_layer"] * 2 * shapes["n_head_kv"] * shapes["head_dim"] * kv_bytes
    return n * param_bytes + kv


def median(xs):
    return statistics.median(xs) if xs else None


def summarize(cache, compiled, prefill_s, decode_s, n_prompt, n_new, bytes_per_token, roofline_gbs):
    pp = [n_prompt / s for s in prefill_s]
    tg = [(n_new - 1) / s for s in decode_s]
    r = {"cache": cache, "compiled": compiled, "prefill_seconds": prefill_s, "decode_seconds": decode_s,
         "pp_tokens_per_second": median(pp), "tg_tokens_per_second": median(tg), "tg_samples": tg}
    if roofline_gbs > 0:
        bound = roofline_gbs * 1e9 / bytes_per_token
        r["roofline"] = {"read_gbs": roofline_gbs, "tg_bound_tokens_per_second": bound,
                         "tg_fraction": r["tg_tokens_per_second"] / bound}
    return r


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    shapes = load_shapes(a)
    cfg = hf_config(shapes)
    n_params = param_count(shapes)
    bpt = decode_bytes_per_token(shapes, a.prompt_tokens, a.new_tokens)
    if a.print_config:
        print(json.dumps({"config": cfg, "n_params": n_params, "decode_bytes_per_token": bpt}, indent=2))
        return 0

    try:
        import torch
        import transformers
        from transformers import GenerationConfig
        from transformers.generation import LogitsProcessor, LogitsProcessorList
    except ImportError as e:
        raise SystemExit("transformers_decode.py needs torch and transformers (%s); --print-config works without" % e)
    import inspect

    kw = dict(cfg)
    cls = transformers.Qwen3Config if kw.pop("model_type") == "qwen3" else transformers.LlamaConfig
    fields = set(getattr(cls, "__dataclass_fields__", {})) | set(inspect.signature(cls.__init__).parameters)
    if "rope_parameters" in fields:  # transformers 5: the rope base lives in rope_parameters
        kw["rope_parameters"] = {"rope_type": "default", "rope_theta": kw.pop("rope_theta")}
    config = cls(**kw)
    rp = getattr(config, "rope_parameters", None) or {}
    theta = rp.get("rope_theta", getattr(config, "rope_theta", None))
    if theta != cfg["rope_theta"]:
        raise SystemExit("transformers config: rope theta %s, expected %s" % (theta, cfg["rope_theta"]))

    torch.manual_seed(a.seed)
    torch.set_default_dtype(torch.float16)
    with torch.device(a.device):  # weights initialized on the GPU (random, as in the engine's synthetic file)
        model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation=a.attn, dtype=torch.float16)
    torch.set_default_dtype(torch.float32)
    model = model.to(a.device).eval()
    if {p.dtype for p in model.parameters()} != {torch.float16}:
        model = model.half()
    got = sum(p.numel() for p in model.parameters())  # shared (tied) parameters appear once
    if got != n_params:
        raise SystemExit("transformers model has %d parameters, the preset's shapes give %d" % (got, n_params))
    if a.compile:
        model.forward = torch.compile(model.forward, mode=a.compile_mode)

    g = torch.Generator(device="cpu").manual_seed(a.seed)
    ids = torch.randint(0, shapes["n_vocab"], (1, a.prompt_tokens), generator=g).to(a.device)
    mask = torch.ones_like(ids)
    eos = shapes["n_vocab"] - 1  # masked by min_new_tokens until the last token

    class FirstLogits(LogitsProcessor):
        """Synchronizes and stamps the time at its first call: the prefill forward is done."""

        def __init__(self):
            self.t = None

        def __call__(self, input_ids, scores):
            if self.t is None:
                torch.cuda.synchronize()
                self.t = time.perf_counter()
            return scores

    def one_run(cache, new_tokens=None):
        new_tokens = new_tokens or a.new_tokens
        # disable_compile: transformers would otherwise compile a static cache's forward by itself.
        gc = GenerationConfig(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, num_beams=1,
                              eos_token_id=eos, pad_token_id=eos, use_cache=True, disable_compile=True,
                              cache_implementation="static" if cache == "static" else None)
        stamp = FirstLogits()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=mask, generation_config=gc,
                                 logits_processor=LogitsProcessorList([stamp]))
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        n = out.shape[1] - ids.shape[1]
        if n != new_tokens:
            raise SystemExit("generate produced %d tokens, expected %d" % (n, new_tokens))
        return stamp.t - t0, t1 - stamp.t

    # A cache kind that fails (an API this transformers lacks, a compile error) is reported with
    # its error and dropped; the others still run.
    failed = {}
    warm_s = time.perf_counter()
    for cache in a.caches:
        try:
            for _ in range(a.warmup):
                one_run(cache)
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            failed[cache] = "%s: %s" % (type(e).__name__, e)
    warm_s = time.perf_counter() - warm_s
    ok = [c for c in a.caches if c not in failed]
    times = {c: ([], []) for c in ok}
    for _ in range(a.reps):
        for cache in ok:  # interleaved, so drift affects every kind alike
            p, d = one_run(cache)
            times[cache][0].append(p)
            times[cache][1].append(d)

    launches = {}
    if a.count_launches:
        from torch.profiler import ProfilerActivity, profile

        def launch_calls(cache, new_tokens):
            with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
                one_run(cache, new_tokens)
            return sum(e.count for e in prof.key_averages() if e.key in LAUNCH_APIS)

        for cache in ok:
            try:
                launches[cache] = (launch_calls(cache, 17) - launch_calls(cache, 1)) / 16
            except Exception as e:  # noqa: BLE001 - reported, not hidden
                launches[cache] = "%s: %s" % (type(e).__name__, e)

    runs = [summarize(c, a.compile, times[c][0], times[c][1], a.prompt_tokens, a.new_tokens, bpt, a.roofline_gbs)
            if c in times else {"cache": c, "compiled": a.compile, "error": failed[c]} for c in a.caches]
    for r in runs:
        if r["cache"] in launches:
            r["launches_per_decode_token"] = launches[r["cache"]]
    doc = {"schema_version": 1, "engine": "transformers", "transformers_version": transformers.__version__,
           "torch_version": torch.__version__, "device": torch.cuda.get_device_name(), "config": cfg,
           "n_params": n_params, "attn_implementation": a.attn, "n_prompt": a.prompt_tokens,
           "n_generated": a.new_tokens, "repetitions": a.reps, "warmup_seconds": warm_s,
           "decode_bytes_per_token": bpt, "runs": runs}
    if a.json:
        print(json.dumps(doc, indent=2))
        return 0 if ok else 1
    print("transformers %s, torch %s, %s: %s shapes, %d parameters, F16, %s attention" %
          (transformers.__version__, torch.__version__, doc["device"], shapes["architecture"], n_params, a.attn))
    print("prompt %d tokens, %d generated (greedy, batch 1), median of %d after %d warm-up(s) (%.1f s)" %
          (a.prompt_tokens, a.new_tokens, a.reps, a.warmup, warm_s))
    for r in runs:
        if "error" in r:
            print("%-8s cache: failed: %s" % (r["cache"], r["error"]))
            continue
        line = "%-8s cache%s: pp %8.1f tok/s  tg %7.1f tok/s" % (r["cache"], " (compiled)" if r["compiled"] else "",
                                                               r["pp_tokens_per_second"], r["tg_tokens_per_second"])
        if isinstance(r.get("launches_per_decode_token"), float):
            line += "  %.0f launches/token" % r["launches_per_decode_token"]
        if "roofline" in r:
            line += "  (%.1f%% of the %.0f tok/s roofline)" % (100 * r["roofline"]["tg_fraction"],
                                                              r["roofline"]["tg_bound_tokens_per_second"])
        print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
