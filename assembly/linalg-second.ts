/**
 * @file The second-order (forward-over-reverse) rules of `cholesky`, `solve` and `logdet`: each accumulates the
 * op's adjoint exactly as its reverse rule in linalg.ts does (ga += Ā), and the tangent of that adjoint along
 * the forward tangents (ga' += Ā'), i.e. d/dε of the reverse rule with every value moved by ε·(its tangent)
 * and the output's adjoint by ε·(its adjoint tangent).
 *
 * Conventions as in linalg.ts: row-major f64 at caller-given byte addresses (A, L and their adjoints and
 * tangents n×n; B, X n×nrhs), factors from `cholesky`/`luFactor`, and `scratch` of
 * `linalgScratchBytes(n, nrhs, true)` bytes overlapping no other argument. No argument may alias another,
 * except that an operand's adjoint pointers may repeat (solve(A, A)). Accumulated outputs must be
 * initialized by the caller. Every loop stays inside the buffers its shapes imply; n = 0 is a no-op.
 */
import { row, el, axpy, dot, bytes, lowerInvTransposeLeft, lowerInvRight, luSolve } from "./linalg";

// ---- Cholesky -----------------------------------------------------------------------------------

/** Adds the lower triangle (diagonal included) of Pᵀ·Q into s, for lower-triangular P (so only Q's lower triangle is read). */
function addLowerProduct(p: usize, q: usize, s: usize, n: i32): void {
  // Entry (i, j), i ≥ j, is Σ_{k ≥ i} P_ki Q_kj.
  for (let k = 0; k < n; k++) {
    let pk = row(p, k, n), qk = row(q, k, n);
    for (let i = 0; i <= k; i++) axpy(row(s, i, n), load<f64>(el(pk, i)), qk, i + 1);
  }
}

/** dst += w·(S + Sᵀ), all n×n. */
function addSymmetric(s: usize, dst: usize, w: f64, n: i32): void {
  for (let i = 0; i < n; i++) {
    let di = row(dst, i, n), si = row(s, i, n);
    for (let j = 0; j < n; j++) {
      let v = w * (load<f64>(el(si, j)) + load<f64>(el(row(s, j, n), i)));
      store<f64>(el(di, j), load<f64>(el(di, j)) + v);
    }
  }
}

/** Accumulates ga += Ā (as `choleskyBackward`) and gadot += Ā' from L, L̇ (lower-triangular), L̄ = gl and L̄' = gldot (their strict upper triangles ignored); scratch 2n² f64.
 *
 * Math: Ā = ½S, S = L⁻ᵀ C L⁻¹, C = Φ(LᵀL̄) + Φ(LᵀL̄)ᵀ. With Ċ = Φ(G) + Φ(G)ᵀ, G = L̇ᵀL̄ + LᵀL̄', and
 * d(L⁻¹) = −L⁻¹L̇L⁻¹: Ṡ = L⁻ᵀĊL⁻¹ − L⁻ᵀL̇ᵀS − SL̇L⁻¹ = E + Eᵀ (S symmetric), E = L⁻ᵀ(Φ(G) − L̇ᵀL⁻ᵀC)L⁻¹;
 * Ā' = ½(E + Eᵀ).
 */
export function choleskySecond(l: usize, ldot: usize, gl: usize, gldot: usize, ga: usize, gadot: usize, n: i32, scratch: usize): void {
  let c = scratch, e = scratch + bytes(n, n);
  // C: the lower triangle of LᵀL̄ mirrored (as in choleskyBackward), then L⁻ᵀC.
  memory.fill(c, 0, bytes(n, n));
  addLowerProduct(l, gl, c, n);
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) store<f64>(el(row(c, j, n), i), load<f64>(el(row(c, i, n), j)));
  }
  lowerInvTransposeLeft(l, c, n);
  // Φ(G): the lower triangle of L̇ᵀL̄ + LᵀL̄', its diagonal halved, zeros above.
  memory.fill(e, 0, bytes(n, n));
  addLowerProduct(ldot, gl, e, n);
  addLowerProduct(l, gldot, e, n);
  for (let i = 0; i < n; i++) store<f64>(el(row(e, i, n), i), 0.5 * load<f64>(el(row(e, i, n), i)));
  // − L̇ᵀ(L⁻ᵀC): row i gets −Σ_{k ≥ i} L̇_ki (L⁻ᵀC)[k, ·].
  for (let k = 0; k < n; k++) {
    let dk = row(ldot, k, n), ck = row(c, k, n);
    for (let i = 0; i <= k; i++) axpy(row(e, i, n), -load<f64>(el(dk, i)), ck, n);
  }
  lowerInvTransposeLeft(l, e, n);
  lowerInvRight(l, e, n);
  lowerInvRight(l, c, n);
  addSymmetric(c, ga, 0.25, n);
  addSymmetric(e, gadot, 0.5, n);
}

// ---- solve --------------------------------------------------------------------------------------

/** Accumulates solve's adjoints ga += Ā, gb += B̄ and their tangents gadot += Ā', gbdot += B̄' from X, Ẋ, X̄ = gx, X̄' = gxdot and Ȧ = adot (ga = 0: A wants none, and adot, gadot are not read; gb = 0 likewise); scratch 2·n·nrhs f64.
 *
 * Math: Z = A⁻ᵀX̄ gives B̄ = Z, Ā = −ZXᵀ; with d(A⁻ᵀ) = −A⁻ᵀȦᵀA⁻ᵀ: Ż = A⁻ᵀ(X̄' − ȦᵀZ), B̄' = Ż, Ā' = −(ŻXᵀ + ZẊᵀ).
 */
export function solveSecond(lu: usize, piv: usize, x: usize, xdot: usize, gx: usize, gxdot: usize, adot: usize, ga: usize, gadot: usize, gb: usize, gbdot: usize, n: i32, nrhs: i32, scratch: usize): void {
  if (ga == 0 && gb == 0) return;
  let m = nrhs, z = scratch, zd = scratch + bytes(n, m);
  luSolve(lu, piv, gx, z, n, m, true);
  memory.copy(zd, gxdot, bytes(n, m));
  if (ga != 0) {
    // X̄' − ȦᵀZ: row i gets −Σ_k Ȧ_ki Z[k, ·].
    for (let k = 0; k < n; k++) {
      let ak = row(adot, k, n), zk = row(z, k, m);
      for (let i = 0; i < n; i++) {
        let c = load<f64>(el(ak, i));
        if (c != 0) axpy(row(zd, i, m), -c, zk, m);
      }
    }
  }
  luSolve(lu, piv, zd, zd, n, m, true);
  if (gb != 0) {
    axpy(gb, 1.0, z, n * m);
    axpy(gbdot, 1.0, zd, n * m);
  }
  if (ga == 0) return;
  for (let i = 0; i < n; i++) {
    let gi = row(ga, i, n), hi = row(gadot, i, n), zi = row(z, i, m), di = row(zd, i, m);
    for (let j = 0; j < n; j++) {
      let xj = row(x, j, m);
      store<f64>(el(gi, j), load<f64>(el(gi, j)) - dot(zi, xj, m));
      store<f64>(el(hi, j), load<f64>(el(hi, j)) - dot(di, xj, m) - dot(zi, row(xdot, j, m), m));
    }
  }
}

// ---- logdet -------------------------------------------------------------------------------------

/** Accumulates ga += g·A⁻ᵀ (as `logdetBackward`) and gadot += Ā' for the output's adjoint g, its tangent gd and Ȧ = adot; scratch 2n² f64.
 *
 * Math: y = log|det A|, Ā = ȳA⁻ᵀ; with d(A⁻ᵀ) = −A⁻ᵀȦᵀA⁻ᵀ: Ā' = ȳ'A⁻ᵀ − ȳA⁻ᵀȦᵀA⁻ᵀ.
 */
export function logdetSecond(lu: usize, piv: usize, adot: usize, g: f64, gd: f64, ga: usize, gadot: usize, n: i32, scratch: usize): void {
  if (g == 0 && gd == 0) return;
  let inv = scratch, w = scratch + bytes(n, n);
  memory.fill(inv, 0, bytes(n, n));
  for (let i = 0; i < n; i++) store<f64>(el(row(inv, i, n), i), 1.0);
  luSolve(lu, piv, inv, inv, n, n, true);
  axpy(ga, g, inv, n * n);
  axpy(gadot, gd, inv, n * n);
  if (g == 0) return;
  // W = ȦᵀA⁻ᵀ (row i is Σ_k Ȧ_ki A⁻ᵀ[k, ·]), then A⁻ᵀW.
  memory.fill(w, 0, bytes(n, n));
  for (let k = 0; k < n; k++) {
    let ak = row(adot, k, n), vk = row(inv, k, n);
    for (let i = 0; i < n; i++) {
      let c = load<f64>(el(ak, i));
      if (c != 0) axpy(row(w, i, n), c, vk, n);
    }
  }
  luSolve(lu, piv, w, w, n, n, true);
  axpy(gadot, -g, w, n * n);
}
