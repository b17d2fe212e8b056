/** @file Reduction kernels along one axis: sum, max, min and logsumexp, with their backward kernels.
 *
 * JS views the operand as [outer, len, inner] (the reduced axis in the middle, the axes before and after it
 * merged) and the result as [outer, inner]. Meta: [out, n, in, outer, len, inner, grad, res] (res: the
 * residual offset where max/min keep the position they picked, or -1).
 */
import { vAt, gAt, rAt, tAt, meta } from "./arena";

/** Forward of sum: y[o, i] = Σ_l x[o, l, i]. */
export function sumForward(t: usize, m: i32): void {
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    const py = y + (<usize>(o * inner) << 3);
    if (inner == 1) {
      store<f64>(py, total(x + (<usize>(o * len) << 3), len));
      continue;
    }
    memory.fill(py, 0, <usize>inner << 3);
    for (let l = 0; l < len; l++) {
      const px = x + (<usize>((o * len + l) * inner) << 3);
      addInto(py, px, inner);
    }
  }
}

/** Σ src[i] for i < n, in four lanes. */
function total(src: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    s0 = f64x2.add(s0, v128.load(src + o));
    s1 = f64x2.add(s1, v128.load(src + o, 16));
  }
  const s = f64x2.add(s0, s1);
  let r = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) r += load<f64>(src + (<usize>i << 3));
  return r;
}

/** dst[i] += c for i < n, two lanes at a time. */
function addScalar(dst: usize, c: f64, n: i32): void {
  const v = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), v));
  }
  if (i < n) store<f64>(dst + (<usize>i << 3), load<f64>(dst + (<usize>i << 3)) + c);
}

/** dst[i] += src[i] for i < n, two lanes at a time. */
function addInto(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
  }
}

/** Backward of sum: x̄[o, l, i] += ȳ[o, i]  (d Σ = Σ dx). */
export function sumBackward(t: usize, m: i32): void {
  if (!meta(t, m, 6)) return;
  const gy = gAt(t, meta(t, m, 0)), gx = gAt(t, meta(t, m, 2));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    const py = gy + (<usize>(o * inner) << 3);
    if (inner == 1) addScalar(gx + (<usize>(o * len) << 3), load<f64>(py), len);
    else for (let l = 0; l < len; l++) addInto(gx + (<usize>((o * len + l) * inner) << 3), py, inner);
  }
}

/** Forward of max (or min when `least`): y[o, i] = x[o, l*, i], keeping l* (the first extreme; NaN wins). */
export function extremeForward(t: usize, m: i32, least: bool): void {
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2)), r = rAt(t, meta(t, m, 7));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = load<f64>(x + (<usize>(o * len * inner + i) << 3));
      let at = 0;
      for (let l = 1; l < len && best == best; l++) {
        const v = load<f64>(x + (<usize>((o * len + l) * inner + i) << 3));
        if ((least ? v < best : v > best) || v != v) {
          best = v;
          at = l;
        }
      }
      const k = <usize>(o * inner + i) << 3;
      store<f64>(y + k, best);
      store<f64>(r + k, <f64>at);
    }
  }
}

/** Backward of max/min: the whole cotangent goes to the element picked, x̄[o, l*, i] += ȳ[o, i]. */
export function extremeBackward(t: usize, m: i32): void {
  if (!meta(t, m, 6)) return;
  const gy = gAt(t, meta(t, m, 0)), gx = gAt(t, meta(t, m, 2)), r = rAt(t, meta(t, m, 7));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>(o * inner + i) << 3;
      const at = <i32>load<f64>(r + k);
      const p = gx + (<usize>((o * len + at) * inner + i) << 3);
      store<f64>(p, load<f64>(p) + load<f64>(gy + k));
    }
  }
}

/** Forward of logsumexp: y[o, i] = μ + log Σ_l exp(x[o, l, i] − μ), μ = max_l x (−∞ when every x is −∞). */
export function lseForward(t: usize, m: i32): void {
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + (<usize>(o * len * inner + i) << 3), step = <usize>inner << 3;
      let mu = -Infinity;
      for (let l = 0; l < len; l++) mu = max(mu, load<f64>(base + <usize>l * step));
      let v = mu;
      if (mu != -Infinity && mu != Infinity) {
        let s: f64 = 0;
        for (let l = 0; l < len; l++) s += Math.exp(load<f64>(base + <usize>l * step) - mu);
        v = mu + Math.log(s);
      }
      store<f64>(y + (<usize>(o * inner + i) << 3), v);
    }
  }
}

/** Backward of logsumexp: x̄[o, l, i] += ȳ[o, i]·exp(x[o, l, i] − y[o, i])  (the softmax). */
export function lseBackward(t: usize, m: i32): void {
  if (!meta(t, m, 6)) return;
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2));
  const gy = gAt(t, meta(t, m, 0)), gx = gAt(t, meta(t, m, 2));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>(o * inner + i) << 3;
      const g = load<f64>(gy + k), v = load<f64>(y + k);
      if (g == 0) continue;
      for (let l = 0; l < len; l++) {
        const e = <usize>((o * len + l) * inner + i) << 3;
        store<f64>(gx + e, load<f64>(gx + e) + g * Math.exp(load<f64>(x + e) - v));
      }
    }
  }
}

/** Tangent of max/min: the picked element's, ẏ[o, i] = ẋ[o, l*, i]. */
export function extremeTangent(t: usize, m: i32): void {
  const ty = tAt(t, meta(t, m, 0)), tx = tAt(t, meta(t, m, 2)), r = rAt(t, meta(t, m, 7));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>(o * inner + i) << 3;
      store<f64>(ty + k, load<f64>(tx + (<usize>((o * len + <i32>load<f64>(r + k)) * inner + i) << 3)));
    }
  }
}

/** Tangent of logsumexp: ẏ[o, i] = Σ_l exp(x[o, l, i] − y[o, i])·ẋ[o, l, i]. */
export function lseTangent(t: usize, m: i32): void {
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2)), ty = tAt(t, meta(t, m, 0)), tx = tAt(t, meta(t, m, 2));
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>(o * inner + i) << 3, v = load<f64>(y + k);
      let s: f64 = 0;
      for (let l = 0; l < len; l++) {
        const e = <usize>((o * len + l) * inner + i) << 3, d = load<f64>(tx + e);
        if (d != 0) s += d * Math.exp(load<f64>(x + e) - v);
      }
      store<f64>(ty + k, s);
    }
  }
}

/** Second-order backward of logsumexp: x̄ += ȳ·s and x̄' += ȳ'·s + ȳ·s·(ẋ − ẏ), with s = exp(x − y) (the softmax). */
export function lseSecond(t: usize, m: i32, gt: usize): void {
  lseBackward(t, m);
  if (!meta(t, m, 6)) return;
  const y = vAt(t, meta(t, m, 0)), x = vAt(t, meta(t, m, 2)), gy = gAt(t, meta(t, m, 0));
  const ty = tAt(t, meta(t, m, 0)), tx = tAt(t, meta(t, m, 2));
  const gty = gt + (<usize>meta(t, m, 0) << 3), gtx = gt + (<usize>meta(t, m, 2) << 3);
  const outer = meta(t, m, 3), len = meta(t, m, 4), inner = meta(t, m, 5);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const k = <usize>(o * inner + i) << 3;
      const g = load<f64>(gy + k), gd = load<f64>(gty + k), v = load<f64>(y + k), vd = load<f64>(ty + k);
      if (g == 0 && gd == 0) continue;
      for (let l = 0; l < len; l++) {
        const e = <usize>((o * len + l) * inner + i) << 3;
        const sm = Math.exp(load<f64>(x + e) - v);
        store<f64>(gtx + e, load<f64>(gtx + e) + gd * sm + g * sm * (load<f64>(tx + e) - vd));
      }
    }
  }
}
