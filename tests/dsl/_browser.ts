/**
 * Checking a page in headless Chromium over the DevTools protocol: load it, collect console errors, uncaught
 * exceptions and failed requests, count its SVG figures and take a screenshot.
 *
 * Chromium is found as `chromium`, `chromium-browser` or `google-chrome` (or `$CHROMIUM`); where none exists
 * the tests that need it are skipped with a message, except under `CI=true`, where they fail.
 *
 * @module
 */

function findChromium(): string | undefined {
  const candidates = [Deno.env.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"].filter(
    Boolean,
  );
  for (const name of candidates as string[]) {
    for (const dir of name.includes("/") ? [""] : (Deno.env.get("PATH") ?? "").split(":")) {
      const path = dir ? `${dir}/${name}` : name;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch { /* not here */ }
    }
  }
  return undefined;
}

/** The Chromium binary, or undefined. */
export const CHROMIUM: string | undefined = findChromium();

/** `Deno.test` for tests that need Chromium: skipped without it, failing under `CI=true`. */
export function browserTest(name: string, fn: () => Promise<void>): void {
  const ci = Deno.env.get("CI") === "true";
  if (!CHROMIUM && !ci) {
    console.warn(`note: Chromium not found; skipping "${name}" (apt-get install -y chromium)`);
  }
  Deno.test({
    name,
    ignore: !CHROMIUM && !ci,
    fn: CHROMIUM ? fn : () => {
      throw new Error("CI=true but Chromium is not installed (apt-get install -y chromium)");
    },
  });
}

/** What loading a page showed. */
export interface PageCheck {
  readonly errors: string[];
  readonly svgs: number;
  readonly title: string;
  readonly screenshot: Uint8Array;
}

/** Load `file` (a local path) in headless Chromium and report what happened. */
export async function checkPage(file: string, width = 1100, height = 1400): Promise<PageCheck> {
  const profile = await Deno.makeTempDir({ prefix: "dynolab-chromium-" });
  const child = new Deno.Command(CHROMIUM!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      `--window-size=${width},${height}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let log = "", ws = "";
    const deadline = Date.now() + 30_000;
    while (!ws && Date.now() < deadline) {
      const { value, done } = await stderr.read();
      if (done) break;
      log += value;
      ws = /DevTools listening on (ws:\/\/\S+)/.exec(log)?.[1] ?? "";
    }
    if (!ws) throw new Error(`Chromium did not start:\n${log}`);
    (async () => {
      while (!(await stderr.read()).done) { /* drain */ }
    })().catch(() => {});
    return await inspect(ws, `file://${await Deno.realPath(file)}`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function inspect(browserWs: string, url: string): Promise<PageCheck> {
  const socket = new WebSocket(browserWs);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let id = 0;
  const pending = new Map<number, (msg: Record<string, unknown>) => void>();
  const errors: string[] = [];
  let loaded: () => void = () => {};
  const loadedPromise = new Promise<void>((r) => (loaded = r));
  socket.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id !== undefined) return pending.get(msg.id)?.(msg);
    const p = msg.params ?? {};
    if (msg.method === "Runtime.exceptionThrown") errors.push(`exception: ${p.exceptionDetails?.text}`);
    if (msg.method === "Runtime.consoleAPICalled" && ["error", "assert"].includes(p.type)) {
      errors.push(`console.${p.type}: ${p.args?.map((a: { value?: unknown }) => a.value).join(" ")}`);
    }
    if (msg.method === "Log.entryAdded" && p.entry?.level === "error") errors.push(`log: ${p.entry.text}`);
    if (msg.method === "Network.loadingFailed") errors.push(`request failed: ${p.errorText}`);
    if (msg.method === "Page.loadEventFired") loaded();
  };
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const n = ++id;
      pending.set(
        n,
        (msg) => (msg.error ? reject(new Error(JSON.stringify(msg.error))) : resolve(msg.result as never)),
      );
      socket.send(JSON.stringify({ id: n, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  try {
    const { targetId } = await send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    for (const domain of ["Runtime", "Log", "Network", "Page"]) await send(`${domain}.enable`, {}, sessionId);
    await send("Page.navigate", { url }, sessionId);
    await Promise.race([loadedPromise, new Promise((r) => setTimeout(r, 20_000))]);
    await new Promise((r) => setTimeout(r, 300));
    const evaluate = async (expression: string) =>
      ((await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId)).result as {
        value: unknown;
      })
        .value;
    const svgs = Number(await evaluate("document.querySelectorAll('svg').length"));
    const title = String(await evaluate("document.title"));
    const shot = await send("Page.captureScreenshot", { format: "png" }, sessionId) as { data: string };
    const screenshot = Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0));
    return { errors, svgs, title, screenshot };
  } finally {
    socket.close();
  }
}
