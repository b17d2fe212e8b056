/**
 * @file adtape's optimizers (public surface of `src/optim/`): step-style `sgd`, `momentum` and `adam` for training loops
 * (in place, allocation-free after `init`: first-order.ts), `lbfgs` with a strong Wolfe line search (lbfgs.ts), and
 * `minimize`, which runs any of them on a function written with adtape ops or a plain objective over a parameter tree
 * (minimize.ts). tree.ts flattens parameter trees; check.ts validates options.
 */
export { sgd, momentum, adam, type Optimizer, type OptimizerState, type SgdOptions, type MomentumOptions, type AdamOptions, type LearningRate } from "./first-order.js";
export { lbfgs, strongWolfe, type Lbfgs, type LbfgsOptions, type LbfgsState, type LbfgsStatus, type FlatObjective, type LineSearchOptions, type LineSearchResult } from "./lbfgs.js";
export { minimize, type Method, type MinimizeOptions, type MinimizeResult, type StepInfo, type StopReason, type PlainObjective, type Params } from "./minimize.js";
export { cloneTree } from "./tree.js";
