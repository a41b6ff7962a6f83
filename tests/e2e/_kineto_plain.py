"""A plain second reading of a Kineto trace for the e2e tests: counts and launch latencies computed
directly from the JSON (docs/metrics.md sections 1-2), independent of the C++ reader."""
import gzip
import json
from decimal import Decimal

GPU_CATS = {"kernel", "Kernel", "gpu_memcpy", "Memcpy", "gpu_memset", "Memset"}
API_CATS = {"cuda_runtime", "Runtime", "cuda_driver"}
OP_CATS = {"cpu_op", "Operator", "user_annotation"}
# docs/metrics.md "Launch call": the shared definition's names plus the runtime counterparts of the
# driver wildcards and the multi-device cooperative launches, and CUDA 13's __cudaLaunchKernel.
LAUNCH_NAMES = {"cudaLaunchKernel", "__cudaLaunchKernel", "cudaLaunchKernelExC", "cudaLaunchCooperativeKernel",
                "cuLaunchKernel",
                "cuLaunchKernelEx", "cuLaunchCooperativeKernel", "cudaGraphLaunch", "cuGraphLaunch",
                "cudaMemcpyAsync", "cudaMemsetAsync",
                "cudaMemcpy2DAsync", "cudaMemcpy3DAsync", "cudaMemcpyPeerAsync", "cudaMemcpyToSymbolAsync",
                "cudaMemcpyFromSymbolAsync", "cudaMemset2DAsync", "cudaMemset3DAsync",
                "cudaLaunchCooperativeKernelMultiDevice", "cuLaunchCooperativeKernelMultiDevice"}


def is_launch(name):
    base = name.split("_v")[0].split("_ptsz")[0].split("_ptds")[0]
    return base in LAUNCH_NAMES or (base.startswith("cuMemcpy") and base.endswith("Async")) or \
        (base.startswith("cuMemsetD") and base.endswith("Async"))


def ns(us):
    return int(Decimal(us) * 1000)


KERNEL_CATS = {"kernel", "Kernel"}


def read(path):
    """GPU activities (with kind, device, stream, file-order index), API calls and operators."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        doc = json.load(f, parse_float=Decimal)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc
    gpu, api, ops = [], [], []
    for e in events:
        if e.get("ph") != "X" or "ts" not in e:
            continue
        cat = e.get("cat", "")
        args = e.get("args") or {}
        rec = {"name": e.get("name", ""), "ts": ns(e["ts"]), "dur": ns(e.get("dur", 0)),
               "corr": args.get("correlation"), "tid": e.get("tid"), "pid": e.get("pid")}
        if cat in GPU_CATS:
            rec["kernel"] = cat in KERNEL_CATS
            rec["device"] = args.get("device", -1)
            rec["stream"] = args.get("stream", -1)
            rec["i"] = len(gpu)
            gpu.append(rec)
        elif cat in API_CATS:
            api.append(rec)
        elif cat in OP_CATS:
            ops.append(rec)
    return gpu, api, ops


def launch_latencies(gpu, api):
    """l(c) per linked launch call: earliest activity start minus call start, clamped at 0."""
    first = {}
    for g in gpu:
        c = g["corr"]
        if c is not None and (c not in first or g["ts"] < first[c]):
            first[c] = g["ts"]
    out = []
    for c in api:
        if is_launch(c["name"]) and c["corr"] in first:
            out.append(max(0, first[c["corr"]] - c["ts"]))
    return out


def bound(gpu, api):
    """'cpu' or 'gpu' by docs/metrics.md: GPU-bound when the queue part exceeds the launch part."""
    first = {}
    for g in gpu:
        c = g["corr"]
        if c is not None and (c not in first or g["ts"] < first[c]):
            first[c] = g["ts"]
    launch = queue = 0
    for c in api:
        if is_launch(c["name"]) and c["corr"] in first:
            g = first[c["corr"]]
            lat = max(0, g - c["ts"])
            q = max(0, g - (c["ts"] + c["dur"]))
            launch += lat - q
            queue += q
    return "gpu" if queue > launch else "cpu"
