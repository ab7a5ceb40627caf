#!/usr/bin/env python3
"""Measure the routed-expert block (MoE) of Qwen3's and MiniMax-M2.5's MoE models on this GPU, with Triton and
PyTorch.

Writes `moe.csv`: one row per (model, layout, dtype, token count, kernel), the median of timed CUDA-graph
replays of a whole expert block as vLLM's `fused_experts` runs it, given the router's choices: sort the
token-expert pairs by expert (padded per expert, as `moe_align_block_size`), the gate+up grouped GEMM,
SiLU-and-mul, the down grouped GEMM with the routing weight applied, and the sum of each token's `topk` rows
(`moe_sum`). `tests/bench/fidelity_device.ts` compares dynolab's analytic MoE curves and AIC's tables with it.

Method (as AI Configurator's vLLM MoE collector keys its table, perf-model.md §2.3): the experts' loads follow
a power law (alpha 1.2) sampled afresh for each of `REPEAT` routings, so the hot experts differ from call to
call and the weights stream from HBM rather than L2; each token picks `topk` distinct experts. Under expert
parallelism (`ep` > 1) the GPU measured holds the busiest `experts / ep` experts and runs only the pairs routed
to them, as the first rank of AIC's collector does; `tokens` is the count before dispatch. 3 warm-up replays,
then the median of 10, divided by `REPEAT`.

Kernels: `triton` is our own grouped GEMM in the design of vLLM's fused-MoE kernel (one program per block of
expert-sorted pairs and output columns, rows gathered in the kernel, routing weight in the down projection's
epilogue); per shape the faster of two tile configurations is kept (the log lists them). Its expert sort is one
Triton program up to 8,192 pairs and four kernels above, as vLLM's `moe_align_block_size` is one CUDA kernel
(a sort of about ten PyTorch ops cost 40–70 µs more per block, up to half a decode-sized block).
`grouped_mm` is PyTorch's `torch._grouped_mm` (CUTLASS, as torchtitan runs MoE) after an explicit gather and a
PyTorch-op sort. BF16 runs BF16 weights; FP8 is static per-tensor W8A8 with unit scales (the `fp8` format of
AIC's vLLM tables): one Triton kernel quantises the activations and SiLU-and-mul quantises its output
(`scaled_grouped_mm` for PyTorch).
`fp8_block` is the block FP8 of Qwen3-*-FP8 and MiniMax-M2.5 (`fp8_block` in AIC's tables): weights in
128 × 128 blocks with a scale each, activations quantised per token in groups of 128 (one Triton kernel before
the gate+up projection, one fused with SiLU-and-mul before the down projection), the scale product applied at
every K step, as vLLM's block-wise `fused_moe_kernel` does. It is Triton only (PyTorch has no block-scaled
grouped GEMM), and only where the expert's width on the GPU is a multiple of 128 (vLLM refuses the others).
vLLM's own kernel, tuned per shape, is not available to PyTorch alone.

Usage: python3 measure_moe.py OUTDIR [--budget SECONDS] [--check]
"""

import argparse
import csv
import os
import statistics
import sys
import time

from measure_kernels import make_quant, time_graph, write_header

# Public config.json values: (hidden, moe_intermediate_size, num_experts_per_tok, num_experts), and the formats
# timed (the served checkpoints' and AIC's).
MODELS = {
    "Qwen3-30B-A3B": (2048, 768, 8, 128, ("bfloat16", "fp8", "fp8_block")),
    "Qwen3-235B-A22B": (4096, 1536, 8, 128, ("bfloat16", "fp8", "fp8_block")),
    "MiniMax-M2.5": (3072, 1536, 8, 256, ("fp8_block",)),
}
DTYPES = ("bfloat16", "fp8", "fp8_block")
GROUP = 128  # block FP8's block and group size
# (moe tp, moe ep) per GPU count, as vLLM deploys them (no TP inside EP).
LAYOUTS = ((1, 1), (2, 1), (4, 1), (8, 1), (1, 2), (1, 4), (1, 8))
TOKENS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
ALPHA = 1.2
REPEAT = 6
COLUMNS = ["op", "dtype", "kernel", "model", "tokens", "hidden", "inter", "topk", "experts", "tp", "ep",
           "distribution", "pairs", "latency_ms", "repeat"]


def routing(torch, gen, tokens, experts, topk, ep):
    """The first EP rank's token-expert pairs: (local expert, pair index `token * topk + slot`), token-major.

    Expert loads follow a power law on [1, max(2, 0.8 * tokens)], scaled to `tokens * topk` pairs and capped at
    `tokens` (a token picks an expert once); the rank holds the busiest group of `experts / ep` experts.
    """
    pairs = tokens * topk
    hi = max(2.0, 0.8 * tokens)
    a = 1.0 - ALPHA
    u = torch.rand(experts, generator=gen, dtype=torch.float64)
    x = ((hi ** a - 1.0) * u + 1.0) ** (1.0 / a)  # inverse CDF of the power law
    want = x / x.sum() * pairs
    load = torch.clamp(want.floor(), max=tokens).long()
    # Hand out the remainder one pair at a time, largest fractional part first, never above `tokens`.
    order = torch.argsort(want - want.floor(), descending=True).tolist()
    short = pairs - int(load.sum())
    while short > 0:
        for e in order:
            if short > 0 and load[e] < tokens:
                load[e] += 1
                short -= 1
    # Expert e's pairs go to consecutive tokens (mod `tokens`): distinct tokens since load[e] <= tokens, and
    # every token gets exactly `topk` pairs.
    ids, toks, cursor = [], [], 0
    for e, n in enumerate(load.tolist()):
        ids += [e] * n
        toks += [(cursor + j) % tokens for j in range(n)]
        cursor += n
    ids, toks = torch.tensor(ids), torch.tensor(toks)
    perm = torch.argsort(toks * experts + ids)  # token-major, as the router emits them
    ids = ids[perm]  # pair p = position in this order = token * topk + slot
    local = experts // ep
    first = int(torch.argmax(load.view(ep, local).sum(1)))
    mine = (ids // local) == first
    return ids[mine] - first * local, torch.arange(pairs)[mine]


def make_silu_mul(torch):
    """SiLU(gate) * up per row, optionally quantised to FP8 (static scale), in one Triton kernel."""
    import triton
    import triton.language as tl

    @triton.jit
    def _silu_mul(h_ptr, o_ptr, inter, inv_scale, FP8: tl.constexpr, BLOCK: tl.constexpr):
        row = tl.program_id(0)
        cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
        mask = cols < inter
        g = tl.load(h_ptr + row * 2 * inter + cols, mask=mask).to(tl.float32)
        u = tl.load(h_ptr + row * 2 * inter + inter + cols, mask=mask).to(tl.float32)
        v = g / (1.0 + tl.exp(-g)) * u
        if FP8:
            v = tl.minimum(tl.maximum(v * inv_scale, -448.0), 448.0)
            tl.store(o_ptr + row * inter + cols, v.to(tl.float8e4nv), mask=mask)
        else:
            tl.store(o_ptr + row * inter + cols, v.to(tl.bfloat16), mask=mask)

    def silu_mul(h, out, fp8):
        rows, inter = out.shape
        _silu_mul[(rows, triton.cdiv(inter, 1024))](h, out, inter, 1.0, FP8=fp8, BLOCK=1024)

    return silu_mul


def make_group_quant():
    """Block FP8's activation quantisation: per row and group of `GROUP` columns, FP8 values and the group's
    scale (amax / 448), as vLLM's `per_token_group_quant_fp8`; with `silu` the row is [gate | up] and the value
    quantised is SiLU(gate) * up (SiLU-and-mul fused with the quantisation)."""
    import triton
    import triton.language as tl

    @triton.jit
    def _group_quant(x_ptr, q_ptr, s_ptr, width, SILU: tl.constexpr, G: tl.constexpr):
        row = tl.program_id(0).to(tl.int64)
        g = tl.program_id(1)
        cols = g * G + tl.arange(0, G)
        if SILU:
            gate = tl.load(x_ptr + row * 2 * width + cols).to(tl.float32)
            up = tl.load(x_ptr + row * 2 * width + width + cols).to(tl.float32)
            v = gate / (1.0 + tl.exp(-gate)) * up
        else:
            v = tl.load(x_ptr + row * width + cols).to(tl.float32)
        scale = tl.maximum(tl.max(tl.abs(v)), 1e-10) / 448.0
        tl.store(q_ptr + row * width + cols, (v / scale).to(tl.float8e4nv))
        tl.store(s_ptr + row * (width // G) + g, scale)

    def group_quant(x, q, s, silu):
        rows, width = q.shape
        _group_quant[(rows, width // GROUP)](x, q, s, width, SILU=silu, G=GROUP)

    return group_quant


def make_moe_gemm():
    """The grouped GEMM of vLLM's fused-MoE design, our own Triton kernel: one program per (block of `BM`
    expert-sorted pairs, `BN` outputs); rows are gathered inside the kernel, padding pairs are masked, and the
    routing weight is applied in the epilogue of the down projection."""
    import triton
    import triton.language as tl

    @triton.jit
    def _moe_gemm(a_ptr, b_ptr, c_ptr, w_ptr, sorted_ptr, expert_ptr, total_ptr, as_ptr, bs_ptr, N, K, n_pairs,
                  a_div, stride_am, stride_be, stride_bn, stride_cm, stride_asm, stride_bse, stride_bsn,
                  MUL_W: tl.constexpr, BLOCK_SCALE: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
                  BK: tl.constexpr):
        pid = tl.program_id(0)
        num_n = tl.cdiv(N, BN)
        pid_m = pid // num_n
        pid_n = pid % num_n
        if pid_m * BM >= tl.load(total_ptr):
            return
        e = tl.load(expert_ptr + pid_m).to(tl.int64)
        pair = tl.load(sorted_ptr + pid_m * BM + tl.arange(0, BM))
        valid = pair < n_pairs
        offs_n = pid_n * BN + tl.arange(0, BN)
        offs_k = tl.arange(0, BK)
        a_ptrs = a_ptr + (pair // a_div).to(tl.int64)[:, None] * stride_am + offs_k[None, :]
        b_ptrs = b_ptr + e * stride_be + offs_n[None, :].to(tl.int64) * stride_bn + offs_k[:, None]
        acc = tl.zeros((BM, BN), dtype=tl.float32)
        if BLOCK_SCALE:  # BK is the block size; K and N are multiples of it
            as_ptrs = as_ptr + (pair // a_div).to(tl.int64) * stride_asm
            bs_ptrs = bs_ptr + e * stride_bse + (offs_n // BK).to(tl.int64) * stride_bsn
        for k in range(0, tl.cdiv(K, BK)):
            kmask = offs_k < K - k * BK
            a = tl.load(a_ptrs, mask=valid[:, None] & kmask[None, :], other=0.0)
            b = tl.load(b_ptrs, mask=kmask[:, None] & (offs_n[None, :] < N), other=0.0)
            if BLOCK_SCALE:
                a_s = tl.load(as_ptrs + k, mask=valid, other=0.0)
                b_s = tl.load(bs_ptrs + k, mask=offs_n < N, other=0.0)
                acc += tl.dot(a, b) * a_s[:, None] * b_s[None, :]
            else:
                acc = tl.dot(a, b, acc)
            a_ptrs += BK
            b_ptrs += BK
        if MUL_W:
            acc = acc * tl.load(w_ptr + pair, mask=valid, other=0.0)[:, None]
        c_ptrs = c_ptr + pair.to(tl.int64)[:, None] * stride_cm + offs_n[None, :]
        tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=valid[:, None] & (offs_n[None, :] < N))

    def moe_gemm(a, w, c, wts, sorted_ids, expert_of_block, total, n_pairs, a_div, mul_w, cfg, scales=None):
        """`scales`: block FP8's (activation group scales, weight block scales); None for the other formats."""
        bm, bn, bk, warps, stages = cfg
        assert scales is None or bk == GROUP, "block FP8 steps K one scale block at a time"
        experts, n, k = w.shape
        grid = (sorted_ids.numel() // bm * triton.cdiv(n, bn),)
        a_s, b_s = scales if scales else (wts, wts)  # not read without BLOCK_SCALE
        strides = (a_s.stride(0), b_s.stride(0), b_s.stride(1)) if scales else (0, 0, 0)
        _moe_gemm[grid](a, w, c, wts, sorted_ids, expert_of_block, total, a_s, b_s, n, k, n_pairs, a_div,
                        a.stride(0), w.stride(0), w.stride(1), c.stride(0), *strides, MUL_W=mul_w,
                        BLOCK_SCALE=scales is not None, BM=bm, BN=bn, BK=bk, num_warps=warps, num_stages=stages)

    return moe_gemm


def make_align():
    """vLLM's `moe_align_block_size` in Triton: the token-expert pairs sorted by expert, each expert's run padded
    to `BM` rows (padding rows hold `sentinel`), the expert of each block of `BM` rows, and the padded total.
    Counting and placing use atomics, so the order of the pairs inside an expert's run is arbitrary, as in
    vLLM's. Up to `SMALL` pairs one program does it all (vLLM's small-batch kernel); above, a memset and three
    grid kernels (count, block owners, scatter), as vLLM's large-batch path spreads it over the GPU."""
    import triton
    import triton.language as tl

    SMALL, CHUNK, BLOCKS = 8192, 1024, 64

    @triton.jit
    def _count(ids_ptr, sorted_ptr, count_ptr, n, rows, sentinel, CHUNK: tl.constexpr):
        offs = tl.program_id(0) * CHUNK + tl.arange(0, CHUNK)
        tl.store(sorted_ptr + offs, tl.zeros((CHUNK,), tl.int64) + sentinel, mask=offs < rows)
        e = tl.load(ids_ptr + offs, mask=offs < n, other=0)
        tl.atomic_add(count_ptr + e, tl.full((CHUNK,), 1, tl.int32), mask=offs < n)

    @triton.jit
    def _owners(expert_ptr, total_ptr, count_ptr, cursor_ptr, n_blocks, E: tl.constexpr, BM: tl.constexpr,
                BLOCKS: tl.constexpr):
        experts = tl.arange(0, E)
        padded = (tl.load(count_ptr + experts) + BM - 1) // BM * BM
        ends = tl.cumsum(padded, 0)
        if tl.program_id(0) == 0:
            tl.store(cursor_ptr + experts, ends - padded)
            tl.store(total_ptr, tl.sum(padded, 0))
        blocks = tl.program_id(0) * BLOCKS + tl.arange(0, BLOCKS)
        owner = tl.sum((ends[None, :] <= blocks[:, None] * BM).to(tl.int32), 1)  # blocks past the total: E
        tl.store(expert_ptr + blocks, owner, mask=blocks < n_blocks)

    @triton.jit
    def _scatter(ids_ptr, pairs_ptr, sorted_ptr, cursor_ptr, n, CHUNK: tl.constexpr):
        offs = tl.program_id(0) * CHUNK + tl.arange(0, CHUNK)
        e = tl.load(ids_ptr + offs, mask=offs < n, other=0)
        at = tl.atomic_add(cursor_ptr + e, tl.full((CHUNK,), 1, tl.int32), mask=offs < n)
        tl.store(sorted_ptr + at, tl.load(pairs_ptr + offs, mask=offs < n), mask=offs < n)

    @triton.jit
    def _align(ids_ptr, pairs_ptr, sorted_ptr, expert_ptr, total_ptr, count_ptr, cursor_ptr, n, rows, sentinel,
               E: tl.constexpr, BM: tl.constexpr, CHUNK: tl.constexpr, BLOCKS: tl.constexpr):
        experts = tl.arange(0, E)
        tl.store(count_ptr + experts, tl.zeros((E,), dtype=tl.int32))
        for start in range(0, rows, CHUNK):
            offs = start + tl.arange(0, CHUNK)
            tl.store(sorted_ptr + offs, tl.zeros((CHUNK,), tl.int64) + sentinel, mask=offs < rows)
        tl.debug_barrier()
        for start in range(0, n, CHUNK):
            offs = start + tl.arange(0, CHUNK)
            e = tl.load(ids_ptr + offs, mask=offs < n, other=0)
            tl.atomic_add(count_ptr + e, tl.full((CHUNK,), 1, tl.int32), mask=offs < n)
        tl.debug_barrier()
        padded = (tl.load(count_ptr + experts, volatile=True) + BM - 1) // BM * BM
        ends = tl.cumsum(padded, 0)
        tl.store(cursor_ptr + experts, ends - padded)
        tl.store(total_ptr, tl.sum(padded, 0))
        for start in range(0, rows // BM, BLOCKS):
            blocks = start + tl.arange(0, BLOCKS)
            owner = tl.sum((ends[None, :] <= blocks[:, None] * BM).to(tl.int32), 1)  # blocks past the total: E
            tl.store(expert_ptr + blocks, owner, mask=blocks < rows // BM)
        tl.debug_barrier()
        for start in range(0, n, CHUNK):
            offs = start + tl.arange(0, CHUNK)
            e = tl.load(ids_ptr + offs, mask=offs < n, other=0)
            at = tl.atomic_add(cursor_ptr + e, tl.full((CHUNK,), 1, tl.int32), mask=offs < n)
            tl.store(sorted_ptr + at, tl.load(pairs_ptr + offs, mask=offs < n), mask=offs < n)

    def align(ids, pairs, sorted_ids, expert_of_block, total, counts, cursor, sentinel, bm):
        n, rows, experts = ids.numel(), sorted_ids.numel(), counts.numel()
        if n <= SMALL:
            _align[(1,)](ids, pairs, sorted_ids, expert_of_block, total, counts, cursor, n, rows, sentinel,
                         E=experts, BM=bm, CHUNK=CHUNK, BLOCKS=max(16, 8192 // experts), num_warps=8)
            return
        counts.zero_()
        _count[(triton.cdiv(max(rows, n), CHUNK),)](ids, sorted_ids, counts, n, rows, sentinel, CHUNK=CHUNK)
        _owners[(triton.cdiv(rows // bm, BLOCKS),)](expert_of_block, total, counts, cursor, rows // bm, E=experts,
                                                    BM=bm, BLOCKS=BLOCKS)
        _scatter[(triton.cdiv(n, CHUNK),)](ids, pairs, sorted_ids, cursor, n, CHUNK=CHUNK)

    return align


def triton_configs(pairs, experts, fp8):
    """(BM, BN, BK, warps, stages) to try, by the mean pairs per expert (as vLLM's tuned tables step BM)."""
    per = pairs / experts
    bk = 128 if fp8 else 64
    if per <= 16:
        return [(16, 64, bk, 4, 4), (16, 128, bk, 4, 3)]
    if per <= 64:
        return [(32, 64, bk, 4, 4), (64, 128, bk, 4, 3)]
    if per <= 512:
        return [(64, 128, bk, 4, 3), (128, 128, bk, 8, 3)]
    return [(128, 128, bk, 8, 3), (128, 256, bk, 8, 3)]


class Block:
    """One expert block's weights on this GPU, the buffers of one token count, and the call to time."""

    def __init__(self, bench, dtype, hidden, inter, experts, topk, ep):
        torch = bench.torch
        self.torch, self.bench, self.dtype = torch, bench, dtype
        self.hidden, self.inter, self.experts, self.topk, self.ep = hidden, inter, experts, topk, ep
        self.fp8 = dtype in ("fp8", "fp8_block")
        self.block = dtype == "fp8_block"
        self.wdt = torch.float8_e4m3fn if self.fp8 else torch.bfloat16
        dev = bench.dev
        # Stored (experts, out, in) as checkpoints hold them: K-major for both kernels.
        self.w13 = (torch.randn(experts, 2 * inter, hidden, device=dev, dtype=torch.bfloat16) * 0.02).to(self.wdt)
        self.w2 = (torch.randn(experts, hidden, inter, device=dev, dtype=torch.bfloat16) * 0.02).to(self.wdt)
        if self.block:  # one scale per 128 x 128 block (unit: the timing does not depend on the values)
            self.sb13 = torch.ones(experts, 2 * inter // GROUP, hidden // GROUP, device=dev, dtype=torch.float32)
            self.sb2 = torch.ones(experts, hidden // GROUP, inter // GROUP, device=dev, dtype=torch.float32)
        elif self.fp8:
            self.sb13 = torch.ones(experts, 2 * inter, device=dev, dtype=torch.float32)
            self.sb2 = torch.ones(experts, hidden, device=dev, dtype=torch.float32)

    def prepare(self, tokens, routes, kernel, cfg=None):
        """Inputs and buffers for `tokens` tokens, the routings (one per call of the timed graph), a kernel."""
        torch, dev = self.torch, self.bench.dev
        self.kernel, self.cfg, self.tokens = kernel, cfg, tokens
        n_pairs = tokens * self.topk
        self.x = torch.randn(tokens, self.hidden, device=dev, dtype=torch.bfloat16)
        self.xq = torch.empty(tokens, self.hidden, device=dev, dtype=self.wdt) if self.fp8 else None
        if self.block:  # group scales of the block's input and of the down projection's
            self.xs = torch.empty(tokens, self.hidden // GROUP, device=dev, dtype=torch.float32)
            self.acts = torch.empty(n_pairs, self.inter // GROUP, device=dev, dtype=torch.float32)
        self.wts = torch.rand(n_pairs, device=dev, dtype=torch.float32)
        self.routes = [(i.to(dev), p.to(dev)) for i, p in routes]
        local = max(len(i) for i, _ in routes)
        pad = cfg[0] if kernel == "triton" else self.bench.pad[self.dtype]
        rows = -(-(local + self.experts * (pad - 1)) // pad) * pad
        self.one = torch.ones(local, device=dev, dtype=torch.int32)
        self.arange = torch.arange(local, device=dev, dtype=torch.int64)
        self.c2 = torch.empty(n_pairs, self.hidden, device=dev, dtype=torch.bfloat16)
        if kernel == "triton":
            self.sorted = torch.empty(rows, device=dev, dtype=torch.int64)
            self.expert_of_block = torch.empty(rows // pad, device=dev, dtype=torch.int32)
            self.total = torch.empty(1, device=dev, dtype=torch.int32)
            self.counts = torch.empty(self.experts, device=dev, dtype=torch.int32)
            self.cursor = torch.empty(self.experts, device=dev, dtype=torch.int32)
            self.c1 = torch.empty(n_pairs, 2 * self.inter, device=dev, dtype=torch.bfloat16)
            self.act = torch.empty(n_pairs, self.inter, device=dev, dtype=self.wdt)
        else:
            self.buf = torch.empty(rows, self.hidden, device=dev, dtype=self.wdt) if pad > 1 else None
            self.act = torch.empty(rows, self.inter, device=dev, dtype=self.wdt)
            self.sa = torch.ones(rows, device=dev, dtype=torch.float32) if self.fp8 else None

    def layout(self, ids, pad):
        """vLLM's `moe_align_block_size`: pairs sorted by expert, each expert's run padded to `pad` rows."""
        torch = self.torch
        n = len(ids)
        order = torch.argsort(ids, stable=True)
        sid = ids.index_select(0, order)
        counts = torch.zeros(self.experts, device=ids.device, dtype=torch.int32).index_add_(0, ids, self.one[:n])
        padded = (counts + pad - 1) // pad * pad
        ends = torch.cumsum(padded, 0, dtype=torch.int32)
        dest = (ends - padded).long().index_select(0, sid) + self.arange[:n] - \
            (torch.cumsum(counts, 0) - counts).long().index_select(0, sid)
        return order, dest, ends

    def __call__(self, r):
        torch = self.torch
        ids, pairs = self.routes[r]
        src = self.x
        if self.block:
            self.bench.group_quant(self.x, self.xq, self.xs, False)
            src = self.xq
        elif self.fp8:
            self.bench.quant(self.x, self.xq, 1.0)
            src = self.xq
        if self.ep > 1:
            self.c2.zero_()  # pairs routed to other ranks add nothing (vLLM's kernel writes their zeros)
        if self.kernel == "triton":
            self.triton_block(src, ids, pairs)
        else:
            self.grouped_block(src, ids, pairs)
        return self.c2.view(self.tokens, self.topk, self.hidden).sum(1)  # vLLM's moe_sum

    def triton_block(self, src, ids, pairs):
        n_pairs = self.tokens * self.topk
        expert_of_block, total = self.expert_of_block, self.total
        self.bench.align(ids, pairs, self.sorted, expert_of_block, total, self.counts, self.cursor, n_pairs,
                         self.cfg[0])
        gemm = self.bench.moe_gemm
        gemm(src, self.w13, self.c1, self.wts, self.sorted, expert_of_block, total, n_pairs, self.topk, False,
             self.cfg, (self.xs, self.sb13) if self.block else None)
        if self.block:
            self.bench.group_quant(self.c1, self.act, self.acts, True)
        else:
            self.bench.silu_mul(self.c1, self.act, self.fp8)
        gemm(self.act, self.w2, self.c2, self.wts, self.sorted, expert_of_block, total, n_pairs, 1, True,
             self.cfg, (self.acts, self.sb2) if self.block else None)

    def grouped_block(self, src, ids, pairs):
        torch = self.torch
        pad = self.bench.pad[self.dtype]
        order, dest, ends = self.layout(ids, pad)
        spair = pairs.index_select(0, order)
        rows = src.index_select(0, spair // self.topk)
        if pad > 1:  # the padding rows are computed, unused
            rows = self.buf.index_copy_(0, dest, rows)
        h = self.grouped(rows, self.w13, ends, self.sb13 if self.fp8 else None)
        act = self.act[:h.shape[0]]
        self.bench.silu_mul(h, act, self.fp8)
        y = self.grouped(act, self.w2, ends, self.sb2 if self.fp8 else None)
        if pad > 1:
            y = y.index_select(0, dest)
        self.c2.index_copy_(0, spair, y * self.wts.index_select(0, spair).unsqueeze(1).to(y.dtype))

    def grouped(self, a, w, offs, sb):
        torch = self.torch
        if self.fp8:
            return torch._scaled_grouped_mm(a, w.transpose(-2, -1), self.sa[:a.shape[0]], sb, offs=offs,
                                            out_dtype=torch.bfloat16)
        return torch._grouped_mm(a, w.transpose(-2, -1), offs=offs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--budget", type=float, default=420.0, help="seconds for the sweep")
    ap.add_argument("--check", action="store_true", help="check the block against a per-expert loop, then exit")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    bench = Bench(args)
    bench.check()
    if not args.check:
        bench.run()


class Bench:
    def __init__(self, args):
        import torch

        self.torch, self.args = torch, args
        self.dev = torch.device("cuda")
        self.quant = make_quant(torch)
        self.silu_mul = make_silu_mul(torch)
        self.group_quant = make_group_quant()
        self.gen = torch.Generator().manual_seed(1234)
        self.failures = 0
        self.moe_gemm = make_moe_gemm()
        self.align = make_align()
        self.configs = []

    def fail(self, what, err):
        """Report a shape that could not be timed, and go on."""
        self.failures += 1
        print(f"{what}: {str(err).splitlines()[0][:200]}", file=sys.stderr)

    def check(self):
        """Per dtype, the group padding PyTorch's grouped GEMM accepts (none, else 16 rows); then each kernel's
        output against a plain per-expert loop on a small random case, with and without expert parallelism."""
        torch = self.torch
        hidden, inter, experts, tokens, topk = 256, 128, 16, 40, 4
        self.pad = {}
        for dtype in DTYPES:
            grouped = [] if dtype == "fp8_block" else [("grouped", None)]
            for pad in (1, 16) if grouped else ():
                self.pad[dtype] = pad
                blk = Block(self, dtype, hidden, inter, experts, topk, 1)
                blk.prepare(tokens, [routing(torch, self.gen, tokens, experts, topk, 1)], "grouped")
                try:
                    blk(0)
                    torch.cuda.synchronize()
                    break
                except Exception as e:  # noqa: BLE001 - try the padded layout
                    print(f"check {dtype} pad {pad}: {str(e).splitlines()[0][:200]}", file=sys.stderr)
                    del self.pad[dtype]
            if grouped and dtype not in self.pad:
                sys.exit(f"no grouped GEMM for {dtype}")
            for ep, n in ((1, tokens), (2, tokens), (1, 2500)):  # 2,500 tokens: the large-batch expert sort
                blk = Block(self, dtype, hidden, inter, experts // ep, topk, ep)
                routes = [routing(torch, self.gen, n, experts, topk, ep)]
                want = self.reference(blk, n, routes)
                bk = 64 if dtype == "bfloat16" else 128
                for kernel, cfg in grouped + [("triton", (16, 64, bk, 4, 3)), ("triton", (64, 128, bk, 4, 3))]:
                    blk.prepare(n, routes, kernel, cfg)
                    blk.x.copy_(self.x_ref)
                    blk.wts.copy_(self.w_ref)
                    got = blk(0).float()
                    err = float((got - want).norm() / want.norm())
                    print(f"check {dtype} ep{ep} t{n} {kernel} {cfg}: relative error {err:.3g}")
                    if not err < (0.1 if blk.fp8 else 0.03):
                        sys.exit(f"check {dtype} {kernel} failed")

    def reference(self, blk, tokens, routes):
        """The block's output by a per-expert loop in FP32 (inputs kept in `x_ref`, `w_ref`)."""
        torch = self.torch
        ids, pairs = (t.to(self.dev) for t in routes[0])
        self.x_ref = torch.randn(tokens, blk.hidden, device=self.dev, dtype=torch.bfloat16)
        self.w_ref = torch.rand(tokens * blk.topk, device=self.dev, dtype=torch.float32)
        def quant(v):  # the activations as the kernels quantise them (unit weight scales)
            if blk.block:
                g = v.view(v.shape[0], -1, GROUP)
                s = g.abs().amax(-1, keepdim=True).clamp(min=1e-10) / 448.0
                return ((g / s).to(blk.wdt).float() * s).view(v.shape)
            return v.to(blk.wdt).float()

        x = quant(self.x_ref.float())
        want = torch.zeros(tokens, blk.hidden, device=self.dev)
        for e in range(blk.experts):
            sel = ids == e
            if not bool(sel.any()):
                continue
            toks = pairs[sel] // blk.topk
            h = x[toks] @ blk.w13[e].float().t()
            a = quant(torch.nn.functional.silu(h[:, :blk.inter]) * h[:, blk.inter:])
            want.index_add_(0, toks, (a @ blk.w2[e].float().t()) * self.w_ref[pairs[sel]].unsqueeze(1))
        return want

    def run(self):
        torch = self.torch
        deadline = time.time() + self.args.budget
        path = os.path.join(self.args.outdir, "moe.csv")
        rows = 0
        with open(path, "w", newline="") as f:
            write_header(f, torch)
            out = csv.writer(f)
            out.writerow(COLUMNS)
            t0 = time.time()
            for dtype in DTYPES:
                for model, (hidden, inter, topk, experts, formats) in MODELS.items():
                    if dtype not in formats:
                        continue
                    for tp, ep in LAYOUTS:
                        if inter // tp < 128:
                            continue  # not deployed (AIC's collector skips them too)
                        if dtype == "fp8_block" and inter // tp % GROUP:
                            continue  # vLLM refuses block FP8 experts split off a block boundary
                        try:
                            blk = Block(self, dtype, hidden, inter // tp, experts // ep, topk, ep)
                        except Exception as e:  # noqa: BLE001 - record and go on
                            self.fail(f"{dtype} {model} tp{tp} ep{ep}", e)
                            continue
                        for tokens in TOKENS:
                            if time.time() > deadline:
                                print("budget spent", file=sys.stderr)
                                break
                            routes = [routing(torch, self.gen, tokens, experts, topk, ep) for _ in range(REPEAT)]
                            pairs = statistics.mean(len(i) for i, _ in routes)
                            grouped = "scaled_grouped_mm" if dtype == "fp8" else "grouped_mm"
                            best = {}
                            grouped_kernel = [] if dtype == "fp8_block" else [("grouped", None)]
                            for kernel, cfg in grouped_kernel + [
                                    ("triton", c) for c in triton_configs(pairs, experts // ep, dtype != "bfloat16")]:
                                name = grouped if kernel == "grouped" else "triton"
                                try:
                                    blk.prepare(tokens, routes, kernel, cfg)
                                    ms = time_graph(torch, blk, REPEAT, warm_replays=3)
                                except Exception as e:  # noqa: BLE001 - record and go on
                                    self.fail(f"{dtype} {model} tp{tp} ep{ep} t{tokens} {kernel} {cfg}", e)
                                    continue
                                if name not in best or ms < best[name][0]:
                                    best[name] = (ms, cfg)
                            for name, (ms, cfg) in best.items():
                                out.writerow(["moe", dtype, name, model, tokens, hidden, inter, topk, experts, tp,
                                              ep, f"power_law_{ALPHA}", f"{pairs:.1f}", f"{ms:.6g}", REPEAT])
                                rows += 1
                                if name == "triton":
                                    self.configs.append((dtype, model, tp, ep, tokens, cfg))
                        blk = None
                        torch.cuda.empty_cache()
                        f.flush()
                        print(f"{dtype} {model} tp{tp} ep{ep}: {rows} rows, {time.time() - t0:.0f} s", flush=True)
        print(f"wrote {rows} rows to {path}; {self.failures} failed")
        print("fastest Triton config (BM, BN, BK, warps, stages) per shape:")
        for c in self.configs:
            print(*c)


if __name__ == "__main__":
    main()
