/** @file The typed errors of adtape's public contract (API.md §Errors); every error a user can see extends AdError. */

/**
 * Base class of every adtape error; `code` is a stable machine-readable name.
 * @example
 * ```ts
 * let code = "";
 * try { ad.sum([1, 2]); } catch (e) { if (e instanceof ad.AdError) code = e.code; } // a tensor op outside any transform
 * code; // → "NO_TRACE"
 * ```
 */
export class AdError extends Error {
  constructor(
    /** A stable, machine-readable name: `INPUT`, `SHAPE`, `STALE_HANDLE`, `NESTING`, `NO_TRACE`, … */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A bad input: wrong type, length, shape or leaf kind; `path` names where in the input tree.
 * @example
 * ```ts
 * let path = "";
 * try { ad.grad((p: { a: ad.Scalar; b: ad.Scalar }) => p.a)({ a: 1, b: null as unknown as number }); }
 * catch (e) { if (e instanceof ad.InputError) path = e.path; }
 * path; // → "x.b"
 * ```
 */
export class InputError extends AdError {
  constructor(
    message: string,
    /** Where the bad value is: `x` for the input itself, `x.layers[2].w` inside a tree, or the argument's name. */
    readonly path = "x",
  ) {
    super("INPUT", `${path}: ${message}`);
  }
}

/**
 * Two shapes that do not fit together; the message names both.
 * @example
 * ```ts
 * let message = "";
 * try { ad.grad((x: ad.Tensor) => x.add([1, 2, 3]).sum())([1, 2]); } catch (e) { if (e instanceof ad.ShapeError) message = e.message; }
 * message; // → "add: shapes [2] and [3] do not broadcast (axis 0: 2 vs 3)"
 * ```
 */
export class ShapeError extends AdError {
  constructor(message: string) {
    super("SHAPE", message);
  }
}

/**
 * The function returned something other than what the transform needs (e.g. a non-scalar for `grad`).
 * @example
 * ```ts
 * let caught: unknown;
 * try { ad.grad((v: ad.Tensor) => v.mul(2) as unknown as ad.Scalar)([1, 2]); } catch (e) { caught = e; }
 * caught instanceof ad.OutputError; // → true — grad needs a scalar; jacobian takes this f
 * ```
 */
export class OutputError extends AdError {
  constructor(message: string) {
    super("OUTPUT", message);
  }
}

/**
 * A handle was used after the transform call that made it had returned.
 * @example
 * ```ts
 * let leaked: ad.Scalar | undefined;
 * ad.grad((x: ad.Scalar) => (leaked = x))(1);
 * let caught: unknown;
 * try { leaked!.mul(2); } catch (e) { caught = e; }
 * caught instanceof ad.StaleHandleError; // → true
 * ```
 */
export class StaleHandleError extends AdError {
  constructor(what = "a handle") {
    super(
      "STALE_HANDLE",
      `${what} was used after the transform call that created it returned; ` +
        "handles live only inside the function being differentiated — return numbers (read .value) instead",
    );
  }
}

/**
 * A guard recorded on a compiled tape flipped at a new input.
 * @example
 * ```ts
 * const f = ad.compile((x: ad.Scalar) => (ad.lt(x, 0) ? x.neg() : x), 1, { onBranchChange: "throw" });
 * let guard = "";
 * try { f.grad(-1); } catch (e) { if (e instanceof ad.BranchChanged) guard = `#${e.guard} ${e.op}`; }
 * guard; // → "#0 less"
 * f.dispose();
 * ```
 */
export class BranchChanged extends AdError {
  constructor(
    /** Which guard flipped, counting in tape order from 0. */
    readonly guard: number,
    /** The guard's op: `less`, `lessEqual`, … for a comparison, or `max`, `min`, `abs`. */
    readonly op: string,
  ) {
    super("BRANCH_CHANGED", `guard #${guard} (${op}) took the other branch at this input`);
  }
}

/**
 * The tape would need more memory than the limit set with `setMemoryLimit`.
 * @example
 * ```ts
 * ad.setMemoryLimit(1e6);
 * let caught: unknown;
 * try { ad.grad((v: ad.Tensor) => v.mul(v).sum())(new Float64Array(1e6)); } catch (e) { caught = e; }
 * ad.setMemoryLimit(2 ** 31); // the default, 2 GiB
 * caught instanceof ad.OutOfMemoryError && caught.limitBytes; // → 1e6
 * ```
 */
export class OutOfMemoryError extends AdError {
  constructor(
    /** Bytes the tape would have needed. */
    readonly requestedBytes: number,
    /** The limit in force. */
    readonly limitBytes: number,
  ) {
    super(
      "OUT_OF_MEMORY",
      `tape memory would exceed the limit (${requestedBytes} bytes requested, limit ${limitBytes}); ` +
        "raise it with setMemoryLimit(bytes) or record a smaller function",
    );
  }
}

/**
 * With `{ checkNaN: true }`: the first op whose NaN reaches f's value or its gradient (`node`: its place on the tape).
 * @example
 * ```ts
 * let caught: unknown;
 * try { ad.grad((x: ad.Scalar) => x.sub(2).log().add(x), { checkNaN: true })(1); } catch (e) { caught = e; }
 * caught instanceof ad.NaNError && [caught.code, caught.op]; // → ["NAN", "log"]
 * ```
 */
export class NaNError extends AdError {
  constructor(
    /** The op's name. */
    readonly op: string,
    /** Its node on the tape. */
    readonly node: number,
    /** What the NaN came from and where it went. */
    detail?: string,
  ) {
    super("NAN", `op ${op} (node ${node}) produced NaN${detail ? `: ${detail}` : ""}`);
  }
}
