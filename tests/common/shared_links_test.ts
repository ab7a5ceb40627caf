import assert from "node:assert/strict";
import { SharedLinks } from "../../lib/common/shared_links.ts";

Deno.test("shared links: late in a long run, where a nanosecond is below a time's ulp, every check lands or moves on", () => {
  const links = new SharedLinks();
  for (let k = 0; k < 2000; k++) {
    const start = 4e12 + k * 1.37, bytes = 100_000 + k * 3797; // ~46 days of simulated ms in, at 1 GB/s
    let due = links.add(k, start, 0, bytes, 1);
    for (let checks = 1;; checks++) {
      if (links.complete(k, due).length === 1) break;
      const next = links.due(k);
      assert.ok(
        next > due && checks < 3,
        `link ${k}: a check at ${due} landed nothing, the next is at ${next}`,
      );
      due = next;
    }
  }
});

Deno.test("shared links: transfers sharing a link progress at its bandwidth over their number", () => {
  const links = new SharedLinks();
  assert.equal(links.add(7, 0, 1, 3e6, 1), 3); // 3 MB alone at 1 GB/s: 3 ms
  // At 1 ms: 2 MB and 1 MB left, each at half rate: the second lands at 3 ms, when the live check is due.
  assert.equal(links.add(7, 1, 2, 1e6, 1), Infinity);
  assert.equal(links.due(7), 3);
  assert.deepEqual(links.complete(7, 3), [2]);
  assert.equal(links.due(7), 4); // 1 MB left alone
  assert.deepEqual(links.complete(7, 4), [1]);
  assert.equal(links.due(7), Infinity);
});
