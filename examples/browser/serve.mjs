/** @file Builds the browser page and serves it on 127.0.0.1 from a small node:http server (static files of the
 * built page only; nothing else on disk is reachable). Run: npm run browser, or node examples/browser/serve.mjs [port]
 */
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { buildPage } from "./build.mjs";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };
const port = Number(process.argv[2] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port ${process.argv[2]}`);

const dir = await buildPage();
const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  const file = resolve(dir, "." + (path === "/" ? "/index.html" : path));
  try {
    if (!file.startsWith(dir + sep)) throw new Error("outside the page");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  }
});
server.listen(port, "127.0.0.1", () => {
  console.log(`adtape browser page: http://127.0.0.1:${server.address().port}/  (Ctrl-C to stop)`);
});
