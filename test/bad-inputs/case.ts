/** @file The shape of a bad-input case and small builders for the corpus tables (test/bad-inputs/*.ts); test/bad-inputs.test.ts runs them. */
import { expect } from "vitest";
import * as ad from "../../src/index.js";

/** The five categories of the corpus (issue 8, part 3); `dims` marks the shape, index and axis cases within `inputs`. */
export type Category = "numbers" | "inputs" | "handles" | "trees" | "memory";

/** An error class adtape throws. */
type ErrorClass = abstract new (...args: never[]) => ad.AdError;

/** One bad input: what it runs and what must come of it — a typed error, or a documented result checked exactly. */
export interface Case {
  name: string;
  category: Category;
  /** Shape, index and axis cases (the security review's group): a canary must survive them. */
  dims?: boolean;
  run: () => unknown;
  /** The typed error: its class, `.code`, and a pattern its message must match (naming the path, shapes, index…). */
  error?: { cls: ErrorClass; code: string; message: RegExp };
  /** The documented result: asserts on what `run` returned (or resolved to). */
  result?: (value: unknown) => void;
}

/** A case that must end in error `cls` with `code`, its message matching `message`. */
export function fails(category: Category, name: string, run: () => unknown, cls: ErrorClass, code: string, message: RegExp, dims = false): Case {
  return { name, category, run, error: { cls, code, message }, dims };
}

/** A case whose documented result `check` asserts. */
export function gives(category: Category, name: string, run: () => unknown, check: (value: unknown) => void, dims = false): Case {
  return { name, category, run, result: check, dims };
}

/** Asserts that `v` is exactly the array (or typed array) `want`, element by element with Object.is (NaN and −0 exact). */
export function exactly(v: unknown, want: readonly number[]): void {
  const got = Array.from(v as ArrayLike<number>);
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Object.is(g, want[i]), `element ${i}: ${g} vs ${want[i]}`).toBe(true));
}

/** Asserts that `v` is exactly the number `want` (Object.is: NaN equals NaN, −0 differs from +0). */
export function exact(v: unknown, want: number): void {
  expect(typeof v).toBe("number");
  expect(Object.is(v, want), `${String(v)} vs ${want}`).toBe(true);
}
