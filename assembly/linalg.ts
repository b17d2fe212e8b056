/**
 * @file Dense f64 linear algebra behind the AD ops `cholesky`, `solve` and `logdet`: the factorizations
 * (Cholesky; LU with partial pivoting), the solves and log-determinant built on them, and each op's
 * reverse rule (adjoint, accumulated: ga += Ā) and forward rule (tangent, overwritten).
 *
 * Matrices are row-major f64 at caller-given byte addresses: A, L, LU and their adjoints/tangents are
 * n×n; B, X are n×nrhs. Pivots are i32[n] in LAPACK's form: at step k row k was swapped with row
 * piv[k] (k ≤ piv[k] < n, 0-based). Nothing here allocates or imports; rules that need room take a
 * `scratch` buffer of `linalgScratchBytes(n, nrhs, false)` bytes (8-byte aligned is enough), which must not
 * overlap any other argument. Every loop stays inside the buffers its shapes imply; n = 0 is a no-op.
 * Allowed aliases, and no others: cholesky l = a, luFactor lu = a, luSolve x = b, choleskyTangent
 * ldot = adot, solveTangent xdot = bdot. Adjoint outputs (ga, gb) must be initialized by the caller.
 * Inner loops are row updates and dot products on f64x2 (unaligned v128 loads are legal in Wasm).
 */

// ---- row kernels --------------------------------------------------------------------------------

/** Address of row i of a row-major matrix with `cols` columns. */
// @ts-ignore: decorator
@inline export function row(m: usize, i: i32, cols: i32): usize {
  return m + ((<usize>i * <usize>cols) << 3);
}

/** Address of element j of an f64 row. */
// @ts-ignore: decorator
@inline export function el(r: usize, j: i32): usize {
  return r + (<usize>j << 3);
}

/** y[0..m) += a·x[0..m). */
// @ts-ignore: decorator
@inline export function axpy(y: usize, a: f64, x: usize, m: i32): void {
  let av = f64x2.splat(a);
  let j = 0;
  for (; j + 2 <= m; j += 2) {
    let o = <usize>j << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(av, v128.load(x + o))));
  }
  if (j < m) store<f64>(el(y, j), load<f64>(el(y, j)) + a * load<f64>(el(x, j)));
}

/** Σ x[j]·y[j] over j < m (two interleaved partial sums). */
// @ts-ignore: decorator
@inline export function dot(x: usize, y: usize, m: i32): f64 {
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= m; j += 2) {
    let o = <usize>j << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < m) s += load<f64>(el(x, j)) * load<f64>(el(y, j));
  return s;
}

/** y[0..m) /= d. */
// @ts-ignore: decorator
@inline function divide(y: usize, d: f64, m: i32): void {
  let dv = f64x2.splat(d);
  let j = 0;
  for (; j + 2 <= m; j += 2) {
    let o = <usize>j << 3;
    v128.store(y + o, f64x2.div(v128.load(y + o), dv));
  }
  if (j < m) store<f64>(el(y, j), load<f64>(el(y, j)) / d);
}

/** Swaps x[0..m) and y[0..m). */
// @ts-ignore: decorator
@inline function swap(x: usize, y: usize, m: i32): void {
  for (let j = 0; j < m; j++) {
    let t = load<f64>(el(x, j));
    store<f64>(el(x, j), load<f64>(el(y, j)));
    store<f64>(el(y, j), t);
  }
}

/** Bytes of a rows×cols f64 matrix. */
// @ts-ignore: decorator
@inline export function bytes(rows: i32, cols: i32): usize {
  return (<usize>rows * <usize>cols) << 3;
}

/** Bytes of scratch any rule below needs for these shapes, 8·n·max(n, nrhs), twice that when `second` (the rules of linalg-second.ts too); -1 past 2³¹ - 1. */
export function linalgScratchBytes(n: i32, nrhs: i32, second: bool): i32 {
  let b = <i64>(second ? 16 : 8) * <i64>max(n, 0) * <i64>max(max(n, nrhs), 0);
  return b > <i64>i32.MAX_VALUE ? -1 : <i32>b;
}

// ---- Cholesky -----------------------------------------------------------------------------------

/** Factors A = L·Lᵀ reading only A's lower triangle (l may equal a); 0, or j+1 when the leading minor of order j+1 is not positive definite. */
export function cholesky(a: usize, l: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    let ai = row(a, i, n), li = row(l, i, n);
    for (let j = 0; j < i; j++) {
      let lj = row(l, j, n);
      store<f64>(el(li, j), (load<f64>(el(ai, j)) - dot(li, lj, j)) / load<f64>(el(lj, j)));
    }
    let d = load<f64>(el(ai, i)) - dot(li, li, i);
    if (!(d > 0)) return i + 1; // NOTE: also catches NaN
    store<f64>(el(li, i), Math.sqrt(d));
    memory.fill(el(li, i + 1), 0, bytes(1, n - 1 - i));
  }
  return 0;
}

/** Accumulates the symmetric adjoint of A into ga from L and L̄ = gl (gl's strict upper triangle is ignored); scratch n² f64.
 *
 * Math: Ā = ½ L⁻ᵀ (P + Pᵀ) L⁻¹ with P = Φ(Lᵀ L̄), Φ = lower triangle with the diagonal halved (Murray 2016).
 * Split between the triangles: `cholesky` reads only A's lower triangle, so the true gradient of a stored
 * A_ij (i > j) is Ā_ij + Ā_ji and of A_ji it is 0. We return instead the symmetric Ā, the gradient of
 * A ↦ chol(½(A + Aᵀ)): each off-diagonal sensitivity is split evenly between A_ij and A_ji. For symmetric
 * inputs both functions agree, and the result is what symmetric upstream ops (X·Xᵀ, A + Aᵀ) expect.
 */
export function choleskyBackward(l: usize, gl: usize, ga: usize, n: i32, scratch: usize): void {
  let s = scratch;
  memory.fill(s, 0, bytes(n, n));
  // Lower triangle of Lᵀ·L̄: entry (i, j), i ≥ j, is Σ_{k ≥ i} L_ki L̄_kj.
  for (let k = 0; k < n; k++) {
    let lk = row(l, k, n), gk = row(gl, k, n);
    for (let i = 0; i <= k; i++) axpy(row(s, i, n), load<f64>(el(lk, i)), gk, i + 1);
  }
  // S = P + Pᵀ: the strict lower triangle mirrored, the diagonal kept (Φ halved it, Pᵀ doubles it back).
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) store<f64>(el(row(s, j, n), i), load<f64>(el(row(s, i, n), j)));
  }
  lowerInvTransposeLeft(l, s, n);
  lowerInvRight(l, s, n);
  // Ā = ½·S, symmetrized exactly (S is symmetric up to rounding).
  for (let i = 0; i < n; i++) {
    let gi = row(ga, i, n), si = row(s, i, n);
    for (let j = 0; j < n; j++) {
      let v = 0.25 * (load<f64>(el(si, j)) + load<f64>(el(row(s, j, n), i)));
      store<f64>(el(gi, j), load<f64>(el(gi, j)) + v);
    }
  }
}

/** S ← L⁻ᵀ·S in place (back substitution with the upper-triangular Lᵀ, a row of S at a time). */
export function lowerInvTransposeLeft(l: usize, s: usize, n: i32): void {
  for (let i = n - 1; i >= 0; i--) {
    let si = row(s, i, n), li = row(l, i, n);
    divide(si, load<f64>(el(li, i)), n);
    for (let k = 0; k < i; k++) axpy(row(s, k, n), -load<f64>(el(li, k)), si, n);
  }
}

/** S ← S·L⁻¹ in place: each row z solves x·L = z, last column first. */
export function lowerInvRight(l: usize, s: usize, n: i32): void {
  for (let r = 0; r < n; r++) {
    let z = row(s, r, n);
    for (let j = n - 1; j >= 0; j--) {
      let lj = row(l, j, n);
      let x = load<f64>(el(z, j)) / load<f64>(el(lj, j));
      store<f64>(el(z, j), x);
      axpy(z, -x, lj, j);
    }
  }
}

/** Writes L̇ (lower-triangular, upper part 0) for a tangent Ȧ of A; scratch n² f64; ldot may equal adot.
 *
 * Math: L̇ = L·Φ(L⁻¹ Ȧ_s L⁻ᵀ) with Ȧ_s = ½(Ȧ + Ȧᵀ) (= Ȧ for the documented symmetric Ȧ): the tangent of
 * A ↦ chol(½(A + Aᵀ)), the function `choleskyBackward` differentiates, so ⟨Ā, Ȧ⟩ = ⟨L̄, L̇⟩ for any Ȧ.
 */
export function choleskyTangent(l: usize, adot: usize, ldot: usize, n: i32, scratch: usize): void {
  let s = scratch;
  memory.copy(s, adot, bytes(n, n));
  // M = L⁻¹·Ȧ (forward substitution, a row of M at a time).
  for (let i = 0; i < n; i++) {
    let si = row(s, i, n), li = row(l, i, n);
    for (let k = 0; k < i; k++) axpy(si, -load<f64>(el(li, k)), row(s, k, n), n);
    divide(si, load<f64>(el(li, i)), n);
  }
  // N = M·L⁻ᵀ: each row m solves L·nᵀ = mᵀ in place.
  for (let r = 0; r < n; r++) {
    let z = row(s, r, n);
    for (let j = 0; j < n; j++) {
      let lj = row(l, j, n);
      store<f64>(el(z, j), (load<f64>(el(z, j)) - dot(lj, z, j)) / load<f64>(el(lj, j)));
    }
  }
  // F = Φ(½(N + Nᵀ)) into the lower triangle (L⁻¹ Ȧᵀ L⁻ᵀ = Nᵀ); the upper triangle is read, never written.
  for (let i = 0; i < n; i++) {
    let si = row(s, i, n);
    for (let j = 0; j < i; j++) {
      store<f64>(el(si, j), 0.5 * (load<f64>(el(si, j)) + load<f64>(el(row(s, j, n), i))));
    }
    store<f64>(el(si, i), 0.5 * load<f64>(el(si, i)));
  }
  // L̇ = L·F, both lower-triangular: row i is Σ_{k ≤ i} L_ik F[k, 0..k].
  for (let i = 0; i < n; i++) {
    let di = row(ldot, i, n), li = row(l, i, n);
    memory.fill(di, 0, bytes(1, n));
    for (let k = 0; k <= i; k++) axpy(di, load<f64>(el(li, k)), row(s, k, n), k + 1);
  }
}

// ---- LU, solve ----------------------------------------------------------------------------------

/** Factors P·A = L·U with partial pivoting into lu (unit L below the diagonal, U on and above; lu may equal a); 0, or j+1 for the first pivot j that is exactly 0.
 *
 * A zero pivot does not stop the factorization (as LAPACK's getrf): lu and piv are complete, so
 * `logdetFromLu` gives -Infinity with sign 0; `luSolve` and the rules must not be used then.
 */
export function luFactor(a: usize, lu: usize, piv: usize, n: i32): i32 {
  if (lu != a) memory.copy(lu, a, bytes(n, n));
  let info = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    let big = Math.abs(load<f64>(el(row(lu, k, n), k)));
    for (let i = k + 1; i < n; i++) {
      let v = Math.abs(load<f64>(el(row(lu, i, n), k)));
      if (v > big) { big = v; p = i; }
    }
    store<i32>(piv + (<usize>k << 2), p);
    let rk = row(lu, k, n);
    if (p != k) swap(rk, row(lu, p, n), n);
    let d = load<f64>(el(rk, k));
    if (d == 0) { // the whole column below is 0 too: nothing to eliminate
      if (info == 0) info = k + 1;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      let ri = row(lu, i, n);
      let m = load<f64>(el(ri, k)) / d;
      store<f64>(el(ri, k), m);
      if (m != 0) axpy(el(ri, k + 1), -m, el(rk, k + 1), n - 1 - k);
    }
  }
  return info;
}

/** Applies the row swaps of piv to X (n×m): in step order (X ← P·X), or reversed (X ← Pᵀ·X). */
function permute(piv: usize, x: usize, n: i32, m: i32, reverse: bool): void {
  for (let t = 0; t < n; t++) {
    let k = reverse ? n - 1 - t : t;
    let p = load<i32>(piv + (<usize>k << 2));
    if (p != k) swap(row(x, k, m), row(x, p, m), m);
  }
}

/** Solves A·X = B (or Aᵀ·X = B when transpose) from luFactor's lu and piv; B, X n×nrhs, x may equal b.
 *
 * Math: A = Pᵀ·L·U, so X = U⁻¹ L⁻¹ P·B; and Aᵀ = Uᵀ·Lᵀ·P, so X = Pᵀ L⁻ᵀ U⁻ᵀ·B.
 */
export function luSolve(lu: usize, piv: usize, b: usize, x: usize, n: i32, nrhs: i32, transpose: bool): void {
  let m = nrhs;
  if (x != b) memory.copy(x, b, bytes(n, m));
  if (m == 1) {
    luSolveVector(lu, piv, x, n, transpose);
  } else if (!transpose) {
    permute(piv, x, n, m, false);
    for (let i = 1; i < n; i++) { // L (unit lower)
      let ri = row(lu, i, n), xi = row(x, i, m);
      for (let k = 0; k < i; k++) {
        let c = load<f64>(el(ri, k));
        if (c != 0) axpy(xi, -c, row(x, k, m), m);
      }
    }
    for (let i = n - 1; i >= 0; i--) { // U
      let ri = row(lu, i, n), xi = row(x, i, m);
      for (let k = i + 1; k < n; k++) {
        let c = load<f64>(el(ri, k));
        if (c != 0) axpy(xi, -c, row(x, k, m), m);
      }
      divide(xi, load<f64>(el(ri, i)), m);
    }
  } else {
    for (let k = 0; k < n; k++) { // Uᵀ (lower), column-oriented: row k of U is column k of Uᵀ
      let rk = row(lu, k, n), xk = row(x, k, m);
      divide(xk, load<f64>(el(rk, k)), m);
      for (let i = k + 1; i < n; i++) {
        let c = load<f64>(el(rk, i));
        if (c != 0) axpy(row(x, i, m), -c, xk, m);
      }
    }
    for (let k = n - 1; k > 0; k--) { // Lᵀ (unit upper)
      let rk = row(lu, k, n), xk = row(x, k, m);
      for (let i = 0; i < k; i++) {
        let c = load<f64>(el(rk, i));
        if (c != 0) axpy(row(x, i, m), -c, xk, m);
      }
    }
    permute(piv, x, n, m, true);
  }
}

/** luSolve for one right-hand side, in place: the same substitutions as dot products and row updates along lu's rows. */
function luSolveVector(lu: usize, piv: usize, x: usize, n: i32, transpose: bool): void {
  if (!transpose) {
    permute(piv, x, n, 1, false);
    for (let i = 1; i < n; i++) {
      store<f64>(el(x, i), load<f64>(el(x, i)) - dot(row(lu, i, n), x, i));
    }
    for (let i = n - 1; i >= 0; i--) {
      let ri = row(lu, i, n);
      let r = load<f64>(el(x, i)) - dot(el(ri, i + 1), el(x, i + 1), n - 1 - i);
      store<f64>(el(x, i), r / load<f64>(el(ri, i)));
    }
  } else {
    for (let k = 0; k < n; k++) {
      let rk = row(lu, k, n);
      let xk = load<f64>(el(x, k)) / load<f64>(el(rk, k));
      store<f64>(el(x, k), xk);
      axpy(el(x, k + 1), -xk, el(rk, k + 1), n - 1 - k);
    }
    for (let k = n - 1; k > 0; k--) axpy(x, -load<f64>(el(x, k)), row(lu, k, n), k);
    permute(piv, x, n, 1, true);
  }
}

/** Accumulates the adjoints of solve's inputs, ga += Ā and gb += B̄ (either pointer may be 0 = not wanted); scratch n·nrhs f64.
 *
 * Math: X = A⁻¹B ⇒ B̄ = A⁻ᵀ X̄, Ā = −B̄ Xᵀ.
 */
export function solveBackward(lu: usize, piv: usize, x: usize, gx: usize, ga: usize, gb: usize, n: i32, nrhs: i32, scratch: usize): void {
  if (ga == 0 && gb == 0) return;
  let m = nrhs;
  luSolve(lu, piv, gx, scratch, n, m, true);
  if (gb != 0) axpy(gb, 1.0, scratch, n * m);
  if (ga == 0) return;
  for (let i = 0; i < n; i++) {
    let gi = row(ga, i, n), bi = row(scratch, i, m);
    for (let j = 0; j < n; j++) {
      store<f64>(el(gi, j), load<f64>(el(gi, j)) - dot(bi, row(x, j, m), m));
    }
  }
}

/** Writes Ẋ for tangents Ȧ, Ḃ (either pointer may be 0 = zero tangent); xdot may equal bdot but not x or adot; scratch unused (may be 0).
 *
 * Math: Ẋ = A⁻¹ (Ḃ − Ȧ X).
 */
export function solveTangent(lu: usize, piv: usize, x: usize, adot: usize, bdot: usize, xdot: usize, n: i32, nrhs: i32, scratch: usize): void {
  let m = nrhs;
  for (let i = 0; i < n; i++) {
    let di = row(xdot, i, m);
    if (bdot != 0) memory.copy(di, row(bdot, i, m), bytes(1, m));
    else memory.fill(di, 0, bytes(1, m));
    if (adot == 0) continue;
    let ai = row(adot, i, n);
    for (let k = 0; k < n; k++) {
      let c = load<f64>(el(ai, k));
      if (c != 0) axpy(di, -c, row(x, k, m), m);
    }
  }
  luSolve(lu, piv, xdot, xdot, n, m, false);
}

// ---- logdet -------------------------------------------------------------------------------------

/** Returns log|det A| from luFactor's output and stores sign(det A) (1, -1, or 0 when singular) as f64 at signOut unless it is 0. */
export function logdetFromLu(lu: usize, piv: usize, n: i32, signOut: usize): f64 {
  let sign = 1.0, ld = 0.0;
  for (let k = 0; k < n; k++) {
    let d = load<f64>(el(row(lu, k, n), k));
    if (load<i32>(piv + (<usize>k << 2)) != k) sign = -sign;
    sign *= d > 0 ? 1.0 : d < 0 ? -1.0 : d == 0 ? 0.0 : NaN;
    ld += Math.log(Math.abs(d)); // a sum of logs: no overflow of the product
  }
  if (signOut != 0) store<f64>(signOut, sign == 0 ? 0.0 : sign);
  return ld;
}

/** Accumulates ga += g·A⁻ᵀ (nothing when g is 0); scratch n² f64.
 *
 * Math: y = log|det A| ⇒ Ā = ȳ·A⁻ᵀ.
 */
export function logdetBackward(lu: usize, piv: usize, g: f64, ga: usize, n: i32, scratch: usize): void {
  if (g == 0) return;
  memory.fill(scratch, 0, bytes(n, n));
  for (let i = 0; i < n; i++) store<f64>(el(row(scratch, i, n), i), 1.0);
  luSolve(lu, piv, scratch, scratch, n, n, true);
  axpy(ga, g, scratch, n * n);
}

/** Returns ẏ for a tangent Ȧ; scratch n² f64.
 *
 * Math: y = log|det A| ⇒ ẏ = tr(A⁻¹ Ȧ).
 */
export function logdetTangent(lu: usize, piv: usize, adot: usize, n: i32, scratch: usize): f64 {
  luSolve(lu, piv, adot, scratch, n, n, false);
  let t = 0.0;
  for (let i = 0; i < n; i++) t += load<f64>(el(row(scratch, i, n), i));
  return t;
}
