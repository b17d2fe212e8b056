/** @file Bad-input corpus, handles: handles and pullbacks used after their call, handles of another tape, nesting, async and throwing f, wrong outputs, and re-entrancy. */
import { expect } from "vitest";
import * as ad from "../../src/index.js";
import { type Case, fails, gives, exact, exactly } from "./case.js";

/** A scalar handle that escaped the grad call that made it. */
function escapedScalar(): ad.Scalar {
  let leaked: ad.Scalar | undefined;
  ad.grad((x: ad.Scalar) => (leaked = x))(1);
  return leaked!;
}

/** A tensor handle (an op's result, in the arena) that escaped its grad call. */
function escapedTensor(): ad.Tensor<"nd"> {
  let leaked: ad.Tensor<"nd"> | undefined;
  ad.grad((x: ad.Tensor<"nd">) => (leaked = x.mul(2)).sum())(ad.tensor([1, 2]));
  return leaked!;
}

const stale = /was used after the transform call that created it returned/;

/** Handles out of their call or trace, nesting, async f, f that throws or returns the wrong thing. */
export const handleCases: Case[] = [
  fails("handles", "a scalar handle used after its grad returned", () => escapedScalar().mul(2), ad.StaleHandleError, "STALE_HANDLE", stale),
  fails("handles", "a scalar handle's .value read after its grad returned", () => escapedScalar().value, ad.StaleHandleError, "STALE_HANDLE", stale),
  fails("handles", "a tensor handle used after its grad returned", () => escapedTensor().sum(), ad.StaleHandleError, "STALE_HANDLE", /a handle passed to sum was used after/),
  fails("handles", "an escaped handle used inside a later grad's f", () => {
    const old = escapedScalar();
    return ad.grad((x: ad.Scalar) => x.mul(old))(2);
  }, ad.StaleHandleError, "STALE_HANDLE", stale),
  fails("handles", "an escaped handle returned from a later f", () => {
    const old = escapedScalar();
    return ad.grad(() => old)(2);
  }, ad.StaleHandleError, "STALE_HANDLE", /the returned handle/),
  fails("handles", "a pullback called after the next transform call", () => {
    const [, pullback] = ad.vjp((x: ad.Scalar) => x.mul(3))(1);
    ad.grad((x: ad.Scalar) => x.mul(x))(2);
    return pullback(1);
  }, ad.StaleHandleError, "STALE_HANDLE", /a pullback, used after the next transform call/),
  fails("handles", "a pullback called inside another transform's f (re-entrancy)", () => {
    const [, pullback] = ad.vjp((x: ad.Scalar) => x.mul(3))(1);
    return ad.grad((x: ad.Scalar) => x.mul(pullback(1) as number))(2);
  }, ad.StaleHandleError, "STALE_HANDLE", /a pullback/),
  fails("handles", "an outer handle given to a nested jvp", () => ad.grad((x: ad.Scalar) => ad.jvp((y: ad.Scalar) => y.mul(x))(1, 1)[1] as unknown as ad.Scalar)(2), ad.AdError, "NESTING", /nested jvp, jacobian, hessian or compile/),
  fails("handles", "a handle escaped while compiling, used after dispose", () => {
    let leaked: ad.Scalar | undefined;
    const c = ad.compile((x: ad.Scalar) => (leaked = x).mul(x), 1);
    c.dispose();
    return leaked!.add(1);
  }, ad.StaleHandleError, "STALE_HANDLE", stale),
  fails("handles", "a disposed compiled tape called again", () => {
    const c = ad.compile((x: ad.Scalar) => x.mul(x), 1);
    c.dispose();
    return c.grad(2);
  }, ad.AdError, "DISPOSED", /disposed/),
  gives("handles", "grad inside f: d/dx [d/dy x·y] = d/dx x = 1", () => ad.grad((x: ad.Scalar) => ad.grad((y: ad.Scalar) => x.mul(y))(x) as unknown as ad.Scalar)(3), (g) => exact(g, 1)),
  gives("handles", "grad of grad: d²/dx² x³ at 2 is 12", () => ad.grad((x: ad.Scalar) => ad.grad((z: ad.Scalar) => z.mul(z).mul(z))(x) as unknown as ad.Scalar)(2), (g) => exact(g, 12)),
  gives("handles", "a nested grad closing over x: d/dx [x · d/dy (x + y)] = 1", () => ad.grad((x: ad.Scalar) => x.mul(ad.grad((y: ad.Scalar) => x.add(y))(1) as unknown as ad.Scalar))(5), (g) => exact(g, 1)),
  fails("handles", "an async f (returns a Promise)", () => ad.grad((async (x: ad.Scalar) => x) as never)(1), ad.OutputError, "OUTPUT", /^y: f returned Promise/),
  gives("handles", "an f that awaits: its handles are stale after the await", async () => {
    let pending: Promise<unknown> | undefined;
    expect(() => ad.grad(((x: ad.Scalar) => (pending = (async () => (await null, x.mul(2)))())) as never)(1)).toThrow(ad.OutputError);
    return pending!.then(() => "resolved", (e: unknown) => e);
  }, (e) => expect(e).toBeInstanceOf(ad.StaleHandleError)),
  gives("handles", "an f that throws: its own error comes back unchanged", () => {
    const mine = new Error("mine");
    try {
      ad.grad(() => {
        throw mine;
      })(1);
    } catch (e) {
      return e === mine;
    }
    return false;
  }, (same) => expect(same).toBe(true)),
  gives("handles", "an f that throws after recording many nodes: the next grad is right", () => {
    try {
      ad.grad((x: ad.Scalar) => {
        let s = x;
        for (let i = 0; i < 10_000; i++) s = s.mul(1.0001);
        throw new Error("late");
      })(1);
    } catch {
      // expected: f's own error
    }
    return ad.grad((x: ad.Scalar) => x.mul(x).mul(x))(2);
  }, (g) => exact(g, 12)),
  fails("handles", "f returns a string", () => ad.grad((() => "a") as never)(1), ad.OutputError, "OUTPUT", /^y: f returned string/),
  fails("handles", "f returns undefined", () => ad.grad((() => undefined) as never)(1), ad.OutputError, "OUTPUT", /^y: f returned undefined/),
  fails("handles", "grad of f returning a 2-element tensor", () => ad.grad((x: ad.Tensor) => x.mul(2) as never)([1, 2]), ad.OutputError, "OUTPUT", /got a Tensor of shape \[2\]/),
  fails("handles", "hasAux with f returning a lone scalar", () => ad.grad((x: ad.Scalar) => x as never, { hasAux: true })(1), ad.OutputError, "OUTPUT", /hasAux, f must return \[output, aux\]/),
  fails("handles", "compiled .grad of a vector-valued f", () => {
    const c = ad.compile((x: ad.Tensor) => [x.at(0), x.at(1)], [1, 2]);
    try {
      return c.grad([1, 2] as never);
    } finally {
      c.dispose();
    }
  }, ad.OutputError, "OUTPUT", /needs a scalar output; f returned 2 values/),
  gives("handles", "compile inside f (closing over no handle) works and is disposed", () => ad.grad((x: ad.Scalar) => {
    const c = ad.compile((y: ad.Scalar) => y.mul(y), 3);
    try {
      return x.mul(c.grad(3) as number);
    } finally {
      c.dispose();
    }
  })(1), (g) => exact(g, 6)),
  fails("handles", "compile inside f over an outer handle", () => ad.grad((x: ad.Scalar) => {
    const c = ad.compile((y: ad.Scalar) => y.mul(x), 3);
    c.dispose();
    return x;
  })(1), ad.AdError, "NESTING", /nested jvp, jacobian, hessian or compile/),
  gives("handles", "a vjp inside f, its pullback called inside f: a nested derivative", () => ad.grad((x: ad.Scalar) => {
    const [, pullback] = ad.vjp((y: ad.Scalar) => y.mul(y))(x as never);
    return pullback(x as never) as unknown as ad.Scalar; // x · 2x = 2x²: derivative 4x
  })(3), (g) => exact(g, 12)),
  gives("handles", "jacobian of a function whose f returns a nested array of handles", () => ad.jacobian((v: ad.Tensor) => [[v.at(0)], [v.at(1).mul(2)]])([1, 1]).data, (d) => exactly(d as Float64Array, [1, 0, 0, 2])),
];
