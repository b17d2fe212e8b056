/** @file Shrunk counterexamples the fuzzer found, kept as regression tests: each program literal with its points,
 * where it came from (seed and fast-check path) and a one-line note on the bug; test/fuzz.test.ts runs them all. */
import type { Case } from "./generate.js";

/** A kept counterexample. */
export interface Regression extends Case {
  from: string;
  note: string;
}

/** Every kept counterexample, oldest first. */
export const regressions: Regression[] = [
  {
    p: { n: 3, nodes: [{ op: "relu", args: [2] }, { op: "neg", args: [0] }, { op: "add", args: [3, 4] }] },
    x: [0, 0, -0.5],
    x2: [0, 0, 0.5],
    from: "seed 1, path 148:5:1:3:3:3:3:3:3:11:2:10:4:4:8:4:4 (shrunk to x = 0, x2 = 5e-324; moved off the tie)",
    note: "max/min with a constant first operand (relu = max(0, x)) never threw BranchChanged: the guard keyed on ∂/∂x, which is zeroed for a constant (fixed: key ∂/∂x − ∂/∂y)",
  },
  {
    p: { n: 3, nodes: [{ op: "ifLt", args: [0, 0, 0, 0] }] },
    x: [0, 0, 0],
    x2: [0, 0, 0],
    from: "seed 1, path 72:3:1:1:1:1:1:1:1:1:1:1",
    note: "hessian/hvp of f(x) = x0 with 3 inputs gave H[1][1] = H[2][2] = 1: inputs recorded after the output kept their tangent seed as H·v (fixed in assembly/tangent.ts)",
  },
  {
    p: { n: 3, nodes: [{ op: "ifLt", args: [0, 0, 0, 0] }] },
    x: [0.5, 0.001, -1.25],
    x2: [0.625, 0.002, -1],
    from: "seed 1 (hessianFd of the case above, then by hand)",
    note: "grad/vjp/compiled grad of f(x) = x0 with 3 inputs returned [1, x1, x2]: adjoints alias values and were cleared only up to the output (fixed in vjp.ts, compile.ts, sweep.ts)",
  },
  {
    p: {
      n: 3,
      nodes: [
        { op: "square", args: [0] }, { op: "add", args: [3], c: 0.5 }, { op: "tanh", args: [2] }, { op: "mul", args: [5], c: 2 },
        { op: "pow", args: [4, 6] }, { op: "neg", args: [0] }, { op: "add", args: [7, 8] },
      ],
    },
    x: [-0.001007080078125, 0, 0],
    x2: [-0.001007080078125, 0, 0],
    from: "seed 20260806 (second order), path 218:6:7:3:3:3:3:2:2:2:2:2:2:2:3",
    note: "nested grad-of-grad through pow at exponent 0 gave ∂²/∂x∂y = 0: the TS rule masked ∂/∂x for all y = 0, killing its y-derivative xʸ⁻¹ (fixed in src/ops.ts)",
  },
  {
    p: { n: 1, nodes: [{ op: "softplus", args: [0] }] },
    x: [800],
    x2: [800],
    from: "seed 424242 (npm run fuzz, scalar second order), path 74820:5:2:2:2:2:2:2:6:6:6:6, then by hand",
    note: "nested grad-of-grad through where is NaN when the branch not taken has an infinite partial (softplus at 800: log1p(exp(x)); where(x > 0, x, exp(x²)) at 30): grad(grad(f)) and jacrev(grad(f)) give NaN (jacfwd too, in the fuzzer's larger program), hessian (Wasm) gives 0: src/transforms/nested.ts records mul(partial, adjoint) where the adjoint's value is 0 but not a literal 0, so 0·∞ = NaN, though where promises the untaken branch exactly zero (fixed: the nested sweep leaves out a zero adjoint times an infinite partial, as the Wasm sweeps do)",
  },
];
