import assert from "node:assert/strict";
import { Progress } from "../../lib/dsl/progress.ts";

Deno.test("progress bar: runs done, cached, ETA; redrawn in place on a terminal", () => {
  const out: string[] = [];
  const p = new Progress(4, { enabled: true, inPlace: true, write: (t) => out.push(t) });
  p.tick(true);
  assert.match(out[0], /^\r\[█{6}░{18}\] 1\/4 runs \(1 cached\) 0:00 elapsed, ETA …/);
  p.tick(false);
  assert.match(out[1], /2\/4 runs \(1 cached\) .* ETA 0:0\d/);
  p.tick(false);
  p.tick(false);
  assert.match(out[3], /4\/4 runs \(1 cached\) .* done/);
  p.end();
  assert.equal(out[4], "\n");
});

Deno.test("progress: a line per 10 % in a log, nothing when quiet", () => {
  const log: string[] = [];
  const p = new Progress(20, { enabled: true, inPlace: false, write: (t) => log.push(t) });
  for (let i = 0; i < 20; i++) p.tick(false);
  assert.equal(log.length, 11); // the first run, then every 10 %
  assert.ok(log.every((l) => l.endsWith("\n")));
  const quiet: string[] = [];
  const q = new Progress(3, { enabled: false, inPlace: true, write: (t) => quiet.push(t) });
  q.tick(false);
  q.end();
  assert.deepEqual(quiet, []);
});

Deno.test("progress: the bar shows before the first simulation ends; the ETA counts the runs in parallel", () => {
  const out: string[] = [];
  let ms = 0;
  const p = new Progress(5, { enabled: true, inPlace: false, write: (t) => out.push(t), now: () => ms });
  p.start(2);
  assert.match(out[0], /0\/5 runs 0:00 elapsed, ETA …/);
  ms = 8000;
  p.tick(false); // one of two parallel runs took 8 s: the four left take about 2 × 8 s
  assert.match(p.line(), /1\/5 runs 0:08 elapsed, ETA 0:16$/);
  ms = 10_000;
  p.tick(false); // two runs in 10 s, two at a time: 10 s a run, 3 left → 15 s
  assert.match(p.line(), /2\/5 runs 0:10 elapsed, ETA 0:15$/);
});
