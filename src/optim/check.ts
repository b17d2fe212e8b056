/** @file Option checking shared by the optimizers: unknown keys and out-of-range values are `InputError`s naming the option. */
import { InputError } from "../errors.js";

/**
 * A learning rate: a constant, or a schedule `(step) => lr` called with the 1-based number of the step being taken.
 * @example
 * ```ts
 * const warmup: ad.LearningRate = (step) => 1e-3 * Math.min(1, step / 100);
 * typeof ad.sgd({ lr: warmup }).options.lr; // → "function"
 * ```
 */
export type LearningRate = number | ((step: number) => number);

/** Throws unless `opts` is undefined or a plain object whose keys are all in `allowed`; returns it as a record. */
export function checkKeys(what: string, opts: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) {
    throw new InputError(`${what} options must be an object, got ${opts === null ? "null" : typeof opts}`, "options");
  }
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new InputError(`unknown option "${k}" for ${what} (expected one of: ${allowed.join(", ")})`, "options");
  }
  return opts as Record<string, unknown>;
}

interface Range {
  min?: number;
  /** Exclusive upper bound. */
  below?: number;
  /** Exclusive lower bound. */
  above?: number;
  integer?: boolean;
}

/** Option `key` of `o` as a number in the given range, or `def` when it is undefined. */
export function numberOption(o: Record<string, unknown>, key: string, def: number, r: Range = {}): number {
  const v = o[key];
  if (v === undefined) return def;
  const bad = (why: string): never => {
    throw new InputError(`${why}, got ${typeof v === "number" ? v : typeof v}`, `options.${key}`);
  };
  if (typeof v !== "number" || Number.isNaN(v)) return bad("must be a number");
  if (r.integer && !Number.isInteger(v)) return bad("must be an integer");
  if (!r.integer && !Number.isFinite(v)) return bad("must be finite");
  if (r.min !== undefined && v < r.min) return bad(`must be ≥ ${r.min}`);
  if (r.above !== undefined && v <= r.above) return bad(`must be > ${r.above}`);
  if (r.below !== undefined && v >= r.below) return bad(`must be < ${r.below}`);
  return v;
}

/** Option `key` as a boolean, or `def`. */
export function booleanOption(o: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== "boolean") throw new InputError(`must be a boolean, got ${typeof v}`, `options.${key}`);
  return v;
}

/** Option `lr`: a finite number ≥ 0, or a schedule function (its results are checked when it is called). */
export function lrOption(o: Record<string, unknown>, def: number): LearningRate {
  const v = o.lr;
  if (typeof v === "function") return v as (step: number) => number;
  return numberOption(o, "lr", def, { min: 0 });
}

/** The learning rate for step t (1-based); a schedule's result must be a finite number ≥ 0. */
export function rateAt(lr: LearningRate, t: number): number {
  if (typeof lr === "number") return lr;
  const v = lr(t);
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
    throw new InputError(`the learning-rate schedule returned ${String(v)} at step ${t} (expected a finite number ≥ 0)`, "options.lr");
  }
  return v;
}
