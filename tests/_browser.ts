/**
 * Headless Chromium for tests, driven over the DevTools protocol (no npm dependency): load a page, collect
 * console errors, uncaught exceptions and failed requests, and take a screenshot. Plus a small PNG decoder
 * to check that a screenshot is not blank.
 *
 * `browserTest` skips with a message when Chromium is absent, except under `CI=true`, where it fails
 * (`.ci/run` installs it).
 *
 * @module
 */

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** Path of a Chromium binary, or undefined. */
export function findChromium(): string | undefined {
  for (const path of CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there */ }
  }
  return undefined;
}

const inCi = Deno.env.get("CI") === "true";
let warned = false;

/** `Deno.test` for tests that need Chromium. */
export function browserTest(name: string, fn: (chromium: string) => Promise<void>): void {
  const chromium = findChromium();
  if (!chromium && !inCi && !warned) {
    warned = true;
    console.warn("note: chromium not found (apt-get install -y chromium): skipping browser tests");
  }
  Deno.test({
    name,
    ignore: !chromium && !inCi,
    fn: chromium ? () => fn(chromium) : () => {
      throw new Error("CI=true but chromium is missing: .ci/run should have installed it");
    },
  });
}

/** What loading a page produced. */
export interface PageVisit {
  readonly consoleErrors: string[];
  readonly failedRequests: string[];
  readonly requests: string[];
  /** The page's title and how many SVG elements it holds once loaded. */
  readonly title: string;
  readonly svgCount: number;
  /** PNG bytes of the viewport. */
  readonly screenshot: Uint8Array;
}

/** Load `url` in headless Chromium (no network, fresh profile), wait for the load event, screenshot it. */
export async function visit(chromium: string, url: string, width = 1300, height = 2400): Promise<PageVisit> {
  const profile = await Deno.makeTempDir();
  const child = new Deno.Command(chromium, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      `--window-size=${width},${height}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    env: { TMPDIR: profile }, // its singleton socket too, so removing the profile leaves nothing behind
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const endpoint = await devtoolsEndpoint(child.stderr);
    const cdp = await Cdp.connect(endpoint);
    try {
      const { targetId } = await cdp.send("Target.createTarget", { url: "about:blank" }) as {
        targetId: string;
      };
      const { sessionId } = await cdp.send("Target.attachToTarget", { targetId, flatten: true }) as {
        sessionId: string;
      };
      const consoleErrors: string[] = [], failedRequests: string[] = [], requests: string[] = [];
      cdp.on(sessionId, "Runtime.consoleAPICalled", (p) => {
        if (p.type === "error" || p.type === "assert") consoleErrors.push(JSON.stringify(p.args));
      });
      cdp.on(
        sessionId,
        "Runtime.exceptionThrown",
        (p) => consoleErrors.push(JSON.stringify(p.exceptionDetails)),
      );
      cdp.on(sessionId, "Log.entryAdded", (p) => {
        const entry = p.entry as { level: string; text: string };
        if (entry.level === "error") consoleErrors.push(entry.text);
      });
      cdp.on(
        sessionId,
        "Network.requestWillBeSent",
        (p) => requests.push((p.request as { url: string }).url),
      );
      cdp.on(
        sessionId,
        "Network.loadingFailed",
        (p) => failedRequests.push(`${p.requestId}: ${p.errorText}`),
      );
      for (const domain of ["Runtime", "Log", "Network", "Page"]) {
        await cdp.send(`${domain}.enable`, {}, sessionId);
      }
      const loaded = cdp.once(sessionId, "Page.loadEventFired");
      await cdp.send("Page.navigate", { url }, sessionId);
      await loaded;
      const evaluate = async (expression: string) =>
        ((await cdp.send("Runtime.evaluate", { expression, returnByValue: true }, sessionId)) as {
          result: { value: unknown };
        }).result.value;
      const title = String(await evaluate("document.title"));
      const svgCount = Number(await evaluate("document.querySelectorAll('svg').length"));
      const shot = await cdp.send("Page.captureScreenshot", { format: "png" }, sessionId) as { data: string };
      await cdp.send("Browser.close", {}).catch(() => {});
      return {
        consoleErrors,
        failedRequests,
        requests,
        title,
        svgCount,
        screenshot: Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)),
      };
    } finally {
      cdp.close();
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await removeProfile(profile);
  }
}

/** Remove a profile directory; Chromium's helper processes can still be writing to it just after it exits. */
async function removeProfile(profile: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.remove(profile, { recursive: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (attempt === 20) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function devtoolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (m) {
      // Keep draining stderr so Chromium never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })().catch(() => {});
      return m[1];
    }
  }
  throw new Error(`chromium did not start its DevTools endpoint:\n${text}`);
}

type Params = Record<string, unknown>;

/** A minimal DevTools-protocol client over WebSocket (flattened sessions). */
class Cdp {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #listeners: { session: string; method: string; fn: (p: Params) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data as string);
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
        else p?.resolve(msg.result);
      } else {
        for (const l of this.#listeners) {
          if (l.method === msg.method && l.session === msg.sessionId) l.fn(msg.params);
        }
      }
    };
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Cdp(ws));
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  }

  send(method: string, params: Params = {}, sessionId?: string): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  }

  on(session: string, method: string, fn: (p: Params) => void): void {
    this.#listeners.push({ session, method, fn });
  }

  once(session: string, method: string): Promise<Params> {
    return new Promise((resolve) => this.on(session, method, resolve));
  }

  close(): void {
    this.#ws.close();
  }
}

/** A decoded 8-bit RGB(A) PNG. */
export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major. */
  readonly rgba: Uint8Array;
}

/** Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are). */
export async function decodePng(png: Uint8Array): Promise<Image> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos < png.length) {
    const length = view.getUint32(pos), type = new TextDecoder().decode(png.subarray(pos + 4, pos + 8));
    const data = png.subarray(pos + 8, pos + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const depth = data[8], color = data[9], interlace = data[12];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${color}, interlace ${interlace}`);
      }
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") {
      idat.push(data);
    }
    pos += 12 + length;
  }
  const compressed = new Blob(idat as BlobPart[]).stream().pipeThrough(new DecompressionStream("deflate"));
  const raw = new Uint8Array(await new Response(compressed).arrayBuffer());
  const stride = width * channels, out = new Uint8Array(width * height * 4), prev = new Uint8Array(stride);
  const row = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0,
        b = prev[i],
        c = i >= channels ? prev[i - channels] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      row[i] = v & 255;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = row[x * channels + k];
      out[(y * width + x) * 4 + 3] = channels === 4 ? row[x * channels + 3] : 255;
    }
    prev.set(row);
  }
  return { width, height, rgba: out };
}

/** Luminance variance and the share of pixels that differ from the most common colour. */
export function imageStats(img: Image): { variance: number; inkShare: number } {
  let sum = 0, sumSq = 0;
  const counts = new Map<number, number>();
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.rgba[4 * i], g = img.rgba[4 * i + 1], b = img.rgba[4 * i + 2];
    const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += l;
    sumSq += l * l;
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const mean = sum / n;
  const top = Math.max(...counts.values());
  return { variance: sumSq / n - mean * mean, inkShare: 1 - top / n };
}
