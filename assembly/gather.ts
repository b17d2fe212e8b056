/** @file Data-movement kernels: strided copies (transpose, slice, broadcast), gather along an axis, and concat; each backward kernel sends the cotangent back to where the element came from.
 *
 * Strided meta: [out, n, in, grad, base, ndim, dims…, strides…]: y[j] = x[base + Σ_d idx_d(j)·stride_d]
 *   (a transpose permutes strides, a slice offsets and steps them, a broadcast has stride 0).
 * Gather meta:  [out, n, in, grad, outer, len, inner, count, idx…]: y[o, j, i] = x[o, idx_j, i].
 * Concat meta:  [out, n, outer, total, k, (in, width, grad) × k]: row o of y is the rows o of the inputs, side by side.
 * Every index was checked against its tensor by JS when the node was recorded; the kernels check again
 * (a stale or corrupted meta must not reach outside the arena).
 */
import { vAt, gAt, meta } from "./arena";

const ODO = memory.data(64 << 2, 16);

/** y[j] = x[base + Σ idx·stride] (forward), or x̄[…] += ȳ[j] (backward, when `back`). */
function strided(t: usize, m: i32, back: bool): void {
  const out = meta(t, m, 0), n = meta(t, m, 1), base = meta(t, m, 4), nd = meta(t, m, 5);
  const px = back ? gAt(t, meta(t, m, 2) + base) : vAt(t, meta(t, m, 2) + base);
  const py = back ? gAt(t, out) : vAt(t, out);
  const last = meta(t, m, 6 + nd - 1), s = <usize>meta(t, m, 6 + 2 * nd - 1) << 3;
  memory.fill(ODO, 0, <usize>nd << 2);
  let off: isize = 0;
  for (let j = 0; j < n; j += last) {
    let p = px + <usize>(off << 3), q = py + (<usize>j << 3);
    if (back) {
      for (let k = 0; k < last; k++, p += s, q += 8) store<f64>(p, load<f64>(p) + load<f64>(q));
    } else {
      for (let k = 0; k < last; k++, p += s, q += 8) store<f64>(q, load<f64>(p));
    }
    for (let d = nd - 2; d >= 0; d--) {
      const c = ODO + (<usize>d << 2);
      const dim = meta(t, m, 6 + d), st = <isize>meta(t, m, 6 + nd + d);
      const k = load<i32>(c) + 1;
      off += st;
      if (k < dim) {
        store<i32>(c, k);
        break;
      }
      store<i32>(c, 0);
      off -= st * dim;
    }
  }
}

/** Forward kernel of a strided copy. */
export function stridedForward(t: usize, m: i32): void {
  strided(t, m, false);
}

/** Backward kernel of a strided copy: x̄[src(j)] += ȳ[j] (a broadcast source sums its copies). */
export function stridedBackward(t: usize, m: i32): void {
  if (meta(t, m, 3)) strided(t, m, true);
}

/** y[o, j, i] = x[o, idx_j, i] (forward), or x̄[o, idx_j, i] += ȳ[o, j, i] (backward); an index out of
 * [0, len) is skipped (JS rejects it before recording). */
function gather(t: usize, m: i32, back: bool): void {
  const outer = meta(t, m, 4), len = meta(t, m, 5), inner = meta(t, m, 6), count = meta(t, m, 7);
  const x = back ? gAt(t, meta(t, m, 2)) : vAt(t, meta(t, m, 2));
  const y = back ? gAt(t, meta(t, m, 0)) : vAt(t, meta(t, m, 0));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const at = meta(t, m, 8 + j);
      if (<u32>at >= <u32>len) continue;
      const px = x + (<usize>((o * len + at) * inner) << 3), py = y + (<usize>((o * count + j) * inner) << 3);
      if (back) {
        for (let i = 0; i < inner; i++) {
          const p = px + (<usize>i << 3);
          store<f64>(p, load<f64>(p) + load<f64>(py + (<usize>i << 3)));
        }
      } else memory.copy(py, px, <usize>inner << 3);
    }
  }
}

/** Forward kernel of gather. */
export function gatherForward(t: usize, m: i32): void {
  gather(t, m, false);
}

/** Backward kernel of gather: scatter-add, so a repeated index sums its cotangents. */
export function gatherBackward(t: usize, m: i32): void {
  if (meta(t, m, 3)) gather(t, m, true);
}

/** Copies (forward) or adds back (backward) each input's rows into/out of y's rows. */
function concat(t: usize, m: i32, back: bool): void {
  const out = meta(t, m, 0), outer = meta(t, m, 2), total = meta(t, m, 3), k = meta(t, m, 4);
  let col = 0;
  for (let q = 0; q < k; q++) {
    const src = meta(t, m, 5 + 3 * q), width = meta(t, m, 6 + 3 * q), wants = meta(t, m, 7 + 3 * q);
    if (!back || wants) {
      for (let o = 0; o < outer; o++) {
        const py = (back ? gAt(t, out) : vAt(t, out)) + (<usize>(o * total + col) << 3);
        const px = (back ? gAt(t, src) : vAt(t, src)) + (<usize>(o * width) << 3);
        if (back) {
          for (let i = 0; i < width; i++) {
            const p = px + (<usize>i << 3);
            store<f64>(p, load<f64>(p) + load<f64>(py + (<usize>i << 3)));
          }
        } else memory.copy(py, px, <usize>width << 3);
      }
    }
    col += width;
  }
}

/** Forward kernel of concat. */
export function concatForward(t: usize, m: i32): void {
  concat(t, m, false);
}

/** Backward kernel of concat: each input takes back its columns of ȳ. */
export function concatBackward(t: usize, m: i32): void {
  concat(t, m, true);
}
