/** @file Tensor ops given bad input: shape mismatches (ShapeError naming both shapes), out-of-range indices and
 * bounds (InputError, before anything is read or written), bad `tensor()` data, stale handles, constants outside
 * any transform, what does not run through tensor ops yet (AdError TENSOR_MODE: sparsity, nesting), and second
 * order through the linear algebra, which used to be refused and now runs; after every error a known-good call must
 * still give the right answer. */
import { describe, it, expect } from "vitest";
import * as ad from "../src/index.js";
import { expectTensorMode, expectGoodSecond, expectCode, fdColumn, matVec, maxAbs } from "./tensor-helpers.js";

type Nd = ad.Tensor<"nd">;
const T = ad.tensor;
const A23 = T([1, 2, 3, 4, 5, 6], [2, 3]);

/** The known-good call: f(X) = Σ C ⊙ (X·Xᵀ), its value and gradient (C + Cᵀ)·X checked against plain loops. */
const X = T([0.5, -1, 2, 1.5, 0.25, -0.75], [2, 3]);
const C = T([1, -2, 0.5, 3], [2, 2]);
function expectGood(): void {
  const [v, g] = ad.valueAndGrad((x: Nd) => ad.sum(ad.mul(ad.matmul(x, x, { transposeB: true }), C)))(X);
  const x = (i: number, k: number) => X.data[i * 3 + k], c = (i: number, j: number) => C.data[i * 2 + j];
  let want = 0;
  const grad = new Float64Array(6);
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      for (let k = 0; k < 3; k++) {
        want += c(i, j) * x(i, k) * x(j, k);
        grad[i * 3 + k] += (c(i, j) + c(j, i)) * x(j, k);
      }
  expect(v).toBeAllclose(want, { rtol: 1e-14 });
  expect(g.shape).toEqual([2, 3]);
  expect(g.data).toBeAllclose(grad, { rtol: 1e-14 });
}

/** Runs f under grad at inputs xs, expects an error of class E whose message contains every string in `names`, then a good call. */
function expectError(E: new (...a: never[]) => ad.AdError, f: (xs: Nd[]) => unknown, xs: ad.TensorData[], names: string[] = []): void {
  let caught: unknown;
  try {
    ad.grad((hs: Nd[]) => {
      f(hs);
      return 0;
    })(xs);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(E);
  for (const s of names) expect((caught as Error).message).toContain(s);
  expectGood();
}

describe("shape mismatches are ShapeErrors whose message names both shapes", () => {
  const cases: Array<[string, (xs: Nd[]) => unknown, ad.TensorData[], string[]]> = [
    ["add [2,3] + [3,2]", ([a, b]) => ad.add(a, b), [A23, T([1, 2, 3, 4, 5, 6], [3, 2])], ["[2, 3]", "[3, 2]"]],
    ["mul [2] · [3]", ([a, b]) => ad.mul(a, b), [T([1, 2], [2]), T([1, 2, 3], [3])], ["[2]", "[3]"]],
    ["pow [2,3] and a constant [2]", ([a]) => ad.pow(a, [1, 2]), [A23], ["[2, 3]", "[2]"]],
    ["where: mask [2], branch [3]", ([a, b]) => ad.where(ad.greater(a, 0), a, b), [T([1, 2], [2]), T([1, 2, 3], [3])], ["[2]", "[3]"]],
    ["matmul inner dimensions [2,3]·[2,3]", ([a, b]) => ad.matmul(a, b), [A23, A23], ["[2, 3]", "3 vs 2"]],
    ["matmul transposed [2,3]ᵀ·[3,2]", ([a, b]) => ad.matmul(a, b, { transposeA: true }), [A23, T([1, 2, 3, 4, 5, 6], [3, 2])], ["[2, 3]", "[3, 2]"]],
    ["matmul vector [3]·[2,3]", ([a, b]) => ad.matmul(a, b), [T([1, 2, 3], [3]), A23], ["[3]", "[2, 3]"]],
    ["matmul batches [2,2,3]·[3,3,2]", ([a, b]) => ad.matmul(a, b), [T(new Array(12).fill(1), [2, 2, 3]), T(new Array(18).fill(1), [3, 3, 2])], ["[2, 2, 3]", "[3, 3, 2]"]],
    ["matmul of a 0-d tensor", ([a, b]) => ad.matmul(a, b), [T(2), T([1, 2], [2])], ["[]"]],
    ["concat [2,3] and [2,4] on axis 0", ([a, b]) => ad.concat([a, b], 0), [A23, T(new Array(8).fill(1), [2, 4])], ["[2, 3]", "[2, 4]"]],
    ["concat of ranks 2 and 1", ([a, b]) => ad.concat([a, b], 0), [A23, T([1, 2, 3], [3])], ["[2, 3]", "[3]"]],
    ["stack [2] and [3]", ([a, b]) => ad.stack([a, b]), [T([1, 2], [2]), T([1, 2, 3], [3])], ["[2]", "[3]"]],
    ["dot [2]·[3]", ([a, b]) => ad.dot(a, b), [T([1, 2], [2]), T([1, 2, 3], [3])], ["[2]", "[3]"]],
    ["mse [2,3] vs [3,2]", ([a, b]) => ad.mse(a, b), [A23, T([1, 2, 3, 4, 5, 6], [3, 2])], ["[2, 3]", "[3, 2]"]],
    ["crossEntropy logits [2,3], labels [3,2]", ([a, b]) => ad.crossEntropy(a, b), [A23, T([1, 0, 0, 1, 0, 0], [3, 2])], ["[2, 3]", "[3, 2]"]],
    ["crossEntropy: 3 classes for 2 rows", ([a]) => ad.crossEntropy(a, new Int32Array([0, 1, 2])), [A23], ["3 labels", "[2, 3]"]],
    ["crossEntropy: classes need 2-D logits", ([a]) => ad.crossEntropy(a, new Int32Array([0])), [T([1, 2, 3], [3])], ["[3]"]],
    ["broadcastTo [2,3] → [3,3]", ([a]) => ad.broadcastTo(a, [3, 3]), [A23], ["[2, 3]", "[3, 3]"]],
    ["broadcastTo [1,3] → [3] (lower rank)", ([a]) => ad.broadcastTo(a, [3]), [T([1, 2, 3], [1, 3])], ["[1, 3]", "[3]"]],
    ["reshape [2,3] → [4]", ([a]) => ad.reshape(a, [4]), [A23], ["[2, 3]", "[4]"]],
    ["amax over an empty axis", ([a]) => ad.amax(a, 0), [T([], [0, 3])], ["[0, 3]"]],
  ];
  it.each(cases)("%s", (_, f, xs, names) => expectError(ad.ShapeError, f, xs, names));
  // Regression (fixed): reshape(x of [2,3], [4, -1]) infers −1 as 6/4 = 1.5 and throws InputError("shape: dimensions must be
  // non-negative integers, got [4, 1.5]"): the wrong class, and a shape the user never wrote, without x's shape.
  it("reshape [2,3] → [4,-1] is a ShapeError naming both shapes", () => expectError(ad.ShapeError, ([a]) => ad.reshape(a, [4, -1]), [A23], ["[2, 3]", "[4, -1]"]));
});

describe("indices, bounds and axes are InputErrors, raised before anything is read or written", () => {
  const v3 = T([10, 20, 30], [3]);
  const cases: Array<[string, (xs: Nd[]) => unknown, ad.TensorData[]]> = [
    ["gather index = length", ([a]) => ad.gather(a, [0, 3]), [v3]],
    ["gather index −length − 1", ([a]) => ad.gather(a, [-4]), [v3]],
    ["gather fractional index", ([a]) => ad.gather(a, [1.5]), [v3]],
    ["gather NaN index", ([a]) => ad.gather(a, [NaN]), [v3]],
    ["gather index 2³²", ([a]) => ad.gather(a, [2 ** 32]), [v3]],
    ["gather index on axis 1 past its length", ([a]) => ad.gather(a, [3], 1), [A23]],
    ["gather axis out of range", ([a]) => ad.gather(a, [0], 2), [A23]],
    ["gather on a 0-d tensor", ([a]) => ad.gather(a, [0]), [T(1)]],
    ["slice past the end", ([a]) => ad.slice(a, [1], [3]), [v3]],
    ["slice begin −4 of 3", ([a]) => ad.slice(a, [-4], [1]), [v3]],
    ["slice begin past the end", ([a]) => ad.slice(a, [4], [0]), [v3]],
    ["slice fractional begin", ([a]) => ad.slice(a, [0.5], [1]), [v3]],
    ["slice size −2", ([a]) => ad.slice(a, [0], [-2]), [v3]],
    ["slice size Infinity", ([a]) => ad.slice(a, [0], [Infinity]), [v3]],
    ["slice with too few begins", ([a]) => ad.slice(a, [0], [1]), [A23]],
    ["slice past the end on axis 1", ([a]) => ad.slice(a, [0, 2], [2, 2]), [A23]],
    ["at(2, 0) of [2,3]", ([a]) => a.at(2, 0), [A23]],
    ["at(0, 3) of [2,3]", ([a]) => a.at(0, 3), [A23]],
    ["at(-3, 0) of [2,3]", ([a]) => a.at(-3, 0), [A23]],
    ["at with three indices of [2,3]", ([a]) => a.at(0, 0, 0), [A23]],
    ["at(0.5, 0)", ([a]) => a.at(0.5, 0), [A23]],
    ["at(6): flat index past the end of [2,3]", ([a]) => a.at(6), [A23]],
    ["at of an op result out of range", ([a]) => ad.exp(a).at(1, 3), [A23]],
    ["crossEntropy class = classes", ([a]) => ad.crossEntropy(a, new Int32Array([0, 3])), [A23]],
    ["crossEntropy class −1", ([a]) => ad.crossEntropy(a, new Int32Array([-1, 0])), [A23]],
    ["transpose by [0,0]", ([a]) => ad.transpose(a, [0, 0]), [A23]],
    ["transpose by [0]", ([a]) => ad.transpose(a, [0]), [A23]],
    ["transpose by [0,2]", ([a]) => ad.transpose(a, [0, 2]), [A23]],
    ["transpose by [1,0,2] of rank 2", ([a]) => ad.transpose(a, [1, 0, 2]), [A23]],
    ["sum over axis 2 of rank 2", ([a]) => ad.sum(a, 2), [A23]],
    ["sum over a repeated axis", ([a]) => ad.sum(a, [0, -2]), [A23]],
    ["mean over a fractional axis", ([a]) => ad.mean(a, 0.5), [A23]],
    ["softmax axis out of range", ([a]) => ad.softmax(a, -3), [A23]],
    ["stack axis out of range", ([a]) => ad.stack([a, a], 3), [A23]],
    ["concat of nothing", () => ad.concat([]), [A23]],
    ["stack of nothing", () => ad.stack([]), [A23]],
    ["reshape with two −1", ([a]) => ad.reshape(a, [-1, -1]), [A23]],
    ["reshape to a negative dimension", ([a]) => ad.reshape(a, [-2, -3]), [A23]],
    ["an operand that is a string", ([a]) => ad.add(a, "1" as unknown as number), [A23]],
    ["an operand that is a nested array", ([a]) => ad.mul(a, [[1, 2, 3]] as unknown as number[]), [A23]],
  ];
  it.each(cases)("%s", (_, f, xs) => expectError(ad.InputError, f, xs));

  it("the extreme valid indices read the right elements", () => {
    const [y] = ad.vjp((a: Nd) => ad.concat([ad.gather(a, [-3, 2]), ad.slice(a, [-1], [-1]), ad.reshape(a.at(-1), [1])]))(v3);
    expect(Array.from(y.data)).toEqual([10, 30, 30, 30]);
    const [z] = ad.vjp((a: Nd) => ad.stack([a.at(1, 2), a.at(5), a.at(-2, -3)]))(A23);
    expect(Array.from(z.data)).toEqual([6, 6, 1]);
  });
});

describe("a binary op given one operand is an InputError (not a unary op on garbage, not a TypeError)", () => {
  type Loose = Nd & Record<string, (y?: unknown) => unknown>;
  it.each(["add", "sub", "mul", "div", "pow", "max", "min", "atan2"])("tensor.%s() and ad.%s(x)", (name) => {
    expectError(ad.InputError, ([a]) => (a as Loose)[name](), [X], ["undefined"]);
    expectError(ad.InputError, ([a]) => (ad as unknown as Record<string, (x: unknown) => unknown>)[name](a), [X], ["undefined"]);
  });
  it("scalar.add() and ad.mul(scalar)", () => {
    const f = (v: Float64Array) => (v as unknown as { at(i: number): Record<string, () => unknown> }).at(0).add();
    expect(() => ad.grad(f as never)(Float64Array.of(1, 2))).toThrow(ad.InputError);
    expect(() => ad.grad(((v: ad.Tensor) => ad.mul(v.at(0), undefined as never)) as never)(Float64Array.of(1, 2))).toThrow(ad.InputError);
    expectGood();
  });
});

describe("tensor(data, shape) rejects bad data with an InputError", () => {
  const bad: Array<[string, () => unknown]> = [
    ["a negative dimension", () => T([], [-1])],
    ["a fractional dimension", () => T([1, 2], [2.5])],
    ["a NaN dimension", () => T([1], [NaN])],
    ["an infinite dimension", () => T([], [Infinity])],
    ["a shape that is not an array", () => T([1, 2], "2" as unknown as number[])],
    ["more than 2^28 elements", () => T([], [2 ** 15, 2 ** 15])],
    ["more than 32 axes", () => T([1], new Array(33).fill(1))],
    ["too few elements for the shape", () => T([1, 2], [3])],
    ["too many elements for the shape", () => T(new Float64Array(5), [2, 2])],
    ["nested data with a shape", () => T([[1, 2], [3, 4]], [2, 2])],
    ["ragged rows", () => T([[1, 2], [3]])],
    ["a number where a row should be", () => T([[1, 2], 3])],
    ["a row where a number should be", () => T([1, [2]])],
    ["ragged at depth 3", () => T([[[1], [2]], [[3], [4, 5]]])],
    ["a string element (flat, with a shape)", () => T(["a"] as unknown as number[], [1])],
    ["a string element (nested)", () => T([["a"]])],
    ["a string", () => T("abc" as unknown as number[])],
    ["null", () => T(null as unknown as number[])],
    ["booleans", () => T([true] as unknown as number[], [1])],
  ];
  it.each(bad)("%s", (_, f) => {
    expect(f).toThrow(ad.InputError);
    expectGood();
  });

  it("accepts numbers, nested arrays (also of Float64Arrays), empty axes and 0-d", () => {
    expect(T(5)).toEqual(new ad.TensorData(Float64Array.of(5), []));
    expect(T([[1, 2], [3, 4]])).toEqual(new ad.TensorData(Float64Array.of(1, 2, 3, 4), [2, 2]));
    expect(T([Float64Array.of(1, 2), Float64Array.of(3, 4)])).toEqual(T([1, 2, 3, 4], [2, 2]));
    expect(T([[]]).shape).toEqual([1, 0]);
    expect(T([], [0, 3]).shape).toEqual([0, 3]);
  });
});

describe("stale tensor handles are StaleHandleErrors", () => {
  /** Leaks an input handle and an op result out of a finished transform. */
  const leak = (): { input: Nd; result: Nd; scalar: ad.Scalar } => {
    const out = {} as { input: Nd; result: Nd; scalar: ad.Scalar };
    ad.grad((x: Nd) => {
      out.input = x;
      out.result = ad.exp(x);
      out.scalar = out.result.at(0);
      return ad.sum(out.result);
    })(T([1, 2], [2]));
    return out;
  };
  const uses: Array<[string, (h: Nd) => unknown]> = [
    ["an elementwise op", (h) => ad.exp(h)],
    ["a binary op with a constant", (h) => ad.mul(h, 2)],
    ["a reduction", (h) => ad.sum(h)],
    ["matmul", (h) => ad.matmul(h, [1, 2])],
    ["slice", (h) => ad.slice(h, [0], [1])],
    ["gather", (h) => ad.gather(h, [1])],
    ["concat", (h) => ad.concat([[1], h])],
    ["at", (h) => h.at(0)],
    [".value", (h) => h.value],
  ];
  const views: Array<[string, (h: Nd) => unknown]> = [
    ["reshape", (h) => ad.reshape(h, [1, 2])],
    ["transpose", (h) => ad.transpose(h)],
    ["a contiguous slice", (h) => ad.slice(h, [0], [2])],
  ];
  for (const which of ["input", "result"] as const) {
    it.each(uses)(`a leaked ${which} handle, used outside any transform, in %s`, (_, use) => {
      const h = leak()[which];
      expect(() => use(h)).toThrow(ad.StaleHandleError);
      expectGood();
    });
    it(`a leaked ${which} handle, used inside a new transform as a second operand`, () => {
      const h = leak()[which];
      expect(() => ad.grad((x: Nd) => ad.sum(ad.add(x, h)))(T([1, 2], [2]))).toThrow(ad.StaleHandleError);
      expectGood();
    });
    // Regression (fixed): a stale tensor handle as the FIRST operand of a tensor op inside a live transform raises
    // AdError("NESTING", "add: a handle of another transform's trace was used here") instead of StaleHandleError:
    // traceFor takes the stale handle's trace, and asTensor then finds the live handle foreign to it.
    it(`a leaked ${which} handle, used inside a new transform as the first operand, is a StaleHandleError`, () => {
      const h = leak()[which];
      expect(() => ad.grad((x: Nd) => ad.sum(ad.add(h, x)))(T([1, 2], [2]))).toThrow(ad.StaleHandleError);
    });
    // Regression (fixed): the ops that return a view (reshape; transpose and slice when the result is contiguous) never check
    // that the handle's trace is live: on a stale handle they return a new stale Tensor instead of throwing.
    it.each(views)(`%s of a leaked ${which} handle is a StaleHandleError`, (_, view) => {
      const h = leak()[which];
      expect(() => view(h)).toThrow(ad.StaleHandleError);
    });
  }
  it("a leaked Scalar (from at) used in a tensor op inside a new transform, second operand", () => {
    const { scalar } = leak();
    expect(() => ad.grad((x: Nd) => ad.sum(ad.mul(x, scalar)))(T([1, 2], [2]))).toThrow(ad.StaleHandleError);
    expectGood();
  });
  it("a pullback with a tensor output, used after the next transform call", () => {
    const [, pullback] = ad.vjp((x: Nd) => ad.exp(x))(T([1, 2], [2]));
    expectGood();
    expect(() => pullback(T([1, 1], [2]))).toThrow(ad.StaleHandleError);
    expectGood();
  });
});

describe("tensor ops with constants only, outside any transform, are AdError NO_TRACE", () => {
  const calls: Array<[string, () => unknown]> = [
    ["add", () => ad.add(A23, A23)],
    ["add with a number", () => ad.add(A23, 1)],
    ["exp of a number[]", () => ad.exp([1, 2])],
    ["less", () => ad.less(A23, 3)],
    ["where", () => ad.where(T([1, 0], [2]), T([1, 2], [2]), 0)],
    ["matmul", () => ad.matmul(A23, A23, { transposeB: true })],
    ["sum", () => ad.sum(A23)],
    ["softmax", () => ad.softmax(A23)],
    ["reshape", () => ad.reshape(A23, [3, 2])],
    ["transpose", () => ad.transpose(A23)],
    ["slice", () => ad.slice(A23, [0, 0], [1, 1])],
    ["gather", () => ad.gather(A23, [0])],
    ["concat", () => ad.concat([A23, A23])],
    ["stack", () => ad.stack([A23, A23])],
    ["broadcastTo", () => ad.broadcastTo(A23, [2, 2, 3])],
    ["dot", () => ad.dot([1, 2], [3, 4])],
    ["crossEntropy", () => ad.crossEntropy(A23, new Int32Array([0, 1]))],
  ];
  it.each(calls)("%s", (_, f) => {
    expectCode(f, "NO_TRACE");
    expectGood();
  });
  it("scalar ops on numbers still work outside (they are constants)", () => {
    expect(ad.exp(1)).toBe(Math.E);
    expect(ad.add(1, 2)).toBe(3);
  });
});

describe("errors midway through f, under compile, and from the transforms", () => {
  it("an error after several tensor ops leaves the next call intact", () => {
    expect(() =>
      ad.grad((x: Nd) => {
        const y = ad.softmax(ad.matmul(x, x, { transposeB: true }));
        return ad.sum(ad.add(y, ad.tensor([1, 2, 3], [3])));
      })(X),
    ).toThrow(ad.ShapeError);
    expectGood();
  });
  it("a ShapeError while compiling, then a compiled function works", () => {
    expect(() => ad.compile((x: Nd) => ad.sum(ad.add(x, T([1, 2, 3], [3]))), T([1, 2], [2]))).toThrow(ad.ShapeError);
    const c = ad.compile((x: Nd) => ad.sum(ad.mul(ad.matmul(x, x, { transposeB: true }), C)), X);
    expect(c.grad(X).data).toEqual(ad.grad((x: Nd) => ad.sum(ad.mul(ad.matmul(x, x, { transposeB: true }), C)))(X).data);
    c.dispose();
    expectGood();
  });
  it("a compiled function given a tensor of another shape is an InputError naming the shape", () => {
    const c = ad.compile((x: Nd) => ad.sum(x), T([1, 2], [2]));
    expect(() => c.grad(T([1, 2, 3], [3]))).toThrow(/\[2\]/);
    expect(() => c.grad(T([1, 2], [1, 2]))).toThrow(ad.InputError);
    expect(c.grad(T([5, 6], [2])).data).toEqual(Float64Array.of(1, 1));
    c.dispose();
    expectGood();
  });
  it("grad of a non-scalar tensor output is an OutputError naming its shape; a 1-element one is fine", () => {
    expect(() => ad.grad((x: Nd) => ad.exp(x))(A23)).toThrow(/\[2, 3\]/);
    expect(() => ad.grad((x: Nd) => ad.exp(x))(A23)).toThrow(ad.OutputError);
    expect(ad.grad((x: Nd) => ad.sum(x, undefined, true))(A23).data).toEqual(new Float64Array(6).fill(1));
    expectGood();
  });
  it("a pullback given a cotangent of the wrong shape is an InputError", () => {
    const [, pullback] = ad.vjp((x: Nd) => ad.exp(x))(A23);
    expect(() => pullback({ data: [1, 2, 3, 4, 5, 6], shape: [3, 2] })).toThrow(ad.InputError);
    expect(() => pullback({ data: [1, 2, 3], shape: [2, 3] })).toThrow(ad.InputError);
    expect(pullback(T([1, 0, 0, 0, 0, 0], [2, 3])).data[0]).toBeAllclose(Math.E, { rtol: 1e-15 });
  });
});

describe("second order through the linear algebra runs (it was AdError TENSOR_MODE), and the next calls work", () => {
  const S3 = T([4, 1, 0.5, 1, 3, -0.25, 0.5, -0.25, 2], [3, 3]);
  /** Σ of a tensor op chain with the linear algebra op in the middle. */
  const through: Array<[string, (a: Nd) => Nd]> = [
    ["cholesky", (a) => ad.cholesky(ad.mul(a, 1.5))],
    ["solve (A an input)", (a) => ad.solve(ad.exp(ad.mul(a, 0.1)), [1, 2, 3])],
    ["solve (only B an input)", (a) => ad.solve(S3, ad.tanh(a))],
    ["logdet", (a) => ad.logdet(ad.add(a, 0.5))],
  ];
  it.each(through)("through %s: hvp along S (symmetric) equals differences of the gradient; = H·S; compiled equals eager", (_, op) => {
    const f = (a: Nd) => ad.sum(ad.sin(op(a)));
    const H = ad.hessian(f)(S3);
    const hv = ad.hvp(f)(S3, S3).data;
    const num = fdColumn((t) => ad.grad(f)(T(S3.data.map((s) => s * (1 + t[0])), [3, 3])).data, Float64Array.of(0), 0);
    expect(hv).toBeAllclose(num, { rtol: 1e-8, atol: 1e-8 * maxAbs(num) });
    expect(hv).toBeAllclose(matVec(H, S3.data), { rtol: 1e-12, atol: 1e-12 * maxAbs(num) });
    const c = ad.compile(f, S3);
    try {
      expect(c.hvp(S3, S3).data).toBeAllclose(hv, { rtol: 1e-13, atol: 1e-13 * maxAbs(hv) });
      expect(c.hessian(S3).data).toBeAllclose(H.data, { rtol: 1e-13, atol: 1e-13 * maxAbs(H.data) });
      expect(c.grad(S3).data).toBeAllclose(ad.grad(f)(S3).data, { rtol: 1e-14, atol: 1e-300 });
    } finally {
      c.dispose();
    }
    expectGood();
    expectGoodSecond();
  });
});

describe("what does not run through tensor ops yet is AdError TENSOR_MODE, and the next calls work", () => {
  const refusals: Array<[string, () => unknown]> = [
    ["sparseHessian over tensor ops", () => ad.sparseHessian((x: ad.Tensor) => ad.sum(ad.exp(x)))(Float64Array.of(1, 2))],
    ["sparseJacobian over tensor ops", () => ad.sparseJacobian((x: ad.Tensor) => ad.exp(x))(Float64Array.of(1, 2))],
    ["grad inside grad over a tensor input", () => ad.grad((x: Nd) => ad.sum(ad.grad((u: Nd) => ad.sum(ad.exp(u)))(x) as unknown as Nd))(T([1, 2], [2]))],
    ["grad inside grad over tensor ops on a vector input", () => ad.grad((x: ad.Tensor) => ad.sum(ad.grad((u: ad.Tensor) => ad.sum(ad.exp(u)))(x) as never))(Float64Array.of(1, 2))],
    ["jacfwd(grad(f)) over a tensor input", () => ad.jacfwd(ad.grad((u: Nd) => ad.sum(ad.exp(u))) as never)(T([1, 2], [2]) as never)],
  ];
  it.each(refusals)("%s", (_, f) => {
    expectTensorMode(f);
    expectGood();
    expectGoodSecond();
  });
});
