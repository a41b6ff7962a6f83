"""A plain second computation of docs/metrics.md sections 2-4 for the sweep and fusion e2e tests,
straight from the Kineto JSON and independent of the C++ reader and analyses."""

import _kineto_plain

# The same plain reading as the other e2e tests (GPU activities carry kind, device, stream, index).
read = _kineto_plain.read


def links(gpu, api):
    """corr -> (launch call, earliest GPU activity)."""
    first = {}
    for g in gpu:
        c = g["corr"]
        if c is None:
            continue
        if c not in first or (g["ts"], g["i"]) < (first[c]["ts"], first[c]["i"]):
            first[c] = g
    calls = {}
    for c in api:
        if _kineto_plain.is_launch(c["name"]) and c["corr"] is not None and c["corr"] in first:
            if c["corr"] not in calls or c["ts"] < calls[c["corr"]]["ts"]:
                calls[c["corr"]] = c
    return {k: (calls[k], first[k]) for k in calls}


def launch_parts(call, g):
    lat = max(0, g["ts"] - call["ts"])
    q = max(0, g["ts"] - (call["ts"] + call["dur"]))
    return lat - q, q


def union_length(intervals):
    total, end = 0, None
    for s, e in sorted(intervals):
        if end is None or s > end:
            total += e - s
            end = e
        elif e > end:
            total += e - end
            end = e
    return total


def launch_summary(gpu, api, ops):
    """TKLQT parts, bound, kernels, IL and GPU idle by the definitions of docs/metrics.md section 2."""
    launch = queue = 0
    for call, g in links(gpu, api).values():
        lp, q = launch_parts(call, g)
        launch += lp
        queue += q
    host = ops if ops else api
    il = max(g["ts"] + g["dur"] for g in gpu) - min(h["ts"] for h in host)
    busy = union_length([(g["ts"], g["ts"] + g["dur"]) for g in gpu])
    return {"kernels": sum(1 for g in gpu if g["kernel"]), "tklqt_launch_ns": launch, "tklqt_queue_ns": queue,
            "tklqt_ns": launch + queue, "bound": "gpu" if queue > launch else "cpu",
            "inference_latency_ns": il, "gpu_idle_ns": il - busy}


def segments(gpu, api):
    """Kernel segments per docs/metrics.md section 4: (names, launch parts) per segment."""
    link = links(gpu, api)
    syncs = sorted(c["ts"] for c in api if "Synchronize" in c["name"])
    kernels = sorted((g for g in gpu if g["kernel"]), key=lambda g: (g["device"], g["stream"], g["ts"], g["i"]))
    segs, prev = [], None
    for g in kernels:
        new = prev is None or (g["device"], g["stream"]) != (prev["device"], prev["stream"])
        if not new and prev["corr"] in link and g["corr"] in link:
            a, b = sorted((link[prev["corr"]][0]["ts"], link[g["corr"]][0]["ts"]))
            new = any(a < s < b for s in syncs)
        if new:
            segs.append(([], []))
        part = 0
        if g["corr"] in link and link[g["corr"]][1] is g:
            part = launch_parts(*link[g["corr"]])[0]
        segs[-1][0].append(g["name"])
        segs[-1][1].append(part)
        prev = g
    return segs


def fusion(segs, L, T):
    fk, fc = {}, {}
    for names, _ in segs:
        for k in names:
            fk[k] = fk.get(k, 0) + 1
        for p in range(len(names) - L + 1):
            c = tuple(names[p:p + L])
            fc[c] = fc.get(c, 0) + 1
    det = {c for c, n in fc.items() if n / fk[c[0]] >= T}
    fused = saved = 0
    for names, parts in segs:
        p = 0
        while p + L <= len(names):
            if tuple(names[p:p + L]) in det:
                fused += 1
                saved += sum(parts[p + 1:p + L])
                p += L
            else:
                p += 1
    n = sum(len(s[0]) for s in segs)
    return {"length": L, "unique_chains": len(fc), "chain_instances": sum(fc.values()),
            "deterministic_chains": len(det), "fused_chains": fused, "kernels_eager": n,
            "kernels_fused": n - fused * (L - 1), "launch_time_saved_ns": saved}, fc, fk
