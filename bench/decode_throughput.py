#!/usr/bin/env python3
"""A PyTorch greedy decode that prints its throughput, for `infertrace bench interference` on the GPU
machine (part scripts/gpu_checks.d/70-interference.sh; its --metric-regex reads the last line).

  python3 decode_throughput.py [--seconds 4] [--new-tokens 64] [--device cuda]
  -> decode tokens/s: <generated tokens / time of the timed generate calls>

A Qwen3-0.6B-shaped model with random fp16 weights (nothing can be downloaded there; the speed does
not depend on the values), made directly on the device so start-up stays short. One untimed generate
first (lazy CUDA and cuBLAS set-up), then whole generate calls of --new-tokens tokens (min = max, so
every call makes the same number of steps) until --seconds have passed; the run takes about
--seconds plus imports and set-up (about 10 s in all at the defaults).
"""
import argparse
import time

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    torch.manual_seed(0)
    cfg = Qwen3Config(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                      num_attention_heads=16, num_key_value_heads=8, head_dim=128, tie_word_embeddings=True)
    dtype = torch.float16 if a.device != "cpu" else torch.float32
    with torch.device(a.device):
        model = Qwen3ForCausalLM(cfg).to(dtype).eval()
        ids = torch.randint(0, cfg.vocab_size, (1, a.prompt))
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)

    def generate():
        with torch.no_grad():
            model.generate(ids, max_new_tokens=a.new_tokens, min_new_tokens=a.new_tokens, do_sample=False,
                           pad_token_id=0)
        sync()

    generate()
    calls, t0 = 0, time.perf_counter()
    while True:
        generate()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= a.seconds:
            break
    print(f"decode calls: {calls}  tokens: {calls * a.new_tokens}  seconds: {elapsed:.3f}")
    print(f"decode tokens/s: {calls * a.new_tokens / elapsed:.2f}", flush=True)


if __name__ == "__main__":
    main()
