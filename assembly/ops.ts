/** @file The AS half of the op table: each scalar primitive's value, first partials and second partials, in one row.
 *
 * `evalOp(op, x, y, ps, pdx, pdy, p2, second)` returns the value, stores ∂/∂x at `pdx` and ∂/∂y at
 * `pdy` and, when `second` is true, ∂²/∂x², ∂²/∂x∂y, ∂²/∂y² at p2, p2 + 8, p2 + 16. `x`, `y` are the
 * values of the node's arguments (node 0, the constant 0, for an unused one) and `ps` the address of
 * the node's own preset slot (a leaf's value; read only by leaves). Every sweep calls this one function; none names an op. The op codes
 * must match `src/ops.ts` (checked when the module loads). `setMutant` is a test-only hook (test/fuzz/): it
 * makes one op's first partial deliberately wrong, to prove the fuzzer catches a wrong rule.
 */
import { erf, lgamma, digamma, trigamma, tetragamma, pentagamma } from "./special";

/** Op codes; scalar ops are below 128, tensor ops (later) from 128 on. */
export enum Op {
  Const = 0, Input = 1, Add = 2, Sub = 3, Mul = 4, Div = 5, Neg = 6, Pow = 7,
  Exp = 8, Log = 9, Log1p = 10, Expm1 = 11, Sqrt = 12, Sin = 13, Cos = 14, Tan = 15,
  Tanh = 16, Asin = 17, Acos = 18, Atan = 19, Atan2 = 20, Abs = 21, Min = 22, Max = 23,
  Erf = 24, Lgamma = 25, StopGradient = 26,
  Less = 27, LessEqual = 28, Greater = 29, GreaterEqual = 30, Equal = 31,
  WhereTrue = 32, WhereFalse = 33, Custom = 34, Digamma = 35, Trigamma = 36, Sigmoid = 37,
  Count = 38,
}

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;

// @ts-ignore: decorator
@inline function b2f(c: bool): f64 {
  return c ? 1.0 : 0.0;
}

/** Evaluates one row of the op table at (x, y): returns the value and stores the partials (see above). */
// @ts-ignore: decorator
@inline export function evalOp(op: i32, x: f64, y: f64, ps: usize, pdx: usize, pdy: usize, p2: usize, second: bool): f64 {
  let v: f64 = 0, dx: f64 = 0, dy: f64 = 0, dxx: f64 = 0, dxy: f64 = 0, dyy: f64 = 0;
  switch (op) {
    case Op.Const: case Op.Input: { v = load<f64>(ps); break; } // a leaf keeps its preset value; d = 0
    case Op.Add: { v = x + y; dx = 1; dy = 1; break; } // d(x+y) = dx + dy
    case Op.Sub: { v = x - y; dx = 1; dy = -1; break; } // d(x-y) = dx - dy
    case Op.Mul: { v = x * y; dx = y; dy = x; dxy = 1; break; } // d(xy) = y dx + x dy
    case Op.Div: { // d(x/y) = dx/y - x/y² dy;  ∂²/∂x∂y = -1/y², ∂²/∂y² = 2x/y³
      v = x / y; dx = 1 / y; dy = -v / y;
      if (second) { dxy = -dx * dx; dyy = -2 * dy / y; }
      break;
    }
    case Op.Neg: { v = -x; dx = -1; break; } // d(-x) = -dx
    case Op.Pow: { v = powRow(x, y, pdx, pdy, p2, second); if (isDefined(ADTAPE_MUTANTS)) { if (op == mutantOp) mutate(pdx, pdy); } return v; }
    case Op.Exp: { v = Math.exp(x); dx = v; dxx = v; break; } // d eˣ = eˣ dx
    case Op.Log: { v = Math.log(x); dx = 1 / x; dxx = -dx * dx; break; } // d log x = dx / x
    case Op.Log1p: { v = Math.log1p(x); dx = 1 / (1 + x); dxx = -dx * dx; break; } // d log(1+x) = dx/(1+x)
    case Op.Expm1: { v = Math.expm1(x); dx = Math.exp(x); dxx = dx; break; } // d(eˣ-1) = eˣ dx
    case Op.Sqrt: { v = Math.sqrt(x); dx = 0.5 / v; dxx = -0.5 * dx / x; break; } // d√x = dx/(2√x); √'(0) = +Inf
    case Op.Sin: { v = Math.sin(x); dx = Math.cos(x); dxx = -v; break; } // d sin x = cos x dx
    case Op.Cos: { v = Math.cos(x); dx = -Math.sin(x); dxx = -v; break; } // d cos x = -sin x dx
    case Op.Tan: { v = Math.tan(x); dx = 1 + v * v; dxx = 2 * v * dx; break; } // d tan x = (1 + tan²x) dx
    case Op.Tanh: { v = Math.tanh(x); dx = 1 - v * v; dxx = -2 * v * dx; break; } // d tanh x = (1 - tanh²x) dx
    case Op.Sigmoid: { v = 1 / (1 + Math.exp(-x)); dx = v * (1 - v); dxx = dx * (1 - 2 * v); break; } // dσ = σ(1 - σ) dx
    case Op.Asin: { v = Math.asin(x); dx = 1 / Math.sqrt(1 - x * x); dxx = x * dx * dx * dx; break; } // d asin x = dx/√(1-x²)
    case Op.Acos: { v = Math.acos(x); dx = -1 / Math.sqrt(1 - x * x); dxx = x * dx * dx * dx; break; } // d acos x = -dx/√(1-x²)
    case Op.Atan: { v = Math.atan(x); dx = 1 / (1 + x * x); dxx = -2 * x * dx * dx; break; } // d atan x = dx/(1+x²)
    case Op.Atan2: { // atan2(x, y): ∂/∂x = y/r², ∂/∂y = -x/r²;  r² = x² + y²
      v = Math.atan2(x, y);
      const r2 = x * x + y * y;
      dx = y / r2; dy = -x / r2;
      if (second) { const r4 = r2 * r2; dxx = -2 * x * y / r4; dxy = (x * x - y * y) / r4; dyy = -dxx; }
      break;
    }
    case Op.Abs: { v = Math.abs(x); dx = x > 0 ? 1 : x < 0 ? -1 : 0; break; } // d|x| = sign(x) dx; abs'(0) = 0
    case Op.Min: { v = Math.min(x, y); dx = b2f(x <= y); dy = 1 - dx; break; } // a tie sends d to x
    case Op.Max: { v = Math.max(x, y); dx = b2f(x >= y); dy = 1 - dx; break; } // a tie sends d to x
    case Op.Erf: { v = erf(x); dx = TWO_OVER_SQRT_PI * Math.exp(-x * x); dxx = -2 * x * dx; break; } // d erf x = 2/√π e^(-x²) dx
    case Op.Lgamma: { v = lgamma(x); dx = digamma(x); if (second) dxx = trigamma(x); break; } // d log|Γ(x)| = ψ(x) dx
    case Op.Digamma: { v = digamma(x); dx = trigamma(x); if (second) dxx = tetragamma(x); break; } // d ψ(x) = ψ'(x) dx
    case Op.Trigamma: { v = trigamma(x); dx = tetragamma(x); if (second) dxx = pentagamma(x); break; } // d ψ'(x) = ψ''(x) dx
    case Op.StopGradient: { v = x; break; } // d = 0
    case Op.Less: { v = b2f(x < y); break; } // masks: 0/1, d = 0
    case Op.LessEqual: { v = b2f(x <= y); break; }
    case Op.Greater: { v = b2f(x > y); break; }
    case Op.GreaterEqual: { v = b2f(x >= y); break; }
    case Op.Equal: { v = b2f(x == y); break; }
    // where(m, a, b) = whereTrue(m, a) + whereFalse(m, b): the branch not taken gets value 0 and partial 0.
    case Op.WhereTrue: { const m = x != 0; v = m ? y : 0; dy = b2f(m); break; } // d = m·da
    case Op.WhereFalse: { const m = x != 0; v = m ? 0 : y; dy = b2f(!m); break; } // d = (1-m)·db
    // A user's rule (customVjp/customJvp): value and first partials were preset when it was recorded;
    // d = ∂a·da + ∂b·db with those partials, and no second derivative.
    case Op.Custom: { v = load<f64>(ps); dx = load<f64>(pdx); dy = load<f64>(pdy); break; }
    default: { v = NaN; dx = NaN; dy = NaN; dxx = NaN; dxy = NaN; dyy = NaN; }
  }
  store<f64>(pdx, dx);
  store<f64>(pdy, dy);
  if (second) storeSecond(p2, dxx, dxy, dyy);
  if (isDefined(ADTAPE_MUTANTS)) { if (op == mutantOp) mutate(pdx, pdy); } // the fuzzer's hook: testing build only
  return v;
}

/** The op whose rule the test hook makes wrong (-1: none) and how: 1 perturbs ∂/∂x, 2 perturbs ∂/∂y. */
let mutantOp: i32 = -1;
let mutantKind: i32 = 0;

/** Test hook (test/fuzz/): makes op `op`'s first partial wrong (kind 1: ∂/∂x, 2: ∂/∂y) as ∂·1.25 + 0.1; op -1 restores
 * every rule. Only the testing build (`--use ADTAPE_MUTANTS=1`, build/testing.wasm) has it: the release build
 * compiles the hook out of evalOp (its compare cost a replay 2–10%) and returns false here. */
export function setMutant(op: i32, kind: i32): bool {
  if (!isDefined(ADTAPE_MUTANTS)) return false;
  mutantOp = op;
  mutantKind = kind;
  return true;
}

/** Applies the mutant to the stored first partials. */
// @ts-ignore: decorator
@inline function mutate(pdx: usize, pdy: usize): void {
  const p = mutantKind == 2 ? pdy : pdx;
  store<f64>(p, load<f64>(p) * 1.25 + 0.1);
}

// @ts-ignore: decorator
@inline function storeSecond(p2: usize, dxx: f64, dxy: f64, dyy: f64): void {
  store<f64>(p2, dxx);
  store<f64>(p2, dxy, 8);
  store<f64>(p2, dyy, 16);
}

/** What a guard records of its node: a comparison's outcome (its value), or the branch that max, min or
 * abs took (∂/∂x − ∂/∂y: ±1, or abs's sign). A replay that computes another key took another branch.
 * NOTE: not ∂/∂x alone: a constant operand's partial is zeroed after the row runs, so relu = max(0, x) would
 * key on a constant 0 and never flip; the difference keeps the other operand's partial. */
export function guardKey(op: i32, v: f64, dx: f64, dy: f64): f64 {
  return op >= Op.Less && op <= Op.Equal ? v : dx - dy;
}

/** The pow row: d(xʸ) = y xʸ⁻¹ dx + xʸ log x dy, with ∂/∂y = 0 at x = 0, y > 0 and ∂/∂x = 0 when y = 0. */
function powRow(x: f64, y: f64, pdx: usize, pdy: usize, p2: usize, second: bool): f64 {
  const v = Math.pow(x, y);
  const lx = Math.log(x);
  const xm1 = Math.pow(x, y - 1);
  store<f64>(pdx, y == 0 ? 0 : y * xm1);
  // NOTE: at x = 0 the factor log x is -Inf; xʸ → 0 faster when y > 0, so the limit is 0, not NaN.
  const atZero = x == 0 && y > 0;
  store<f64>(pdy, atZero ? 0 : v * lx);
  if (second) {
    const dxx = y == 0 || y == 1 ? 0 : y * (y - 1) * Math.pow(x, y - 2); // ∂²/∂x² = y(y-1) xʸ⁻²
    const dxy = atZero ? (y > 1 ? 0 : -Infinity) : xm1 * (1 + y * lx); // ∂²/∂x∂y = xʸ⁻¹(1 + y log x)
    storeSecond(p2, dxx, dxy, atZero ? 0 : v * lx * lx); // ∂²/∂y² = xʸ log²x
  }
  return v;
}
