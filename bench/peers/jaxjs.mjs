// Benchmark peer: jax-js 0.1.25 (@jax-js/jax), float64 arrays on its Wasm device, eager or jit.
//
//   import * as jaxjs from "./peers/jaxjs.mjs";
//   await jaxjs.init();                // starts jax-js; arrays go on the "wasm" device
//                                      // (init({ device: "cpu" }): jax-js's JS interpreter device)
//   const { f, grad, dispose } = jaxjs.setup("W4", makeData("W4"));              // eager
//   const { f, grad, dispose } = jaxjs.setup("W4", makeData("W4"), { jit: true }); // jit
//
// f() → JS number; grad() → Float64Array (W1: W flat 4; W3: x) or an array of Float64Arrays
// (W4: [W1, b1, W2, b2]; W5: [alpha, mu, q, l]). Both run synchronously to the end (dataSync()
// forces the pending kernels and copies out of Wasm memory). dispose() frees the arrays and
// jitted functions held by the closures. With { jit: true }, f = jit(objective) and
// grad = jit(grad(objective)); their first call traces and compiles (tens of ms).
//
// Memory: jax-js reference-counts arrays and every op *consumes* its array arguments. The
// closures keep one reference to each parameter/data array and pass `.ref` (a +1) into each
// call, so they are not freed; inside the traced functions each argument is used exactly once
// (extra uses go through `.ref`). dataSync() itself disposes the array it reads, so no Wasm
// buffer produced by a call outlives it. Two JS-heap leaks remain in jax-js 0.1.25's *eager*
// reverse mode (not in f, not under jit), see README.md: ~0.35 KB per grad call (a trace main
// left on its global trace stack by partialEvalFlat), plus one transposed Jaxpr per call in a
// module-level Map when the function uses a jit-wrapped library op (np.tanh here, so W4:
// ~8 KB per call). Long synchronous loops also hold eager-grad tracers until the job ends
// (WeakRef keep-during-job), so a benchmark should yield to the event loop now and then.
//
// Precision: the Wasm device computes exp/log/sin/cos — hence tanh, sigmoid, logSoftmax,
// logsumexp — with float32 polynomial approximations even for float64 arrays (relative error
// ~3e-7 for exp), so W1/W4/W5 agree with float64 references only to ~1e-7…1e-5; +, ×, matmul
// and reductions are float64 (W3 agrees to ~1e-15). The "cpu" device is full float64.
//
// Node notes: jax-js checks `instanceof Float16Array`, which Node 20 lacks, so a stub is defined
// before the library is imported (dynamic import in init()). Node has no global `Worker`, so the
// Wasm device runs single-threaded here.

export const name = "jax-js";
export const dtype = "f64";

import { wishartC } from "./gmm-direct.mjs";

let jax = null; // the module namespace, set by init()
let device = "wasm"; // default device, set by init()
let dev = "wasm"; // device of the setup() in progress

/**
 * Load jax-js and start its devices (idempotent).
 * @param opts { device?: "wasm" | "cpu" } — default device for later setup() calls (default
 *   "wasm"). "cpu" is jax-js's interpreted-JS debugging device: slow, but its exp/log/tanh are
 *   full float64 (the "wasm" device evaluates them with float32 polynomial approximations,
 *   even for float64 arrays; see README.md).
 */
export async function init(opts = {}) {
  if (!jax) {
    if (typeof globalThis.Float16Array === "undefined") {
      // Only used by jax-js for `instanceof` checks and float16 arrays, which we never create.
      globalThis.Float16Array = class Float16Array {
        constructor() {
          throw new Error("Float16Array is not available in this Node version");
        }
      };
    }
    jax = await import("@jax-js/jax");
    const devs = await jax.init("wasm", "cpu");
    if (!devs.includes("wasm")) throw new Error("jax-js: wasm device unavailable");
  }
  device = opts.device ?? "wasm";
  jax.defaultDevice(device);
  return device;
}

/**
 * @param w "W1" | "W3-<n>" | "W4" | "W5" (for W5, `d` is the dataW5(...) object)
 * @param d the data from makeData(w) / dataW5(...)
 * @param opts { jit?: boolean } — jit: wrap the objective and its gradient in jax.jit (the first
 *   call of each traces + compiles; later calls reuse the compiled program). The arrays live on
 *   the device chosen by the latest init(); keep using the closures under that same device.
 */
export function setup(w, d, opts = {}) {
  if (!jax) throw new Error("jaxjs.init() must be awaited first");
  const jit = !!opts.jit;
  dev = device;
  if (w === "W1") return w1(d, jit);
  if (w.startsWith("W3-")) return w3(d, jit);
  if (w === "W4") return w4(d, jit);
  if (w === "W5") return w5(d, jit);
  throw new Error(`jax-js peer: workload ${w} not implemented`);
}

const f64 = (a, shape) =>
  jax.numpy.array(Float64Array.from(a), { dtype: jax.numpy.float64, shape, device: dev });
const toF64 = (arr) => {
  const v = arr.dataSync(); // disposes arr
  return v instanceof Float64Array ? v : Float64Array.from(v);
};

// Build { f, grad, dispose } from fn(params, ...data) → scalar Array. `params` is an Array or a
// tree (array/object) of Arrays; `order` turns a gradient tree into the output list.
function make(fn, params, data, jit, order, fconst = 0) {
  const { grad: jgrad, tree } = jax;
  let F = fn;
  let G = jgrad(fn); // gradient w.r.t. the first argument only
  if (jit) {
    F = jax.jit(fn, { device: dev });
    G = jax.jit(G, { device: dev });
  }
  const args = () => [tree.ref(params), ...data.map((a) => a.ref)];
  return {
    f: () => F(...args()).dataSync()[0] + fconst,
    grad: () => order(G(...args())),
    dispose: () => {
      tree.dispose(params);
      for (const a of data) a.dispose();
      if (jit) {
        F.dispose();
        G.dispose();
      }
    },
  };
}

function w1({ N, X, Y, W }, jit) {
  const { numpy: np, nn } = jax;
  // cost(W) = sum((sigmoid(W X) − Y)²)
  const fn = (W, X, Y) => np.square(nn.sigmoid(np.matmul(W, X)).sub(Y)).sum();
  return make(fn, f64(W, [2, 2]), [f64(X, [2, N]), f64(Y, [2, N])], jit, toF64);
}

function w3({ n, x }, jit) {
  const { numpy: np } = jax;
  // Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)²
  const fn = (x) => {
    const a = x.ref.slice([0, n - 1]);
    const b = x.slice([1, n]);
    const t = b.sub(np.square(a.ref));
    const u = np.subtract(1, a);
    return np.square(t).mul(100).add(np.square(u)).sum();
  };
  return make(fn, f64(x, [n]), [], jit, toF64);
}

function w4({ B, D, H, C, X, Yoh, W1, b1, W2, b2 }, jit) {
  const { numpy: np, nn } = jax;
  // loss = −(1/B) Σ_i Σ_c Yoh[i,c] · logSoftmax(tanh(X W1 + b1) W2 + b2)[i,c]
  const fn = ([W1, b1, W2, b2], X, Yoh) => {
    const h = np.tanh(np.matmul(X, W1).add(b1));
    const logits = np.matmul(h, W2).add(b2);
    return Yoh.mul(nn.logSoftmax(logits, -1)).sum().mul(-1 / B);
  };
  const params = [f64(W1, [D, H]), f64(b1, [H]), f64(W2, [H, C]), f64(b2, [C])];
  return make(fn, params, [f64(X, [B, D]), f64(Yoh, [B, C])], jit, (g) => g.map(toF64));
}

// 0/1 matrices that assemble the flat row-major d×d factor Q_k = diag(exp q_k) + L(l_k):
// Qflat = exp(q) · Dg + l · S, with Dg: d × d², S: d(d−1)/2 × d² (l filled column by column).
export function gmmScatter(d) {
  const nl = (d * (d - 1)) / 2;
  const Dg = new Float64Array(d * d * d);
  for (let j = 0; j < d; j++) Dg[j * d * d + j * d + j] = 1;
  const S = new Float64Array(Math.max(nl, 1) * d * d);
  let idx = 0;
  for (let c = 0; c < d; c++) for (let r = c + 1; r < d; r++) S[idx++ * d * d + r * d + c] = 1;
  return { nl, Dg, S };
}

/** −(nd/2)·log 2π + K·C: the parameter-free part of the W5 objective (added in JS, float64). */
export function gmmConstant({ d, K, n, gamma = 1, m = 0 }) {
  return -((n * d) / 2) * Math.log(2 * Math.PI) + K * wishartC(d, gamma, m);
}

function w5(data, jit) {
  const { numpy: np, nn } = jax;
  const { d, K, n, x, params } = data;
  const gamma = data.gamma ?? 1;
  const m = data.m ?? 0;
  const { nl, Dg, S } = gmmScatter(d);
  if (nl === 0) throw new Error("jax-js W5 peer needs d ≥ 2");
  const fn = ({ alpha, mu, q, l }, X, Dg, S) => {
    const Q = np.matmul(np.exp(q.ref), Dg).add(np.matmul(l.ref, S)).reshape([K, d, d]);
    const z = np.expandDims(X, 0).sub(np.expandDims(mu, 1)); // [K, n, d]
    const y = np.matmul(z, Q.transpose([0, 2, 1])); // y[k,i,:] = Q_k z[k,i,:]
    const sumq = q.ref.sum(1); // [K]
    const beta = np.expandDims(alpha.ref.add(sumq.ref), 1).sub(np.square(y).sum(2).mul(0.5)); // [K, n]
    const slse = nn.logsumexp(beta, 0).sum();
    const lseA = nn.logsumexp(alpha, 0);
    const fro = np.exp(q.mul(2)).sum().add(np.square(l).sum());
    const prior = fro.mul(-0.5 * gamma * gamma).add(sumq.sum().mul(m));
    return slse.sub(lseA.mul(n)).add(prior);
  };
  const P = {
    alpha: f64(params.alpha, [K]),
    mu: f64(params.mu, [K, d]),
    q: f64(params.q, [K, d]),
    l: f64(params.l, [K, nl]),
  };
  const dataArrs = [f64(x, [n, d]), f64(Dg, [d, d * d]), f64(S, [nl, d * d])];
  const order = (g) => [toF64(g.alpha), toF64(g.mu), toF64(g.q), toF64(g.l)];
  return make(fn, P, dataArrs, jit, order, gmmConstant(data));
}
