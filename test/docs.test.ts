/**
 * @file The API reference stays complete and right. typedoc's Node API converts the entry points of typedoc.json (as
 * `npm run docs` does, without rendering HTML) and validates them with no warning; every export has a summary and an
 * `@example` with a ```ts block, and so does every callable public class member (data members need a summary; a chained
 * method that inherits its function's summary has that function's example). The examples of `adtape` and
 * `adtape/baselines/numeric` typecheck as a user's strict module and run, and each line ending `// → value` gives that value.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Application, Comment, LogLevel, ReflectionKind, type DeclarationReflection, type ProjectReflection, type Reflection } from "typedoc";
import * as ad from "../src/index.js";
import * as numeric from "../src/baselines/numeric.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(join(root, "typedoc.json"), "utf8")) as { entryPoints: string[] } & Record<string, unknown>;
/** The modules whose examples run here (the symbolic baseline's need mathjs and are its own tests' business). */
const runnable: Record<string, Record<string, unknown>> = { adtape: ad, "adtape/baselines/numeric": numeric };

let project: ProjectReflection;
const warnings: string[] = [];

beforeAll(async () => {
  const { $schema: _, ...options } = config;
  const app = await Application.bootstrapWithPlugins({
    ...options,
    entryPoints: config.entryPoints.filter((p) => existsSync(join(root, p))), // a baseline still being written
    tsconfig: join(root, String(config.tsconfig)),
    logLevel: "None",
  });
  app.logger.log = (message: string, level: LogLevel) => void (level >= LogLevel.Warn && warnings.push(message));
  const converted = await app.convert();
  if (!converted) throw new Error(`typedoc could not convert the entry points:\n${warnings.join("\n")}`);
  project = converted;
  app.validate(project);
}, 60_000);

/** The example blocks of a comment (their code, fences included). */
function examples(c: Comment | undefined): string[] {
  return (c?.blockTags ?? []).filter((t) => t.tag === "@example").flatMap((t) => t.content.filter((p) => p.kind === "code").map((p) => p.text));
}

/** The comments a reflection shows: its own, or its signatures' (functions, methods, accessors, callable properties). */
function comments(r: DeclarationReflection): (Comment | undefined)[] {
  if (r.signatures?.length) return r.signatures.map((s) => s.comment ?? r.comment);
  if (r.getSignature) return [r.getSignature.comment ?? r.comment];
  return [r.comment];
}

const hasSummary = (c: Comment | undefined) => !!c && Comment.combineDisplayParts(c.summary).trim().length > 0;
const hasExample = (c: Comment | undefined) => examples(c).some((code) => code.startsWith("```ts"));
const callable = (r: DeclarationReflection) =>
  r.kindOf(ReflectionKind.Method) || (r.type?.type === "reflection" && !!r.type.declaration.signatures?.length);

/** What is missing from the docs, as "module.path: what". */
function audit(): string[] {
  const missing: string[] = [];
  // A chained method whose comment is `{@inheritDoc f}` shows f's summary (typedoc copies no example): f's example serves.
  const exampled = new Set<string>();
  for (const mod of project.children ?? []) {
    for (const r of mod.children ?? []) for (const c of comments(r)) if (c && hasExample(c)) exampled.add(Comment.combineDisplayParts(c.summary));
  }
  const need = (r: DeclarationReflection, example: boolean) => {
    for (const c of comments(r)) {
      if (!hasSummary(c)) missing.push(`${r.getFullName()}: no summary`);
      else if (example && !hasExample(c) && !(r.parent?.kindOf(ReflectionKind.Class) && exampled.has(Comment.combineDisplayParts(c!.summary)))) {
        missing.push(`${r.getFullName()}: no @example with a \`\`\`ts block`);
      }
    }
  };
  const exports = (parent: Reflection & { children?: DeclarationReflection[] }) => {
    for (const r of parent.children ?? []) {
      if (r.kindOf(ReflectionKind.Reference)) continue; // the same function under another name (ad.ops.sin): checked there
      need(r, true);
      if (r.kindOf(ReflectionKind.Namespace)) exports(r);
      if (r.kindOf(ReflectionKind.Class)) {
        for (const m of r.children ?? []) {
          if (m.kindOf(ReflectionKind.Constructor) || m.inheritedFrom) continue; // an inherited member is checked where it is declared
          need(m, callable(m));
        }
      }
    }
  };
  for (const mod of project.children ?? []) exports(mod);
  return missing;
}

describe("the API reference (typedoc)", () => {
  it("documents every package entry point", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, { import?: string }> };
    const wanted = Object.values(pkg.exports)
      .map((e) => e.import)
      .filter((p): p is string => !!p?.startsWith("./dist/"))
      .map((p) => p.replace("./dist/", "src/").replace(/\.js$/, ".ts"));
    expect(config.entryPoints.slice().sort()).toEqual(wanted.sort());
  });

  it("converts and validates with no warning (notExported, invalidLink, notDocumented)", () => {
    expect(warnings.length, warnings.join("\n")).toBe(0);
  });

  it("gives every export, and every public class member, a summary and an @example", () => {
    expect(project.children?.length).toBeGreaterThanOrEqual(2);
    const missing = audit();
    expect(missing.length, `missing:\n${missing.join("\n")}\n`).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The examples, run: TS transpiled to JS, imports mapped onto the modules above, `ad` in scope as in the README.

/** The value an `// → expected — prose` comment names (a JS expression), and whether it is approximate (`≈`: to 1e-3 relative). */
function expectation(text: string): { value: unknown; approx: boolean } {
  const approx = text.startsWith("≈");
  const literal = text.replace(/^≈\s*/, "").replace(/\s+—\s.*$/, ""); // a trailing " — why" is prose
  return { value: new Function(`return (${literal});`)(), approx };
}

function leaves(x: unknown): unknown[] {
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.flatMap(leaves);
  if (x instanceof ad.TensorData) return Array.from(x.data);
  if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) return Object.values(x).flatMap(leaves);
  return [x];
}

/** Compares what a line gave with what its comment says; a message when they differ. */
function check(actual: unknown, text: string, where: string): void {
  const { value, approx } = expectation(text);
  const [a, b] = [leaves(actual), leaves(value)];
  const same = (p: unknown, q: unknown) =>
    typeof p === "number" && typeof q === "number"
      ? (Number.isNaN(p) && Number.isNaN(q)) || p === q || Math.abs(p - q) <= (approx ? 1e-3 * Math.abs(q) + 1e-9 : 1e-12 * Math.abs(q))
      : p === q;
  if (a.length !== b.length || a.some((p, i) => !same(p, b[i]))) throw new Error(`${where}: gave ${JSON.stringify(a)}, the comment says ${text}`);
}

/** The index after the last top-level `;` of a line of code (0 when none): where its last statement starts. */
function lastStatement(code: string): number {
  let depth = 0, start = 0, quote = "";
  for (let i = 0; i < code.length; i++) {
    const ch = code[i];
    if (quote) quote = ch === quote && code[i - 1] !== "\\" ? "" : quote;
    else if (ch === '"' || ch === "'" || ch === "`") quote = ch;
    else if ("([{".includes(ch)) depth++;
    else if (")]}".includes(ch)) depth--;
    else if (ch === ";" && depth === 0 && i < code.length - 1) start = i + 1;
  }
  return start;
}

/** An example's code as the body of an async function of (__mods, __check): imports become look-ups, and a line
 * `expr; // → v` (or `const x = expr; // → v`) also checks its value. */
function instrument(code: string, where: string): string {
  const lines = code.replace(/^```ts\n|```$/g, "").split("\n").map((line, n) => {
    const imp = /^\s*import\s+(type\s+)?(.+?)\s+from\s+"([^"]+)";?\s*$/.exec(line);
    if (imp) {
      if (imp[1]) return "";
      const [, , what, from] = imp;
      if (!(from in runnable)) throw new Error(`${where}: imports ${from}, which the docs test does not run`);
      const names = /^\*\s+as\s+(\w+)$/.exec(what)?.[1];
      if (names === "ad") return "";
      if (names) return `const ${names} = __mods[${JSON.stringify(from)}];`;
      const values = what.replace(/[{}]/g, "").split(",").map((n) => n.trim()).filter((n) => n && !n.startsWith("type "));
      return `const { ${values.map((n) => n.replace(/\s+as\s+/, ": ")).join(", ")} } = __mods[${JSON.stringify(from)}];`;
    }
    const arrow = line.indexOf("// →");
    if (arrow < 0) return line;
    const stmt = line.slice(0, arrow).trimEnd().replace(/;$/, "");
    const at = lastStatement(stmt);
    const last = stmt.slice(at).trim();
    const decl = /^(const|let|var)\s+(\w+)\s*(:[^=]+)?=/.exec(last);
    const checked = decl ? `${last}; __check(${decl[2]}` : `__check(${last}`;
    return `${stmt.slice(0, at)} ${checked}, ${JSON.stringify(line.slice(arrow + 4).trim())}, ${JSON.stringify(`${where}, line ${n + 1}`)});`;
  });
  return ts.transpileModule(lines.join("\n"), { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
}

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;

/** Every example of the runnable modules, by export. */
function runnableExamples(): [string, string][] {
  const out: [string, string][] = [];
  const visit = (r: DeclarationReflection) => {
    if (r.kindOf(ReflectionKind.Reference)) return;
    for (const c of comments(r)) for (const code of new Set(examples(c))) out.push([r.getFullName(), code]);
    for (const m of r.children ?? []) if (!m.inheritedFrom) visit(m);
  };
  for (const mod of project.children ?? []) {
    const name = mod.name === "adtape" ? mod.name : `adtape/${mod.name}`; // "adtape" is src/index.ts (its @module tag)
    if (name in runnable) for (const r of mod.children ?? []) visit(r);
  }
  // A chained method (`x.sin()`) shows the example of its function: run each example once.
  const seen = new Set<string>();
  return out.filter(([, code]) => !seen.has(code) && !!seen.add(code));
}

describe("the examples in the API reference", () => {
  it("run, and give what their `// →` comments say", async () => {
    const list = runnableExamples();
    expect(list.length).toBeGreaterThan(100);
    const failures: string[] = [];
    for (const [name, code] of list) {
      try {
        await new AsyncFunction("ad", "__mods", "__check", instrument(code, name))(ad, runnable, check);
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message}\n${code}`);
      }
    }
    expect(failures.length, `of ${list.length} examples, these failed:\n\n${failures.join("\n\n")}\n`).toBe(0);
  });

  it("typecheck as a user's strict TypeScript module", () => {
    const sourceOf: Record<string, string> = { adtape: "src/index.js", "adtape/baselines/numeric": "src/baselines/numeric.js" };
    const dir = mkdtempSync(join(tmpdir(), "adtape-docs-"));
    try {
      const names = new Map<string, string>();
      for (const [i, [name, code]] of runnableExamples().entries()) {
        const body = code.replace(/^```ts\n|```$/g, "").replace(/from "(adtape[^"]*)"/g, (_, m: string) => `from ${JSON.stringify(join(root, sourceOf[m]))}`);
        const file = join(dir, `${i}.mts`); // an ES module: top-level await, as in the README
        const prelude = /import \* as ad from/.test(body) ? "" : `import * as ad from ${JSON.stringify(join(root, sourceOf.adtape))};`;
        writeFileSync(file, `${prelude}\n${body}\nexport {};\n`);
        names.set(file, name);
      }
      const program = ts.createProgram([...names.keys()], {
        target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
        strict: true, noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(root, "node_modules", "@types")],
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file && d.start !== undefined ? `${names.get(d.file.fileName) ?? d.file.fileName}, line ${d.file.getLineAndCharacterOfPosition(d.start).line}` : "";
        return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      });
      expect(errors.length, errors.join("\n")).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
