#!/usr/bin/env python3
"""Measure how much of a graph-less Llama-3.1-70B forward pass on this GPU is host-side kernel launching.

Writes `launch.csv`: per tensor-parallel shard (TP 2, 4, 8), pass size (tokens) and mode, the median wall time
of one forward pass of a stack of decoder layers and the median time the host takes to issue it. Modes:
`eager` calls the PyTorch module; `compiled` calls `torch.compile(module, dynamic=True)` (default Inductor
backend, no CUDA graphs), as vLLM V1 runs a pass that its `cudagraph_mode` does not graph (`FULL_DECODE_ONLY`:
every pass with prompt tokens); `graph` replays a CUDA graph of the compiled call captured for that token count
(`graph_eager`, of the eager call, where capturing the compiled one fails). `graph` is the GPU work alone, so
`compiled` - `graph` is what launching costs a graph-less compiled pass. The summary table it prints last is
what the committed `*_launch.log` holds.

Model: the public Llama-3.1-70B config (hidden 8192, 64 heads, 8 KV heads, head dim 128, FFN 28672, RMSNorm
eps 1e-5) as one rank of TP: heads/TP query heads, max(1, 8/TP) KV heads, FFN/TP; BF16 weights, each layer its
own (they stream from HBM, as in a real pass). Per layer: residual add + RMSNorm, QKV linear, NeoX rotary on q
and k, causal attention over the pass's T tokens as one sequence (`scaled_dot_product_attention`, FlashAttention-2
backend only, grouped KV heads), o_proj, residual add + RMSNorm, gate_up linear, SiLU-and-mul, down linear; a
final RMSNorm. 80 layers (the real depth) where memory allows, else fewer (`layers` column); compiling 40
layers takes about two minutes per TP on an H100 host, so `--layers` caps the depth to fit a budget. Not
modelled: the two all-reduces per layer (one GPU; no stand-in, so neither their kernels nor their launches are
counted), the embedding and logits, vLLM's split of the compiled graph at attention and its attention wrapper's
host work, and a KV-cache write. The compiled call also pays Dynamo's guard check once per pass (vLLM skips it).

Method: all token counts are run once through the compiled module first, so (re)compiles are not timed. Per
(TP, T, mode) 3 warm-up passes, then 10 to 50 timed ones (0.3 s worth), each with
`torch.cuda.synchronize()` before and after: `wall` runs to the second synchronize, `issue` until the call
returns. Medians. The GPU is measured as found (clocks and power limits not changed); host times depend on the
CPU, named in the header with the time it takes to issue one tiny eager op.

Usage: python3 measure_launch.py OUTDIR [--budget SECONDS] [--layers N] [--quick]
"""

import argparse
import csv
import gc
import os
import statistics
import sys
import time

from measure_kernels import query_smi, write_header

# Llama-3.1-70B config.json: hidden, heads, kv heads, head dim, ffn, rms eps, rope theta, depth.
HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FFN, EPS, THETA, DEPTH = 8192, 64, 8, 128, 28672, 1e-5, 500000.0, 80
TPS = (8, 4, 2)
TOKENS = (1, 16, 128, 512, 1024, 2048, 8192)
RESERVE = 10 * 2**30  # bytes kept free for activations and graph pools when choosing the depth
COLUMNS = ["tp", "layers", "tokens", "mode", "wall_ms", "issue_ms", "per_layer_wall_us", "per_layer_issue_us",
           "passes"]


def build(torch, tp, layers):
    """The decoder stack of one TP rank, on the GPU, with random weights."""
    nn, F = torch.nn, torch.nn.functional
    hq, hk, ffn = HEADS // tp, max(1, KV_HEADS // tp), FFN // tp
    q_dim, kv_dim = hq * HEAD_DIM, hk * HEAD_DIM

    def weight(n, k):
        w = torch.empty(n, k, device="cuda", dtype=torch.bfloat16).normal_(0.0, k ** -0.5)
        return nn.Parameter(w, requires_grad=False)

    def norm_weight():
        return nn.Parameter(torch.ones(HIDDEN, device="cuda", dtype=torch.bfloat16), requires_grad=False)

    def rms(x, w):
        v = x.float()
        return (v * torch.rsqrt(v.pow(2).mean(-1, keepdim=True) + EPS)).to(x.dtype) * w

    def rope(x, cos, sin):  # NeoX style: rotate the two halves of each head
        x1, x2 = x.float().chunk(2, dim=-1)
        return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1).to(x.dtype)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.o = weight(q_dim + 2 * kv_dim, HIDDEN), weight(HIDDEN, q_dim)
            self.gate_up, self.down = weight(2 * ffn, HIDDEN), weight(HIDDEN, ffn)
            self.norm1, self.norm2 = norm_weight(), norm_weight()

        def forward(self, h, residual, cos, sin):
            t = h.shape[0]
            residual = h if residual is None else h + residual
            q, k, v = F.linear(rms(residual, self.norm1), self.qkv).split([q_dim, kv_dim, kv_dim], dim=-1)
            q = rope(q.view(t, hq, HEAD_DIM), cos, sin).transpose(0, 1).unsqueeze(0)
            k = rope(k.view(t, hk, HEAD_DIM), cos, sin).transpose(0, 1).unsqueeze(0)
            v = v.view(t, hk, HEAD_DIM).transpose(0, 1).unsqueeze(0)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
            h = F.linear(a[0].transpose(0, 1).reshape(t, q_dim), self.o)  # all-reduce would follow
            residual = h + residual
            g, u = F.linear(rms(residual, self.norm2), self.gate_up).chunk(2, dim=-1)
            return F.linear(F.silu(g) * u, self.down), residual  # all-reduce would follow

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(Layer() for _ in range(layers))
            self.norm = norm_weight()
            inv = THETA ** (-torch.arange(0, HEAD_DIM, 2, device="cuda", dtype=torch.float32) / HEAD_DIM)
            angle = torch.arange(max(TOKENS), device="cuda", dtype=torch.float32)[:, None] * inv
            self.register_buffer("cos", angle.cos())
            self.register_buffer("sin", angle.sin())

        def forward(self, x, positions):
            cos, sin = self.cos[positions].unsqueeze(1), self.sin[positions].unsqueeze(1)
            h, residual = x, None
            for layer in self.layers:
                h, residual = layer(h, residual, cos, sin)
            return rms(h + residual, self.norm)

    return Stack()


def layer_bytes(tp):
    hq, hk, ffn = HEADS // tp, max(1, KV_HEADS // tp), FFN // tp
    return 2 * HIDDEN * ((hq + 2 * hk) * HEAD_DIM + hq * HEAD_DIM + 3 * ffn + 2)


def time_passes(torch, fn):
    """(median wall ms, median issue ms, passes) of `fn()`: 3 warm-up passes, then 10-50 timed ones (0.3 s)."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    walls, issues = [], []
    gc.collect()
    gc.disable()
    stop = time.perf_counter() + 0.3
    while len(walls) < 10 or (len(walls) < 50 and time.perf_counter() < stop):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        torch.cuda.synchronize()
        walls.append((time.perf_counter() - t0) * 1e3)
        issues.append((t1 - t0) * 1e3)
    gc.enable()
    return statistics.median(walls), statistics.median(issues), len(walls)


def capture(torch, fn):
    """A CUDA graph of `fn()`, after 3 warm-up calls on a side stream."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph


def run_tp(torch, tp, tokens, max_layers, deadline, write):
    """Time every token count and mode for one TP rank; returns {(tokens, mode): (wall, issue)} and the depth."""
    layers = max(1, min(max_layers, int((torch.cuda.mem_get_info()[0] - RESERVE) // layer_bytes(tp))))
    stack = build(torch, tp, layers)
    compiled = torch.compile(stack, dynamic=True)
    inputs = {t: (torch.randn(t, HIDDEN, device="cuda", dtype=torch.bfloat16),
                  torch.arange(t, device="cuda")) for t in tokens}
    t0 = time.time()
    for t in tokens:
        compiled(*inputs[t])
    torch.cuda.synchronize()
    graphs = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    print(f"tp{tp}: {layers} layers, {layer_bytes(tp) * layers / 2**30:.1f} GiB of weights, "
          f"compiled in {time.time() - t0:.0f} s ({graphs} graphs so far)")
    results = {}
    for t in tokens:
        if time.time() > deadline:
            print(f"tp{tp}: budget spent before {t} tokens", file=sys.stderr)
            break
        x, pos = inputs[t]
        modes = {"eager": lambda: stack(x, pos), "compiled": lambda: compiled(x, pos)}
        for mode, fn in modes.items():
            results[t, mode] = time_passes(torch, fn)
        for mode, fn in (("graph", modes["compiled"]), ("graph_eager", modes["eager"])):
            try:
                graph = capture(torch, fn)
            except Exception as e:  # noqa: BLE001 - fall back to capturing the eager call
                print(f"tp{tp} t{t}: capturing {mode} failed: {str(e).splitlines()[0][:200]}", file=sys.stderr)
                torch.cuda.synchronize()
                continue
            results[t, mode] = time_passes(torch, graph.replay)
            del graph
            break
        for (tt, mode), (wall, issue, n) in results.items():
            if tt == t:
                write([tp, layers, t, mode, f"{wall:.4f}", f"{issue:.4f}", f"{wall / layers * 1e3:.2f}",
                       f"{issue / layers * 1e3:.2f}", n])
    if torch._dynamo.utils.counters["stats"]["unique_graphs"] != graphs:
        print(f"tp{tp}: WARNING: recompiled during timing", file=sys.stderr)
    print(f"tp{tp}: nvidia-smi {query_smi('clocks.sm,clocks.mem,power.draw,temperature.gpu')}")
    del stack, compiled, inputs
    torch._dynamo.reset()
    gc.collect()
    torch.cuda.empty_cache()
    return results, layers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--budget", type=float, default=300.0, help="seconds; token counts left then are skipped")
    ap.add_argument("--layers", type=int, help=f"most decoder layers to stack ({DEPTH}; 4 with --quick)")
    ap.add_argument("--quick", action="store_true", help="TP 8, 1 and 1024 tokens only (a smoke test)")
    args = ap.parse_args()
    tps, tokens = ((8,), (1, 1024)) if args.quick else (TPS, TOKENS)
    max_layers = args.layers or (4 if args.quick else DEPTH)

    import torch
    import torch._dynamo

    torch.set_grad_enabled(False)
    for backend in ("math", "mem_efficient", "cudnn"):  # FlashAttention-2 only, as vLLM runs flash attention
        getattr(torch.backends.cuda, f"enable_{backend}_sdp")(False)
    deadline = time.time() + args.budget
    os.makedirs(args.outdir, exist_ok=True)
    path = os.path.join(args.outdir, "launch.csv")
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    tiny = torch.zeros(1, device="cuda")
    op_us = min(time_passes(torch, lambda: [tiny.add_(1.0) for _ in range(1000)])[1] for _ in range(3))
    summary = []
    with open(path, "w", newline="") as f:
        write_header(f, torch, [
            f"# cpu: {cpu}, {os.cpu_count()} threads; python {sys.version.split()[0]}; tiny eager op {op_us:.1f} us"])
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for tp in tps:
            if time.time() > deadline:
                print(f"budget spent before tp{tp}", file=sys.stderr)
                break
            results, layers = run_tp(torch, tp, tokens, max_layers, deadline, out.writerow)
            f.flush()
            summary.append((tp, layers, results))
    print(f"wrote {path}\n")
    print("wall ms per pass of the stack; host = compiled - graph wall; issue = compiled call's return time")
    print(f"{'tp':>3} {'layers':>6} {'tokens':>6} {'eager':>9} {'compiled':>9} {'graph':>9} {'issue':>9} "
          f"{'host us/layer':>13} {'host ms/80 layers':>17}")
    for tp, layers, results in summary:
        for t in tokens:
            if (t, "compiled") not in results:
                continue
            eager, comp = results[t, "eager"][0], results[t, "compiled"][0]
            graph = results.get((t, "graph"), results.get((t, "graph_eager"), (float("nan"),)))[0]
            host = (comp - graph) / layers
            print(f"{tp:>3} {layers:>6} {t:>6} {eager:>9.3f} {comp:>9.3f} {graph:>9.3f} "
                  f"{results[t, 'compiled'][1]:>9.3f} {host * 1e3:>13.1f} {host * DEPTH:>17.2f}")


if __name__ == "__main__":
    main()
