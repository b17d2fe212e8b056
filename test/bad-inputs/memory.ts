/** @file Bad-input corpus, memory: tapes and tensors over a small `setMemoryLimit` (OutOfMemoryError, and the next call works once the limit is back), and bad limits. */
import { expect } from "vitest";
import * as ad from "../../src/index.js";
import { type Case, fails, gives, exact } from "./case.js";

/** adtape's default memory limit (2 GiB); every case here restores it. */
export const DEFAULT_LIMIT = 2 ** 31;

/** Runs `body` under memory limit `bytes`, restoring the default after. */
function underLimit<R>(bytes: number, body: () => R): () => R {
  return () => {
    ad.setMemoryLimit(bytes);
    try {
      return body();
    } finally {
      ad.setMemoryLimit(DEFAULT_LIMIT);
    }
  };
}

/** A chain of n scalar multiplications. */
const chain = (n: number) => (x: ad.Scalar) => {
  let s = x;
  for (let i = 0; i < n; i++) s = s.mul(1.000001);
  return s;
};
/** 1.000001 multiplied into 1 n times, as the reverse sweep does: chain(n)'s exact derivative. */
function product(n: number): number {
  let p = 1;
  for (let i = 0; i < n; i++) p *= 1.000001;
  return p;
}
const oom = /tape memory would exceed the limit \(\d+ bytes requested, limit 1000000\)/;
const badLimit = /^bytes: limit must be a positive number of bytes/;

/** Memory limits: over-limit tapes of every transform, a tensor too big, compile over the limit, and bad limits. */
export const memoryCases: Case[] = [
  fails("memory", "a scalar tape of 10^6 nodes under a 1 MB limit (grad)", underLimit(1e6, () => ad.grad(chain(1e6))(1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "the same tape under vjp", underLimit(1e6, () => ad.vjp(chain(1e6))(1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "the same tape under jvp", underLimit(1e6, () => ad.jvp(chain(1e6))(1, 1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "a vector input of 10^6 elements (one node each)", underLimit(1e6, () => ad.grad((v: ad.Tensor) => v.at(0))(new Float64Array(1e6))), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "a tensor of 10^6 elements too big for the limit", underLimit(1e6, () => ad.grad((t: ad.Tensor<"nd">) => t.mul(t).sum())(ad.tensor(new Float64Array(1e6), [1e6]))), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "a tensor constant too big for the limit", underLimit(1e6, () => ad.grad((x: ad.Scalar) => ad.mul(new Float64Array(1e6), x).sum())(1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "compile over the limit (the tape is freed)", underLimit(1e6, () => ad.compile(chain(1e6), 1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  fails("memory", "hessian over the limit", underLimit(1e6, () => ad.hessian((v: ad.Tensor) => chain(1e6)(v.at(0)))([1])), ad.OutOfMemoryError, "OUT_OF_MEMORY", oom),
  gives("memory", "after an OOM, raising the limit makes the same call work", () => {
    expect(underLimit(1e6, () => ad.grad(chain(1e5))(1))).toThrow(ad.OutOfMemoryError);
    return ad.grad(chain(1e5))(1);
  }, (g) => exact(g, product(1e5))),
  gives("memory", "a limit below what is in use: a tape that fits the region's current capacity still records", underLimit(1, () => ad.grad(chain(100))(1)), (g) => exact(g, product(100))),
  fails("memory", "a limit below what is in use: a tape that must grow is refused", underLimit(1, () => ad.grad(chain(2e6))(1)), ad.OutOfMemoryError, "OUT_OF_MEMORY", /limit 1\)/),
  fails("memory", "setMemoryLimit(-1)", () => ad.setMemoryLimit(-1), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit(0)", () => ad.setMemoryLimit(0), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit(NaN)", () => ad.setMemoryLimit(NaN), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit(Infinity)", () => ad.setMemoryLimit(Infinity), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit('1e6') (a string)", () => ad.setMemoryLimit("1e6" as never), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit(undefined)", () => ad.setMemoryLimit(undefined as never), ad.InputError, "INPUT", badLimit),
  fails("memory", "setMemoryLimit(10n) (a BigInt)", () => ad.setMemoryLimit(10n as never), ad.InputError, "INPUT", badLimit),
  gives("memory", "setMemoryLimit(1e20) is accepted and capped (a 10^5-node tape works)", underLimit(1e20, () => ad.grad(chain(1e5))(1)), (g) => exact(g, product(1e5))),
];
