/** @file Bad-input corpus, inputs: wrong leaf types, array oddities, typed arrays other than Float64Array, mismatched shapes, and negative, fractional, NaN and huge dimensions, indices and axes. */
import * as ad from "../../src/index.js";
import { type Case, fails, gives, exactly } from "./case.js";

const id = (x: ad.Scalar) => x;
const total = (x: ad.Tensor) => x.sum();
const nd = (x: ad.Tensor<"nd">) => x.sum();
/** Runs `body` on a 2×3 tensor input inside grad (so a tensor op reaches its checks with a live trace). */
const on23 = (body: (x: ad.Tensor<"nd">) => unknown) => () => ad.grad((x: ad.Tensor<"nd">) => body(x) as ad.Scalar)(ad.tensor([[1, 2, 3], [4, 5, 6]]));
/** Runs `body` on a vector [1, 2] inside grad. */
const onVec = (body: (x: ad.Tensor) => unknown) => () => ad.grad((x: ad.Tensor) => body(x) as ad.Scalar)([1, 2]);
const leaf = /unsupported leaf/;
class Params {
  w = 1;
}

/** Leaves of the wrong type and arrays that are not plain number lists: each an InputError naming the path, or a documented acceptance. */
export const typeCases: Case[] = [
  fails("inputs", "a string", () => ad.grad(id)("1" as never), ad.InputError, "INPUT", /^x: unsupported leaf: string/),
  fails("inputs", "a BigInt", () => ad.grad(id)(1n as never), ad.InputError, "INPUT", /^x: unsupported leaf: bigint/),
  fails("inputs", "undefined", () => ad.grad(id)(undefined as never), ad.InputError, "INPUT", /^x: unsupported leaf: undefined/),
  fails("inputs", "null inside a tree", () => ad.grad((p: { a: ad.Scalar }) => p.a)({ a: 1, b: null } as never), ad.InputError, "INPUT", /^x\.b: unsupported leaf: null/),
  fails("inputs", "a symbol", () => ad.grad(id)(Symbol("s") as never), ad.InputError, "INPUT", /^x: unsupported leaf: symbol/),
  fails("inputs", "a function", () => ad.grad(id)((() => 1) as never), ad.InputError, "INPUT", /^x: unsupported leaf: function/),
  fails("inputs", "a Date leaf", () => ad.grad(id)({ t: new Date(0) } as never), ad.InputError, "INPUT", /^x\.t: unsupported leaf: Date/),
  fails("inputs", "a Map leaf", () => ad.grad(id)([1, new Map()] as never), ad.InputError, "INPUT", /^x\[1\]: unsupported leaf: Map/),
  fails("inputs", "a class instance leaf", () => ad.grad(id)({ p: new Params() } as never), ad.InputError, "INPUT", /^x\.p: unsupported leaf: Params/),
  fails("inputs", "a hole in an array [1, , 3]", () => ad.grad(total)([1, , 3] as never), ad.InputError, "INPUT", /^x\[1\]: a hole/),
  fails("inputs", "a sparse array (a[5] = 1)", () => {
    const a: number[] = [];
    a[5] = 1;
    return ad.grad(total)(a);
  }, ad.InputError, "INPUT", /^x\[0\]: a hole/),
  fails("inputs", "a hole in a tensor operand", () => ad.grad((x: ad.Tensor) => x.add([1, , 3] as never).sum())([1, 2, 3]), ad.InputError, "INPUT", /expected a Tensor.*got an array/),
  gives("inputs", "an array with an extra property is a vector (the property is ignored)", () => {
    const a = Object.assign([1, 2], { w: 3 });
    return ad.grad(total)(a);
  }, (g) => exactly(g as Float64Array, [1, 1])),
  fails("inputs", "a Float32Array input is rejected", () => ad.grad(total)(new Float32Array([1, 2]) as never), ad.InputError, "INPUT", /^x: unsupported leaf: Float32Array/),
  fails("inputs", "an Int32Array input is rejected", () => ad.grad(total)(new Int32Array([1, 2]) as never), ad.InputError, "INPUT", /^x: unsupported leaf: Int32Array/),
  fails("inputs", "a Float32Array tensor operand is rejected", () => ad.grad((x: ad.Tensor) => x.mul(new Float32Array([1, 2]) as never).sum())([1, 2]), ad.InputError, "INPUT", /Float32Array/),
  fails("inputs", "tensor(Float32Array, shape) is rejected", () => ad.tensor(new Float32Array(4) as never, [2, 2]), ad.InputError, "INPUT", /^data: .*Float32Array/),
  fails("inputs", "tensor(Int32Array) (shape inferred) is rejected", () => ad.tensor(new Int32Array(2) as never), ad.InputError, "INPUT", /^data: .*Int32Array/),
  fails("inputs", "the function itself is not a function", () => ad.grad(3 as never)(1), ad.InputError, "INPUT", /^f: expected the function/),
  fails("inputs", "compiled tape called with a longer vector", () => {
    const c = ad.compile(total, [1, 2]);
    try {
      return c.grad([1, 2, 3]);
    } finally {
      c.dispose();
    }
  }, ad.InputError, "INPUT", /^x: expected a Float64Array or number\[\] of length 2/),
  fails("inputs", "compiled tape called with other keys", () => {
    const c = ad.compile((p: { a: ad.Scalar }) => p.a, { a: 1 });
    try {
      return c.grad({ b: 1 } as never);
    } finally {
      c.dispose();
    }
  }, ad.InputError, "INPUT", /^x: expected an object with keys \[a\]/),
  fails("inputs", "compiled tape called with another tensor shape", () => {
    const c = ad.compile(nd, ad.tensor([[1, 2], [3, 4]]));
    try {
      return c.grad(ad.tensor([1, 2, 3, 4]));
    } finally {
      c.dispose();
    }
  }, ad.InputError, "INPUT", /expected a tensor of shape \[2, 2\], got shape \[4\]/),
  fails("inputs", "pullback with a cotangent of the wrong length", () => ad.vjp((x: ad.Tensor) => x.mul(2))([1, 2])[1]([1, 2, 3] as never), ad.InputError, "INPUT", /^ct: expected a Float64Array or number\[\] of length 2/),
  // A hole in a number[] cotangent had been read as undefined (its gradient entry NaN): every() skips holes.
  fails("inputs", "a hole in a pullback's cotangent", () => ad.vjp((x: ad.Tensor) => x.mul(2))([1, 2, 3])[1]([1, , 3] as never), ad.InputError, "INPUT", /^ct: expected a Float64Array or number\[\] of length 3/),
];

/** Shapes, indices and axes (the security review's group): each an InputError or ShapeError raised before any kernel runs. */
export const dimCases: Case[] = [
  fails("inputs", "tensor data length ≠ shape size", () => ad.tensor([1, 2, 3], [2, 2]), ad.InputError, "INPUT", /^data: data has 3 elements, shape \[2, 2\] needs 4/, true),
  fails("inputs", "tensor shape [-1]", () => ad.tensor([], [-1]), ad.InputError, "INPUT", /^shape: .*\[-1\]/, true),
  fails("inputs", "tensor shape [1.5]", () => ad.tensor([1], [1.5]), ad.InputError, "INPUT", /^shape: .*\[1\.5\]/, true),
  fails("inputs", "tensor shape [NaN]", () => ad.tensor([1], [NaN]), ad.InputError, "INPUT", /^shape: .*\[NaN\]/, true),
  fails("inputs", "tensor shape [2^31]", () => ad.tensor([1], [2 ** 31]), ad.InputError, "INPUT", /^shape: a tensor of shape \[2147483648\] has more than 2\^28/, true),
  fails("inputs", "tensor shape [2^53]", () => ad.tensor([1], [2 ** 53]), ad.InputError, "INPUT", /^shape: .*\[9007199254740992\]/, true),
  fails("inputs", "tensor shape [2^16, 2^16] (size overflow of 32 bits)", () => ad.tensor([1], [2 ** 16, 2 ** 16]), ad.InputError, "INPUT", /more than 2\^28/, true),
  fails("inputs", "hand-made TensorData input: 2 elements, shape [1000]", () => ad.grad(nd)(new ad.TensorData(new Float64Array(2), [1000])), ad.InputError, "INPUT", /^x: a tensor of shape \[1000\] needs 1000 elements, its data has 2/, true),
  fails("inputs", "hand-made TensorData input: shape [-2]", () => ad.grad(nd)(new ad.TensorData(new Float64Array(2), [-2])), ad.InputError, "INPUT", /^x\.shape: .*\[-2\]/, true),
  fails("inputs", "hand-made TensorData constant: 2 elements, shape [3]", () => ad.grad((x: ad.Tensor) => x.add(new ad.TensorData(new Float64Array(2), [3])).sum())([1, 2, 3]), ad.InputError, "INPUT", /^operand: a tensor of shape \[3\] needs 3 elements/, true),
  fails("inputs", "a TensorData whose shape was changed after tensor()", () => {
    const td = ad.tensor([1, 2]);
    td.shape[0] = 2 ** 20;
    return ad.grad(nd)(td);
  }, ad.InputError, "INPUT", /needs 1048576 elements, its data has 2/, true),
  fails("inputs", "reshape to [NaN]", onVec((x) => x.reshape([NaN])), ad.InputError, "INPUT", /^shape: .*\[NaN\]/, true),
  fails("inputs", "reshape to [-2, -1]", onVec((x) => x.reshape([-2, -1])), ad.InputError, "INPUT", /\[-2, -1\]/, true),
  fails("inputs", "reshape to a string", onVec((x) => x.reshape("ab" as never)), ad.InputError, "INPUT", /^shape: reshape: expected a shape/, true),
  fails("inputs", "reshape to another size", on23((x) => x.reshape([4, 2])), ad.ShapeError, "SHAPE", /cannot view shape \[2, 3\] \(6 elements\) as \[4, 2\]/, true),
  fails("inputs", "slice begin 2^53", onVec((x) => x.slice(2 ** 53)), ad.InputError, "INPUT", /slice: begin 9007199254740992/, true),
  fails("inputs", "slice size NaN", onVec((x) => x.slice(0, NaN)), ad.InputError, "INPUT", /slice: begin 0, size NaN/, true),
  fails("inputs", "slice size 2^32 + 1", onVec((x) => x.slice(1, 2 ** 32 + 1)), ad.InputError, "INPUT", /size 4294967297 is out of range/, true),
  fails("inputs", "slice begin a string", onVec((x) => x.slice("0" as never)), ad.InputError, "INPUT", /^begin: slice: begin must be a number/, true),
  fails("inputs", "gather index 2^31", onVec((x) => x.gather([2 ** 31])), ad.InputError, "INPUT", /^indices\[0\]: gather: index 2147483648/, true),
  fails("inputs", "gather index 0.5", onVec((x) => x.gather([0, 0.5])), ad.InputError, "INPUT", /^indices\[1\]: gather: index 0\.5 \(at 1\)/, true),
  fails("inputs", "gather index -3 on length 2", onVec((x) => x.gather([-3])), ad.InputError, "INPUT", /index -3 .* length 2/, true),
  fails("inputs", "gather indices a number", onVec((x) => x.gather(5 as never)), ad.InputError, "INPUT", /^indices: gather: indices must be an array/, true),
  fails("inputs", ".at(2^32)", onVec((x) => x.at(2 ** 32)), ad.InputError, "INPUT", /^at: index 4294967296 out of range/, true),
  fails("inputs", ".at(NaN)", onVec((x) => x.at(NaN)), ad.InputError, "INPUT", /^at: index NaN/, true),
  fails("inputs", ".at(-3) on length 2", onVec((x) => x.at(-3)), ad.InputError, "INPUT", /^at: index -3/, true),
  fails("inputs", ".at(1, 5) on a 2×3 tensor", on23((x) => x.at(1, 5)), ad.InputError, "INPUT", /index 5 out of range for axis 1 of a tensor of shape \[2, 3\]/, true),
  fails("inputs", ".at(6) (flat) on a 2×3 tensor", on23((x) => x.at(6)), ad.InputError, "INPUT", /index 6 out of range/, true),
  fails("inputs", "sum over axis 0.5", on23((x) => x.sum(0.5)), ad.InputError, "INPUT", /^axis: sum: axis 0\.5 is out of range for a tensor of rank 2/, true),
  fails("inputs", "sum over axis 2^31", on23((x) => x.sum(2 ** 31)), ad.InputError, "INPUT", /axis 2147483648/, true),
  fails("inputs", "sum over axes [0, -2] (repeated)", on23((x) => x.sum([0, -2])), ad.InputError, "INPUT", /repeated axis/, true),
  fails("inputs", "softmax over axis NaN", on23((x) => x.softmax(NaN).sum()), ad.InputError, "INPUT", /axis NaN/, true),
  fails("inputs", "transpose perm [0, 0]", on23((x) => x.transpose([0, 0])), ad.InputError, "INPUT", /not a permutation of 2 axes/, true),
  fails("inputs", "transpose perm [2^31, 0]", on23((x) => x.transpose([2 ** 31, 0])), ad.InputError, "INPUT", /axis 2147483648/, true),
  fails("inputs", "transpose perm of 3 axes on rank 2", on23((x) => x.transpose([1, 0, 2])), ad.InputError, "INPUT", /axis 2 is out of range/, true),
  fails("inputs", "concat along axis 3 of vectors", onVec((x) => ad.concat([x, x], 3)), ad.InputError, "INPUT", /concat: axis 3/, true),
  fails("inputs", "concat of [2] and [2, 3]", onVec((x) => ad.concat([x, ad.tensor([[1, 2, 3], [4, 5, 6]])])), ad.ShapeError, "SHAPE", /concat: shapes \[2\] and \[2, 3\]/, true),
  fails("inputs", "stack along axis 5", onVec((x) => ad.stack([x, x], 5)), ad.InputError, "INPUT", /stack: axis 5/, true),
  fails("inputs", "stack of [2] and [3]", onVec((x) => ad.stack([x, [1, 2, 3]])), ad.ShapeError, "SHAPE", /stack: shapes \[2\] and \[3\]/, true),
  fails("inputs", "broadcastTo [-1, 2]", onVec((x) => x.broadcastTo([-1, 2])), ad.InputError, "INPUT", /\[-1, 2\]/, true),
  fails("inputs", "matmul inner dimensions 3 vs 2", on23((x) => x.matmul(x)), ad.ShapeError, "SHAPE", /matmul: inner dimensions differ: \[2, 3\] · \[2, 3\] \(3 vs 2\)/, true),
  fails("inputs", "add of [2] and [3] (no broadcast)", onVec((x) => x.add([1, 2, 3])), ad.ShapeError, "SHAPE", /add: shapes \[2\] and \[3\] do not broadcast/, true),
  fails("inputs", "gather along axis -3 of a matrix", on23((x) => x.gather([0], -3)), ad.InputError, "INPUT", /gather: axis -3/, true),
];

/** Every input case: wrong types, then shapes and indices. */
export const inputCases: Case[] = [...typeCases, ...dimCases];
