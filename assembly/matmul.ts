/** @file The matmul kernels: C = op(A)·op(B) over an optional batch, and its backward products, all through one blocked GEMM.
 *
 * Meta: [out, n, a, b, M, K, N, transA, transB, batch, strideA, strideB, gradA, gradB]: for each batch
 * element k, C_k (M×N) = op(A_k)·op(B_k) with A_k at a + k·strideA (stride 0: one A for every k), op(X) = Xᵀ
 * when its flag is set. The backward products (Ā += C̄·op(B)ᵀ, B̄ += op(A)ᵀ·C̄, transposed back when the
 * operand was) are GEMMs with other transposition flags, which the GEMM packs for, so they run as fast.
 */
import { vAt, gAt, tAt, meta, scratchOf } from "./arena";
import { gemm } from "./gemm";

/** Forward kernel: C_k = op(A_k)·op(B_k). */
export function matmulForward(t: usize, m: i32): void {
  const M = meta(t, m, 4), K = meta(t, m, 5), N = meta(t, m, 6), tA = meta(t, m, 7) != 0, tB = meta(t, m, 8) != 0;
  const batch = meta(t, m, 9), sA = meta(t, m, 10), sB = meta(t, m, 11);
  for (let k = 0; k < batch; k++) {
    gemm(vAt(t, meta(t, m, 2) + k * sA), vAt(t, meta(t, m, 3) + k * sB), vAt(t, meta(t, m, 0) + k * M * N), M, K, N, tA, tB, false, scratchOf(t));
  }
}

/** Backward kernel:  dC = dA·B + A·dB, so  Ā += C̄·op(B)ᵀ (or its transpose),  B̄ += op(A)ᵀ·C̄ (or its transpose). */
export function matmulBackward(t: usize, m: i32): void {
  matmulPull(t, m, gAt(t, 0), vAt(t, 0), gAt(t, 0));
}

/** Second-order backward (forward-over-reverse): the backward kernel, and its tangent into the adjoint tangents
 * `gt`: Ā' += C̄'·op(B)ᵀ + C̄·op(Ḃ)ᵀ,  B̄' += op(A)ᵀ·C̄' + op(Ȧ)ᵀ·C̄. */
export function matmulSecond(t: usize, m: i32, gt: usize): void {
  matmulPull(t, m, gAt(t, 0), vAt(t, 0), gAt(t, 0));
  matmulPull(t, m, gt, vAt(t, 0), gt);
  matmulPull(t, m, gAt(t, 0), tAt(t, 0), gt);
}

/** The backward products with the cotangent read from arena `gout`, operand values from arena `vals`, and the
 * operands' adjoints accumulated into arena `gin` (base addresses; the node's offsets index all three). */
function matmulPull(t: usize, m: i32, gout: usize, vals: usize, gin: usize): void {
  const M = meta(t, m, 4), K = meta(t, m, 5), N = meta(t, m, 6), tA = meta(t, m, 7) != 0, tB = meta(t, m, 8) != 0;
  const batch = meta(t, m, 9), sA = meta(t, m, 10), sB = meta(t, m, 11);
  const s = scratchOf(t);
  for (let k = 0; k < batch; k++) {
    const G = gout + (<usize>(meta(t, m, 0) + k * M * N) << 3);
    const a = <usize>(meta(t, m, 2) + k * sA) << 3, b = <usize>(meta(t, m, 3) + k * sB) << 3;
    if (meta(t, m, 12)) {
      // Ā (M×K) += C̄·op(B)ᵀ;  stored transposed (K×M): Ā += op(B)·C̄ᵀ
      if (!tA) gemm(G, vals + b, gin + a, M, N, K, false, !tB, true, s);
      else gemm(vals + b, G, gin + a, K, N, M, tB, true, true, s);
    }
    if (meta(t, m, 13)) {
      // B̄ (K×N) += op(A)ᵀ·C̄;  stored transposed (N×K): B̄ += C̄ᵀ·op(A)
      if (!tB) gemm(vals + a, G, gin + b, K, M, N, !tA, false, true, s);
      else gemm(G, vals + a, gin + b, N, M, K, true, tA, true, s);
    }
  }
}

/** Tangent kernel: Ċ_k = op(Ȧ_k)·op(B_k) + op(A_k)·op(Ḃ_k) (terms of operands with a tangent). */
export function matmulTangent(t: usize, m: i32): void {
  const M = meta(t, m, 4), K = meta(t, m, 5), N = meta(t, m, 6), tA = meta(t, m, 7) != 0, tB = meta(t, m, 8) != 0;
  const batch = meta(t, m, 9), sA = meta(t, m, 10), sB = meta(t, m, 11), wantA = meta(t, m, 12) != 0, wantB = meta(t, m, 13) != 0;
  const s = scratchOf(t);
  for (let k = 0; k < batch; k++) {
    const C = tAt(t, meta(t, m, 0) + k * M * N);
    const a = meta(t, m, 2) + k * sA, b = meta(t, m, 3) + k * sB;
    if (!wantA && !wantB) memory.fill(C, 0, (<usize>M * <usize>N) << 3);
    if (wantA) gemm(tAt(t, a), vAt(t, b), C, M, K, N, tA, tB, false, s);
    if (wantB) gemm(vAt(t, a), tAt(t, b), C, M, K, N, tA, tB, wantA, s);
  }
}
