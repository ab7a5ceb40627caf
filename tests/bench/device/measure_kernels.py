#!/usr/bin/env python3
"""Measure the GEMM, attention and element-wise kernels of dense Llama-3.1 and Qwen3 passes on this GPU, with PyTorch.

Writes `kernels.csv` (one row per kernel shape, the median of timed CUDA-graph replays), `smi.csv` (clocks,
power and temperature every 100 ms) and, unless `--no-sustained`, `sustained.csv`: a prefill-sized GEMM timed
isolated, back to back for a while, interleaved with decode-sized GEMMs at several duty cycles and with idle
gaps. The summary tables it prints last (median times, each phase's prefill share, clocks and power per phase)
are what the committed `*.log` files hold.
`tests/bench/fidelity_device.ts` compares dynolab's analytic model with `kernels.csv`.

Method (as AI Configurator's vLLM collector times a kernel): each timed graph holds `REPEAT` calls, each on
its own weights (or KV cache), so the weights stream from HBM as in a real pass rather than from L2; 3 warm-up
runs, then the median of 10 replays, divided by `REPEAT`. The GPU is measured as found: clocks and power
limits are not changed (AIC's collector locks them; the serving runs of the silicon corpus do not).

Kernels: BF16 GEMM is `F.linear` (cuBLAS, what vLLM runs for unquantized layers). FP8 GEMM is a static
per-tensor activation quantisation (one Triton kernel, as vLLM's `static_scaled_fp8_quant`) followed by
`torch._scaled_mm` (cuBLASLt FP8) with per-tensor scales, as a modelopt FP8 checkpoint runs. Attention is
`scaled_dot_product_attention` with grouped KV heads, on the flash (FlashAttention-2) and cuDNN backends;
vLLM's FlashAttention-3 is not available to PyTorch alone. Prefix attention (`s` new tokens after `p` cached
ones, causal aligned bottom-right as in a chunked or prefix-cached prefill) is FlashAttention-2 called directly,
checked against an explicit mask first. Element-wise ops (residual add + RMSNorm, SiLU-and-mul, NeoX RoPE) are
compiled by `torch.compile` with a dynamic token dimension, as vLLM V1 compiles them by default.

Usage: python3 measure_kernels.py OUTDIR [--budget SECONDS] [--no-sustained] [--dry-run]
"""

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

# Public config.json values of the models measured: (hidden, heads, kv heads, head dim, ffn, vocab).
MODELS = {
    "Llama-3.1-8B": (4096, 32, 8, 128, 14336, 128256),
    "Llama-3.1-70B": (8192, 64, 8, 128, 28672, 128256),
    "Qwen3-8B": (4096, 32, 8, 128, 12288, 151936),
    "Qwen3-32B": (5120, 64, 8, 128, 25600, 151936),
}
TPS = (1, 2, 4, 8)
GEMM_M = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
LOGITS_M = (1, 8, 32, 128, 512)
CONTEXT = [(1, s) for s in (256, 512, 1024, 2048, 4096, 8192, 16384)] + [
    (4, s) for s in (256, 1024, 4096)
] + [(16, s) for s in (256, 1024)]
GENERATION = [(b, s) for b in (1, 4, 16, 64, 256) for s in (1024, 4096, 16384, 32768)]
# (new tokens, cached prefix) at batch 1; each full length s + p is also in CONTEXT, for the prefix-free ratio.
PREFIX = [(256, 768), (256, 3840), (1024, 3072), (2048, 2048), (128, 8064), (1024, 7168), (4096, 4096),
          (512, 15872), (4096, 12288), (8192, 8192)]
ELEMENTWISE_M = (1, 8, 64, 256, 1024, 4096, 8192, 16384)
NORM_H = (4096, 5120, 8192)
ACT_F = (1536, 3584, 7168, 14336, 28672)
ROPE_HEADS = ((64, 8), (32, 8), (16, 4), (8, 2), (8, 1), (4, 1))
REPEAT = 6
COLUMNS = ["op", "dtype", "kernel", "model", "tp", "m", "n", "k", "batch", "seq", "heads", "kv_heads",
           "head_dim", "latency_ms", "repeat", "prefix"]


def gemm_shapes():
    """(name, n, k, ms, models) for every distinct GEMM of the models at TP 1-8."""
    shapes = {}
    for model, (h, heads, kv, d, ffn, vocab) in MODELS.items():
        for tp in TPS:
            kvg = max(1, kv // tp)
            for name, n, k, ms in (
                ("qkv", (heads // tp + 2 * kvg) * d, h, GEMM_M),
                ("proj", h, heads // tp * d, GEMM_M),
                ("gate_up", 2 * ffn // tp, h, GEMM_M),
                ("down", h, ffn // tp, GEMM_M),
                ("logits", vocab // tp, h, LOGITS_M),
            ):
                key = (name == "logits", n, k)
                shapes.setdefault(key, [name, n, k, ms, []])[4].append(f"{model}/tp{tp}")
    return list(shapes.values())


def attention_shapes():
    """Distinct (heads, kv heads, head dim) per GPU of the models at TP 1-8."""
    out = {}
    for model, (_h, heads, kv, d, _f, _v) in MODELS.items():
        for tp in TPS:
            out.setdefault((heads // tp, max(1, kv // tp), d), []).append(f"{model}/tp{tp}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--budget", type=float, default=480.0, help="seconds for the kernel sweep")
    ap.add_argument("--sustained", type=float, default=40.0, help="seconds of back-to-back prefill GEMMs")
    ap.add_argument("--no-sustained", action="store_true")
    ap.add_argument("--dry-run", action="store_true", help="list the shapes and exit")
    args = ap.parse_args()
    gemms, attns = gemm_shapes(), attention_shapes()
    n_gemm = sum(len(ms) * (1 if name == "logits" else 2) for name, _, _, ms, _ in gemms)
    n_attn = len(attns) * ((len(CONTEXT) + len(GENERATION)) * 2 + len(PREFIX))
    n_elem = len(ELEMENTWISE_M) * (len(NORM_H) + len(ACT_F) + len(ROPE_HEADS))
    print(f"{len(gemms)} GEMM shapes ({n_gemm} timings), {len(attns)} attention shapes ({n_attn} timings), "
          f"{n_elem} element-wise timings")
    if args.dry_run:
        for g in gemms:
            print(g[0], g[1], g[2], ",".join(g[4]))
        for a, who in attns.items():
            print(a, ",".join(who))
        return
    os.makedirs(args.outdir, exist_ok=True)
    Bench(args).run(gemms, attns)


class Bench:
    def __init__(self, args):
        import torch
        import torch.nn.functional as F

        self.torch, self.F, self.args = torch, F, args
        self.dev = torch.device("cuda")
        self.deadline = time.time() + args.budget
        self.path = os.path.join(args.outdir, "kernels.csv")
        self.file = open(self.path, "w", newline="")
        self.csv = csv.writer(self.file)
        write_header(self.file, torch)
        self.csv.writerow(COLUMNS)
        self.quant = make_quant(torch)
        self.rows = 0
        self.failures = 0

    def fail(self, what, err):
        """Report a shape that could not be timed (the first 30 in full), and go on."""
        self.failures += 1
        if self.failures <= 30:
            print(f"{what}: {str(err).splitlines()[0][:200]}", file=sys.stderr)

    def write(self, **row):
        self.csv.writerow([row.get(c, "") for c in COLUMNS])
        self.rows += 1
        if self.rows % 50 == 0:
            self.file.flush()

    def time_graph(self, fn, repeat):
        return time_graph(self.torch, fn, repeat)

    def run(self, gemms, attns):
        smi = start_smi(os.path.join(self.args.outdir, "smi.csv"))
        t0 = time.time()
        self.ceilings()
        done = self.gemm_sweep(gemms)
        print(f"GEMMs: {done} timings in {time.time() - t0:.0f} s")
        t1 = time.time()
        done = self.attention_sweep(attns)
        print(f"attention: {done} timings in {time.time() - t1:.0f} s")
        t1 = time.time()
        done = self.prefix_sweep(attns)
        print(f"prefix attention: {done} timings in {time.time() - t1:.0f} s")
        t1 = time.time()
        done = self.elementwise_sweep()
        print(f"element-wise: {done} timings in {time.time() - t1:.0f} s")
        self.file.close()
        print(f"wrote {self.rows} rows to {self.path}; {self.failures} shapes failed")
        phases = {"kernel sweep": (t0, time.time())}
        if not self.args.no_sustained:
            phases.update(Sustained(self).run())
        time.sleep(0.5)
        smi.terminate()
        smi.wait()
        clocks_by_phase(os.path.join(self.args.outdir, "smi.csv"), phases)

    def ceilings(self):
        """Device-to-device copy bandwidth and a large BF16 GEMM's rate, after two seconds of warm-up."""
        torch = self.torch
        a = torch.randn(4096, 4096, device=self.dev, dtype=torch.bfloat16)
        end = time.time() + 2
        while time.time() < end:
            for _ in range(20):
                a @ a
            torch.cuda.synchronize()
        x = torch.randn(2**28, device=self.dev, dtype=torch.bfloat16)  # 512 MiB
        y = torch.empty_like(x)
        ms = self.time_graph(lambda i: y.copy_(x), 4)
        print(f"copy: {2 * x.numel() * 2 / ms / 1e9:.2f} TB/s (read + write)")
        self.write(op="copy", dtype="bfloat16", kernel="copy_", n=x.numel(), latency_ms=f"{ms:.6g}", repeat=4)
        a = torch.randn(8192, 8192, device=self.dev, dtype=torch.bfloat16)
        b = torch.randn(8192, 8192, device=self.dev, dtype=torch.bfloat16)
        ms = self.time_graph(lambda i: a @ b, 4)
        print(f"bf16 8192^3: {2 * 8192**3 / ms / 1e9:.0f} TFLOP/s")
        self.write(op="peak", dtype="bfloat16", kernel="matmul", m=8192, n=8192, k=8192,
                   latency_ms=f"{ms:.6g}", repeat=4)
        del x, y, a, b

    def gemm_sweep(self, gemms):
        torch, F = self.torch, self.F
        done = 0
        fp8 = torch.float8_e4m3fn
        one = torch.ones((), device=self.dev, dtype=torch.float32)
        for name, n, k, ms, who in gemms:
            w16 = [torch.randn(n, k, device=self.dev, dtype=torch.bfloat16) * 0.02 for _ in range(REPEAT)]
            w8 = None if name == "logits" else [w.to(fp8) for w in w16]
            for m in ms:
                if time.time() > self.deadline:
                    return done
                x = torch.randn(m, k, device=self.dev, dtype=torch.bfloat16)
                base = dict(op="logits" if name == "logits" else "gemm", model=who[0].split("/")[0],
                            tp=who[0].split("tp")[1], m=m, n=n, k=k, repeat=REPEAT)
                try:
                    t = self.time_graph(lambda i: F.linear(x, w16[i]), REPEAT)
                    self.write(dtype="bfloat16", kernel="cublas", latency_ms=f"{t:.6g}", **base)
                    done += 1
                except Exception as e:  # noqa: BLE001 - record and go on
                    self.fail(f"bf16 {m}x{n}x{k}", e)
                if w8 is None:
                    continue
                # cuBLASLt FP8 may want the rows a multiple of 16: pad if it refuses (vLLM's CUTLASS does not).
                for rows, kernel in ((m, "quant+cublaslt"), (-(-m // 16) * 16, "quant+cublaslt_pad16")):
                    xr = x if rows == m else torch.randn(rows, k, device=self.dev, dtype=torch.bfloat16)
                    xq = torch.empty(rows, k, device=self.dev, dtype=fp8)

                    def step(i, xr=xr, xq=xq):
                        self.quant(xr, xq, 1.0)
                        return torch._scaled_mm(xq, w8[i].t(), scale_a=one, scale_b=one,
                                                out_dtype=torch.bfloat16)
                    try:
                        t = self.time_graph(step, REPEAT)
                    except Exception as e:  # noqa: BLE001
                        self.fail(f"fp8 {rows}x{n}x{k}", e)
                        if rows % 16 == 0:
                            break
                        continue
                    self.write(dtype="fp8", kernel=kernel, latency_ms=f"{t:.6g}", **base)
                    done += 1
                    break
            del w16, w8
            torch.cuda.empty_cache()
        return done

    def attention_sweep(self, attns):
        torch, F = self.torch, self.F
        from torch.nn.attention import SDPBackend, sdpa_kernel

        backends = {"flash": SDPBackend.FLASH_ATTENTION, "cudnn": SDPBackend.CUDNN_ATTENTION}
        done = 0
        for (heads, kv, d), who in attns.items():
            model, tp = who[0].split("/tp")
            for phase, grid in (("context", CONTEXT), ("generation", GENERATION)):
                for b, s in grid:
                    if time.time() > self.deadline:
                        return done
                    kv_len = s + 1 if phase == "generation" else s
                    q_len = 1 if phase == "generation" else s
                    kv_bytes = 2 * b * kv * kv_len * d * 2
                    if kv_bytes > 8 * 2**30:
                        continue
                    # Rotate KV caches that L2 would hold, so that each call reads HBM.
                    rep = REPEAT if kv_bytes < 256 * 2**20 else 1
                    q = torch.randn(b, heads, q_len, d, device=self.dev, dtype=torch.bfloat16)
                    ks = [torch.randn(b, kv, kv_len, d, device=self.dev, dtype=torch.bfloat16)
                          for _ in range(rep)]
                    vs = [torch.randn(b, kv, kv_len, d, device=self.dev, dtype=torch.bfloat16)
                          for _ in range(rep)]
                    causal = phase == "context"
                    for kname, backend in backends.items():
                        def call(i, backend=backend):
                            with sdpa_kernel([backend]):
                                return F.scaled_dot_product_attention(
                                    q, ks[i], vs[i], is_causal=causal, enable_gqa=heads != kv)
                        try:
                            t = self.time_graph(call, rep)
                        except Exception as e:  # noqa: BLE001
                            self.fail(f"{phase} {kname} b={b} s={s} h={heads}/{kv}", e)
                            continue
                        self.write(op=f"{phase}_attention", dtype="bfloat16", kernel=kname, model=model, tp=tp,
                                   batch=b, seq=s, heads=heads, kv_heads=kv, head_dim=d,
                                   latency_ms=f"{t:.6g}", repeat=rep)
                        done += 1
                    del q, ks, vs
            torch.cuda.empty_cache()
        return done

    def prefix_sweep(self, attns):
        """Causal attention of `s` new tokens over `s + p` keys, bottom-right aligned, FlashAttention-2."""
        torch = self.torch
        flash = torch.ops.aten._scaled_dot_product_flash_attention
        if not self.prefix_check(flash):
            return 0
        done = 0
        for (heads, kv, d), who in attns.items():
            model, tp = who[0].split("/tp")
            for s, p in PREFIX:
                if time.time() > self.deadline:
                    return done
                q = torch.randn(1, heads, s, d, device=self.dev, dtype=torch.bfloat16)
                ks = [torch.randn(1, kv, s + p, d, device=self.dev, dtype=torch.bfloat16) for _ in range(REPEAT)]
                vs = [torch.randn(1, kv, s + p, d, device=self.dev, dtype=torch.bfloat16) for _ in range(REPEAT)]
                try:
                    t = self.time_graph(lambda i: flash(q, ks[i], vs[i], 0.0, True)[0], REPEAT)
                except Exception as e:  # noqa: BLE001
                    self.fail(f"prefix s={s} p={p} h={heads}/{kv}", e)
                    continue
                self.write(op="prefix_attention", dtype="bfloat16", kernel="flash", model=model, tp=tp, batch=1,
                           seq=s, prefix=p, heads=heads, kv_heads=kv, head_dim=d, latency_ms=f"{t:.6g}",
                           repeat=REPEAT)
                done += 1
                del q, ks, vs
        return done

    def prefix_check(self, flash):
        """Does the flash op align a short query's causal mask bottom-right, with grouped KV heads?"""
        torch = self.torch
        s, p, heads, kv, d = 64, 192, 8, 2, 128
        q = torch.randn(1, heads, s, d, device=self.dev, dtype=torch.bfloat16)
        k = torch.randn(1, kv, s + p, d, device=self.dev, dtype=torch.bfloat16)
        v = torch.randn(1, kv, s + p, d, device=self.dev, dtype=torch.bfloat16)
        try:
            out = flash(q, k, v, 0.0, True)[0].float()
        except Exception as e:  # noqa: BLE001
            self.fail("prefix check", e)
            return False
        rep = heads // kv
        kf, vf = k.float().repeat_interleave(rep, 1), v.float().repeat_interleave(rep, 1)
        mask = torch.ones(s, s + p, device=self.dev, dtype=torch.bool).tril(diagonal=p)
        ref = self.F.scaled_dot_product_attention(q.float(), kf, vf, attn_mask=mask)
        err = (out - ref).abs().max().item()
        print(f"prefix check (bottom-right causal, GQA {heads}/{kv}): max abs error {err:.2e}")
        return err < 2e-2

    def elementwise_sweep(self):
        """Residual add + RMSNorm, SiLU-and-mul and NeoX RoPE, compiled with a dynamic token count."""
        torch, F = self.torch, self.F
        bf16 = torch.bfloat16

        def add_rms_norm(x, r, w):
            r = x + r
            rf = r.float()
            y = rf * torch.rsqrt(rf.pow(2).mean(-1, keepdim=True) + 1e-6)
            return y.to(bf16) * w, r

        def silu_mul(x):
            f = x.shape[-1] // 2
            return F.silu(x[:, :f]) * x[:, f:]

        def rope(q, k, pos, cos, sin):
            c, s_ = cos[pos].unsqueeze(1), sin[pos].unsqueeze(1)

            def rot(t):
                a, b = t.chunk(2, dim=-1)
                return torch.cat((a * c - b * s_, b * c + a * s_), dim=-1)

            return rot(q), rot(k)

        compiled = {name: torch.compile(fn, dynamic=True) for name, fn in
                    (("add_rms_norm", add_rms_norm), ("silu_mul", silu_mul), ("rope", rope))}
        cases = [("add_rms_norm", h, None) for h in NORM_H] + [("silu_mul", f, None) for f in ACT_F] + \
            [("rope", hq, hk) for hq, hk in ROPE_HEADS]
        d = 128
        cos = torch.randn(32768, d // 2, device=self.dev, dtype=torch.float32)
        sin = torch.randn(32768, d // 2, device=self.dev, dtype=torch.float32)
        done = 0
        for name, n, kvh in cases:
            fn = compiled[name]
            for m in ELEMENTWISE_M:
                if time.time() > self.deadline:
                    return done
                if name == "add_rms_norm":
                    w = torch.randn(n, device=self.dev, dtype=bf16)
                    xs = [(torch.randn(m, n, device=self.dev, dtype=bf16),
                           torch.randn(m, n, device=self.dev, dtype=bf16)) for _ in range(REPEAT)]
                    call = (lambda i, xs=xs, w=w: fn(xs[i][0], xs[i][1], w))
                    row = dict(n=n)
                elif name == "silu_mul":
                    xs = [torch.randn(m, 2 * n, device=self.dev, dtype=bf16) for _ in range(REPEAT)]
                    call = (lambda i, xs=xs: fn(xs[i]))
                    row = dict(n=n)
                else:
                    pos = torch.randint(0, 32768, (m,), device=self.dev)
                    xs = [(torch.randn(m, n, d, device=self.dev, dtype=bf16),
                           torch.randn(m, kvh, d, device=self.dev, dtype=bf16)) for _ in range(REPEAT)]
                    call = (lambda i, xs=xs, pos=pos: fn(xs[i][0], xs[i][1], pos, cos, sin))
                    row = dict(heads=n, kv_heads=kvh, head_dim=d)
                try:
                    t = self.time_graph(call, REPEAT)
                except Exception as e:  # noqa: BLE001
                    self.fail(f"{name} m={m} n={n}", e)
                    continue
                self.write(op="elementwise", dtype="bfloat16", kernel=name, m=m, latency_ms=f"{t:.6g}",
                           repeat=REPEAT, **row)
                done += 1
                del xs
            torch.cuda.empty_cache()
        return done


class Sustained:
    """Does a prefill GEMM slow down when the GPU runs hot? Time it isolated, back to back, and at duty cycles."""

    def __init__(self, bench):
        self.b = bench
        torch = bench.torch
        # Llama-3.1-70B TP 1 gate_up over an 8k-token prefill chunk: ~7.7 TFLOP, ~10 ms.
        self.x = torch.randn(8192, 8192, device=bench.dev, dtype=torch.bfloat16)
        self.w = torch.randn(57344, 8192, device=bench.dev, dtype=torch.bfloat16) * 0.02
        # Decode-sized: 64 tokens through 8 distinct 0.9 GB weights (memory-bound, ~0.35 ms each).
        self.xd = torch.randn(64, 8192, device=bench.dev, dtype=torch.bfloat16)
        self.wd = [torch.randn(57344, 8192, device=bench.dev, dtype=torch.bfloat16) * 0.02 for _ in range(8)]
        self.rows = []

    def prefill(self):
        return self.b.F.linear(self.x, self.w)

    def decode(self):
        for w in self.wd:
            self.b.F.linear(self.xd, w)

    def timed(self, fn):
        torch = self.b.torch
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        return a, b

    def record(self, phase, pairs, t_start):
        self.b.torch.cuda.synchronize()
        for kind, (a, b), wall in pairs:
            self.rows.append((phase, kind, f"{wall - t_start:.3f}", f"{a.elapsed_time(b):.5g}"))

    def run(self):
        """Run the three phases; return each phase's (start, end) epoch seconds."""
        torch = self.b.torch
        out = self.b.args.outdir
        t0 = time.time()
        phases = {}
        for _ in range(3):
            self.prefill(), self.decode()
        torch.cuda.synchronize()
        time.sleep(5)
        # 1. Isolated: one prefill GEMM after a second of idle, eight times.
        start = time.time()
        for _ in range(8):
            time.sleep(1.0)
            pair = self.timed(self.prefill)
            self.record("isolated", [("prefill", pair, time.time())], t0)
        phases["isolated"] = (start, time.time())
        # 2. Duty cycles: per round one prefill GEMM and `d` decode bursts (prefill share ~100 → ~25 %).
        for d in (0, 1, 3, 8):
            start = time.time()
            end = start + self.b.args.sustained / 4
            while time.time() < end:
                pairs = []
                for _ in range(20):
                    pairs.append(("prefill", self.timed(self.prefill), time.time()))
                    for _ in range(d):
                        pairs.append(("decode", self.timed(self.decode), time.time()))
                self.record(f"duty_d{d}", pairs, t0)
            phases[f"duty_d{d}"] = (start, time.time())
            time.sleep(3)
        # 3. Idle gaps instead of decode work: one prefill GEMM, then `g` ms with the GPU idle.
        for g in (5, 20):
            start = time.time()
            end = start + self.b.args.sustained / 4
            while time.time() < end:
                pair = self.timed(self.prefill)
                pair[1].synchronize()
                self.record(f"idle_g{g}", [("prefill", pair, time.time())], t0)
                time.sleep(g / 1000)
            phases[f"idle_g{g}"] = (start, time.time())
            time.sleep(3)
        # 4. Back to back for the full sustained time.
        start = time.time()
        end = start + self.b.args.sustained
        while time.time() < end:
            pairs = [("prefill", self.timed(self.prefill), time.time()) for _ in range(50)]
            self.record("sustained", pairs, t0)
        phases["sustained"] = (start, time.time())
        with open(os.path.join(out, "sustained.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["phase", "kind", "t_s", "ms"])
            w.writerows(self.rows)
        summary = {}
        for phase, kind, _t, ms in self.rows:
            summary.setdefault((phase, kind), []).append(float(ms))
        print("| phase | kind | calls | median ms | p10 | p90 | share of the phase's time |")
        for (phase, kind), v in summary.items():
            a, b = phases[phase]
            share = sum(v) / ((b - a) * 1000)
            v.sort()
            print(f"| {phase} | {kind} | {len(v)} | {statistics.median(v):.3f} | {v[len(v) // 10]:.3f} | "
                  f"{v[len(v) * 9 // 10]:.3f} | {share:.2f} |")
        return phases


def time_graph(torch, fn, repeat, warm_replays=1):
    """Median ms of one call of `fn(i)` for i in range(repeat), captured in a CUDA graph (3 eager warm-up rounds,
    `warm_replays` replays, then the median of 10)."""
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(3):
            for i in range(repeat):
                fn(i)
    torch.cuda.current_stream().wait_stream(stream)
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(repeat):
            fn(i)
    for _ in range(warm_replays):
        graph.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(10):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        graph.replay()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / repeat)
    del graph
    return statistics.median(times)


def make_quant(torch):
    """Static per-tensor FP8 quantisation in one kernel (Triton); PyTorch ops if Triton is missing."""
    try:
        import triton
        import triton.language as tl

        @triton.jit
        def _quant(x_ptr, y_ptr, inv_scale, n, BLOCK: tl.constexpr):
            offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
            mask = offs < n
            v = tl.load(x_ptr + offs, mask=mask).to(tl.float32) * inv_scale
            v = tl.minimum(tl.maximum(v, -448.0), 448.0)
            tl.store(y_ptr + offs, v.to(tl.float8e4nv), mask=mask)

        def quant(x, y, inv_scale):
            n = x.numel()
            _quant[(triton.cdiv(n, 2048),)](x, y, inv_scale, n, BLOCK=2048)

        return quant
    except Exception as e:  # noqa: BLE001
        print(f"triton quant unavailable ({e}); using PyTorch ops", file=sys.stderr)

        def quant(x, y, inv_scale):
            y.copy_((x * inv_scale).clamp_(-448.0, 448.0))

        return quant


SMI_FIELDS = "timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu"


def start_smi(path):
    """Log clocks, power and temperature every 100 ms (with the clock-event reasons where the driver has them)."""
    fields = SMI_FIELDS
    if query_smi("clocks_event_reasons.active"):
        fields += ",clocks_event_reasons.active"
    return subprocess.Popen(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,nounits", "-lms", "100"],
                            stdout=open(path, "w"), stderr=subprocess.DEVNULL)


def clocks_by_phase(path, phases):
    """Print the median SM clock, power and temperature nvidia-smi logged in each phase."""
    import datetime

    samples = []
    try:
        with open(path) as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return
    for line in lines:
        cells = [c.strip() for c in line.split(",")]
        try:
            t = datetime.datetime.strptime(cells[0], "%Y/%m/%d %H:%M:%S.%f").timestamp()
            samples.append((t, float(cells[1]), float(cells[3]), float(cells[4]), cells[5] if len(cells) > 5 else ""))
        except (ValueError, IndexError):
            continue
    print("| phase | smi samples | SM MHz (median) | SM MHz (min) | power W (median) | temp C (max) | reasons |")
    for name, (a, b) in phases.items():
        inside = [s for s in samples if a <= s[0] <= b]
        if not inside:
            print(f"| {name} | 0 | | | | | |")
            continue
        sm = sorted(s[1] for s in inside)
        pw = sorted(s[2] for s in inside)
        reasons = sorted({s[4] for s in inside})
        print(f"| {name} | {len(inside)} | {statistics.median(sm):.0f} | {sm[0]:.0f} | {statistics.median(pw):.0f} | "
              f"{max(s[3] for s in inside):.0f} | {' '.join(reasons)[:60]} |")


def write_header(f, torch, extra=()):
    """Write to `f` and print the provenance lines a measurement CSV starts with: the GPU, `extra` lines, the
    software versions, nvidia-smi's clocks and power limit, the date."""
    p = torch.cuda.get_device_properties(0)
    for line in (
        f"# gpu: {p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.1f} GiB",
        *extra,
        f"# torch {torch.__version__}, cuda {torch.version.cuda}, cudnn {torch.backends.cudnn.version()}",
        f"# nvidia-smi: {query_smi('name,driver_version,clocks.max.sm,clocks.max.mem,power.limit')}",
        f"# date: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC",
    ):
        f.write(line + "\n")
        print(line)


def query_smi(fields):
    """One nvidia-smi query's answer, or "" where it fails."""
    try:
        r = subprocess.run(["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader"],
                           capture_output=True, text=True, timeout=20)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    main()
