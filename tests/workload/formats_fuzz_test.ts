/**
 * Property test of bad input in the other trace formats (Azure CSV, applied_compute_agentic, agentic_mooncake v1
 * and v2, Dynamo request traces, kv-cache-tester sessions): a valid file with lines cut short, lines inserted, fields removed or set to wrong values either
 * loads and simulates with finite figures, or fails with an {@link InputError} naming the file (and the line,
 * where there is one); nothing else may escape.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Rng } from "../../lib/common/rng.ts";
import { loadWorkload, WorkloadSpecSchema } from "../../lib/workload/mod.ts";
import { nonFinite, run } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";
import {
  AGENTIC_V2_HEADER,
  agenticRow as row,
  agenticV2Graph,
  appliedSession,
  kvCall,
  kvSession,
} from "./_helpers.ts";

const BAD: unknown[] = ["x", -1, null, 1e400, [], 1.5, 1e15, "", true, 0, [1, "a"], {}];

/** A valid file's lines, and how to mutate one of its values. */
interface Format {
  readonly name: "azure" | "applied_compute_agentic" | "kv_cache_tester" | "agentic_mooncake" | "dynamo";
  readonly file: string;
  readonly lines: readonly string[];
}

/** A Dynamo request-trace `request_end` record of `blocks` 64-token blocks, in `session` when given. */
const record = (id: string, start: number, blocks: number, session?: string) => ({
  schema: "dynamo.request.trace.v1",
  event_type: "request_end",
  event_time_unix_ms: start + 500,
  ...(session ? { agent_context: { session_id: session } } : {}),
  request: {
    request_id: id,
    model: "m",
    request_received_ms: start,
    output_tokens: 8,
    replay: {
      trace_block_size: 64,
      input_length: 64 * blocks,
      input_sequence_hashes: Array.from({ length: blocks }, (_, k) => k + 1),
    },
  },
});

const FORMATS: readonly Format[] = [
  {
    name: "azure",
    file: "trace.csv",
    lines: [
      "TIMESTAMP,ContextTokens,GeneratedTokens",
      "2023-11-16 18:17:03.9799600,4808,10",
      "2023-11-16 18:17:04.0319600,3180,8",
      "2023-11-16 18:18:03.9799601,100,0",
    ],
  },
  {
    name: "applied_compute_agentic",
    file: "trace.jsonl",
    lines: [appliedSession(2000, 2), appliedSession(900, 1), appliedSession(300, 3)].map((s) =>
      JSON.stringify(s)
    ),
  },
  {
    name: "agentic_mooncake",
    file: "trace.jsonl",
    lines: [
      AGENTIC_V2_HEADER,
      ...agenticV2Graph(),
    ].map((r) => JSON.stringify(r)),
  },
  {
    name: "agentic_mooncake",
    file: "trace.jsonl",
    lines: [
      row("root", { timestamp: 5000, session_id: "a", branches: ["t1", "t2"], prefix_reset: true }),
      row("t1", { wait_for: ["root"], tool_wait_ms: 300, timestamp: 1, session_id: "a" }),
      row("t2", { wait_for: ["root"], delay_ms: 40, tool_wait_ms: 60, session_id: "a" }),
      row("join", { wait_for: ["t1", "t2"], delay: 20, session_id: "a" }),
      row("other", { timestamp: 6000, output_length: 0 }),
    ].map((r) => JSON.stringify(r)),
  },
  {
    name: "dynamo",
    file: "trace.jsonl",
    lines: [
      record("a", 1_700_000_000_000, 3, "s1"),
      record("b", 1_700_000_001_000, 5, "s1"),
      record("c", 1_700_000_000_500, 2, "s3"),
      record("d", 1_700_000_002_000, 4, "s2"),
    ].map((r) => JSON.stringify(r)),
  },
  {
    name: "kv_cache_tester",
    file: "trace.jsonl",
    lines: [
      kvSession("trace_0001", [kvCall(0, 4), kvCall(5, 6), kvCall(12, 9)]),
      kvSession("trace_0002", [kvCall(0, 4), kvCall(8, 5)]),
    ].map((s) => JSON.stringify(s)),
  },
];

/** `value` (a parsed JSON line) with one field, at any depth, removed or set to a bad value. */
function mutateJson(rng: Rng, value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.next() < 0.2) return BAD[rng.int(BAD.length)];
    const out = [...value];
    const i = rng.int(out.length);
    out[i] = mutateJson(rng, out[i]);
    return out;
  }
  if (value === null || typeof value !== "object") return BAD[rng.int(BAD.length)];
  const out = { ...value } as Record<string, unknown>;
  const keys = Object.keys(out);
  const key = keys[rng.int(keys.length)];
  const how = rng.next();
  if (how < 0.2) delete out[key];
  else if (how < 0.5) out[key] = BAD[rng.int(BAD.length)];
  else out[key] = mutateJson(rng, out[key]);
  return out;
}

/** One mutated copy of `f`'s lines. */
function mutated(rng: Rng, f: Format): string {
  const lines = [...f.lines]; // none to two changes: the valid file loads too
  for (let k = 0; k < rng.int(3); k++) {
    const i = rng.int(lines.length), how = rng.int(4);
    if (how === 0) lines[i] = lines[i].slice(0, rng.int(lines[i].length));
    else if (how === 1) lines.splice(i, 0, ["", "  ", "{}", "[]", "null", "1", "a,b,c"][rng.int(7)]);
    else if (f.name === "azure") {
      const cells = lines[i].split(",");
      cells[rng.int(cells.length)] = String(BAD[rng.int(BAD.length)]);
      lines[i] = cells.join(",");
    } else {
      lines[i] = JSON.stringify(mutateJson(rng, JSON.parse(f.lines[Math.min(i, f.lines.length - 1)])));
    }
  }
  return lines.join("\n") + "\n";
}

Deno.test("property: mutated traces of the other formats load and simulate, or are an InputError naming the file", async () => {
  const rng = new Rng(23);
  await using tmp = await tempDir();
  const counts = new Map<string, [loaded: number, rejected: number]>();
  for (let trial = 0; trial < 600; trial++) {
    const f = FORMATS[trial % FORMATS.length];
    const path = `${tmp.path}/${f.file}`;
    const text = mutated(rng, f);
    await Deno.writeTextFile(path, text);
    const spec = WorkloadSpecSchema.parse({ source: "trace", path, format: f.name });
    const c = counts.get(f.name) ?? [0, 0];
    counts.set(f.name, c);
    const context = `trial ${trial} (${f.name})\n${text}`;
    // Sessions of tool calls replay in a closed loop; a request graph and Azure's arrivals open (Azure: both).
    const closed = f.name === "azure" || f.name === "dynamo"
      ? rng.next() < 0.3
      : f.name !== "agentic_mooncake";
    let w;
    try {
      w = await loadWorkload(spec, {
        blockSize: 64,
        speedup: 1,
        closedLoop: closed,
      });
    } catch (e) {
      assert.ok(e instanceof InputError, `${context}\n${(e as Error).stack}`);
      assert.ok(e.message.startsWith(path), `${context}\n${e.message}`);
      assert.doesNotMatch(e.message, /got (undefined|NaN)/, context);
      c[1]++;
      continue;
    }
    c[0]++;
    const disagg = rng.next() < 0.5;
    const { report } = run(w, {
      topology: disagg ? { mode: "disagg" } : { mode: "agg", num_workers: 2 },
      ...(closed ? { replay_concurrency: 4 } : {}),
    });
    assert.equal(nonFinite(report), null, context);
  }
  for (const [name, [loaded, rejected]] of counts) {
    assert.ok(loaded >= 5 && rejected >= 5, `${name}: loaded ${loaded}, rejected ${rejected}`);
  }
});
