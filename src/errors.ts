/** @file The typed errors of adtape's public contract (API.md §Errors); every error a user can see extends AdError. */

/** Base class of every adtape error; `code` is a stable machine-readable name. */
export class AdError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A bad input: wrong type, length, shape or leaf kind; `path` names where in the input tree. */
export class InputError extends AdError {
  constructor(
    message: string,
    readonly path = "x",
  ) {
    super("INPUT", `${path}: ${message}`);
  }
}

/** Two shapes that do not fit together; the message names both. */
export class ShapeError extends AdError {
  constructor(message: string) {
    super("SHAPE", message);
  }
}

/** The function returned something other than what the transform needs (e.g. a non-scalar for `grad`). */
export class OutputError extends AdError {
  constructor(message: string) {
    super("OUTPUT", message);
  }
}

/** A handle was used after the transform call that made it had returned. */
export class StaleHandleError extends AdError {
  constructor(what = "a handle") {
    super(
      "STALE_HANDLE",
      `${what} was used after the transform call that created it returned; ` +
        "handles live only inside the function being differentiated — return numbers (read .value) instead",
    );
  }
}

/** A guard recorded on a compiled tape flipped at a new input. */
export class BranchChanged extends AdError {
  constructor(
    readonly guard: number,
    readonly op: string,
  ) {
    super("BRANCH_CHANGED", `guard #${guard} (${op}) took the other branch at this input`);
  }
}

/** The tape would need more memory than the limit set with `setMemoryLimit`. */
export class OutOfMemoryError extends AdError {
  constructor(
    readonly requestedBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      "OUT_OF_MEMORY",
      `tape memory would exceed the limit (${requestedBytes} bytes requested, limit ${limitBytes}); ` +
        "raise it with setMemoryLimit(bytes) or record a smaller function",
    );
  }
}

/** With `{ checkNaN: true }`: the first op that produced a NaN. */
export class NaNError extends AdError {
  constructor(
    readonly op: string,
    readonly node: number,
  ) {
    super("NAN", `op ${op} (node ${node}) produced NaN`);
  }
}
