/**
 * @file adtape's public API: loading, the transforms, the ops, handles, errors and memory controls.
 * @module adtape
 */
import * as ops from "./ops.js";

export { init, initSync } from "./wasm.js";
export { grad, valueAndGrad, type GradOptions, type ScalarOutput } from "./transforms/grad.js";
export { vjp, type CheckNaNOptions, type OutputOf, type CotangentOf } from "./transforms/vjp.js";
export { compile, Compiled, type CompileOptions, type CompiledStats } from "./transforms/compile.js";
export { jvp, jacfwd, jacrev, jacobian, type Jacobian } from "./transforms/forward.js";
export { hvp, hessian } from "./transforms/hessian.js";
export { customVjp, customJvp } from "./custom.js";
export { sparseJacobian, sparseHessian, type Csr } from "./transforms/sparse.js";
export { Scalar, setMemoryLimit, memoryStats, type Operand } from "./trace.js";
export { Tensor, TensorData, tensor, type TensorKind, type TensorLike } from "./tensor/handle.js";
export {
  matmul, transpose, broadcastTo, slice, gather, concat, reshape, type MatmulOptions,
} from "./tensor/ops.js";
export {
  sum, mean, amax, amin, logsumexp, softmax, logSoftmax, dot, norm, mse, crossEntropy, stack,
} from "./tensor/compose.js";
export { cholesky, solve, logdet } from "./tensor/linalg.js";
export type { Tree, InputOf, GradOf } from "./tree.js";
export * from "./errors.js";
export {
  add, sub, mul, div, neg, pow, exp, log, log1p, expm1, sqrt, sin, cos, tan, tanh, asin, acos, atan, atan2,
  abs, min, max, erf, lgamma, digamma, trigamma, stopGradient, square, sigmoid, softplus, relu, hypot,
  lt, le, gt, ge, eq, less, lessEqual, greater, greaterEqual, equal, where,
} from "./ops.js";
/**
 * Every op under one namespace (`ad.ops.sin`), alongside the named exports.
 * @example
 * ```ts
 * ad.ops.sin === ad.sin; // → true
 * ad.grad((x: ad.Scalar) => ad.ops.mul(x, x))(3); // → 6
 * ```
 */
export { ops };
export {
  sgd, momentum, adam, lbfgs, strongWolfe, minimize, cloneTree,
  type Optimizer, type OptimizerState, type SgdOptions, type MomentumOptions, type AdamOptions, type LearningRate,
  type Lbfgs, type LbfgsOptions, type LbfgsState, type LbfgsStatus, type FlatObjective, type LineSearchOptions, type LineSearchResult,
  type Method, type MinimizeOptions, type MinimizeResult, type StepInfo, type StopReason, type PlainObjective, type Params,
} from "./optim/index.js";
