// Benchmark peer: TensorFlow.js 4.22 (@tensorflow/tfjs), float32, "wasm" or "cpu" backend.
//
//   import * as tfjs from "./peers/tfjs.mjs";
//   await tfjs.init({ backend: "wasm" });   // or { backend: "cpu" }; switches the global backend
//   const { f, grad, dispose } = tfjs.setup("W4", makeData("W4"));
//
// f() → JS number; grad() → Float64Array (W1: W flat 4; W3: x) or an array of Float64Arrays
// (W4: [W1, b1, W2, b2]; W5: [alpha, mu, q, l]), widened from float32. Each call runs inside
// tf.tidy (every intermediate tensor is freed) and reads back with dataSync(), so the work is
// finished when the call returns. The parameter/data tensors are created once in setup() and
// freed by dispose(). `name` is "tfjs-wasm" / "tfjs-cpu" after init() (live binding).
//
// Caveats: TF.js computes in float32 only (the f64 data are rounded to f32 in setup()), so
// gradients agree with float64 references to ~1e-7…1e-5 relative, not 1e-15. In Node the wasm
// backend loads tfjs-backend-wasm-simd.wasm (single-threaded: the threaded build needs Web
// Workers); tfjs-node (native TensorFlow) is deliberately not used.

import * as tf from "@tensorflow/tfjs";
import { setWasmPaths, getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
import { wishartC } from "./gmm-direct.mjs";

export let name = "tfjs";
export const dtype = "f32";
export { tf };

let wasmPathSet = false;

/**
 * Select the TF.js backend (global to the tf engine).
 * @param opts { backend?: "wasm" | "cpu" } (default "wasm")
 * @returns { backend, threads } (threads: XNNPACK thread count for wasm, 1 for cpu)
 */
export async function init(opts = {}) {
  const backend = opts.backend ?? "wasm";
  if (backend !== "wasm" && backend !== "cpu") throw new Error(`tfjs peer: unknown backend ${backend}`);
  if (backend === "wasm" && !wasmPathSet) {
    // The directory holding the .wasm binaries, as a plain file path with a trailing slash
    // (a file:// URL works too; the Node build of the backend reads it with fs).
    const require = createRequire(import.meta.url);
    const pkg = require.resolve("@tensorflow/tfjs-backend-wasm/package.json");
    setWasmPaths(path.join(path.dirname(pkg), "dist") + path.sep);
    wasmPathSet = true;
  }
  const ok = await tf.setBackend(backend);
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs peer: backend ${backend} failed to start`);
  await tf.ready();
  name = `tfjs-${backend}`;
  return { backend, threads: backend === "wasm" ? getThreadsCount() : 1 };
}

/**
 * @param w "W1" | "W3-<n>" | "W4" | "W5" (for W5, `d` is the dataW5(...) object)
 * @param d the data from makeData(w) / dataW5(...)
 * Tensors are created on the backend active at setup() time: keep that backend while using the
 * closures (call init() again and setup() again after switching).
 */
export function setup(w, d) {
  if (w === "W1") return w1(d);
  if (w.startsWith("W3-")) return w3(d);
  if (w === "W4") return w4(d);
  if (w === "W5") return w5(d);
  throw new Error(`tfjs peer: workload ${w} not implemented`);
}

const f32 = (a, shape) => tf.tensor(Float32Array.from(a), shape, "float32");
const toF64 = (t) => Float64Array.from(t.dataSync());

// { f, grad, dispose } for loss(params...) with params: Tensor[] (gradient w.r.t. all of them).
function make(loss, params, keep, single, fconst = 0) {
  const g = tf.grads(loss);
  return {
    f: () => tf.tidy(() => loss(...params).dataSync()[0]) + fconst,
    grad: () =>
      tf.tidy(() => {
        const gs = g(params).map(toF64);
        return single ? gs[0] : gs;
      }),
    dispose: () => tf.dispose([...params, ...keep]),
  };
}

function w1({ N, X, Y, W }) {
  const Xt = f32(X, [2, N]);
  const Yt = f32(Y, [2, N]);
  // cost(W) = sum((sigmoid(W X) − Y)²)
  const loss = (W) => tf.sum(tf.square(tf.sub(tf.sigmoid(tf.matMul(W, Xt)), Yt)));
  return make(loss, [f32(W, [2, 2])], [Xt, Yt], true);
}

function w3({ n, x }) {
  // Σ_{i<n−1} 100(x_{i+1} − x_i²)² + (1 − x_i)²
  const loss = (x) => {
    const a = tf.slice(x, 0, n - 1);
    const b = tf.slice(x, 1, n - 1);
    const t = tf.sub(b, tf.square(a));
    const u = tf.sub(1, a);
    return tf.sum(tf.add(tf.mul(100, tf.square(t)), tf.square(u)));
  };
  return make(loss, [f32(x, [n])], [], true);
}

function w4({ B, D, H, C, X, Yoh, W1, b1, W2, b2 }) {
  const Xt = f32(X, [B, D]);
  const Yt = f32(Yoh, [B, C]);
  // loss = −(1/B) Σ_i Σ_c Yoh[i,c] · logSoftmax(tanh(X W1 + b1) W2 + b2)[i,c]
  const loss = (W1, b1, W2, b2) => {
    const h = tf.tanh(tf.add(tf.matMul(Xt, W1), b1));
    const logits = tf.add(tf.matMul(h, W2), b2);
    return tf.mul(-1 / B, tf.sum(tf.mul(Yt, tf.logSoftmax(logits))));
  };
  const params = [f32(W1, [D, H]), f32(b1, [H]), f32(W2, [H, C]), f32(b2, [C])];
  return make(loss, params, [Xt, Yt], false);
}

// 0/1 matrices assembling the flat row-major d×d factor Q_k = diag(exp q_k) + L(l_k):
// Qflat = exp(q)·Dg + l·S with Dg: d × d², S: d(d−1)/2 × d² (l filled column by column).
function gmmScatter(d) {
  const nl = (d * (d - 1)) / 2;
  const Dg = new Float32Array(d * d * d);
  for (let j = 0; j < d; j++) Dg[j * d * d + j * d + j] = 1;
  const S = new Float32Array(Math.max(nl, 1) * d * d);
  let idx = 0;
  for (let c = 0; c < d; c++) for (let r = c + 1; r < d; r++) S[idx++ * d * d + r * d + c] = 1;
  return { nl, Dg, S };
}

function w5(data) {
  const { d, K, n, x, params } = data;
  const gamma = data.gamma ?? 1;
  const m = data.m ?? 0;
  const { nl, Dg, S } = gmmScatter(d);
  if (nl === 0) throw new Error("tfjs W5 peer needs d ≥ 2");
  const Xt = tf.tensor(Float32Array.from(x), [1, n, d], "float32");
  const Dgt = tf.tensor(Dg, [d, d * d], "float32");
  const St = tf.tensor(S, [nl, d * d], "float32");
  // The parameter-free part −(nd/2)·log 2π + K·C is added in JS (float64) after the readback.
  const fconst = -((n * d) / 2) * Math.log(2 * Math.PI) + K * wishartC(d, gamma, m);
  const loss = (alpha, mu, q, l) => {
    const Q = tf.reshape(tf.add(tf.matMul(tf.exp(q), Dgt), tf.matMul(l, St)), [K, d, d]);
    const z = tf.sub(Xt, tf.expandDims(mu, 1)); // [K, n, d]
    const y = tf.matMul(z, Q, false, true); // y[k,i,:] = Q_k z[k,i,:]
    const sumq = tf.sum(q, 1); // [K]
    const beta = tf.sub(tf.expandDims(tf.add(alpha, sumq), 1), tf.mul(0.5, tf.sum(tf.square(y), 2)));
    const slse = tf.sum(tf.logSumExp(beta, 0));
    const lseA = tf.logSumExp(alpha);
    const fro = tf.add(tf.sum(tf.exp(tf.mul(2, q))), tf.sum(tf.square(l)));
    const prior = tf.add(tf.mul(-0.5 * gamma * gamma, fro), tf.mul(m, tf.sum(sumq)));
    return tf.add(tf.sub(slse, tf.mul(n, lseA)), prior);
  };
  const P = [f32(params.alpha, [K]), f32(params.mu, [K, d]), f32(params.q, [K, d]), f32(params.l, [K, nl])];
  return make(loss, P, [Xt, Dgt, St], false, fconst);
}
