/** @file Tensor op codes, identical to `enum TOp` in assembly/kernels.ts (checked against the engine's exports on load). */
import { whenLoaded, type Engine } from "../wasm.js";
import { AdError } from "../errors.js";

/** The kernel (tensor op) codes. */
export const TOp = {
  Const: 128, Pack: 129, Item: 130, Map: 131, MatMul: 132, Sum: 133, Max: 134, Min: 135,
  LogSumExp: 136, Strided: 137, Gather: 138, Concat: 139, Cholesky: 140, Solve: 141, Logdet: 142,
} as const;

whenLoaded((e: Engine) => {
  const bad = Object.entries(TOp).filter(([k, v]) => (e[`TOp.${k}`] as WebAssembly.Global | undefined)?.value !== v);
  if (bad.length) throw new AdError("ENGINE_MISMATCH", `the Wasm tensor op table differs from src/tensor/codes.ts at ${bad.map(([k]) => k).join(", ")}; rebuild`);
});
