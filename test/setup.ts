/** @file Test set-up: the `toBeAllclose` matcher (numbers, arrays, typed arrays; NaN equals NaN, ±Inf must match). */
import { expect } from "vitest";

interface Tol {
  rtol?: number;
  atol?: number;
}

function flatten(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return x.flatMap(flatten);
  throw new Error(`toBeAllclose: not numeric: ${String(x)}`);
}

function close(a: number, b: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

expect.extend({
  toBeAllclose(received: unknown, expected: unknown, tol: Tol = {}) {
    const rtol = tol.rtol ?? 1e-12;
    const atol = tol.atol ?? 0;
    const a = flatten(received);
    const b = flatten(expected);
    if (a.length !== b.length) {
      return { pass: false, message: () => `length ${a.length} differs from expected ${b.length}` };
    }
    const bad = a.findIndex((v, i) => !close(v, b[i], rtol, atol));
    return {
      pass: bad < 0,
      message: () =>
        bad < 0
          ? `expected values not to be close (rtol ${rtol}, atol ${atol})`
          : `element ${bad}: ${a[bad]} is not close to ${b[bad]} (rtol ${rtol}, atol ${atol}; |diff| ${Math.abs(a[bad] - b[bad])})`,
    };
  },
});

declare module "vitest" {
  interface Assertion<T> {
    toBeAllclose(expected: unknown, tol?: Tol): T;
  }
}
