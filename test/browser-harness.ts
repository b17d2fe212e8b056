/**
 * @file What the real-browser tests share: the skip rule (Debian's Chromium at /usr/bin/chromium, required when CI
 * is set), a node:http server on 127.0.0.1 for fixed pages and directories that logs every path it serves, and a
 * headless Chromium session (playwright-core, fresh profile, no network chatter) that records console errors,
 * page errors, requests and failed requests, so each test can assert the page stayed quiet and local.
 */
import { createServer, type Server } from "node:http";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Debian's Chromium, the browser these tests drive (CI installs it with `apt-get install -y chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags for a quiet headless run: no sandbox (containers), no GPU, and none of Chromium's own network traffic. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether a browser test runs: skipped (with a printed notice naming `tag`) only when Chromium is missing and CI is unset. */
export function chromiumGate(tag: string, title: string): { skip: boolean; title: string } {
  const skip = !existsSync(CHROMIUM) && !process.env.CI;
  const shown = skip ? `${tag} (SKIPPED: ${CHROMIUM} not found and CI is not set; install it with \`apt-get install -y chromium\`)` : title;
  if (skip) console.warn(`[${tag}.test] ${shown}`);
  return { skip, title: shown };
}

const MIME: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** What a server should answer: exact paths with fixed HTML, and URL prefixes (ending in "/") mapped to directories. */
export interface Routes {
  pages?: Record<string, string>;
  dirs?: Record<string, string>;
}

/** A running test server: its origin (`http://127.0.0.1:port`), every path it was asked for, and `close`. */
export interface TestServer {
  origin: string;
  served: string[];
  close(): Promise<void>;
}

/** Finds the file a request path names under one of the served directories ("…/" means its index.html), or undefined. */
async function fileFor(path: string, dirs: Record<string, string>): Promise<string | undefined> {
  for (const [prefix, dir] of Object.entries(dirs)) {
    if (!path.startsWith(prefix)) continue;
    const base = resolve(dir);
    const rest = path.slice(prefix.length);
    const file = resolve(base, "./" + (rest === "" || rest.endsWith("/") ? rest + "index.html" : rest));
    if (file.startsWith(base + sep) && (await stat(file).catch(() => undefined))?.isFile()) return file;
  }
  return undefined;
}

/** Serves `routes` on 127.0.0.1 at a free port, nothing else (404); no caching, so every test sees fresh files. */
export function startServer(routes: Routes): Promise<TestServer> {
  const served: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    served.push(path);
    try {
      const page = routes.pages?.[path];
      if (page !== undefined) {
        res.writeHead(200, { "content-type": MIME[".html"], "cache-control": "no-store" });
        res.end(page);
        return;
      }
      const file = await fileFor(path, routes.dirs ?? {});
      if (file) {
        const body = await readFile(file);
        res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
        res.end(body);
        return;
      }
    } catch {
      // fall through to 404 (an unreadable file)
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () =>
      ok({
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        served,
        close: () => {
          server.closeAllConnections();
          return new Promise<void>((done) => server.close(() => done()));
        },
      }),
    );
  });
}

/** Everything a page did that a test may want to forbid. */
export interface PageLog {
  requests: string[];
  consoleErrors: string[];
  consoleWarnings: string[];
  pageErrors: string[];
  failedRequests: string[];
}

/** A browser, its context and one page, with the page's log. */
export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  log: PageLog;
}

/**
 * Launches headless Chromium and opens a page whose console errors and warnings, uncaught errors and requests are
 * logged. `launch()` (not `launchPersistentContext`) gives a fresh temporary profile that playwright deletes.
 */
export async function openSession(viewport?: { width: number; height: number }): Promise<Session> {
  if (!existsSync(CHROMIUM)) throw new Error(`CI is set but ${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  const log: PageLog = { requests: [], consoleErrors: [], consoleWarnings: [], pageErrors: [], failedRequests: [] };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 30_000, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext(viewport ? { viewport } : {});
    context.on("request", (r) => log.requests.push(r.url()));
    context.on("requestfailed", (r) => log.failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? "?"}`));
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") log.consoleErrors.push(m.text());
      if (m.type() === "warning") log.consoleWarnings.push(m.text());
    });
    page.on("pageerror", (e) => log.pageErrors.push(String(e.stack ?? e)));
    return { browser, context, page, log };
  } catch (e) {
    await browser.close().catch(() => {});
    throw e;
  }
}

/** Closes whatever part of a session exists; never throws, so an afterAll can always call it. */
export async function closeSession(s: Partial<Session> | undefined): Promise<void> {
  await s?.page?.close().catch(() => {});
  await s?.context?.close().catch(() => {});
  await s?.browser?.close().catch(() => {});
}

/** The requests that went anywhere but `origin` (data: URLs are inline, not requests to a host). */
export function foreignRequests(log: PageLog, origin: string): string[] {
  return log.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"));
}
