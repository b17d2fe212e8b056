/** @file The AS half of the tensor op table: each tensor op's forward, backward, tangent and second-order kernel. The sweeps call `kernelForward`/`kernelBackward` for a kernel node and never name a tensor op.
 *
 * A kernel node's record holds its meta offset `m` (see layout.ts); each kernel reads its operands'
 * offsets, shapes and options from meta. The op codes must match `src/tensor/codes.ts` (checked on load).
 */
import { mapForward, mapBackward, mapTangent, mapSecond, packForward, packBackward, packTangent, packSecond } from "./elementwise";
import { itemForward, itemBackward, itemTangent, itemSecond } from "./elementwise";
import { sumForward, sumBackward, extremeForward, extremeBackward, extremeTangent, lseForward, lseBackward, lseTangent, lseSecond } from "./reduce";
import { stridedForward, stridedBackward, gatherForward, gatherBackward, concatForward, concatBackward } from "./gather";
import { matmulForward, matmulBackward, matmulTangent, matmulSecond } from "./matmul";
import { choleskyForward, choleskyBackwardKernel, choleskyTangentKernel, solveForward, solveBackwardKernel, solveTangentKernel } from "./decomp";
import { logdetForward, logdetBackwardKernel, logdetTangentKernel, choleskySecondKernel, solveSecondKernel, logdetSecondKernel } from "./decomp";
import { H_TV, H_TG, H_TT, field } from "./layout";

/** Tensor op codes (from TENSOR_OP_BASE = 128 on). */
export enum TOp {
  Const = 128, Pack = 129, Item = 130, Map = 131, MatMul = 132, Sum = 133, Max = 134, Min = 135,
  LogSumExp = 136, Strided = 137, Gather = 138, Concat = 139, Cholesky = 140, Solve = 141, Logdet = 142,
  End = 143,
}

/** Runs the forward kernel of kernel node (op, meta m) of tape `t`; returns its scalar value (an `item`), else 0. */
export function kernelForward(t: usize, op: i32, m: i32): f64 {
  switch (op) {
    case TOp.Const: break; // a constant tensor: its elements were written when it was recorded
    case TOp.Pack: { packForward(t, m); break; }
    case TOp.Item: return itemForward(t, m);
    case TOp.Map: { mapForward(t, m); break; }
    case TOp.MatMul: { matmulForward(t, m); break; }
    case TOp.Sum: { sumForward(t, m); break; }
    case TOp.Max: { extremeForward(t, m, false); break; }
    case TOp.Min: { extremeForward(t, m, true); break; }
    case TOp.LogSumExp: { lseForward(t, m); break; }
    case TOp.Strided: { stridedForward(t, m); break; }
    case TOp.Gather: { gatherForward(t, m); break; }
    case TOp.Concat: { concatForward(t, m); break; }
    case TOp.Cholesky: { choleskyForward(t, m); break; }
    case TOp.Solve: { solveForward(t, m); break; }
    case TOp.Logdet: { logdetForward(t, m); break; }
    default: return NaN;
  }
  return 0;
}

/** Runs the backward kernel of kernel node (op, meta m) of tape `t`, whose scalar adjoint (an `item`'s) is g. */
export function kernelBackward(t: usize, op: i32, m: i32, g: f64): void {
  switch (op) {
    case TOp.Const: break;
    case TOp.Pack: { packBackward(t, m); break; }
    case TOp.Item: { itemBackward(t, m, g); break; }
    case TOp.Map: { mapBackward(t, m); break; }
    case TOp.MatMul: { matmulBackward(t, m); break; }
    case TOp.Sum: { sumBackward(t, m); break; }
    case TOp.Max: case TOp.Min: { extremeBackward(t, m); break; }
    case TOp.LogSumExp: { lseBackward(t, m); break; }
    case TOp.Strided: { stridedBackward(t, m); break; }
    case TOp.Gather: { gatherBackward(t, m); break; }
    case TOp.Concat: { concatBackward(t, m); break; }
    case TOp.Cholesky: { choleskyBackwardKernel(t, m); break; }
    case TOp.Solve: { solveBackwardKernel(t, m); break; }
    case TOp.Logdet: { logdetBackwardKernel(t, m); break; }
    default: break;
  }
}

/** Runs the tangent kernel of kernel node (op, meta m) of tape `t` in one direction (tensor tangents in the
 * tangent arena, scalar ones in `dot`); returns the tangent of a scalar result (an `item`), else 0. */
export function kernelTangent(t: usize, op: i32, m: i32, dot: usize): f64 {
  switch (op) {
    case TOp.Const: break; // inputs were seeded, constants are zero
    case TOp.Pack: { packTangent(t, m, dot); break; }
    case TOp.Item: return itemTangent(t, m);
    case TOp.Map: { mapTangent(t, m); break; }
    case TOp.MatMul: { matmulTangent(t, m); break; }
    case TOp.Max: case TOp.Min: { extremeTangent(t, m); break; }
    case TOp.LogSumExp: { lseTangent(t, m); break; }
    // Linear kernels: the tangent is the kernel itself, run on the tangents.
    case TOp.Sum: case TOp.Strided: case TOp.Gather: case TOp.Concat: { onTangents(t, op, m); break; }
    case TOp.Cholesky: { choleskyTangentKernel(t, m); break; }
    case TOp.Solve: { solveTangentKernel(t, m); break; }
    case TOp.Logdet: { logdetTangentKernel(t, m); break; }
    default: return NaN;
  }
  return 0;
}

/** Runs the forward kernel of a linear op with the tangent arena in place of the value arena. */
function onTangents(t: usize, op: i32, m: i32): void {
  const values = field(t, H_TV);
  store<u32>(t + <usize>H_TV, <u32>field(t, H_TT));
  kernelForward(t, op, m);
  store<u32>(t + <usize>H_TV, <u32>values);
}

/** Runs the second-order backward of kernel node (op, meta m) (forward-over-reverse, for H·v): its backward
 * kernel, and the tangent of that backward into the adjoint tangents `gt` (an arena at V's offsets); scalar
 * operands' (adjoint, tangent) pairs live at `pair`, and (g, gd) is an `item`'s. */
export function kernelSecond(t: usize, op: i32, m: i32, gt: usize, pair: usize, g: f64, gd: f64): void {
  switch (op) {
    case TOp.Const: break;
    case TOp.Pack: { packSecond(t, m, gt, pair); break; }
    case TOp.Item: { itemSecond(t, m, gt, g, gd); break; }
    case TOp.Map: { mapSecond(t, m, gt); break; }
    case TOp.MatMul: { matmulSecond(t, m, gt); break; }
    case TOp.LogSumExp: { lseSecond(t, m, gt); break; }
    // Linear kernels: the backward's tangent is the backward itself, run on the adjoint tangents.
    case TOp.Sum: case TOp.Max: case TOp.Min: case TOp.Strided: case TOp.Gather: case TOp.Concat: {
      kernelBackward(t, op, m, 0);
      onAdjointTangents(t, op, m, gt);
      break;
    }
    case TOp.Cholesky: { choleskySecondKernel(t, m, gt); break; }
    case TOp.Solve: { solveSecondKernel(t, m, gt); break; }
    case TOp.Logdet: { logdetSecondKernel(t, m, gt); break; }
    default: break;
  }
}

/** Runs the backward kernel of a linear op with the adjoint tangents in place of the adjoints. */
function onAdjointTangents(t: usize, op: i32, m: i32, gt: usize): void {
  const adjoints = field(t, H_TG);
  store<u32>(t + <usize>H_TG, <u32>gt);
  kernelBackward(t, op, m, 0);
  store<u32>(t + <usize>H_TG, <u32>adjoints);
}
