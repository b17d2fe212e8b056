/** @file The kernels of the linear-algebra ops `cholesky`, `solve` and `logdet` on the tape: they wrap the factorizations and rules of linalg.ts (and the second-order rules of linalg-second.ts) with arena addressing and the failure convention.
 *
 * A matrix that is not positive definite (cholesky) or exactly singular (solve, logdet: log|det| = −∞)
 * gives NaN (or −∞) values and sends no derivative back; the factorization's status is kept as a residual.
 * Cholesky meta: [out, n, a, N, grad, res]          res: status
 * Solve meta:    [out, n, a, b, N, nrhs, gradA, gradB, res]   res: status, LU (N²), pivots (⌈N/2⌉)
 * Logdet meta:   [out, 1, a, N, grad, res]          res: status, LU (N²), pivots (⌈N/2⌉)
 */
import { vAt, gAt, rAt, tAt, meta, scratchOf } from "./arena";
import { cholesky, choleskyBackward, choleskyTangent, luFactor, luSolve, solveBackward, solveTangent, logdetFromLu, logdetBackward, logdetTangent } from "./linalg";
import { choleskySecond, solveSecond, logdetSecond } from "./linalg-second";

/** Forward of cholesky: L with A = L·Lᵀ (A's lower triangle read), or NaNs when A is not positive definite. */
export function choleskyForward(t: usize, m: i32): void {
  const N = meta(t, m, 3), l = vAt(t, meta(t, m, 0));
  const status = cholesky(vAt(t, meta(t, m, 2)), l, N);
  store<f64>(rAt(t, meta(t, m, 5)), <f64>status);
  if (status != 0) fillNaN(l, N * N);
}

/** Backward of cholesky: Ā += ½ L⁻ᵀ (P + Pᵀ) L⁻¹, P = Φ(Lᵀ L̄), symmetric (see linalg.ts). */
export function choleskyBackwardKernel(t: usize, m: i32): void {
  if (!meta(t, m, 4) || load<f64>(rAt(t, meta(t, m, 5))) != 0) return;
  choleskyBackward(vAt(t, meta(t, m, 0)), gAt(t, meta(t, m, 0)), gAt(t, meta(t, m, 2)), meta(t, m, 3), scratchOf(t));
}

/** Factors A (meta entry k) into the node's residuals; returns the status (0, or a zero pivot). */
function factor(t: usize, m: i32, k: i32, N: i32, res: i32): i32 {
  const status = luFactor(vAt(t, meta(t, m, k)), rAt(t, res + 1), rAt(t, res + 1 + N * N), N);
  store<f64>(rAt(t, res), <f64>status);
  return status;
}

/** Forward of solve: X = A⁻¹B by LU with partial pivoting, or NaNs when A is singular. */
export function solveForward(t: usize, m: i32): void {
  const N = meta(t, m, 4), nrhs = meta(t, m, 5), res = meta(t, m, 8), x = vAt(t, meta(t, m, 0));
  if (factor(t, m, 2, N, res) != 0) fillNaN(x, N * nrhs);
  else luSolve(rAt(t, res + 1), rAt(t, res + 1 + N * N), vAt(t, meta(t, m, 3)), x, N, nrhs, false);
}

/** Backward of solve: B̄ += A⁻ᵀX̄, Ā += −B̄Xᵀ. */
export function solveBackwardKernel(t: usize, m: i32): void {
  const N = meta(t, m, 4), nrhs = meta(t, m, 5), res = meta(t, m, 8);
  if (load<f64>(rAt(t, res)) != 0) return;
  const ga = meta(t, m, 6) ? gAt(t, meta(t, m, 2)) : 0, gb = meta(t, m, 7) ? gAt(t, meta(t, m, 3)) : 0;
  if (ga == 0 && gb == 0) return;
  solveBackward(rAt(t, res + 1), rAt(t, res + 1 + N * N), vAt(t, meta(t, m, 0)), gAt(t, meta(t, m, 0)), ga, gb, N, nrhs, scratchOf(t));
}

/** Forward of logdet: log|det A| from the LU factors (−∞ when A is singular). */
export function logdetForward(t: usize, m: i32): void {
  const N = meta(t, m, 3), res = meta(t, m, 5);
  factor(t, m, 2, N, res);
  store<f64>(vAt(t, meta(t, m, 0)), logdetFromLu(rAt(t, res + 1), rAt(t, res + 1 + N * N), N, 0));
}

/** Backward of logdet: Ā += ḡ·A⁻ᵀ. */
export function logdetBackwardKernel(t: usize, m: i32): void {
  const N = meta(t, m, 3), res = meta(t, m, 5);
  if (!meta(t, m, 4) || load<f64>(rAt(t, res)) != 0) return;
  logdetBackward(rAt(t, res + 1), rAt(t, res + 1 + N * N), load<f64>(gAt(t, meta(t, m, 0))), gAt(t, meta(t, m, 2)), N, scratchOf(t));
}

function fillNaN(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f64>(p + (<usize>i << 3), NaN);
}

/** Tangent of cholesky: L̇ = L·Φ(L⁻¹ Ȧ L⁻ᵀ) (of ½(Ȧ + Ȧᵀ)); NaN where the forward failed. */
export function choleskyTangentKernel(t: usize, m: i32): void {
  const N = meta(t, m, 3), lt = tAt(t, meta(t, m, 0));
  if (load<f64>(rAt(t, meta(t, m, 5))) != 0) fillNaN(lt, N * N);
  else if (!meta(t, m, 4)) memory.fill(lt, 0, (<usize>N * <usize>N) << 3);
  else choleskyTangent(vAt(t, meta(t, m, 0)), tAt(t, meta(t, m, 2)), lt, N, scratchOf(t));
}

/** Tangent of solve: Ẋ = A⁻¹(Ḃ − Ȧ X). */
export function solveTangentKernel(t: usize, m: i32): void {
  const N = meta(t, m, 4), nrhs = meta(t, m, 5), res = meta(t, m, 8), xt = tAt(t, meta(t, m, 0));
  if (load<f64>(rAt(t, res)) != 0) return fillNaN(xt, N * nrhs);
  const at = meta(t, m, 6) ? tAt(t, meta(t, m, 2)) : 0, bt = meta(t, m, 7) ? tAt(t, meta(t, m, 3)) : 0;
  if (at == 0 && bt == 0) memory.fill(xt, 0, (<usize>N * <usize>nrhs) << 3);
  else solveTangent(rAt(t, res + 1), rAt(t, res + 1 + N * N), vAt(t, meta(t, m, 0)), at, bt, xt, N, nrhs, scratchOf(t));
}

/** Tangent of logdet: ẏ = tr(A⁻¹ Ȧ). */
export function logdetTangentKernel(t: usize, m: i32): void {
  const N = meta(t, m, 3), res = meta(t, m, 5), yt = tAt(t, meta(t, m, 0));
  if (load<f64>(rAt(t, res)) != 0) store<f64>(yt, NaN);
  else store<f64>(yt, meta(t, m, 4) ? logdetTangent(rAt(t, res + 1), rAt(t, res + 1 + N * N), tAt(t, meta(t, m, 2)), N, scratchOf(t)) : 0);
}

/** Second order of cholesky: Ā += ½ L⁻ᵀ (P + Pᵀ) L⁻¹ and its tangent Ā' into the adjoint tangents `gt` (an arena at V's offsets). */
export function choleskySecondKernel(t: usize, m: i32, gt: usize): void {
  if (!meta(t, m, 4) || load<f64>(rAt(t, meta(t, m, 5))) != 0) return;
  const out = meta(t, m, 0), a = meta(t, m, 2);
  choleskySecond(vAt(t, out), tAt(t, out), gAt(t, out), gt + (<usize>out << 3), gAt(t, a), gt + (<usize>a << 3), meta(t, m, 3), scratchOf(t));
}

/** Second order of solve: B̄ += Z, Ā += −ZXᵀ (Z = A⁻ᵀX̄) and their tangents B̄' += Ż, Ā' += −(ŻXᵀ + ZẊᵀ) into `gt`. */
export function solveSecondKernel(t: usize, m: i32, gt: usize): void {
  const N = meta(t, m, 4), nrhs = meta(t, m, 5), res = meta(t, m, 8), out = meta(t, m, 0), a = meta(t, m, 2), b = meta(t, m, 3);
  const wantA = meta(t, m, 6) != 0, wantB = meta(t, m, 7) != 0;
  if (load<f64>(rAt(t, res)) != 0 || (!wantA && !wantB)) return;
  solveSecond(
    rAt(t, res + 1), rAt(t, res + 1 + N * N), vAt(t, out), tAt(t, out), gAt(t, out), gt + (<usize>out << 3),
    wantA ? tAt(t, a) : 0, wantA ? gAt(t, a) : 0, wantA ? gt + (<usize>a << 3) : 0,
    wantB ? gAt(t, b) : 0, wantB ? gt + (<usize>b << 3) : 0, N, nrhs, scratchOf(t),
  );
}

/** Second order of logdet: Ā += ȳA⁻ᵀ and its tangent Ā' += ȳ'A⁻ᵀ − ȳA⁻ᵀȦᵀA⁻ᵀ into `gt`. */
export function logdetSecondKernel(t: usize, m: i32, gt: usize): void {
  const N = meta(t, m, 3), res = meta(t, m, 5), out = meta(t, m, 0), a = meta(t, m, 2);
  if (!meta(t, m, 4) || load<f64>(rAt(t, res)) != 0) return;
  const g = load<f64>(gAt(t, out)), gd = load<f64>(gt + (<usize>out << 3));
  logdetSecond(rAt(t, res + 1), rAt(t, res + 1 + N * N), tAt(t, a), g, gd, gAt(t, a), gt + (<usize>a << 3), N, scratchOf(t));
}
