/** @file The Wasm ABI: everything JS may call, and nothing else. Numbers in, numbers out; records are written by JS through views. */
import { evalOp } from "./ops";
import { bytesInUse, bytesHighWater, reserve, release } from "./tape";

export { Op, setMutant } from "./ops";
export { TOp } from "./kernels";
export { arenaReserve } from "./arena";
export { gemmScratchBytes } from "./gemm";
export { linalgScratchBytes } from "./linalg";
export { NODE_BYTES, HEADER_BYTES, TENSOR_OP_BASE } from "./layout";
export { tapeNew, tapeResize, tapeFree, setLimit } from "./tape";
export { compute, clearAdjoints, reverse, reverseRange, replay, replayGradient, recordGuards } from "./sweep";
export { tangent, hvp, replayTangent } from "./tangent";
export { streamProbe } from "./probe";

const ROW = memory.data(6 << 3, 16);

/** Address of the six f64 results (value, dx, dy, dxx, dxy, dyy) that `evalRow` writes. */
export function rowScratch(): usize {
  return ROW;
}

/** Evaluates one op-table row with second partials into the row scratch (for tests, and ops on constants). */
export function evalRow(op: i32, x: f64, y: f64): void {
  store<f64>(ROW, x); // a leaf's preset value
  store<f64>(ROW, evalOp(op, x, y, ROW, ROW + 8, ROW + 16, ROW + 24, true));
}

/** Allocates `bytes` of scratch memory (a compiled tape's guard list); 0 when it would pass the limit. */
export function memAlloc(bytes: i32): usize {
  return reserve(<f64>bytes) ? heap.alloc(<usize>bytes) : 0;
}

/** Frees memory from `memAlloc`. */
export function memFree(ptr: usize, bytes: i32): void {
  release(<f64>bytes);
  heap.free(ptr);
}

/** Bytes held by tapes now. */
export function memInUse(): f64 {
  return bytesInUse;
}

/** The most bytes tapes have held at once. */
export function memHighWater(): f64 {
  return bytesHighWater;
}
