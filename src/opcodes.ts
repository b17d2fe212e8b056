/** @file The scalar op codes, in a module of their own so that the tensor layer can name them without an import cycle through ops.ts. */

/** Op codes, identical to `enum Op` in assembly/ops.ts (checked against the engine's exports on load). @internal */
export const Op = {
  Const: 0, Input: 1, Add: 2, Sub: 3, Mul: 4, Div: 5, Neg: 6, Pow: 7,
  Exp: 8, Log: 9, Log1p: 10, Expm1: 11, Sqrt: 12, Sin: 13, Cos: 14, Tan: 15,
  Tanh: 16, Asin: 17, Acos: 18, Atan: 19, Atan2: 20, Abs: 21, Min: 22, Max: 23,
  Erf: 24, Lgamma: 25, StopGradient: 26,
  Less: 27, LessEqual: 28, Greater: 29, GreaterEqual: 30, Equal: 31,
  WhereTrue: 32, WhereFalse: 33, Custom: 34, Digamma: 35, Trigamma: 36, Sigmoid: 37,
} as const;
