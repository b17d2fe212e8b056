/** @file Test-only hooks, not part of the public API (src/index.ts does not re-export this module): the fuzzer's mutant switch. */
import { need } from "./wasm.js";
import { table, add, mul, type Partials, type OpDef } from "./ops.js";

type OpName = keyof typeof table;
const saved = new Map<OpName, Partials | null>();

/** Makes op `name`'s first partial wrong as ∂·1.25 + 0.1 (∂/∂x, or ∂/∂y for `which` "y") in the Wasm row and in
 * the TS rule that nested transforms use; `setMutant(null)` restores every rule. @internal */
export function setMutant(name: OpName | null, which: "x" | "y" = "x"): void {
  for (const [k, d] of saved) (table[k] as { d: Partials | null }).d = d;
  saved.clear();
  const e = need();
  const set = e.setMutant as (op: number, kind: number) => number;
  if (!set(name === null ? -1 : table[name].code, which === "y" ? 2 : 1) && name !== null) {
    throw new Error("setMutant: this engine is the release build, which has no mutant hook; load build/testing.wasm (test/fuzz-mutants.test.ts mocks src/wasm-bytes.js with it)");
  }
  if (name === null) return;
  const row = table[name] as OpDef & { d: Partials | null };
  const d = row.d;
  saved.set(name, d);
  if (!d) return;
  row.d = (x, y, v, stored) => {
    const [px, py] = d(x, y, v, stored);
    return which === "y" ? [px, add(mul(py, 1.25), 0.1)] : [add(mul(px, 1.25), 0.1), py];
  };
}
